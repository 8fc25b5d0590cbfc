#!/usr/bin/env python3
"""Benchmark `heads` and `history` on large synthetic trees (issue #2).

    python3 bench/scripts.py [--sizes 1000,10000,100000] [--runs 10]
                             [--alembic-limit 300] [--seed 7]

For each size: a branchy tree (branch points, merges, labels, depends_on;
one head) with a minimal alembic.ini. Measures the median wall time of
`db-status -c INI heads|history` (release build), Alembic's time for the
same command (hyperfine median at 1,000; a single run above, killed after
--alembic-limit seconds), the floor (`cat` of every revision file), the
ratios, db-status's peak RSS, and whether the two tools printed the same
bytes. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import shlex
import sys

sys.dont_write_bytecode = True  # no bench/__pycache__ in the working tree

import common  # noqa: E402
from common import fmt_mib, fmt_ratio, fmt_s, log  # noqa: E402


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--commands", default="heads,history")
    ap.add_argument("--variants", default="labels,nolabels", help="labels: gen_tree as is; nolabels: branch_labels rewritten to None")
    ap.add_argument("--runs", type=int, default=10, help="runs per db-status / floor median")
    ap.add_argument("--alembic-runs", type=int, default=5, help="runs per Alembic median at sizes <= 1000")
    ap.add_argument("--alembic-limit", type=float, default=300.0, help="seconds before a single Alembic run is abandoned")
    ap.add_argument("--alembic-max-size", type=int, default=100000, help="do not run Alembic above this many revisions")
    ap.add_argument("--ds-limit", type=float, default=900.0, help="seconds before a db-status run is abandoned")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-build", action="store_true", help="time target/release/db-status as it is")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    commands = [c for c in args.commands.split(",") if c]
    variants = [v for v in args.variants.split(",") if v]

    binary = common.build_release(build=not args.no_build)
    alembic = common.alembic_argv()
    rows = []
    notes = []
    summary = {}
    for n in sizes:
        for variant in variants:
            t = common.tree(n, args.seed, labels=variant == "labels")
            files = f"find {shlex.quote(str(t.versions))} -name '*.py' -print0 | xargs -0 cat > /dev/null"
            log(f"{n} {variant}: floor (cat of {n} files)")
            floor, _ = common.median_time(files, runs=args.runs, shell=True)
            alembic_gave_up = n > args.alembic_max_size
            if alembic_gave_up:
                notes.append(f"Alembic not run at {n:,} ({variant}): above --alembic-max-size.")
            for cmd in commands:
                ds_cmd = [str(binary), "-c", str(t.ini), cmd]
                log(f"{n} {variant}: db-status {cmd}")
                # The first run gives peak RSS, the output to compare and
                # whether a median of several runs is affordable at all.
                mem = common.run_once(ds_cmd, timeout=args.ds_limit)
                if mem.seconds is None:
                    notes.append(f"db-status `{cmd}` at {n:,} ({variant}) killed after {args.ds_limit:.0f} s.")
                    ds, ds_cpu, single = None, None, True
                elif mem.seconds > 5:
                    ds, ds_cpu, single = mem.seconds, mem.cpu, True
                else:
                    (ds, ds_cpu), single = common.median_time(shlex.join(ds_cmd), runs=args.runs), False
                al_cmd = [*alembic, "-c", str(t.ini), cmd]
                al: float | None = None
                same = "-"
                if not alembic_gave_up:
                    log(f"{n} {variant}: alembic {cmd}")
                    once = common.run_once(al_cmd, timeout=args.alembic_limit)
                    if once.seconds is None:
                        alembic_gave_up = True
                        notes.append(
                            f"Alembic `{cmd}` at {n:,} ({variant}) killed after {args.alembic_limit:.0f} s; "
                            "later commands at this size not run."
                        )
                    else:
                        if mem.seconds is not None:
                            same = common.same_output(mem.stdout, once.stdout)
                            if once.returncode != mem.returncode:
                                same = f"NO (exit {mem.returncode} vs {once.returncode})"
                        al = once.seconds
                        if n <= 1000:
                            al, _ = common.median_time(shlex.join(al_cmd), runs=args.alembic_runs, warmup=1)
                        else:
                            notes.append(
                                f"Alembic `{cmd}` at {n:,} ({variant}): one run, {fmt_s(once.seconds)} wall, "
                                f"{fmt_s(once.cpu)} CPU, peak RSS {fmt_mib(once.max_rss_kib)}."
                            )
                summary[(n, variant, cmd)] = (ds, al, mem.max_rss_kib)
                rows.append(
                    [
                        f"{n:,}",
                        variant,
                        cmd,
                        fmt_s(ds) + (" (1 run)" if single and ds is not None else ""),
                        fmt_s(ds_cpu),
                        fmt_s(al),
                        fmt_ratio(al / ds if al and ds else None),
                        fmt_s(floor),
                        fmt_ratio(ds / floor if ds else None),
                        fmt_mib(mem.max_rss_kib),
                        same,
                    ]
                )

    print(f"db-status scripts benchmark — {common.machine()}")
    print()
    common.print_table(
        [
            "revisions",
            "tree",
            "command",
            "db-status wall",
            "db-status CPU",
            "Alembic wall",
            "Alembic/db-status",
            "floor (cat)",
            "db-status/floor",
            "db-status peak RSS",
            "same bytes",
        ],
        rows,
    )
    print()
    for note in notes:
        print(f"- {note}")
    print()
    print("Targets (labelled tree, as gen_tree.py writes it):")
    for cmd in commands:
        ds, al, _ = summary.get((1000, "labels", cmd), (None, None, None))
        if ds and al:
            verdict = "met" if al / ds >= 100 else "NOT met"
            print(f"- >=100x faster than Alembic at 1,000 ({cmd}): {fmt_ratio(al / ds)} -> {verdict}")
    for variant in variants:
        if (100000, variant, "heads") in summary:
            ds, _, rss = summary[(100000, variant, "heads")]
            print(f"- 100,000 ({variant}) `heads` < 1 s: {fmt_s(ds)} -> {'met' if ds is not None and ds < 1 else 'NOT met'}")
            # MB as in the target: 10^6 bytes, stricter than MiB.
            ok = rss is not None and rss * 1024 < 200_000_000
            mb = "-" if rss is None else f"{rss * 1024 / 1e6:.0f} MB"
            print(f"- 100,000 ({variant}) `heads` peak memory < 200 MB: {mb} ({fmt_mib(rss)}) -> {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
