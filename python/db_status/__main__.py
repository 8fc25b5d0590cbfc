"""``python -m db_status``: run the ``db-status`` binary installed with this package."""

from __future__ import annotations

import os
import sys
import sysconfig


def find_db_status() -> str:
    """Path of the binary that pip (or pipx, uv, pre-commit) installed."""
    exe = "db-status" + (sysconfig.get_config_var("EXE") or "")
    # The scripts directory of this interpreter's install scheme, then the
    # user scheme (`pip install --user`).
    candidates = [sysconfig.get_path("scripts")]
    user_scheme = f"{os.name}_user" if os.name != "posix" else "posix_user"
    if user_scheme in sysconfig.get_scheme_names():
        candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    # `pip install --target DIR` puts the package in DIR and the binary in DIR/bin.
    candidates.append(os.path.join(os.path.dirname(os.path.dirname(__file__)), "bin"))
    for directory in candidates:
        path = os.path.join(directory, exe)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"{exe} is not installed next to this Python package (looked in: "
        + ", ".join(candidates)
        + "); reinstall it with `pip install --force-reinstall db-status`"
    )


def main() -> None:
    try:
        path = find_db_status()
    except FileNotFoundError as e:
        sys.stderr.write(f"db-status: {e}\n")
        sys.exit(127)
    if sys.platform == "win32":
        import subprocess

        sys.exit(subprocess.call([path, *sys.argv[1:]]))
    os.execv(path, [path, *sys.argv[1:]])


if __name__ == "__main__":
    main()
