//! Fleets (issue 12, "Fleet"), end to end through the binary: a targets
//! file with labels, the compact table + details + summary, JSON with every
//! target's labels (validated against the schema), the worst exit code, the
//! script directory read once per component however many targets (counted
//! with strace), errors in the targets file, and a scaled-down fleet on the
//! real PostgreSQL, both one database per target and one schema per target,
//! where every target's state is checked.

use crate::support;

use std::path::Path;
use std::time::Duration;

use crate::support::{Run, run, unique};

const LIMIT: Duration = Duration::from_secs(60);

/// A project with component `app` (chain a1 → b2 → c3) and `audit` (x1).
fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tmp");
    let w = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    w(
        "db-status.toml",
        "[app]\nconfig = \"alembic.ini\"\n[audit]\nconfig = \"alembic.ini\"\nsection = \"audit\"\n",
    );
    w(
        "alembic.ini",
        "[alembic]\nscript_location = app\n[audit]\nscript_location = audit\n",
    );
    let mut down = "None".to_string();
    for id in ["a1", "b2", "c3"] {
        w(
            &format!("app/versions/{id}_rev.py"),
            &format!("\"\"\"rev {id}\"\"\"\nrevision = '{id}'\ndown_revision = {down}\n"),
        );
        down = format!("'{id}'");
    }
    w(
        "audit/versions/x1_rev.py",
        "revision = 'x1'\ndown_revision = None\n",
    );
    d
}

