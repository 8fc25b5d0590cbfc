//! What a test needs from the machine, and the one rule for when it is not
//! there: **the test fails**, unless the run asked to skip that need by name
//! in `DB_STATUS_TEST_SKIP` (comma-separated, e.g.
//! `DB_STATUS_TEST_SKIP=mysql,tls`). A skipped test says so on its stderr and
//! appends one line to the skip log (`$DB_STATUS_TEST_SKIP_LOG`, else
//! `<target>/tmp/skipped-tests.txt`), which `scripts/test.sh` prints last,
//! after nextest's summary, so a green run cannot hide a skip.
//!
//! `CI` plays no part: a developer's run and CI's run follow the same rule.

use std::io::Write as _;

/// Something a test needs from its environment, with the name
/// `DB_STATUS_TEST_SKIP` uses for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The test PostgreSQL server, logged in as `DB_STATUS_TEST_POSTGRES_URL`'s user.
    Postgres,
    /// The test MariaDB/MySQL server, logged in as `DB_STATUS_TEST_MYSQL_URL`'s user.
    Mysql,
    /// A server whose TLS setting is the one the test is about (a MySQL
    /// without TLS for "TLS required but unavailable", a PostgreSQL with
    /// `ssl=on` for the TLS success path).
    Tls,
    /// The server's Unix socket at its Debian path.
    Socket,
    /// `chattr +i`, to make a directory unwritable even for root.
    Chattr,
    /// The PostgreSQL server log at Debian's path, readable by the test.
    PgLog,
    /// Running a program as the unprivileged `nobody` user (`setpriv`).
    Nobody,
    /// The PostgreSQL server binaries (`initdb`, `pg_ctl`), to start a private cluster.
    Initdb,
}

impl Need {
    /// Every need, in the order the docs list them.
    pub const ALL: [Need; 8] = [
        Need::Postgres,
        Need::Mysql,
        Need::Tls,
        Need::Socket,
        Need::Chattr,
        Need::PgLog,
        Need::Nobody,
        Need::Initdb,
    ];

    /// The name `DB_STATUS_TEST_SKIP` uses.
    pub fn name(self) -> &'static str {
        match self {
            Need::Postgres => "postgres",
            Need::Mysql => "mysql",
            Need::Tls => "tls",
            Need::Socket => "socket",
            Need::Chattr => "chattr",
            Need::PgLog => "pglog",
            Need::Nobody => "nobody",
            Need::Initdb => "initdb",
        }
    }

    /// How to provide it.
    fn hint(self) -> &'static str {
        match self {
            Need::Postgres => {
                "start PostgreSQL or set DB_STATUS_TEST_POSTGRES_URL to the admin URL of a test \
                 server whose user may create and drop databases and roles"
            }
            Need::Mysql => {
                "start MariaDB/MySQL or set DB_STATUS_TEST_MYSQL_URL to the admin URL of a test \
                 server whose user may create and drop databases and users, over TCP"
            }
            Need::Tls => "run the test against a server with the TLS setting it names",
            Need::Socket => "run the server on this machine with its Debian socket path",
            Need::Chattr => "run as root on a file system that supports `chattr +i` (ext4, xfs)",
            Need::PgLog => {
                "run PostgreSQL 15 with Debian's log file /var/log/postgresql/postgresql-15-main.log"
            }
            Need::Nobody => "run as root with /usr/bin/setpriv (util-linux) installed",
            Need::Initdb => "install the PostgreSQL server package (initdb, pg_ctl)",
        }
    }
}

/// The needs `DB_STATUS_TEST_SKIP` names. An unknown name fails the test, so
/// a typo cannot turn into a silent run of everything (or of nothing).
pub fn skips() -> Vec<Need> {
    let raw = std::env::var("DB_STATUS_TEST_SKIP").unwrap_or_default();
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Need::ALL
                .into_iter()
                .find(|n| n.name() == s)
                .unwrap_or_else(|| {
                    let known: Vec<&str> = Need::ALL.iter().map(|n| n.name()).collect();
                    panic!(
                        "DB_STATUS_TEST_SKIP names `{s}`, which is not a need; known: {}",
                        known.join(",")
                    )
                })
        })
        .collect()
}

