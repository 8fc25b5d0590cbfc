"""``python -m db_status``: run the ``db-status`` binary installed with this package."""

from __future__ import annotations

import os
import sys
import sysconfig


def _user_scheme() -> str:
    try:
        return sysconfig.get_preferred_scheme("user")  # Python 3.10+
    except AttributeError:
        return "nt_user" if os.name == "nt" else "posix_user"


def find_db_status() -> str:
    """Path of the binary that pip (or pipx, uv, pre-commit) installed."""
    exe = "db-status" + (sysconfig.get_config_var("EXE") or "")
    candidates = [
        # This interpreter's scripts directory (a venv's bin/).
        sysconfig.get_path("scripts"),
        # `pip install --user`.
        sysconfig.get_path("scripts", scheme=_user_scheme()),
        # `pip install --target DIR`: the package in DIR, the binary in DIR/bin.
        os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin"),
    ]
    for directory in candidates:
        path = os.path.join(directory, exe)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"{exe} is not installed next to this Python package (looked in: "
        + ", ".join(candidates)
        + "); reinstall it: pip install --force-reinstall db-status"
    )


def main() -> None:
    try:
        path = find_db_status()
    except FileNotFoundError as e:
        sys.stderr.write(f"db-status: {e}\n")
        sys.exit(127)
    if sys.platform == "win32":
        # No exec on Windows: run it and pass its exit code on.
        import subprocess

        sys.exit(subprocess.call([path, *sys.argv[1:]]))
    os.execv(path, [path, *sys.argv[1:]])


if __name__ == "__main__":
    main()