/// A SQLite database at `rel` whose version table holds `rows`.
fn sqlite(dir: &Path, rel: &str, rows: &[&str]) {
    let c = rusqlite::Connection::open(dir.join(rel)).expect("sqlite");
    c.execute_batch("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        .expect("create");
    for r in rows {
        c.execute("INSERT INTO alembic_version VALUES (?1)", [r])
            .expect("insert");
    }
}

fn fleet(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut argv = vec!["--targets", "targets.toml"];
    argv.extend(args);
    let out = run(dir, &argv, &[&[("NO_COLOR", "1")], env].concat(), LIMIT);
    out.assert_clean(&argv.join(" "));
    out
}

const TARGETS: &str = r#"
[[target]]
component = "app"
url = "sqlite:///prod.db"
labels = { env = "prod", region = "eu" }

[[target]]
component = "app"
url = "sqlite:///staging.db"
labels = { env = "staging", region = "eu" }

[[target]]
component = "app"
url_env = "DEV_URL"
labels = { env = "dev" }

[[target]]
component = "audit"
url = "sqlite:///audit.db"
labels = { env = "prod" }

[[target]]
component = "app"
url_env = "UNSET_URL"
labels = { env = "qa" }
"#;

#[test]
fn table_details_summary_and_worst_exit_code() {
    let d = project();
    sqlite(d.path(), "prod.db", &["c3"]);
    sqlite(d.path(), "staging.db", &["a1"]);
    sqlite(d.path(), "dev.db", &["c3"]);
    sqlite(d.path(), "audit.db", &["x1"]);
    std::fs::write(d.path().join("targets.toml"), TARGETS).expect("targets");
    let env = [("DEV_URL", "sqlite:///dev.db")];
    let out = fleet(d.path(), &[], &env);
    // The worst: an unset url_env is that target's database error (6).
    assert_eq!(out.code, Some(6), "{}", out.all());
    insta::assert_snapshot!("fleet_human", out.stdout);
    assert!(
        out.stderr.is_empty(),
        "no progress bar off a terminal: {}",
        out.stderr
    );

    let json = fleet(d.path(), &["--format", "json"], &env).json();
    assert_eq!(json["exit_code"], 6);
    let comps = json["components"].as_array().expect("components");
    let got: Vec<(String, String, String)> = comps
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["labels"]["env"].as_str().unwrap_or_default().to_string(),
                c["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want = [
        ("app", "prod", "up-to-date"),
        ("app", "staging", "behind"),
        ("app", "dev", "up-to-date"),
        ("audit", "prod", "up-to-date"),
        ("app", "qa", "database-error"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert_eq!(comps[0]["labels"]["region"], "eu");
    assert_eq!(comps[1]["pending_count"], 2);
    assert_eq!(comps[0]["url_source"], "targets-file");
    // The unset url_env's message: the `fleet_human` snapshot above.

    // All up to date: exit 0, the table and the summary only.
    let up = "[[target]]\ncomponent = \"app\"\nurl = \"sqlite:///prod.db\"\nlabels = { env = \"prod\" }\n[[target]]\ncomponent = \"app\"\nurl = \"sqlite:///dev.db\"\nlabels = { env = \"dev\" }\n";
    std::fs::write(d.path().join("targets.toml"), up).expect("targets");
    let out = fleet(d.path(), &[], &[]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(
        out.stdout,
        "COMPONENT  LABELS    STATE       CURRENT  PENDING\n\
         app        env=prod  up-to-date  c3             0\n\
         app        env=dev   up-to-date  c3             0\n\
         \n\
         2 up to date\n"
    );
}

/// Every revision file is opened once, however many targets share the
/// component: counted from the system calls (strace), not from our own code.
#[test]
fn script_directory_is_read_once_per_component() {
    let d = project();
    let mut targets = String::new();
    for i in 0..40 {
        let db = format!("t{i}.db");
        sqlite(d.path(), &db, &["b2"]);
        targets.push_str(&format!(
            "[[target]]\ncomponent = \"app\"\nurl = \"sqlite:///{db}\"\nlabels = {{ n = \"{i}\" }}\n"
        ));
    }
    targets.push_str("[[target]]\ncomponent = \"audit\"\nurl = \"sqlite:///t0.db\"\n");
    std::fs::write(d.path().join("targets.toml"), targets).expect("targets");
    let trace = d.path().join("trace");
    let mut c = std::process::Command::new("strace");
    c.args(["-f", "-e", "trace=open,openat", "-o"])
        .arg(&trace)
        .arg(support::bin())
        .args(["--targets", "targets.toml", "--jobs", "8"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", d.path())
        .env("NO_COLOR", "1")
        .current_dir(d.path());
    let out = support::run_cmd(c, LIMIT);
    assert!(
        trace.is_file(),
        "strace is needed to count file opens (apt-get install strace): {}",
        out.all()
    );
    // 40 behind + the audit target pointing at app's database (unknown revision).
    assert_eq!(out.code, Some(5), "{}", out.all());
    let trace = std::fs::read_to_string(&trace).expect("trace");
    for file in ["a1_rev.py", "b2_rev.py", "c3_rev.py", "x1_rev.py"] {
        let opens = trace
            .lines()
            .filter(|l| l.contains(file) && !l.contains("ENOENT"))
            .count();
        assert_eq!(opens, 1, "{file} opened {opens} times for 41 targets");
    }
}

#[test]
fn errors_in_the_targets_file() {
    let d = project();
    let cases: &[(&str, &str)] = &[
        (
            "[[target]]\ncomponent = \"app\"\nurl = \"sqlite:///a.db\"\n\n[[target]]\ncomponent = \"app\"\nurl = \"sqlite:///b.db\"\n",
            "error: targets.toml: entry 2 (line 5): the same component (app) and labels as entry 1 (line 1): add a label that tells them apart\n",
        ),
        (
            "[[target]]\ncomponent = \"nope\"\nurl = \"sqlite:///a.db\"\n",
            "error: targets.toml: entry 1 (line 1): unknown component 'nope'",
        ),
        (
            "[[target]]\ncomponent = \"app\"\nurl = \"postgresql://u:s3cret@h/db\" x\n",
            "error: targets.toml: line 3: ",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(d.path().join("targets.toml"), text).expect("targets");
        let out = fleet(d.path(), &[], &[]);
        assert_eq!(out.code, Some(7), "{text}: {}", out.all());
        assert!(out.stderr.starts_with(want), "{text}:\n{}", out.stderr);
        assert!(!out.all().contains("s3cret"), "{}", out.all());
        let json = fleet(d.path(), &["--format", "json"], &[]).json();
        assert_eq!(json["exit_code"], 7);
        assert_eq!(json["error"]["kind"], "targets-file");
    }
    let out = run(
        d.path(),
        &["--targets", "missing.toml"],
        &[("NO_COLOR", "1")],
        LIMIT,
    );
    assert_eq!(out.code, Some(7));
    assert!(
        out.stderr
            .starts_with("error: cannot read the targets file missing.toml: "),
        "{}",
        out.stderr
    );
    for flags in [
        &["--component", "app"][..],
        &["--all"],
        &["--url", "sqlite://"],
        &["-c", "alembic.ini"],
    ] {
        let out = fleet(d.path(), flags, &[]);
        assert_eq!(out.code, Some(2), "{flags:?}: {}", out.all());
        assert!(
            out.stderr.contains("cannot be combined with --targets"),
            "{}",
            out.stderr
        );
    }
    let out = run(d.path(), &["check", "--targets", "t.toml"], &[], LIMIT);
    assert_eq!(out.code, Some(2), "{}", out.all());
}

// ---------------------------------------------------------------- PostgreSQL

fn pg(db: &str) -> postgres::Client {
    let url = support::postgres_admin_url();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    postgres::Client::connect(&format!("{base}/{db}"), postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is needed at {base} (set DB_STATUS_TEST_POSTGRES_URL to an admin URL): {e}"
        )
    })
}

/// Databases created for a test, dropped on drop (even when it fails).
struct Databases(Vec<String>);

impl Drop for Databases {
    fn drop(&mut self) {
        let mut c = pg("postgres");
        for db in &self.0 {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
    }
}

/// The version-table SQL for a target in state number `i % 4`: at head,
/// behind, fresh (no version table), unknown revision.
fn stamp_sql(i: usize, schema: &str) -> (String, &'static str) {
    let create = format!(
        "CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
    );
    match i % 4 {
        0 => (
            format!("{create} INSERT INTO {schema}.alembic_version VALUES ('c3');"),
            "up-to-date",
        ),
        1 => (
            format!("{create} INSERT INTO {schema}.alembic_version VALUES ('a1');"),
            "behind",
        ),
        2 => (String::new(), "no-revision"),
        _ => (
            format!("{create} INSERT INTO {schema}.alembic_version VALUES ('zz9');"),
            "unknown-revision",
        ),
    }
}

fn pg_url(db: &str) -> String {
    let url = support::postgres_admin_url();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    format!("{base}/{db}")
}

fn check_states(d: &Path, targets: &str, want: &[&str]) {
    std::fs::write(d.join("targets.toml"), targets).expect("targets");
    let json = fleet(d, &["--format", "json", "--jobs", "8"], &[]).json();
    let got = support::component_states(&json);
    assert_eq!(got, want);
    for (i, c) in json["components"].as_array().expect("c").iter().enumerate() {
        assert_eq!(c["labels"]["tenant"], format!("t{i:03}"));
    }
    assert_eq!(json["exit_code"], 5, "the worst: unknown revision");
    let out = fleet(d, &["--jobs", "8"], &[]);
    let n = want.len();
    let count = |s: &str| want.iter().filter(|w| **w == s).count();
    let summary = format!(
        "{} up to date, {} behind, {} not initialized, {} unknown revision\n",
        count("up-to-date"),
        count("behind"),
        count("no-revision"),
        count("unknown-revision")
    );
    assert!(
        out.stdout.ends_with(&summary),
        "{n} targets:\n{}",
        out.stdout
    );
}

#[test]
fn postgres_fleet_one_database_per_target() {
    const N: usize = 24;
    let d = project();
    let prefix = unique("dbs_fleet");
    let mut dbs = Databases(Vec::new());
    let mut admin = pg("postgres");
    let mut targets = String::new();
    let mut want = Vec::new();
    for i in 0..N {
        let db = format!("{prefix}_{i}");
        admin
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .expect("create database");
        dbs.0.push(db.clone());
        let (sql, state) = stamp_sql(i, "public");
        if !sql.is_empty() {
            pg(&db).batch_execute(&sql).expect("stamp");
        }
        want.push(state);
        targets.push_str(&format!(
            "[[target]]\ncomponent = \"app\"\nurl = \"{}\"\nlabels = {{ tenant = \"t{i:03}\" }}\n",
            pg_url(&db)
        ));
    }
    check_states(d.path(), &targets, &want);
    drop(dbs);
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&format!("{prefix}%")],
        )
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "every database dropped");
}

#[test]
fn postgres_fleet_one_schema_per_target() {
    const N: usize = 24;
    let d = project();
    let db = unique("dbs_fleet_schemas");
    let mut admin = pg("postgres");
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create database");
    let _dbs = Databases(vec![db.clone()]);
    let mut c = pg(&db);
    let mut targets = String::new();
    let mut want = Vec::new();
    for i in 0..N {
        let schema = format!("tenant_{i:03}");
        let (sql, state) = stamp_sql(i, &schema);
        c.batch_execute(&format!("CREATE SCHEMA {schema}; {sql}"))
            .expect("schema");
        want.push(state);
        targets.push_str(&format!(
            "[[target]]\ncomponent = \"app\"\nurl = \"{}\"\nversion_table_schema = \"{schema}\"\nlabels = {{ tenant = \"t{i:03}\" }}\n",
            pg_url(&db)
        ));
    }
    let sessions = |c: &mut postgres::Client| -> i64 {
        c.query_one(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .expect("sessions")
        .get(0)
    };
    let before = sessions(&mut c);
    check_states(d.path(), &targets, &want);
    // Two runs of 24 targets with --jobs 8: without reuse 48 sessions, with
    // reuse at most 8 per run (statistics arrive when sessions end).
    let mut after = 0;
    for _ in 0..50 {
        c.batch_execute("SELECT pg_stat_clear_snapshot()")
            .expect("fresh statistics");
        after = sessions(&mut c);
        if after - before >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let opened = after - before;
    assert!(
        (2..=20).contains(&opened),
        "{opened} sessions for 2 x {N} targets sharing one database"
    );
}

// ---------------------------------------------------------------------- wait

/// A port that nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// After `delay`, listen on `port` and forward every connection to the test
/// PostgreSQL: a PostgreSQL that comes up late, as seen from the client.
fn late_postgres(port: u16, delay: Duration) {
    let url = support::postgres_admin_url();
    let hostport = url
        .split_once('@')
        .map_or("127.0.0.1:5432", |(_, rest)| {
            rest.split('/').next().unwrap_or(rest)
        })
        .to_string();
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind late port");
        for client in listener.incoming().flatten() {
            let Ok(server) = std::net::TcpStream::connect(&hostport) else {
                continue;
            };
            let (mut c2, mut s2) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            let (mut c1, mut s1) = (client, server);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c1, &mut s1);
                let _ = s1.shutdown(std::net::Shutdown::Both);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Both);
            });
        }
    });
}

