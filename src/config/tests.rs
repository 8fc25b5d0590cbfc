//! Unit tests of configuration loading on small temporary projects.

use super::*;
use std::fs;

/// A temporary project: `(relative path, contents)`; a path ending in
/// `/` is a directory.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let full = tmp.path().join(path);
        if path.ends_with('/') {
            fs::create_dir_all(&full).expect("mkdir");
        } else {
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(&full, text).expect("write");
        }
    }
    tmp
}

fn request(cwd: &Path) -> ConfigRequest {
    ConfigRequest {
        cwd: cwd.to_path_buf(),
        ..ConfigRequest::default()
    }
}

fn load_at(req: &ConfigRequest) -> Result<AlembicConfig, ConfigError> {
    load_with_env(req, &PythonEnv::default())
}

fn command_err(r: Result<AlembicConfig, ConfigError>) -> String {
    match r {
        Err(ConfigError::Command(m)) => m,
        other => panic!("expected a CommandError, got {other:?}"),
    }
}

fn crash_err(r: Result<AlembicConfig, ConfigError>) -> String {
    match r {
        Err(ConfigError::Crash { message, .. }) => message,
        other => panic!("expected a crash, got {other:?}"),
    }
}

fn p(dir: &Path, rel: &str) -> PathBuf {
    PathBuf::from(format!("{}/{rel}", dir.display()))
}

const NO_KEY: &str = "No 'script_location' key found in configuration.";

#[test]
fn no_config_at_all() {
    let t = project(&[]);
    assert_eq!(command_err(load_at(&request(t.path()))), NO_KEY);
    let mut r = request(t.path());
    r.config_files = vec!["nonexist.ini".into()];
    assert_eq!(command_err(load_at(&r)), NO_KEY);
    let t = project(&[("alembic.ini", "[alembic]\nsqlalchemy.url = x\n")]);
    assert_eq!(command_err(load_at(&request(t.path()))), NO_KEY);
}

#[test]
fn defaults_and_here() {
    let t = project(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///%(here)s/app.db\n",
        ),
        ("migrations/versions/", ""),
    ]);
    let c = load_at(&request(t.path())).unwrap();
    let d = t.path();
    assert_eq!(c.ini_name, "alembic.ini");
    assert_eq!(c.ini_path, Some(p(d, "alembic.ini")));
    assert_eq!(c.section, "alembic");
    assert_eq!(c.script_location, p(d, "migrations"));
    assert_eq!(c.version_locations, vec![p(d, "migrations/versions")]);
    assert_eq!(
        c.sqlalchemy_url.as_deref(),
        Some(format!("sqlite:///{}/app.db", d.display()).as_str())
    );
    assert_eq!(c.version_table, "alembic_version");
    assert_eq!(c.version_table_schema, None);
    assert!(!c.recursive_version_locations && !c.sourceless);
}

#[test]
fn inline_comment_is_part_of_the_value() {
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = %(here)s/migrations  # my comment\n",
    )]);
    assert_eq!(
        command_err(load_at(&request(t.path()))),
        format!(
            "Path doesn't exist: {}/migrations  # my comment.  Please use the 'init' command \
             to create a new scripts folder.",
            t.path().display()
        )
    );
}

#[test]
fn relative_script_location_is_relative_to_the_cwd() {
    let t = project(&[
        ("alembic.ini", "[alembic]\nscript_location = migrations\n"),
        ("migrations/", ""),
        ("sub/", ""),
    ]);
    let c = load_at(&request(t.path())).unwrap();
    assert_eq!(c.script_location, PathBuf::from("migrations"));
    assert_eq!(
        c.version_locations,
        vec![p(t.path(), "migrations/versions")]
    );
    let mut r = request(&t.path().join("sub"));
    r.config_files = vec!["../alembic.ini".into()];
    assert_eq!(
        command_err(load_at(&r)),
        "Path doesn't exist: migrations.  Please use the 'init' command to create a new \
         scripts folder."
    );
}

#[test]
fn keys_are_case_insensitive_and_default_section_counts() {
    let t = project(&[
        (
            "alembic.ini",
            "[DEFAULT]\nSQLAlchemy.URL = x://y\n[alembic]\nScript_Location = migrations/\n",
        ),
        ("migrations/", ""),
    ]);
    let c = load_at(&request(t.path())).unwrap();
    assert_eq!(c.script_location, PathBuf::from("migrations"));
    assert_eq!(c.sqlalchemy_url.as_deref(), Some("x://y"));
}

