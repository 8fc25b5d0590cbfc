//! Differential test: `db_status::config::load_with_env` against real Alembic 1.20
//! (`Config` + `ScriptDirectory.from_config`, with `CommandLine`'s choice
//! of files) on a table of project layouts covering every rule of the
//! configuration stage: `-c`/`-n`/`ALEMBIC_CONFIG`, `%(here)s`, relative
//! paths, separators, pyproject.toml, booleans, package resources and the
//! errors.
//!
//! Python is `$DB_STATUS_PYTHON`, default `<repo>/.venv/bin/python` (set it
//! up with `scripts/setup-venv.sh`). All scenarios run in one Python process.

use std::path::{Path, PathBuf};
use std::process::Command;

use db_status::config::{ConfigError, ConfigRequest, PythonEnv, load_with_env};
use serde_json::{Value, json};

/// Runs each scenario as `CommandLine.main` would up to the script
/// directory, and reports the directory, the version locations, the
/// booleans and `sqlalchemy.url` — or how it failed: `command` (a
/// `FAILED:` line, with its text) or `crash` (a traceback).
const ORACLE: &str = r#"
import argparse, json, os, sys
from alembic import util
from alembic.config import CommandLine, Config
from alembic.script import ScriptDirectory

out = []
base_path = list(sys.path)
base_modules = set(sys.modules)
for sc in json.load(sys.stdin):
    os.chdir(sc["cwd"])
    if sc["env"] is None:
        os.environ.pop("ALEMBIC_CONFIG", None)
    else:
        os.environ["ALEMBIC_CONFIG"] = sc["env"]
    ns = argparse.Namespace(config=sc["config"] or None, name=sc["name"])
    try:
        toml, ini = CommandLine._inis_from_config(CommandLine.__new__(CommandLine), ns)
    except Exception as e:
        out.append({"crash": type(e).__name__})
        continue
    try:
        cfg = Config(file_=ini, toml_file=toml, ini_section=sc["name"], cmd_opts=ns)
        sd = ScriptDirectory.from_config(cfg)
        locs = [p.as_posix() for p in sd._version_locations]
        try:
            url = {"url": cfg.file_config.get(sc["name"], "sqlalchemy.url", fallback=None)}
        except Exception as e:
            url = {"url_error": type(e).__name__}
        out.append({"ok": {"dir": str(sd.dir), "locs": locs, "sourceless": sd.sourceless,
                           "recursive": sd.recursive_version_locations, **url}})
    except util.CommandError as e:
        out.append({"command": str(e)})
    except Exception as e:
        out.append({"crash": type(e).__name__})
    finally:
        sys.path[:] = base_path
        for m in set(sys.modules) - base_modules:
            del sys.modules[m]
json.dump(out, sys.stdout)
"#;

struct Scenario {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    cwd: &'static str,
    config: &'static [&'static str],
    section: &'static str,
    env: Option<&'static str>,
}

const fn sc(name: &'static str, files: &'static [(&'static str, &'static str)]) -> Scenario {
    Scenario {
        name,
        files,
        cwd: "",
        config: &[],
        section: "alembic",
        env: None,
    }
}

const MIG: (&str, &str) = ("migrations/versions/", "");

