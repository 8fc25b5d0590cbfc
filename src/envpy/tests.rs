use super::*;
use crate::config::paths::SearchPath;
use crate::database::mask::mask_url_passwords as mask_passwords;

fn analyse(src: &str, databases: Option<&str>) -> EnvPy {
    analyse_with(src, databases, &[])
}

/// `src` as `env.py` in a directory that also holds `files` (the search path).
fn analyse_with(src: &str, databases: Option<&str>, files: &[(&str, &str)]) -> EnvPy {
    let d = tempfile::tempdir().expect("tmp");
    for (path, text) in files {
        let p = d.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let p = d.path().join("env.py");
    std::fs::write(&p, src).expect("write");
    let search = SearchPath::new(d.path(), &[], None, None);
    let mut e = read(&p, databases, Some(&search)).expect("read");
    e.path = PathBuf::from("env.py");
    e
}

fn value(v: &str, line: u32) -> Option<Setting> {
    Some(Setting::Value {
        value: v.to_string(),
        line,
    })
}

/// A URL read from environment variable `var` on `line` (with `default`, or
/// the ini's URL when `else_ini`).
fn env_var(var: &str, default: Option<&str>, else_ini: bool, line: u32) -> Option<EnvUrl> {
    Some(EnvUrl::Var {
        var: var.to_string(),
        default: default.map(str::to_string),
        else_ini,
        line,
    })
}

/// Alembic's generic template, with `extra` inserted in both configure calls.
fn template(head: &str, offline_kw: &str, online_kw: &str) -> String {
    format!(
        r#"from logging.config import fileConfig
import os

from sqlalchemy import engine_from_config, pool

from alembic import context

config = context.config
{head}

def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=None,
        literal_binds=True,{offline_kw}
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {{}}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )

    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=None{online_kw}
        )
{run_and_dispatch}"#,
        run_and_dispatch = run_and_dispatch()
    )
}

/// The end of every Alembic template's `env.py`: the online path's
/// transaction, then the choice between the paths. Taken from the
/// Flask-Migrate file, which ends the same way.
fn run_and_dispatch() -> &'static str {
    let flask = include_str!("testdata/flask_migrate_env.py");
    let at = flask
        .rfind("\n        with context.begin_transaction():")
        .expect("Flask-Migrate's env.py runs its migrations in a transaction");
    &flask[at..]
}