#[test]
fn interpolation_error_in_file_template_is_fatal() {
    let t = project(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = migrations\nfile_template = %(rev)s_%(slug)s\n",
        ),
        ("migrations/", ""),
    ]);
    let m = crash_err(load_at(&request(t.path())));
    assert!(m.contains("alembic.ini, line 3"), "{m}");
    assert!(
        m.contains("option 'file_template' in section 'alembic'"),
        "{m}"
    );
    assert!(m.contains("InterpolationMissingOptionError"), "{m}");
}

#[test]
fn syntax_errors_in_the_ini_are_crashes() {
    let t = project(&[("alembic.ini", "[alembic]\nx = 1\nX = 2\n")]);
    let m = crash_err(load_at(&request(t.path())));
    assert!(
        m.starts_with(
            "While reading from 'alembic.ini' [line  3]: option 'x' in section 'alembic' already exists"
        ),
        "{m}"
    );
}

fn with_locations(extra: &str) -> tempfile::TempDir {
    project(&[
        (
            "alembic.ini",
            &format!("[alembic]\nscript_location = %(here)s/migrations\n{extra}\n"),
        ),
        ("migrations/versions/", ""),
        ("extra1/", ""),
        ("extra 2/", ""),
    ])
}

#[test]
fn every_path_separator() {
    let cases = [
        (
            "path_separator = os\nversion_locations = %(here)s/migrations/versions:%(here)s/extra1",
            vec!["migrations/versions", "extra1"],
        ),
        (
            "path_separator = :\nversion_locations = %(here)s/extra1:%(here)s/missing",
            vec!["extra1", "missing"],
        ),
        (
            "path_separator = ;\nversion_locations = %(here)s/migrations/versions;%(here)s/extra 2",
            vec!["migrations/versions", "extra 2"],
        ),
        (
            "path_separator = space\nversion_locations = %(here)s/migrations/versions %(here)s/extra1",
            vec!["migrations/versions", "extra1"],
        ),
        (
            "path_separator = newline\nversion_locations =\n    %(here)s/migrations/versions\n    %(here)s/extra 2\n    %(here)s/extra1",
            vec!["migrations/versions", "extra 2", "extra1"],
        ),
        (
            "version_locations = %(here)s/migrations/versions, %(here)s/extra1",
            vec!["migrations/versions", "extra1"],
        ),
        (
            "version_path_separator = ;\nversion_locations = %(here)s/migrations/versions;%(here)s/extra 2",
            vec!["migrations/versions", "extra 2"],
        ),
        // path_separator wins over the deprecated key.
        (
            "path_separator = ;\nversion_path_separator = space\nversion_locations = %(here)s/extra 2",
            vec!["extra 2"],
        ),
    ];
    for (extra, want) in cases {
        let t = with_locations(extra);
        let c = load_at(&request(t.path())).unwrap_or_else(|e| panic!("{extra}: {e}"));
        let want: Vec<PathBuf> = want.iter().map(|w| p(t.path(), w)).collect();
        assert_eq!(c.version_locations, want, "{extra}");
    }
}

#[test]
fn invalid_path_separator_crashes_with_pythons_text() {
    let t = with_locations(
        "path_separator = comma\nversion_locations = %(here)s/migrations/versions,%(here)s/extra1",
    );
    let m = crash_err(load_at(&request(t.path())));
    assert!(
        m.contains(
            "'comma' is not a valid value for path_separator; expected 'space', 'newline', 'os', ':', ';'"
        ),
        "{m}"
    );
}

#[test]
fn empty_pieces_and_relative_locations() {
    for (settings, expected) in [
        // Empty pieces are dropped before stripping: "  " survives as "" (the CWD).
        (
            "path_separator = ;\nversion_locations = a;;  ;./b/",
            &["a", "", "b"][..],
        ),
        // Legacy splitting keeps empty pieces: "a ,b" → a, "", b.
        ("version_locations = a ,b", &["a", "", "b"]),
        // An empty value means the default location.
        ("version_locations =", &["migrations/versions"]),
    ] {
        let t = with_locations(settings);
        let d = t.path();
        let expected: Vec<PathBuf> = expected
            .iter()
            .map(|rel| match *rel {
                "" => PathBuf::from(d),
                rel => p(d, rel),
            })
            .collect();
        let c = load_at(&request(d)).unwrap();
        assert_eq!(c.version_locations, expected, "{settings}");
    }
}

