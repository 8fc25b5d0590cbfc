//! Evaluating expressions: literals, names bound in the module, and
//! attributes followed through imported modules and classes.

use std::path::PathBuf;

use super::{Bound, MAX_HOPS, ModuleEnv, Origin, ResolveError, Resolver, bound_origin};
use crate::scripts::scan::Value;
use crate::scripts::scan::module::Expr;

impl Resolver {
    /// Evaluate an expression in `env` now (as Python would at that line).
    pub(super) fn eval(
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
    pub(super) fn follow(
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
    pub(super) fn attr_of_module(
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
