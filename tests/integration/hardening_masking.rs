//! Masking hides the password and nothing else (issue 8, item 7), on real
//! PostgreSQL and MariaDB error paths: wrong password, missing database,
//! missing role.
//!
//! Each scenario runs twice, once with the password under test and once
//! with a neutral password, through `status` (human and JSON) and
//! `current`. The neutral run never shows its password, and the run under
//! test must print exactly the same bytes: then the password is not shown
//! (where it equals the user or database name, that name is shown as such),
//! and masking changed no other word. The passwords: `x` (a letter of
//! ordinary words), the user name, the database name, and `p@ss:w/rd%`
//! (URL punctuation, percent-encoded in the URL).

use crate::support;
use crate::support::pg_cluster;

use std::time::Duration;

use crate::support::{Project, Run, run, unique};
use mysql::prelude::Queryable as _;
use pg_cluster::Cluster;

const LIMIT: Duration = Duration::from_secs(30);
const NEUTRAL: &str = "Neutral-Pw-7q";
const SPECIAL: &str = "p@ss:w/rd%";

/// `s` as it goes into a URL.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Everything db-status prints for `url` (status human, status JSON, current).
fn outputs(p: &Project, url: &str) -> Vec<Run> {
    [
        &["status", "--timeout", "10"][..],
        &["status", "--format", "json", "--timeout", "10"],
        &["current", "--timeout", "10"],
    ]
    .iter()
    .map(|args| {
        let mut all = args.to_vec();
        all.extend(["--url", url]);
        let out = run(p.path(), &all, &[], LIMIT);
        out.assert_clean(url);
        out
    })
    .collect()
}

/// Run `scenario` with `password` and with [`NEUTRAL`]; `prepare(pw)` makes
/// the server expect `pw` where the scenario needs the right password.
fn compare(
    what: &str,
    password: &str,
    url_for: impl Fn(&str) -> String,
    prepare: impl Fn(&str),
    expect_in_message: &str,
) {
    let p = Project::new("");
    p.rev("aaaa00000001", None, "one");
    prepare(NEUTRAL);
    let neutral = outputs(&p, &url_for(&enc(NEUTRAL)));
    prepare(password);
    let tested = outputs(&p, &url_for(&enc(password)));
    for (n, t) in neutral.iter().zip(&tested) {
        let n_all = n.all();
        assert!(
            !n_all.contains(NEUTRAL) && !n_all.contains(&enc(NEUTRAL)),
            "{what}: the neutral password shows:\n{n_all}"
        );
        assert_eq!(
            (t.code, t.stdout.as_str(), t.stderr.as_str()),
            (n.code, n.stdout.as_str(), n.stderr.as_str()),
            "{what}, password {password:?}: the output differs from the neutral run"
        );
    }
    // The human outputs carry the server's words unescaped.
    for out in [&neutral[0], &neutral[2]] {
        assert!(
            out.all().contains(expect_in_message),
            "{what}: expected `{expect_in_message}` in\n{}",
            out.all()
        );
    }
    assert_eq!(neutral[1].code, Some(6), "{what}: {}", neutral[1].all());
}

#[test]
fn postgres_error_paths_mask_only_the_password() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let port = cluster.port;
    let set_password = |pw: &str| {
        cluster.exec(
            "postgres",
            &format!("ALTER ROLE postgres PASSWORD '{}'", pw.replace('\'', "''")),
        );
    };
    for pw in ["x", "postgres", "appdb", SPECIAL] {
        // Wrong password (SCRAM): the server's message names the user.
        compare(
            "wrong password",
            pw,
            |p| format!("postgresql://postgres:{p}@localhost:{port}/appdb?sslmode=disable"),
            |_| set_password(pg_cluster::PASSWORD),
            "password authentication failed for user \"postgres\"",
        );
        // Right password, missing database.
        compare(
            "missing database",
            pw,
            |p| format!("postgresql://postgres:{p}@localhost:{port}/nosuchdb?sslmode=disable"),
            set_password,
            "database \"nosuchdb\" does not exist",
        );
    }
    // A password equal to the (missing) database's name.
    compare(
        "missing database named like the password",
        "gonedb",
        |p| format!("postgresql://postgres:{p}@localhost:{port}/gonedb?sslmode=disable"),
        set_password,
        "database \"gonedb\" does not exist",
    );
    set_password(pg_cluster::PASSWORD);
}

/// The machine's PostgreSQL trusts local connections, so a missing role is
/// reported as such: `role "nosuchrole" does not exist` must stay intact.
#[test]
fn postgres_missing_role_keeps_its_words() {
    let admin = support::postgres_admin_url();
    let parsed = db_status::database::DbUrl::parse(&admin).expect("admin URL");
    let host = parsed.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let port = parsed.port.unwrap_or(5432);
    if let Err(e) = std::net::TcpStream::connect((host.as_str(), port)) {
        support::service_missing(support::Need::Postgres, &e);
        return;
    }
    for pw in ["x", "nosuchrole", "postgres", SPECIAL] {
        compare(
            "missing role",
            pw,
            |p| format!("postgresql://nosuchrole:{p}@{host}:{port}/postgres?sslmode=disable"),
            |_| {},
            "role \"nosuchrole\" does not exist",
        );
    }
}

#[test]
fn mariadb_error_paths_mask_only_the_password() {
    let url = support::mysql_admin_url();
    let opts = mysql::Opts::from_url(&url).expect("DB_STATUS_TEST_MYSQL_URL is not a valid URL");
    let (host, port) = (opts.get_ip_or_hostname().to_string(), opts.get_tcp_port());
    let builder = mysql::OptsBuilder::from_opts(opts)
        .tcp_connect_timeout(Some(Duration::from_secs(5)))
        .prefer_socket(false);
    let mut admin = match mysql::Conn::new(builder) {
        Ok(c) => c,
        Err(e) => {
            support::service_missing(support::Need::Mysql, &e);
            return;
        }
    };
    let user = unique("dbsmask");
    let hosts = ["%", "localhost", "127.0.0.1"];
    let admin_cell = std::cell::RefCell::new(&mut admin);
    let set_password = |pw: &str| {
        let quoted = pw.replace('\\', "\\\\").replace('\'', "\\'");
        for h in hosts {
            admin_cell
                .borrow_mut()
                .query_drop(format!(
                    "ALTER USER '{user}'@'{h}' IDENTIFIED BY '{quoted}'"
                ))
                .expect("alter user");
        }
    };
    for h in hosts {
        admin_cell
            .borrow_mut()
            .query_drop(format!(
                "CREATE USER '{user}'@'{h}' IDENTIFIED BY 'Right-Pw-4u'"
            ))
            .expect("create user");
    }
    let missing = format!("{user}_gone");
    for pw in ["x", user.as_str(), missing.as_str(), SPECIAL] {
        compare(
            "wrong password",
            pw,
            |p| format!("mysql+pymysql://{user}:{p}@{host}:{port}/test"),
            |_| set_password("Right-Pw-4u"),
            &format!("Access denied for user '{user}'"),
        );
        compare(
            "missing database",
            pw,
            |p| format!("mysql+pymysql://{user}:{p}@{host}:{port}/{missing}"),
            set_password,
            &format!("\"{missing}\""),
        );
    }
    for h in hosts {
        let _ = admin_cell
            .borrow_mut()
            .query_drop(format!("DROP USER IF EXISTS '{user}'@'{h}'"));
    }
}
