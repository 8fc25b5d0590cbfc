//! Where the application looks (issue 8, item 4), compared with real
//! Alembic on the machine's PostgreSQL: one database, two schemas holding
//! different version tables (`public` at the head, `t1` at a revision the
//! scripts do not know, `t2` empty). The search path is given the ways an
//! application gives it — the URL's `options`, `PGOPTIONS`, or
//! `version_table_schema` (passed to `context.configure` by env.py) — with
//! psycopg2 and with asyncpg, and `db-status current` must print what
//! `alembic current` prints, and `db-status status` must reach the same
//! verdict. Where the driver refuses the URL (asyncpg has no `options`),
//! both must fail, db-status naming the parameter.

use crate::support;
use crate::support::{python, python_json};

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(30);

/// env.py that connects like Alembic's `generic` and `async` templates
/// (the async one for `+asyncpg` URLs) and passes `version_table_schema`
/// from the ini, as a project that sets it would.
const ENV_PY: &str = r#"
import asyncio
from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.ext.asyncio import async_engine_from_config

config = context.config
section = config.get_section(config.config_ini_section, {})

def configure(connection):
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table_schema=config.get_main_option("version_table_schema"),
    )
    with context.begin_transaction():
        context.run_migrations()

async def run_async():
    engine = async_engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(configure)
    await engine.dispose()

if "+asyncpg" in section["sqlalchemy.url"]:
    asyncio.run(run_async())
else:
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        configure(connection)
"#;

/// One way of pointing the application at a schema.
struct Case {
    name: &'static str,
    scheme: &'static str,
    /// Appended to the URL in the ini (`%` already doubled for configparser).
    query: &'static str,
    version_table_schema: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "psycopg2, default search_path",
        scheme: "postgresql+psycopg2",
        query: "",
        version_table_schema: None,
        env: &[],
    },
    Case {
        name: "psycopg2, options in the URL",
        scheme: "postgresql+psycopg2",
        query: "?options=-csearch_path%%3Dt1",
        version_table_schema: None,
        env: &[],
    },
    Case {
        name: "psycopg2, options with a space, an empty schema first",
        scheme: "postgresql+psycopg2",
        query: "?options=-c%%20search_path%%3Dt2,t1",
        version_table_schema: None,
        env: &[],
    },
    Case {
        name: "psycopg2, PGOPTIONS",
        scheme: "postgresql+psycopg2",
        query: "",
        version_table_schema: None,
        env: &[("PGOPTIONS", "-c search_path=t1")],
    },
    Case {
        name: "psycopg2, options in the URL win over PGOPTIONS",
        scheme: "postgresql+psycopg2",
        query: "?options=-csearch_path%%3Dpublic",
        version_table_schema: None,
        env: &[("PGOPTIONS", "-c search_path=t1")],
    },
    Case {
        name: "psycopg2, a schema without a version table",
        scheme: "postgresql+psycopg2",
        query: "?options=-csearch_path%%3Dt2",
        version_table_schema: None,
        env: &[],
    },
    Case {
        name: "psycopg2, version_table_schema",
        scheme: "postgresql+psycopg2",
        query: "",
        version_table_schema: Some("t1"),
        env: &[],
    },
    Case {
        name: "psycopg2, version_table_schema wins over options",
        scheme: "postgresql+psycopg2",
        query: "?options=-csearch_path%%3Dt1",
        version_table_schema: Some("public"),
        env: &[],
    },
    Case {
        name: "asyncpg, default search_path",
        scheme: "postgresql+asyncpg",
        query: "",
        version_table_schema: None,
        env: &[],
    },
    Case {
        name: "asyncpg ignores PGOPTIONS",
        scheme: "postgresql+asyncpg",
        query: "",
        version_table_schema: None,
        env: &[("PGOPTIONS", "-c search_path=t1")],
    },
    Case {
        name: "asyncpg, version_table_schema",
        scheme: "postgresql+asyncpg",
        query: "",
        version_table_schema: Some("t1"),
        env: &[],
    },
    Case {
        name: "asyncpg has no options parameter",
        scheme: "postgresql+asyncpg",
        query: "?options=-csearch_path%%3Dt1",
        version_table_schema: None,
        env: &[],
    },
];

