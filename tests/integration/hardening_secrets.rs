//! Secrets: a distinctive password, given every way db-status accepts one
//! (`--url`, `DB_STATUS_URL`, `sqlalchemy.url` raw and percent-encoded, the
//! project file's `url` and `url_env`, `?password=`, `.pgpass`), never shows
//! up in stdout or stderr of any command, on any path: refused ports,
//! black-holed listeners, wrong passwords, missing databases, unresolvable
//! hosts, malformed URLs and ini files, and a working database.
//!
//! `.pgpass` is checked through behaviour: a fake PostgreSQL server records
//! the password the client sends, so a world-readable file must send none
//! (and warn), a 0600 file must send its password.

use crate::support;

use std::time::Duration;

use crate::support::{BlackHole, FakePostgres, Project, Run, refused_port, run, unique};

/// No special characters: used as is.
const PW_PLAIN: &str = "S3cr3tPa55zq9";
/// Needs percent-encoding in a URL.
const PW_SPECIAL: &str = "S3cr3t@Pa55:zq9/x%";
const PW_SPECIAL_ENC: &str = "S3cr3t%40Pa55%3Azq9%2Fx%25";
/// Any of these in the output is a (partial) leak.
const NEEDLES: [&str; 3] = ["S3cr3t", "Pa55", "zq9"];

const LIMIT: Duration = Duration::from_secs(30);

fn assert_no_secret(out: &Run, what: &str) {
    out.assert_clean(what);
    let all = out.all();
    for n in NEEDLES {
        assert!(!all.contains(n), "{what}: `{n}` leaked:\n{all}");
    }
}

fn project() -> Project {
    let p = Project::new("");
    p.rev("aaaa00000001", None, "one");
    p.rev("aaaa00000002", Some("aaaa00000001"), "two");
    p
}

/// Every command that may print something about the database.
const COMMANDS: [&[&str]; 11] = [
    &["status"],
    &["status", "--format", "json"],
    &["status", "-v"],
    &["status", "--ascii", "-v", "--format", "json"],
    &["current"],
    &["current", "-v"],
    &["history", "-i"],
    &["show", "current"],
    &["check"],
    &["graph", "--with-db"],
    &["heads", "-v"],
];

/// URLs (with the password in them) that fail in every way we can arrange
/// without a network, each with a short name.
fn failing_urls(black: &BlackHole) -> Vec<(String, String)> {
    let refused = refused_port();
    let mut v = Vec::new();
    for (pw_name, pw) in [("plain", PW_PLAIN), ("encoded", PW_SPECIAL_ENC)] {
        v.extend([
            (
                format!("pg refused ({pw_name})"),
                format!("postgresql://app:{pw}@127.0.0.1:{refused}/appdb"),
            ),
            (
                format!("mysql refused ({pw_name})"),
                format!("mysql+pymysql://app:{pw}@127.0.0.1:{refused}/appdb"),
            ),
            (
                format!("pg black hole ({pw_name})"),
                format!(
                    "postgresql+psycopg2://app:{pw}@127.0.0.1:{}/appdb",
                    black.port
                ),
            ),
            (
                format!("mysql black hole ({pw_name})"),
                format!("mysql://app:{pw}@127.0.0.1:{}/appdb", black.port),
            ),
            (
                format!("unresolvable host ({pw_name})"),
                format!("postgresql://app:{pw}@db.invalid:5432/appdb"),
            ),
            (
                format!("bad port ({pw_name})"),
                format!("postgresql://app:{pw}@127.0.0.1:99999/appdb"),
            ),
            (
                format!("unsupported dialect ({pw_name})"),
                format!("oracle://app:{pw}@127.0.0.1/appdb"),
            ),
            (
                format!("bad sslmode ({pw_name})"),
                format!("postgresql://app:{pw}@127.0.0.1:{refused}/appdb?sslmode=bogus"),
            ),
            (
                format!("sqlite with credentials ({pw_name})"),
                format!("sqlite://app:{pw}@/nonexistent/dir/x.db"),
            ),
        ]);
    }
    v.push((
        "password as a query parameter".to_string(),
        format!("postgresql://app@127.0.0.1:{refused}/appdb?password={PW_PLAIN}"),
    ));
    v
}