#[test]
fn the_plain_template_passes_nothing() {
    let e = analyse(&template("", "", ""), None);
    assert_eq!(e.version_table, None);
    assert_eq!(e.version_table_schema, None);
    assert_eq!(e.url, None);
    assert_eq!(e.multidb, None);
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

#[test]
fn mlflow_literal_in_both_paths() {
    let e = analyse(
        &template(
            "",
            "\n        version_table=\"alembic_version_auth\",",
            ",\n            version_table=\"alembic_version_auth\",",
        ),
        None,
    );
    assert_eq!(e.version_table, value("alembic_version_auth", 32));
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

#[test]
fn airflow_module_level_variable_and_indico_schema() {
    let e = analyse(
        &template(
            "version_table = 'alembic_version'\n",
            "",
            ", version_table=version_table, version_table_schema='public'",
        ),
        None,
    );
    assert_eq!(e.version_table, value("alembic_version", 32));
    assert_eq!(e.version_table_schema, value("public", 32));
}

#[test]
fn the_ini_option_of_the_same_name_is_what_the_ini_lacks() {
    // Read after the ini: where the ini sets the key, env.py is not consulted.
    let e = analyse(
        &template(
            "",
            "",
            ", version_table_schema=config.get_main_option('version_table_schema'), version_table=config.get_main_option('version_table', 'v_default')",
        ),
        None,
    );
    assert_eq!(e.version_table_schema, None);
    assert_eq!(e.version_table, value("v_default", 31));
    let other = analyse(
        &template("", "", ", version_table=config.get_main_option('my_table')"),
        None,
    );
    assert!(
        matches!(other.version_table, Some(Setting::Unreadable { .. })),
        "{other:?}"
    );
}

#[test]
fn a_local_variable_wins_over_the_module_level_one() {
    let src = "from alembic import context\nT = 'a'\ndef run_migrations_online():\n    T = 'b'\n    context.configure(version_table=T)\nrun_migrations_online()\n";
    assert_eq!(analyse(src, None).version_table, value("b", 5));
}

#[test]
fn ckan_format_is_unreadable_with_its_line() {
    let kw = "\n        version_table=u'{}_alembic_version'.format(name),";
    let e = analyse(
        &template(
            "name = os.path.basename(os.path.dirname(__file__))\n",
            kw,
            &format!(",{kw}"),
        ),
        None,
    );
    match e.version_table {
        Some(Setting::Unreadable { line, expr, .. }) => {
            assert_eq!(line, 33);
            assert_eq!(expr, "u'{}_alembic_version'.format(name)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fab_class_attribute_is_resolved_through_the_import() {
    let src = "from alembic import context\nfrom airflow.providers.fab.auth_manager.models.db import FABDBManager\n\nversion_table = FABDBManager.version_table_name\n\ndef run_migrations_online():\n    context.configure(connection=c, version_table=version_table)\n\nrun_migrations_online()\n";
    let module = "airflow/providers/fab/auth_manager/models/db.py";
    let class = "class FABDBManager(BaseDBManager):\n    version_table_name = \"alembic_version_fab\"\n    migration_dir = 'x'\n";
    let e = analyse_with(src, None, &[(module, class)]);
    assert_eq!(e.version_table, value("alembic_version_fab", 7));
    // `import a.b as m` then `m.NAME`, and a plain imported constant.
    let src = "from alembic import context\nimport pkg.names as n\nfrom pkg.names import SCHEMA\ncontext.configure(version_table=n.TABLE, version_table_schema=SCHEMA)\n";
    let e = analyse_with(
        src,
        None,
        &[
            ("pkg/__init__.py", ""),
            ("pkg/names.py", "TABLE = 't_v'\nSCHEMA = 'meta'\n"),
        ],
    );
    assert_eq!(e.version_table, value("t_v", 4));
    assert_eq!(e.version_table_schema, value("meta", 4));
    // Not found: unreadable, naming env.py's import line and the module.
    match analyse(src, None).version_table {
        Some(Setting::Unreadable { line, why, .. }) => {
            assert_eq!(line, 4);
            assert!(
                why.contains("env.py:2") && why.contains("pkg.names"),
                "{why}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn online_wins_and_the_disagreement_is_said() {
    let e = analyse(
        &template(
            "",
            "\n        version_table='off_v',",
            ", version_table='on_v'",
        ),
        None,
    );
    assert_eq!(e.version_table, value("on_v", 32));
    assert_eq!(e.notes.len(), 1, "{:?}", e.notes);
    assert!(
        e.notes[0].0 == 13
            && e.notes[0]
                .1
                .starts_with("the offline path passes version_table='off_v'"),
        "{:?}",
        e.notes
    );
    // Only the offline path passes one: the online path (what `current` runs) uses the default.
    let e = analyse(&template("", "\n        version_table='off_v',", ""), None);
    assert_eq!(e.version_table, None);
    assert!(
        e.notes[0]
            .1
            .contains("online path (line 32) no version_table"),
        "{:?}",
        e.notes
    );
}

#[test]
fn async_template_reaches_functions_passed_by_name() {
    let src = r#"import asyncio
from alembic import context
from sqlalchemy.ext.asyncio import async_engine_from_config

def do_run_migrations(connection):
    context.configure(connection=connection, version_table="v_async")
    with context.begin_transaction():
        context.run_migrations()

async def run_async_migrations():
    connectable = async_engine_from_config(config.get_section(config.config_ini_section, {}))
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)

def run_migrations_online():
    asyncio.run(run_async_migrations())

def unused():
    context.configure(version_table="never")

if context.is_offline_mode():
    pass
else:
    run_migrations_online()
"#;
    let e = analyse(src, None);
    assert_eq!(e.version_table, value("v_async", 6));
    assert_eq!(e.url, None);
}

#[test]
fn urls_from_the_environment() {
    let e = analyse(
        &template(
            "config.set_main_option('sqlalchemy.url', os.environ['APP_DB'])\n",
            "",
            "",
        ),
        None,
    );
    assert_eq!(e.url, env_var("APP_DB", None, false, 9));
    let src = "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\nURL_VAR = 'X_URL'\ndef run_migrations_online():\n    engine = create_engine(os.getenv(URL_VAR, 'sqlite:///d.db'))\n    context.configure(connection=engine.connect())\nrun_migrations_online()\n";
    assert_eq!(
        analyse(src, None).url,
        env_var("X_URL", Some("sqlite:///d.db"), false, 6)
    );
    let src = "from os import environ\nfrom alembic import context\ndef run_migrations_offline():\n    context.configure(url=environ.get('OFF_URL'))\nrun_migrations_offline()\n";
    assert_eq!(analyse(src, None).url, env_var("OFF_URL", None, false, 4));
}

#[test]
fn airflow_settings_url_is_unreadable() {
    let src = "from alembic import context\nfrom airflow import settings\n\ndef run_migrations_offline():\n    context.configure(url=settings.SQL_ALCHEMY_CONN, version_table=version_table)\n\ndef run_migrations_online():\n    connection = settings.engine.connect()\n    context.configure(connection=connection, version_table=version_table)\n\nversion_table = 'alembic_version'\nif context.is_offline_mode():\n    run_migrations_offline()\nelse:\n    run_migrations_online()\n";
    let e = analyse(src, None);
    assert_eq!(
        e.url,
        Some(EnvUrl::Unreadable {
            line: 5,
            expr: "settings.SQL_ALCHEMY_CONN".into()
        })
    );
    assert_eq!(e.version_table, value("alembic_version", 9));
}

#[test]
fn spread_keywords_are_not_guessed() {
    let src = "from alembic import context\ndef run_migrations_online():\n    context.configure(connection=c, **opts)\nrun_migrations_online()\n";
    assert!(matches!(
        analyse(src, None).version_table,
        Some(Setting::Unreadable { line: 3, .. })
    ));
}

#[test]
fn multidb_template_and_dicts_of_urls() {
    let src = "import re\nfrom alembic import context\nconfig = context.config\ndb_names = config.get_main_option('databases', '')\n";
    let e = analyse(src, Some("engine1, engine2"));
    let m = e.multidb.expect("multidb");
    assert_eq!(m.names, ["engine1", "engine2"]);
    assert_eq!(m.line, 4);
    let src = "from galaxy.model.migrations import GXY, TSI\nURLS = {\n    GXY: cfg.database_connection,\n    TSI: cfg.install_database_connection,\n}\n";
    let m = analyse(src, None).multidb.expect("galaxy");
    assert_eq!(m.names, ["GXY", "TSI"]);
    assert_eq!(m.line, 2);
    // Galaxy's current env.py: built in a function, keys imported (and resolved).
    let src = "from alembic import context\nfrom galaxy.model.migrations import (\n    GXY,\n    TSI,\n)\n\ndef _load_urls():\n    d = context.get_x_argument(as_dictionary=True)\n    return {\n        GXY: d.get(f'{GXY}_url'),\n        TSI: d.get(f'{TSI}_url'),\n    }\n";
    let files = [
        ("galaxy/__init__.py", ""),
        ("galaxy/model/__init__.py", ""),
        (
            "galaxy/model/migrations/__init__.py",
            "GXY = 'gxy'\nTSI = 'tsi'\n",
        ),
    ];
    let m = analyse_with(src, None, &files).multidb.expect("galaxy now");
    assert_eq!(m.names, ["gxy", "tsi"]);
    assert_eq!(m.line, 9);
    // Other dicts are not databases.
    let src = "from alembic import context\nconvention = {'ix': 'ix_%(column_0_label)s', 'uq': 'uq_%(table_name)s'}\ncontext.configure(dialect_opts={'paramstyle': 'named', 'x': 1})\n";
    assert_eq!(analyse(src, None).multidb, None);
}

#[test]
fn unlexable_files_say_so() {
    let e = analyse("x = (\n", None);
    assert_eq!(e.version_table, None);
    assert!(
        e.notes[0].0 == 1 && e.notes[0].1.starts_with("env.py cannot be read"),
        "{:?}",
        e.notes
    );
}

#[test]
fn every_prefix_of_a_real_env_py_is_read_without_panicking() {
    let kw = "\n        version_table=os.environ.get('T', u'x' 'y'), **kw,";
    let full = template(
        "import a.b as m\nfrom x import (Y as Z, W)\nURLS = {A: 1, 'b': 2}\nconfig.set_main_option('sqlalchemy.url', os.getenv(m.V))\n",
        kw,
        &format!(",{kw}"),
    );
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("env.py");
    for end in (0..=full.len()).filter(|&i| full.is_char_boundary(i)) {
        std::fs::write(&p, &full[..end]).expect("write");
        let _ = read(&p, Some("a, b"), None);
    }
    for weird in [
        "\\",
        "def",
        "def (",
        "if context.is_offline_mode(): f()\nelse: g()\n",
        "x = x\ncontext.configure(version_table=x)\n",
        "context.configure(version_table=)\n",
        "\u{feff}café = 'é'\n",
    ] {
        std::fs::write(&p, weird).expect("write");
        let _ = read(&p, None, None);
    }
}

#[test]
fn quoted_url_expressions_never_show_a_password() {
    assert_eq!(
        mask_passwords("'postgresql://app:s3cr:et@db/x' + suffix, \"mysql://u@h/d\""),
        "'postgresql://app:***@db/x' + suffix, \"mysql://u@h/d\""
    );
    let src = "from alembic import context\ncontext.configure(url='postgresql://app:hunter2@db/' + NAME)\n";
    assert_eq!(
        analyse(src, None).url,
        Some(EnvUrl::Unreadable {
            line: 2,
            expr: "'postgresql://app:***@db/' + NAME".into()
        })
    );
}

/// Flask-Migrate's template: the URL from the app, keywords through `**conf_args`.
#[test]
fn flask_migrate_template_is_unreadable_once_each() {
    let e = analyse(include_str!("testdata/flask_migrate_env.py"), None);
    assert_eq!(
        e.url,
        Some(EnvUrl::Unreadable {
            line: 28,
            expr: "get_engine_url()".into()
        })
    );
    for s in [&e.version_table, &e.version_table_schema] {
        match s {
            Some(Setting::Unreadable { line: 63, expr, .. }) => assert_eq!(expr, "**conf_args"),
            other => panic!("{other:?}"),
        }
    }
    // Unreadable values have their own notes: no offline/online disagreement on top.
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

#[test]
fn env_var_or_fallbacks() {
    let url = |expr: &str| {
        let src =
            format!("import os\nfrom alembic import context\ncontext.configure(url={expr})\n");
        analyse(&src, None).url
    };
    assert_eq!(
        url("os.getenv('DB') or config.get_main_option('sqlalchemy.url')"),
        env_var("DB", None, true, 3)
    );
    assert_eq!(
        url("os.environ.get('DB') or 'sqlite:///x.db'"),
        env_var("DB", Some("sqlite:///x.db"), false, 3)
    );
    assert!(matches!(
        url("os.getenv('DB') or settings.URL"),
        Some(EnvUrl::Unreadable { .. })
    ));
    assert!(matches!(url("f(a or b)"), Some(EnvUrl::Unreadable { .. })));
}

#[test]
fn source_python_cannot_tokenize_is_a_note_in_cpythons_words() {
    let e = analyse(
        "from alembic import context\ncontext.configure(\n    url='x'\n",
        None,
    );
    assert_eq!(
        e.notes,
        vec![(
            2,
            "env.py cannot be read ('(' was never closed); nothing in it was read".to_string()
        )]
    );
    let e = analyse("x = 1 \\ 2\n", None);
    assert_eq!(
        e.notes,
        vec![(
            1,
            "env.py cannot be read (unexpected character after line continuation character); \
             nothing in it was read"
                .to_string()
        )]
    );
}
