//! `scripts::load` against real Alembic 1.20 (`ScriptDirectory._load_revisions`)
//! on one tree: a branchy tree from `scripts/gen_tree.py` plus the file-name
//! filter cases of transcript 05, a legacy hex file name, a symlinked file,
//! a sub-directory (recursive mode), and BOM/CRLF/latin-1 docstrings from
//! transcript 09. Load order, ids, parents, labels, dependencies, `longdoc`
//! and resolved paths must all match.
//!
//! Python is `$DB_STATUS_PYTHON`, else `<repo>/.venv/bin/python` (needs
//! `alembic==1.20.*`; create it with `scripts/setup-venv.sh`).

use std::path::Path;
use std::process::Command;

const ORACLE: &str = r#"
import json, sys
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic import util
cfg = Config()
cfg.set_main_option("script_location", sys.argv[1])
cfg.set_main_option("recursive_version_locations", sys.argv[2])
sd = ScriptDirectory.from_config(cfg)
out = []
for sc in sd._load_revisions():
    m = sc.module
    out.append({
        "revision": sc.revision,
        "down": list(util.to_tuple(m.down_revision, default=())),
        "labels": list(util.to_tuple(getattr(m, "branch_labels", None), default=())),
        "deps": list(util.to_tuple(getattr(m, "depends_on", None), default=())),
        "longdoc": sc.longdoc,
        "path": str(sc.path),
    })
print(json.dumps(out))
"#;

use crate::support::python;

fn write(dir: &Path, name: &str, body: &[u8]) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, body).expect("write");
}

#[test]
fn load_matches_alembic() {
    let py = python();
    let tmp = tempfile::tempdir().expect("tmp");
    let root = std::fs::canonicalize(tmp.path()).expect("real tmp");
    let loc = root.join("migrations");
    let versions = loc.join("versions");
    let status = Command::new(&py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen_tree.py"))
        .arg(&versions)
        .arg("120")
        .args(["--shape", "branchy", "--seed", "7"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); set DB_STATUS_PYTHON or run scripts/setup-venv.sh",
                py.display()
            )
        });
    assert!(status.status.success(), "gen_tree failed: {status:?}");
    let base = String::from_utf8(status.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    let rev = |id: &str, doc: &str| {
        format!("\"\"\"{doc}\"\"\"\nrevision = '{id}'\ndown_revision = '{base}'\n").into_bytes()
    };
    write(&versions, ".hidden_rev.py", &rev("e1", "dot-file (hidden)"));
    write(
        &versions,
        "_underscore_rev.py",
        &rev("e2", "underscore file"),
    );
    write(&versions, ".#emacs_lock.py", b"not python (");
    write(&versions, "__init__.py", b"");
    write(&versions, "__init__extra.py", b"not python (");
    write(&versions, "upper.PY", b"not python (");
    write(&versions, "x.py~", b"not python (");
    write(&versions, "notpython.txt", b"not python (");
    write(&versions, "subdir/sub_rev.py", &rev("e3", "in subdir"));
    write(&versions, "__pycache__/junk.py", b"not python (");
    write(
        &versions,
        "abcdef12.py",
        format!("\"\"\"legacy\"\"\"\ndown_revision = '{base}'\n").as_bytes(),
    );
    write(
        &versions,
        "bom.py",
        format!(
            "\u{feff}\"\"\"BOM file, CRLF line endings\r\n\r\nRevision ID: e4\r\n\"\"\"\r\nrevision = 'e4'\r\ndown_revision = '{base}'\r\nbranch_labels = 'lbl,x'\r\n"
        )
        .as_bytes(),
    );
    let mut latin = b"# -*- coding: latin-1 -*-\n\"\"\"latin-1 encoded \xe9\"\"\"\n".to_vec();
    latin.extend(
        format!("revision: str = 'e5'\ndown_revision = ['{base}']\ndepends_on = ('e4',)\n").bytes(),
    );
    write(&versions, "latin.py", &latin);
    write(
        &versions,
        "esc.py",
        format!("'''docstring\\twith escapes \\xe9 and line\\\ncontinuation'''\nrevision = 'e6'\ndown_revision = ('{base}',)\n").as_bytes(),
    );
    write(&root, "elsewhere/target_e7.py", &rev("e7", "via symlink"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        root.join("elsewhere/target_e7.py"),
        versions.join("zz_link.py"),
    )
    .expect("symlink");

    for recursive in [false, true] {
        let out = Command::new(&py)
            .args(["-c", ORACLE])
            .arg(&loc)
            .arg(if recursive { "true" } else { "false" })
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .expect("run alembic oracle");
        assert!(
            out.status.success(),
            "alembic oracle failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let set = db_status::scripts::load(std::slice::from_ref(&versions), recursive, false)
            .unwrap_or_else(|e| panic!("load failed: {e:?}"));
        let got: Vec<serde_json::Value> = set
            .scripts
            .iter()
            .map(|s| {
                serde_json::json!({
                    "revision": s.revision,
                    "down": s.down_revisions,
                    "labels": s.branch_labels,
                    "deps": s.dependencies,
                    "longdoc": s.longdoc,
                    "path": s.path.display().to_string(),
                })
            })
            .collect();
        let want = want.as_array().expect("array");
        assert_eq!(got.len(), want.len(), "recursive={recursive}: file count");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "recursive={recursive}");
        }
        assert!(set.warnings.is_empty());
    }
}
