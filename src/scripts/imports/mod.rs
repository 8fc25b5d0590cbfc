//! Import resolution without running Python: what a module-level name of a
//! file holds when it comes from another module (`import a.b.c as m` then
//! `m.NAME`, `from a.b import c`, `from a.b.c import NAME`, class attributes
//! `Cls.attr`, star imports, `try: import X / except ImportError:`).
//!
//! Modules are found on the same [`SearchPath`] that `package.module:dir`
//! script locations use. A module is read with [`super::scan::module`] and
//! evaluated statement by statement; only literals (strings, `None`,
//! tuples/lists of strings) are values, anything else is an error naming the
//! file and line where the chain stopped.
//!
//! ```text
//! let resolver = Resolver::new(SearchPath::new(cwd, &[], None, None));
//! let env = resolver.load_source(path, &std::fs::read(path)?)?;
//! let table = env.lookup(&resolver, "Base.version_table")?;
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod eval;
mod exec;

use super::scan::Value;
use super::scan::module::{ModuleBody, read_module};
use crate::config::paths::{ModuleLocation, SearchPath};

/// How many imports a name may go through before the resolver gives up
/// (a cycle, or a chain longer than any real project's).
pub(crate) const MAX_HOPS: usize = 8;

/// A file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    /// The file.
    pub(crate) file: PathBuf,
    /// 1-based line (0 = the whole file).
    pub(crate) line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Why a name could not be resolved: where the chain stopped and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ResolveError {
    /// Where the name is used (the file and line that asked).
    pub(crate) at: Origin,
    /// What is wrong, naming every file and line involved.
    pub(crate) message: String,
}

/// A resolved value and the trail that led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The literal value.
    pub(crate) value: Value,
    /// Where the name was bound in the file that was asked (its assignment
    /// or import line).
    pub(crate) bound_at: Origin,
    /// The files and lines the value went through, the literal last.
    pub(crate) trail: Vec<Origin>,
}

/// A `try: import X` whose outcome decided what a module binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// The module the `try` imports.
    pub(crate) module: String,
    /// Where it was found, or `None` when it is not on the search path.
    pub(crate) found: Option<String>,
    /// The import statement.
    pub(crate) at: Origin,
}

#[derive(Debug, Clone)]
enum Bound {
    Value(Value, Vec<Origin>),
    Module(String, Origin),
    From {
        module: String,
        name: String,
        at: Origin,
    },
    Class(HashMap<String, Bound>, Origin),
    Opaque(Origin, String),
    Failed(ResolveError),
}

/// A star import of a module that is not on the search path: taken to bind
/// none of the names Alembic reads (a warning; a finding under `check --strict`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MissingModule {
    /// The `from … import *` statement.
    pub(crate) at: Origin,
    /// The module named.
    pub(crate) module: String,
}

impl std::fmt::Display for MissingModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.module;
        write!(
            f,
            "{}: `from {m} import *`: module `{m}` is not found on the search path, so it is \
             taken to bind none of revision, down_revision, branch_labels, depends_on",
            self.at
        )
    }
}

/// What a module's top level binds, evaluated statically.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModuleEnv {
    file: PathBuf,
    /// Dotted name, when the module was found by name (for relative imports).
    dotted: Option<String>,
    is_package: bool,
    names: HashMap<String, Bound>,
    /// A statement that may have rebound any name (`globals()`, `exec`, …).
    wildcard: Option<(Origin, String)>,
    decisions: Vec<Decision>,
    missing: Vec<MissingModule>,
}

impl ModuleEnv {
    /// The `try: import X` statements that decided this module's values.
    pub(crate) fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Star imports of modules that are not found.
    pub(crate) fn missing_modules(&self) -> &[MissingModule] {
        &self.missing
    }

    /// The value of `dotted` (`NAME`, `m.NAME`, `Cls.attr`) in this module;
    /// `Ok(None)` when the first name is not bound.
    pub(crate) fn lookup(
        &self,
        r: &Resolver,
        dotted: &str,
    ) -> Result<Option<Resolved>, ResolveError> {
        let at = Origin {
            file: self.file.clone(),
            line: 0,
        };
        let mut parts = dotted.split('.');
        let head = parts.next().unwrap_or("");
        let Some(bound) = self.names.get(head) else {
            if let Some((o, why)) = &self.wildcard {
                return Err(ResolveError {
                    at: o.clone(),
                    message: format!("{o}: `{head}` cannot be read without running Python: {why}"),
                });
            }
            return Ok(None);
        };
        let rest: Vec<&str> = parts.collect();
        let bound_at = bound_origin(bound).unwrap_or(at);
        let (value, trail) = r.follow(bound, &rest, 0)?;
        Ok(Some(Resolved {
            value,
            bound_at,
            trail,
        }))
    }
}

