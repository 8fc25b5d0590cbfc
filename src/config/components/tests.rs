use super::*;

fn req(cwd: &Path) -> SelectRequest {
    SelectRequest {
        cwd: cwd.to_path_buf(),
        ..SelectRequest::default()
    }
}

fn touch(dir: &Path, rel: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, "[alembic]\n").expect("write");
}

fn names(sel: &[Result<ComponentSpec, ComponentError>]) -> Vec<String> {
    sel.iter()
        .map(|r| match r {
            Ok(s) => s.name.clone(),
            Err(e) => format!("ERR:{}", e.name),
        })
        .collect()
}

#[test]
fn default_is_manager_alembic_ini() {
    let d = tempfile::tempdir().expect("tmp");
    let sel = select(&req(d.path()));
    assert_eq!(names(&sel), ["manager"]);
    let spec = sel[0].as_ref().expect("ok");
    assert_eq!(spec.ini.as_deref(), Some(Path::new("alembic.ini")));
    assert!(spec.tracked_instead_of.is_none());
}

#[test]
fn aliases_resolve_and_dedupe() {
    let d = tempfile::tempdir().expect("tmp");
    let mut r = req(d.path());
    r.components = vec![
        "app-proxy".into(),
        "account-manager".into(),
        "appproxy".into(),
    ];
    let sel = select(&r);
    assert_eq!(names(&sel), ["appproxy", "accountmgr"]);
    assert_eq!(
        sel[0].as_ref().expect("ok").ini.as_deref(),
        Some(Path::new("alembic-appproxy.ini"))
    );
}

#[test]
fn unknown_component_lists_known_names() {
    let d = tempfile::tempdir().expect("tmp");
    let mut r = req(d.path());
    r.components = vec!["manager".into(), "nope".into()];
    let sel = select(&r);
    assert_eq!(names(&sel), ["manager", "ERR:nope"]);
    let err = sel[1].as_ref().expect_err("unknown");
    assert!(
        err.message.contains("manager, accountmgr, appproxy"),
        "{}",
        err.message
    );
    assert_eq!(err.kind, ErrorKind::UnknownComponent);
    r.components = vec!["manger".into()];
    let sel = select(&r);
    let err = sel[0].as_ref().expect_err("typo");
    assert!(
        err.message.contains("did you mean 'manager'?"),
        "{}",
        err.message
    );
}

#[test]
fn all_lists_present_builtins_with_halfstack_fallback() {
    let d = tempfile::tempdir().expect("tmp");
    touch(d.path(), "alembic.ini");
    touch(
        d.path(),
        "configs/app-proxy-coordinator/halfstack.alembic.ini",
    );
    let mut r = req(d.path());
    r.all = true;
    let sel = select(&r);
    assert_eq!(names(&sel), ["manager", "appproxy"]);
    let app = sel[1].as_ref().expect("ok");
    assert_eq!(
        app.ini.as_deref(),
        Some(Path::new(
            "configs/app-proxy-coordinator/halfstack.alembic.ini"
        ))
    );
    assert_eq!(
        app.tracked_instead_of.as_deref(),
        Some("alembic-appproxy.ini")
    );
}

#[test]
fn all_with_nothing_present_is_an_error() {
    let d = tempfile::tempdir().expect("tmp");
    let mut r = req(d.path());
    r.all = true;
    assert_eq!(names(&select(&r)), ["ERR:all"]);
}

#[test]
fn project_file_components_keep_file_order_and_replace_builtins() {
    let d = tempfile::tempdir().expect("tmp");
    touch(d.path(), "alembic.ini");
    std::fs::write(
        d.path().join("db-status.toml"),
        "[zeta]\nconfig = \"z.ini\"\nurl_env = \"Z_URL\"\n\n[alpha]\nconfig = \"a.ini\"\nsection = \"s\"\nversion_table = \"vt\"\n",
    )
    .expect("write");
    let mut r = req(d.path());
    r.all = true;
    let sel = select(&r);
    assert_eq!(names(&sel), ["zeta", "alpha"]);
    let z = sel[0].as_ref().expect("ok");
    assert_eq!(z.url, Some(UrlOverride::Env("Z_URL".into())));
    let a = sel[1].as_ref().expect("ok");
    assert_eq!(a.section.as_deref(), Some("s"));
    assert_eq!(a.version_table.as_deref(), Some("vt"));
    // Built-ins stay reachable by name.
    let mut r = req(d.path());
    r.components = vec!["manager".into()];
    assert_eq!(names(&select(&r)), ["manager"]);
    // Several components and no default: plain `db-status` asks.
    assert_eq!(names(&select(&req(d.path()))), ["ERR:default"]);
}

#[test]
fn project_file_default_and_sole_component() {
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(
        d.path().join("db-status.toml"),
        "default = \"b\"\n[a]\nconfig = \"a.ini\"\n[b]\nconfig = \"b.ini\"\n",
    )
    .expect("write");
    assert_eq!(names(&select(&req(d.path()))), ["b"]);
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(
        d.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n[tool.db-status.only]\nconfig = \"o.ini\"\n",
    )
    .expect("write");
    assert_eq!(names(&select(&req(d.path()))), ["only"]);
}

#[test]
fn project_file_errors_name_file_and_line() {
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(
        d.path().join("db-status.toml"),
        "[a]\nconfig = \"a.ini\"\n\n[b]\nconfg = \"b.ini\"\n",
    )
    .expect("write");
    let sel = select(&req(d.path()));
    let err = sel[0].as_ref().expect_err("typo");
    assert!(err.message.contains("db-status.toml"), "{}", err.message);
    assert!(err.message.contains("line 4"), "{}", err.message);
    assert!(err.message.contains("confg"), "{}", err.message);
}

#[test]
fn config_flag_is_an_ad_hoc_component_and_section_applies() {
    let d = tempfile::tempdir().expect("tmp");
    let mut r = req(d.path());
    r.config_files = vec![PathBuf::from("sub/other.ini")];
    r.section = Some("db2".into());
    let sel = select(&r);
    let spec = sel[0].as_ref().expect("ok");
    assert_eq!(spec.name, "other");
    assert_eq!(spec.section.as_deref(), Some("db2"));
    r.all = true;
    assert_eq!(names(&select(&r)), ["ERR:-c"]);
    assert_eq!(
        select(&r)[0].as_ref().map_err(|e| e.kind),
        Err(ErrorKind::Usage)
    );
    let mut r = req(d.path());
    r.all = true;
    r.components = vec!["manager".into()];
    assert_eq!(
        select(&r)[0].as_ref().map_err(|e| e.kind),
        Err(ErrorKind::Usage)
    );
}