/// A uniquely named database on the test PostgreSQL, dropped on drop.
struct TempDb {
    name: String,
    admin: db_status::database::DbUrl,
}

impl TempDb {
    fn config(admin: &db_status::database::DbUrl, database: &str) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host(admin.host.as_deref().unwrap_or("127.0.0.1"))
            .port(admin.port.unwrap_or(5432))
            .user(admin.username.as_deref().unwrap_or("postgres"))
            .dbname(database)
            .connect_timeout(Duration::from_secs(5));
        if let Some(pw) = &admin.password {
            c.password(pw);
        }
        c
    }

    fn create() -> Option<TempDb> {
        let admin = db_status::database::DbUrl::parse(&support::postgres_admin_url())
            .unwrap_or_else(|e| panic!("DB_STATUS_TEST_POSTGRES_URL: {e}"));
        let mut client = match TempDb::config(&admin, "postgres").connect(postgres::NoTls) {
            Ok(c) => c,
            Err(e) => {
                support::service_missing(support::Need::Postgres, &e);
                return None;
            }
        };
        let name = support::unique("dbs_path");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        Some(TempDb { name, admin })
    }

    fn client(&self) -> postgres::Client {
        TempDb::config(&self.admin, &self.name)
            .connect(postgres::NoTls)
            .expect("connect")
    }

    fn exec(&self, sql: &str) {
        self.client().batch_execute(sql).expect("setup SQL");
    }

    /// Every table outside the system schemas.
    fn tables(&self) -> Vec<String> {
        self.client()
            .query(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables \
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
                &[],
            )
            .expect("tables")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// The database's URL with `scheme`.
    fn url(&self, scheme: &str) -> String {
        let auth = match (&self.admin.username, &self.admin.password) {
            (Some(u), Some(p)) => format!("{u}:{p}@"),
            (Some(u), None) => format!("{u}@"),
            _ => "postgres@".to_string(),
        };
        format!(
            "{scheme}://{auth}{}:{}/{}",
            self.admin.host.as_deref().unwrap_or("127.0.0.1"),
            self.admin.port.unwrap_or(5432),
            self.name
        )
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Ok(mut c) = TempDb::config(&self.admin, "postgres").connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn revision(dir: &Path, file: &str, id: &str, down: &str, doc: &str) {
    std::fs::write(
        dir.join("mig/versions").join(file),
        format!("\"\"\"{doc}\"\"\"\nrevision = '{id}'\ndown_revision = {down}\n"),
    )
    .expect("write revision");
}

/// Run `alembic <argv>` for every job in one interpreter
/// (`tests/oracle/run_alembic.py`), with no `PG*` variable of ours.
fn alembic(jobs: &[Value], home: &Path) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/run_alembic.py");
    let mut c = Command::new(python());
    c.arg(&script)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("PYTHONHASHSEED", "0");
    python_json(c, &jobs, "the Alembic oracle")
}

/// The verdict `status` must reach for what `alembic current` printed.
fn expected_state(stdout: &str, exit: i64) -> &'static str {
    match exit {
        0 if stdout.trim().is_empty() => "no-revision",
        0 => "up-to-date",
        255 if stdout.contains("Can't locate revision") => "unknown-revision",
        _ => "database-error",
    }
}

