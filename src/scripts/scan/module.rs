//! Whole-module reading for import resolution: every module-level statement
//! that can bind a name, as a small tree ([`Stmt`]) that
//! [`crate::scripts::imports`] evaluates. Used only for files the fast
//! scanner refuses and for the modules they import, so it keeps more than the
//! scanner (imports, any name's assignment, `try`/`except`, class bodies).

use super::analyze::{global_names, matching_close, strip_parens};
use super::lex::{K, Sink, Tok, lex, split_top, top_level_positions};
use super::literal::Surrogates;
use super::{ScanError, Value, decode_with, syntax};

/// An expression the resolver can evaluate without running Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A string, `None`, or a tuple/list of strings.
    Lit(Value),
    /// A name or dotted name: `NAME`, `m.NAME`, `Cls.attr`.
    Ref(String),
    /// A tuple whose items are expressions.
    Tuple(Vec<Expr>),
    /// A list whose items are expressions.
    List(Vec<Expr>),
    /// Anything else (a call, arithmetic, a number, …), as written.
    Other(String),
}

/// The exception types an `except` clause names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Catches {
    /// A bare `except:`.
    All,
    /// `except ImportError`, `except (A, B) as e`: the names as written.
    Names(Vec<String>),
    /// Something that is not a name or a tuple of names.
    Other,
}

/// One `except` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handler {
    /// What it catches.
    pub(crate) catches: Catches,
    /// Its body.
    pub(crate) body: Vec<Stmt>,
}

/// A module-level statement that can bind a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stmt {
    /// `import a.b.c` (binds `a` to module `a`) or `import a.b.c as m`
    /// (binds `m` to module `a.b.c`).
    Import {
        /// The module imported (`a.b.c`).
        module: String,
        /// The name bound.
        bind: String,
        /// The module that name refers to.
        target: String,
        /// 1-based line.
        line: u32,
    },
    /// `from .a import b as c, d`.
    From {
        /// The module, without leading dots.
        module: String,
        /// Leading dots (0 = absolute).
        level: usize,
        /// `(name, bound as)`.
        names: Vec<(String, String)>,
        /// 1-based line.
        line: u32,
    },
    /// `from a import *`.
    Star {
        /// The module, without leading dots.
        module: String,
        /// Leading dots.
        level: usize,
        /// 1-based line.
        line: u32,
    },
    /// `NAME = expr` (also each name of `a = b = expr`, and `NAME: T = expr`).
    Assign {
        /// The name.
        name: String,
        /// The value.
        value: Expr,
        /// 1-based line.
        line: u32,
    },
    /// `NAME += expr`, `NAME.append(expr)`, `NAME.extend(expr)`.
    Update {
        /// The name.
        name: String,
        /// `+=`, `append` or `extend`.
        op: UpdateOp,
        /// The operand.
        value: Expr,
        /// 1-based line.
        line: u32,
    },
    /// `class NAME: …` with its body's simple assignments.
    Class {
        /// The class name.
        name: String,
        /// `attr = expr` statements of the body, in order.
        attrs: Vec<(String, Expr, u32)>,
        /// 1-based line.
        line: u32,
    },
    /// `try: … except …: … else: … finally: …`.
    Try {
        /// The `try` body.
        body: Vec<Stmt>,
        /// The `except` clauses.
        handlers: Vec<Handler>,
        /// The `else` body.
        orelse: Vec<Stmt>,
        /// The `finally` body.
        finalbody: Vec<Stmt>,
        /// 1-based line of `try`.
        line: u32,
    },
    /// Names bound in a way only running Python could tell (a `def`, a
    /// loop, an `if`, unpacking, `del`, …).
    Opaque {
        /// The names (`*` = possibly any, e.g. `globals()` or `exec`).
        names: Vec<String>,
        /// 1-based line.
        line: u32,
        /// Why, for messages.
        why: String,
    },
}