fn bound_origin(b: &Bound) -> Option<Origin> {
    match b {
        Bound::Value(_, trail) => trail.first().cloned(),
        Bound::Module(_, o)
        | Bound::From { at: o, .. }
        | Bound::Class(_, o)
        | Bound::Opaque(o, _) => Some(o.clone()),
        Bound::Failed(e) => Some(e.at.clone()),
    }
}

/// Finds and evaluates modules on a [`SearchPath`], caching each module.
#[derive(Debug)]
pub(crate) struct Resolver {
    search: SearchPath,
    cache: Mutex<HashMap<String, Arc<ModuleEnv>>>,
}

impl Resolver {
    /// A resolver over `search` (see [`SearchPath::new`]).
    pub(crate) fn new(search: SearchPath) -> Self {
        Resolver {
            search,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where module `dotted` is, if it is on the search path.
    pub(crate) fn find_module(&self, dotted: &str) -> Option<ModuleLocation> {
        self.search.find_module(dotted)
    }

    /// The search path modules are found on.
    pub(crate) fn search(&self) -> &SearchPath {
        &self.search
    }

    /// Evaluate the source of `path`, a file that is not imported by name (a
    /// revision file, `env.py`): relative imports in it are errors, as they
    /// are when Alembic loads it.
    pub(crate) fn load_source(
        &self,
        path: &Path,
        source: &[u8],
    ) -> Result<ModuleEnv, ResolveError> {
        self.eval_source(path, source, None, false, 0)
    }

    fn eval_source(
        &self,
        path: &Path,
        source: &[u8],
        dotted: Option<String>,
        is_package: bool,
        depth: usize,
    ) -> Result<ModuleEnv, ResolveError> {
        let body: ModuleBody = read_module(source).map_err(|e| ResolveError {
            at: Origin {
                file: path.to_path_buf(),
                line: e.line,
            },
            message: format!("{}:{}: {}", path.display(), e.line, e.message),
        })?;
        let mut env = ModuleEnv {
            file: path.to_path_buf(),
            dotted,
            is_package,
            ..ModuleEnv::default()
        };
        self.exec(&mut env, &body.stmts, depth);
        Ok(env)
    }

    /// The evaluated module `dotted`, from the cache or read now.
    fn module(
        &self,
        dotted: &str,
        asked: &Origin,
        depth: usize,
    ) -> Result<Arc<ModuleEnv>, ResolveError> {
        if let Some(env) = self.cache.lock().ok().and_then(|c| c.get(dotted).cloned()) {
            return Ok(env);
        }
        if depth > MAX_HOPS {
            return Err(ResolveError {
                at: asked.clone(),
                message: format!(
                    "{asked}: more than {MAX_HOPS} imports deep resolving `{dotted}` (an import cycle?)"
                ),
            });
        }
        let loc = self.find_module(dotted).ok_or_else(|| ResolveError {
            at: asked.clone(),
            message: format!(
                "{asked}: module `{dotted}` is not found on the search path:\n{}",
                self.search.describe()
            ),
        })?;
        let env = match &loc {
            ModuleLocation::Namespace(_) => ModuleEnv {
                file: PathBuf::from(loc.describe()),
                dotted: Some(dotted.to_owned()),
                is_package: true,
                ..ModuleEnv::default()
            },
            ModuleLocation::File(p) | ModuleLocation::Package(p) => {
                let source = std::fs::read(p).map_err(|e| ResolveError {
                    at: asked.clone(),
                    message: format!(
                        "{asked}: cannot read module `{dotted}` at {}: {e}",
                        p.display()
                    ),
                })?;
                let is_package = matches!(loc, ModuleLocation::Package(_));
                self.eval_source(p, &source, Some(dotted.to_owned()), is_package, depth + 1)?
            }
        };
        let env = Arc::new(env);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(dotted.to_owned(), env.clone());
        }
        Ok(env)
    }

    /// The absolute module name of `from <dots>module import …` in `env`.
    fn absolute(
        env: &ModuleEnv,
        module: &str,
        level: usize,
        at: &Origin,
    ) -> Result<String, ResolveError> {
        if level == 0 {
            return Ok(module.to_owned());
        }
        let Some(dotted) = &env.dotted else {
            return Err(ResolveError {
                at: at.clone(),
                message: format!(
                    "{at}: a relative import in a file that is not imported as part of a package \
                     (Python fails here too: ImportError, no known parent package)"
                ),
            });
        };
        let mut parts: Vec<&str> = dotted.split('.').collect();
        let drop = if env.is_package { level - 1 } else { level };
        if drop >= parts.len() + usize::from(env.is_package) {
            return Err(ResolveError {
                at: at.clone(),
                message: format!("{at}: attempted relative import beyond top-level package"),
            });
        }
        parts.truncate(parts.len().saturating_sub(drop));
        if !module.is_empty() {
            parts.push(module);
        }
        Ok(parts.join("."))
    }
}

#[cfg(test)]
mod tests;