/// `need` is not available (`why` says how that showed). Fails the test with
/// a message saying how to provide it, unless `DB_STATUS_TEST_SKIP` names
/// `need`; then the skip is recorded and this returns, and the caller leaves
/// out what needed it (usually by returning from the test).
#[track_caller]
pub fn unavailable(need: Need, why: impl std::fmt::Display) {
    let test = test_name();
    if !skips().contains(&need) {
        panic!(
            "{test} needs {need}: {why}\n  hint: {hint}\n  hint: or skip the tests that need it \
             with DB_STATUS_TEST_SKIP={need} (they are then listed at the end of scripts/test.sh)",
            need = need.name(),
            hint = need.hint()
        );
    }
    let line = format!("{test}: skipped ({}): {why}", need.name());
    eprintln!("SKIPPED {line}");
    let log = std::env::var_os("DB_STATUS_TEST_SKIP_LOG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt")
        });
    // One short write with O_APPEND: lines from parallel test processes do
    // not interleave.
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = written {
        panic!("cannot record the skip in {}: {e}", log.display());
    }
}

/// `<test crate>::<test function>`, as nextest lists it.
fn test_name() -> String {
    let thread = std::thread::current();
    format!(
        "{}::{}",
        env!("CARGO_CRATE_NAME"),
        thread.name().unwrap_or("<unnamed test>")
    )
}

/// The admin URL of the test server for `need` (`Postgres` or `Mysql`), from
/// its variable or the machine's own service.
pub fn admin_url(need: Need) -> String {
    let (var, default) = service_var(need);
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// The variable naming the test server for `need`, and its default.
fn service_var(need: Need) -> (&'static str, &'static str) {
    match need {
        Need::Mysql => (
            "DB_STATUS_TEST_MYSQL_URL",
            "mysql://root@127.0.0.1:3306/test",
        ),
        _ => (
            "DB_STATUS_TEST_POSTGRES_URL",
            "postgresql://postgres@127.0.0.1:5432/postgres",
        ),
    }
}

/// The test server for `need` (`Postgres` or `Mysql`) did not answer or
/// refused the login with `err`: [`unavailable`], naming the URL (password
/// masked) and the variable it came from.
#[track_caller]
pub fn service_down(need: Need, err: &dyn std::fmt::Display) {
    let (var, _) = service_var(need);
    let url = admin_url(need);
    let shown = db_status::database::DbUrl::parse(&url)
        .map(|u| u.masked())
        .unwrap_or_else(|_| "<unparsable URL>".to_string());
    let what = if need == Need::Mysql {
        "MariaDB/MySQL"
    } else {
        "PostgreSQL"
    };
    unavailable(
        need,
        format_args!("cannot log in to {what} at {shown} (from {var}): {err}"),
    );
}

/// The packages whose versions decide what "real Alembic" answers, pinned in
/// `scripts/setup-venv.sh` (the suite's one place for them).
const ORACLE_PACKAGES: [&str; 2] = ["alembic", "sqlalchemy"];

/// `package==version` as `scripts/setup-venv.sh` pins it.
fn pinned(package: &str) -> &'static str {
    let setup = include_str!("../../../scripts/setup-venv.sh");
    let prefix = format!("{package}==");
    setup
        .lines()
        .find_map(|l| {
            // `alembic==1.20.1` alone on its line, or first in `requirements='…`.
            let l = l.trim();
            let l = l.strip_prefix("requirements='").unwrap_or(l);
            l.strip_prefix(prefix.as_str())
        })
        .map(|v| v.trim_end_matches('\'').trim())
        .unwrap_or_else(|| panic!("scripts/setup-venv.sh pins no {package}"))
}

