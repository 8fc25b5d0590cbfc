"""Real Alembic for the release tests (tests/integration/releases.rs).

    release_dump.py dump INI VERSION OUT   write Backend.AI's `mgr schema dump-history` document
    release_dump.py missing INI DUMP       print what `mgr schema apply-missing-revisions` would run
    release_dump.py ast-skipped VERSIONS DUMP CURRENT   skipped revisions, from the files' literals
    release_dump.py comment-releases VERSIONS           each file's `# Part of:` comment (tokenize)

Both are Backend.AI's own code (src/ai/backend/manager/cli/dbschema.py),
with the manager imports replaced by the standard library.
"""

import json
import sys

from alembic.config import Config
from alembic.script import ScriptDirectory


def dump(ini, version, out):
    script = ScriptDirectory.from_config(Config(ini))
    revisions = []
    for sc in script.walk_revisions(base="base", head="heads"):
        revisions.append(
            {
                "down_revision": sc._format_down_revision() if sc.down_revision else None,
                "revision": sc.revision,
                "is_head": sc.is_head,
                "is_branch_point": sc.is_branch_point,
                "is_merge_point": sc.is_merge_point,
                "doc": sc.doc,
            }
        )
    with open(out, "w") as f:
        json.dump({"manager_version": version, "revisions": revisions}, f, indent=4)


def missing(ini, dump_path):
    script = ScriptDirectory.from_config(Config(ini))
    to_apply = {}
    for sc in script.walk_revisions(base="base", head="heads"):
        to_apply[sc.revision] = sc
    with open(dump_path) as f:
        for applied in json.load(f)["revisions"]:
            del to_apply[applied["revision"]]
    print(json.dumps([sc.revision for sc in list(to_apply.values())[::-1]]))




def ast_skipped(versions_dir, dump_path, current):
    """Skipped revisions from the files' literal `revision`/`down_revision`
    (standard-library `ast`, nothing imported): for trees whose modules
    cannot be imported here (a Backend.AI wheel needs its dependencies)."""
    import ast
    import os

    parents = {}
    for name in os.listdir(versions_dir):
        if not name.endswith(".py") or name == "__init__.py":
            continue
        values = {}
        with open(os.path.join(versions_dir, name), encoding="utf-8") as f:
            text = f.read()
        try:
            body = ast.parse(text).body
        except SyntaxError:
            # Newer syntax than this interpreter's (e.g. 3.12 `type X = …`):
            # parse the module-level assignment lines alone.
            lines = [
                line for line in text.splitlines()
                if line.startswith(("revision", "down_revision"))
            ]
            body = ast.parse("\n".join(lines)).body
        for node in body:
            target = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(value)
        down = values.get("down_revision")
        if down is None:
            down = ()
        elif isinstance(down, str):
            down = (down,)
        parents[values["revision"]] = tuple(down)

    def ancestors(rev):
        seen, stack = set(), [rev]
        while stack:
            r = stack.pop()
            if r not in seen:
                seen.add(r)
                stack.extend(parents.get(r, ()))
        return seen

    with open(dump_path) as f:
        dumped = json.load(f)["revisions"]
    had = {r["revision"] for r in dumped}
    named = {p.strip() for r in dumped if r["down_revision"] for p in r["down_revision"].split(",")}
    heads = [r for r in had if r not in named]
    before = set().union(*(ancestors(h) for h in heads if h in parents))
    skipped = (before & ancestors(current)) - had
    print(json.dumps({"heads": sorted(heads), "skipped": sorted(skipped), "not_in_tree": sorted(had - set(parents))}))


def comment_releases(versions_dir):
    """{revision: "26.4.6 (backport), 26.7.0 (main)"} from the `# Part of:`
    comments Python's own tokenizer finds (strings and docstrings are not
    comments), for files that have one."""
    import io
    import os
    import re
    import tokenize

    out = {}
    for name in sorted(os.listdir(versions_dir)):
        if not name.endswith(".py") or name == "__init__.py":
            continue
        with open(os.path.join(versions_dir, name), "rb") as f:
            source = f.read()
        text = source.decode("utf-8")
        m = re.search(r"^revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)", text, re.M)
        if not m:
            continue
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type == tokenize.COMMENT:
                c = re.match(r"^#\s*Part of:\s*(.+?)\s*$", tok.string)
                if c:
                    out[m.group(1)] = c.group(1)
                    break
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(*sys.argv[2:5])
    elif sys.argv[1] == "missing":
        missing(*sys.argv[2:4])
    elif sys.argv[1] == "comment-releases":
        comment_releases(sys.argv[2])
    else:
        ast_skipped(*sys.argv[2:5])