#[test]
fn failing_connections_never_show_the_password() {
    let black = BlackHole::start();
    let p = project();
    for (name, url) in failing_urls(&black) {
        for args in COMMANDS {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--url", &url, "--timeout", "1"]);
            let out = run(p.path(), &all, &[], LIMIT);
            assert_no_secret(&out, &format!("{name}, --url, {args:?}"));
        }
        for args in [&["status", "--format", "json"][..], &["current", "-v"]] {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--timeout", "1"]);
            let out = run(p.path(), &all, &[("DB_STATUS_URL", url.as_str())], LIMIT);
            assert_no_secret(&out, &format!("{name}, DB_STATUS_URL, {args:?}"));
        }
    }
}

#[test]
fn ini_and_project_file_urls_never_show_the_password() {
    let black = BlackHole::start();
    for (name, url) in failing_urls(&black) {
        // In an ini `%` starts an interpolation: Alembic users write `%%`.
        let p = Project::new(&format!("sqlalchemy.url = {}", url.replace('%', "%%")));
        p.rev("aaaa00000001", None, "one");
        for args in [
            &["status", "-v"][..],
            &["status", "--format", "json"],
            &["history", "-i"],
        ] {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--timeout", "1"]);
            let out = run(p.path(), &all, &[], LIMIT);
            assert_no_secret(&out, &format!("{name}, sqlalchemy.url, {args:?}"));
        }
        // db-status.toml: `url = …` and `url_env = …`, checked with --all.
        std::fs::write(
            p.path().join("db-status.toml"),
            format!(
                "[direct]\nconfig = \"alembic.ini\"\nurl = {url:?}\n\n\
                 [fromenv]\nconfig = \"alembic.ini\"\nurl_env = \"SECRET_DB_URL\"\n\n\
                 [fromini]\nconfig = \"alembic.ini\"\n"
            ),
        )
        .expect("write db-status.toml");
        for args in [&["--all"][..], &["--all", "--format", "json", "-v"]] {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--timeout", "1"]);
            let out = run(p.path(), &all, &[("SECRET_DB_URL", url.as_str())], LIMIT);
            assert_no_secret(&out, &format!("{name}, db-status.toml, {args:?}"));
        }
    }
}

/// Malformed configuration around a password: the error must point at the
/// line without echoing the value.
#[test]
fn malformed_ini_lines_never_show_the_password() {
    let cases = [
        // Python's configparser would echo this line in its ParsingError.
        format!("sqlalchemy.url postgresql://app:{PW_PLAIN}@127.0.0.1/appdb"),
        // A lone `%`: InterpolationSyntaxError quotes the rest of the value.
        format!("sqlalchemy.url = postgresql://app:{PW_SPECIAL_ENC}@127.0.0.1/appdb"),
        // A missing interpolation key after the password.
        format!("sqlalchemy.url = postgresql://app:{PW_PLAIN}@%(nohost)s/appdb"),
        // A duplicate option.
        format!(
            "sqlalchemy.url = postgresql://app:{PW_PLAIN}@127.0.0.1/a\n\
             sqlalchemy.url = postgresql://app:{PW_PLAIN}@127.0.0.1/b"
        ),
    ];
    for ini_line in cases {
        let p = Project::new(&ini_line);
        p.rev("aaaa00000001", None, "one");
        for args in [
            &["status"][..],
            &["status", "--format", "json", "-v"],
            &["current"],
            &["heads"],
            &["check"],
        ] {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--timeout", "1"]);
            let out = run(p.path(), &all, &[], LIMIT);
            assert_no_secret(&out, &format!("ini {ini_line:?}, {args:?}"));
        }
    }
}

/// An unencoded `@` or `:` in the password: SQLAlchemy splits the URL at
/// the wrong place, so part of the password lands in the host or port.
/// Neither half may be printed.
#[test]
fn unencoded_special_characters_never_show_the_password() {
    let p = project();
    let refused = refused_port();
    for url in [
        format!("postgresql://app:{PW_SPECIAL}@127.0.0.1:{refused}/appdb"),
        format!("postgresql://app:S3cr3t:Pa55zq9@127.0.0.1:{refused}/appdb"),
    ] {
        for args in [
            &["status", "--format", "json"][..],
            &["status", "-v"],
            &["current"],
        ] {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--url", &url, "--timeout", "1"]);
            let out = run(p.path(), &all, &[], LIMIT);
            assert_no_secret(&out, &format!("unencoded {url:?}, {args:?}"));
        }
    }
}

