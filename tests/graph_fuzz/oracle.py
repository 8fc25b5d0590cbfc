"""Oracle for tests/integration/graph_alembic_fuzz.rs: answers graph queries with
Alembic 1.20's own RevisionMap and _catch_revision_errors.

stdin: JSON list of cases {"revs": [{id, down, deps, labels}], "queries": [...]}
stdout: JSON list of {"heads", "real_heads", "bases", "revs": {id: {...}}, "answers": [...]}

Alembic orders normalized dependencies as a Python set (hash order); as in
the spec's fuzz_sorted.py they are forced into sorted order here, which is
the order db-status documents.
"""
import json
import sys
import warnings

from alembic.script import revision as R
from alembic.script.base import ScriptDirectory
from alembic.util import CommandError

warnings.simplefilter("ignore")

_orig = R.RevisionMap._normalize_depends_on


def _sorted_deps(self, revisions, map_):
    _orig(self, revisions, map_)
    for r in revisions:
        r._normalized_resolved_dependencies = tuple(sorted(r._normalized_resolved_dependencies))


R.RevisionMap._normalize_depends_on = _sorted_deps


def catch(fn, **ctx):
    try:
        with ScriptDirectory._catch_revision_errors(None, **ctx):
            result = fn()
    except CommandError as e:
        return {"err": "failed", "msg": str(e)}
    except Exception as e:  # tracebacks in Alembic
        return {"err": "crash", "msg": type(e).__name__}
    out = []
    for r in result:
        if not isinstance(r, R.Revision):
            return {"err": "crash", "msg": "not a revision: %r" % (r,)}
        out.append(r.revision)
    return {"ok": out}


def run_case(case):
    revs = case["revs"]
    rm = R.RevisionMap(lambda: [
        R.Revision(r["id"], tuple(r["down"]) or None,
                   dependencies=tuple(r["deps"]) or None,
                   branch_labels=tuple(r["labels"]) or None)
        for r in revs])
    res = {
        "heads": list(rm.heads),
        "real_heads": list(rm._real_heads),
        "bases": list(rm.bases),
        "revs": {},
        "answers": [],
    }
    for r in revs:
        ar = rm.get_revision(r["id"])
        res["revs"][r["id"]] = {
            "labels": sorted(ar.branch_labels),
            "norm_deps": list(ar._normalized_resolved_dependencies),
            "bp": ar.is_branch_point,
            "mp": ar.is_merge_point,
        }
    for q in case["queries"]:
        kind = q["kind"]
        if kind == "hist":
            lower, upper = q["lower"], q["upper"]
            ans = catch(lambda: list(rm.iterate_revisions(
                upper, lower, inclusive=True, assert_relative_length=False)),
                start=lower, end=upper)
        elif kind == "resolve":
            ans = catch(lambda: rm.get_revisions(q["ident"]))
        elif kind == "state":
            applied = set()
            for t in q["targets"]:
                applied |= {x.revision for x in rm._get_ancestor_nodes([rm.get_revision(t)])}
            rows = tuple(sorted(
                t for t in applied
                if not ({x.revision for x in rm._get_descendant_nodes([rm.get_revision(t)])} - {t}) & applied))
            pend = catch(lambda: list(reversed(list(rm.iterate_revisions(
                "heads", rows, implicit_base=True)))), end="heads")
            cur = catch(lambda: sorted(rm._get_all_current(rows), key=lambda r: r.revision))
            ans = {"rows": list(rows), "pending": pend, "current": cur}
        else:
            raise ValueError(kind)
        res["answers"].append(ans)
    return res


def main():
    cases = json.load(sys.stdin)
    json.dump([run_case(c) for c in cases], sys.stdout)


main()
