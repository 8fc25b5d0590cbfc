//! The committed demo (`examples/backend-ai`) is exactly what
//! `scripts/make-demo.sh` produces with real Alembic: regenerate it into a
//! temporary directory and compare every file, byte for byte.
//!
//! Needs Python with Alembic: `DB_STATUS_PYTHON`, else `<repo>/.venv/bin/python`
//! (`scripts/setup-venv.sh` creates it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "__pycache__") {
                    stack.push(path);
                }
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

#[test]
fn committed_demo_matches_make_demo() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = crate::support::python();
    let tmp = tempfile::tempdir().expect("tmp");
    let target = tmp.path().join("backend-ai");
    let status = std::process::Command::new("bash")
        .arg(repo.join("scripts/make-demo.sh"))
        .env("DB_STATUS_PYTHON", &python)
        .env("DEMO_DIR", &target)
        .status()
        .expect("run make-demo.sh");
    assert!(status.success());
    let fresh = files(&target);
    let committed = files(&repo.join("examples/backend-ai"));
    let fresh_names: Vec<_> = fresh.keys().collect();
    let committed_names: Vec<_> = committed.keys().collect();
    assert_eq!(
        fresh_names, committed_names,
        "file lists differ: rerun scripts/make-demo.sh"
    );
    for (name, bytes) in &fresh {
        assert!(
            committed.get(name) == Some(bytes),
            "{} differs from what scripts/make-demo.sh writes: rerun it and commit",
            name.display()
        );
    }
}
