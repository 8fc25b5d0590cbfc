#!/usr/bin/env bash
# Issue 12 benchmark: `db-status --targets FILE` on 100 and 1,000 local PostgreSQL
# databases, one database per target and one schema per target. Options: see
# `bench/fleet.py --help`. Prints figures; asserts nothing; not part of the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/fleet.py" "$@"
