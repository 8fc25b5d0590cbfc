//! Stage 1b: what the project's `env.py` passes to Alembic, read statically
//! (no Python is run). Input: the `env.py` of a script directory; output:
//! an [`EnvPy`] with the `version_table`, `version_table_schema` and URL
//! that `env.py` uses, each with its line, or why it cannot be read.
//!
//! What is read:
//! - `context.configure(...)` calls at module level and in every function
//!   that module-level code reaches by name (`run_migrations_online()`,
//!   `asyncio.run(run_async_migrations())`, `connection.run_sync(do_run)`,
//!   helpers), with their `version_table`, `version_table_schema` and
//!   `url` keywords;
//! - where the URL comes from: `context.configure(url=…)`,
//!   `config.set_main_option("sqlalchemy.url", …)`, `create_engine(…)`,
//!   `engine_from_config(…)` (the ini's `sqlalchemy.url`);
//! - each value as a literal, a variable (local, then module-level)
//!   assigned one, an imported constant or class attribute (through
//!   [`imported`]), `os.environ["X"]`, `os.environ.get("X"[, default])` or
//!   `os.getenv("X"[, default])` for URLs;
//! - the offline and online paths apart (`if context.is_offline_mode():`
//!   … `else:` …, or the functions' names): the online path wins, as
//!   `alembic current` connects;
//! - multi-database `env.py`: Alembic's `multidb` template (the ini's
//!   `databases` option) and a module-level dict of URLs (Galaxy's
//!   `URLS = {GXY: …, TSI: …}`).
//!
//! Anything else (a call, `.format()`, an f-string, application settings)
//! is never guessed: it is [`Setting::Unreadable`], with its line.

mod lex;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lex::{Line, Tk, Tok, logical_lines};

use crate::config::paths::SearchPath;
use crate::scripts::imports::{Resolved, Resolver};
use crate::scripts::scan::Value;

/// A value `env.py` passes, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// A value read statically.
    Value {
        /// The value.
        value: String,
        /// The line of the `context.configure` call that passes it.
        line: u32,
    },
    /// A value only running `env.py` could tell.
    Unreadable {
        /// The line of the call (or assignment) that passes it.
        line: u32,
        /// The expression as written.
        expr: String,
        /// Why it cannot be read.
        why: String,
    },
}

/// Where `env.py` takes the database URL from, when not from the ini.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvUrl {
    /// A literal URL.
    Literal {
        /// The URL (may hold a password: never print it unmasked).
        url: String,
        /// Where it is written.
        line: u32,
    },
    /// An environment variable.
    Var {
        /// The variable.
        var: String,
        /// The literal default (`os.getenv("X", "…")`, `os.getenv("X") or "…"`), if any.
        default: Option<String>,
        /// Unset, the ini's URL is used (`os.getenv("X") or config.get_main_option("sqlalchemy.url")`).
        else_ini: bool,
        /// Where it is read.
        line: u32,
    },
    /// Built in a way only running `env.py` could tell.
    Unreadable {
        /// The line that builds it.
        line: u32,
        /// The expression as written.
        expr: String,
    },
}

/// A multi-database `env.py`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiDb {
    /// How it was recognised, for people ("Alembic's multidb template").
    pub how: &'static str,
    /// The databases' names, where they can be read.
    pub names: Vec<String>,
    /// The line that shows it.
    pub line: u32,
}

/// What `env.py` passes to Alembic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvPy {
    /// The file read.
    pub path: PathBuf,
    /// `version_table`, where `env.py` passes one.
    pub version_table: Option<Setting>,
    /// `version_table_schema`, where `env.py` passes one.
    pub version_table_schema: Option<Setting>,
    /// The URL, where `env.py` takes it from somewhere other than the ini.
    pub url: Option<EnvUrl>,
    /// Set when `env.py` migrates several databases.
    pub multidb: Option<MultiDb>,
    /// Facts worth saying (offline/online disagreement, a file that cannot
    /// be lexed), each with the line it is about.
    pub notes: Vec<(u32, String)>,
}

/// A value `env.py` takes from another module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedName {
    /// The import statement that binds its first name, alone
    /// (`from airflow.providers.fab.auth_manager.models.db import FABDBManager`).
    pub statement: String,
    /// The module imported, for messages.
    pub module: String,
    /// The line of the import in `env.py`.
    pub line: u32,
    /// The name as `env.py` writes it (`FABDBManager.version_table_name`).
    pub dotted: String,
}

/// Resolve an imported name of `env_py` to a string literal through the
/// static import resolution of revision files ([`Resolver`]), on the
/// config's search path. The one place `env.py` consults it.
pub fn imported(resolver: &Resolver, env_py: &Path, name: &ImportedName) -> Result<String, String> {
    // The import alone, on its own line number, so that messages name
    // env.py's real line.
    let source = format!(
        "{}{}\n",
        "\n".repeat(name.line.saturating_sub(1) as usize),
        name.statement
    );
    let module = resolver
        .load_source(env_py, source.as_bytes())
        .map_err(|e| e.message)?;
    match module.lookup(resolver, &name.dotted) {
        Ok(Some(Resolved {
            value: Value::Str(s),
            ..
        })) => Ok(s),
        Ok(Some(r)) => Err(format!(
            "{} is {} in {}, not a string",
            name.dotted,
            r.value.describe(),
            r.trail
                .last()
                .map_or_else(|| name.module.clone(), ToString::to_string)
        )),
        Ok(None) => Err(format!(
            "{} is not bound by {}",
            name.dotted, name.statement
        )),
        Err(e) => Err(e.message),
    }
}

