//! The version table and URL that `env.py` really uses (issue 14), proven
//! against real Alembic: for each way `env.py` can set them, a real
//! `alembic upgrade head` writes `b2` into the table `env.py` names, while
//! `alembic_version` (or the ini's database) holds a different row, `a1`.
//! Real `alembic current` and `db-status current` must then print the
//! same, and `db-status status` must read the same table, on SQLite and on
//! the machine's PostgreSQL. The forms that cannot be read statically give
//! a warning naming `env.py`'s line, never a crash, and the setting the
//! warning names makes the two agree again.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{PgDb, alembic_bin, db_status_env as run};

const LIMIT: Duration = Duration::from_secs(60);

/// `env.py` in the shape of Alembic's generic template, with `head` after
/// `config = context.config` and `kw` in both `context.configure` calls.
fn env_py(head: &str, kw: &str) -> String {
    format!(
        r#"import os

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
{head}


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), literal_binds=True{kw}
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {{}}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(connection=connection{kw})
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
"#
    )
}

/// The line of the online `context.configure` call in `env_py(head, kw)`.
fn online_line(head: &str, kw: &str) -> usize {
    env_py(head, kw)
        .lines()
        .position(|l| l.contains("context.configure(connection"))
        .map_or(0, |i| i + 1)
}

/// One way for `env.py` to choose the version table or the URL.
struct Case {
    name: &'static str,
    head: &'static str,
    kw: &'static str,
    /// Extra files (path, text) in the project.
    files: &'static [(&'static str, &'static str)],
    /// The table Alembic writes (`schema.table` where a schema is set).
    table: &'static str,
    /// Where db-status should say the name came from.
    source: &'static str,
    /// `env.py` takes the URL from `APP_DB_URL` (the ini's URL is another database).
    env_url: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "mlflow: a literal in both paths",
        head: "",
        kw: r#", version_table="alembic_version_auth""#,
        files: &[],
        table: "alembic_version_auth",
        source: "env.py",
        env_url: false,
    },
    Case {
        name: "airflow: a module-level variable",
        head: r#"version_table = "airflow_version""#,
        kw: ", version_table=version_table",
        files: &[],
        table: "airflow_version",
        source: "env.py",
        env_url: false,
    },
    Case {
        name: "airflow fab: an imported class attribute",
        head: "from fabpkg.models import FABDBManager\n\nversion_table = FABDBManager.version_table_name",
        kw: ", version_table=version_table",
        files: &[
            ("fabpkg/__init__.py", ""),
            (
                "fabpkg/models.py",
                "class FABDBManager:\n    version_table_name = \"alembic_version_fab\"\n",
            ),
        ],
        table: "alembic_version_fab",
        source: "env.py",
        env_url: false,
    },
    Case {
        name: "the URL from os.environ",
        head: r#"config.set_main_option("sqlalchemy.url", os.environ["APP_DB_URL"])"#,
        kw: "",
        files: &[],
        table: "alembic_version",
        source: "default",
        env_url: true,
    },
];

/// Forms db-status cannot read: Alembic writes `table`, db-status warns and
/// reads `alembic_version` until `version_table` is set in db-status.toml.
const UNREADABLE: &[Case] = &[Case {
    name: "ckan: str.format",
    head: r#"name = os.path.basename("plugin")"#,
    kw: r#", version_table="{}_alembic_version".format(name)"#,
    files: &[],
    table: "plugin_alembic_version",
    source: "project-file",
    env_url: false,
}];

/// A database behind the project.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(PgDb),
}

impl Db {
    fn url(&self) -> String {
        match self {
            Db::Sqlite(p) => format!("sqlite:///{}", p.display()),
            Db::Postgres(db) => db.url("postgresql+psycopg2"),
        }
    }

    fn exec(&self, sql: &str) {
        match self {
            Db::Sqlite(p) => rusqlite::Connection::open(p)
                .and_then(|c| c.execute_batch(sql))
                .unwrap_or_else(|e| panic!("sqlite: {e}: {sql}")),
            Db::Postgres(db) => db.exec(sql),
        }
    }
}

fn postgres() -> PgDb {
    PgDb::create().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is needed: start it on 127.0.0.1:5432 or set DB_STATUS_TEST_POSTGRES_URL"
        )
    })
}