/// How [`Stmt::Update`] changes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UpdateOp {
    /// `+=`.
    AddAssign,
    /// `.append(x)`.
    Append,
    /// `.extend(x)`.
    Extend,
}

/// A module read for import resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ModuleBody {
    /// Its module-level statements, in order.
    pub(crate) stmts: Vec<Stmt>,
}

struct Line {
    indent: usize,
    line: u32,
    toks: Vec<Tok>,
}

struct Collect {
    lines: Vec<Line>,
}

impl Sink for Collect {
    fn comment(&mut self, _from: usize, _to: usize) {}
    fn skippable(&self, _indent: usize) -> bool {
        false
    }
    fn line(&mut self, toks: &[Tok], indent: usize, line: u32) -> Result<(), ScanError> {
        self.lines.push(Line {
            indent,
            line,
            toks: toks.to_vec(),
        });
        Ok(())
    }
}

/// Read a whole module's bytes (any encoding the scanner reads).
pub(crate) fn read_module(source: &[u8]) -> Result<ModuleBody, ScanError> {
    // Undecodable bytes are CPython's business only outside comments; an
    // imported module is not ours to validate.
    let mut invalid = Vec::new();
    let text = decode_with(source, Some(&mut invalid))?;
    let mut c = Collect { lines: Vec::new() };
    lex(&text, &mut c)?;
    let p = Parser { src: &text };
    let mut at = 0;
    let stmts = p.block(&c.lines, &mut at, 0)?;
    Ok(ModuleBody { stmts })
}

struct Parser<'s> {
    src: &'s str,
}

const DYNAMIC: [&str; 6] = ["globals", "locals", "vars", "exec", "eval", "setattr"];

impl<'s> Parser<'s> {
    fn text(&self, t: &Tok) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn is_kw(&self, t: Option<&Tok>, kw: &str) -> bool {
        t.is_some_and(|t| t.kind == K::Name && self.text(t) == kw)
    }

    /// The statements of the block whose lines are indented exactly `indent`
    /// (deeper lines belong to compound statements inside it).
    fn block(&self, lines: &[Line], at: &mut usize, indent: usize) -> Result<Vec<Stmt>, ScanError> {
        let mut out = Vec::new();
        while let Some(l) = lines.get(*at) {
            if l.indent < indent {
                break;
            }
            if l.indent > indent {
                return Err(syntax(l.line, "unexpected indent"));
            }
            *at += 1;
            self.statement_line(l, lines, at, &mut out)?;
        }
        Ok(out)
    }

    /// The body of a compound statement whose header is `header`: inline
    /// after its colon, or the following deeper lines.
    fn body(
        &self,
        header: &Line,
        colon: usize,
        lines: &[Line],
        at: &mut usize,
    ) -> Result<Vec<Stmt>, ScanError> {
        let inline = header.toks.get(colon + 1..).unwrap_or(&[]);
        if !inline.is_empty() {
            let mut out = Vec::new();
            for part in split_top(inline, K::Semi) {
                self.simple(part, header.line, &mut out);
            }
            return Ok(out);
        }
        match lines.get(*at) {
            Some(next) if next.indent > header.indent => self.block(lines, at, next.indent),
            _ => Err(syntax(header.line, "expected an indented block")),
        }
    }

    fn header_colon(&self, toks: &[Tok]) -> Option<usize> {
        top_level_positions(toks, K::Colon).first().copied()
    }