/// KNOWN LEAK (fails today): with an unencoded `@` inside the password,
/// SQLAlchemy's grammar (which db-status follows exactly) puts the part
/// after that `@` into the host (`Pa55@127.0.0.1`), and the masked URL and
/// connection errors print the host. Masking it would break the
/// byte-for-byte `render_as_string` equivalence, so it needs a decision.
#[test]
fn unencoded_at_sign_in_the_password_never_shows() {
    let p = project();
    let refused = refused_port();
    let url = format!("mysql://app:S3cr3t@Pa55@127.0.0.1:{refused}/appdb");
    for args in [
        &["status", "--format", "json"][..],
        &["status", "-v"],
        &["current"],
    ] {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", &url, "--timeout", "1"]);
        let out = run(p.path(), &all, &[], LIMIT);
        assert_no_secret(&out, &format!("unencoded {url:?}, {args:?}"));
    }
}

// ---------------------------------------------------------------------------
// Real servers: wrong password, missing database, working database.

fn mysql_admin() -> Option<mysql::Conn> {
    let url = support::mysql_admin_url();
    let opts = mysql::Opts::from_url(&url).expect("DB_STATUS_TEST_MYSQL_URL is not a valid URL");
    let opts = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(Duration::from_secs(5)))
        .prefer_socket(false);
    match mysql::Conn::new(opts) {
        Ok(c) => Some(c),
        Err(e) => {
            support::service_missing(support::Need::Mysql, &e);
            None
        }
    }
}

