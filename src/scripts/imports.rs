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
//! ```no_run
//! # use db_status::config::paths::SearchPath;
//! # use db_status::scripts::imports::Resolver;
//! # use std::path::Path;
//! let search = SearchPath::new(Path::new("."), &[], None, None);
//! let resolver = Resolver::new(search);
//! let env = resolver.load_file(Path::new("migrations/env.py")).unwrap();
//! let table = env.lookup(&resolver, "Base.version_table").unwrap();
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::scan::Value;
use super::scan::module::{Catches, Expr, ModuleBody, Stmt, UpdateOp, read_module};
use crate::config::paths::{ModuleLocation, SearchPath};

/// How many imports a name may go through before the resolver gives up
/// (a cycle, or a chain longer than any real project's).
pub const MAX_HOPS: usize = 8;

/// A file and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 = the whole file).
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Why a name could not be resolved: where the chain stopped and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ResolveError {
    /// Where the name is used (the file and line that asked).
    pub at: Origin,
    /// What is wrong, naming every file and line involved.
    pub message: String,
}

/// A resolved value and the trail that led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The literal value.
    pub value: Value,
    /// Where the name was bound in the file that was asked (its assignment
    /// or import line).
    pub bound_at: Origin,
    /// The files and lines the value went through, the literal last.
    pub trail: Vec<Origin>,
}

/// A `try: import X` whose outcome decided what a module binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The module the `try` imports.
    pub module: String,
    /// Where it was found, or `None` when it is not on the search path.
    pub found: Option<String>,
    /// The import statement.
    pub at: Origin,
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
pub struct MissingModule {
    /// The `from … import *` statement.
    pub at: Origin,
    /// The module named.
    pub module: String,
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
pub struct ModuleEnv {
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
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Star imports of modules that are not found.
    pub fn missing_modules(&self) -> &[MissingModule] {
        &self.missing
    }