/// The state lines of `wait`'s output (`   0.3s  name: state`), without the times.
fn state_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            let (time, rest) = l.trim_start().split_once("s  ")?;
            time.parse::<f64>().ok()?;
            Some(rest.to_string())
        })
        .collect()
}

#[test]
fn wait_for_a_postgres_that_never_comes_up_times_out() {
    let d = project();
    let url = format!("postgresql://postgres@127.0.0.1:{}/x", free_port());
    let out = run(
        d.path(),
        &[
            "wait",
            "--component",
            "app",
            "--url",
            &url,
            "--timeout",
            "2",
            "--interval",
            "0.2",
        ],
        &[("NO_COLOR", "1")],
        LIMIT,
    );
    out.assert_clean("wait");
    assert_eq!(out.code, Some(9), "{}", out.all());
    assert!(out.elapsed >= Duration::from_secs(2), "{:?}", out.elapsed);
    // About ten polls, one line: the state never changed.
    assert_eq!(
        state_lines(&out.stdout),
        ["app: database-error (Cannot connect to database)"],
        "{}",
        out.stdout
    );
    let last = out.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        last.starts_with("timed out after 2.")
            && last.ends_with("s waiting for reachable: 1 unreachable"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("connection refused by 127.0.0.1:"),
        "the details follow"
    );
}