#[test]
fn package_resource_script_location() {
    let t = project(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = mypkg:migrations\nprepend_sys_path = .\nversion_locations = mypkg:migrations/versions mypkg:extra\n",
        ),
        ("mypkg/__init__.py", ""),
        ("mypkg/migrations/versions/", ""),
    ]);
    let c = load_at(&request(t.path())).unwrap();
    assert_eq!(c.script_location, p(t.path(), "mypkg/migrations"));
    assert_eq!(
        c.version_locations,
        vec![
            p(t.path(), "mypkg/migrations/versions"),
            p(t.path(), "mypkg/extra")
        ]
    );
}

#[test]
fn package_resource_in_src_and_pythonpath() {
    let t = project(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = ai.backend.manager.models:alembic\n",
        ),
        ("src/ai/backend/manager/models/__init__.py", ""),
        ("src/ai/backend/manager/models/alembic/", ""),
        ("elsewhere/ai/backend/manager/models/__init__.py", ""),
        ("elsewhere/ai/backend/manager/models/alembic/", ""),
    ]);
    let c = load_at(&request(t.path())).unwrap();
    assert_eq!(
        c.script_location,
        p(t.path(), "src/ai/backend/manager/models/alembic")
    );
    // PYTHONPATH comes before the CWD conveniences.
    let env = PythonEnv {
        pythonpath: Some("elsewhere".to_owned()),
        virtual_env: None,
    };
    let c = load_with_env(&request(t.path()), &env).unwrap();
    assert_eq!(
        c.script_location,
        p(t.path(), "elsewhere/ai/backend/manager/models/alembic")
    );
}

#[test]
fn package_resource_in_virtualenv_site_packages() {
    let t = project(&[
        ("alembic.ini", "[alembic]\nscript_location = inst.pkg:mig\n"),
        ("venv/lib/python3.11/site-packages/inst/pkg/__init__.py", ""),
        ("venv/lib/python3.11/site-packages/inst/pkg/mig/", ""),
    ]);
    let env = PythonEnv {
        pythonpath: None,
        virtual_env: Some(t.path().join("venv")),
    };
    let c = load_with_env(&request(t.path()), &env).unwrap();
    assert_eq!(
        c.script_location,
        p(t.path(), "venv/lib/python3.11/site-packages/inst/pkg/mig")
    );
}

#[test]
fn unresolvable_package_says_where_it_looked() {
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = nopkg.models:alembic\n",
    )]);
    let m = command_err(load_at(&request(t.path())));
    assert!(m.contains("'nopkg'"), "{m}");
    assert!(m.contains("No module named 'nopkg'"), "{m}");
    assert!(m.contains("PYTHONPATH"), "{m}");
    assert!(m.contains(&format!("{}/src", t.path().display())), "{m}");
}

#[test]
fn alembic_config_env_and_c_flags() {
    let t = project(&[
        ("custom.ini", "[alembic]\nscript_location = migrations\n"),
        ("migrations/", ""),
    ]);
    assert_eq!(command_err(load_at(&request(t.path()))), NO_KEY);
    let mut r = request(t.path());
    r.alembic_config_env = Some("custom.ini".to_owned());
    let c = load_at(&r).unwrap();
    assert_eq!(c.ini_name, "custom.ini");
    r.config_files = vec!["nonexist.ini".into()];
    assert_eq!(command_err(load_at(&r)), NO_KEY);

    let mut r = request(t.path());
    r.config_files = vec!["alembic.ini".into(), "custom.ini".into()];
    assert!(crash_err(load_at(&r)).starts_with("only one ini file may be indicated"));
    r.config_files = vec!["pyproject.toml".into(), "a/pyproject.toml".into()];
    assert!(crash_err(load_at(&r)).starts_with("pyproject.toml indicated more than once"));
    // An empty -c falls back to the default, but still counts as "given".
    r.config_files = vec!["".into()];
    assert_eq!(inis_from_config(&r).unwrap().1, "alembic.ini");
    r.config_files = vec!["".into(), "x.ini".into()];
    assert!(inis_from_config(&r).is_err());
}

#[test]
fn pyproject_toml() {
    let toml = "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n\
                version_locations = [\"%(here)s/migrations/versions\", \"%(here)s/more\"]\n\
                recursive_version_locations = true\n";
    let t = project(&[("pyproject.toml", toml), ("migrations/", ""), ("sub/", "")]);
    let c = load_at(&request(t.path())).unwrap();
    let d = t.path();
    assert_eq!(c.script_location, p(d, "migrations"));
    assert_eq!(
        c.version_locations,
        vec![p(d, "migrations/versions"), p(d, "more")]
    );
    assert!(c.recursive_version_locations);
    assert_eq!(c.ini_path, None);
    // From another directory, via ALEMBIC_CONFIG and via -c.
    let mut r = request(&d.join("sub"));
    r.alembic_config_env = Some("../pyproject.toml".to_owned());
    assert_eq!(
        load_at(&r).unwrap().script_location,
        p(&d.join("sub"), "../migrations")
    );
    let mut r = request(&d.join("sub"));
    r.config_files = vec!["../pyproject.toml".into(), "../alembic.ini".into()];
    assert!(load_at(&r).is_ok());
}

