use std::path::{Path, PathBuf};

use super::component::alembic_argv;
use super::*;
use crate::config::components::ComponentSpec;
use crate::error::ErrorKind;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn project(dir: &Path) {
    write(
        dir,
        "db-status.toml",
        "[app]\nconfig = \"alembic.ini\"\n[audit]\nconfig = \"alembic.ini\"\nsection = \"audit\"\nurl_env = \"AUDIT_URL\"\n",
    );
    write(
        dir,
        "alembic.ini",
        "[alembic]\nscript_location = m\nsqlalchemy.url = sqlite:///app.db\n[audit]\nscript_location = m\n",
    );
    std::fs::create_dir_all(dir.join("m/versions")).expect("mkdir");
}

fn req(components: &[&str], urls: &[&str]) -> Request {
    Request {
        components: components.iter().map(|s| s.to_string()).collect(),
        urls: urls.iter().map(|s| s.to_string()).collect(),
        use_env_urls: true,
        find_root: true,
        ..Request::default()
    }
}

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

fn source(t: &Target) -> String {
    t.url
        .source()
        .map_or("none".to_string(), UrlSource::describe)
}

#[test]
fn url_precedence() {
    let d = tempfile::tempdir().expect("tmp");
    project(d.path());
    let cwd = d.path().to_path_buf();
    let all = Request {
        all: true,
        ..req(&[], &[])
    };
    // Component sources: the ini, and url_env.
    let s = select(
        &all,
        cwd.clone(),
        env(&[("AUDIT_URL", "sqlite:///audit.db")]),
    )
    .expect("ok");
    let got: Vec<String> = s.targets.iter().map(source).collect();
    assert_eq!(
        got,
        [
            "sqlalchemy.url in alembic.ini",
            "AUDIT_URL (url_env in db-status.toml)"
        ]
    );
    // DB_STATUS_URL_<NAME> beats url_env; --url NAME= beats both.
    let e = env(&[
        ("AUDIT_URL", "sqlite:///a.db"),
        ("DB_STATUS_URL_AUDIT", "sqlite:///b.db"),
    ]);
    let s = select(&all, cwd.clone(), e.clone()).expect("ok");
    assert_eq!(source(&s.targets[1]), "DB_STATUS_URL_AUDIT");
    let s = select(
        &Request {
            all: true,
            ..req(&[], &["audit=sqlite:///c.db"])
        },
        cwd.clone(),
        e,
    )
    .expect("ok");
    assert_eq!(source(&s.targets[1]), "--url audit=…");
    assert_eq!(
        s.targets[1].recheck,
        [
            "db-status",
            "--component",
            "audit",
            "--url",
            "audit=sqlite:///c.db"
        ]
    );
    // A bare URL with two components is a usage error, from the flag or the env.
    let e = select(
        &Request {
            all: true,
            ..req(&[], &["sqlite:///x.db"])
        },
        cwd.clone(),
        env(&[]),
    )
    .expect_err("usage");
    assert_eq!(e.kind, ErrorKind::Usage);
    assert!(
        e.message.contains("--url NAME=URL") && e.message.contains("DB_STATUS_URL_APP"),
        "{}",
        e.message
    );
    let e = select(
        &all,
        cwd.clone(),
        env(&[("DB_STATUS_URL", "sqlite:///x.db")]),
    )
    .expect_err("usage");
    assert!(
        e.message.starts_with("DB_STATUS_URL names one database"),
        "{}",
        e.message
    );
    // With one component, DB_STATUS_URL sits below url_env and above the ini.
    let s = select(
        &req(&["app"], &[]),
        cwd.clone(),
        env(&[("DB_STATUS_URL", "sqlite:///x.db")]),
    )
    .expect("ok");
    assert_eq!(source(&s.targets[0]), "DB_STATUS_URL");
    let s = select(
        &req(&["audit"], &[]),
        cwd.clone(),
        env(&[
            ("DB_STATUS_URL", "sqlite:///x.db"),
            ("AUDIT_URL", "sqlite:///a.db"),
        ]),
    )
    .expect("ok");
    assert_eq!(
        source(&s.targets[0]),
        "AUDIT_URL (url_env in db-status.toml)"
    );
    // A bare --url is the one component's.
    let s = select(
        &req(&["app"], &["postgresql://u:pw@h/db"]),
        cwd.clone(),
        env(&[]),
    )
    .expect("ok");
    assert_eq!(source(&s.targets[0]), "--url");
    assert_eq!(
        s.targets[0].recheck.last().map(String::as_str),
        Some("postgresql://u:***@h/db")
    );
    assert!(s.targets[0].recheck_note.is_some());
    // NAME= must name a selected component.
    let e = select(&req(&["app"], &["audit=sqlite:///x.db"]), cwd, env(&[])).expect_err("usage");
    assert!(e.message.contains("not selected"), "{}", e.message);
}

