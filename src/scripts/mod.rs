//! Stage 2: revision files. Discovers files in the version locations with
//! Alembic's exact filename rules and load order, and reads each one as text
//! with the module-level scanner in [`scan`] (nothing is executed or imported).

pub(crate) mod imports;
pub(crate) mod python;
mod resolve;
pub mod scan;
mod walk;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    pub(crate) fn doc(&self) -> &str {
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
    pub(crate) revision: u32,
    /// `down_revision = …`
    pub(crate) down_revision: u32,
    /// `branch_labels = …`
    pub(crate) branch_labels: u32,
    /// `depends_on = …`
    pub(crate) depends_on: u32,
}

/// The docstring's own account of the revision (documentation only: Alembic never reads it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocstringClaims {
    /// `Revision ID: X` and its 1-based line in the file.
    pub(crate) revision_id: Option<(String, u32)>,
    /// `Revises: a, b` (comma-split, trimmed; empty list for an empty line) and its line.
    pub(crate) revises: Option<(Vec<String>, u32)>,
}

/// The revision files of a script directory, in Alembic's load order.
#[derive(Debug, Clone, Default)]
pub struct ScriptSet {
    /// Scripts in load order.
    pub scripts: Vec<Script>,
    /// Warnings Alembic would print (e.g. `File … loaded twice! ignoring. …`),
    /// and a star import of a module that is not found.
    pub warnings: Vec<String>,
    /// How values that needed another module were decided: which modules,
    /// found where (for `-v` and `check`).
    pub(crate) notes: Vec<String>,
    /// Star imports of modules that are not found (also in `warnings`).
    pub(crate) missing_modules: Vec<imports::MissingModule>,
}

/// How files that the scanner alone cannot read are retried.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fallbacks<'a> {
    /// Resolve imported names, star imports and `try: import` through this
    /// resolver's search path.
    pub(crate) imports: Option<&'a imports::Resolver>,
    /// `--python`: ask this interpreter about what still cannot be read
    /// (one subprocess for all such files; needs `imports` for the search path).
    pub(crate) python: Option<&'a python::Fallback>,
}

/// `file:line`, or `file` alone for a problem with the whole file (line 0):
/// a file-level finding has no line.
pub fn location(file: impl std::fmt::Display, line: u32) -> String {
    if line > 0 {
        format!("{file}:{line}")
    } else {
        file.to_string()
    }
}

/// A revision file that cannot be read the way Alembic would read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", location(path.display(), *line))]
pub struct ScriptError {
    /// The file.
    pub(crate) path: PathBuf,
    /// 1-based line (0 when the problem is the whole file).
    pub(crate) line: u32,
    /// What is wrong and what to do, for people.
    pub(crate) message: String,
    /// The kind, which decides how Alembic-compatible commands report it.
    pub(crate) kind: ScriptErrorKind,
}

/// Kinds of [`ScriptError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScriptErrorKind {
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
    load_with(locations, recursive, sourceless, Fallbacks::default())
}

/// [`load`], retrying the files the scanner refuses with `fallbacks`.
pub(crate) fn load_with(
    locations: &[PathBuf],
    recursive: bool,
    sourceless: bool,
    fallbacks: Fallbacks<'_>,
) -> Result<ScriptSet, Vec<ScriptError>> {
    let (set, errors) = load_partial_with(locations, recursive, sourceless, fallbacks);
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

/// Like [`load`], but keeps what could be read next to what could not, for
/// `check`, which reports on every file it can rather than stopping at the
/// first unreadable one.
pub(crate) fn load_partial(
    locations: &[PathBuf],
    recursive: bool,
    sourceless: bool,
) -> (ScriptSet, Vec<ScriptError>) {
    load_partial_with(locations, recursive, sourceless, Fallbacks::default())
}

/// [`load_partial`], retrying the files the scanner refuses with `fallbacks`.
pub(crate) fn load_partial_with(
    locations: &[PathBuf],
    recursive: bool,
    sourceless: bool,
    fallbacks: Fallbacks<'_>,
) -> (ScriptSet, Vec<ScriptError>) {
    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    for location in locations {
        // Alembic skips configured locations that do not exist.
        if location.exists() {
            walk::list_py_dir(
                location,
                recursive,
                sourceless,
                &mut candidates,
                &mut errors,
            );
        }
    }
    let (files, mut warnings) = walk::select(candidates, sourceless);
    let mut notes = Vec::new();
    let mut missing_modules = Vec::new();
    let results = resolve::retry(
        read_all(&files),
        fallbacks,
        &mut missing_modules,
        &mut notes,
    );
    warnings.extend(missing_modules.iter().map(ToString::to_string));
    let mut scripts = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(s) => scripts.push(s),
            Err(e) => errors.push(e),
        }
    }
    // Walk errors come first, then files in load order: both already ordered.
    (
        ScriptSet {
            scripts,
            warnings,
            notes,
            missing_modules,
        },
        errors,
    )
}