fn scenarios() -> Vec<Scenario> {
    vec![
        sc("empty dir", &[]),
        Scenario {
            config: &["nonexist.ini"],
            ..sc("-c missing ini", &[])
        },
        sc(
            "here",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///%(here)s/app.db\n",
                ),
                MIG,
            ],
        ),
        sc(
            "inline comment",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = %(here)s/migrations  # my comment\n",
            )],
        ),
        sc(
            "relative, from the project dir",
            &[
                ("alembic.ini", "[alembic]\nscript_location = migrations/\n"),
                MIG,
                ("sub/", ""),
            ],
        ),
        Scenario {
            cwd: "sub",
            config: &["../alembic.ini"],
            ..sc(
                "relative, from a subdir",
                &[
                    ("alembic.ini", "[alembic]\nscript_location = migrations\n"),
                    MIG,
                    ("sub/", ""),
                ],
            )
        },
        Scenario {
            config: &["./sub/../alembic.ini"],
            ..sc(
                "here keeps ..",
                &[
                    (
                        "alembic.ini",
                        "[alembic]\nscript_location = %(here)s/migrations\n",
                    ),
                    MIG,
                    ("sub/", ""),
                ],
            )
        },
        sc(
            "key case and DEFAULT",
            &[
                (
                    "alembic.ini",
                    "[DEFAULT]\nSQLAlchemy.URL = x://y\n[alembic]\nScript_Location = ./migrations\n",
                ),
                MIG,
            ],
        ),
        sc(
            "file_template interpolation",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\nfile_template = %(rev)s_%(slug)s\n",
            )],
        ),
        sc(
            "escaped file_template, bad url",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\nfile_template = %%(rev)s_%%(slug)s\nsqlalchemy.url = postgresql://u:p%40ss@h/db\n",
            )],
        ),
        sc(
            "sep os",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\nversion_locations = %(here)s/migrations/versions:%(here)s/extra1\n",
                ),
                MIG,
            ],
        ),
        sc(
            "sep colon",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = :\nversion_locations = %(here)s/extra1:%(here)s/missing\n",
                ),
                MIG,
            ],
        ),
        sc(
            "sep semicolon",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = ;\nversion_locations = %(here)s/migrations/versions;%(here)s/extra 2\n",
                ),
                MIG,
            ],
        ),
        sc(
            "sep space",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = space\nversion_locations = %(here)s/migrations/versions %(here)s/extra1\n",
                ),
                MIG,
            ],
        ),
        sc(
            "sep newline",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = newline\nversion_locations =\n    %(here)s/migrations/versions\n    %(here)s/extra 2\n    %(here)s/extra1\n",
                ),
                MIG,
            ],
        ),
        sc(
            "legacy split",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\nversion_locations = %(here)s/migrations/versions, %(here)s/extra1\n",
                ),
                MIG,
            ],
        ),
        sc(
            "legacy empty pieces",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\nversion_locations =  a ,b\n",
                ),
                MIG,
            ],
        ),
        sc(
            "version_path_separator",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\nversion_path_separator = ;\nversion_locations = x;y\n",
                ),
                MIG,
            ],
        ),
        sc(
            "both separators",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = ;\nversion_path_separator = space\nversion_locations = x y;z\n",
                ),
                MIG,
            ],
        ),
        sc(
            "sep comma",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = comma\nversion_locations = a,b\n",
                ),
                MIG,
            ],
        ),
        sc(
            "bad separator unused",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = comma\n",
                ),
                MIG,
            ],
        ),
        sc(
            "empty pieces",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\npath_separator = ;\nversion_locations = a;;  ;./b/\n",
                ),
                MIG,
            ],
        ),
        sc(
            "empty version_locations",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\nversion_locations =\n",
                ),
                MIG,
            ],
        ),
        sc(
            "package resource",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = dbspkg_a:migrations\nprepend_sys_path = .\npath_separator = os\n",
                ),
                ("dbspkg_a/__init__.py", ""),
                ("dbspkg_a/migrations/versions/", ""),
            ],
        ),
        sc(
            "package resource, nested, legacy prepend",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = dbspkg_b.models:alembic\nprepend_sys_path = lib\nversion_locations = dbspkg_b.models:alembic/versions dbspkg_b:more\n",
                ),
                ("lib/dbspkg_b/__init__.py", ""),
                ("lib/dbspkg_b/models/__init__.py", ""),
                ("lib/dbspkg_b/models/alembic/versions/", ""),
            ],
        ),
        sc(
            "package resource, namespace package",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = dbsns_c.inner:mig\nprepend_sys_path = one:two\npath_separator = :\n",
                ),
                ("one/dbsns_c/", ""),
                ("two/dbsns_c/inner/__init__.py", ""),
                ("two/dbsns_c/inner/mig/", ""),
            ],
        ),
        sc(
            "package resource, missing dir",
            &[
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = dbspkg_d:nothere\nprepend_sys_path = .\n",
                ),
                ("dbspkg_d/__init__.py", ""),
            ],
        ),
        Scenario {
            env: Some("custom.ini"),
            ..sc(
                "ALEMBIC_CONFIG",
                &[
                    ("custom.ini", "[alembic]\nscript_location = migrations\n"),
                    MIG,
                ],
            )
        },
        Scenario {
            env: Some("custom.ini"),
            config: &["nonexist.ini"],
            ..sc(
                "ALEMBIC_CONFIG and -c",
                &[
                    ("custom.ini", "[alembic]\nscript_location = migrations\n"),
                    MIG,
                ],
            )
        },
        Scenario {
            config: &["alembic.ini", "custom.ini"],
            ..sc("-c twice", &[])
        },
        Scenario {
            config: &["pyproject.toml", "x/pyproject.toml"],
            ..sc("two pyproject", &[])
        },
        Scenario {
            config: &[""],
            ..sc(
                "-c empty",
                &[
                    ("alembic.ini", "[alembic]\nscript_location = migrations\n"),
                    MIG,
                ],
            )
        },
        sc(
            "pyproject only",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\nprepend_sys_path = [\".\"]\nversion_locations = [\"%(here)s/migrations/versions\", \"%(here)s/more\"]\nsourceless = true\n",
                ),
                MIG,
            ],
        ),
        Scenario {
            cwd: "sub",
            env: Some("../pyproject.toml"),
            ..sc(
                "pyproject via ALEMBIC_CONFIG",
                &[
                    (
                        "pyproject.toml",
                        "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n",
                    ),
                    MIG,
                    ("sub/", ""),
                ],
            )
        },
        Scenario {
            cwd: "sub",
            config: &["../pyproject.toml", "../alembic.ini"],
            ..sc(
                "pyproject and ini via -c",
                &[
                    (
                        "pyproject.toml",
                        "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n",
                    ),
                    (
                        "alembic.ini",
                        "[alembic]\nsqlalchemy.url = sqlite:///%(here)s/x.db\n",
                    ),
                    MIG,
                    ("sub/", ""),
                ],
            )
        },
        sc(
            "toml boolean as string",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\nrecursive_version_locations = \"true\"\n",
                ),
                MIG,
            ],
        ),
        sc(
            "toml string as version_locations",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nscript_location = \"migrations\"\nversion_locations = \"ab\"\n",
                ),
                MIG,
            ],
        ),
        sc(
            "toml float",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nscript_location = \"migrations\"\ntimezone = 1.5\n",
                ),
                MIG,
            ],
        ),
        sc(
            "toml not a table",
            &[("pyproject.toml", "[tool]\nalembic = 3\n"), MIG],
        ),
        sc(
            "toml bad percent",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nscript_location = \"50%\"\n",
                ),
                MIG,
            ],
        ),
        sc(
            "toml invalid",
            &[
                ("pyproject.toml", "[tool.alembic\n"),
                ("alembic.ini", "[alembic]\nscript_location = migrations\n"),
                MIG,
            ],
        ),
        sc(
            "ini wins over toml",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n",
                ),
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = %(here)s/does_not_exist\n",
                ),
                MIG,
            ],
        ),
        sc(
            "ini empty list falls back to toml",
            &[
                (
                    "pyproject.toml",
                    "[tool.alembic]\nversion_locations = [\"t1\", \"t2\"]\n",
                ),
                (
                    "alembic.ini",
                    "[alembic]\nscript_location = migrations\nversion_locations =\n",
                ),
                MIG,
            ],
        ),
        Scenario {
            section: "otherdb",
            ..sc(
                "-n otherdb",
                &[
                    (
                        "alembic.ini",
                        "[alembic]\nscript_location = a\n[otherdb]\nscript_location = b\n",
                    ),
                    ("a/", ""),
                    ("b/", ""),
                ],
            )
        },
        Scenario {
            section: "nosuch",
            ..sc(
                "-n missing",
                &[
                    ("alembic.ini", "[alembic]\nscript_location = a\n"),
                    ("a/", ""),
                ],
            )
        },
        Scenario {
            section: "DEFAULT",
            ..sc(
                "-n DEFAULT",
                &[
                    (
                        "alembic.ini",
                        "[DEFAULT]\nscript_location = a\nversion_locations = x\n",
                    ),
                    ("a/", ""),
                ],
            )
        },
        sc(
            "ini booleans",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\nsourceless = True\nrecursive_version_locations = true\n",
            )],
        ),
        sc(
            "truncate_slug_length",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\ntruncate_slug_length = forty\n",
            )],
        ),
        sc(
            "truncate_slug_length ok",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\ntruncate_slug_length =  +4_0 \n",
            )],
        ),
        sc(
            "post_write_hooks interpolation",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\n[post_write_hooks]\nhooks = black\nblack.options = -l 79 %(REVISION_SCRIPT_FILENAME)s\n",
            )],
        ),
        sc(
            "bom",
            &[("alembic.ini", "\u{feff}[alembic]\nscript_location = .\n")],
        ),
        sc(
            "empty script_location",
            &[("alembic.ini", "[alembic]\nscript_location =\n")],
        ),
        sc(
            "duplicate option",
            &[(
                "alembic.ini",
                "[alembic]\nscript_location = .\nScript_location = .\n",
            )],
        ),
    ]
}

