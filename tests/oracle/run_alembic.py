"""Run a batch of Alembic command lines in one Python process.

The conformance suite needs thousands of `alembic <cmd>` results. Starting a
fresh interpreter for each costs ~0.4 s (Python start-up plus importing
Alembic and SQLAlchemy), so this oracle reads a JSON list of jobs on stdin,

    [{"cwd": "/tmp/x", "argv": ["heads", "-v"], "env": {"ALEMBIC_CONFIG": "a.ini"}}, ...]

runs each exactly as the `alembic` console script would (same argparse
parser, same `Config`, same `run_cmd` error handling) and writes a JSON list
of results to stdout, one per job and in the same order:

    [{"stdout": "...", "stderr": "...", "exit": 0}, ...]

Exit codes follow the console script: 0; 255 for `FAILED: ...`
(`sys.exit(-1)`); 2 for argparse errors; 1 for an uncaught exception (the
traceback goes to "stderr").

Run it with PYTHONHASHSEED fixed (the suite uses 0): Alembic prints some sets
in hash order, and the seed of the process is what decides that order.
`tests/integration/conformance.rs` checks that results from here equal those of the
real `alembic` executable on a sample of jobs.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback

# Revision files are executed per job; keep their byte-code out of the
# scenario trees (a stray __pycache__ would change what `sourceless` sees).
sys.dont_write_bytecode = True

import alembic.util  # noqa: E402
from alembic.config import CommandLine, Config  # noqa: E402
from alembic.util import messaging  # noqa: E402

# `msg()` wraps FAILED lines when fd 0 is a terminal; the suite always runs
# Alembic with stdin not a TTY, so pin the unwrapped form.
messaging.TERMWIDTH = None

# Speed, without changing answers (tests/integration/conformance.rs compares this oracle
# with the real `alembic` program):
#
# - building the argparse parser inspects every command's signature and
#   docstring (~20 ms); it holds no per-run state, so build it once;
# - every command re-executes every revision file (the other half of the
#   cost); a revision module is only read afterwards (attributes and
#   __doc__), so one unchanged file (same path, size, mtime, inode) gets the
#   same module object. Files that fail to load are not cached: they fail
#   again, as they would in a fresh process.
_COMMAND_LINE = CommandLine(prog="alembic")
_load_python_file = alembic.util.load_python_file
_modules: dict = {}


def _cached_load_python_file(dir_, filename):
    if filename == "env.py":  # runs the migration environment: never cache
        return _load_python_file(dir_, filename)
    path = os.path.join(dir_, filename)
    try:
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        return _load_python_file(dir_, filename)
    module = _modules.get(key)
    if module is None:
        module = _load_python_file(dir_, filename)
        _modules[key] = module
    return module


alembic.util.load_python_file = _cached_load_python_file

# Two orders Alembic takes from Python sets, fixed here to the orders
# db-status documents, so that every output is compared byte for byte:
#
# - a revision's normalized dependencies (a set in hash order) decide the
#   order of `history` between revisions with several dependencies: sorted,
#   as in tests/graph_fuzz/oracle.py and the spec's fuzz_sorted.py;
# - `current` lists `get_all_current`, a set of Script objects hashed by
#   address (random even with a fixed seed): listed in load order.
from alembic.script import revision as _revision  # noqa: E402
from alembic.script.base import ScriptDirectory as _ScriptDirectory  # noqa: E402

_normalize_depends_on = _revision.RevisionMap._normalize_depends_on


def _sorted_dependencies(self, revisions, map_):
    _normalize_depends_on(self, revisions, map_)
    for r in revisions:
        r._normalized_resolved_dependencies = tuple(sorted(r._normalized_resolved_dependencies))


_revision.RevisionMap._normalize_depends_on = _sorted_dependencies
_get_all_current = _ScriptDirectory.get_all_current


def _current_in_load_order(self, id_):
    found = _get_all_current(self, id_)
    # The order `_load_revisions` reads the files in (version locations in
    # order, file names sorted inside each).
    order = {sc.revision: i for i, sc in enumerate(self._load_revisions())}
    return sorted(found, key=lambda r: order.get(r.revision, len(order)))


_ScriptDirectory.get_all_current = _current_in_load_order

# Modules that live outside the interpreter's own trees (a scenario's
# `mypkg` for a package-resource script_location) must not leak into the
# next job, or two scenarios with the same package name would share it.
_SYSTEM_ROOTS = tuple(
    os.path.realpath(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}
)


def _is_foreign(module) -> bool:
    path = getattr(module, "__file__", None)
    if not path:
        return False
    return not os.path.realpath(path).startswith(_SYSTEM_ROOTS)


def run_job(job: dict) -> dict:
    """Run one command line; never raises."""
    out_bytes = io.BytesIO()
    # Alembic encodes with the stream's encoding ("replace" on failure), so
    # the capture must look like a UTF-8 terminal for non-ASCII docstrings.
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", newline="\n", write_through=True)
    err = io.StringIO()

    saved_cwd = os.getcwd()
    saved_env = dict(os.environ)
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    code = 0
    try:
        os.chdir(job["cwd"])
        # A relative sys.path entry (`prepend_sys_path = .`) keeps its finder
        # and its directory listing across jobs; a fresh process would list
        # the new working directory.
        for key in [k for k in sys.path_importer_cache if not os.path.isabs(k)]:
            del sys.path_importer_cache[key]
        os.environ.update(job.get("env") or {})
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                _main(job["argv"], out)
            except SystemExit as exc:
                code = _exit_code(exc.code)
            except BaseException:  # what the console script shows as a traceback
                traceback.print_exc()
                code = 1
    finally:
        out.flush()
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            if _is_foreign(sys.modules[name]):
                del sys.modules[name]
    return {
        "stdout": out_bytes.getvalue().decode("utf-8", "replace"),
        "stderr": err.getvalue(),
        "exit": code,
    }


def _main(argv: list[str], stdout) -> None:
    """`CommandLine.main`, except that Config writes to `stdout`.

    (Config's default `stdout=sys.stdout` is bound when alembic.config is
    imported, so redirecting sys.stdout alone would not capture it.)
    """
    cl = _COMMAND_LINE
    options = cl.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cl.parser.error("too few arguments")
    toml, ini = cl._inis_from_config(options)
    cfg = Config(
        file_=ini,
        toml_file=toml,
        ini_section=options.name,
        cmd_opts=options,
        stdout=stdout,
    )
    cl.run_cmd(cfg, options)


def _exit_code(code) -> int:
    # Mirrors how the interpreter turns SystemExit into a process status.
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def main() -> None:
    jobs = json.load(sys.stdin)
    results = [run_job(job) for job in jobs]
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