/// Files below this count are read on the calling thread: spawning costs more.
const PARALLEL_THRESHOLD: usize = 64;

/// Read and scan `files` on all cores, keeping their order.
fn read_all(files: &[walk::Selected]) -> Vec<Result<Script, ScriptError>> {
    if files.len() < PARALLEL_THRESHOLD {
        let mut buf = Vec::new();
        return files.iter().map(|f| read_selected(f, &mut buf)).collect();
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    // More readers than cores: on a cold cache the work waits on the disk.
    let threads = (cores * 2)
        .clamp(2, 16)
        .min(files.len() / (PARALLEL_THRESHOLD / 2));
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<Script, ScriptError>>> = Vec::new();
    slots.resize_with(files.len(), || None);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut buf = Vec::new();
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        done.push((i, read_selected(f, &mut buf)));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            // A worker only panics on a bug; its files then stay unread and are reported below.
            if let Ok(done) = w.join() {
                for (i, r) in done {
                    if let Some(slot) = slots.get_mut(i) {
                        *slot = Some(r);
                    }
                }
            }
        }
    });
    slots
        .into_iter()
        .zip(files)
        .map(|(slot, f)| {
            slot.unwrap_or_else(|| {
                Err(ScriptError {
                    path: f.path.clone(),
                    line: 0,
                    message: "internal error while reading this file; please report it".into(),
                    kind: ScriptErrorKind::Io,
                })
            })
        })
        .collect()
}

fn read_selected(f: &walk::Selected, buf: &mut Vec<u8>) -> Result<Script, ScriptError> {
    if f.compiled {
        return Err(ScriptError {
            path: f.path.clone(),
            line: 0,
            message: "a compiled revision file (.pyc/.pyo) cannot be read without running \
                      Python; keep its .py source next to it (Alembic prefers the .py)"
                .into(),
            kind: ScriptErrorKind::NotStatic,
        });
    }
    let n = read_into(&f.path, buf)?;
    script_from_source(&f.path, buf.get(..n).unwrap_or_default())
}

