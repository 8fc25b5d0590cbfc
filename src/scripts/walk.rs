//! File discovery exactly as Alembic 1.20 does it on Python 3.11
//! (`Script._list_py_dir` over `os.walk`, then `_load_revisions` /
//! `Script._from_path`): which files of the version locations are revision
//! files, and in which order. Nothing here reads file contents.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::{ScriptError, ScriptErrorKind};

/// A path `os.walk` listed, with its resolved form when it is already known
/// (a non-symlink entry of an already-resolved directory), which saves a
/// `realpath` (one `readlink` per path component) for nearly every file.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    path: PathBuf,
    real: Option<PathBuf>,
}

/// A file Alembic would load, in load order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Selected {
    /// Symlink-resolved absolute path (Alembic's `Script.path`).
    pub(crate) path: PathBuf,
    /// A `.pyc`/`.pyo` picked in `sourceless` mode (we cannot read bytecode).
    pub(crate) compiled: bool,
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> ScriptError {
    ScriptError {
        path: path.to_path_buf(),
        line: 0,
        message: format!("cannot {what}: {e}"),
        kind: ScriptErrorKind::Io,
    }
}

/// Code-point order of Python `str`s equals byte order of their UTF-8.
fn sort_names(names: &mut [std::ffi::OsString]) {
    names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
}

fn sort_entries(names: &mut [(std::ffi::OsString, bool)]) {
    names.sort_by(|a, b| a.0.as_encoded_bytes().cmp(b.0.as_encoded_bytes()));
}

fn candidate(dir: &Path, real_dir: Option<&Path>, name: &OsStr, is_link: bool) -> Candidate {
    Candidate {
        path: dir.join(name),
        real: real_dir.filter(|_| !is_link).map(|d| d.join(name)),
    }
}

struct Listing {
    /// Sub-directories (symlinked ones flagged: listed but never entered).
    dirs: Vec<(std::ffi::OsString, bool)>,
    /// Everything else, including symlinks to files and broken symlinks
    /// (flagged true).
    files: Vec<(std::ffi::OsString, bool)>,
}

/// One `os.scandir` pass classified like `os.walk` does: `is_dir()`
/// follows symlinks, so a symlink to a directory is a directory.
fn list(dir: &Path) -> std::io::Result<Listing> {
    let mut out = Listing {
        dirs: Vec::new(),
        files: Vec::new(),
    };
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let (is_dir, is_link) = if ty.is_symlink() {
            (
                std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
                true,
            )
        } else {
            (ty.is_dir(), false)
        };
        if is_dir {
            out.dirs.push((entry.file_name(), is_link));
        } else {
            out.files.push((entry.file_name(), is_link));
        }
    }
    Ok(out)
}

fn stem_before_first_dot(name: &OsStr) -> String {
    let s = name.to_string_lossy();
    s.split('.').next().unwrap_or("").to_owned()
}