#[test]
fn root_is_found_from_a_subdirectory() {
    let d = tempfile::tempdir().expect("tmp");
    project(d.path());
    std::fs::create_dir_all(d.path().join("src/ai")).expect("mkdir");
    let root = std::fs::canonicalize(d.path()).expect("canon");
    assert_eq!(project_root(&root.join("src/ai")), root);
    let s = select(&req(&["app"], &[]), root.join("src/ai"), env(&[])).expect("ok");
    assert_eq!(s.workspace.root, root);
    assert_eq!(s.workspace.root_from_cwd().as_deref(), Some("../.."));
    assert!(s.targets[0].component.config.is_ok());
    // A repository root stops the search.
    std::fs::create_dir_all(d.path().join("sub/.git")).expect("mkdir");
    std::fs::create_dir_all(d.path().join("sub/x")).expect("mkdir");
    assert_eq!(project_root(&root.join("sub/x")), root.join("sub/x"));
}

#[test]
fn fleet_targets_share_one_components_scripts() {
    let d = tempfile::tempdir().expect("tmp");
    project(d.path());
    write(
        d.path(),
        "m/versions/a1_x.py",
        "revision = 'a1'\ndown_revision = None\n",
    );
    let ws = Arc::new(Workspace::at(
        std::fs::canonicalize(d.path()).expect("canon"),
        env(&[]),
    ));
    let app = component("app", &ws).expect("app");
    let labels = |e: &str| BTreeMap::from([("env".to_string(), e.to_string())]);
    let source = || UrlSource::TargetsFile {
        file: "targets.toml".into(),
    };
    let prod = Target::new(
        Arc::clone(&app),
        Some(("sqlite:///prod.db", source())),
        Some("ops".into()),
        labels("prod"),
        ConnectOptions::default(),
    );
    let dev = Target::new(
        Arc::clone(&app),
        None,
        None,
        labels("dev"),
        ConnectOptions::default(),
    );
    assert_eq!(prod.version_table.schema.as_deref(), Some("ops"));
    assert_eq!(dev.version_table.schema, None);
    assert_eq!(prod.url.source().map(UrlSource::kind), Some("targets-file"));
    assert_eq!(dev.url.source().map(UrlSource::kind), Some("ini"));
    assert_eq!(prod.context().labels, labels("prod"));
    let a = prod.component.scripts().expect("scripts");
    let b = dev.component.scripts().expect("scripts");
    assert!(Arc::ptr_eq(&a, &b), "one load for both targets");
    assert_eq!(a.map.len(), 1);
    assert!(component("nope", &ws).is_err());
}

