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
# Tests that use a database create their own uniquely named database and
# drop it afterwards. Extra arguments are passed to nextest / cargo test.
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

# --- zsh, man, groff: tests/completions_man.rs loads the completion scripts
# in zsh and renders the man page with `man -l` ------------------------------
# promtool, chromium, chromedriver: tests/serve.rs checks /metrics and the
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

missing=0
ensure_service PostgreSQL DB_STATUS_TEST_POSTGRES_URL "$DB_STATUS_TEST_POSTGRES_URL" 5432 || missing=1
ensure_service MariaDB DB_STATUS_TEST_MYSQL_URL "$DB_STATUS_TEST_MYSQL_URL" 3306 || missing=1
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
exit "$status"
