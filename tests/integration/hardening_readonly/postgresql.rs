//! PostgreSQL: a SELECT-only role sees every state, inside a read-only
//! transaction (proven by the server log).

use super::*;

// ---------------------------------------------------------------------------
// PostgreSQL

fn pg_admin(db: Option<&str>) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = support::postgres_admin_url()
        .parse()
        .expect("DB_STATUS_TEST_POSTGRES_URL is not a valid PostgreSQL URL");
    config.connect_timeout(Duration::from_secs(5));
    if let Some(db) = db {
        config.dbname(db);
    }
    config.connect(postgres::NoTls)
}

/// Host and port of the admin URL, for building the role's URL.
fn pg_host_port() -> (String, u16) {
    let config: postgres::Config = support::postgres_admin_url().parse().expect("valid URL");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_string(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

/// A database and a login role with no privileges, dropped on drop.
struct PgScratch {
    name: String,
}

impl PgScratch {
    fn new() -> Option<PgScratch> {
        let mut admin = match pg_admin(None) {
            Ok(c) => c,
            Err(e) => {
                service_missing(support::Need::Postgres, &e);
                return None;
            }
        };
        let name = unique("dbs_ro");
        // One statement per call: CREATE DATABASE cannot run in the implicit
        // transaction of a multi-statement query.
        for sql in [
            format!("CREATE DATABASE {name}"),
            format!("CREATE ROLE {name} LOGIN PASSWORD 'ro-pass'"),
            format!("REVOKE ALL ON DATABASE {name} FROM PUBLIC"),
            format!("GRANT CONNECT ON DATABASE {name} TO {name}"),
        ] {
            admin
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let mut db = pg_admin(Some(&name)).expect("connect to the scratch database");
        // PostgreSQL 15 already denies CREATE on public; older servers do not.
        db.batch_execute(&format!(
            "REVOKE ALL ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {name};"
        ))
        .expect("lock down schema public");
        Some(PgScratch { name })
    }

    fn db(&self) -> postgres::Client {
        pg_admin(Some(&self.name)).expect("connect to the scratch database")
    }

    fn url(&self) -> String {
        let (host, port) = pg_host_port();
        format!("postgresql://{0}:ro-pass@{host}:{port}/{0}", self.name)
    }

    fn table_exists(&self) -> bool {
        let row = self
            .db()
            .query_one(
                "SELECT to_regclass('public.alembic_version') IS NOT NULL",
                &[],
            )
            .expect("to_regclass");
        row.get(0)
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        if let Ok(mut admin) = pg_admin(None) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
            let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}

#[test]
fn postgres_select_only_role_sees_every_state() {
    let Some(scratch) = PgScratch::new() else {
        return;
    };
    let p = project();
    let url = scratch.url();
    let reference = alembic_url(&support::postgres_admin_url(), &scratch.name);

    // No version table: reported as such, and still none afterwards.
    let out = status(&p, &url);
    out.assert_clean("postgres, no table");
    assert_eq!(
        state_of(&out),
        (Some(3), "no-revision".to_string()),
        "{}",
        out.all()
    );
    assert_agrees_with_alembic("no table", &p, &reference, &out);
    other_commands_work(&p, &url);
    assert!(
        !scratch.table_exists(),
        "db-status created the version table"
    );

    let mut db = scratch.db();
    db.batch_execute(&format!(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, \
         CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); \
         GRANT SELECT ON alembic_version TO {};",
        scratch.name
    ))
    .expect("create version table");
    for (name, rows, code, state) in states() {
        db.batch_execute("DELETE FROM alembic_version")
            .expect("clear");
        for r in &rows {
            db.execute("INSERT INTO alembic_version VALUES ($1)", &[r])
                .expect("insert");
        }
        let out = status(&p, &url);
        out.assert_clean(&format!("postgres, {name}"));
        assert_eq!(
            state_of(&out),
            (Some(code), state.to_string()),
            "{name}: {}",
            out.all()
        );
        assert_agrees_with_alembic(name, &p, &reference, &out);
        other_commands_work(&p, &url);
    }
    // Two rows: whatever db-status says for them in SQLite.
    let two = [REVS[0], REVS[2]];
    db.batch_execute("DELETE FROM alembic_version")
        .expect("clear");
    for r in two {
        db.execute("INSERT INTO alembic_version VALUES ($1)", &[&r])
            .expect("insert");
    }
    let out = status(&p, &url);
    out.assert_clean("postgres, two rows");
    assert_eq!(
        state_of(&out),
        (Some(6), "database-error".to_string()),
        "{}",
        out.all()
    );
    assert_agrees_with_alembic("two rows", &p, &reference, &out);
    let rows: i64 = db
        .query_one("SELECT count(*) FROM alembic_version", &[])
        .expect("count")
        .get(0);
    assert_eq!(rows, 2, "the version table was changed");
}

/// The server's own testimony: a view in place of the version table yields
/// the head revision only when the reading transaction is read-only.
#[test]
fn postgres_reads_inside_a_read_only_transaction() {
    let Some(scratch) = PgScratch::new() else {
        return;
    };
    let p = project();
    let mut db = scratch.db();
    db.batch_execute(&format!(
        "CREATE VIEW alembic_version AS SELECT CASE \
           WHEN current_setting('transaction_read_only') = 'on' THEN '{head}' \
           ELSE 'not-read-only' END::varchar(32) AS version_num; \
         GRANT SELECT ON alembic_version TO {role};",
        head = REVS[2],
        role = scratch.name
    ))
    .expect("create probe view");
    let out = status(&p, &scratch.url());
    out.assert_clean("postgres, read-only probe");
    let v = out.json();
    assert_eq!(
        v["components"][0]["current"][0]["revision"],
        REVS[2],
        "the server did not see a read-only transaction:\n{}",
        out.all()
    );
    assert_eq!(out.code, Some(0), "{}", out.all());

    // And the statements as the server logged them for this role, from the
    // server's own log file.
    let log = server_log(&mut db);
    let log = log.as_path();
    if std::fs::File::open(log).is_ok() {
        db.batch_execute(&format!(
            "ALTER ROLE {} SET log_statement = 'all'",
            scratch.name
        ))
        .expect("log_statement");
        let before = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
        let out = status(&p, &scratch.url());
        assert_eq!(out.code, Some(0), "{}", out.all());
        // The server writes its log asynchronously: wait for the end of
        // db-status's session (its disconnection line), at most 10 s.
        let mine = format!("{0}@{0}", scratch.name);
        let mut tail = String::new();
        for _ in 0..100 {
            let text = std::fs::read(log).unwrap_or_default();
            tail = String::from_utf8_lossy(text.get(before as usize..).unwrap_or_default())
                .into_owned();
            if tail
                .lines()
                .any(|l| l.contains(&mine) && l.contains("statement: ROLLBACK"))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let ours: Vec<&str> = tail
            .lines()
            .filter(|l| l.contains(&mine) && l.contains("statement: "))
            .collect();
        assert!(!ours.is_empty(), "nothing logged for the role:\n{tail}");
        assert!(
            ours[0].contains("statement: BEGIN READ ONLY"),
            "first statement is not BEGIN READ ONLY:\n{}",
            ours.join("\n")
        );
        for l in &ours {
            let stmt = l
                .split("statement: ")
                .nth(1)
                .unwrap_or("")
                .to_ascii_uppercase();
            for bad in [
                "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "COMMIT", "GRANT",
            ] {
                assert!(!stmt.contains(bad), "a write-like statement: {l}");
            }
        }
        eprintln!("postgres log for the role:\n{}", ours.join("\n"));
    } else {
        support::environment::unavailable(
            support::Need::PgLog,
            format_args!("no readable PostgreSQL server log at {}", log.display()),
        );
    }
}

/// Where the server writes its log, as the server says: its logging
/// collector's current file, else the file Debian's `pg_ctlcluster` sends
/// the server's stderr to (`/var/log/postgresql/postgresql-<major>-<cluster>.log`).
fn server_log(db: &mut postgres::Client) -> std::path::PathBuf {
    let setting = |db: &mut postgres::Client, sql: &str| -> Option<String> {
        db.query_one(sql, &[])
            .ok()
            .and_then(|r| r.get::<_, Option<String>>(0))
    };
    if let Some(file) = setting(db, "SELECT pg_current_logfile()") {
        let data = setting(db, "SELECT current_setting('data_directory')").unwrap_or_default();
        return Path::new(&data).join(file);
    }
    let version = setting(db, "SELECT current_setting('server_version_num')").unwrap_or_default();
    let major = version.parse::<u32>().map_or(0, |v| v / 10000);
    let cluster = setting(db, "SELECT current_setting('cluster_name')").unwrap_or_default();
    let cluster = cluster.rsplit('/').next().unwrap_or("main");
    Path::new("/var/log/postgresql").join(format!("postgresql-{major}-{cluster}.log"))
}
