"""Build the conformance scenarios and print their manifest.

    python scenarios.py --root DIR [--seed N] [--random-count N] [--named-only | --random-only]

Named scenarios are made the way a user makes them: `alembic init`,
`alembic revision -m ... --rev-id ...` (with `--head`, `--splice`,
`--branch-label`, `--depends-on`), `alembic merge`, then hand edits for the
shapes the generator does not write (plain style, list-form merges, CRLF,
odd docstrings, several version locations, package resources, pyproject).
Random graphs are written directly in Alembic's template style.

Alembic runs in-process here (see run_alembic.py), so building is cheap.

Prints one JSON document on stdout:

    {"seed": N, "cases": [{"name", "kind", "cwd", "env", "commands", "hash"}]}

`commands` are argv lists to run both with `alembic` and with `db-status`;
`hash` says which hash-seed dependent shapes the case contains (spec §9):
`multi_label` (a revision carrying two or more branch labels),
`branch_point` (a revision with two or more versioned children: the order of
`Branches into:` and of `alembic branches` children) and `multi_dep` (a
revision with two or more normalized dependencies: history order).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run_alembic  # noqa: E402

TEMPLATE = '''"""{message}

Revision ID: {rev}
Revises: {revises}
Create Date: 2026-01-{day:02d} 12:{minute:02d}:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {rev!r}
down_revision: Union[str, Sequence[str], None] = {down!r}
branch_labels: Union[str, Sequence[str], None] = {labels!r}
depends_on: Union[str, Sequence[str], None] = {deps!r}


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
'''


class BuildError(Exception):
    pass


def alembic(cwd, *argv, env=None, expect=0):
    """Run an Alembic command in-process as a build step."""
    res = run_alembic.run_job({"cwd": cwd, "argv": list(argv), "env": env or {}})
    if expect is not None and res["exit"] != expect:
        raise BuildError(
            "build step `alembic %s` in %s exited %d\nstdout:\n%s\nstderr:\n%s"
            % (" ".join(argv), cwd, res["exit"], res["stdout"], res["stderr"])
        )
    return res


def write(path, text, newline="\n", encoding="utf-8"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding=encoding, newline=newline) as f:
        f.write(text)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def versions_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".py"))


def file_of(versions, rev):
    for p in versions_files(versions):
        if os.path.basename(p).startswith(rev):
            return p
    raise BuildError("no file for %s in %s" % (rev, versions))


def edit(path, old, new):
    text = read(path)
    if old not in text:
        raise BuildError("edit of %s: %r not found" % (path, old))
    write(path, text.replace(old, new, 1), newline="")


def template_file(path, rev, down, labels=None, deps=None, message="msg", day=1):
    revises = ", ".join(down) if isinstance(down, (tuple, list)) else (down or "")
    write(
        path,
        TEMPLATE.format(
            message=message,
            rev=rev,
            revises=revises,
            down=down,
            labels=labels,
            deps=deps,
            day=day,
            minute=0,
        ),
    )


# ---------------------------------------------------------------------------
# Analysis: which ids, labels and hash-dependent shapes a case has.


def analyze(cwd, env):
    """Load the case with Alembic and describe its revision map, or None."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import warnings

    saved = os.getcwd()
    saved_env = dict(os.environ)
    saved_path = list(sys.path)
    try:
        warnings.simplefilter("ignore")  # Alembic's own warnings are not news here
        os.chdir(cwd)
        os.environ.update(env)
        ini = os.environ.get("ALEMBIC_CONFIG", "alembic.ini")
        cfg = Config(file_=ini, toml_file="pyproject.toml")
        script = ScriptDirectory.from_config(cfg)
        revs = list(script.walk_revisions())
        rmap = script.revision_map
        labels = sorted({lbl for r in revs for lbl in r._orig_branch_labels})
        return {
            "revs": [r.revision for r in revs],  # history order, newest first
            "heads": list(rmap.heads),
            "labels": labels,
            "hash": {
                "multi_label": any(len(r.branch_labels) > 1 for r in revs),
                "branch_point": any(len(r.nextrev) > 1 for r in revs),
                "multi_dep": any(len(r._normalized_resolved_dependencies) > 1 for r in revs),
            },
            "ancestors": {
                r.revision: [a.revision for a in rmap._get_ancestor_nodes([r], include_dependencies=False)]
                for r in revs
            },
        }
    except BaseException:
        return None
    finally:
        os.chdir(saved)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.path[:] = saved_path


STANDARD = [
    ["heads"],
    ["heads", "-v"],
    ["heads", "--resolve-dependencies"],
    ["history"],
    ["history", "-v"],
    ["branches"],
    ["branches", "-v"],
    ["show", "heads"],
    ["show", "head"],
    ["show", "base"],
    ["show", "-1"],
    ["show", "deadbeef0000"],
    ["history", "-r", "heads:"],
    ["history", "-r", "base:base"],
    # usage errors: argparse exits 2 (what it prints to stderr is its own)
    ["history", "-r"],
    ["show"],
    ["heads", "--no-such-option"],
    ["no-such-command"],
    ["branches", "extra-argument"],
    # a repeated option keeps its last value (argparse)
    ["history", "-r", "base:base", "-r", "heads:"],
    ["heads", "-v", "-v"],
]


def current_commands(d, env, info, row_sets):
    """`current`, `current -v`, `current --check-heads`, `history -i` and
    `show current` against SQLite version tables: for each set of rows the
    case's own alembic.ini is copied as `current-<k>.ini` with
    `sqlalchemy.url = sqlite:///current-<k>.db` (relative: both tools run in
    the case directory), and that file gets an `alembic_version` table
    holding the rows. Only for cases configured by a plain `alembic.ini`;
    where Alembic cannot load the revisions (`info` is None), with no row and
    with one row, so that what is printed before the error is compared too."""
    import sqlite3

    ini = os.path.join(d, "alembic.ini")
    if env or not os.path.isfile(ini):
        return []
    with open(ini, encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    if not any(l.startswith("sqlalchemy.url") for l in lines):
        return []
    cmds = []
    for k, rows in enumerate(row_sets(info)):
        name = "current-%d" % k
        text = "".join(
            "sqlalchemy.url = sqlite:///%s.db%s" % (name, l[len(l.rstrip("\r\n")):])
            if l.startswith("sqlalchemy.url") else l
            for l in lines
        )
        with open(os.path.join(d, name + ".ini"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        db = sqlite3.connect(os.path.join(d, name + ".db"))
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                   "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        db.executemany("INSERT INTO alembic_version VALUES (?)", [(r,) for r in dict.fromkeys(rows)])
        db.commit()
        db.close()
        c = ["-c", name + ".ini"]
        cmds += [c + ["current"], c + ["current", "-v"], c + ["current", "--check-heads"],
                 c + ["history", "-i"], c + ["show", "current"]]
    return cmds


def named_row_sets(info):
    """No row; every head; one row that is not a head; several rows, one an
    ancestor of another (the base and a head)."""
    if not info:
        return [[], ["deadbeef0000"]]
    revs, heads = info["revs"], sorted(info["heads"])
    if not revs:
        return [[]]
    mid = revs[len(revs) // 2]
    return [[], heads, [mid], list(dict.fromkeys([revs[-1], heads[0] if heads else mid]))]


def random_row_sets(info):
    """One row that is not (necessarily) a head; several rows."""
    return named_row_sets(info)[2:] if info else named_row_sets(info)


def commands_for(info, rng, extra=()):
    cmds = [list(c) for c in STANDARD]
    if info:
        revs = info["revs"]
        pick = [revs[0], revs[-1], revs[len(revs) // 2]] if revs else []
        for r in dict.fromkeys(pick):
            cmds.append(["show", r])
            cmds.append(["history", "-r", "%s:" % r])
            cmds.append(["history", "-r", ":%s" % r])
            cmds.append(["history", "-v", "-r", "%s:%s" % (r, r)])
        if revs:
            mid = revs[len(revs) // 2]
            cmds.append(["show", mid[:4]])
            cmds.append(["show", mid[:7]])
            cmds.append(["history", "-r", "base:%s" % mid])
            anc = [a for a in info["ancestors"].get(mid, []) if a != mid]
            if anc:
                a = rng.choice(anc)
                cmds.append(["history", "-r", "%s:%s" % (a, mid)])
                # the reversed range is an error (not ancestor/descendant)
                cmds.append(["history", "-r", "%s:%s" % (mid, a)])
            cmds.append(["history", "-r", ":%s-1" % mid])
            cmds.append(["history", "-r-1:"])
        for lbl in info["labels"][:2]:
            cmds.append(["show", lbl])
            cmds.append(["show", "%s@head" % lbl])
            cmds.append(["history", "-r", ":%s@head" % lbl])
    for c in extra:
        if list(c) not in cmds:
            cmds.append(list(c))
    return cmds


# ---------------------------------------------------------------------------
# Named scenarios. Each function builds into `d` and returns
# (extra_commands, env); `cwd` is `d` unless the function returns a dict
# with "cwd".


def init(d, template=None, name="migrations"):
    os.makedirs(d, exist_ok=True)
    argv = ["init", name] if template is None else ["init", "-t", template, name]
    alembic(d, *argv)


def rev(d, rev_id, *more, m=None, env=None):
    argv = ["revision", "--rev-id", rev_id]
    if m is not None:
        argv += ["-m", m]
    alembic(d, *argv, *more, env=env)


def s_linear(d):
    init(d)
    rev(d, "1a2b3c4d5e6f", m="create account table")
    rev(d, "2b3c4d5e6f70", m="add a column")
    rev(d, "3c4d5e6f7081", m="third change, rename with a long message that gets truncated")
    return [["show", "2"], ["show", "2b3c"], ["show", "3c4d5e6f7081"], ["history", "-r", "1a2b:"],
            ["history", "-r", ":2b3c"], ["history", "-r", "2b3c:2b3c"], ["show", "2b3c+1"],
            ["history", "-r", "base:heads"], ["history", "-r", ":-1"]], {}


def s_empty(d):
    init(d)
    return [["history", "-r", "base:heads"]], {}


def s_no_config(d):
    os.makedirs(d, exist_ok=True)
    return [], {}


def s_missing_path(d):
    init(d)
    edit(os.path.join(d, "alembic.ini"), "script_location = %(here)s/migrations",
         "script_location = %(here)s/does_not_exist")
    return [], {}


def s_inline_comment(d):
    init(d)
    edit(os.path.join(d, "alembic.ini"), "script_location = %(here)s/migrations",
         "script_location = migrations  # note")
    return [], {}


def s_relative_location(d):
    init(d)
    edit(os.path.join(d, "alembic.ini"), "script_location = %(here)s/migrations",
         "Script_Location = migrations")
    rev(d, "aa0000000001", m="one")
    rev(d, "aa0000000002", m="two")
    return [], {}


def two_heads(d):
    init(d)
    rev(d, "ae1000000001", m="root")
    rev(d, "ae1000000002", m="main line")
    rev(d, "ae1000000003", m="main line 2")
    rev(d, "be2000000001", "--head", "ae1000000001", "--splice", m="side branch")


def s_two_heads(d):
    two_heads(d)
    return [["show", "ae10"], ["show", "ae1000000001"], ["history", "-r", "ae1000000002:be2000000001"],
            ["history", "-r", "base:head"], ["history", "-r", ":head"], ["show", "-2"]], {}


def s_merge(d):
    two_heads(d)
    alembic(d, "merge", "heads", "-m", "merge the two", "--rev-id", "ee3000000001")
    rev(d, "ff4000000001", m="after merge")
    return [["show", "ee3000000001"], ["history", "-r", "be2000000001:"], ["show", "-3"]], {}


def s_three_way_merge(d):
    init(d)
    rev(d, "c00000000001", m="root")
    rev(d, "c00000000002", m="a")
    rev(d, "c00000000003", "--head", "c00000000001", "--splice", m="b")
    rev(d, "c00000000004", "--head", "c00000000001", "--splice", m="c")
    alembic(d, "merge", "-m", "three", "--rev-id", "c00000000005", "c00000000004", "c00000000002",
            "c00000000003")
    return [["show", "c00000000005"], ["history", "-r", "c00000000003:"]], {}


def s_list_form_merge(d):
    two_heads(d)
    alembic(d, "merge", "heads", "-m", "merge", "--rev-id", "ee3000000001")
    p = file_of(os.path.join(d, "migrations", "versions"), "ee3000000001")
    text = read(p)
    import re

    text = re.sub(r"down_revision: [^\n]*", "down_revision = ['be2000000001', 'ae1000000003']", text)
    write(p, text)
    return [["show", "ee3000000001"]], {}


def labels(d):
    init(d)
    rev(d, "0a1000000001", "--head", "base", "--branch-label", "shoppingcart", m="cart root")
    rev(d, "0a1000000002", "--head", "shoppingcart@head", m="cart two")
    rev(d, "0b2000000001", "--head", "base", "--branch-label", "networking", m="net root")
    rev(d, "0b2000000002", "--head", "networking@head", m="net two")
    rev(d, "0b2000000003", "--head", "networking@head", m="net three")


def s_branch_labels(d):
    labels(d)
    return [["show", "shopping"], ["show", "networking@head"], ["show", "networking@base"],
            ["show", "shoppingcart@0b2000000002"], ["show", "nosuchbranch@head"],
            ["show", "networking@-1"], ["history", "-r", "networking@base:"],
            ["history", "-r", "shoppingcart@base:shoppingcart@head"], ["show", "shoppingcart@0a10"]], {}


def s_label_inherited_down(d):
    init(d)
    rev(d, "0a0000000001", m="one")
    rev(d, "0a0000000002", m="two")
    rev(d, "0a0000000003", "--branch-label", "late", m="three")
    return [["show", "late"], ["history", "-r", "late@base:"]], {}


def s_label_split_by_splice(d):
    init(d)
    rev(d, "0a0000000001", m="one")
    rev(d, "0a0000000002", m="two")
    rev(d, "0a0000000003", "--branch-label", "late", m="three")
    rev(d, "0c0000000001", "--head", "0a0000000001", "--splice", m="side")
    return [["show", "late@head"], ["show", "0a0000000001"]], {}


def s_multi_labels(d):
    init(d)
    rev(d, "0a0000000001", "--branch-label", "zeta", m="one")
    rev(d, "0a0000000002", "--branch-label", "net", m="two")
    rev(d, "0a0000000003", "--branch-label", "networking", m="three")
    return [["show", "net"], ["show", "zeta@head"]], {}


def s_duplicate_label(d):
    init(d)
    rev(d, "0a0000000001", "--branch-label", "dup", m="one")
    rev(d, "0b0000000001", "--head", "base", m="two")
    p = file_of(os.path.join(d, "migrations", "versions"), "0b0000000001")
    edit(p, "branch_labels: Union[str, Sequence[str], None] = None",
         "branch_labels: Union[str, Sequence[str], None] = ('dup',)")
    return [], {}


def depends(d):
    init(d)
    rev(d, "d1000000000a", m="main one")
    rev(d, "d2000000000b", m="main two")
    rev(d, "0e1000000001", "--head", "base", "--branch-label", "other", m="other root")
    rev(d, "0e2000000002", "--head", "other@head", m="other two")
    rev(d, "d3000000000c", "--head", "d2000000000b", "--depends-on", "0e2000000002", m="main three")


def s_depends_on(d):
    depends(d)
    return [["show", "d3000000000c"], ["history", "-r", ":d3000000000c"],
            ["history", "-r", "0e2000000002:"], ["history", "-r", "d1000000000a:"]], {}


def s_depends_on_label(d):
    depends(d)
    rev(d, "d4000000000d", "--head", "d3000000000c", "--depends-on", "other", m="label dep")
    return [["show", "d4000000000d"], ["history", "-r", ":d4000000000d"]], {}


def s_depends_on_ancestor(d):
    init(d)
    rev(d, "d1000000000a", m="one")
    rev(d, "d2000000000b", m="two")
    rev(d, "d3000000000c", m="three")
    rev(d, "d4000000000d", "--depends-on", "d1000000000a", m="four")
    return [], {}


def s_multi_depends(d):
    depends(d)
    rev(d, "0f1000000001", "--head", "base", m="third root")
    rev(d, "d4000000000d", "--head", "d3000000000c", "--depends-on", "0f1000000001",
        "--depends-on", "0e1000000001", m="two deps")
    return [], {}


def s_plain_style(d):
    s_linear(d)
    import re

    for p in versions_files(os.path.join(d, "migrations", "versions")):
        text = read(p)
        text = re.sub(r"^(revision|down_revision|branch_labels|depends_on): [^=]*= ", r"\1 = ",
                      text, flags=re.M)
        write(p, text)
    return [], {}


def s_unicode_docstrings(d):
    init(d)
    rev(d, "a0000000000a", m="añadir tabla — ünïcödé ✓")
    rev(d, "b0000000000b", m="日本語のメッセージ")
    return [["show", "a0000000000a"]], {}


def s_empty_docstrings(d):
    init(d)
    rev(d, "a0000000000a", m="first")
    rev(d, "b0000000000b", m="second")
    rev(d, "c0000000000c", m="third")
    vd = os.path.join(d, "migrations", "versions")
    a = file_of(vd, "a0000000000a")
    text = read(a)
    write(a, '""""""' + text[text.index('"""\nfrom typing') + 3:])
    b = file_of(vd, "b0000000000b")
    text = read(b)
    write(b, "# no docstring at all\n" + text[text.index('"""\nfrom typing') + 4:])
    c = file_of(vd, "c0000000000c")
    text = read(c)
    write(c, '"""first line\nsecond line of the first paragraph\n \nstill first\n\nsecond para\n\n\n'
             "   \n\tindented\n\"\"\"" + text[text.index('"""\nfrom typing') + 3:])
    return [["show", "a0000000000a"], ["show", "b0000000000b"], ["show", "c0000000000c"]], {}


def s_crlf(d):
    s_linear(d)
    for p in versions_files(os.path.join(d, "migrations", "versions")):
        write(p, read(p).replace("\n", "\r\n"), newline="")
    return [], {}


def multi_locations(d, sep_line, joiner):
    init(d)
    ini = os.path.join(d, "alembic.ini")
    text = read(ini)
    import re

    text = re.sub(r"^# version_locations = .*$",
                  "version_locations = " + joiner.join(["%(here)s/migrations/versions",
                                                         "%(here)s/extra_a", "%(here)s/extra_b"]),
                  text, count=1, flags=re.M)
    text = re.sub(r"^path_separator = .*$", sep_line, text, count=1, flags=re.M)
    write(ini, text)
    os.makedirs(os.path.join(d, "extra_a"), exist_ok=True)
    os.makedirs(os.path.join(d, "extra_b"), exist_ok=True)
    rev(d, "aa0000000001", "--version-path", os.path.join(d, "extra_a"), m="in a")
    rev(d, "bb0000000001", "--version-path", os.path.join(d, "extra_b"), m="in b")
    rev(d, "cc0000000001", "--version-path", os.path.join(d, "migrations", "versions"), m="in default")
    return [], {}


def s_locations_space(d):
    return multi_locations(d, "path_separator = space", " ")


def s_locations_os(d):
    return multi_locations(d, "path_separator = os", os.pathsep)


def s_locations_newline(d):
    return multi_locations(d, "path_separator = newline", "\n    ")


def s_locations_legacy(d):
    return multi_locations(d, "# no separator: legacy split", ", ")


def s_recursive(d):
    init(d)
    ini = os.path.join(d, "alembic.ini")
    edit(ini, "# recursive_version_locations = false", "recursive_version_locations = true")
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "2024", "b_second.py"), "bb0000000002", "aa0000000001", message="second")
    template_file(os.path.join(vd, "2024", "deep", "c_third.py"), "cc0000000003", "bb0000000002",
                  message="third")
    template_file(os.path.join(vd, "z_first.py"), "aa0000000001", None, message="first")
    template_file(os.path.join(vd, "a", "other_head.py"), "dd0000000004", "aa0000000001", message="side")
    return [], {}


def s_not_recursive(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "z_first.py"), "aa0000000001", None, message="first")
    template_file(os.path.join(vd, "sub", "b_second.py"), "bb0000000002", "aa0000000001", message="hidden")
    return [], {}


def s_recursive_not_exactly_true(d):
    s_not_recursive(d)
    ini = os.path.join(d, "alembic.ini")
    edit(ini, "# recursive_version_locations = false", "recursive_version_locations = True")
    return [], {}


def s_file_name_filter(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "a_root.py"), "aa0000000001", None, message="root")
    template_file(os.path.join(vd, ".hidden.py"), "bb0000000002", "aa0000000001", message="dot file")
    template_file(os.path.join(vd, "_under.py"), "cc0000000003", "bb0000000002", message="underscore")
    template_file(os.path.join(vd, "__init__extra.py"), "ee0000000005", "cc0000000003", message="skip")
    template_file(os.path.join(vd, "x.py~"), "ff0000000006", "cc0000000003", message="backup")
    template_file(os.path.join(vd, "notes.txt"), "ff0000000007", "cc0000000003", message="txt")
    template_file(os.path.join(vd, "UPPER.PY"), "ff0000000008", "cc0000000003", message="upper")
    write(os.path.join(vd, "__init__.py"), "")
    return [], {}


def s_package_resource(d):
    init(d)
    os.makedirs(os.path.join(d, "mypkg", "sub"), exist_ok=True)
    write(os.path.join(d, "mypkg", "__init__.py"), "")
    write(os.path.join(d, "mypkg", "sub", "__init__.py"), "")
    os.rename(os.path.join(d, "migrations"), os.path.join(d, "mypkg", "sub", "migrations"))
    ini = os.path.join(d, "alembic.ini")
    edit(ini, "script_location = %(here)s/migrations", "script_location = mypkg.sub:migrations")
    vd = os.path.join(d, "mypkg", "sub", "migrations", "versions")
    template_file(os.path.join(vd, "aa_first.py"), "aa0000000001", None, message="first")
    template_file(os.path.join(vd, "bb_second.py"), "bb0000000002", "aa0000000001", message="second")
    return [], {}


def s_pyproject(d):
    init(d, template="pyproject")
    rev(d, "aa0000000001", m="first")
    rev(d, "bb0000000002", m="second")
    return [["show", "bb0000000002"]], {}


def s_pyproject_locations(d):
    init(d, template="pyproject")
    pp = os.path.join(d, "pyproject.toml")
    import re

    text = read(pp)
    text = re.sub(r"^# version_locations = .*$",
                  'version_locations = ["%(here)s/other", "%(here)s/migrations/versions"]', text,
                  count=1, flags=re.M)
    write(pp, text)
    os.makedirs(os.path.join(d, "other"), exist_ok=True)
    template_file(os.path.join(d, "other", "a.py"), "aa0000000001", None, message="other first")
    template_file(os.path.join(d, "migrations", "versions", "b.py"), "bb0000000002", "aa0000000001",
                  message="second")
    return [], {}


def s_config_flag_and_section(d):
    init(d)
    ini = os.path.join(d, "alembic.ini")
    os.rename(ini, os.path.join(d, "custom.ini"))
    text = read(os.path.join(d, "custom.ini"))
    write(os.path.join(d, "custom.ini"),
          text + "\n[second]\nscript_location = %(here)s/migrations\n")
    alembic(d, "-c", "custom.ini", "revision", "--rev-id", "aa0000000001", "-m", "first")
    alembic(d, "-c", "custom.ini", "revision", "--rev-id", "bb0000000002", "-m", "second")
    extra = [["-c", "custom.ini", "heads"], ["-c", "custom.ini", "history"],
             ["-c", "custom.ini", "-n", "second", "history", "-v"],
             ["-c", "custom.ini", "-n", "nosuchsection", "heads"],
             ["heads"], ["-c", "nosuch.ini", "heads"]]
    return extra, {}


def s_alembic_config_env(d):
    init(d)
    os.rename(os.path.join(d, "alembic.ini"), os.path.join(d, "env.ini"))
    alembic(d, "-c", "env.ini", "revision", "--rev-id", "aa0000000001", "-m", "first")
    return [], {"ALEMBIC_CONFIG": "env.ini"}


def s_relative_ranges(d):
    init(d)
    for i in range(1, 7):
        rev(d, "%02d%010d" % (i, i), m="step %d" % i)
    extra = [["history", "-r-2:"], ["history", "-r", "-3:"], ["history", "-r", ":0300000000003+2"],
             ["history", "-r", ":0500000000005-2"], ["history", "-r", "base:+2"],
             ["history", "-r", "0200000000002+1:"], ["history", "-r", ":-1"],
             ["show", "-2"], ["show", "-6"], ["show", "-7"], ["history", "-r", "heads:heads"],
             ["history", "-r", ":base"], ["history", "-r", " 03 : 05 "], ["history", "-r", "0200:0400"]]
    return extra, {}


def s_show_forms(d):
    two_heads(d)
    extra = [["show", "a"], ["show", "ae1"], ["show", "ae10"], ["show", "be2"], ["show", "heads"],
             ["show", "head"], ["show", "base"], ["show", "-1"], ["show", "ae1000000002@head"],
             ["show", "+1"], ["show", "be2000000001"]]
    return extra, {}


def s_errors(d):
    two_heads(d)
    extra = [["history", "-r", "nocolon"], ["history", "-r", "a:b:c"],
             ["history", "-r", "deadbeef:"], ["history", "-r", ":deadbeef"],
             ["history", "-r", "ae1000000003:be2000000001"], ["history", "-r", "be2000000001:ae1000000003"],
             ["show", "head"], ["history", "-r", "base:head"]]
    return extra, {}


def s_missing_parent(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "a.py"), "aa0000000001", None, message="first")
    template_file(os.path.join(vd, "b.py"), "bb0000000002", "cafe00000000", message="orphan")
    return [], {}


def s_cycle(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "r.py"), "aa0000000000", None, message="root")
    template_file(os.path.join(vd, "a.py"), "aa0000000001", ("aa0000000000", "bb0000000002"), message="a")
    template_file(os.path.join(vd, "b.py"), "bb0000000002", "aa0000000001", message="b")
    template_file(os.path.join(vd, "c.py"), "cc0000000003", "aa0000000000", message="c")
    return [], {}


def s_duplicate_revision(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "a.py"), "aa0000000001", None, message="first")
    template_file(os.path.join(vd, "b.py"), "bb0000000002", "aa0000000001", message="second")
    template_file(os.path.join(vd, "c.py"), "bb0000000002", "aa0000000001", message="second again")
    return [], {}


def s_legacy_filename(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    write(os.path.join(vd, "abc123.py"), '"""legacy"""\ndown_revision = None\n')
    template_file(os.path.join(vd, "next.py"), "bb0000000002", "abc123", message="next")
    return [], {}


def s_no_revision_variable(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    write(os.path.join(vd, "not_hex_name.py"), '"""no revision"""\ndown_revision = None\n')
    return [], {}


def s_illegal_chars(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "a.py"), "aa-00000001", None, message="dash")
    return [], {}


def s_attribute_forms(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    write(os.path.join(vd, "a.py"),
          '# -*- coding: utf-8 -*-\n# leading comment\n\n"""implicitly " "concatenated"""\n'
          'revision = "aaaa" "00000001"\ndown_revision = ()\nbranch_labels = ["alpha"]\n'
          "depends_on = None\nrevision = 'aa0000000001'\n")
    write(os.path.join(vd, "b.py"),
          "r'''raw \\n docstring'''\nrevision: str = 'bb0000000002'\n"
          "down_revision: str = ('aa0000000001',)\n")
    write(os.path.join(vd, "c.py"),
          '"""tuple merge of one"""\nrevision = "cc0000000003"\ndown_revision = ["bb0000000002"]\n'
          'depends_on = ("aa0000000001",)\n')
    return [["show", "alpha"], ["show", "cc0000000003"]], {}


def s_branchpoint_children(d):
    init(d)
    rev(d, "b00000000001", m="root")
    rev(d, "b00000000002", m="child one")
    rev(d, "b00000000003", "--head", "b00000000001", "--splice", m="child two")
    rev(d, "b00000000004", "--head", "b00000000001", "--splice", m="child three")
    return [["show", "b00000000001"]], {}


def s_load_order_tiebreak(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    template_file(os.path.join(vd, "zzz_file.py"), "aa0000000001", None, message="in zzz")
    template_file(os.path.join(vd, "aaa_file.py"), "ff0000000001", None, message="in aaa")
    template_file(os.path.join(vd, "mmm_merge.py"), "cc0000000001", ("aa0000000001", "ff0000000001"),
                  message="merge")
    template_file(os.path.join(vd, "bbb_top.py"), "dd0000000001", "cc0000000001", message="top")
    template_file(os.path.join(vd, "000_other.py"), "ee0000000001", None, message="unrelated root")
    return [], {}


def s_symlinked_files(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    real = os.path.join(d, "elsewhere")
    template_file(os.path.join(real, "first.py"), "aa0000000001", None, message="first")
    template_file(os.path.join(vd, "b_second.py"), "bb0000000002", "aa0000000001", message="second")
    os.symlink(os.path.join(real, "first.py"), os.path.join(vd, "a_link.py"))
    return [["show", "aa0000000001"]], {}


def s_location_listed_twice(d):
    init(d)
    ini = os.path.join(d, "alembic.ini")
    import re

    text = read(ini)
    text = re.sub(r"^# version_locations = .*$",
                  "version_locations = %(here)s/migrations/versions %(here)s/migrations/versions",
                  text, count=1, flags=re.M)
    text = re.sub(r"^path_separator = .*$", "path_separator = space", text, count=1, flags=re.M)
    write(ini, text)
    template_file(os.path.join(d, "migrations", "versions", "a.py"), "aa0000000001", None, message="once")
    return [], {}


def s_bom_and_latin1(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    with open(os.path.join(vd, "a.py"), "wb") as f:
        f.write(b'\xef\xbb\xbf"""BOM docstring \xc3\xa9t\xc3\xa9"""\nrevision = "aa0000000001"\n'
                b"down_revision = None\n")
    with open(os.path.join(vd, "b.py"), "wb") as f:
        f.write(b'# -*- coding: latin-1 -*-\n"""caf\xe9 latin-1"""\nrevision = "bb0000000002"\n'
                b'down_revision = "aa0000000001"\n')
    return [["show", "bb0000000002"]], {}


def s_merge_of_labelled_branches(d):
    init(d)
    rev(d, "0a0000000001", m="root")
    rev(d, "0a0000000002", "--branch-label", "lbl", m="labelled")
    rev(d, "0b0000000001", "--head", "0a0000000001", "--splice", "--branch-label", "r2a", m="other")
    alembic(d, "merge", "heads", "-m", "join", "--rev-id", "0c0000000001")
    return [["show", "0c0000000001"], ["show", "lbl@head"], ["history", "-r", "r2a@base:"]], {}


def s_pyproject_via_alembic_config(d):
    init(d, template="pyproject")
    rev(d, "aa0000000001", m="first")
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    return [["heads", "-v"]], {"ALEMBIC_CONFIG": "pyproject.toml"}


def s_toml_bool_not_bool(d):
    init(d, template="pyproject")
    rev(d, "aa0000000001", m="first")
    pp = os.path.join(d, "pyproject.toml")
    edit(pp, "[tool.alembic]", '[tool.alembic]\nrecursive_version_locations = "true"')
    return [], {}


def s_empty_string_down_revision(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    write(os.path.join(vd, "a.py"), '"""empty down"""\nrevision = "aa0000000001"\ndown_revision = ""\n')
    return [], {}


def s_empty_string_depends_on(d):
    """`depends_on = ""` (Invenio's style) and `("",)`: no dependency for Alembic."""
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    write(os.path.join(vd, "a.py"), '"""root"""\nrevision = "aa0000000001"\ndown_revision = None\n')
    write(os.path.join(vd, "b.py"), '"""child"""\nrevision = "bb0000000001"\n'
                                     'down_revision = "aa0000000001"\nbranch_labels = ()\n'
                                     'depends_on = ""\n')
    write(os.path.join(vd, "c.py"), '"""grandchild"""\nrevision = "cc0000000001"\n'
                                     'down_revision = "bb0000000001"\ndepends_on = ("",)\n')
    return [["show", "bb0000000001"], ["show", "cc0000000001"]], {}


def s_missing_down_revision(d):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    write(os.path.join(vd, "a.py"), '"""no down"""\nrevision = "aa0000000001"\n')
    return [], {}


def imported_file(path, head, rev, down, labels="None", deps="None", message="msg"):
    """A revision file whose identifiers may be expressions (`cli.EXPAND_BRANCH`)."""
    write(path, '"""%s\n\nRevision ID: %s\n"""\n%s\nfrom alembic import op\n\nrevision = %r\n'
                'down_revision = %s\nbranch_labels = %s\ndepends_on = %s\n\n\n'
                'def upgrade():\n    pass\n' % (message, rev, head, rev, down, labels, deps))


def s_import_neutron_branches(d):
    """Neutron's expand/contract: labels are constants of an imported module."""
    init(d)
    for pkg in ["neutron", "neutron/db", "neutron/db/migration"]:
        write(os.path.join(d, pkg, "__init__.py"), "")
    write(os.path.join(d, "neutron/db/migration/cli.py"),
          "import os\n\nEXPAND_BRANCH = 'expand'\nCONTRACT_BRANCH = 'contract'\n")
    vd = os.path.join(d, "migrations", "versions")
    imported_file(os.path.join(vd, "a_start.py"), "", "aa0000000001", "None", message="start")
    imported_file(os.path.join(vd, "b_expand.py"), "from neutron.db.migration import cli",
                  "bb0000000001", "'aa0000000001'", labels="(cli.EXPAND_BRANCH,)", message="expand")
    imported_file(os.path.join(vd, "c_contract.py"), "import neutron.db.migration.cli as m",
                  "cc0000000001", "'aa0000000001'", labels="[m.CONTRACT_BRANCH]", message="contract")
    imported_file(os.path.join(vd, "d_more.py"),
                  "from neutron.db.migration.cli import EXPAND_BRANCH as EB",
                  "dd0000000001", "'bb0000000001'", deps="EB", message="more expand")
    return [["show", "expand@head"], ["history", "-r", "contract@base:"]], {}


def s_import_chain(d):
    """A constant re-exported through two modules and a package `__init__`."""
    init(d)
    write(os.path.join(d, "proj/__init__.py"), "from .labels import LABEL\n")
    write(os.path.join(d, "proj/labels.py"), "from proj.base import BASE as LABEL\n")
    write(os.path.join(d, "proj/base.py"), "BASE = 'chained'\nPARENT = 'aa0000000001'\n")
    vd = os.path.join(d, "migrations", "versions")
    imported_file(os.path.join(vd, "a.py"), "", "aa0000000001", "None", message="root")
    imported_file(os.path.join(vd, "b.py"), "import proj\nfrom proj import base",
                  "bb0000000001", "base.PARENT", labels="proj.LABEL", message="chained label")
    return [["show", "chained"]], {}


def s_import_star(d):
    """Quay's `from peewee import *`, and a star import that binds depends_on."""
    init(d)
    # A stand-in for peewee: public names, none of the four.
    write(os.path.join(d, "peewee.py"),
          "__all__ = ['Model', 'CharField']\nModel = 'model'\nCharField = 'field'\nrevision = 'no'\n")
    write(os.path.join(d, "deps.py"), "depends_on = ('aa0000000001',)\nbranch_labels = 'starred'\n"
                                       "_hidden = 'x'\n")
    vd = os.path.join(d, "migrations", "versions")
    imported_file(os.path.join(vd, "a.py"), "from peewee import *", "aa0000000001", "None",
                  message="quay style")
    imported_file(os.path.join(vd, "b.py"), "from peewee import *", "bb0000000001", "None",
                  message="another root")
    write(os.path.join(vd, "c.py"),
          '"""star binds depends_on"""\nfrom deps import *\nrevision = "cc0000000001"\n'
          'down_revision = "bb0000000001"\n')
    write(os.path.join(vd, "d.py"),
          '"""star then override"""\nfrom deps import *\nrevision = "dd0000000001"\n'
          'down_revision = "cc0000000001"\nbranch_labels = None\ndepends_on = None\n')
    return [["show", "starred"], ["show", "cc0000000001"]], {}


def invenio(d, present):
    init(d)
    if present:
        write(os.path.join(d, "invenio_access/__init__.py"), "")
    vd = os.path.join(d, "migrations", "versions")
    imported_file(os.path.join(vd, "a.py"), "", "842a62b56e60", "None", message="access root")
    write(os.path.join(vd, "b.py"),
          '"""invenio style"""\n'
          'revision = "bb0000000001"\ndown_revision = None\n\nresolved_depends_on = []\n'
          'try:\n    import invenio_access\n    resolved_depends_on += ["842a62b56e60"]\n'
          'except (ImportError, ModuleNotFoundError):\n    pass\n'
          'depends_on = resolved_depends_on\n')
    return [["show", "bb0000000001"], ["heads", "--resolve-dependencies"]], {}


def s_import_try_present(d):
    return invenio(d, True)


def s_import_try_absent(d):
    return invenio(d, False)


def s_import_missing_module(d):
    """`from nothere import X`: Alembic fails, and so does db-status."""
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    imported_file(os.path.join(vd, "a.py"), "from nothere import LABEL", "aa0000000001", "None",
                  labels="LABEL", message="missing")
    return [], {}


NAMED = [
    (name[2:], fn) for name, fn in sorted(globals().items()) if name.startswith("s_") and callable(fn)
]


# ---------------------------------------------------------------------------
# Random graphs.


def random_graph(d, rng, index):
    init(d)
    vd = os.path.join(d, "migrations", "versions")
    for f in os.listdir(vd):
        os.remove(os.path.join(vd, f)) if os.path.isfile(os.path.join(vd, f)) else None
    n = rng.randint(2, 60)
    # A small alphabet now and then makes 4-character prefixes collide, so
    # partial-id resolution meets ambiguity.
    alphabet = "0123456789abcdef" if rng.random() < 0.7 else "ab"
    ids = []
    seen = set()
    while len(ids) < n:
        r = "".join(rng.choice(alphabet) for _ in range(12))
        if r not in seen:
            seen.add(r)
            ids.append(r)
    parents = {}
    children = {r: set() for r in ids}
    anc = {}
    used_labels = set()
    files = []
    label_prob = rng.choice([0.0, 0.05, 0.15])
    dep_prob = rng.choice([0.0, 0.1, 0.25])
    for i, r in enumerate(ids):
        heads = [x for x in ids[:i] if not children[x]]
        roll = rng.random()
        if i == 0 or roll < 0.07:
            down = None
        elif roll < 0.2 and len(heads) >= 2:
            k = 2 if rng.random() < 0.85 else min(3, len(heads))
            down = tuple(rng.sample(heads, k))
        else:
            pool = heads if rng.random() < 0.6 and heads else ids[max(0, i - 8):i]
            down = rng.choice(pool)
        downs = () if down is None else ((down,) if isinstance(down, str) else down)
        a = set()
        for p in downs:
            a |= anc[p] | {p}
            children[p].add(r)
        anc[r] = a
        labels = None
        if rng.random() < label_prob:
            name = "lbl_%s" % "".join(rng.choice("abcdefgh") for _ in range(3))
            if name not in used_labels:
                used_labels.add(name)
                labels = (name,) if rng.random() < 0.5 else name
        deps = None
        if i > 1 and rng.random() < dep_prob:
            candidates = [x for x in ids[:i] if x not in a]
            if candidates:
                count = 1 if rng.random() < 0.95 else 2
                chosen = rng.sample(candidates, min(count, len(candidates)))
                deps = chosen[0] if len(chosen) == 1 and rng.random() < 0.5 else tuple(chosen)
        if isinstance(down, tuple) and len(down) == 1:
            down = down[0]
        message = rng.choice(["add table %d" % i, "change %d" % i, "", "ünïcode %d" % i,
                              "merge heads" if isinstance(down, tuple) else "step %d" % i])
        prefix = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(4))
        files.append((prefix, r, down, labels, deps, message, i))
    # depends_on may name a label instead of the id that declares it.
    label_of = {}
    for (_, r, _, labels, _, _, _) in files:
        if labels:
            label_of[r] = labels if isinstance(labels, str) else labels[0]
    for prefix, r, down, labels, deps, message, i in files:
        if deps is not None and rng.random() < 0.3:
            if isinstance(deps, str) and deps in label_of:
                deps = label_of[deps]
        slug = "_".join(message.split()).lower()
        template_file(os.path.join(vd, "%s_%s_%s.py" % (prefix, r, slug)), r, down, labels, deps,
                      message, day=1 + i % 28)
    return [], {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--random-count", type=int, default=200)
    ap.add_argument("--named-only", action="store_true")
    ap.add_argument("--random-only", action="store_true")
    args = ap.parse_args()
    cases = []
    if not args.random_only:
        for name, fn in NAMED:
            d = os.path.join(args.root, "named", name)
            extra, env = fn(d)
            rng = random.Random(name)
            info = analyze(d, env)
            cases.append({
                "name": name,
                "kind": "named",
                "cwd": d,
                "env": env,
                "commands": commands_for(info, rng, extra)
                + current_commands(d, env, info, named_row_sets),
                "hash": info["hash"] if info else {},
            })
    if not args.named_only:
        rng = random.Random(args.seed)
        for i in range(args.random_count):
            name = "random-%d-%03d" % (args.seed, i)
            d = os.path.join(args.root, "random", "%03d" % i)
            extra, env = random_graph(d, rng, i)
            info = analyze(d, env)
            cases.append({
                "name": name,
                "kind": "random",
                "cwd": d,
                "env": env,
                "commands": commands_for(info, rng, extra)
                + current_commands(d, env, info, random_row_sets),
                "hash": info["hash"] if info else {},
            })
    json.dump({"seed": args.seed, "cases": cases}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
