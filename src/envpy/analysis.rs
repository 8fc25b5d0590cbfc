//! Which lines of `env.py` run, and on which path: the functions
//! module-level code reaches by name, the `is_offline_mode()` branches,
//! the calls on reached lines, and the assignments and imports a name
//! refers to.

use std::collections::HashMap;
use std::path::Path;

use super::lex::{Line, Tk, Tok, closing, split_commas, starts};
use crate::scripts::imports::Resolver;

/// The offline path (`alembic upgrade --sql`).
pub(super) const OFFLINE: u8 = 1;
/// The online path (`alembic current` connects).
pub(super) const ONLINE: u8 = 2;
const BOTH: u8 = OFFLINE | ONLINE;

/// An import that binds a name: the statement alone, the module, the line.
#[derive(Debug, Clone)]
pub(super) struct Import {
    /// The import statement binding only this name.
    pub(super) statement: String,
    /// The module imported.
    pub(super) module: String,
    /// 1-based line of the import.
    pub(super) line: u32,
}

/// One call on a reached line, its arguments as token slices.
pub(super) struct Call<'a, 's> {
    /// The index of its logical line.
    pub(super) idx: usize,
    /// The paths it runs on ([`OFFLINE`], [`ONLINE`] or both).
    pub(super) mode: u8,
    /// 1-based line of the called name.
    pub(super) line: u32,
    /// Positional arguments (`*args` left out).
    pub(super) positional: Vec<&'a [Tok<'s>]>,
    /// Keyword arguments: name and value.
    pub(super) keywords: Vec<(&'s str, &'a [Tok<'s>])>,
    /// The expression after `**`, if any.
    pub(super) spread: Option<&'a [Tok<'s>]>,
}

/// `env.py` as logical lines, with which function holds each line, which
/// `is_offline_mode()` branch it is in, and which functions run on which path.
pub(super) struct Analysis<'s> {
    /// The source the tokens point into.
    pub(super) src: &'s str,
    /// The `env.py` read (imports are resolved relative to it).
    pub(super) path: &'s Path,
    /// Follows imports; `None` when no search path is known.
    pub(super) resolver: Option<&'s Resolver>,
    /// The logical lines.
    pub(super) lines: Vec<Line<'s>>,
    /// For each line, the index of the innermost `def` line that holds it.
    owner: Vec<Option<usize>>,
    /// For each line, the mode of the innermost `is_offline_mode()` branch.
    branch: Vec<Option<u8>>,
    /// `def` name → its line index and end (exclusive).
    defs: HashMap<&'s str, Vec<(usize, usize)>>,
    /// For each `def` line index, the modes it is reached in.
    reach: HashMap<usize, u8>,
    /// Module-level imports by the name they bind.
    pub(super) imports: HashMap<&'s str, Import>,
}

/// The name a `def` (or `async def`) line defines.
fn def_name<'s>(toks: &[Tok<'s>]) -> Option<&'s str> {
    let rest = if starts(toks, &["async", "def"]) {
        toks.get(2..)?
    } else if starts(toks, &["def"]) {
        toks.get(1..)?
    } else {
        return None;
    };
    rest.first().filter(|t| t.kind == Tk::Name).map(|t| t.text)
}

