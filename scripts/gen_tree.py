#!/usr/bin/env python3
"""Write a synthetic Alembic versions tree for benchmarks and tests.

    python3 scripts/gen_tree.py OUT N [--seed S] [--shape linear|branchy]

Writes N revision files into the directory OUT (created if needed), named
`<rev>_<slug>.py` like Alembic's default `file_template`, each rendered from
Alembic 1.20's `templates/generic/script.py.mako` (docstring with Revision
ID / Revises / Create Date, annotated assignments, `upgrade`/`downgrade`
bodies with a few `op` calls).

Shapes:
  linear   one chain: every revision revises the previous one.
  branchy  branch points and merge points (tuple `down_revision`), a few
           `branch_labels` and `depends_on`; all heads are merged at the end,
           so the tree has exactly one head.

Output is deterministic for a given (N, seed, shape). The single head's
revision id is printed on stdout; nothing else is.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys

TEMPLATE = '''"""{message}

Revision ID: {rev}
Revises: {revises}
Create Date: {date}

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {rev_repr}
down_revision: Union[str, Sequence[str], None] = {down_repr}
branch_labels: Union[str, Sequence[str], None] = {labels_repr}
depends_on: Union[str, Sequence[str], None] = {deps_repr}


def upgrade() -> None:
    """Upgrade schema."""
{upgrades}


def downgrade() -> None:
    """Downgrade schema."""
{downgrades}
'''

WORDS = (
    "user session kernel vfolder image agent endpoint quota group domain "
    "keypair resource policy scaling route token audit event artifact model"
).split()


def body(rng: random.Random, table: str) -> tuple[str, str]:
    """Realistic-looking upgrade/downgrade bodies (decoy strings included)."""
    cols = []
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(WORDS) + "_" + rng.choice(("id", "name", "at", "count"))
        kind = rng.choice(("sa.Integer()", "sa.String(length=64)", "sa.DateTime(timezone=True)"))
        cols.append(f"        sa.Column({name!r}, {kind}, nullable={rng.choice((True, False))}),")
    up = [
        "    op.create_table(",
        f"        {table!r},",
        "        sa.Column('id', sa.Integer(), nullable=False),",
        *cols,
        "        sa.PrimaryKeyConstraint('id'),",
        "    )",
    ]
    if rng.random() < 0.3:
        up += [
            "    op.execute(",
            '        """',
            f"        UPDATE {table} SET revision = 'x' WHERE id = 1",
            '        """',
            "    )",
        ]
    down = [f"    op.drop_table({table!r})"]
    return "\n".join(up), "\n".join(down)


def render(rng: random.Random, rev: str, downs: list[str], labels, deps, when) -> str:
    if not downs:
        down_value = None
    elif len(downs) == 1:
        down_value = downs[0]
    else:
        down_value = tuple(downs)
    table = f"{rng.choice(WORDS)}_{rev[:6]}"
    message = f"add {table}" if len(downs) < 2 else "merge heads"
    up, down = body(rng, table)
    return TEMPLATE.format(
        message=message,
        rev=rev,
        revises=", ".join(downs),
        date=when.strftime("%Y-%m-%d %H:%M:%S.%f"),
        rev_repr=repr(rev),
        down_repr=repr(down_value),
        labels_repr=repr(labels),
        deps_repr=repr(deps),
        upgrades=up,
        downgrades=down,
    )


def plan(n: int, rng: random.Random, shape: str):
    """Yield (rev, downs, labels, deps) in creation order."""
    seen: set[str] = set()

    def new_id() -> str:
        while True:
            rev = f"{rng.getrandbits(48):012x}"
            if rev not in seen:
                seen.add(rev)
                return rev

    revs: list[str] = []
    heads: list[str] = []
    label_count = 0
    for i in range(n):
        rev = new_id()
        remaining = n - i
        labels = None
        deps = None
        if not revs:
            downs: list[str] = []
        elif shape == "linear":
            downs = [revs[-1]]
        elif len(heads) > 1 and (remaining <= len(heads) or rng.random() < 0.15):
            # Merge two heads (or all of them once we are near the end).
            k = len(heads) if remaining == 1 else 2
            downs = rng.sample(heads, k)
            for d in downs:
                heads.remove(d)
        elif len(heads) < 4 and rng.random() < 0.1 and remaining > len(heads) + 2:
            # Branch point: a new head from some earlier revision.
            downs = [rng.choice(revs[-50:])]
            if rng.random() < 0.3:
                label_count += 1
                labels = (f"feature{label_count}",)
        else:
            downs = [rng.choice(heads)]
            heads.remove(downs[0])
            if len(revs) > 10 and rng.random() < 0.05:
                dep = rng.choice(revs[:-5])
                if dep not in downs:
                    deps = dep
        for d in downs:
            if d in heads:
                heads.remove(d)
        heads.append(rev)
        revs.append(rev)
        yield rev, downs, labels, deps


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="directory to write the revision files into")
    parser.add_argument("n", type=int, help="number of revisions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shape", choices=("linear", "branchy"), default="linear")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    start = datetime.datetime(2020, 1, 1, 12, 0, 0)
    last = ""
    for i, (rev, downs, labels, deps) in enumerate(plan(args.n, rng, args.shape)):
        when = start + datetime.timedelta(minutes=37 * i, microseconds=i)
        text = render(rng, rev, downs, labels, deps, when)
        slug = "merge_heads" if len(downs) > 1 else "add_table"
        with open(os.path.join(args.out, f"{rev}_{slug}.py"), "w", encoding="utf-8") as f:
            f.write(text)
        last = rev
    print(last)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