/// The Python the suite compares db-status with (`$DB_STATUS_PYTHON`, else
/// `<repo>/.venv/bin/python`), once it is known to have exactly the alembic
/// and SQLAlchemy that `scripts/setup-venv.sh` pins: any other version (or
/// none) fails the test loudly, since the comparison would then prove
/// nothing about the Alembic the README names. Checked once per test process.
pub fn python() -> std::path::PathBuf {
    static CHECKED: std::sync::OnceLock<Result<std::path::PathBuf, String>> =
        std::sync::OnceLock::new();
    CHECKED
        .get_or_init(check_oracle)
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn check_oracle() -> Result<std::path::PathBuf, String> {
    let path = match std::env::var_os("DB_STATUS_PYTHON") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    };
    let hint = "hint: create the pinned venv with `bash scripts/setup-venv.sh` and point \
                DB_STATUS_PYTHON at its python (scripts/test.sh does both)";
    let probe = ORACLE_PACKAGES
        .iter()
        .map(|p| format!("import {p}; print({p}.__version__)"))
        .collect::<Vec<_>>()
        .join("; ");
    let out = std::process::Command::new(&path)
        .args(["-c", &probe])
        .output()
        .map_err(|e| {
            format!(
                "the Alembic oracle {} cannot run: {e}\n{hint}",
                path.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "the Alembic oracle {} lacks alembic or SQLAlchemy:\n{}\n{hint}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let found: Vec<&str> = stdout.lines().map(str::trim).collect();
    for (i, package) in ORACLE_PACKAGES.iter().enumerate() {
        let want = pinned(package);
        let have = found.get(i).copied().unwrap_or("?");
        if have != want {
            return Err(format!(
                "the Alembic oracle {} has {package} {have}, but the suite compares against \
                 {package} {want} (pinned in scripts/setup-venv.sh)\n{hint}",
                path.display()
            ));
        }
    }
    Ok(path)
}

/// Run `command` (a [`python()`] command with its script and environment
/// set), write `input` to its stdin as JSON and parse the JSON it prints.
/// Bytecode is never written. Panics, naming `what`, when Python cannot
/// start, fails, or prints something that is not JSON.
pub fn python_json<T: serde::de::DeserializeOwned>(
    command: std::process::Command,
    input: &impl serde::Serialize,
    what: &str,
) -> T {
    let input = serde_json::to_vec(input).expect("input as JSON");
    let out = python_stdio(command, input, what);
    serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out)
        )
    })
}

/// Run `command` (as [`python_json`]) on `paths`, one a line on stdin, and
/// read one JSON answer a line, one answer per path, in order.
pub fn python_per_path(
    command: std::process::Command,
    paths: &[std::path::PathBuf],
    what: &str,
) -> Vec<serde_json::Value> {
    let lines: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    python_per_line(command, &lines, what)
}

/// Run `command` (as [`python_json`]) on `lines`, one a line on stdin, and
/// read one JSON answer a line, one answer per input line, in order.
pub fn python_per_line(
    command: std::process::Command,
    lines: &[String],
    what: &str,
) -> Vec<serde_json::Value> {
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = python_stdio(command, input.into_bytes(), what);
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l}")))
        .collect();
    assert_eq!(answers.len(), lines.len(), "{what}: one answer per line");
    answers
}

/// Run `command` without writing bytecode, feed it `input` and return its
/// stdout; panic with its stderr, naming `what`, when it fails. Stdin is
/// fed from a thread, so a script that answers as it reads cannot deadlock
/// on a full pipe.
pub fn python_stdio(mut command: std::process::Command, input: Vec<u8>, what: &str) -> Vec<u8> {
    use std::process::Stdio;
    let mut child = command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); create the venv with scripts/setup-venv.sh or set \
                 DB_STATUS_PYTHON",
                command.get_program().to_string_lossy()
            )
        });
    let mut stdin = child.stdin.take().expect("stdin");
    // Dropping stdin after the write closes it, so the script sees EOF.
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("python runs");
    let fed = feeder.join().expect("stdin feeder");
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fed.unwrap_or_else(|e| panic!("{what}: cannot write its input: {e}"));
    out.stdout
}