use crate::support::{python, python_json};

fn oracle(input: &Value) -> Vec<Value> {
    let mut c = Command::new(python());
    c.args(["-c", ORACLE]).env_remove("PYTHONPATH");
    python_json(c, input, "oracle")
}

fn rust(cwd: &Path, s: &Scenario) -> Value {
    let request = ConfigRequest {
        config_files: s.config.iter().map(PathBuf::from).collect(),
        section: Some(s.section.to_owned()),
        cwd: cwd.to_path_buf(),
        alembic_config_env: s.env.map(str::to_owned),
    };
    match load_with_env(&request, &PythonEnv::default()) {
        Ok(c) => {
            let url = match (&c.sqlalchemy_url, &c.sqlalchemy_url_error) {
                (_, Some(_)) => json!({"url_error": true}),
                (url, None) => json!({"url": url}),
            };
            let mut ok = json!({
                "dir": c.script_location.to_string_lossy(),
                "locs": c.version_locations.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
                "sourceless": c.sourceless,
                "recursive": c.recursive_version_locations,
            });
            if let (Some(o), Some(u)) = (ok.as_object_mut(), url.as_object()) {
                o.extend(u.clone());
            }
            json!({ "ok": ok })
        }
        Err(ConfigError::Command(m)) => json!({ "command": m }),
        Err(ConfigError::Crash { .. }) => json!({ "crash": true }),
    }
}

