#!/usr/bin/env python3
"""Benchmark `db-status --all` on a Backend.AI-sized workspace (issue #3).

    python3 bench/status.py [--runs 10] [--alembic-runs 5] [--keep]

Three components with the Backend.AI built-in ini names (`alembic.ini`,
`alembic-accountmgr.ini`, `alembic-appproxy.ini`), each a branchy tree of
500 revisions (~35 merges) and its own PostgreSQL database on
127.0.0.1:5432 (user postgres), created here and dropped afterwards. Real
`alembic stamp` puts them in three states: manager at head, accountmgr ten
revisions behind on the first-parent line, appproxy fresh (no version
table).

Measured (medians of wall and of CPU = user+sys): `db-status --all`;
Alembic's `current` + `heads` for each component (6 invocations, summed); the
floor = one process (`bench/floor.rs`) that lists and reads the three trees
as db-status does and runs `select version_num from alembic_version` once per
database on an open connection, and its two parts alone. Also db-status's
files-only time (`heads` per component). Prints a Markdown table; asserts
nothing.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the working tree

import common  # noqa: E402
from common import fmt_ratio, fmt_s, log  # noqa: E402

COMPONENTS = (
    # (name, ini file, tree seed, state to stamp)
    ("manager", "alembic.ini", 1, "head"),
    ("accountmgr", "alembic-accountmgr.ini", 2, "behind"),
    ("appproxy", "alembic-appproxy.ini", 3, "fresh"),
)
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]


def psql(*args: str, db: str = "postgres") -> subprocess.CompletedProcess:
    return subprocess.run(["psql", *PG, "-d", db, "-v", "ON_ERROR_STOP=1", "-Atq", *args], capture_output=True, text=True)


def first_parent_ancestor(versions: Path, head: str, steps: int) -> str:
    """The revision `steps` first-parent links below `head` (read with `ast`)."""
    parents: dict[str, str | None] = {}
    for f in versions.glob("*.py"):
        fields = {}
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                fields[node.target.id] = ast.literal_eval(node.value) if node.value else None
        down = fields.get("down_revision")
        parents[fields["revision"]] = down[0] if isinstance(down, tuple) else down
    rev = head
    for _ in range(steps):
        parent = parents[rev]
        if parent is None:
            break
        rev = parent
    return rev


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10, help="runs per db-status / floor median")
    ap.add_argument("--alembic-runs", type=int, default=5, help="runs per Alembic median")
    ap.add_argument("--keep", action="store_true", help="keep the databases and the workspace (to poke at them)")
    ap.add_argument("--no-build", action="store_true", help="time target/release/db-status as it is")
    args = ap.parse_args(argv)
    if not shutil.which("psql"):
        sys.exit("psql not found: it creates and drops the databases (apt-get install postgresql-client)")

    binary = common.build_release(build=not args.no_build)
    floor_bin = common.build_floor(build=not args.no_build)
    alembic = common.alembic_argv()
    work = Path(tempfile.mkdtemp(prefix="status-", dir=common.CACHE))
    tag = f"{os.getpid()}"
    dbs = {name: f"dbstatus_bench_{tag}_{name}" for name, *_ in COMPONENTS}
    trees = {}
    created: list[str] = []
    try:
        for name, ini, seed, state in COMPONENTS:
            t = common.tree(500, seed)
            trees[name] = t
            url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{dbs[name]}"
            common.write_ini(work / ini, t.script_location, url)
            p = psql("-c", f'CREATE DATABASE "{dbs[name]}"')
            if p.returncode != 0:
                sys.exit(f"cannot create database {dbs[name]} on 127.0.0.1:5432: {p.stderr.strip()}")
            created.append(dbs[name])
            target = {"head": "heads", "behind": first_parent_ancestor(t.versions, t.head, 10), "fresh": None}[state]
            if target is not None:
                log(f"{name}: alembic stamp {target}")
                st = subprocess.run([*alembic, "-c", ini, "stamp", target], cwd=work, capture_output=True, text=True)
                if st.returncode != 0:
                    sys.exit(f"alembic -c {ini} stamp {target} failed:\n{st.stdout}{st.stderr}")

        # What db-status concluded, so the figures are about the right answers.
        js = subprocess.run([str(binary), "--all", "--format", "json"], cwd=work, capture_output=True, text=True)
        doc = json.loads(js.stdout)
        verdicts = [
            f"{c['name']}: {c['state']} (pending {c.get('pending_count', '-')})" for c in doc.get("components", [])
        ]

        log("db-status --all")
        m = common.measure([str(binary), "--all"], runs=args.runs, cwd=work, env={"NO_COLOR": "1"})
        ds, ds_cpu = m.wall, m.cpu
        log("db-status heads per component (files only)")
        ds_files = sum(
            common.measure([str(binary), "-c", ini, "heads"], runs=args.runs, cwd=work).wall
            for _, ini, *_ in COMPONENTS
        )

        log("alembic current + heads per component")
        al_parts = {}
        for name, ini, *_ in COMPONENTS:
            for cmd in ("current", "heads"):
                al_parts[(name, cmd)] = common.measure(
                    [*alembic, "-c", ini, cmd], runs=args.alembic_runs, warmup=1, cwd=work
                ).wall
        al = sum(al_parts.values())

        log("floor")
        dirs = [str(trees[n].versions) for n, *_ in COMPONENTS]
        pg = [a for n, *_ in COMPONENTS for a in ("--pg", f"postgresql://postgres@127.0.0.1:5432/{dbs[n]}")]
        m = common.measure([str(floor_bin), *pg, *dirs], runs=args.runs)
        floor, floor_cpu = m.wall, m.cpu
        floor_files = common.measure([str(floor_bin), *dirs], runs=args.runs)
        floor_pg = common.measure([str(floor_bin), *pg], runs=args.runs)
    finally:
        if not args.keep:
            for db in created:
                p = psql("-c", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                if p.returncode != 0:
                    log(f"could not drop {db}: {p.stderr.strip()} (drop it by hand)")
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work} and databases {', '.join(created)}")

    print(f"db-status status benchmark — {common.machine()}")
    print()
    print("Workspace: 3 components x 500 revisions (branchy, one head each), PostgreSQL 127.0.0.1:5432.")
    print("db-status verdicts: " + "; ".join(verdicts))
    print()
    rows = [
        ["db-status --all", fmt_s(ds), "1.0x", fmt_ratio(ds / floor)],
        ["  its CPU time (user+sys)", fmt_s(ds_cpu), "", ""],
        ["  of which files (3x `db-status heads`)", fmt_s(ds_files), "", ""],
        ["Alembic current+heads x3 (6 runs, sum)", fmt_s(al), fmt_ratio(al / ds), ""],
    ]
    for (name, cmd), s in al_parts.items():
        rows.append([f"  alembic -c {dict((n, i) for n, i, *_ in COMPONENTS)[name]} {cmd}", fmt_s(s), "", ""])
    rows += [
        ["floor: read 3 trees + 1 query per database, one process", fmt_s(floor), "", "1.0x"],
        ["  its CPU time (user+sys)", fmt_s(floor_cpu), "", fmt_ratio(ds_cpu / floor_cpu) + " (CPU)"],
        ["  files only (wall / CPU)", f"{fmt_s(floor_files.wall)} / {fmt_s(floor_files.cpu)}", "", ""],
        ["  3 connections + queries only (wall / CPU)", f"{fmt_s(floor_pg.wall)} / {fmt_s(floor_pg.cpu)}", "", ""],
    ]
    common.print_table(["what", "median", "vs db-status (Alembic/db-status)", "vs floor (db-status/floor)"], rows)
    print()
    print("Targets:")
    print(f"- >=100x faster than Alembic: {fmt_ratio(al / ds)} -> {'met' if al / ds >= 100 else 'NOT met'}")
    print(f"- <=2x the floor (wall): {fmt_ratio(ds / floor)} -> {'met' if ds / floor <= 2 else 'NOT met'}")
    print(f"- <=2x the floor (CPU): {fmt_ratio(ds_cpu / floor_cpu)} -> {'met' if ds_cpu / floor_cpu <= 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