impl<'s> Analysis<'s> {
    /// Reads the structure of `lines`: function extents, offline/online
    /// branches, module-level imports, and which functions run on which path.
    pub(super) fn new(
        src: &'s str,
        lines: Vec<Line<'s>>,
        path: &'s Path,
        resolver: Option<&'s Resolver>,
    ) -> Analysis<'s> {
        let n = lines.len();
        let mut owner = vec![None; n];
        let mut defs: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut stack: Vec<(usize, usize)> = Vec::new(); // (def idx, indent)
        for (i, l) in lines.iter().enumerate() {
            while stack.last().is_some_and(|&(_, ind)| l.indent <= ind) {
                stack.pop();
            }
            owner[i] = stack.last().map(|&(d, _)| d);
            if let Some(name) = def_name(&l.toks) {
                let end = lines
                    .iter()
                    .enumerate()
                    .skip(i + 1)
                    .find(|(_, m)| m.indent <= l.indent)
                    .map_or(n, |(j, _)| j);
                defs.entry(name).or_default().push((i, end));
                stack.push((i, l.indent));
            }
        }
        // Branches of `if context.is_offline_mode():` (and `if not …`).
        let mut branch = vec![None; n];
        let mut ifs: Vec<(usize, u8)> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let is_else = starts(&l.toks, &["else"]);
            let is_elif = starts(&l.toks, &["elif"]);
            while let Some(top) = ifs.last_mut() {
                if l.indent > top.0 {
                    break;
                }
                if l.indent == top.0 && is_else {
                    top.1 = BOTH & !top.1;
                    break;
                }
                if l.indent == top.0 && is_elif {
                    top.1 = BOTH;
                    break;
                }
                ifs.pop();
            }
            let mentions_offline = l.toks.iter().any(|t| t.is("is_offline_mode"));
            if starts(&l.toks, &["if"]) && mentions_offline {
                let negated = l.toks.get(1).is_some_and(|t| t.is("not"));
                let mode = if negated { ONLINE } else { OFFLINE };
                ifs.push((l.indent, mode));
            }
            branch[i] = ifs.last().map(|&(_, m)| m).filter(|&m| m != BOTH);
        }
        let mut imports = HashMap::new();
        for (i, l) in lines.iter().enumerate() {
            if owner[i].is_none() {
                collect_imports(&l.toks, &mut imports);
            }
        }
        let mut a = Analysis {
            src,
            path,
            resolver,
            lines,
            owner,
            branch,
            defs,
            reach: HashMap::new(),
            imports,
        };
        a.compute_reach();
        a
    }

    /// Which functions module-level code reaches by name, in which modes.
    fn compute_reach(&mut self) {
        let mut work: Vec<(usize, u8)> = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if self.owner[i].is_none() && def_name(&l.toks).is_none() {
                let mode = self.branch[i].unwrap_or(BOTH);
                self.referenced(i, mode, &mut work);
            }
        }
        while let Some((def, mode)) = work.pop() {
            let had = self.reach.get(&def).copied().unwrap_or(0);
            if had | mode == had {
                continue;
            }
            let mode = had | mode;
            self.reach.insert(def, mode);
            let end = self.def_end(def);
            for i in def..end {
                // Lines of nested functions are reached through their names.
                if i > def && self.owner[i] != Some(def) {
                    continue;
                }
                let m = self.branch[i].map_or(mode, |b| b & mode);
                self.referenced(i, m, &mut work);
            }
        }
    }

    fn def_end(&self, def: usize) -> usize {
        self.defs
            .values()
            .flatten()
            .find(|(d, _)| *d == def)
            .map_or(def + 1, |&(_, e)| e)
    }

    /// Push the functions line `i` names (not the one it defines).
    fn referenced(&self, i: usize, mode: u8, work: &mut Vec<(usize, u8)>) {
        let toks = &self.lines[i].toks;
        let own = def_name(toks);
        for (k, t) in toks.iter().enumerate() {
            if t.kind != Tk::Name || Some(t.text) == own && k <= 2 {
                continue;
            }
            // `x.run` is an attribute, not this module's `run`.
            if k > 0 && toks[k - 1].is(".") {
                continue;
            }
            if let Some(ds) = self.defs.get(t.text) {
                for &(d, _) in ds {
                    work.push((d, mode));
                }
            }
        }
    }

    /// The modes line `i` runs in (0: never reached).
    fn mode(&self, i: usize) -> u8 {
        let outer = match self.owner[i] {
            None => BOTH,
            Some(d) => {
                let m = self.reach.get(&d).copied().unwrap_or(0);
                if m == BOTH { self.name_mode(d) } else { m }
            }
        };
        self.branch[i].map_or(outer, |b| b & outer)
    }

    /// A function reached from everywhere: its name may still say which path it is.
    fn name_mode(&self, def: usize) -> u8 {
        let name = def_name(&self.lines[def].toks).unwrap_or("");
        if name.contains("offline") {
            OFFLINE
        } else if name.contains("online") {
            ONLINE
        } else {
            BOTH
        }
    }

    /// The source text of `toks`, whitespace folded to single spaces.
    pub(super) fn expr_text(&self, toks: &[Tok<'_>]) -> String {
        let base = self.src.as_ptr() as usize;
        let (Some(f), Some(l)) = (toks.first(), toks.last()) else {
            return String::new();
        };
        let from = f.text.as_ptr() as usize - base;
        let to = l.text.as_ptr() as usize - base + l.text.len();
        let text = self.src.get(from..to).unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Every call of `name` (as `name(` or `x.name(`) on reached lines.
    pub(super) fn calls(&self, names: &[&str], receiver: Option<&str>) -> Vec<Call<'_, 's>> {
        let mut out = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            let mode = self.mode(i);
            if mode == 0 {
                continue;
            }
            let toks = &l.toks;
            for k in 0..toks.len() {
                let t = &toks[k];
                if t.kind != Tk::Name || !names.contains(&t.text) {
                    continue;
                }
                if !toks.get(k + 1).is_some_and(|n| n.is("(")) {
                    continue;
                }
                if let Some(r) = receiver
                    && !(k >= 2 && toks[k - 1].is(".") && toks[k - 2].is(r))
                {
                    continue;
                }
                let end = closing(toks, k + 1);
                let inner = &toks[k + 2..end.saturating_sub(1).max(k + 2)];
                let mut call = Call {
                    idx: i,
                    mode,
                    line: t.line,
                    positional: Vec::new(),
                    keywords: Vec::new(),
                    spread: None,
                };
                for arg in split_commas(inner) {
                    if arg.len() >= 2 && arg[0].kind == Tk::Name && arg[1].is("=") {
                        call.keywords.push((arg[0].text, &arg[2..]));
                    } else if arg[0].is("**") {
                        call.spread = Some(&arg[1..]);
                    } else if !arg[0].is("*") {
                        call.positional.push(arg);
                    }
                }
                out.push(call);
            }
        }
        out
    }

    /// The last assignment `name = …` visible from line `at`: in the same
    /// function before it, else at module level.
    pub(super) fn assignment(&self, name: &str, at: usize) -> Option<(usize, &[Tok<'s>])> {
        let assigns = |i: usize| -> Option<&[Tok<'s>]> {
            let toks = &self.lines[i].toks;
            if !toks.first().is_some_and(|t| t.is(name)) {
                return None;
            }
            match toks.get(1) {
                Some(t) if t.is("=") => toks.get(2..),
                Some(t) if t.is(":") => {
                    let eq = toks.iter().position(|t| t.is("="))?;
                    toks.get(eq + 1..)
                }
                _ => None,
            }
        };
        if let Some(scope) = self.owner[at] {
            let found = (scope + 1..at)
                .rev()
                .filter(|&i| self.owner[i] == Some(scope))
                .find_map(|i| assigns(i).map(|e| (i, e)));
            if found.is_some() {
                return found;
            }
        }
        (0..self.lines.len())
            .rev()
            .filter(|&i| self.owner[i].is_none())
            .find_map(|i| assigns(i).map(|e| (i, e)))
    }
}

/// The names module-level `import`/`from … import` statements bind.
fn collect_imports<'s>(toks: &[Tok<'s>], out: &mut HashMap<&'s str, Import>) {
    let dotted = |ts: &[Tok<'s>]| ts.iter().map(|t| t.text).collect::<String>();
    let line = toks.first().map_or(0, |t| t.line);
    if starts(toks, &["import"]) {
        for item in split_commas(&toks[1..]) {
            let as_at = item.iter().position(|t| t.is("as"));
            let module = dotted(&item[..as_at.unwrap_or(item.len())]);
            let alias = match as_at {
                Some(a) => item.get(a + 1).map(|t| t.text),
                None => item.first().map(|t| t.text),
            };
            if let Some(alias) = alias {
                let statement = match as_at {
                    Some(_) => format!("import {module} as {alias}"),
                    None => format!("import {module}"),
                };
                out.insert(
                    alias,
                    Import {
                        statement,
                        module,
                        line,
                    },
                );
            }
        }
    } else if starts(toks, &["from"])
        && let Some(imp) = toks.iter().position(|t| t.is("import"))
    {
        let module = dotted(&toks[1..imp]);
        let names: Vec<Tok<'s>> = toks[imp + 1..]
            .iter()
            .filter(|t| !t.is("(") && !t.is(")"))
            .copied()
            .collect();
        for item in names.split(|t| t.is(",")) {
            let (Some(name), alias) = (item.first(), item.get(2).filter(|_| item.len() == 3))
            else {
                continue;
            };
            let statement = match alias {
                Some(a) => format!("from {module} import {} as {}", name.text, a.text),
                None => format!("from {module} import {}", name.text),
            };
            out.insert(
                alias.unwrap_or(name).text,
                Import {
                    statement,
                    module: module.clone(),
                    line,
                },
            );
        }
    }
}