/// Reads the whole file into `buf` (reused across files) and returns its
/// length. Plain `read` calls into spare room, with no `fstat` for a size
/// hint: at 100,000 files the saved syscall is measurable.
fn read_into(path: &Path, buf: &mut Vec<u8>) -> Result<usize, ScriptError> {
    fn read_all(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        let mut file = std::fs::File::open(path)?;
        if buf.len() < 16 * 1024 {
            buf.resize(16 * 1024, 0);
        }
        let mut n = 0;
        loop {
            if n == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let Some(spare) = buf.get_mut(n..) else {
                return Ok(n);
            };
            let room = spare.len();
            match file.read(spare) {
                Ok(0) => return Ok(n),
                // A regular file returns less than asked only at its end:
                // skip the extra `read` that would return 0 (one syscall in
                // four per revision file).
                Ok(k) if k < room => return Ok(n + k),
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    read_all(path, buf).map_err(|e| ScriptError {
        path: path.to_path_buf(),
        line: 0,
        message: format!("cannot read this revision file: {e}"),
        kind: ScriptErrorKind::Io,
    })
}

/// Build a [`Script`] from a file's bytes; `path` is stored as given and its
/// file name decides the legacy revision id.
pub(crate) fn script_from_source(path: &Path, source: &[u8]) -> Result<Script, ScriptError> {
    let error = |line: u32, kind: ScriptErrorKind, message: String| ScriptError {
        path: path.to_path_buf(),
        line,
        message,
        kind,
    };
    let scanned = scan::scan(source).map_err(|e| {
        let kind = match e.kind {
            scan::ScanErrorKind::NotStatic => ScriptErrorKind::NotStatic,
            scan::ScanErrorKind::Syntax => ScriptErrorKind::Syntax,
        };
        error(e.line, kind, e.message)
    })?;
    script_from_scanned(path, scanned)
}

/// Build a [`Script`] from what was read of a file (by the scanner, or with
/// the help of [`imports`]).
fn script_from_scanned(path: &Path, scanned: scan::Scanned) -> Result<Script, ScriptError> {
    let error = |line: u32, kind: ScriptErrorKind, message: String| ScriptError {
        path: path.to_path_buf(),
        line,
        message,
        kind,
    };
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut lines = FieldLines::default();
    let revision = match &scanned.revision {
        Some(scan::Assigned {
            value: scan::Value::Str(s),
            line,
        }) => {
            lines.revision = *line;
            s.clone()
        }
        Some(scan::Assigned { value, line }) => {
            return Err(error(
                *line,
                ScriptErrorKind::NotStatic,
                format!(
                    "`revision` is {}, but Alembic needs one string; write `revision = \"<id>\"`",
                    value.describe()
                ),
            ));
        }
        None => match legacy_revision(&filename) {
            Some(rev) => rev.to_owned(),
            None => {
                return Err(error(
                    0,
                    ScriptErrorKind::NoRevision,
                    format!(
                        "Could not determine revision id from filename {filename}. Be sure the \
                         'revision' variable is declared inside the script (please see \
                         'Upgrading from Alembic 0.1 to 0.2' in the documentation)."
                    ),
                ));
            }
        },
    };
    let Some(down) = &scanned.down_revision else {
        return Err(error(
            0,
            ScriptErrorKind::NoDownRevision,
            "no module-level `down_revision` (Alembic fails with AttributeError); add \
             `down_revision = None` for a first revision, or the parent's id"
                .into(),
        ));
    };
    lines.down_revision = down.line;
    let field = |a: &Option<scan::Assigned>, line: &mut u32| match a {
        Some(a) => {
            *line = a.line;
            a.value.to_tuple()
        }
        None => Vec::new(),
    };
    let branch_labels = field(&scanned.branch_labels, &mut lines.branch_labels);
    let mut dependencies = field(&scanned.depends_on, &mut lines.depends_on);
    // Alembic keeps a one-element tuple as its element and then tests it for
    // truth (`tuple_rev_as_scalar`, `if revision.dependencies:`): `""` or
    // `("",)` is no dependency (Invenio writes `depends_on = ""`). On a root
    // it still makes the revision no "real base" (`dependencies is None` is
    // false), and Alembic fails with DependencyCycleDetected: keeping `""`
    // there makes db-status fail too (a missing revision).
    let falsy = dependencies.len() == 1 && dependencies.first().is_some_and(String::is_empty);
    if falsy && !down.value.to_tuple().is_empty() {
        dependencies.clear();
    }
    Ok(Script {
        revision,
        down_revisions: down.value.to_tuple(),
        dependencies,
        branch_labels,
        longdoc: scanned.longdoc(),
        path: path.to_path_buf(),
        lines,
        docstring_claims: scanned.docstring_claims,
    })
}

/// Alembic's `_legacy_rev`: `re.match(r"([a-f0-9]+)\.py$", filename)`.
fn legacy_revision(filename: &str) -> Option<&str> {
    // `$` also matches before one trailing newline.
    let name = filename.strip_suffix('\n').unwrap_or(filename);
    let stem = name.strip_suffix(".py")?;
    let hex = !stem.is_empty() && stem.bytes().all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9'));
    hex.then_some(stem)
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