fn pg_host_port() -> (String, u16) {
    let config: postgres::Config = support::postgres_admin_url()
        .parse()
        .expect("DB_STATUS_TEST_POSTGRES_URL is not a valid PostgreSQL URL");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_string(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

#[test]
fn real_servers_never_show_the_password() {
    use mysql::prelude::Queryable as _;
    let Some(mut admin) = mysql_admin() else {
        return;
    };
    let opts = mysql::Opts::from_url(&support::mysql_admin_url()).expect("url");
    let (host, port) = (opts.get_ip_or_hostname().to_string(), opts.get_tcp_port());
    let name = unique("dbs_sec");
    let hosts = ["%", "localhost", "127.0.0.1"];
    admin
        .query_drop(format!(
            "CREATE DATABASE `{name}`; CREATE TABLE `{name}`.alembic_version \
             (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
             INSERT INTO `{name}`.alembic_version VALUES ('aaaa00000001')"
        ))
        .expect("create database");
    for h in hosts {
        // No placeholders in CREATE USER; the password holds no quote.
        admin
            .query_drop(format!(
                "CREATE USER '{name}'@'{h}' IDENTIFIED BY '{PW_SPECIAL}'"
            ))
            .expect("create user");
        admin
            .query_drop(format!("GRANT SELECT ON `{name}`.* TO '{name}'@'{h}'"))
            .expect("grant");
    }
    let (pg_host, pg_port) = pg_host_port();
    let p = project();
    let cases = [
        (
            "working database",
            format!("mysql://{name}:{PW_SPECIAL_ENC}@{host}:{port}/{name}"),
            Some(1),
        ),
        (
            "wrong password",
            format!("mysql://{name}:{PW_PLAIN}@{host}:{port}/{name}"),
            Some(6),
        ),
        (
            "missing database",
            format!("mysql://{name}:{PW_SPECIAL_ENC}@{host}:{port}/{name}_missing"),
            Some(6),
        ),
        (
            "pg missing database",
            format!("postgresql://postgres:{PW_PLAIN}@{pg_host}:{pg_port}/{name}_missing"),
            Some(6),
        ),
        (
            "pg working database, no version table",
            format!("postgresql://postgres:{PW_SPECIAL_ENC}@{pg_host}:{pg_port}/postgres"),
            Some(3),
        ),
    ];
    for (case, url, expected) in &cases {
        for args in COMMANDS {
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--url", url.as_str(), "--timeout", "5"]);
            let out = run(p.path(), &all, &[], LIMIT);
            assert_no_secret(&out, &format!("{case}, {args:?}"));
            if args == ["status", "--format", "json"]
                && let Some(code) = expected
            {
                assert_eq!(out.code, Some(*code), "{case}: {}", out.all());
            }
        }
    }
    let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"));
    for h in hosts {
        let _ = admin.query_drop(format!("DROP USER IF EXISTS '{name}'@'{h}'"));
    }
}

// ---------------------------------------------------------------------------
// .pgpass

#[cfg(unix)]
#[test]
fn pgpass_is_used_only_when_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let fake = FakePostgres::start();
    let p = project();
    let pgpass = p.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("# comment\n127.0.0.1:{}:appdb:app:{PW_PLAIN}\n", fake.port),
    )
    .expect("write .pgpass");
    let url = format!(
        "postgresql://app@127.0.0.1:{}/appdb?sslmode=disable",
        fake.port
    );
    let args = [
        "status",
        "--format",
        "json",
        "--url",
        url.as_str(),
        "--timeout",
        "5",
    ];

    // World-readable: ignored, with libpq's warning; no password sent.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = run(p.path(), &args, &[], LIMIT);
    assert_no_secret(&out, ".pgpass 0644");
    assert!(
        out.stderr.contains("group or world access"),
        "libpq's warning expected: {}",
        out.all()
    );
    assert_eq!(out.code, Some(6), "{}", out.all());
    let sent = fake.received();
    assert!(
        sent.iter().all(|s| s.as_deref() != Some(PW_PLAIN)),
        "a world-readable .pgpass was used: {sent:?}"
    );

    // Private: its password is sent, and still never printed.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = run(p.path(), &args, &[], LIMIT);
    assert_no_secret(&out, ".pgpass 0600");
    assert!(
        !out.stderr.contains("group or world access"),
        "{}",
        out.all()
    );
    assert_eq!(
        out.code,
        Some(6),
        "the fake server refuses every login: {}",
        out.all()
    );
    let sent = fake.received();
    assert_eq!(
        sent.last().cloned().flatten().as_deref(),
        Some(PW_PLAIN),
        "the 0600 .pgpass password was not sent: {sent:?}"
    );

    // PGPASSFILE points elsewhere; PGPASSWORD wins over the file.
    let other = p.path().join("pgpass-other");
    std::fs::write(&other, format!("*:*:*:*:{PW_PLAIN}-file\n")).expect("write");
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let other_s = other.to_string_lossy().into_owned();
    let out = run(p.path(), &args, &[("PGPASSFILE", other_s.as_str())], LIMIT);
    assert_no_secret(&out, "PGPASSFILE");
    assert_eq!(
        fake.received().last().cloned().flatten(),
        Some(format!("{PW_PLAIN}-file"))
    );
    let out = run(
        p.path(),
        &args,
        &[
            ("PGPASSFILE", other_s.as_str()),
            ("PGPASSWORD", "S3cr3t-env"),
        ],
        LIMIT,
    );
    assert_no_secret(&out, "PGPASSWORD");
    assert_eq!(
        fake.received().last().cloned().flatten().as_deref(),
        Some("S3cr3t-env")
    );
}

/// Usage errors: clap echoes unexpected arguments, so a URL typed without
/// `--url` (or next to a bad flag) must be shown masked.
#[test]
fn usage_errors_never_show_the_password() {
    let p = project();
    let url = format!("postgresql://app:{PW_PLAIN}@127.0.0.1/appdb");
    let broken = format!("postgresql://app:{PW_SPECIAL_ENC}@127.0.0.1:bad/appdb");
    let eq = format!("--url={url}");
    for args in [
        &["status", url.as_str()][..],
        &["current", broken.as_str()],
        &[url.as_str()],
        &["--format", "nope", eq.as_str()],
        &["--url", url.as_str(), "--url", url.as_str()],
        &["--bogus", "--url", url.as_str()],
        &["show", "--url", url.as_str()],
    ] {
        let out = run(p.path(), args, &[], LIMIT);
        assert_no_secret(&out, &format!("usage error {args:?}"));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.all());
    }
}
