//! What an expression of `env.py` evaluates to, as far as reading can
//! tell: literals, variables, imported constants, environment variables
//! and the ini's options.

use super::analysis::{Analysis, Import};
use super::lex::{Tk, Tok, closing, closing_free, split_commas, strip_parens};
use super::{ImportedName, imported};
use crate::scripts::scan::Value;

/// A value as far as it can be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Val {
    Str(String),
    None,
    Var {
        var: String,
        default: Option<String>,
        else_ini: bool,
    },
    Ini,
    /// `config.get_main_option("KEY"[, default])`: the ini's main-section
    /// option (the ini is read before env.py, so this is only met where the
    /// ini does not set the setting itself).
    MainOption {
        key: String,
        default: Option<String>,
    },
    Unreadable(String),
}

/// A string literal (implicitly concatenated pieces allowed), decoded by
/// the revision-file scanner so that escapes mean one thing everywhere.
pub(super) fn literal(toks: &[Tok<'_>]) -> Option<String> {
    let text: Vec<&str> = toks.iter().map(|t| t.text).collect();
    let scanned = crate::scripts::scan::scan_str(&format!("revision = {}\n", text.join(" ")));
    match scanned.ok()?.revision?.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

impl<'s> Analysis<'s> {
    /// What `toks` (an expression on line index `at`) evaluates to;
    /// `depth` bounds the chain of variables followed.
    pub(super) fn eval(&self, toks: &[Tok<'s>], at: usize, depth: u8) -> Val {
        let toks = strip_parens(toks);
        let computed = || Val::Unreadable("it is computed when env.py runs".to_string());
        if toks.is_empty() || depth > 8 {
            return computed();
        }
        // `os.getenv("X") or <literal | the ini's URL>`.
        if let Some(or) = toks.iter().position(|t| t.is("or"))
            && split_commas(toks).len() == 1
            && closing_free(&toks[..or])
        {
            let first = self.eval(&toks[..or], at, depth + 1);
            let rest = self.eval(&toks[or + 1..], at, depth + 1);
            return match (first, rest) {
                (Val::Str(s), _) if !s.is_empty() => Val::Str(s),
                (
                    Val::Var {
                        var,
                        default: None,
                        else_ini: false,
                    },
                    rest,
                ) => match rest {
                    Val::Str(d) => Val::Var {
                        var,
                        default: Some(d),
                        else_ini: false,
                    },
                    Val::Ini => Val::Var {
                        var,
                        default: None,
                        else_ini: true,
                    },
                    v @ Val::Var { .. } => v,
                    _ => computed(),
                },
                _ => computed(),
            };
        }
        if toks.iter().all(|t| t.kind == Tk::Str) {
            return match literal(toks) {
                Some(s) => Val::Str(s),
                None => Val::Unreadable("it is not a plain string literal".to_string()),
            };
        }
        if toks.len() == 1 && toks[0].is("None") {
            return Val::None;
        }
        if toks.len() == 1 && toks[0].kind == Tk::Name {
            let name = toks[0].text;
            if let Some((i, expr)) = self.assignment(name, at) {
                return self.eval(expr, i, depth + 1);
            }
            return match self.imports.get(name) {
                Some(import) => self.resolve(import, name),
                None => Val::Unreadable(format!("{name} is not assigned a literal in env.py")),
            };
        }
        if let Some(v) = self.env_var(toks, at, depth) {
            return v;
        }
        let words: Vec<&str> = toks.iter().map(|t| t.text).collect();
        // `config.get_main_option("sqlalchemy.url")` / `get_section_option(s, "sqlalchemy.url")`.
        if let [_, ".", "get_main_option" | "get_section_option", "(", ..] = words.as_slice()
            && toks.iter().any(|t| {
                t.kind == Tk::Str
                    && literal(std::slice::from_ref(t)).as_deref() == Some("sqlalchemy.url")
            })
        {
            return Val::Ini;
        }
        // `config.get_main_option("KEY"[, "default"])` for any other key.
        if let [_, ".", "get_main_option", "(", ..] = words.as_slice()
            && toks.last().is_some_and(|t| t.is(")"))
        {
            let args = split_commas(&toks[4..toks.len() - 1]);
            let key = args.first().and_then(|a| literal(a));
            let default = match args.get(1) {
                None => Some(None),
                Some(d) => literal(d).map(Some),
            };
            if let (Some(key), Some(default), true) = (key, default, args.len() <= 2) {
                return Val::MainOption { key, default };
            }
        }
        // `a.b.NAME`: an imported module's constant or an imported class's attribute.
        let dotted = toks.len() >= 3
            && toks.iter().enumerate().all(|(k, t)| {
                if k % 2 == 0 {
                    t.kind == Tk::Name
                } else {
                    t.is(".")
                }
            });
        if dotted && let Some(import) = self.imports.get(toks[0].text) {
            return self.resolve(import, &self.expr_text(toks));
        }
        computed()
    }

    /// `config.get_main_option(KEY)` passed as KEY itself: the ini is read
    /// first, and where it sets KEY that value wins before env.py is looked
    /// at; so here the ini lacks KEY and the call returns its default (None:
    /// nothing passed). Another key's value is not kept: unreadable.
    pub(super) fn main_option(&self, v: Val, key: &str) -> Val {
        match v {
            Val::MainOption { key: k, default } if k == key => default.map_or(Val::None, Val::Str),
            Val::MainOption { key: k, .. } => Val::Unreadable(format!(
                "it is the ini option {k}, which db-status does not read for {key}"
            )),
            v => v,
        }
    }

    fn resolve(&self, import: &Import, dotted: &str) -> Val {
        let name = ImportedName {
            statement: import.statement.clone(),
            module: import.module.clone(),
            line: import.line,
            dotted: dotted.to_string(),
        };
        let Some(resolver) = self.resolver else {
            return Val::Unreadable(format!(
                "{dotted} comes from the import of {} (line {}), and no search path is known",
                import.module, import.line
            ));
        };
        match imported(resolver, self.path, &name) {
            Ok(v) => Val::Str(v),
            Err(why) => Val::Unreadable(why),
        }
    }

    /// `os.environ["X"]`, `os.environ.get("X"[, d])`, `os.getenv("X"[, d])`
    /// (also without `os.` where `environ` / `getenv` come from `os`).
    fn env_var(&self, toks: &[Tok<'s>], at: usize, depth: u8) -> Option<Val> {
        let words: Vec<&str> = toks.iter().map(|t| t.text).collect();
        let (open, close_is_bracket) = match words.as_slice() {
            ["os", ".", "environ", "[", ..] => (3, true),
            ["environ", "[", ..] => (1, true),
            ["os", ".", "environ", ".", "get", "(", ..] => (5, false),
            ["environ", ".", "get", "(", ..] => (3, false),
            ["os", ".", "getenv", "(", ..] => (3, false),
            ["getenv", "(", ..] => (1, false),
            _ => return None,
        };
        if closing(toks, open) != toks.len() {
            return None;
        }
        let args = split_commas(&toks[open + 1..toks.len() - 1]);
        let var = match args.first().map(|a| self.eval(a, at, depth + 1)) {
            Some(Val::Str(v)) => v,
            _ => {
                return Some(Val::Unreadable(
                    "the variable's name is computed".to_string(),
                ));
            }
        };
        let default = if close_is_bracket {
            None
        } else {
            match args.get(1).map(|a| self.eval(a, at, depth + 1)) {
                None | Some(Val::None) => None,
                Some(Val::Str(d)) => Some(d),
                Some(_) => {
                    return Some(Val::Unreadable(format!(
                        "the default for {var} is computed"
                    )));
                }
            }
        };
        Some(Val::Var {
            var,
            default,
            else_ini: false,
        })
    }
}
