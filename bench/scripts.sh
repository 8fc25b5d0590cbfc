#!/usr/bin/env bash
# Issue #2 benchmark: heads/history on 1k/10k/100k-revision trees vs Alembic
# and vs reading the files. Options: see `bench/scripts.py --help`.
# Prints figures; asserts nothing; not part of the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/scripts.py" "$@"