#[test]
fn wait_for_a_fleet_whose_postgres_comes_up_late() {
    let d = project();
    let db = unique("dbs_wait");
    pg("postgres")
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create database");
    let _dbs = Databases(vec![db.clone()]);
    pg(&db)
        .batch_execute(&stamp_sql(0, "public").0)
        .expect("stamp at head");
    let port = free_port();
    let late = format!("postgresql://postgres@127.0.0.1:{port}/{db}?sslmode=disable");
    std::fs::write(
        d.path().join("targets.toml"),
        format!(
            "[[target]]\ncomponent = \"app\"\nurl = \"{}\"\nlabels = {{ env = \"prod\" }}\n\n[[target]]\ncomponent = \"app\"\nurl = \"{late}\"\nlabels = {{ env = \"late\" }}\n",
            pg_url(&db)
        ),
    )
    .expect("targets");
    late_postgres(port, Duration::from_millis(1500));
    let out = run(
        d.path(),
        &[
            "wait",
            "--targets",
            "targets.toml",
            "--until",
            "up-to-date",
            "--timeout",
            "40",
            "--interval",
            "0.2",
        ],
        &[("NO_COLOR", "1")],
        LIMIT,
    );
    out.assert_clean("wait");
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(
        state_lines(&out.stdout),
        [
            "app (env=prod): up-to-date",
            "app (env=late): database-error (Cannot connect to database)",
            "app (env=late): up-to-date",
        ],
        "{}",
        out.stdout
    );
    assert!(out.elapsed >= Duration::from_millis(1500));
    assert!(
        out.stdout
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("up-to-date after ") && l.ends_with("s: 2 up to date")),
        "{}",
        out.stdout
    );
}