#[test]
fn search_path_as_alembic_sees_it() {
    let python = python();
    let probe = Command::new(&python)
        .args(["-c", "import asyncpg, greenlet, psycopg2"])
        .output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "{} lacks asyncpg/greenlet/psycopg2 ({:?}); run scripts/setup-venv.sh (or point DB_STATUS_PYTHON at a venv made by it)",
        python.display(),
        probe.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
    );
    let Some(db) = TempDb::create() else { return };
    db.exec(
        "CREATE TABLE public.alembic_version (version_num VARCHAR(32) PRIMARY KEY);
         INSERT INTO public.alembic_version VALUES ('1449797cc931');
         CREATE SCHEMA t1;
         CREATE TABLE t1.alembic_version (version_num VARCHAR(32) PRIMARY KEY);
         INSERT INTO t1.alembic_version VALUES ('deadbeef0003');
         CREATE SCHEMA t2;",
    );
    let tables_before = db.tables();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("mig/versions")).expect("mkdir");
    std::fs::write(dir.path().join("mig/env.py"), ENV_PY).expect("env.py");
    revision(dir.path(), "a1_one.py", "aaaa00000001", "None", "one");
    revision(
        dir.path(),
        "a2_two.py",
        "1449797cc931",
        "'aaaa00000001'",
        "two",
    );

    let mut jobs = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let mut ini = format!(
            "[alembic]\nscript_location = mig\nsqlalchemy.url = {}{}\n",
            db.url(case.scheme),
            case.query
        );
        if let Some(schema) = case.version_table_schema {
            ini.push_str(&format!("version_table_schema = {schema}\n"));
        }
        std::fs::write(dir.path().join(format!("case{i}.ini")), ini).expect("ini");
        let env: serde_json::Map<String, Value> = case
            .env
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect();
        jobs.push(json!({
            "cwd": dir.path(),
            "argv": ["-c", format!("case{i}.ini"), "current"],
            "env": env,
        }));
    }
    let answers = alembic(&jobs, dir.path());

    let mut seen_states = std::collections::BTreeSet::new();
    for (i, (case, want)) in CASES.iter().zip(&answers).enumerate() {
        let ini = format!("case{i}.ini");
        let a_out = want["stdout"].as_str().unwrap_or("");
        let a_err = want["stderr"].as_str().unwrap_or("");
        let a_exit = want["exit"].as_i64().unwrap_or(-1);
        let ours = support::run(dir.path(), &["-c", &ini, "current"], case.env, LIMIT);
        ours.assert_clean(case.name);
        if a_exit == 1 {
            // A driver error: Alembic shows a traceback, db-status a message
            // naming the parameter, both exit 1.
            assert!(
                a_err.contains("Traceback"),
                "{}: alembic: {a_out}{a_err}",
                case.name
            );
            assert_eq!(ours.code, Some(1), "{}: {}", case.name, ours.all());
            assert!(
                ours.stderr.contains("\"options\""),
                "{}: {}",
                case.name,
                ours.stderr
            );
        } else {
            assert_eq!(
                (ours.stdout.as_str(), ours.stderr.as_str(), ours.code),
                (a_out, a_err, Some(i32::try_from(a_exit).unwrap_or(-1))),
                "{}: db-status current differs from alembic current",
                case.name
            );
        }
        let status = support::run(
            dir.path(),
            &["-c", &ini, "status", "--format", "json"],
            case.env,
            LIMIT,
        );
        status.assert_clean(case.name);
        let doc = status.json();
        let state = doc["components"][0]["state"].as_str().unwrap_or("");
        let want_state = expected_state(a_out, a_exit);
        assert_eq!(state, want_state, "{}: {:#}", case.name, doc);
        if want_state == "database-error" {
            assert_eq!(doc["components"][0]["error"]["kind"], "bad-url", "{doc:#}");
        }
        seen_states.insert(want_state);
    }
    // The cases reach every verdict a search path can change.
    assert_eq!(
        seen_states.into_iter().collect::<Vec<_>>(),
        [
            "database-error",
            "no-revision",
            "unknown-revision",
            "up-to-date"
        ]
    );
    assert_eq!(db.tables(), tables_before, "nothing may be created");
}
