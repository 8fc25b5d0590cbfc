#!/usr/bin/env python3
"""Benchmark `db-status --targets FILE` on fleets of local PostgreSQL databases (issue 12).

    python3 bench/fleet.py [--sizes 100,1000] [--modes databases,schemas] [--jobs 16] [--runs 3]
                           [--url-params sslmode=disable] [--keep] [--no-build]

Two shapes of fleet, each at every size:

- databases: one database per target (`CREATE DATABASE … TEMPLATE`, from two
  stamped templates), URL `postgresql://postgres@127.0.0.1:5432/<db>`;
- schemas: one schema per target in a single database, each with its own
  `alembic_version`, selected by `version_table_schema`.

Every tenth target is stamped one revision behind, the rest at head, so the
verdicts can be checked: the run must report exactly that. Measured per
shape x size (median of --runs): wall time, CPU time (user+sys) of
db-status, wall and CPU per target, peak RSS (`/usr/bin/time -v`). Prints a
Markdown table with the machine's load; asserts nothing (not a test).
Every database and schema created here is dropped at the end (--keep keeps
them to poke at).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the working tree

import common  # noqa: E402
from common import fmt_mib, fmt_s, log  # noqa: E402

PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
CHAIN = [f"r{i:02d}" for i in range(20)]  # a 20-revision chain; head = r19
HEAD, BEHIND = CHAIN[-1], CHAIN[-2]


def psql(sql: str, db: str = "postgres") -> None:
    p = subprocess.run(
        ["psql", *PG, "-d", db, "-v", "ON_ERROR_STOP=1", "-Atq"], input=sql, capture_output=True, text=True
    )
    if p.returncode != 0:
        raise RuntimeError(f"psql -d {db} failed: {p.stderr.strip()}")


def stamp_sql(schema: str, rev: str) -> str:
    return (
        f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);\n"
        f"INSERT INTO {schema}.alembic_version VALUES ('{rev}');\n"
    )


def project(work: Path) -> None:
    """A component `app`: alembic.ini + a 20-revision chain, and db-status.toml."""
    versions = work / "app" / "versions"
    versions.mkdir(parents=True)
    down = "None"
    for rev in CHAIN:
        (versions / f"{rev}_step.py").write_text(f'"""step {rev}"""\nrevision = "{rev}"\ndown_revision = {down}\n')
        down = f'"{rev}"'
    (work / "alembic.ini").write_text("[alembic]\nscript_location = app\n")
    (work / "db-status.toml").write_text('[app]\nconfig = "alembic.ini"\n')


def entry(url: str, i: int, schema: str | None) -> str:
    s = f'[[target]]\ncomponent = "app"\nurl = "{url}"\n'
    if schema:
        s += f'version_table_schema = "{schema}"\n'
    return s + f'labels = {{ tenant = "t{i:04d}", env = "bench" }}\n'


def expected(n: int) -> dict[str, int]:
    behind = sum(1 for i in range(n) if i % 10 == 9)
    return {"up-to-date": n - behind, "behind": behind}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000", help="fleet sizes, comma-separated")
    ap.add_argument("--modes", default="databases,schemas", help="databases, schemas or both")
    ap.add_argument("--jobs", default="", help="--jobs values to pass (comma-separated); default: db-status's default")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    ap.add_argument("--url-params", default="", help="query string added to every URL, e.g. sslmode=disable")
    ap.add_argument("--keep", action="store_true", help="keep the databases, schemas and files")
    ap.add_argument("--no-build", action="store_true", help="time target/release/db-status as it is")
    ap.add_argument("--binary", help="time this binary instead (e.g. target/debug/db-status for a dry run)")
    args = ap.parse_args(argv)
    if not shutil.which("psql"):
        sys.exit("psql not found (apt-get install postgresql-client)")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    jobs = [j for j in args.jobs.split(",") if j] or [None]
    query = f"?{args.url_params}" if args.url_params else ""

    binary = Path(args.binary).resolve() if args.binary else common.build_release(build=not args.no_build)
    common.CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fleet-", dir=common.CACHE))
    tag = f"dbs_fleet_bench_{os.getpid()}"
    created: list[str] = []
    rows: list[list[str]] = []
    try:
        project(work)
        need_dbs = max(sizes) if "databases" in modes else 0
        if need_dbs:
            for name, rev in ((f"{tag}_head", HEAD), (f"{tag}_behind", BEHIND)):
                psql(f"CREATE DATABASE {name};")
                created.append(name)
                psql(stamp_sql("public", rev), db=name)
            log(f"creating {need_dbs} databases from the templates")
            sql = "".join(
                f"CREATE DATABASE {tag}_{i} TEMPLATE {tag}_{'behind' if i % 10 == 9 else 'head'};\n"
                for i in range(need_dbs)
            )
            created.extend(f"{tag}_{i}" for i in range(need_dbs))
            psql(sql)
        if "schemas" in modes:
            name = f"{tag}_schemas"
            psql(f"CREATE DATABASE {name};")
            created.append(name)
            log(f"creating {max(sizes)} schemas")
            psql(
                "BEGIN;\n"
                + "".join(
                    f"CREATE SCHEMA t{i:04d};\n" + stamp_sql(f"t{i:04d}", BEHIND if i % 10 == 9 else HEAD)
                    for i in range(max(sizes))
                )
                + "COMMIT;\n",
                db=name,
            )

        for mode in modes:
            for n in sizes:
                if mode == "databases":
                    text = "".join(
                        entry(f"postgresql://postgres@127.0.0.1:5432/{tag}_{i}{query}", i, None) for i in range(n)
                    )
                else:
                    url = f"postgresql://postgres@127.0.0.1:5432/{tag}_schemas{query}"
                    text = "".join(entry(url, i, f"t{i:04d}") for i in range(n))
                targets = work / f"{mode}-{n}.toml"
                targets.write_text(text)
                for j in jobs:
                    argv_ = [str(binary), "--targets", targets.name, "--format", "json"]
                    if j:
                        argv_ += ["--jobs", j]
                    runs = []
                    for r in range(args.runs):
                        log(f"{mode} x {n}{f' --jobs {j}' if j else ''}: run {r + 1}/{args.runs}")
                        runs.append(common.run_once(argv_, timeout=600, cwd=work))
                    doc = json.loads(runs[-1].stdout)
                    got: dict[str, int] = {}
                    for c in doc["components"]:
                        got[c["state"]] = got.get(c["state"], 0) + 1
                    ok = "yes" if got == expected(n) else f"NO: {got}"
                    wall = statistics.median(r.seconds for r in runs if r.seconds is not None)
                    cpu = statistics.median(r.cpu for r in runs if r.cpu is not None)
                    rss = max(r.max_rss_kib or 0 for r in runs)
                    rows.append(
                        [
                            mode,
                            str(n),
                            j or "default",
                            fmt_s(wall),
                            fmt_s(cpu),
                            fmt_s(wall / n),
                            fmt_s(cpu / n),
                            fmt_mib(rss),
                            ok,
                        ]
                    )
        # The figures first: dropping 1,000 databases takes minutes.
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"db-status fleet benchmark — {common.machine()}; load average after: {' '.join(load)}")
        print()
        print(f"Component `app`: a {len(CHAIN)}-revision chain; every tenth target one revision behind.")
        print(f"URL: postgresql://postgres@127.0.0.1:5432/<db>{query} (PostgreSQL's own default TLS negotiation unless given)")
        print()
        common.print_table(
            ["fleet", "targets", "--jobs", "wall", "CPU (user+sys)", "wall/target", "CPU/target", "peak RSS", "verdicts right"],
            rows,
        )
        sys.stdout.flush()
    finally:
        if args.keep:
            log(f"kept {work} and {len(created)} databases ({tag}_*)")
        else:
            log(f"dropping {len(created)} databases")
            try:
                psql("".join(f"DROP DATABASE IF EXISTS {d} WITH (FORCE);\n" for d in reversed(created)))
            except RuntimeError as e:
                log(f"{e}: drop the databases {tag}_* by hand")
            shutil.rmtree(work, ignore_errors=True)

    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
