#!/usr/bin/env bash
# Create <repo>/.venv with the exact Alembic the conformance suite compares
# against. Idempotent: a stamp file holds the hash of the requirements, so a
# second run with nothing to do costs a few milliseconds and no network.
#
# Needs only `python3` (>= 3.10, with the venv module) and PyPI.
# Override the interpreter with PYTHON=/path/to/python3.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${DB_STATUS_VENV:-$repo/.venv}"
python="${PYTHON:-python3}"

# Pinned: Alembic's output is what the suite treats as the truth, so it must
# not move under us. alembic 1.20.1 is the version the behaviour spec and the
# transcripts in /work/shared/reference were recorded with. asyncpg (the
# version Backend.AI pins) and greenlet let the suite run Alembic with
# `postgresql+asyncpg` URLs, as Backend.AI's env.py does. prometheus-client
# is the real exposition parser the `serve` tests read /metrics with. mcp (the
# official Python MCP SDK) drives `db-status mcp` as a real client; jsonschema
# checks the tool schemas and results.
requirements='alembic==1.20.1
sqlalchemy==2.1.9
psycopg2-binary==2.9.13
pymysql==1.2.4
asyncpg==0.31.0
greenlet==3.5.6
prometheus-client==0.26.0
mcp==2.3.0
jsonschema==4.26.0'

stamp="$venv/.db-status-requirements"
want="$(printf '%s\n' "$requirements" | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup-venv: '$python' not found; install Python 3.10+ or set PYTHON=/path/to/python3" >&2
    exit 1
fi

echo "setup-venv: creating $venv (alembic, sqlalchemy, psycopg2-binary, pymysql, asyncpg, prometheus-client, mcp, jsonschema)" >&2
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
req_file="$(mktemp)"
trap 'rm -f "$req_file"' EXIT
printf '%s\n' "$requirements" >"$req_file"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req_file"
# Sanity check before stamping: a half-installed venv must not pass next time.
"$venv/bin/python" -c 'import alembic, sqlalchemy, psycopg2, pymysql, asyncpg, greenlet, prometheus_client, mcp, jsonschema; assert alembic.__version__ == "1.20.1", alembic.__version__'
printf '%s\n' "$want" >"$stamp"
echo "setup-venv: ready ($("$venv/bin/alembic" --version))" >&2
