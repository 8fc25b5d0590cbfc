"""Shared helpers for the db-status benchmarks (not part of the test suite).

Everything here measures and prints; nothing asserts. Trees are generated
with `scripts/gen_tree.py` into a cache directory (default
`/tmp/db-status-bench`, override with `DB_STATUS_BENCH_DIR`) and reused
while the generator and the parameters are unchanged, because writing
100,000 files takes longer than benchmarking them.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("DB_STATUS_BENCH_DIR", "/tmp/db-status-bench"))
GEN_TREE = REPO / "scripts" / "gen_tree.py"

# Alembic must compile every revision file on every run, as it does on a
# fresh checkout or in a container; and the trees must not grow
# __pycache__ directories that db-status would then also have to walk.
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

ENV_PY = '''from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def log(msg: str) -> None:
    """Progress goes to stderr so the table on stdout stays clean."""
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def python_bin() -> Path:
    """The venv interpreter with real Alembic (`DB_STATUS_PYTHON` overrides)."""
    return Path(os.environ.get("DB_STATUS_PYTHON", REPO / ".venv" / "bin" / "python"))


def alembic_argv() -> list[str]:
    """`.venv/bin/alembic` as users run it, or `python -m alembic` if absent."""
    py = python_bin()
    if not py.exists():
        sys.exit(
            f"no Python with Alembic at {py}: run `bash scripts/setup-venv.sh` "
            "or set DB_STATUS_PYTHON"
        )
    script = py.parent / "alembic"
    return [str(script)] if script.exists() else [str(py), "-m", "alembic"]


def build_release(build: bool = True) -> Path:
    """`cargo build --release` (unless `build` is false) and the binary's path."""
    if build:
        log("cargo build --release")
        if subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO).returncode != 0:
            sys.exit("cargo build --release failed (see above); fix the build, or pass --no-build to time the existing binary")
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    binary = target / "release" / "db-status"
    if not binary.exists():
        sys.exit(f"cargo build --release did not produce {binary}")
    # Time a private copy: in a shared tree someone may rebuild
    # target/release mid-run, and the figures must be of one binary.
    CACHE.mkdir(parents=True, exist_ok=True)
    snapshot = CACHE / f"db-status.{os.getpid()}"
    shutil.copy2(binary, snapshot)
    atexit.register(lambda: snapshot.unlink(missing_ok=True))
    return snapshot


def build_floor(build: bool = True) -> Path:
    """`cargo build --release --example floor` and a private copy of the floor program."""
    if build:
        log("cargo build --release --example floor")
        if subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "floor"], cwd=REPO).returncode != 0:
            sys.exit("cargo build --release --example floor failed (see above)")
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    binary = target / "release" / "examples" / "floor"
    if not binary.exists():
        sys.exit(f"no floor program at {binary}: run without --no-build once")
    CACHE.mkdir(parents=True, exist_ok=True)
    snapshot = CACHE / f"floor.{os.getpid()}"
    shutil.copy2(binary, snapshot)
    atexit.register(lambda: snapshot.unlink(missing_ok=True))
    return snapshot


@dataclass
class Measured:
    """Medians over the timed runs; peak RSS of the first run (GNU time `%M`)."""

    wall: float | None
    cpu: float | None
    rss_kib: int | None
    returncode: int | None
    stdout: str


def _run_rusage(
    argv: list[str], stdout, timeout: float | None, cwd: Path | None, env: dict | None, peak: bool = False
):
    """(wall, user+sys, peak RSS KiB, exit code) of one child, from `wait4`; None wall on timeout.

    `wait4`'s `ru_maxrss` cannot be used for the peak: Linux carries the
    high-water mark of the forked image across `exec`, so every child would
    report at least this Python process's own size. With `peak`, the child
    runs under GNU time (`%M`), whose small forked image does not mask it.
    """
    full_env = None if env is None else {**os.environ, **env}
    gnu_time = Path("/usr/bin/time")
    tf = None
    if peak and gnu_time.exists():
        tf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
        argv = [str(gnu_time), "-f", "%M", "-o", tf.name, *argv]
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL, cwd=cwd, env=full_env)
    timer = None
    killed = []
    if timeout is not None:
        import threading

        def kill() -> None:
            killed.append(True)
            p.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if timer is not None:
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    rss = None
    if tf is not None:
        lines = tf.read().split()
        tf.close()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else None
    if killed:
        return None, None, None, None
    return wall, ru.ru_utime + ru.ru_stime, rss, p.returncode


def measure(
    argv: list[str],
    runs: int = 5,
    warmup: int = 1,
    timeout: float | None = None,
    cwd: Path | None = None,
    env: dict | None = None,
) -> Measured:
    """Median wall and median CPU (user+sys, from the child's `wait4` rusage)
    of `runs` runs after `warmup` runs. The first run (the warm-up, or the
    only run) also gives the peak RSS, under GNU time (`%M`), and its stdout
    is kept (to compare outputs); timed runs write to /dev/null. A run past
    `timeout` is killed and the result has `wall=None`.
    """
    walls: list[float] = []
    cpus: list[float] = []
    rss: int | None = None
    code: int | None = None
    out = ""
    for i in range(warmup + runs):
        if i == 0:
            with tempfile.TemporaryFile() as f:
                wall, cpu, rss, code = _run_rusage(argv, f, timeout, cwd, env, peak=True)
                f.seek(0)
                out = f.read().decode("utf-8", "replace")
        else:
            wall, cpu, _, code = _run_rusage(argv, subprocess.DEVNULL, timeout, cwd, env)
        if wall is None:
            return Measured(None, None, None, None, out)
        if i >= warmup:
            walls.append(wall)
            cpus.append(cpu)
    return Measured(statistics.median(walls), statistics.median(cpus), rss, code, out)


