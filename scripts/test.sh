#!/usr/bin/env bash
# THE test command: `bash scripts/test.sh`.
#
# Installs what the suite needs, makes sure PostgreSQL and MariaDB answer,
# then runs every test (unit, integration, Alembic conformance, database
# round trips) and exits with the suite's status.
#
# Environment (each has a default; set it to use your own service):
#   DB_STATUS_PYTHON             Python with alembic 1.20   [<repo>/.venv/bin/python]
#   DB_STATUS_TEST_POSTGRES_URL  PostgreSQL to test against [postgresql://postgres@127.0.0.1:5432/postgres]
#   DB_STATUS_TEST_MYSQL_URL     MySQL/MariaDB to test against [mysql://root@127.0.0.1:3306/test]
#   DB_STATUS_CONFORMANCE_SEED   seed of the random graphs (a number or `random`)
#   DB_STATUS_CONFORMANCE_GRAPHS how many random graphs [200]
#   DB_STATUS_TEST_SKIP          needs to skip, by name, comma-separated [none]:
#                                postgres, mysql, tls, socket, chattr, pglog,
#                                nobody, initdb (see tests/integration/support/environment.rs)
# Tests that use a database create their own uniquely named database and
# drop it afterwards. A test whose need is missing FAILS, unless
# DB_STATUS_TEST_SKIP names that need; every skipped test is listed at the
# very end, after the summary. Extra arguments are passed to nextest.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { printf 'test.sh: %s\n' "$*" >&2; }
die() { printf 'test.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# --- Python + Alembic (the oracle of the conformance suite) -----------------
if [[ -z "${DB_STATUS_PYTHON:-}" ]]; then
    bash "$repo/scripts/setup-venv.sh"
    export DB_STATUS_PYTHON="$repo/.venv/bin/python"
fi
[[ -x "$DB_STATUS_PYTHON" ]] || die "DB_STATUS_PYTHON=$DB_STATUS_PYTHON is not an executable Python"

# The oracle must be the Alembic the README names: the versions pinned in
# setup-venv.sh, nothing else (the tests check this again, per process).
pin() { grep -oE "(^|')$1==[^' ]+" "$repo/scripts/setup-venv.sh" | head -n1 | sed 's/.*==//'; }
want_alembic="$(pin alembic)"
want_sqlalchemy="$(pin sqlalchemy)"
have="$("$DB_STATUS_PYTHON" -c 'import alembic, sqlalchemy; print(alembic.__version__, sqlalchemy.__version__)' 2>&1)" \
    || die "DB_STATUS_PYTHON=$DB_STATUS_PYTHON cannot import alembic and sqlalchemy: $have"
[[ "$have" == "$want_alembic $want_sqlalchemy" ]] \
    || die "DB_STATUS_PYTHON=$DB_STATUS_PYTHON has alembic/sqlalchemy $have, but the suite compares against alembic $want_alembic and SQLAlchemy $want_sqlalchemy (pinned in scripts/setup-venv.sh); unset DB_STATUS_PYTHON to use the pinned venv"

# --- Graphviz: graph tests pipe db-status output through `dot` --------------
if ! command -v dot >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing graphviz (for \`dot\`)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q graphviz >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q graphviz >/dev/null; } \
            || die "could not install graphviz; install it so that \`dot\` is on PATH"
    else
        die "Graphviz \`dot\` is not on PATH and cannot be installed here (needs root + apt-get); install graphviz"
    fi
fi

# --- zsh, man, groff: tests/integration/completions_man.rs loads the completion scripts
# in zsh and renders the man page with `man -l` ------------------------------
# promtool, chromium, chromedriver: tests/integration/serve.rs checks /metrics and the
# alert rules with promtool and loads the page in headless Chromium ---------
for need in zsh:zsh man:man-db nroff:groff-base promtool:prometheus chromium:chromium chromedriver:chromium-driver; do
    if ! command -v "${need%%:*}" >/dev/null 2>&1; then
        [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1 \
            || die "\`${need%%:*}\` is not on PATH and cannot be installed here (needs root + apt-get); install ${need#*:}"
        say "installing ${need#*:} (for \`${need%%:*}\`)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q "${need#*:}" >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q "${need#*:}" >/dev/null; } \
            || die "could not install ${need#*:}; install it so that \`${need%%:*}\` is on PATH"
    fi
done

# --- Skips by name ------------------------------------------------------------
export DB_STATUS_TEST_SKIP="${DB_STATUS_TEST_SKIP:-}"
known_needs=" postgres mysql tls socket chattr pglog nobody initdb "
skipping() { [[ ",$DB_STATUS_TEST_SKIP," == *",$1,"* ]]; }
IFS=',' read -r -a asked <<<"$DB_STATUS_TEST_SKIP"
for need in "${asked[@]}"; do
    need="${need// /}"
    [[ -z "$need" || "$known_needs" == *" $need "* ]] \
        || die "DB_STATUS_TEST_SKIP names '$need'; known:$known_needs"
done
# Each skipped test appends one line here; printed last.
mkdir -p "$repo/target/tmp"
export DB_STATUS_TEST_SKIP_LOG="$repo/target/tmp/skipped-tests.txt"
: >"$DB_STATUS_TEST_SKIP_LOG"
# The emoji font the page's indicators are drawn with in the screenshot.
if command -v fc-list >/dev/null 2>&1 && ! fc-list | grep -qi emoji; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing fonts-noto-color-emoji (for the page screenshot)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-color-emoji >/dev/null 2>&1 || true
    fi
fi

# --- Databases ---------------------------------------------------------------
export DB_STATUS_TEST_POSTGRES_URL="${DB_STATUS_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
export DB_STATUS_TEST_MYSQL_URL="${DB_STATUS_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"

# host and port of a URL like scheme://user:pw@host:port/db?x=y
url_authority() { local r="${1#*://}"; r="${r%%[/?]*}"; echo "${r##*@}"; }
url_host() {
    local r; r="$(url_authority "$1")"
    if [[ "$r" =~ ^\[([^]]*)\] ]]; then echo "${BASH_REMATCH[1]}"; else echo "${r%%:*}"; fi
}
url_port() {
    local r; r="$(url_authority "$1")"
    if [[ "$r" =~ :([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]}"; else echo "$2"; fi
}
answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }
wait_for() {
    local host="$1" port="$2" i
    for i in $(seq 1 60); do
        answers "$host" "$port" && return 0
        sleep 0.5
    done
    return 1
}

ensure_service() {
    local what="$1" var="$2" url="$3" default_port="$4" host port
    host="$(url_host "$url")"
    port="$(url_port "$url" "$default_port")"
    if answers "$host" "$port"; then
        return 0
    fi
    if is_local "$host" && [[ "$(id -u)" == 0 ]]; then
        say "$what is not answering on $host:$port; starting it"
        case "$what" in
        PostgreSQL)
            local version
            version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
            [[ -n "$version" ]] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
            ;;
        MariaDB)
            if [[ -x /usr/sbin/mariadbd ]]; then
                mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
                start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
            fi
            ;;
        esac
        wait_for "$host" "$port" && return 0
    fi
    cat >&2 <<MSG
test.sh: ERROR: $what is not reachable at $host:$port (from $var=$url).
  The database tests need a running $what. Either start one there, or point
  $var at a server where the user may create and drop databases, e.g.
    export $var='$url'
MSG
    return 1
}

# Log in as the configured user and run `SELECT 1`, as the tests will: a
# port that answers is not enough (wrong password, missing role, a root that
# may only log in over the socket).
login() {
    local what="$1" var="$2" url="$3" err
    err="$("$DB_STATUS_PYTHON" - "$url" 2>&1 <<'PY'
import sys
from urllib.parse import unquote, urlsplit
url = sys.argv[1]
u = urlsplit(url)
scheme = u.scheme.split("+")[0]
if scheme.startswith("postgres"):
    import psycopg2
    c = psycopg2.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432,
                         user=unquote(u.username or "postgres"),
                         password=unquote(u.password) if u.password is not None else None,
                         dbname=unquote(u.path.lstrip("/")) or "postgres", connect_timeout=5)
else:
    import pymysql
    c = pymysql.connect(host=u.hostname or "127.0.0.1", port=u.port or 3306,
                        user=unquote(u.username or "root"),
                        password=unquote(u.password or ""), connect_timeout=5)
cur = c.cursor()
cur.execute("SELECT 1")
assert cur.fetchone()[0] == 1
PY
)" && return 0
    cat >&2 <<MSG
test.sh: ERROR: cannot log in to $what as the configured user (from $var):
$(printf '%s\n' "$err" | tail -n 3 | sed 's/^/    /')
  The database tests log in the same way and would fail. Either fix the
  server or the URL, e.g.
    export $var='scheme://user:password@host:port/db'
  or skip every test that needs it: DB_STATUS_TEST_SKIP=$4 (listed at the end).
MSG
    return 1
}

missing=0
if skipping postgres; then
    say "DB_STATUS_TEST_SKIP names postgres: its tests are skipped where it is unreachable"
else
    ensure_service PostgreSQL DB_STATUS_TEST_POSTGRES_URL "$DB_STATUS_TEST_POSTGRES_URL" 5432 \
        && login PostgreSQL DB_STATUS_TEST_POSTGRES_URL "$DB_STATUS_TEST_POSTGRES_URL" postgres \
        || missing=1
fi
if skipping mysql; then
    say "DB_STATUS_TEST_SKIP names mysql: its tests are skipped where it is unreachable"
else
    ensure_service MariaDB DB_STATUS_TEST_MYSQL_URL "$DB_STATUS_TEST_MYSQL_URL" 3306 \
        && login MariaDB DB_STATUS_TEST_MYSQL_URL "$DB_STATUS_TEST_MYSQL_URL" mysql \
        || missing=1
fi
# Never run a partial suite as if it were the whole one.
[[ "$missing" == 0 ]] || die "database services missing (see above); not running a partial suite"

# --- The suite -----------------------------------------------------------------
status=0
# Doctests first: nextest does not run them, and the suite's own summary
# ("N tests run: N passed, …") should be the last thing printed.
cargo test --workspace --doc -q || status=$?
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --all-targets --no-fail-fast "$@" || status=$?
else
    say "cargo-nextest not found; using cargo test"
    cargo test --workspace --all-targets --no-fail-fast "$@" || status=$?
fi

# Last, so nothing scrolls it away: what did not run, and why.
if [[ -s "$DB_STATUS_TEST_SKIP_LOG" ]]; then
    printf '\ntest.sh: %s test(s) SKIPPED (DB_STATUS_TEST_SKIP=%s); they checked nothing:\n' \
        "$(wc -l <"$DB_STATUS_TEST_SKIP_LOG")" "$DB_STATUS_TEST_SKIP" >&2
    sort "$DB_STATUS_TEST_SKIP_LOG" | sed 's/^/  SKIPPED /' >&2
elif [[ -n "$DB_STATUS_TEST_SKIP" ]]; then
    say "no test was skipped (DB_STATUS_TEST_SKIP=$DB_STATUS_TEST_SKIP)"
fi
exit "$status"
