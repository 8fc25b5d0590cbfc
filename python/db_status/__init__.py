"""db-status is a command-line program; this package only carries it.

Run ``db-status`` (installed on PATH with the package) or ``python -m db_status``.
"""
