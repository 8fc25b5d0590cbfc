#!/usr/bin/env python3
"""Benchmark `heads`, `history` and `status` on large synthetic trees, against
the floor program and Alembic (issues #2 and 9).

    python3 bench/scripts.py [--sizes 1000,10000,100000] [--runs 5]
    DB_STATUS_BENCH_SIZES=1000 bash bench/scripts.sh       # a quick run

For each size and tree variant (labels / nolabels), in one run:

- the floor: `target/release/examples/floor DIR` (bench/floor.rs), which lists
  the versions directory and open/read/closes every file exactly as db-status
  does, on the same threads, and nothing else;
- `db-status -c INI heads|history|status` (release build); `status` reads a
  SQLite file stamped at the tree's head (read-only, as always);
- Alembic's `heads` and `history` (sizes up to --alembic-max-size: median of
  --alembic-runs at 1,000, one run above);
- medians of wall time and of CPU time (user+sys of the child, from `wait4`),
  the ratios db-status/floor (CPU and wall) and Alembic/db-status (wall), and
  db-status's peak RSS (`ru_maxrss` of the child, which is GNU time's `%M`);
- whether db-status printed the same bytes as Alembic.

Prints Markdown tables and the issue's goals with their verdicts; asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no bench/__pycache__ in the working tree

import common  # noqa: E402
from common import fmt_mib, fmt_ratio, fmt_s, log  # noqa: E402


def stamped_sqlite(t: common.Tree) -> Path:
    """A SQLite file next to the tree whose version table holds the tree's head."""
    path = t.root / "stamped-head.db"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        con = sqlite3.connect(tmp)
        con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        con.execute("INSERT INTO alembic_version VALUES (?)", (t.head,))
        con.commit()
        con.close()
        tmp.rename(path)
    return path


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default=os.environ.get("DB_STATUS_BENCH_SIZES", "1000,10000,100000"),
        help="comma-separated tree sizes (env DB_STATUS_BENCH_SIZES)",
    )
    ap.add_argument("--commands", default="heads,history,status")
    ap.add_argument("--variants", default="labels,nolabels", help="labels: gen_tree as is; nolabels: branch_labels rewritten to None")
    ap.add_argument("--runs", type=int, default=5, help="runs per db-status / floor median (after one warm-up)")
    ap.add_argument("--alembic-runs", type=int, default=5, help="runs per Alembic median at sizes <= 1000")
    ap.add_argument("--alembic-limit", type=float, default=300.0, help="seconds before a single Alembic run is abandoned")
    ap.add_argument("--alembic-max-size", type=int, default=10000, help="do not run Alembic above this many revisions")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-build", action="store_true", help="time target/release/db-status and the floor as they are")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    commands = [c for c in args.commands.split(",") if c]
    variants = [v for v in args.variants.split(",") if v]

    binary, floor_bin = common.build_release(build=not args.no_build), common.build_floor(build=not args.no_build)
    alembic = common.alembic_argv() if any(n <= args.alembic_max_size for n in sizes) else []
    rows = []
    floors = []
    notes = []
    summary = {}
    for n in sizes:
        for variant in variants:
            t = common.tree(n, args.seed, labels=variant == "labels")
            log(f"{n} {variant}: floor")
            floor = common.measure([str(floor_bin), str(t.versions)], runs=args.runs)
            floor1 = common.measure([str(floor_bin), "--threads", "1", str(t.versions)], runs=args.runs)
            floors.append(
                [f"{n:,}", variant, fmt_s(floor.cpu), fmt_s(floor.wall), fmt_s(floor1.cpu), fmt_s(floor1.wall), fmt_mib(floor.rss_kib)]
            )
            for cmd in commands:
                if cmd == "status":
                    url = f"sqlite:///{stamped_sqlite(t)}"
                    ds_argv = [str(binary), "-c", str(t.ini), "--url", url, "status"]
                else:
                    ds_argv = [str(binary), "-c", str(t.ini), cmd]
                log(f"{n} {variant}: db-status {cmd}")
                ds = common.measure(ds_argv, runs=args.runs, env={"NO_COLOR": "1"})
                al = None
                same = "-"
                if cmd != "status" and n <= args.alembic_max_size:
                    al_argv = [*alembic, "-c", str(t.ini), cmd]
                    log(f"{n} {variant}: alembic {cmd}")
                    al = common.measure(
                        al_argv, runs=args.alembic_runs if n <= 1000 else 1, warmup=1 if n <= 1000 else 0, timeout=args.alembic_limit
                    )
                    if al.wall is None:
                        notes.append(f"Alembic `{cmd}` at {n:,} ({variant}) killed after {args.alembic_limit:.0f} s.")
                        al = None
                    else:
                        same = common.same_output(ds.stdout, al.stdout)
                        if al.returncode != ds.returncode:
                            same = f"NO (exit {ds.returncode} vs {al.returncode})"
                        if n > 1000:
                            notes.append(
                                f"Alembic `{cmd}` at {n:,} ({variant}): one run, {fmt_s(al.wall)} wall, "
                                f"{fmt_s(al.cpu)} CPU, peak RSS {fmt_mib(al.rss_kib)}."
                            )
                summary[(n, variant, cmd)] = (ds, al, floor)
                rows.append(
                    [
                        f"{n:,}",
                        variant,
                        cmd,
                        fmt_s(ds.cpu),
                        fmt_s(ds.wall),
                        fmt_ratio(ds.cpu / floor.cpu if ds.cpu and floor.cpu else None),
                        fmt_ratio(ds.wall / floor.wall if ds.wall and floor.wall else None),
                        fmt_s(al.wall) if al else "-",
                        fmt_ratio(al.wall / ds.wall if al and ds.wall else None),
                        fmt_ratio(al.cpu / ds.cpu if al and al.cpu and ds.cpu else None),
                        fmt_mib(ds.rss_kib),
                        same,
                    ]
                )

    print(f"db-status scripts benchmark — {common.machine()}")
    print(f"Medians of {args.runs} runs after one warm-up; CPU = user+sys of the process (primary figure), wall secondary.")
    print()
    common.print_table(
        [
            "revisions",
            "tree",
            "command",
            "db-status CPU",
            "db-status wall",
            "CPU / floor",
            "wall / floor",
            "Alembic wall",
            "Alembic / db-status",
            "same, CPU",
            "db-status peak RSS",
            "same bytes as Alembic",
        ],
        rows,
    )
    print()
    print("The floor (bench/floor.rs: list + open/read/close every file, db-status's threads; and on one thread):")
    print()
    common.print_table(
        ["revisions", "tree", "floor CPU", "floor wall", "1-thread CPU", "1-thread wall", "floor peak RSS"], floors
    )
    print()
    for note in notes:
        print(f"- {note}")
    if notes:
        print()
    print("Goals:")
    for variant in variants:
        for cmd in ("heads", "status"):
            if (100000, variant, cmd) not in summary:
                continue
            ds, _, floor = summary[(100000, variant, cmd)]
            ok_wall = ds.wall is not None and ds.wall < 1
            ok_cpu = ds.cpu is not None and floor.cpu and ds.cpu <= 2 * floor.cpu
            print(
                f"- 100,000 {variant} `{cmd}`: wall {fmt_s(ds.wall)} (< 1 s: {'met' if ok_wall else 'NOT met'}), "
                f"CPU {fmt_s(ds.cpu)} = {fmt_ratio(ds.cpu / floor.cpu if ds.cpu and floor.cpu else None)} the floor "
                f"(<= 2x: {'met' if ok_cpu else 'NOT met'})"
            )
    peaks = [(k, v[0].rss_kib) for k, v in summary.items() if v[0].rss_kib is not None]
    if peaks:
        (n, variant, cmd), rss = max(peaks, key=lambda kv: kv[1])
        ok = rss * 1024 < 100_000_000
        print(
            f"- peak memory < 100 MB (all sizes, both variants): largest {rss * 1024 / 1e6:.0f} MB ({fmt_mib(rss)}, "
            f"{n:,} {variant} `{cmd}`) -> {'met' if ok else 'NOT met'}"
        )
    for variant in variants:
        for cmd in ("heads", "history"):
            if (1000, variant, cmd) not in summary:
                continue
            ds, al, floor = summary[(1000, variant, cmd)]
            if al and ds.wall:
                verdict = "met" if al.wall / ds.wall >= 100 else "NOT met"
                print(
                    f"- 1,000 {variant} `{cmd}`: {fmt_ratio(al.wall / ds.wall)} Alembic (>= 100x: {verdict}; "
                    f"CPU {fmt_ratio(al.cpu / ds.cpu if al.cpu and ds.cpu else None)})",
                    end="",
                )
            else:
                print(f"- 1,000 {variant} `{cmd}`: Alembic not run", end="")
            ok = ds.cpu is not None and floor.cpu and ds.cpu <= 2 * floor.cpu
            print(f"; CPU {fmt_ratio(ds.cpu / floor.cpu if ds.cpu and floor.cpu else None)} the floor (<= 2x: {'met' if ok else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