/// A project whose `app` component's env.py is `env_py`; `ini_extra`
/// goes in the ini's `[alembic]` section, `toml_extra` in `[app]`.
fn envpy_project(dir: &Path, env_py: &str, ini_extra: &str, toml_extra: &str) {
    write(
        dir,
        "db-status.toml",
        &format!("[app]\nconfig = \"alembic.ini\"\n{toml_extra}"),
    );
    write(
        dir,
        "alembic.ini",
        &format!("[alembic]\nscript_location = m\n{ini_extra}"),
    );
    write(dir, "m/env.py", env_py);
    std::fs::create_dir_all(dir.join("m/versions")).expect("mkdir");
}

/// Assert that one of the target's notes starts with `start`.
fn assert_note(t: &Target, start: &str) {
    assert!(
        t.notes.iter().any(|n| n.starts_with(start)),
        "no note starts with {start:?}: {:?}",
        t.notes
    );
}

const ENV_PY: &str = "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n\ndef run_migrations_online():\n    engine = create_engine(os.environ['APP_URL'])\n    context.configure(connection=engine.connect(), version_table='app_version', version_table_schema='meta')\n\nrun_migrations_online()\n";

fn one(dir: &Path, e: Env) -> Target {
    let mut s = select(&req(&["app"], &[]), dir.to_path_buf(), e).expect("ok");
    s.targets.remove(0)
}

#[test]
fn version_table_precedence() {
    let d = tempfile::tempdir().expect("tmp");
    // env.py alone.
    envpy_project(d.path(), ENV_PY, "", "");
    let t = one(d.path(), env(&[]));
    assert_eq!(t.version_table.qualified(), "meta.app_version");
    let at = TableSource::EnvPy {
        file: "m/env.py".into(),
        line: 7,
    };
    assert_eq!(t.table_sources.name, at);
    assert_eq!(t.table_sources.schema, Some(at));
    // The ini beats env.py, the project file beats both.
    envpy_project(d.path(), ENV_PY, "version_table = ini_v\n", "");
    let t = one(d.path(), env(&[]));
    assert_eq!(t.version_table.qualified(), "meta.ini_v");
    assert_eq!(t.table_sources.name.kind(), "ini");
    assert_eq!(
        t.table_sources.schema.as_ref().map(TableSource::kind),
        Some("env.py")
    );
    envpy_project(
        d.path(),
        ENV_PY,
        "version_table = ini_v\n",
        "version_table = \"toml_v\"\nversion_table_schema = \"s\"\n",
    );
    let t = one(d.path(), env(&[]));
    assert_eq!(t.version_table.qualified(), "s.toml_v");
    assert_eq!(t.table_sources.name.kind(), "project-file");
    assert!(t.notes.is_empty(), "{:?}", t.notes);
    // Unreadable: the default, and a note naming the line and the setting.
    envpy_project(
        d.path(),
        "from alembic import context\ncontext.configure(version_table=name + '_v')\n",
        "",
        "",
    );
    let t = one(d.path(), env(&[]));
    assert_eq!(t.version_table, VersionTable::default());
    assert_eq!(t.table_sources.name, TableSource::Default);
    assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
    assert!(
        t.notes[0].starts_with(
            "m/env.py:2 passes version_table=name + '_v', which db-status cannot read"
        ) && t.notes[0].ends_with("for component app in db-status.toml"),
        "{}",
        t.notes[0]
    );
}

