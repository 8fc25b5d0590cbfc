//! Executing a module's statements in order, as Python would at import
//! time: imports, assignments, in-place updates, class bodies, star imports
//! and `try: import … except ImportError:`.

use std::collections::HashMap;

use super::{Bound, Decision, MissingModule, ModuleEnv, Origin, ResolveError, Resolver};
use crate::config::paths::ModuleLocation;
use crate::scripts::scan::Value;
use crate::scripts::scan::module::{Catches, Expr, Stmt, UpdateOp};

impl Resolver {
    pub(super) fn exec(&self, env: &mut ModuleEnv, stmts: &[Stmt], depth: usize) {
        for stmt in stmts {
            self.exec_one(env, stmt, depth);
        }
    }

    pub(super) fn origin(env: &ModuleEnv, line: u32) -> Origin {
        Origin {
            file: env.file.clone(),
            line,
        }
    }

    pub(super) fn exec_one(&self, env: &mut ModuleEnv, stmt: &Stmt, depth: usize) {
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

    pub(super) fn star(
        &self,
        env: &mut ModuleEnv,
        module: &str,
        level: usize,
        line: u32,
        depth: usize,
    ) {
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
    pub(super) fn try_stmt(
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

    pub(super) fn update(
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
}

/// The line a statement starts on.
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