    fn statement_line(
        &self,
        l: &Line,
        lines: &[Line],
        at: &mut usize,
        out: &mut Vec<Stmt>,
    ) -> Result<(), ScanError> {
        let first = l.toks.first();
        let kw = first.map(|t| self.text(t)).unwrap_or("");
        let compound = matches!(
            kw,
            "if" | "for" | "while" | "with" | "try" | "def" | "class" | "async"
        ) || (kw == "match"
            && l.toks.last().is_some_and(|t| t.kind == K::Colon)
            && top_level_positions(&l.toks, K::Assign).is_empty());
        if first.is_some_and(|t| t.kind == K::At) {
            return Ok(()); // a decorator: the `def`/`class` below binds
        }
        if !compound {
            for part in split_top(&l.toks, K::Semi) {
                self.simple(part, part.first().map_or(l.line, |t| t.line), out);
            }
            return Ok(());
        }
        let colon = self.header_colon(&l.toks).unwrap_or(l.toks.len());
        match kw {
            "class" => {
                let name = l.toks.get(1).map(|t| self.text(t)).unwrap_or("").to_owned();
                let body_from = *at;
                let body = self.body(l, colon, lines, at)?;
                let mut globals = Vec::new();
                for bl in lines.get(body_from..*at).unwrap_or(&[]) {
                    self.globals(&bl.toks, &mut globals);
                }
                if !globals.is_empty() {
                    out.push(Stmt::Opaque {
                        names: globals,
                        line: l.line,
                        why: "a method declares it `global` and may rebind it".to_owned(),
                    });
                }
                let attrs = body
                    .into_iter()
                    .filter_map(|s| match s {
                        Stmt::Assign { name, value, line } => Some((name, value, line)),
                        _ => None,
                    })
                    .collect();
                out.push(Stmt::Class {
                    name,
                    attrs,
                    line: l.line,
                });
            }
            "try" => {
                let body = self.body(l, colon, lines, at)?;
                let mut handlers = Vec::new();
                let (mut orelse, mut finalbody) = (Vec::new(), Vec::new());
                while let Some(next) = lines.get(*at) {
                    if next.indent != l.indent {
                        break;
                    }
                    let nkw = next.toks.first().map(|t| self.text(t)).unwrap_or("");
                    let ncolon = self.header_colon(&next.toks).unwrap_or(next.toks.len());
                    match nkw {
                        "except" => {
                            *at += 1;
                            let catches = self.catches(next.toks.get(1..ncolon).unwrap_or(&[]));
                            let body = self.body(next, ncolon, lines, at)?;
                            handlers.push(Handler { catches, body });
                        }
                        "else" => {
                            *at += 1;
                            orelse = self.body(next, ncolon, lines, at)?;
                        }
                        "finally" => {
                            *at += 1;
                            finalbody = self.body(next, ncolon, lines, at)?;
                        }
                        _ => break,
                    }
                }
                out.push(Stmt::Try {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                    line: l.line,
                });
            }
            _ => {
                // def / if / for / while / with / match: what they bind is
                // up to execution. Collect the names and the bodies' names.
                let mut names = Vec::new();
                let why = match kw {
                    "def" | "async" => {
                        let at_name = if kw == "async" { 2 } else { 1 };
                        if let Some(t) = l.toks.get(at_name) {
                            names.push(self.text(t).to_owned());
                        }
                        "a `def` binds it to a function"
                    }
                    _ => {
                        self.header_names(&l.toks[..colon.min(l.toks.len())], &mut names);
                        "it is bound inside a module-level block (if/for/while/with/match)"
                    }
                };
                let body_from = *at;
                let mut inner = self.body(l, colon, lines, at)?;
                // `global NAME` in a function lets a call rebind the module's name.
                for bl in lines.get(body_from..*at).unwrap_or(&[]) {
                    self.globals(&bl.toks, &mut names);
                }
                // `elif`/`else`/`case` clauses at the same indentation.
                while let Some(next) = lines.get(*at) {
                    let nkw = next.toks.first().map(|t| self.text(t)).unwrap_or("");
                    if next.indent == l.indent && matches!(nkw, "elif" | "else") {
                        *at += 1;
                        let ncolon = self.header_colon(&next.toks).unwrap_or(next.toks.len());
                        inner.extend(self.body(next, ncolon, lines, at)?);
                    } else {
                        break;
                    }
                }
                if kw != "def" && kw != "async" {
                    bound_names(&inner, &mut names);
                }
                if !names.is_empty() {
                    out.push(Stmt::Opaque {
                        names,
                        line: l.line,
                        why: why.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The names of `global a, b` statements on a line.
    fn globals(&self, toks: &[Tok], names: &mut Vec<String>) {
        names.extend(global_names(self.src, toks).map(|t| self.text(t).to_owned()));
    }

    /// Names a compound header binds: `for x in`, `with a as b`, walrus.
    fn header_names(&self, toks: &[Tok], names: &mut Vec<String>) {
        let kw = toks.first().map(|t| self.text(t)).unwrap_or("");
        for (k, t) in toks.iter().enumerate() {
            let next = toks.get(k + 1);
            let prev_as = k > 0 && self.is_kw(toks.get(k - 1), "as");
            let for_target =
                kw == "for" && k > 0 && !toks[1..k].iter().any(|x| self.text(x) == "in");
            if t.kind == K::Name
                && (prev_as || next.is_some_and(|n| n.kind == K::Walrus) || (for_target && k > 0))
            {
                names.push(self.text(t).to_owned());
            }
        }
    }

    fn catches(&self, toks: &[Tok]) -> Catches {
        // Drop `as name`.
        let toks = match toks.iter().position(|t| self.is_kw(Some(t), "as")) {
            Some(p) => &toks[..p],
            None => toks,
        };
        if toks.is_empty() {
            return Catches::All;
        }
        let inner = strip_parens(toks);
        let inner = if inner.first().is_some_and(|t| t.kind == K::LParen)
            && inner.last().is_some_and(|t| t.kind == K::RParen)
        {
            &inner[1..inner.len() - 1]
        } else {
            inner
        };
        let mut names = Vec::new();
        for part in split_top(inner, K::Comma) {
            match self.dotted(part) {
                Some(n) => names.push(n),
                None => return Catches::Other,
            }
        }
        Catches::Names(names)
    }

    /// `a`, `a.b.c` as one string, if `toks` is exactly that.
    fn dotted(&self, toks: &[Tok]) -> Option<String> {
        let mut out = String::new();
        for (k, t) in toks.iter().enumerate() {
            let want_name = k % 2 == 0;
            match t.kind {
                K::Name if want_name => out.push_str(self.text(t)),
                K::Dot if !want_name => out.push('.'),
                _ => return None,
            }
        }
        (!out.is_empty() && toks.len() % 2 == 1).then_some(out)
    }

    fn simple(&self, toks: &[Tok], line: u32, out: &mut Vec<Stmt>) {
        let Some(first) = toks.first() else { return };
        let kw = self.text(first);
        if let Some(t) = toks
            .iter()
            .find(|t| t.kind == K::Name && DYNAMIC.contains(&self.text(t)))
        {
            out.push(Stmt::Opaque {
                names: vec!["*".to_owned()],
                line,
                why: format!(
                    "module-level code uses `{}`, which may rebind it",
                    self.text(t)
                ),
            });
        }
        let mut walrus = Vec::new();
        for k in 1..toks.len() {
            if toks[k].kind == K::Walrus {
                walrus.push(self.text(&toks[k - 1]).to_owned());
            }
        }
        if !walrus.is_empty() {
            out.push(Stmt::Opaque {
                names: walrus,
                line,
                why: "an assignment expression (`:=`) binds it".to_owned(),
            });
        }
        match kw {
            "import" if first.kind == K::Name => {
                for part in split_top(&toks[1..], K::Comma) {
                    let (path, alias) = self.split_as(part);
                    let Some(module) = self.dotted(path) else {
                        continue;
                    };
                    let (bind, target) = match alias {
                        Some(a) => (a, module.clone()),
                        None => {
                            let head = module.split('.').next().unwrap_or("").to_owned();
                            (head.clone(), head)
                        }
                    };
                    out.push(Stmt::Import {
                        module,
                        bind,
                        target,
                        line,
                    });
                }
            }
            "from" if first.kind == K::Name => {
                let Some(imp) = toks.iter().position(|t| self.is_kw(Some(t), "import")) else {
                    return;
                };
                let src = &toks[1..imp];
                let level = src.iter().take_while(|t| t.kind == K::Dot).count()
                    + src
                        .iter()
                        .take_while(|t| t.kind == K::Other && self.text(t) == "...")
                        .count()
                        * 3;
                let rest: Vec<Tok> = src
                    .iter()
                    .copied()
                    .skip_while(|t| t.kind == K::Dot || self.text(t) == "...")
                    .collect();
                let module = if rest.is_empty() {
                    String::new()
                } else {
                    self.dotted(&rest).unwrap_or_default()
                };
                let names = strip_parens(&toks[imp + 1..]);
                let names = if names.first().is_some_and(|t| t.kind == K::LParen)
                    && names.last().is_some_and(|t| t.kind == K::RParen)
                {
                    &names[1..names.len() - 1]
                } else {
                    names
                };
                if names.len() == 1 && self.text(&names[0]) == "*" {
                    out.push(Stmt::Star {
                        module,
                        level,
                        line,
                    });
                    return;
                }
                let mut bound = Vec::new();
                for part in split_top(names, K::Comma) {
                    let (name, alias) = self.split_as(part);
                    let Some(name) = self.dotted(name) else {
                        continue;
                    };
                    let alias = alias.unwrap_or_else(|| name.clone());
                    bound.push((name, alias));
                }
                out.push(Stmt::From {
                    module,
                    level,
                    names: bound,
                    line,
                });
            }
            "del" if first.kind == K::Name => {
                let mut names = Vec::new();
                for part in split_top(&toks[1..], K::Comma) {
                    if let Some(n) = self.dotted(part).filter(|n| !n.contains('.')) {
                        names.push(n);
                    }
                }
                out.push(Stmt::Opaque {
                    names,
                    line,
                    why: "`del` removes it".to_owned(),
                });
            }
            "global" | "nonlocal" | "pass" | "assert" | "raise" | "return" => {}
            _ => self.assignment(toks, line, out),
        }
    }

    fn split_as<'t>(&self, part: &'t [Tok]) -> (&'t [Tok], Option<String>) {
        match part.iter().position(|t| self.is_kw(Some(t), "as")) {
            Some(p) => (&part[..p], part.get(p + 1).map(|t| self.text(t).to_owned())),
            None => (part, None),
        }
    }

    fn assignment(&self, toks: &[Tok], line: u32, out: &mut Vec<Stmt>) {
        if let Some(&aug) = top_level_positions(toks, K::AugAssign).first() {
            let name = self.dotted(&toks[..aug]).filter(|n| !n.contains('.'));
            let plus = toks.get(aug).is_some_and(|t| self.text(t) == "+=");
            match name {
                Some(name) if plus => out.push(Stmt::Update {
                    name,
                    op: UpdateOp::AddAssign,
                    value: self.expr(&toks[aug + 1..]),
                    line,
                }),
                Some(name) => out.push(Stmt::Opaque {
                    names: vec![name],
                    line,
                    why: "an augmented assignment computes it".to_owned(),
                }),
                None => {}
            }
            return;
        }
        let assigns = top_level_positions(toks, K::Assign);
        let Some(&last) = assigns.last() else {
            // `NAME.append(x)` / `NAME.extend(x)`.
            if toks.len() >= 5
                && toks[0].kind == K::Name
                && toks[1].kind == K::Dot
                && toks[3].kind == K::LParen
                && toks.last().is_some_and(|t| t.kind == K::RParen)
                && matching_close(&toks[3..]) == Some(toks.len() - 4)
            {
                let op = match self.text(&toks[2]) {
                    "append" => UpdateOp::Append,
                    "extend" => UpdateOp::Extend,
                    _ => return,
                };
                out.push(Stmt::Update {
                    name: self.text(&toks[0]).to_owned(),
                    op,
                    value: self.expr(&toks[4..toks.len() - 1]),
                    line,
                });
            }
            return;
        };
        let value = self.expr(&toks[last + 1..]);
        let mut from = 0;
        for &end in &assigns {
            let seg = &toks[from..end];
            from = end + 1;
            // `NAME: annotation = value`.
            let seg = match top_level_positions(seg, K::Colon).first() {
                Some(&c) => &seg[..c],
                None => seg,
            };
            match self.dotted(seg) {
                Some(name) if !name.contains('.') => out.push(Stmt::Assign {
                    name,
                    value: value.clone(),
                    line,
                }),
                // `a.b = x`, `a[0] = x`: binds no module-level name.
                Some(_) => {}
                None if seg.first().is_some_and(|t| t.kind == K::Name)
                    && seg.get(1).is_some_and(|t| t.kind == K::LBrack) => {}
                None => {
                    let mut names = Vec::new();
                    for (k, t) in seg.iter().enumerate() {
                        let after_dot = k > 0 && seg[k - 1].kind == K::Dot;
                        if t.kind == K::Name && !after_dot {
                            names.push(self.text(t).to_owned());
                        }
                    }
                    out.push(Stmt::Opaque {
                        names,
                        line,
                        why: "it is assigned as part of a larger target (unpacking, …)".to_owned(),
                    });
                }
            }
        }
    }

    /// An expression: a literal, a (dotted) name, or a tuple/list of those.
    fn expr(&self, toks: &[Tok]) -> Expr {
        let other = || {
            Expr::Other(
                toks.iter()
                    .map(|t| self.text(t))
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        };
        if toks.is_empty() {
            return other();
        }
        if !top_level_positions(toks, K::Comma).is_empty() {
            return Expr::Tuple(self.items(toks));
        }
        let inner = strip_parens(toks);
        let Some(first) = inner.first() else {
            return other();
        };
        if matches!(first.kind, K::LParen | K::LBrack)
            && matching_close(inner) == Some(inner.len() - 1)
        {
            let body = &inner[1..inner.len() - 1];
            if first.kind == K::LParen
                && !body.is_empty()
                && top_level_positions(body, K::Comma).is_empty()
            {
                return other();
            }
            let items = if body.is_empty() {
                Vec::new()
            } else {
                self.items(body)
            };
            return if first.kind == K::LParen {
                Expr::Tuple(items)
            } else {
                Expr::List(items)
            };
        }
        if inner.len() == 1 && first.kind == K::Name {
            return match self.text(first) {
                "None" => Expr::Lit(Value::None),
                name => Expr::Ref(name.to_owned()),
            };
        }
        if inner.iter().all(|t| t.kind == K::Str) {
            return match super::literal::concat_strings(self.src, inner, Surrogates::Refuse) {
                Ok(super::literal::StrGroup::Str(s)) => Expr::Lit(Value::Str(s)),
                _ => other(),
            };
        }
        match self.dotted(inner) {
            Some(d) => Expr::Ref(d),
            None => other(),
        }
    }

    fn items(&self, toks: &[Tok]) -> Vec<Expr> {
        split_top(toks, K::Comma)
            .into_iter()
            .map(|part| self.expr(part))
            .collect()
    }
}

/// Every name a list of statements binds (for an opaque block).
fn bound_names(stmts: &[Stmt], out: &mut Vec<String>) {
    for s in stmts {
        match s {
            Stmt::Import { bind, .. } => out.push(bind.clone()),
            Stmt::From { names, .. } => out.extend(names.iter().map(|(_, a)| a.clone())),
            Stmt::Star { .. } => out.push("*".to_owned()),
            Stmt::Assign { name, .. } | Stmt::Update { name, .. } | Stmt::Class { name, .. } => {
                out.push(name.clone());
            }
            Stmt::Try {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            } => {
                bound_names(body, out);
                for h in handlers {
                    bound_names(&h.body, out);
                }
                bound_names(orelse, out);
                bound_names(finalbody, out);
            }
            Stmt::Opaque { names, .. } => out.extend(names.iter().cloned()),
        }
    }
}
