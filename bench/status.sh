#!/usr/bin/env bash
# Issue #3 benchmark: `db-status --all` on three 500-revision components with
# PostgreSQL databases (created and dropped here) vs Alembic current + heads
# and vs the floor. Options: see `bench/status.py --help`.
# Prints figures; asserts nothing; not part of the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/status.py" "$@"