    /// Whether the module binds `name` at all.
    pub fn binds(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// The value of `dotted` (`NAME`, `m.NAME`, `Cls.attr`) in this module;
    /// `Ok(None)` when the first name is not bound.
    pub fn lookup(&self, r: &Resolver, dotted: &str) -> Result<Option<Resolved>, ResolveError> {
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
pub struct Resolver {
    search: SearchPath,
    cache: Mutex<HashMap<String, Arc<ModuleEnv>>>,
}

impl Resolver {
    /// A resolver over `search` (see [`SearchPath::new`]).
    pub fn new(search: SearchPath) -> Self {
        Resolver {
            search,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where module `dotted` is, if it is on the search path.
    pub fn find_module(&self, dotted: &str) -> Option<ModuleLocation> {
        self.search.find_module(dotted)
    }

    /// The search path modules are found on.
    pub fn search(&self) -> &SearchPath {
        &self.search
    }

    /// The places searched, for messages.
    pub fn describe_search(&self) -> String {
        self.search.describe()
    }

    /// Read and evaluate a file that is not imported by name (a revision
    /// file, `env.py`): relative imports in it are errors, as they are when
    /// Alembic loads it.
    pub fn load_file(&self, path: &Path) -> Result<ModuleEnv, ResolveError> {
        let source = std::fs::read(path).map_err(|e| ResolveError {
            at: Origin {
                file: path.to_path_buf(),
                line: 0,
            },
            message: format!("{}: cannot read: {e}", path.display()),
        })?;
        self.eval_source(path, &source, None, false, 0)
    }

    /// Evaluate already-read source of `path` (see [`Resolver::load_file`]).
    pub fn load_source(&self, path: &Path, source: &[u8]) -> Result<ModuleEnv, ResolveError> {
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

    fn exec(&self, env: &mut ModuleEnv, stmts: &[Stmt], depth: usize) {
        for stmt in stmts {
            self.exec_one(env, stmt, depth);
        }
    }

    fn origin(env: &ModuleEnv, line: u32) -> Origin {
        Origin {
            file: env.file.clone(),
            line,
        }
    }

    fn exec_one(&self, env: &mut ModuleEnv, stmt: &Stmt, depth: usize) {
        match stmt {
            Stmt::Import {
                bind, target, line, ..
            } => {
                let o = Self::origin(env, *line);
                env.names
                    .insert(bind.clone(), Bound::Module(target.clone(), o));
            }
            Stmt::From {
                module,
                level,
                names,
                line,
            } => {
                let o = Self::origin(env, *line);
                let bound = match Self::absolute(env, module, *level, &o) {
                    Ok(m) => names
                        .iter()
                        .map(|(name, alias)| {
                            (
                                alias.clone(),
                                Bound::From {
                                    module: m.clone(),
                                    name: name.clone(),
                                    at: o.clone(),
                                },
                            )
                        })
                        .collect::<Vec<_>>(),
                    Err(e) => names
                        .iter()
                        .map(|(_, alias)| (alias.clone(), Bound::Failed(e.clone())))
                        .collect(),
                };
                env.names.extend(bound);
            }
            Stmt::Star {
                module,
                level,
                line,
            } => self.star(env, module, *level, *line, depth),
            Stmt::Assign { name, value, line } => {
                let o = Self::origin(env, *line);
                let b = match self.eval(env, value, &o, depth) {
                    Ok((v, mut trail)) => {
                        trail.insert(0, o);
                        Bound::Value(v, trail)
                    }
                    Err(e) => Bound::Failed(e),
                };
                env.names.insert(name.clone(), b);
            }
            Stmt::Update {
                name,
                op,
                value,
                line,
            } => {
                let o = Self::origin(env, *line);
                let b = self.update(env, name, *op, value, &o, depth);
                env.names.insert(name.clone(), b);
            }
            Stmt::Class { name, attrs, line } => {
                let o = Self::origin(env, *line);
                let mut map = HashMap::new();
                for (attr, value, aline) in attrs {
                    let ao = Self::origin(env, *aline);
                    let b = match self.eval(env, value, &ao, depth) {
                        Ok((v, mut trail)) => {
                            trail.insert(0, ao);
                            Bound::Value(v, trail)
                        }
                        Err(e) => Bound::Failed(e),
                    };
                    map.insert(attr.clone(), b);
                }
                env.names.insert(name.clone(), Bound::Class(map, o));
            }
            Stmt::Try {
                body,
                handlers,
                orelse,
                finalbody,
                line,
            } => self.try_stmt(env, body, handlers, orelse, finalbody, *line, depth),
            Stmt::Opaque { names, line, why } => {
                let o = Self::origin(env, *line);
                for n in names {
                    if n == "*" {
                        env.wildcard = Some((o.clone(), why.clone()));
                        for b in env.names.values_mut() {
                            *b = Bound::Opaque(o.clone(), why.clone());
                        }
                    } else {
                        env.names
                            .insert(n.clone(), Bound::Opaque(o.clone(), why.clone()));
                    }
                }
            }
        }
    }

    fn star(&self, env: &mut ModuleEnv, module: &str, level: usize, line: u32, depth: usize) {
        let o = Self::origin(env, line);
        let m = match Self::absolute(env, module, level, &o) {
            Ok(m) => m,
            Err(e) => {
                env.wildcard = Some((o, e.message));
                return;
            }
        };
        if self.find_module(&m).is_none() {
            env.missing.push(MissingModule { at: o, module: m });
            return;
        }
        let target = match self.module(&m, &o, depth) {
            Ok(t) => t,
            Err(e) => {
                env.wildcard = Some((o, e.message));
                return;
            }
        };
        let exported: Vec<String> = match target.names.get("__all__") {
            Some(Bound::Value(Value::List(v) | Value::Tuple(v), _)) => v.clone(),
            Some(_) => {
                env.wildcard = Some((o, format!("`{m}.__all__` is not a literal list of names")));
                return;
            }
            None => target
                .names
                .keys()
                .filter(|n| !n.starts_with('_'))
                .cloned()
                .collect(),
        };
        for name in exported {
            if name == "__doc__" {
                env.names.insert(
                    name,
                    Bound::Opaque(o.clone(), format!("`{m}.__all__` exports `__doc__`")),
                );
                continue;
            }
            env.names.insert(
                name.clone(),
                Bound::From {
                    module: m.clone(),
                    name,
                    at: o.clone(),
                },
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn try_stmt(
        &self,
        env: &mut ModuleEnv,
        body: &[Stmt],
        handlers: &[crate::scripts::scan::module::Handler],
        orelse: &[Stmt],
        finalbody: &[Stmt],
        line: u32,
        depth: usize,
    ) {
        let catches_import = |c: &Catches| match c {
            Catches::All => true,
            Catches::Names(n) => n.iter().any(|x| {
                matches!(
                    x.as_str(),
                    "ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException"
                )
            }),
            Catches::Other => false,
        };
        let mut failed = false;
        for stmt in body {
            let module = match stmt {
                Stmt::Import { module, .. } => Some(module.clone()),
                Stmt::From {
                    module,
                    level,
                    line,
                    ..
                }
                | Stmt::Star {
                    module,
                    level,
                    line,
                } => Self::absolute(env, module, *level, &Self::origin(env, *line)).ok(),
                _ => None,
            };
            if let Some(m) = module {
                let sline = stmt_line(stmt).unwrap_or(line);
                let found = self.find_module(&m);
                env.decisions.push(Decision {
                    module: m,
                    found: found.as_ref().map(ModuleLocation::describe),
                    at: Self::origin(env, sline),
                });
                if found.is_none() {
                    failed = true;
                    break;
                }
            }
            self.exec_one(env, stmt, depth);
        }
        if failed {
            match handlers.iter().find(|h| catches_import(&h.catches)) {
                Some(h) => self.exec(env, &h.body, depth),
                None => {
                    let o = Self::origin(env, line);
                    env.wildcard = Some((
                        o,
                        "an import in a `try` is not found and no `except ImportError` catches it"
                            .to_owned(),
                    ));
                }
            }
        } else {
            self.exec(env, orelse, depth);
        }
        self.exec(env, finalbody, depth);
    }

    fn update(
        &self,
        env: &ModuleEnv,
        name: &str,
        op: UpdateOp,
        value: &Expr,
        o: &Origin,
        depth: usize,
    ) -> Bound {
        let current = match env.names.get(name) {
            Some(Bound::Value(v, trail)) => (v.clone(), trail.clone()),
            Some(other) => {
                return Bound::Failed(match self.follow(other, &[], depth) {
                    Err(e) => e,
                    Ok(_) => ResolveError {
                        at: o.clone(),
                        message: format!(
                            "{o}: `{name}` is updated in place but holds an imported value"
                        ),
                    },
                });
            }
            None => {
                return Bound::Failed(ResolveError {
                    at: o.clone(),
                    message: format!(
                        "{o}: `{name}` is updated before it is assigned (NameError in Python)"
                    ),
                });
            }
        };
        let operand = match self.eval(env, value, o, depth) {
            Ok((v, _)) => v,
            Err(e) => return Bound::Failed(e),
        };
        let (cur, mut trail) = current;
        trail.push(o.clone());
        let result = match (cur, op, operand) {
            (
                Value::List(mut a),
                UpdateOp::AddAssign | UpdateOp::Extend,
                Value::List(b) | Value::Tuple(b),
            ) => {
                a.extend(b);
                Value::List(a)
            }
            (Value::List(mut a), UpdateOp::Extend, Value::Str(s)) => {
                a.extend(s.chars().map(String::from));
                Value::List(a)
            }
            (Value::List(mut a), UpdateOp::Append, Value::Str(s)) => {
                a.push(s);
                Value::List(a)
            }
            (Value::Tuple(mut a), UpdateOp::AddAssign, Value::Tuple(b)) => {
                a.extend(b);
                Value::Tuple(a)
            }
            (Value::Str(mut a), UpdateOp::AddAssign, Value::Str(b)) => {
                a.push_str(&b);
                Value::Str(a)
            }
            (cur, _, operand) => {
                return Bound::Failed(ResolveError {
                    at: o.clone(),
                    message: format!(
                        "{o}: `{name}` ({}) is updated with {}, which db-status does not evaluate",
                        cur.describe(),
                        operand.describe()
                    ),
                });
            }
        };
        Bound::Value(result, trail)
    }

    /// Evaluate an expression in `env` now (as Python would at that line).
    fn eval(
        &self,
        env: &ModuleEnv,
        e: &Expr,
        o: &Origin,
        depth: usize,
    ) -> Result<(Value, Vec<Origin>), ResolveError> {
        match e {
            Expr::Lit(v) => Ok((v.clone(), Vec::new())),
            Expr::Ref(dotted) => {
                let mut parts = dotted.split('.');
                let head = parts.next().unwrap_or("");
                let rest: Vec<&str> = parts.collect();
                match env.names.get(head) {
                    Some(b) => self.follow(b, &rest, depth),
                    None => Err(ResolveError {
                        at: o.clone(),
                        message: format!(
                            "{o}: `{head}` is not assigned or imported at module level before this line"
                        ),
                    }),
                }
            }
            Expr::Tuple(items) | Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut trail = Vec::new();
                for item in items {
                    let (v, t) = self.eval(env, item, o, depth)?;
                    match v {
                        Value::Str(s) => out.push(s),
                        other => {
                            return Err(ResolveError {
                                at: o.clone(),
                                message: format!(
                                    "{o}: an item of this tuple/list is {}, not a string",
                                    other.describe()
                                ),
                            });
                        }
                    }
                    trail.extend(t);
                }
                Ok((
                    if matches!(e, Expr::Tuple(_)) {
                        Value::Tuple(out)
                    } else {
                        Value::List(out)
                    },
                    trail,
                ))
            }
            Expr::Other(text) => Err(ResolveError {
                at: o.clone(),
                message: format!(
                    "{o}: `{text}` is not a literal (a string, None, or a tuple/list of strings) \
                     nor an imported name"
                ),
            }),
        }
    }

    /// The value of `bound` followed by attribute names `rest`.
    fn follow(
        &self,
        bound: &Bound,
        rest: &[&str],
        depth: usize,
    ) -> Result<(Value, Vec<Origin>), ResolveError> {
        if depth > MAX_HOPS {
            let at = bound_origin(bound).unwrap_or(Origin {
                file: PathBuf::new(),
                line: 0,
            });
            return Err(ResolveError {
                message: format!("{at}: more than {MAX_HOPS} imports deep (an import cycle?)"),
                at,
            });
        }
        match bound {
            Bound::Failed(e) => Err(e.clone()),
            Bound::Opaque(o, why) => Err(ResolveError {
                at: o.clone(),
                message: format!("{o}: cannot be read without running Python: {why}"),
            }),
            Bound::Value(v, trail) => match rest.first() {
                None => Ok((v.clone(), trail.clone())),
                Some(attr) => {
                    let o = trail.first().cloned().unwrap_or(Origin {
                        file: PathBuf::new(),
                        line: 0,
                    });
                    Err(ResolveError {
                        message: format!("{o}: `.{attr}` of {} is not a literal", v.describe()),
                        at: o,
                    })
                }
            },
            Bound::Class(attrs, o) => match rest.split_first() {
                None => Err(ResolveError {
                    at: o.clone(),
                    message: format!("{o}: a class, not a literal"),
                }),
                Some((attr, more)) => match attrs.get(*attr) {
                    Some(b) => {
                        let (v, mut trail) = self.follow(b, more, depth)?;
                        trail.insert(0, o.clone());
                        Ok((v, trail))
                    }
                    None => Err(ResolveError {
                        at: o.clone(),
                        message: format!(
                            "{o}: the class has no literal class attribute `{attr}` in its body"
                        ),
                    }),
                },
            },
            Bound::Module(m, o) => match rest.split_first() {
                None => Err(ResolveError {
                    at: o.clone(),
                    message: format!("{o}: module `{m}`, not a literal"),
                }),
                Some((attr, more)) => {
                    let (v, mut trail) = self.attr_of_module(m, attr, more, o, depth)?;
                    trail.insert(0, o.clone());
                    Ok((v, trail))
                }
            },
            Bound::From { module, name, at } => {
                let (v, mut trail) = self.attr_of_module(module, name, rest, at, depth)?;
                trail.insert(0, at.clone());
                Ok((v, trail))
            }
        }
    }

    /// `module.attr.more…`: the module's binding, else its submodule.
    fn attr_of_module(
        &self,
        module: &str,
        attr: &str,
        more: &[&str],
        asked: &Origin,
        depth: usize,
    ) -> Result<(Value, Vec<Origin>), ResolveError> {
        let env = self.module(module, asked, depth)?;
        if let Some(b) = env.names.get(attr) {
            return self.follow(b, more, depth + 1).map_err(|e| ResolveError {
                at: asked.clone(),
                message: format!("{asked}: `{module}.{attr}`: {}", e.message),
            });
        }
        let sub = format!("{module}.{attr}");
        if self.find_module(&sub).is_some() {
            return self.follow(&Bound::Module(sub, asked.clone()), more, depth + 1);
        }
        if let Some((o, why)) = &env.wildcard {
            return Err(ResolveError {
                at: asked.clone(),
                message: format!("{asked}: `{module}.{attr}`: {o}: {why}"),
            });
        }
        Err(ResolveError {
            at: asked.clone(),
            message: format!(
                "{asked}: `{attr}` is not assigned at module level in `{module}` ({})",
                env.file.display()
            ),
        })
    }
}

fn stmt_line(s: &Stmt) -> Option<u32> {
    match s {
        Stmt::Import { line, .. }
        | Stmt::From { line, .. }
        | Stmt::Star { line, .. }
        | Stmt::Assign { line, .. }
        | Stmt::Update { line, .. }
        | Stmt::Class { line, .. }
        | Stmt::Try { line, .. }
        | Stmt::Opaque { line, .. } => Some(*line),
    }
}

#[cfg(test)]
#[path = "imports_tests.rs"]
mod tests;
