//! TLS on PostgreSQL: a private cluster with its own CA, every sslmode and
//! certificate spelling as libpq and the Python drivers read them.

use super::*;

#[test]
fn postgres_tls_as_the_drivers_do_it() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    cluster.exec(
        "postgres",
        &format!(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY);
             INSERT INTO alembic_version VALUES ('{REV}');
             GRANT SELECT ON alembic_version TO certuser, wrongcn;"
        ),
    );
    let pki = &cluster.pki;
    let port = cluster.port;
    let ca = pki.path("ca.crt");
    let stranger = pki.path("stranger.crt");
    let (client_crt, client_key) = pki.client("certuser");
    let (wrong_crt, wrong_key) = pki.client("wrongcn");
    let open_key = pki.path("client-certuser-open.key");
    std::fs::copy(&client_key, &open_key).expect("copy key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&open_key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let empty = home(&[]);
    let home_ca = home(&[("root.crt", &ca)]);
    let home_stranger = home(&[("root.crt", &stranger)]);
    let home_client = home(&[
        ("root.crt", &ca),
        ("postgresql.crt", &client_crt),
        ("postgresql.key", &client_key),
    ]);
    let h = |d: &tempfile::TempDir| ("HOME", s(d.path()));
    let lib = |host: &str, user: &str, q: &str| {
        let auth = if user == "postgres" {
            format!("postgres:{PASSWORD}")
        } else {
            user.to_string()
        };
        format!("postgresql+psycopg2://{auth}@{host}:{port}/postgres?{q}")
    };
    let apg = |host: &str, user: &str, q: &str| {
        lib(host, user, q).replacen("postgresql+psycopg2", "postgresql+asyncpg", 1)
    };
    use Want::{Fails, Reads};
    let sslrootcert = |f: &Path| format!("sslrootcert={}", s(f));
    let cases = vec![
        // Server certificate checks, libpq and asyncpg spellings side by side.
        case(
            "libpq verify-full, CA given",
            lib(
                "localhost",
                "postgres",
                &format!("sslmode=verify-full&{}", sslrootcert(&ca)),
            ),
            &[h(&empty)],
            Reads,
        ),
        case(
            "asyncpg verify-full, CA given",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&empty), ("PGSSLROOTCERT", s(&ca))],
            Reads,
        ),
        case(
            "libpq verify-full, other host name",
            lib(
                "127.0.0.1",
                "postgres",
                &format!("sslmode=verify-full&{}", sslrootcert(&ca)),
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, other host name",
            apg("127.0.0.1", "postgres", "ssl=verify-full"),
            &[h(&empty), ("PGSSLROOTCERT", s(&ca))],
            Fails("tls"),
        ),
        case(
            "libpq verify-ca, other host name",
            lib(
                "127.0.0.1",
                "postgres",
                &format!("sslmode=verify-ca&{}", sslrootcert(&ca)),
            ),
            &[h(&empty)],
            Reads,
        ),
        case(
            "asyncpg verify-ca, other host name",
            apg("127.0.0.1", "postgres", "ssl=verify-ca"),
            &[h(&empty), ("PGSSLROOTCERT", s(&ca))],
            Reads,
        ),
        case(
            "libpq verify-full, untrusted CA",
            lib(
                "localhost",
                "postgres",
                &format!("sslmode=verify-full&{}", sslrootcert(&stranger)),
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, untrusted CA",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&empty), ("PGSSLROOTCERT", s(&stranger))],
            Fails("tls"),
        ),
        case(
            "libpq verify-full, no root file",
            lib("localhost", "postgres", "sslmode=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, no root file",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq verify-full, ~/.postgresql/root.crt",
            lib("localhost", "postgres", "sslmode=verify-full"),
            &[h(&home_ca)],
            Reads,
        ),
        case(
            "asyncpg verify-full, ~/.postgresql/root.crt",
            apg("localhost", "postgres", "ssl=verify-full"),
            &[h(&home_ca)],
            Reads,
        ),
        case(
            "libpq verify-full from PGSSLMODE",
            lib("localhost", "postgres", ""),
            &[h(&empty), ("PGSSLMODE", "verify-full".into())],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full from PGSSLMODE",
            apg("localhost", "postgres", ""),
            &[h(&empty), ("PGSSLMODE", "verify-full".into())],
            Fails("tls"),
        ),
        // `require` checks nothing, unless a root file exists (then the chain).
        case(
            "libpq require, no root file",
            lib("127.0.0.1", "postgres", "sslmode=require"),
            &[h(&empty)],
            Reads,
        ),
        case(
            "asyncpg require, no root file",
            apg("127.0.0.1", "postgres", "ssl=require"),
            &[h(&empty)],
            Reads,
        ),
        case(
            "libpq require, untrusted root.crt",
            lib("127.0.0.1", "postgres", "sslmode=require"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "asyncpg require, untrusted root.crt",
            apg("127.0.0.1", "postgres", "ssl=require"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "libpq require, trusted root.crt, other host name",
            lib("127.0.0.1", "postgres", "sslmode=require"),
            &[h(&home_ca)],
            Reads,
        ),
        case(
            "libpq prefer, untrusted root.crt",
            lib("localhost", "postgres", ""),
            &[h(&home_stranger)],
            Reads,
        ),
        case(
            "libpq disable",
            lib("localhost", "postgres", "sslmode=disable"),
            &[h(&home_stranger)],
            Reads,
        ),
        case(
            "libpq sslrootcert=system, CA not in the system store",
            lib("localhost", "postgres", "sslrootcert=system"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq require with sslrootcert=system",
            lib(
                "localhost",
                "postgres",
                "sslmode=require&sslrootcert=system",
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq TLS 1.3 only",
            lib(
                "localhost",
                "postgres",
                &format!(
                    "sslmode=verify-full&{}&ssl_min_protocol_version=TLSv1.3",
                    sslrootcert(&ca)
                ),
            ),
            &[h(&empty)],
            Reads,
        ),
        // Client certificates: the role `certuser` logs in only with one.
        case(
            "libpq client certificate",
            lib(
                "localhost",
                "certuser",
                &format!(
                    "sslmode=verify-full&{}&sslcert={}&sslkey={}",
                    sslrootcert(&ca),
                    s(&client_crt),
                    s(&client_key)
                ),
            ),
            &[h(&empty)],
            Reads,
        ),
        case(
            "libpq client certificate from ~/.postgresql",
            lib("localhost", "certuser", "sslmode=verify-full"),
            &[h(&home_client)],
            Reads,
        ),
        case(
            "libpq client certificate from PGSSLCERT/PGSSLKEY",
            lib("localhost", "certuser", "sslmode=require"),
            &[
                h(&empty),
                ("PGSSLCERT", s(&client_crt)),
                ("PGSSLKEY", s(&client_key)),
            ],
            Reads,
        ),
        case(
            "asyncpg client certificate from PGSSLCERT/PGSSLKEY",
            apg("localhost", "certuser", "ssl=verify-full"),
            &[
                h(&empty),
                ("PGSSLROOTCERT", s(&ca)),
                ("PGSSLCERT", s(&client_crt)),
                ("PGSSLKEY", s(&client_key)),
            ],
            Reads,
        ),
        case(
            "asyncpg client certificate from ~/.postgresql",
            apg("localhost", "certuser", "ssl=verify-full"),
            &[h(&home_client)],
            Reads,
        ),
        case(
            "libpq no client certificate",
            lib("localhost", "certuser", "sslmode=require"),
            &[h(&empty)],
            Fails("authentication"),
        ),
        case(
            "libpq missing sslcert file: goes on without one",
            lib(
                "localhost",
                "certuser",
                "sslmode=require&sslcert=/nonexistent/client.crt",
            ),
            &[h(&empty)],
            Fails("authentication"),
        ),
        case(
            "libpq client certificate for another user",
            lib(
                "localhost",
                "certuser",
                &format!(
                    "sslmode=require&sslcert={}&sslkey={}",
                    s(&wrong_crt),
                    s(&wrong_key)
                ),
            ),
            &[h(&empty)],
            Fails("authentication"),
        ),
        case(
            "libpq sslcertmode=disable keeps ~/.postgresql's certificate back",
            lib(
                "localhost",
                "certuser",
                "sslmode=verify-full&sslcertmode=disable",
            ),
            &[h(&home_client)],
            Fails("authentication"),
        ),
        case(
            "libpq key readable by others",
            lib(
                "localhost",
                "certuser",
                &format!(
                    "sslmode=require&sslcert={}&sslkey={}",
                    s(&client_crt),
                    s(&open_key)
                ),
            ),
            &[h(&empty)],
            Fails("tls"),
        ),
    ];
    let p = project();
    let verdicts = check_cases(&p, &cases);

    // asyncpg's `ssl=MODE` fails exactly like libpq's `sslmode=MODE`.
    for pair in [
        (
            "libpq verify-full, other host name",
            "asyncpg verify-full, other host name",
        ),
        (
            "libpq verify-full, untrusted CA",
            "asyncpg verify-full, untrusted CA",
        ),
        (
            "libpq verify-full, no root file",
            "asyncpg verify-full, no root file",
        ),
        (
            "libpq verify-full from PGSSLMODE",
            "asyncpg verify-full from PGSSLMODE",
        ),
        (
            "libpq require, untrusted root.crt",
            "asyncpg require, untrusted root.crt",
        ),
    ] {
        let find = |name: &str| {
            cases
                .iter()
                .position(|c| c.name == name)
                .map(|i| &verdicts[i])
                .unwrap_or_else(|| panic!("no case {name}"))
        };
        let (a, b) = (find(pair.0), find(pair.1));
        assert_eq!(
            (&a.1, cause(&a.2).replace("127.0.0.1", "HOST")),
            (&b.1, cause(&b.2).replace("127.0.0.1", "HOST")),
            "{pair:?}: {a:?} / {b:?}"
        );
    }
    // What the messages say.
    let msg = |name: &str| {
        let i = cases.iter().position(|c| c.name == name).unwrap_or(0);
        verdicts[i].2.clone()
    };
    let m = msg("asyncpg verify-full, untrusted CA");
    assert!(
        m.contains("UnknownIssuer") && m.contains("ssl=verify-full"),
        "{m}"
    );
    let m = msg("libpq verify-full, untrusted CA");
    assert!(
        m.contains("UnknownIssuer") && m.contains("sslmode=verify-full"),
        "{m}"
    );
    let m = msg("libpq verify-full, no root file");
    assert!(
        m.contains(&format!("{}/.postgresql/root.crt", s(empty.path()))),
        "{m}"
    );
    let m = msg("libpq key readable by others");
    assert!(m.contains("group or world access"), "{m}");
    let m = msg("libpq require with sslrootcert=system");
    assert!(m.contains("weak sslmode \"require\""), "{m}");
}

/// The machine's PostgreSQL has a self-signed certificate: both spellings of
/// verify-full refuse it the same way, and `require` connects.
#[test]
fn self_signed_server_both_spellings() {
    let admin = support::postgres_admin_url();
    let Ok(parsed) = db_status::database::DbUrl::parse(&admin) else {
        panic!("DB_STATUS_TEST_POSTGRES_URL is not a URL");
    };
    let host = parsed.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let port = parsed.port.unwrap_or(5432);
    let auth = match (&parsed.username, &parsed.password) {
        (Some(u), Some(pw)) => format!("{u}:{pw}@"),
        (Some(u), None) => format!("{u}@"),
        _ => "postgres@".to_string(),
    };
    let mut probe = postgres::Config::new();
    probe
        .host(&host)
        .port(port)
        .user(parsed.username.as_deref().unwrap_or("postgres"))
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(5));
    if let Some(pw) = &parsed.password {
        probe.password(pw);
    }
    let mut client = match probe.connect(postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            support::service_missing(support::Need::Postgres, &e);
            return;
        }
    };
    let ssl_on = client
        .query_one("SHOW ssl", &[])
        .map(|r| r.get::<_, String>(0) == "on")
        .unwrap_or(false);
    assert!(
        ssl_on,
        "the test PostgreSQL has ssl=off; this test needs its (self-signed) TLS certificate"
    );
    let name = support::unique("dbs_tls");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let mut db = probe.clone();
    db.dbname(&name);
    db.connect(postgres::NoTls)
        .and_then(|mut c| {
            c.batch_execute(&format!(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY); \
                 INSERT INTO alembic_version VALUES ('{REV}')"
            ))
        })
        .expect("setup");
    let pki = pg_cluster::Pki::new();
    let empty = home(&[]);
    let home_stranger = home(&[("root.crt", &pki.path("stranger.crt"))]);
    let h = |d: &tempfile::TempDir| ("HOME", s(d.path()));
    let lib = |q: &str| format!("postgresql+psycopg2://{auth}{host}:{port}/{name}?{q}");
    let apg = |q: &str| format!("postgresql+asyncpg://{auth}{host}:{port}/{name}?{q}");
    use Want::{Fails, Reads};
    let cases = vec![
        case(
            "libpq verify-full, no root file",
            lib("sslmode=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, no root file",
            apg("ssl=verify-full"),
            &[h(&empty)],
            Fails("tls"),
        ),
        case(
            "libpq verify-full, another CA",
            lib("sslmode=verify-full"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-full, another CA",
            apg("ssl=verify-full"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "libpq verify-ca, another CA",
            lib("sslmode=verify-ca"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case(
            "asyncpg verify-ca, another CA",
            apg("ssl=verify-ca"),
            &[h(&home_stranger)],
            Fails("tls"),
        ),
        case("libpq require", lib("sslmode=require"), &[h(&empty)], Reads),
        case("asyncpg require", apg("ssl=require"), &[h(&empty)], Reads),
    ];
    let p = project();
    let verdicts = check_cases(&p, &cases);
    for pair in verdicts.chunks(2) {
        assert_eq!(
            (&pair[0].1, cause(&pair[0].2)),
            (&pair[1].1, cause(&pair[1].2)),
            "{pair:?}"
        );
    }
    let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
