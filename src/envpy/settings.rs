//! What `env.py` passes on the path `alembic current` takes: the
//! `version_table` and `version_table_schema` settings, the URL, and
//! whether it migrates several databases.

use super::analysis::{Analysis, Call, OFFLINE, ONLINE};
use super::eval::{Val, literal};
use super::lex::{Tk, Tok, closing, split_commas};
use super::{EnvPy, EnvUrl, MultiDb, Setting};
use crate::database::mask::mask_url_passwords;

impl<'s> Analysis<'s> {
    /// `version_table` or `version_table_schema` as the online path passes it.
    fn setting(
        &self,
        configures: &[Call<'_, 's>],
        key: &str,
        notes: &mut Vec<(u32, String)>,
    ) -> Option<Setting> {
        let value = |c: &Call<'_, 's>| -> Option<(Val, String)> {
            match c.keywords.iter().find(|(k, _)| *k == key) {
                Some((_, e)) => Some((
                    self.main_option(self.eval(e, c.idx, 0), key),
                    self.expr_text(e),
                )),
                None => c.spread.map(|s| {
                    (
                        Val::Unreadable(format!(
                            "context.configure(**{}) may pass it, and its keywords cannot be read",
                            self.expr_text(s)
                        )),
                        format!("**{}", self.expr_text(s)),
                    )
                }),
            }
        };
        let online: Vec<&Call<'_, 's>> =
            configures.iter().filter(|c| c.mode & ONLINE != 0).collect();
        let offline: Vec<&Call<'_, 's>> = configures.iter().filter(|c| c.mode == OFFLINE).collect();
        let chosen = if online.is_empty() { &offline } else { &online };
        let first = chosen.first()?;
        let got = value(first);
        let mut setting = match &got {
            None | Some((Val::None, _)) => None,
            Some((Val::Str(s), _)) => Some(Setting::Value {
                value: s.clone(),
                line: first.line,
            }),
            Some((Val::Unreadable(why), expr)) => Some(Setting::Unreadable {
                line: first.line,
                expr: expr.clone(),
                why: why.clone(),
            }),
            Some((_, expr)) => Some(Setting::Unreadable {
                line: first.line,
                expr: expr.clone(),
                why: "it is not a string".to_string(),
            }),
        };
        let shown = |v: &Option<(Val, String)>| match v {
            None => format!("no {key}"),
            Some((_, e)) => format!("{key}={e}"),
        };
        for other in chosen.iter().skip(1) {
            let v = value(other);
            if v.as_ref().map(|x| &x.0) != got.as_ref().map(|x| &x.0) {
                setting = Some(Setting::Unreadable {
                    line: other.line,
                    expr: format!("{} and {}", shown(&got), shown(&v)),
                    why: format!(
                        "the context.configure calls at lines {} and {} disagree",
                        first.line, other.line
                    ),
                });
            }
        }
        // Said only where both are read: an unreadable value has its own note.
        let readable = |v: &Option<(Val, String)>| !matches!(v, Some((Val::Unreadable(_), _)));
        if !online.is_empty()
            && readable(&got)
            && let Some(off) = offline.iter().find(|c| {
                let v = value(c);
                readable(&v) && v.as_ref().map(|x| &x.0) != got.as_ref().map(|x| &x.0)
            })
        {
            notes.push((
                off.line,
                format!(
                    "the offline path passes {}, the online path (line {}) {}: the online one is used, as `alembic current` connects",
                    shown(&value(off)),
                    first.line,
                    shown(&got)
                ),
            ));
        }
        setting
    }

    /// Where the URL comes from on one path: an engine or `configure(url=…)`
    /// that does not read the ini, else `set_main_option("sqlalchemy.url", …)`.
    fn url_on(&self, mode: u8) -> Option<(u32, Val, String)> {
        let on = |c: &Call<'_, 's>| {
            if mode == OFFLINE {
                c.mode == OFFLINE
            } else {
                c.mode & ONLINE != 0
            }
        };
        let mut engines: Vec<(u32, Val, String)> = Vec::new();
        for c in self.calls(&["create_engine", "create_async_engine"], None) {
            if on(&c)
                && let Some(e) = c.positional.first().copied().or_else(|| {
                    c.keywords
                        .iter()
                        .find(|(k, _)| *k == "url")
                        .map(|(_, e)| *e)
                })
            {
                engines.push((c.line, self.eval(e, c.idx, 0), self.expr_text(e)));
            }
        }
        for c in self.calls(&["engine_from_config", "async_engine_from_config"], None) {
            if on(&c) {
                engines.push((c.line, Val::Ini, String::new()));
            }
        }
        for c in self.calls(&["configure"], Some("context")) {
            if on(&c)
                && let Some((_, e)) = c.keywords.iter().find(|(k, _)| *k == "url")
            {
                engines.push((c.line, self.eval(e, c.idx, 0), self.expr_text(e)));
            }
        }
        engines.sort_by_key(|e| e.0);
        if let Some(e) = engines.iter().find(|e| e.1 != Val::Ini) {
            return Some(e.clone());
        }
        let mut set = None;
        for c in self.calls(&["set_main_option", "set_section_option"], None) {
            let n = c.positional.len();
            let (Some(key), Some(value)) =
                (c.positional.get(n.wrapping_sub(2)), c.positional.last())
            else {
                continue;
            };
            if on(&c) && literal(key).as_deref() == Some("sqlalchemy.url") {
                set = Some((c.line, self.eval(value, c.idx, 0), self.expr_text(value)));
            }
        }
        set.or_else(|| engines.into_iter().next())
    }