/// `Script._list_py_dir`: candidate paths of one version location, in order.
/// Depth-first pre-order, files sorted per directory, sub-directories sorted,
/// only the top directory unless `recursive`; iterative, and each real
/// directory is entered once (a bind-mount loop cannot trap it).
pub(super) fn list_py_dir(
    location: &Path,
    recursive: bool,
    sourceless: bool,
    out: &mut Vec<Candidate>,
    errors: &mut Vec<ScriptError>,
) {
    let mut stack = vec![location.to_path_buf()];
    let mut visited: HashSet<PathBuf> = HashSet::new();
    while let Some(root) = stack.pop() {
        let real_root = std::fs::canonicalize(&root).ok();
        if !visited.insert(real_root.clone().unwrap_or_else(|| root.clone())) {
            continue;
        }
        let mut listing = match list(&root) {
            Ok(l) => l,
            Err(e) => {
                // os.walk would skip it silently and the revision set would be
                // quietly incomplete; say so instead.
                errors.push(io_error(&root, "list this version directory", &e));
                continue;
            }
        };
        let mut dir_names: Vec<std::ffi::OsString> = listing
            .dirs
            .iter()
            .filter(|(_, link)| !link)
            .map(|(n, _)| n.clone())
            .collect();
        sort_names(&mut dir_names);
        let root_name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if root_name.ends_with("__pycache__") {
            // Alembic `continue`s before `dirs.sort()` and before the
            // non-recursive `break`: the walk goes on into its sub-directories
            // (in directory order there; we use sorted order).
            stack.extend(dir_names.iter().rev().map(|d| root.join(d)));
            continue;
        }
        sort_entries(&mut listing.files);
        out.extend(
            listing
                .files
                .iter()
                .map(|(f, link)| candidate(&root, real_root.as_deref(), f, *link)),
        );
        if sourceless {
            let cache = root.join("__pycache__");
            if cache.exists() {
                let stems: HashSet<String> = listing
                    .files
                    .iter()
                    .map(|(f, _)| stem_before_first_dot(f))
                    .collect();
                match std::fs::read_dir(&cache) {
                    Ok(entries) => {
                        // `iterdir()` order is the directory's; sorted is the stable choice.
                        let mut names: Vec<(std::ffi::OsString, bool)> = entries
                            .filter_map(|e| e.ok())
                            .map(|e| {
                                let link = e.file_type().map_or(true, |t| t.is_symlink());
                                (e.file_name(), link)
                            })
                            .collect();
                        sort_entries(&mut names);
                        let real_cache = std::fs::canonicalize(&cache).ok();
                        out.extend(
                            names
                                .iter()
                                .filter(|(n, _)| !stems.contains(&stem_before_first_dot(n)))
                                .map(|(n, link)| {
                                    candidate(&cache, real_cache.as_deref(), n, *link)
                                }),
                        );
                    }
                    Err(e) => errors.push(io_error(&cache, "list this directory", &e)),
                }
            }
        }
        if !recursive {
            break;
        }
        stack.extend(dir_names.iter().rev().map(|d| root.join(d)));
    }
}

/// What `_from_path`'s file-name regex says about a (resolved) file name:
/// `(?!\.\#|__init__)(.*\.py)$`, or with `(c|o)?` in sourceless mode.
/// Returns the `.py` name (group 1) and the compiled suffix, if any.
pub(super) fn match_name(name: &str, sourceless: bool) -> Option<(&str, Option<char>)> {
    if name.starts_with(".#") || name.starts_with("__init__") {
        return None;
    }
    // `.` does not match a newline; `$` also matches before a final one.
    let body = name.strip_suffix('\n').unwrap_or(name);
    if body.contains('\n') {
        return None;
    }
    if body.ends_with(".py") {
        return Some((body, None));
    }
    if sourceless {
        for c in ['c', 'o'] {
            if let Some(py) = body.strip_suffix(c)
                && py.ends_with(".py")
            {
                return Some((py, Some(c)));
            }
        }
    }
    None
}

/// `_load_revisions` + `_from_path`: resolve each candidate, drop repeats
/// with Alembic's warning, apply the file-name filter and the sourceless
/// preferences (`.py` over `.pyc` over `.pyo`).
pub(super) fn select(candidates: Vec<Candidate>, sourceless: bool) -> (Vec<Selected>, Vec<String>) {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut selected = Vec::new();
    let mut warnings = Vec::new();
    for Candidate { path, real } in candidates {
        let real = match real {
            Some(r) => r,
            None => match std::fs::canonicalize(&path) {
                Ok(r) => r,
                // A broken symlink: Python's `resolve()` still gives a path; reading
                // it fails later with a clear error if the name qualifies.
                Err(_) => std::path::absolute(&path).unwrap_or(path),
            },
        };
        if seen.contains(&real) {
            warnings.push(format!(
                "File {} loaded twice! ignoring. Please ensure version_locations is unique.",
                real.display()
            ));
            continue;
        }
        seen.insert(real.clone());
        let name = real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((py_name, compiled)) = match_name(&name, sourceless) else {
            continue;
        };
        if let Some(kind) = compiled {
            let dir = real.parent().unwrap_or(Path::new(""));
            let py_exists = dir.join(py_name).exists();
            let pyc_exists = dir.join(format!("{py_name}c")).exists();
            if py_exists || (kind == 'o' && pyc_exists) {
                continue;
            }
        }
        selected.push(Selected {
            path: real,
            compiled: compiled.is_some(),
        });
    }
    (selected, warnings)
}