/// Read `env.py` at `path`. `None` when there is no such file (a sourceless
/// or generated environment): nothing is known, nothing is said.
/// `search` is where imported modules are looked for (the config's search
/// path); `None` follows no import.
pub fn read(
    path: &Path,
    ini_databases: Option<&str>,
    search: Option<&SearchPath>,
) -> Option<EnvPy> {
    let bytes = std::fs::read(path).ok()?;
    let mut env = EnvPy {
        path: path.to_path_buf(),
        ..EnvPy::default()
    };
    let text = match crate::scripts::scan::decode_source(&bytes) {
        Ok(t) => t.replace("\r\n", "\n"),
        Err(e) => {
            env.notes.push((
                e.line,
                format!(
                    "env.py cannot be decoded ({}); nothing in it was read",
                    e.message
                ),
            ));
            return Some(env);
        }
    };
    match logical_lines(&text) {
        Ok(lines) => {
            let resolver = search.map(|s| Resolver::new(s.clone()));
            Analysis::new(&text, lines, path, resolver.as_ref()).fill(&mut env, ini_databases)
        }
        Err((line, message)) => env.notes.push((
            line,
            format!("env.py cannot be read ({message}); nothing in it was read"),
        )),
    }
    Some(env)
}

const OFFLINE: u8 = 1;
const ONLINE: u8 = 2;
const BOTH: u8 = OFFLINE | ONLINE;

/// A value as far as it can be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
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

/// An import that binds a name: the statement alone, the module, the line.
#[derive(Debug, Clone)]
struct Import {
    statement: String,
    module: String,
    line: u32,
}

struct Call<'a, 's> {
    idx: usize,
    mode: u8,
    line: u32,
    positional: Vec<&'a [Tok<'s>]>,
    keywords: Vec<(&'s str, &'a [Tok<'s>])>,
    spread: Option<&'a [Tok<'s>]>,
}

struct Analysis<'s> {
    src: &'s str,
    path: &'s Path,
    resolver: Option<&'s Resolver>,
    lines: Vec<Line<'s>>,
    /// For each line, the index of the innermost `def` line that holds it.
    owner: Vec<Option<usize>>,
    /// For each line, the mode of the innermost `is_offline_mode()` branch.
    branch: Vec<Option<u8>>,
    /// `def` name → its line index and end (exclusive).
    defs: HashMap<&'s str, Vec<(usize, usize)>>,
    /// For each `def` line index, the modes it is reached in.
    reach: HashMap<usize, u8>,
    imports: HashMap<&'s str, Import>,
}

fn starts(toks: &[Tok<'_>], words: &[&str]) -> bool {
    toks.len() >= words.len() && toks.iter().zip(words).all(|(t, w)| t.is(w))
}

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

/// The index after the bracket that closes the one at `open`.
fn closing(toks: &[Tok<'_>], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.kind != Tk::Op {
            continue;
        }
        match t.text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// Whether `toks` is not inside a bracket it opens (so an `or` after it is top-level).
fn closing_free(toks: &[Tok<'_>]) -> bool {
    let mut depth = 0i32;
    for t in toks {
        if t.kind == Tk::Op {
            match t.text {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                _ => {}
            }
        }
    }
    depth == 0
}

/// Split at top-level commas (empty pieces dropped).
fn split_commas<'a, 's>(toks: &'a [Tok<'s>]) -> Vec<&'a [Tok<'s>]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut from = 0usize;
    for (i, t) in toks.iter().enumerate() {
        if t.kind != Tk::Op {
            continue;
        }
        match t.text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                if i > from {
                    out.push(&toks[from..i]);
                }
                from = i + 1;
            }
            _ => {}
        }
    }
    if toks.len() > from {
        out.push(&toks[from..]);
    }
    out
}

fn strip_parens<'a, 's>(mut toks: &'a [Tok<'s>]) -> &'a [Tok<'s>] {
    while toks.len() >= 2
        && toks[0].is("(")
        && toks.last().is_some_and(|t| t.is(")"))
        && closing(toks, 0) == toks.len()
    {
        toks = &toks[1..toks.len() - 1];
    }
    toks
}

/// A string literal (implicitly concatenated pieces allowed), decoded by
/// the revision-file scanner so that escapes mean one thing everywhere.
fn literal(toks: &[Tok<'_>]) -> Option<String> {
    let text: Vec<&str> = toks.iter().map(|t| t.text).collect();
    let scanned = crate::scripts::scan::scan_str(&format!("revision = {}\n", text.join(" ")));
    match scanned.ok()?.revision?.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

impl<'s> Analysis<'s> {
    fn new(
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

    fn expr_text(&self, toks: &[Tok<'_>]) -> String {
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
    fn calls(&self, names: &[&str], receiver: Option<&str>) -> Vec<Call<'_, 's>> {
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
    fn assignment(&self, name: &str, at: usize) -> Option<(usize, &[Tok<'s>])> {
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

    fn eval(&self, toks: &[Tok<'s>], at: usize, depth: u8) -> Val {
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
    fn main_option(&self, v: Val, key: &str) -> Val {
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

    fn fill(&self, env: &mut EnvPy, ini_databases: Option<&str>) {
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
                expr: mask_passwords(&expr),
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

/// `scheme://user:secret@host` → `scheme://user:***@host` wherever it
/// appears in `text` (an expression quoted in a message may hold a URL).
fn mask_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '/'))
            .unwrap_or(tail.len());
        let netloc = &tail[..end];
        match (netloc.rfind('@'), netloc.find(':')) {
            (Some(a), Some(c)) if c < a => {
                out.push_str(&netloc[..=c]);
                out.push_str("***");
                out.push_str(&netloc[a..]);
            }
            _ => out.push_str(netloc),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

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

#[cfg(test)]
mod tests;