    /// Fills `env` with the settings, the URL and the multi-database shape.
    pub(super) fn fill(&self, env: &mut EnvPy, ini_databases: Option<&str>) {
        let configures = self.calls(&["configure"], Some("context"));
        env.version_table = self.setting(&configures, "version_table", &mut env.notes);
        env.version_table_schema =
            self.setting(&configures, "version_table_schema", &mut env.notes);
        let online = self.url_on(ONLINE);
        let offline = self.url_on(OFFLINE);
        let unreadable = |v: &Val| matches!(v, Val::Unreadable(_));
        if let (Some(on), Some(off)) = (&online, &offline)
            && on.1 != off.1
            && on.1 != Val::Ini
            && !unreadable(&on.1)
            && !unreadable(&off.1)
        {
            env.notes.push((
                off.0,
                format!(
                    "the offline path takes the URL from {}, the online path (line {}) from {}: the online one is used",
                    if off.1 == Val::Ini { "the ini".to_string() } else { off.2.clone() },
                    on.0,
                    on.2
                ),
            ));
        }
        let url = match online {
            Some((_, Val::Ini, _)) => None,
            Some(u) => Some(u),
            None => offline,
        };
        env.url = url.and_then(|(line, val, expr)| match val {
            Val::Str(url) => Some(EnvUrl::Literal { url, line }),
            Val::Var {
                var,
                default,
                else_ini,
            } => Some(EnvUrl::Var {
                var,
                default,
                else_ini,
                line,
            }),
            Val::Ini | Val::None => None,
            Val::MainOption { .. } | Val::Unreadable(_) => Some(EnvUrl::Unreadable {
                line,
                expr: mask_url_passwords(&expr),
            }),
        });
        env.multidb = self.multidb(ini_databases);
    }

    fn multidb(&self, ini_databases: Option<&str>) -> Option<MultiDb> {
        for l in &self.lines {
            let words: Vec<&Tok<'_>> = l.toks.iter().collect();
            for w in words.windows(4) {
                if w[0].is(".")
                    && w[1].is("get_main_option")
                    && w[2].is("(")
                    && w[3].kind == Tk::Str
                    && literal(std::slice::from_ref(w[3])).as_deref() == Some("databases")
                {
                    let names = ini_databases
                        .map(|d| {
                            d.split(',')
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default();
                    return Some(MultiDb {
                        how: "Alembic's multidb template (the ini's `databases` option)",
                        names,
                        line: w[1].line,
                    });
                }
            }
        }
        // A dict of URLs: `URLS = {GXY: …, TSI: …}` (Galaxy's older env.py) or
        // `return {GXY: gxy_url, TSI: tsi_url}` (its current one).
        for (i, l) in self.lines.iter().enumerate() {
            let toks = &l.toks;
            let named_url = toks
                .first()
                .is_some_and(|t| t.kind == Tk::Name && t.text.to_ascii_lowercase().contains("url"))
                && toks.get(1).is_some_and(|t| t.is("="));
            for open in (0..toks.len()).filter(|&k| toks[k].is("{")) {
                let close = closing(toks, open);
                let entries = split_commas(&toks[open + 1..close.saturating_sub(1).max(open + 1)]);
                let mut names = Vec::new();
                let mut urls = 0usize;
                for e in &entries {
                    let Some(colon) = e.iter().position(|t| t.is(":")) else {
                        continue;
                    };
                    let (key, value) = (&e[..colon], &e[colon + 1..]);
                    if value
                        .iter()
                        .any(|t| t.text.to_ascii_lowercase().contains("url"))
                    {
                        urls += 1;
                    }
                    names.push(match self.eval(key, i, 0) {
                        Val::Str(s) => s,
                        _ => self.expr_text(key),
                    });
                }
                if names.len() >= 2 && (named_url || urls == names.len()) {
                    return Some(MultiDb {
                        how: "a dict of URLs",
                        names,
                        line: l.line,
                    });
                }
            }
        }
        None
    }
}
