//! Release dumps: `revision_history/<version>.json` beside Backend.AI's
//! manager tree, the output of `./backend.ai mgr schema dump-history`
//! (`{"manager_version", "revisions": [{"revision", "down_revision": "a, b"|"x"|null, …}]}`),
//! listing every revision a release had.
//!
//! A database upgraded along a release branch can sit at a revision that
//! main's graph places *after* revisions the release never had. `alembic
//! upgrade` starts after the current revision, so it never runs them: they
//! are **skipped** ([`Analysis::skipped`]). `./backend.ai mgr schema
//! apply-missing-revisions <version>` runs every revision of the tree the
//! dump lacks, in the reverse of `walk_revisions(base, heads)`
//! ([`Analysis::missing`]); it fails with `KeyError` when the dump names a
//! revision the tree does not have ([`Analysis::not_in_tree`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::graph::{BitSet, RevIdx, RevisionMap};

/// One revision as a dump lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DumpRevision {
    /// Revision id.
    pub(crate) revision: String,
    /// Parents on the release's graph (`"a, b"` split; empty for a base).
    pub(crate) down_revisions: Vec<String>,
}

/// A release's dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dump {
    /// The version, as `apply-missing-revisions` takes it (the file stem).
    pub(crate) version: String,
    /// The file.
    pub(crate) path: PathBuf,
    /// Every revision the release had.
    pub(crate) revisions: Vec<DumpRevision>,
}

/// A dump that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub(crate) struct DumpError {
    /// The file.
    pub(crate) path: PathBuf,
    /// What is wrong.
    pub(crate) message: String,
}

#[derive(Deserialize)]
struct RawDump {
    revisions: Vec<RawRevision>,
}

#[derive(Deserialize)]
struct RawRevision {
    revision: String,
    down_revision: Option<String>,
}

impl Dump {
    /// Read one dump; the version is the file name without `.json`.
    pub(crate) fn load(path: &Path) -> Result<Dump, DumpError> {
        let err = |message: String| DumpError {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let raw: RawDump = serde_json::from_str(&text).map_err(|e| {
            err(format!(
                "not a `mgr schema dump-history` document ({e}); expected {{\"revisions\": [{{\"revision\", \"down_revision\"}}]}}"
            ))
        })?;
        let version = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Dump {
            version,
            path: path.to_path_buf(),
            revisions: raw
                .revisions
                .into_iter()
                .map(|r| DumpRevision {
                    revision: r.revision,
                    down_revisions: r
                        .down_revision
                        .map(|d| {
                            d.split(',')
                                .map(|p| p.trim().to_string())
                                .filter(|p| !p.is_empty())
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// The release's heads: revisions no other revision of the dump names as a parent.
    pub(crate) fn heads(&self) -> Vec<&str> {
        let parents: BTreeSet<&str> = self
            .revisions
            .iter()
            .flat_map(|r| r.down_revisions.iter().map(String::as_str))
            .collect();
        self.revisions
            .iter()
            .map(|r| r.revision.as_str())
            .filter(|r| !parents.contains(r))
            .collect()
    }
}

/// Every `*.json` in `dir`, oldest version first; a missing directory has none.
pub(crate) fn load_dir(dir: &Path) -> (Vec<Dump>, Vec<DumpError>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (Vec::new(), Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    paths.sort_by_key(|p| version_key(&p.file_stem().unwrap_or_default().to_string_lossy()));
    let mut dumps = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match Dump::load(&p) {
            Ok(d) => dumps.push(d),
            Err(e) => errors.push(e),
        }
    }
    (dumps, errors)
}

/// `24.09.8` → `[24, 9, 8]` (non-numeric parts sort last, by text).
pub(crate) fn version_key(version: &str) -> Vec<(u64, String)> {
    version
        .split('.')
        .map(|p| match p.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, p.to_string()),
        })
        .collect()
}

/// The dump whose heads are exactly the database's rows (the release the
/// database was upgraded along), the newest if several.
pub(crate) fn infer<'a>(dumps: &'a [Dump], rows: &[&str]) -> Option<&'a Dump> {
    let rows: BTreeSet<&str> = rows.iter().copied().collect();
    if rows.is_empty() {
        return None;
    }
    dumps
        .iter()
        .rev()
        .find(|d| d.heads().into_iter().collect::<BTreeSet<_>>() == rows)
}

/// What a release's dump means for a database at `current`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Analysis {
    /// Revisions the release lacks that the tree's graph places before the
    /// release's heads and that the database has passed (ancestors of its
    /// current revisions), in apply order: `alembic upgrade` never runs them.
    pub(crate) skipped: Vec<RevIdx>,
    /// Every revision of the tree the release lacks, in apply order: what
    /// `apply-missing-revisions` would run.
    pub(crate) missing: Vec<RevIdx>,
    /// Revisions of the dump that the tree does not have
    /// (`apply-missing-revisions` stops with `KeyError` on them).
    pub(crate) not_in_tree: Vec<String>,
}

/// The order `apply-missing-revisions` runs revisions in: the reverse of
/// `walk_revisions(base="base", head="heads")` (oldest first).
pub(crate) fn apply_order(map: &RevisionMap) -> Vec<RevIdx> {
    let mut order = map.history(None, None).unwrap_or_default();
    order.reverse();
    order
}

/// Compare a release's dump with the tree, for a database at `current`.
pub(crate) fn analyze(map: &RevisionMap, dump: &Dump, current: &[RevIdx]) -> Analysis {
    let mut had = BitSet::new(map.len());
    let mut not_in_tree = Vec::new();
    for r in &dump.revisions {
        match map.find(&r.revision) {
            Some(i) => {
                had.insert(i);
            }
            None => not_in_tree.push(r.revision.clone()),
        }
    }
    // Skipped: what main's graph places before the release's heads (so
    // `alembic upgrade` from there never reaches it) and the database has
    // passed (so it never will). Revisions after the heads are pending, or
    // were run by `alembic upgrade` since.
    let mut before_heads = BitSet::new(map.len());
    for head in dump.heads() {
        if let Some(h) = map.find(head) {
            before_heads.union_with(&map.ancestor_set(h));
        }
    }
    let mut passed = BitSet::new(map.len());
    for &c in current {
        passed.union_with(&map.ancestor_set(c));
    }
    let order = apply_order(map);
    let missing: Vec<RevIdx> = order
        .iter()
        .copied()
        .filter(|&i| !had.contains(i))
        .collect();
    let skipped = missing
        .iter()
        .copied()
        .filter(|&i| before_heads.contains(i) && passed.contains(i))
        .collect();
    Analysis {
        skipped,
        missing,
        not_in_tree,
    }
}