#[test]
fn ini_wins_over_pyproject() {
    let t = project(&[
        (
            "pyproject.toml",
            "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n",
        ),
        (
            "alembic.ini",
            "[alembic]\nscript_location = %(here)s/does_not_exist\n",
        ),
        ("migrations/", ""),
    ]);
    assert!(
        command_err(load_at(&request(t.path()))).starts_with(&format!(
            "Path doesn't exist: {}/does_not_exist.",
            t.path().display()
        ))
    );
}

#[test]
fn toml_booleans_and_types() {
    let base = "[tool.alembic]\nscript_location = \"%(here)s\"\n";
    let t = project(&[(
        "pyproject.toml",
        &format!("{base}recursive_version_locations = \"true\"\n"),
    )]);
    assert_eq!(
        command_err(load_at(&request(t.path()))),
        "boolean value expected for TOML parameter 'recursive_version_locations'"
    );
    let t = project(&[("pyproject.toml", &format!("{base}sourceless = true\n"))]);
    assert!(load_at(&request(t.path())).unwrap().sourceless);
    let t = project(&[("pyproject.toml", &format!("{base}timezone = 1.5\n"))]);
    assert_eq!(
        command_err(load_at(&request(t.path()))),
        "unsupported TOML value type for key: 'timezone'"
    );
    let t = project(&[("pyproject.toml", "[tool]\nalembic = \"x\"\n")]);
    assert_eq!(
        command_err(load_at(&request(t.path()))),
        "Incorrect TOML format"
    );
    let t = project(&[(
        "pyproject.toml",
        "[tool.alembic]\nscript_location = \"50%\"\n",
    )]);
    assert!(crash_err(load_at(&request(t.path()))).contains("incomplete format"));
}

#[test]
fn ini_booleans_are_exactly_true() {
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = .\nsourceless = True\nrecursive_version_locations = true\n",
    )]);
    let c = load_at(&request(t.path())).unwrap();
    assert!(!c.sourceless);
    assert!(c.recursive_version_locations);
}

#[test]
fn named_sections() {
    let t = project(&[
        (
            "alembic.ini",
            "[alembic]\nscript_location = a\n[otherdb]\nscript_location = b\nversion_table = other_version\nversion_table_schema = meta\n",
        ),
        ("a/", ""),
        ("b/", ""),
    ]);
    let mut r = request(t.path());
    r.section = Some("otherdb".to_owned());
    let c = load_at(&r).unwrap();
    assert_eq!(c.script_location, PathBuf::from("b"));
    assert_eq!(c.version_table, "other_version");
    assert_eq!(c.version_table_schema.as_deref(), Some("meta"));
    r.section = Some("nosuchsection".to_owned());
    assert_eq!(command_err(load_at(&r)), NO_KEY);
}

#[test]
fn truncate_slug_length_must_be_an_int() {
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = .\ntruncate_slug_length = forty\n",
    )]);
    assert!(
        crash_err(load_at(&request(t.path())))
            .contains("invalid literal for int() with base 10: 'forty'")
    );
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = .\ntruncate_slug_length =  +4_0 \n",
    )]);
    assert!(load_at(&request(t.path())).is_ok());
}

#[test]
fn bad_sqlalchemy_url_is_recorded_not_fatal() {
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = .\nsqlalchemy.url = postgresql://u:p%40ss@h/db\n",
    )]);
    let c = load_at(&request(t.path())).unwrap();
    assert_eq!(c.sqlalchemy_url, None);
    assert_eq!(
        c.sqlalchemy_url_error.as_deref(),
        Some(
            "line 3: a '%' is followed by neither '%' nor '(name)s'; write a literal '%' as '%%' \
             (configparser.InterpolationSyntaxError; the value is not shown, it may hold a password)"
        )
    );
}

#[test]
fn post_write_hooks_section_is_interpolated() {
    let t = project(&[(
        "alembic.ini",
        "[alembic]\nscript_location = .\n[post_write_hooks]\nhooks = black\nblack.options = -l 79 %(REVISION_SCRIPT_FILENAME)s\n",
    )]);
    assert!(crash_err(load_at(&request(t.path()))).contains("REVISION_SCRIPT_FILENAME"));
}
