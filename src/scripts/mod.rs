//! Stage 2: revision files. Discovers files in the version locations with
//! Alembic's exact filename rules and load order, and reads each one as text
//! with the module-level scanner in [`scan`] (nothing is executed or imported).

pub mod scan;

use std::path::{Path, PathBuf};

/// One revision file, as Alembic's `Script` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// `revision` (or the legacy hex file name).
    pub revision: String,
    /// `down_revision` as written, normalised like `util.to_tuple`: empty = `None`/`()`/`[]` (a base).
    pub down_revisions: Vec<String>,
    /// `depends_on` as written (labels stay labels); empty = none.
    pub dependencies: Vec<String>,
    /// `branch_labels` as declared in this file (not inherited ones).
    pub branch_labels: Vec<String>,
    /// The module docstring, Python-`strip()`ped (Alembic's `longdoc`); empty if none.
    pub longdoc: String,
    /// Symlink-resolved absolute path (what Alembic prints as `Path:`).
    pub path: PathBuf,
    /// 1-based lines of the assignments that were read.
    pub lines: FieldLines,
    /// What the docstring's `Revision ID:` / `Revises:` lines claim (they may lie).
    pub docstring_claims: DocstringClaims,
}

impl Script {
    /// Alembic's `doc`: the docstring up to the first blank line (literal `"\n\n"`).
    pub fn doc(&self) -> &str {
        match self.longdoc.find("\n\n") {
            Some(end) => &self.longdoc[..end],
            None => &self.longdoc,
        }
    }
}

/// 1-based line numbers of the module-level assignments (0 when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldLines {
    /// `revision = …`
    pub revision: u32,
    /// `down_revision = …`
    pub down_revision: u32,
    /// `branch_labels = …`
    pub branch_labels: u32,
    /// `depends_on = …`
    pub depends_on: u32,
}

/// The docstring's own account of the revision (documentation only: Alembic never reads it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocstringClaims {
    /// `Revision ID: X` and its 1-based line in the file.
    pub revision_id: Option<(String, u32)>,
    /// `Revises: a, b` (comma-split, trimmed; empty list for an empty line) and its line.
    pub revises: Option<(Vec<String>, u32)>,
}

/// The revision files of a script directory, in Alembic's load order.
#[derive(Debug, Clone, Default)]
pub struct ScriptSet {
    /// Scripts in load order.
    pub scripts: Vec<Script>,
    /// Warnings Alembic would print (e.g. `File … loaded twice! ignoring. …`).
    pub warnings: Vec<String>,
}

/// A revision file that cannot be read the way Alembic would read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", path.display())]
pub struct ScriptError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the problem is the whole file).
    pub line: u32,
    /// What is wrong and what to do, for people.
    pub message: String,
    /// The kind, which decides how Alembic-compatible commands report it.
    pub kind: ScriptErrorKind,
}

/// Kinds of [`ScriptError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorKind {
    /// No `revision` and no legacy hex file name: Alembic's
    /// `Could not determine revision id from filename …` (`FAILED:`, exit 255).
    NoRevision,
    /// No `down_revision` (Alembic: AttributeError traceback, exit 1).
    NoDownRevision,
    /// A value that is not a literal (computed, imported, conditional):
    /// Alembic would execute the module; we refuse to guess.
    NotStatic,
    /// Python syntax the scanner cannot follow (unterminated string, bad encoding, …).
    Syntax,
    /// The file could not be read.
    Io,
}

/// Discover and read every revision file under `locations` (in order), as
/// Alembic's `ScriptDirectory._load_revisions` would. All unreadable files
/// are reported, not just the first.
pub fn load(
    locations: &[PathBuf],
    recursive: bool,
    sourceless: bool,
) -> Result<ScriptSet, Vec<ScriptError>> {
    let _ = (locations, recursive, sourceless);
    todo!("scripts::load")
}

/// Read one revision file (used by `load` and by tests).
pub fn read_script(path: &Path) -> Result<Script, ScriptError> {
    let _ = path;
    todo!("scripts::read_script")
}