/// Python's exception class does not matter, only that it crashed; and a
/// url error only as a fact.
fn normalise(mut v: Value) -> Value {
    if v.get("crash").is_some() {
        return json!({"crash": true});
    }
    if let Some(ok) = v.get_mut("ok").and_then(Value::as_object_mut)
        && ok.contains_key("url_error")
    {
        ok.insert("url_error".to_owned(), json!(true));
    }
    v
}

#[test]
fn load_matches_alembic() {
    let scenarios = scenarios();
    let root = tempfile::tempdir().expect("tempdir");
    // Canonical, because Python's os.getcwd() is.
    let root = root.path().canonicalize().expect("canonical tempdir");
    let mut input = Vec::new();
    let mut cwds = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        let dir = root.join(format!("s{i}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (path, text) in s.files {
            let full = dir.join(path);
            if path.ends_with('/') {
                std::fs::create_dir_all(&full).expect("mkdir");
            } else {
                std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
                std::fs::write(&full, text).expect("write");
            }
        }
        let cwd = if s.cwd.is_empty() {
            dir
        } else {
            dir.join(s.cwd)
        };
        input.push(json!({
            "cwd": cwd.to_string_lossy(),
            "config": s.config,
            "name": s.section,
            "env": s.env,
        }));
        cwds.push(cwd);
    }
    let expected = oracle(&Value::Array(input));
    assert_eq!(expected.len(), scenarios.len());
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeMap::new();
    for ((s, cwd), want) in scenarios.iter().zip(&cwds).zip(expected) {
        let got = rust(cwd, s);
        let want = normalise(want);
        if std::env::var_os("CONFIG_ALEMBIC_VERBOSE").is_some() {
            eprintln!("{}: {want}", s.name);
        }
        let kind = want.as_object().and_then(|o| o.keys().next().cloned());
        *kinds.entry(kind.unwrap_or_default()).or_insert(0) += 1;
        if got != want {
            failures.push(format!("{}:\n  alembic: {want}\n  rust:    {got}", s.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
    // The table must exercise successes and both kinds of failure.
    for (kind, at_least) in [("ok", 25), ("command", 8), ("crash", 8)] {
        let n = kinds.get(kind).copied().unwrap_or(0);
        assert!(n >= at_least, "only {n} '{kind}' outcomes: {kinds:?}");
    }
}