/// Write a file, creating its directory.
fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// The project: `alembic.ini` (`sqlalchemy.url = ini_url`), `env.py`, and
/// the chain a1 → b2.
fn project(dir: &Path, case: &Case, ini_url: &str) {
    write(
        &dir.join("alembic.ini"),
        &format!(
            "[alembic]\nscript_location = migrations\nprepend_sys_path = .\nsqlalchemy.url = {ini_url}\n"
        ),
    );
    write(&dir.join("migrations/env.py"), &env_py(case.head, case.kw));
    for (id, down) in [("a1", "None"), ("b2", "'a1'")] {
        write(
            &dir.join(format!("migrations/versions/{id}_x.py")),
            &format!(
                "\"\"\"rev {id}\n\nRevision ID: {id}\n\"\"\"\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
            ),
        );
    }
    for (path, text) in case.files {
        write(&dir.join(path), text);
    }
}

/// Real `alembic args` in `dir` with `env`: (stdout, stderr, exit code).
fn alembic(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let mut c = Command::new(alembic_bin());
    c.current_dir(dir)
        .env_remove("DB_STATUS_URL")
        .env_remove("APP_DB_URL")
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run alembic");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Build the case on `target` (the database `env.py` uses) and `ini_db`
/// (the ini's, when `env.py` takes the URL from the environment); return
/// the project directory and the environment both tools run with.
fn build(case: &Case, target: &Db, ini_db: &Db, dir: &Path) -> Vec<(&'static str, String)> {
    let env: Vec<(&str, String)> = if case.env_url {
        vec![("APP_DB_URL", target.url())]
    } else {
        Vec::new()
    };
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    project(
        dir,
        case,
        &if case.env_url {
            ini_db.url()
        } else {
            target.url()
        },
    );
    let (_, err, code) = alembic(dir, &["upgrade", "head"], &env_ref);
    assert_eq!(
        code, 0,
        "{}: alembic upgrade head failed:\n{err}",
        case.name
    );
    // The table env.py does not use holds another revision.
    let decoy = if case.env_url { ini_db } else { target };
    decoy.exec(
        "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
         DELETE FROM alembic_version; INSERT INTO alembic_version VALUES ('a1')",
    );
    env
}

/// `alembic current` and `db-status [pre] current` print the same, and
/// `status` reads `b2` from the table env.py names.
fn agree(case: &Case, dir: &Path, env: &[(&str, String)], pre: &[&str], label: &str) {
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (theirs, err, code) = alembic(dir, &["current"], &env_ref);
    assert_eq!(code, 0, "{label}: alembic current:\n{err}");
    assert_eq!(theirs, "b2 (head)\n", "{label}: alembic current");
    let mut args = pre.to_vec();
    args.push("current");
    let ours = run(dir, &args, &env_ref, LIMIT);
    assert_eq!(
        (ours.stdout.as_str(), ours.code),
        (theirs.as_str(), Some(0)),
        "{label}: db-status current vs alembic current\n{}",
        ours.stderr
    );
    let mut args = pre.to_vec();
    args.extend(["--format", "json"]);
    let out = run(dir, &args, &env_ref, LIMIT);
    let c = &out.json()["components"][0];
    assert_eq!(c["state"], "up-to-date", "{label}: {c:#}");
    assert_eq!(c["current"][0]["revision"], "b2", "{label}: {c:#}");
    let (schema, table) = case
        .table
        .split_once('.')
        .map_or((None, case.table), |(s, t)| (Some(s), t));
    assert_eq!(c["version_table"]["name"], table, "{label}: {c:#}");
    assert_eq!(
        c["version_table"]["schema"].as_str(),
        schema,
        "{label}: {c:#}"
    );
    if case.env_url {
        assert_eq!(c["url_source"], "env.py", "{label}: {c:#}");
    }
}

fn run_cases(backend: &str, make: &dyn Fn(&Path) -> (Db, Db), cases: &[&Case]) {
    for case in cases {
        let label = format!("{backend}, {}", case.name);
        let d = tempfile::tempdir().expect("tmp");
        let (target, ini_db) = make(d.path());
        let env = build(case, &target, &ini_db, d.path());
        agree(case, d.path(), &env, &[], &label);
        let out = run(d.path(), &["--format", "json"], &[], LIMIT);
        if !case.env_url {
            let c = &out.json()["components"][0];
            assert_eq!(c["version_table"]["source"], case.source, "{label}: {c:#}");
        }
    }
}

fn unreadable_cases(backend: &str, make: &dyn Fn(&Path) -> (Db, Db)) {
    for case in UNREADABLE {
        let label = format!("{backend}, {}", case.name);
        let d = tempfile::tempdir().expect("tmp");
        let (target, ini_db) = make(d.path());
        let env = build(case, &target, &ini_db, d.path());
        // db-status reads alembic_version (a1) and says why, naming the line.
        let out = run(d.path(), &["-v"], &[], LIMIT);
        out.assert_clean(&label);
        let want = format!(
            "migrations/env.py:{} passes version_table=",
            online_line(case.head, case.kw)
        );
        assert!(
            out.stdout.contains(&format!("Note: {want}"))
                && out.stdout.contains(
                    "the default alembic_version is read instead: set version_table = \"…\" (the one env.py uses) for component manager in db-status.toml"
                ),
            "{label}: {}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("Version table: alembic_version (from Alembic's default)"),
            "{label}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains("Current Revision: a1"),
            "{label}: {}",
            out.stdout
        );
        let cur = run(d.path(), &["current"], &[], LIMIT);
        assert!(
            cur.stderr.contains(&format!("warning: {want}")),
            "{label}: {}",
            cur.stderr
        );
        // The setting the warning names makes db-status agree with Alembic.
        write(
            &d.path().join("db-status.toml"),
            &format!(
                "[app]\nconfig = \"alembic.ini\"\nversion_table = \"{}\"\n",
                case.table
            ),
        );
        agree(case, d.path(), &env, &["--component", "app"], &label);
        let out = run(d.path(), &["--format", "json"], &[], LIMIT);
        let c = &out.json()["components"][0];
        assert_eq!(c["version_table"]["source"], case.source, "{label}: {c:#}");
        assert!(
            c["notes"].as_array().is_some_and(|n| n.is_empty()),
            "{label}: the override silences the warning: {c:#}"
        );
    }
}

fn sqlite_dbs(dir: &Path) -> (Db, Db) {
    (
        Db::Sqlite(dir.join("app.db")),
        Db::Sqlite(dir.join("other.db")),
    )
}

fn postgres_dbs(dir: &Path) -> (Db, Db) {
    (Db::Postgres(postgres()), Db::Sqlite(dir.join("other.db")))
}

#[test]
fn env_py_version_table_and_url_agree_with_alembic_on_sqlite() {
    run_cases("sqlite", &sqlite_dbs, &CASES.iter().collect::<Vec<_>>());
}

#[test]
fn env_py_version_table_and_url_agree_with_alembic_on_postgres() {
    let schema = Case {
        name: "indico: version_table_schema",
        head: "",
        kw: r#", version_table_schema="meta""#,
        files: &[],
        table: "meta.alembic_version",
        source: "default",
        env_url: false,
    };
    let make = |dir: &Path| {
        let (pg, other) = postgres_dbs(dir);
        pg.exec("CREATE SCHEMA meta");
        (pg, other)
    };
    let mut cases: Vec<&Case> = CASES.iter().collect();
    cases.push(&schema);
    run_cases("postgres", &make, &cases);
}

#[test]
fn unreadable_env_py_forms_warn_and_the_named_setting_fixes_them_on_sqlite() {
    unreadable_cases("sqlite", &sqlite_dbs);
}

#[test]
fn unreadable_env_py_forms_warn_and_the_named_setting_fixes_them_on_postgres() {
    unreadable_cases("postgres", &postgres_dbs);
}

/// What `status -v` says about `env.py`, for two components: one whose
/// `env.py` passes a literal table (read from there, said under `-v`), one
/// whose `env.py` computes it (the default is read, a note says why).
#[test]
fn status_says_where_the_version_table_came_from() {
    let d = tempfile::tempdir().expect("tmp");
    let dir = d.path();
    write(
        &dir.join("db-status.toml"),
        "[auth]\nconfig = \"auth.ini\"\n\n[plugin]\nconfig = \"plugin.ini\"\n",
    );
    for (name, case) in [("auth", &CASES[0]), ("plugin", &UNREADABLE[0])] {
        let sub = dir.join(name);
        project(&sub, case, "unused");
        std::fs::rename(sub.join("alembic.ini"), dir.join(format!("{name}.ini"))).expect("mv");
        write(
            &dir.join(format!("{name}.ini")),
            &format!(
                "[alembic]\nscript_location = {name}/migrations\nsqlalchemy.url = sqlite:///{name}.db\n"
            ),
        );
        let table = if name == "auth" {
            "alembic_version_auth"
        } else {
            "alembic_version"
        };
        Db::Sqlite(dir.join(format!("{name}.db"))).exec(&format!(
            "CREATE TABLE {table} (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO {table} VALUES ('b2')"
        ));
    }
    let out = run(dir, &["--all", "-v"], &[], LIMIT);
    out.assert_clean("status --all -v");
    insta::assert_snapshot!("envpy_status_verbose", out.stdout);
}
