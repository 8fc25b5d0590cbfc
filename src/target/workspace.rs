//! Where a run happens: the working directory, the project root, the
//! environment it reads, and the names derived from them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::components;

/// `NAME` as it appears in `DB_STATUS_URL_<NAME>`: upper-cased, every
/// character other than a letter or digit as `_`.
pub(crate) fn env_suffix(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The environment variables a selection reads, captured once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment.
    pub(crate) fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment holding exactly these variables.
    #[cfg(test)]
    pub(crate) fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Env {
        Env {
            vars: pairs.into_iter().collect(),
        }
    }

    /// A variable's value, when set and not blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// What every target of a run shares: where it runs.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The process working directory (symlinks resolved): paths are shown relative to it.
    pub(crate) cwd: PathBuf,
    /// The project root: configs resolve here and the advice's commands run here.
    pub(crate) root: PathBuf,
    /// A Backend.AI checkout (`./py` or `./backend.ai` in the root).
    pub(crate) backend_ai: bool,
    /// The environment.
    pub(crate) env: Env,
    /// `--python PATH|auto`: the interpreter that reads revision files db-status cannot.
    pub(crate) python: Option<crate::scripts::python::Fallback>,
}

impl Workspace {
    /// A workspace rooted at `root` (the working directory too).
    pub(crate) fn at(root: PathBuf, env: Env) -> Workspace {
        Workspace {
            backend_ai: is_backend_ai(&root),
            cwd: root.clone(),
            root,
            env,
            python: None,
        }
    }

    /// The root relative to the working directory when they differ (`../..`).
    pub(crate) fn root_from_cwd(&self) -> Option<String> {
        if self.root == self.cwd {
            return None;
        }
        let up = self
            .cwd
            .strip_prefix(&self.root)
            .ok()
            .map(|rel| rel.components().map(|_| "..").collect::<Vec<_>>().join("/"));
        Some(up.unwrap_or_else(|| self.root.display().to_string()))
    }
}

/// A Backend.AI checkout has `./py` (the pants-managed interpreter) or `./backend.ai`.
pub(crate) fn is_backend_ai(root: &Path) -> bool {
    root.join("py").exists() || root.join("backend.ai").exists()
}

/// The project root for `cwd`: the nearest directory, `cwd` or above, that
/// holds an `alembic*.ini`, `db-status.toml`, `[tool.db-status]` or a
/// built-in's tracked halfstack config; the search stops at the repository
/// root (a directory with `.git`), as git's does. `cwd` when none is found.
pub(crate) fn project_root(cwd: &Path) -> PathBuf {
    for dir in cwd.ancestors() {
        if components::is_project_dir(dir) {
            return dir.to_path_buf();
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    cwd.to_path_buf()
}

/// The project file as shown: `db-status.toml`, else `[tool.db-status]`.
pub(super) fn project_file_shown(root: &Path) -> String {
    if root.join("db-status.toml").is_file() {
        "db-status.toml".to_string()
    } else {
        "[tool.db-status] in pyproject.toml".to_string()
    }
}