def revision() -> str:
    """The commit being measured (`+dirty` when the tree has local changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src", "Cargo.toml"], cwd=REPO).returncode
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@dataclass
class Tree:
    """A generated Alembic project: `root/alembic.ini`, `root/migrations/versions/`."""

    root: Path
    n: int
    head: str

    @property
    def script_location(self) -> Path:
        return self.root / "migrations"

    @property
    def versions(self) -> Path:
        return self.script_location / "versions"

    @property
    def ini(self) -> Path:
        return self.root / "alembic.ini"


def write_ini(path: Path, script_location: Path, url: str | None = None) -> None:
    """A minimal ini: what `alembic init` would leave after trimming comments."""
    lines = ["[alembic]", f"script_location = {script_location}"]
    if url is not None:
        lines.append(f"sqlalchemy.url = {url}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


LABELS_LINE = "branch_labels: Union[str, Sequence[str], None] = "


def tree(n: int, seed: int, shape: str = "branchy", labels: bool = True) -> Tree:
    """Generate (or reuse from the cache) a tree of `n` revisions.

    `labels=False` rewrites every `branch_labels` to None after generating:
    the same graph without labels. Alembic copies each label onto every
    descendant, so gen_tree's ~n/40 labels cost O(n * labels) in any
    faithful implementation and in the size of `history`'s output; the
    unlabelled twin shows the cost of everything else.
    """
    gen_hash = hashlib.sha256(GEN_TREE.read_bytes()).hexdigest()[:16]
    root = CACHE / f"{shape}-{n}-s{seed}{'' if labels else '-nolabels'}"
    marker = root / ".complete"
    if marker.exists():
        try:
            saved = json.loads(marker.read_text())
            if saved.get("gen") == gen_hash:
                return Tree(root, n, saved["head"])
        except (ValueError, KeyError):
            pass
    if root.exists():
        shutil.rmtree(root)
    log(f"generating {shape} tree of {n} revisions (seed {seed}) in {root}")
    t0 = time.perf_counter()
    versions = root / "migrations" / "versions"
    out = subprocess.run(
        [sys.executable, str(GEN_TREE), str(versions), str(n), "--seed", str(seed), "--shape", shape],
        check=True,
        capture_output=True,
        text=True,
    )
    head = out.stdout.strip()
    if not labels:
        for f in versions.glob("*.py"):
            text = f.read_text(encoding="utf-8")
            lines = [
                LABELS_LINE + "None" if line.startswith(LABELS_LINE) else line for line in text.split("\n")
            ]
            f.write_text("\n".join(lines), encoding="utf-8")
    (root / "migrations" / "env.py").write_text(ENV_PY, encoding="utf-8")
    write_ini(root / "alembic.ini", root / "migrations")
    marker.write_text(json.dumps({"gen": gen_hash, "head": head}))
    log(f"  generated in {time.perf_counter() - t0:.1f} s")
    return Tree(root, n, head)


@dataclass
class Once:
    """One timed run: wall seconds, CPU seconds, peak RSS (KiB), exit code, stdout."""

    seconds: float | None
    cpu: float | None
    max_rss_kib: int | None
    returncode: int | None
    stdout: str


def run_once(argv: list[str], timeout: float | None = None, cwd: Path | None = None) -> Once:
    """Run once under `/usr/bin/time -v` (when present) for wall time and peak RSS.

    A run past `timeout` is killed and reported with `seconds=None`.
    """
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as tf:
        full = [str(gnu_time), "-v", "-o", tf.name, *argv] if gnu_time.exists() else argv
        t0 = time.perf_counter()
        try:
            p = subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Once(None, None, None, None, "")
        wall = time.perf_counter() - t0
        rss = None
        cpu = None
        for line in tf.read().splitlines():
            key, _, value = line.strip().rpartition(": ")
            if key == "Maximum resident set size (kbytes)":
                rss = int(value)
            elif key in ("User time (seconds)", "System time (seconds)"):
                cpu = (cpu or 0.0) + float(value)
        return Once(wall, cpu, rss, p.returncode, p.stdout)


_PAREN = re.compile(r"\(([^()]*)\)")


def same_output(ours: str, alembic: str) -> str:
    """'yes', 'yes (label order)' or 'NO'.

    Alembic prints inherited branch labels in Python `set` order, which
    depends on the hash seed; db-status sorts them (a documented deviation).
    So a second comparison sorts the items inside each `( … )` group.
    """
    if ours == alembic:
        return "yes"

    def norm(text: str) -> str:
        return _PAREN.sub(lambda m: "(" + ", ".join(sorted(m.group(1).split(", "))) + ")", text)

    return "yes (label order)" if norm(ours) == norm(alembic) else "NO"


def fmt_s(s: float | None) -> str:
    """Seconds in a unit that keeps 3 significant figures readable."""
    if s is None:
        return "-"
    if s < 1:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:,.1f}x"


def fmt_mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f} MiB"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """A Markdown table (pastes straight into bench/README.md)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


def machine() -> str:
    """One line describing where the figures came from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{stamp}, {os.cpu_count()} cores ({cpu}), load average {load}, db-status at {revision()}"