#[test]
fn wait_follows_a_migration_and_stops_where_waiting_cannot_help() {
    let d = project();
    let db = unique("dbs_wait");
    pg("postgres")
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create database");
    let _dbs = Databases(vec![db.clone()]);
    pg(&db)
        .batch_execute(&stamp_sql(1, "public").0)
        .expect("stamp behind");
    let url = pg_url(&db);
    let args = |until: &'static str| {
        vec![
            "wait".to_string(),
            "--component".into(),
            "app".into(),
            "--url".into(),
            url.clone(),
            "--until".into(),
            until.into(),
            "--interval".into(),
            "0.2".into(),
            "--timeout".into(),
            "40".into(),
        ]
    };
    // Reachable at once: the final state's code (1, behind).
    let a = args("reachable");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = run(d.path(), &a, &[("NO_COLOR", "1")], LIMIT);
    assert_eq!(out.code, Some(1), "{}", out.all());
    assert_eq!(state_lines(&out.stdout), ["app: behind (2 pending)"]);

    // Up to date once "the migration" (an UPDATE here) has run.
    let db2 = db.clone();
    let migrate = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        pg(&db2)
            .batch_execute("UPDATE alembic_version SET version_num = 'c3'")
            .expect("upgrade");
    });
    let a = args("up-to-date");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = run(d.path(), &a, &[("NO_COLOR", "1")], LIMIT);
    migrate.join().expect("migrate");
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert_eq!(
        state_lines(&out.stdout),
        ["app: behind (2 pending)", "app: up-to-date"],
        "{}",
        out.stdout
    );

    // A revision the scripts do not know: waiting cannot make it up to date.
    pg(&db)
        .batch_execute("UPDATE alembic_version SET version_num = 'zz9'")
        .expect("unknown");
    let out = run(d.path(), &a, &[("NO_COLOR", "1")], LIMIT);
    assert_eq!(out.code, Some(5), "{}", out.all());
    // The words: the `messages::commands::wait_stops_on_a_state_waiting_cannot_change` snapshot.
    assert!(
        out.elapsed < Duration::from_secs(40),
        "it did not wait for the timeout"
    );
}