#[test]
fn url_from_env_py() {
    let d = tempfile::tempdir().expect("tmp");
    envpy_project(d.path(), ENV_PY, "sqlalchemy.url = sqlite:///ini.db\n", "");
    // Set: above the ini, below DB_STATUS_URL and the component's url_env.
    let t = one(d.path(), env(&[("APP_URL", "sqlite:///env.db")]));
    assert_eq!(source(&t), "APP_URL, read by m/env.py:6");
    assert_eq!(t.url.source().map(UrlSource::kind), Some("env.py"));
    let t = one(
        d.path(),
        env(&[
            ("APP_URL", "sqlite:///env.db"),
            ("DB_STATUS_URL", "sqlite:///x.db"),
        ]),
    );
    assert_eq!(source(&t), "DB_STATUS_URL");
    // Not set: the ini's URL, with a note naming the variable.
    let t = one(d.path(), env(&[]));
    assert_eq!(source(&t), "sqlalchemy.url in alembic.ini");
    assert_note(
        &t,
        "m/env.py:6 takes the database URL from the environment variable APP_URL, which is not set",
    );
    // `os.getenv(X) or <the ini's URL>`: unset, the ini's is Alembic's too, nothing to say.
    envpy_project(
        d.path(),
        &ENV_PY.replace(
            "os.environ['APP_URL']",
            "os.getenv('APP_URL') or config.get_main_option('sqlalchemy.url')",
        ),
        "sqlalchemy.url = sqlite:///ini.db\n",
        "",
    );
    let t = one(d.path(), env(&[]));
    assert_eq!(source(&t), "sqlalchemy.url in alembic.ini");
    assert!(t.notes.is_empty(), "{:?}", t.notes);
    // Not set and no ini URL: the error names the variable.
    envpy_project(d.path(), ENV_PY, "", "");
    match one(d.path(), env(&[])).url {
        TargetUrl::Invalid { error, source } => {
            assert!(
                error.message.contains("APP_URL, which is not set"),
                "{}",
                error.message
            );
            assert_eq!(source.kind(), "env.py");
        }
        other => panic!("{other:?}"),
    }
    // Application settings: never guessed; the message names the line.
    envpy_project(
        d.path(),
        "from alembic import context\nfrom airflow import settings\ncontext.configure(url=settings.SQL_ALCHEMY_CONN)\n",
        "",
        "",
    );
    match one(d.path(), env(&[])).url {
        TargetUrl::Invalid { error, .. } => assert!(
            error.message.starts_with(
                "m/env.py:3 builds the database URL from settings.SQL_ALCHEMY_CONN, which db-status cannot read without running Python: pass the URL with --url, DB_STATUS_URL_APP or url_env"
            ),
            "{}",
            error.message
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn multidb_env_py_is_said_with_the_configuration_that_covers_it() {
    let d = tempfile::tempdir().expect("tmp");
    envpy_project(
        d.path(),
        "from alembic import context\nconfig = context.config\ndb_names = config.get_main_option('databases', '')\n",
        "databases = engine1, engine2\n",
        "",
    );
    let t = one(d.path(), env(&[]));
    assert_note(
        &t,
        "m/env.py:3 migrates several databases (Alembic's multidb template (the ini's `databases` option): engine1, engine2); db-status checks one database per component",
    );
    // A component with its own URL is one of them: nothing to say.
    envpy_project(
        d.path(),
        "from alembic import context\nconfig = context.config\ndb_names = config.get_main_option('databases', '')\n",
        "databases = engine1, engine2\n",
        "url = \"sqlite:///e1.db\"\n",
    );
    assert!(one(d.path(), env(&[])).notes.is_empty());
}

#[test]
fn env_suffixes() {
    assert_eq!(env_suffix("accountmgr"), "ACCOUNTMGR");
    assert_eq!(env_suffix("app-proxy"), "APP_PROXY");
}

#[test]
fn alembic_command_forms() {
    let spec = |files: &[&str], section: Option<&str>| ComponentSpec {
        section: section.map(str::to_string),
        ..ComponentSpec::plain("x".into(), files.iter().map(PathBuf::from).collect(), None)
    };
    assert_eq!(
        alembic_argv(false, &spec(&["alembic.ini"], None)),
        ["alembic"]
    );
    assert_eq!(
        alembic_argv(true, &spec(&["alembic-appproxy.ini"], None)),
        ["./py", "-m", "alembic", "-c", "alembic-appproxy.ini"]
    );
    assert_eq!(
        alembic_argv(false, &spec(&["my dir/a.ini"], Some("db2"))),
        ["alembic", "-c", "my dir/a.ini", "-n", "db2"]
    );
}
