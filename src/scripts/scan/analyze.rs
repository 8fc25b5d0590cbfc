//! Statement analysis: which module-level statements bind the watched names,
//! and the literal values they are given.

use super::lex::{K, Sink, Tok, split_top, top_level_positions};
use super::literal::{StrGroup, Surrogates, concat_strings, str_parts};
use super::{Assigned, DocstringClaims, ScanError, ScanErrorKind, Scanned, Value, syntax};

/// Names whose module-level value matters: the four Alembic reads, plus
/// `__doc__` (re-binding it changes what Alembic sees as the docstring).
const WATCHED: [&str; 5] = [
    "revision",
    "down_revision",
    "branch_labels",
    "depends_on",
    "__doc__",
];

/// Names that let module-level code rebind globals behind our back.
const DYNAMIC: [&str; 7] = [
    "globals", "locals", "vars", "exec", "eval", "setattr", "__dict__",
];

#[derive(Debug, Clone)]
enum Slot {
    Absent,
    Literal(Value, u32),
    Dynamic {
        line: u32,
        why: String,
    },
    /// A literal db-status refuses to hold (a lone surrogate in an id);
    /// a later assignment still wins, as in Python.
    Refused(ScanError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Top level, or after a compound statement with an inline body.
    None,
    /// Body of a `def`/`class`: its assignments bind other scopes.
    Ignored,
    /// Body of `if`/`try`/`for`/`while`/`with`/`match` at module level.
    Conditional,
}

pub(super) struct Analyzer<'s> {
    src: &'s str,
    slots: [Slot; 5],
    seen_first: bool,
    docstring: Option<(String, u32)>,
    docstring_toks: Vec<(usize, usize, u32)>,
    block: Block,
    /// Inside a conditional block: the indentation of a nested `def`/`class`
    /// whose deeper lines are skipped.
    skip_indent: Option<usize>,
    /// Byte ranges of comments, recorded only when the source had invalid
    /// UTF-8 (CPython accepts undecodable bytes inside comments).
    pub(super) comments: Option<Vec<(usize, usize)>>,
}

/// Which watched name, if any, the identifier is. Non-ASCII identifiers
/// are NFKC-normalised by Python and could spell a watched name, so they
/// count as "maybe any".
enum NameMatch {
    No,
    Is(usize),
    Maybe,
}

impl<'s> Analyzer<'s> {
    /// An analyzer for `src`; `record_comments` when the source had invalid
    /// UTF-8 whose places must be checked against the comments.
    pub(super) fn new(src: &'s str, record_comments: bool) -> Self {
        Analyzer {
            src,
            slots: [
                Slot::Absent,
                Slot::Absent,
                Slot::Absent,
                Slot::Absent,
                Slot::Absent,
            ],
            seen_first: false,
            docstring: None,
            docstring_toks: Vec::new(),
            block: Block::None,
            skip_indent: None,
            comments: record_comments.then(Vec::new),
        }
    }

    fn text(&self, t: &Tok) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn name_match(&self, t: &Tok) -> NameMatch {
        if t.kind != K::Name {
            return NameMatch::No;
        }
        let s = self.text(t);
        if !s.is_ascii() {
            return NameMatch::Maybe;
        }
        match WATCHED.iter().position(|w| *w == s) {
            Some(i) => NameMatch::Is(i),
            None => NameMatch::No,
        }
    }

    fn is_kw(&self, t: Option<&Tok>, kw: &str) -> bool {
        t.is_some_and(|t| t.kind == K::Name && self.text(t) == kw)
    }

    fn dynamic(&mut self, idx: usize, line: u32, why: String) {
        if let Some(slot) = self.slots.get_mut(idx) {
            *slot = Slot::Dynamic { line, why };
        }
    }

    /// Marks every watched name bound by identifier `t` as not static.
    fn bind_dynamic(&mut self, t: &Tok, line: u32, why: &str) {
        match self.name_match(t) {
            NameMatch::No => {}
            NameMatch::Is(i) => self.dynamic(i, line, why.to_owned()),
            NameMatch::Maybe => {
                let name = self.text(t).to_owned();
                for i in 0..WATCHED.len() {
                    self.dynamic(
                        i,
                        line,
                        format!("the non-ASCII name `{name}` may spell it (Python NFKC-normalises names)"),
                    );
                }
            }
        }
    }

    /// Every watched identifier in `toks` not preceded by `.` is bound.
    fn bind_all_in(&mut self, toks: &[Tok], line: u32, why: &str) {
        for (k, t) in toks.iter().enumerate() {
            let after_dot = k > 0 && toks.get(k - 1).is_some_and(|p| p.kind == K::Dot);
            if !after_dot {
                self.bind_dynamic(t, line, why);
            }
        }
    }

    pub(super) fn comment(&mut self, from: usize, to: usize) {
        if let Some(c) = self.comments.as_mut() {
            c.push((from, to));
        }
    }

    /// Whether an indented line at `indent` can be skipped unless it says `global`.
    pub(super) fn skippable(&self, indent: usize) -> bool {
        match self.block {
            Block::Ignored => true,
            Block::Conditional => self.skip_indent.is_some_and(|s| indent > s),
            Block::None => false,
        }
    }

    pub(super) fn line(&mut self, toks: &[Tok], indent: usize, line: u32) -> Result<(), ScanError> {
        let first_stmt = !self.seen_first;
        self.seen_first = true;
        if indent == 0 {
            self.skip_indent = None;
            return self.top_level(toks, line, first_stmt);
        }
        match self.block {
            Block::None => Err(syntax(line, "unexpected indent")),
            Block::Ignored => {
                self.check_global(toks, line);
                Ok(())
            }
            Block::Conditional => {
                if let Some(skip) = self.skip_indent {
                    if indent > skip {
                        self.check_global(toks, line);
                        return Ok(());
                    }
                    self.skip_indent = None;
                }
                if self.is_def(toks) {
                    self.def_header(toks, line);
                    self.skip_indent = Some(indent);
                    return Ok(());
                }
                for part in split_top(toks, K::Semi) {
                    self.conditional_stmt(part, part.first().map_or(line, |t| t.line));
                }
                Ok(())
            }
        }
    }

    fn is_def(&self, toks: &[Tok]) -> bool {
        let first = toks.first();
        self.is_kw(first, "def")
            || self.is_kw(first, "class")
            || (self.is_kw(first, "async") && self.is_kw(toks.get(1), "def"))
    }

    /// `global revision` inside a function lets a call rebind the module name.
    fn check_global(&mut self, toks: &[Tok], line: u32) {
        for t in global_names(self.src, toks) {
            self.bind_dynamic(t, line, "a function declares it `global` and may rebind it");
        }
    }

    fn def_header(&mut self, toks: &[Tok], line: u32) {
        let name_at = if self.is_kw(toks.first(), "async") {
            2
        } else {
            1
        };
        if let Some(t) = toks.get(name_at) {
            self.bind_dynamic(t, line, "a `def`/`class` statement binds it");
        }
        self.check_global(toks, line);
    }

    fn top_level(&mut self, toks: &[Tok], line: u32, first_stmt: bool) -> Result<(), ScanError> {
        let first = toks.first();
        let ends_with_colon = toks.last().is_some_and(|t| t.kind == K::Colon);
        if first.is_some_and(|t| t.kind == K::At) {
            // A decorator: the `def`/`class` on the next line decides the block.
            self.conditional_stmt(toks, line);
            return Ok(());
        }
        if self.is_def(toks) {
            self.def_header(toks, line);
            self.block = Block::Ignored;
            return Ok(());
        }
        let compound = first.is_some_and(|t| {
            t.kind == K::Name
                && matches!(
                    self.text(t),
                    "if" | "elif"
                        | "else"
                        | "try"
                        | "except"
                        | "finally"
                        | "for"
                        | "while"
                        | "with"
                        | "async"
                )
        }) || (self.is_kw(first, "match")
            && ends_with_colon
            && !toks
                .iter()
                .any(|t| matches!(t.kind, K::Assign | K::AugAssign))
            && !matches!(toks.get(1).map(|t| t.kind), Some(K::Dot | K::Colon)));
        if compound {
            // Header and any inline body: every binding in it is conditional.
            for part in split_top(toks, K::Semi) {
                self.conditional_stmt(part, part.first().map_or(line, |t| t.line));
            }
            self.block = if ends_with_colon {
                Block::Conditional
            } else {
                Block::None
            };
            return Ok(());
        }
        self.block = Block::None;
        // Simple statements separated by `;`.
        let mut first_part = first_stmt;
        for part in split_top(toks, K::Semi) {
            if first_part {
                self.maybe_docstring(part)?;
                first_part = false;
            }
            self.statement(part, part.first().map_or(line, |t| t.line))?;
        }
        Ok(())
    }

    /// A statement inside a module-level `if`/`try`/`for`/`while`/`with`/
    /// `match` (or such a header with its inline body): whether it runs is
    /// up to execution, so any binding of a watched name is not static.
    /// Deliberately coarse: it may refuse a file that only reads a name there.
    fn conditional_stmt(&mut self, toks: &[Tok], line: u32) {
        let why = "it is bound inside a module-level block (if/try/for/while/with/match)";
        let kw = toks.first().map(|t| self.text(t)).unwrap_or("");
        self.walrus(toks, line);
        self.dynamic_calls(toks, line);
        match kw {
            "import" | "from" => self.import(toks, line),
            "for" | "with" | "except" | "case" | "del" | "async" | "match" | "global"
            | "nonlocal" | "def" | "class" => self.bind_all_in(toks, line, why),
            _ => {
                let assigns = top_level_positions(toks, K::Assign);
                let aug = top_level_positions(toks, K::AugAssign);
                if let Some(&end) = assigns.iter().chain(aug.iter()).max() {
                    self.bind_all_in(&toks[..end], line, why);
                }
            }
        }
    }

    fn walrus(&mut self, toks: &[Tok], line: u32) {
        for k in 1..toks.len() {
            if toks[k].kind == K::Walrus {
                let t = toks[k - 1];
                self.bind_dynamic(&t, line, "an assignment expression (`:=`) binds it");
            }
        }
    }

    fn dynamic_calls(&mut self, toks: &[Tok], line: u32) {
        if let Some(t) = toks
            .iter()
            .find(|t| t.kind == K::Name && DYNAMIC.contains(&self.text(t)))
        {
            let what = self.text(t).to_owned();
            for i in 0..WATCHED.len() {
                self.dynamic(
                    i,
                    line,
                    format!("module-level code uses `{what}`, which may rebind it"),
                );
            }
        }
    }

    fn maybe_docstring(&mut self, part: &[Tok]) -> Result<(), ScanError> {
        let inner = strip_parens(part);
        if inner.is_empty() || !inner.iter().all(|t| t.kind == K::Str) {
            return Ok(());
        }
        if let StrGroup::Str(s) = concat_strings(self.src, inner, Surrogates::Replace)? {
            let line = inner.first().map_or(1, |t| t.line);
            self.docstring = Some((s, line));
            self.docstring_toks = inner.iter().map(|t| (t.start, t.end, t.line)).collect();
        }
        Ok(())
    }

    /// One simple statement (no `;`) at module level.
    fn statement(&mut self, toks: &[Tok], line: u32) -> Result<(), ScanError> {
        let Some(first) = toks.first() else {
            return Ok(());
        };
        let kw = if first.kind == K::Name {
            self.text(first)
        } else {
            ""
        };
        match kw {
            "del" => {
                self.bind_all_in(&toks[1..], line, "`del` removes it");
                return Ok(());
            }
            // A module-level `global x` changes nothing.
            "global" | "nonlocal" => return Ok(()),
            "import" | "from" => {
                self.import(toks, line);
                return Ok(());
            }
            _ => {}
        }
        self.walrus(toks, line);
        self.dynamic_calls(toks, line);
        if let Some(aug) = top_level_positions(toks, K::AugAssign).into_iter().next() {
            self.bind_all_in(&toks[..aug], line, "an augmented assignment computes it");
            return Ok(());
        }
        let assigns = top_level_positions(toks, K::Assign);
        let Some(&last) = assigns.last() else {
            return Ok(());
        };
        // `NAME = value` or `NAME: annotation = value`.
        let target = &toks[..last];
        let simple_target = assigns.len() == 1
            && (target.len() == 1
                || (target.len() > 2 && target.get(1).is_some_and(|t| t.kind == K::Colon)));
        let watched = match target.first().map(|t| self.name_match(t)) {
            Some(NameMatch::Is(idx)) if simple_target => Some(idx),
            _ => None,
        };
        if let Some(idx) = watched {
            // `__doc__` is only shown; the other names are identifiers.
            let surrogates = if WATCHED.get(idx) == Some(&"__doc__") {
                Surrogates::Replace
            } else {
                Surrogates::Refuse
            };
            let value = match eval_value(self.src, &toks[last + 1..], surrogates) {
                Err(e) if e.kind == ScanErrorKind::NotStatic => {
                    if let Some(slot) = self.slots.get_mut(idx) {
                        *slot = Slot::Refused(e);
                    }
                    return Ok(());
                }
                other => other?,
            };
            match value {
                Some(v) => {
                    if let Some(slot) = self.slots.get_mut(idx) {
                        *slot = Slot::Literal(v, line);
                    }
                }
                None => self.dynamic(idx, line, "it is assigned an expression".into()),
            }
            return Ok(());
        }
        let why = if assigns.len() > 1 {
            "it is part of a chained assignment"
        } else {
            "it is assigned as part of a larger target (unpacking, subscript, …)"
        };
        // Annotations are not targets: only look before a top-level colon.
        for &seg_end in &assigns {
            let seg = &toks[..seg_end];
            let seg = match top_level_positions(seg, K::Colon).first() {
                Some(&c) => &seg[..c],
                None => seg,
            };
            self.bind_all_in(seg, line, why);
        }
        Ok(())
    }

    fn import(&mut self, toks: &[Tok], line: u32) {
        let why = "an import binds it";
        let is_from = self.is_kw(toks.first(), "from");
        let names = if is_from {
            match toks.iter().position(|t| self.is_kw(Some(t), "import")) {
                Some(p) => &toks[p + 1..],
                None => return,
            }
        } else {
            &toks[1..]
        };
        if is_from && names.iter().any(|t| self.text(t) == "*") {
            // Without `__all__` a star import binds no `_` names; an
            // `__all__` naming `__doc__` is left to the import resolver.
            for i in 0..WATCHED.len() - 1 {
                self.dynamic(i, line, "`from … import *` may bind it".to_owned());
            }
            return;
        }
        // Bound names: after `as`, else the first component of each item.
        let mut at_item_start = true;
        let mut k = 0;
        while k < names.len() {
            let t = names[k];
            match t.kind {
                K::Comma => at_item_start = true,
                K::Name if self.text(&t) == "as" => {
                    if let Some(n) = names.get(k + 1) {
                        let n = *n;
                        self.bind_dynamic(&n, line, why);
                    }
                    k += 1;
                }
                K::Name if at_item_start => {
                    let aliased = names
                        .iter()
                        .skip(k + 1)
                        .take_while(|x| x.kind != K::Comma)
                        .any(|x| self.text(x) == "as");
                    if !aliased {
                        self.bind_dynamic(&t, line, why);
                    }
                    at_item_start = false;
                }
                _ => {}
            }
            k += 1;
        }
    }

    /// The result; with `lenient`, watched names that are not literals are
    /// left out instead of being errors (for the import resolver to decide).
    pub(super) fn finish(self, lenient: bool) -> Result<Scanned, ScanError> {
        let mut out = Scanned::default();
        let [rev, down, labels, deps, doc] = self.slots;
        let mut fields: [(&str, Slot, &mut Option<Assigned>); 4] = [
            ("revision", rev, &mut out.revision),
            ("down_revision", down, &mut out.down_revision),
            ("branch_labels", labels, &mut out.branch_labels),
            ("depends_on", deps, &mut out.depends_on),
        ];
        let mut first_err: Option<ScanError> = None;
        for (name, slot, dest) in fields.iter_mut() {
            match std::mem::replace(slot, Slot::Absent) {
                Slot::Absent => {}
                Slot::Literal(value, line) => **dest = Some(Assigned { value, line }),
                Slot::Dynamic { .. } | Slot::Refused(_) if lenient => {}
                Slot::Dynamic { line, why } => {
                    let e = not_static(name, line, &why);
                    if first_err.as_ref().is_none_or(|f| e.line < f.line) {
                        first_err = Some(e);
                    }
                }
                Slot::Refused(e) => {
                    if first_err.as_ref().is_none_or(|f| e.line < f.line) {
                        first_err = Some(e);
                    }
                }
            }
        }
        match doc {
            Slot::Absent => {
                if let Some((s, line)) = self.docstring {
                    out.docstring_claims = claims(self.src, &self.docstring_toks);
                    out.docstring = Some(s);
                    out.docstring_line = line;
                }
            }
            Slot::Literal(Value::Str(s), line) => {
                out.docstring = Some(s);
                out.docstring_line = line;
            }
            Slot::Literal(Value::None, _) => {}
            Slot::Literal(_, line) => {
                let e = not_static("__doc__", line, "it is not a string");
                if first_err.as_ref().is_none_or(|f| e.line < f.line) {
                    first_err = Some(e);
                }
            }
            Slot::Refused(e) => {
                if first_err.as_ref().is_none_or(|f| e.line < f.line) {
                    first_err = Some(e);
                }
            }
            Slot::Dynamic { line, why } => {
                let e = not_static("__doc__", line, &why);
                if first_err.as_ref().is_none_or(|f| e.line < f.line) {
                    first_err = Some(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

fn not_static(name: &str, line: u32, why: &str) -> ScanError {
    ScanError {
        line,
        kind: ScanErrorKind::NotStatic,
        message: format!(
            "`{name}` cannot be read without running Python: {why}; make it a literal \
             (a string, None, or a tuple/list of strings) assigned at module level"
        ),
    }
}

/// The names that `global a, b` statements among `toks` (one logical line,
/// `;` included) declare.
pub(super) fn global_names<'t>(src: &str, toks: &'t [Tok]) -> impl Iterator<Item = &'t Tok> {
    let mut in_global = false;
    toks.iter().filter(move |t| {
        if t.kind == K::Semi {
            in_global = false;
        } else if t.kind == K::Name && src.get(t.start..t.end) == Some("global") {
            in_global = true;
        } else if in_global && t.kind == K::Name {
            return true;
        }
        false
    })
}

/// Index of the bracket closing the one at 0, if `toks[0]` opens one.
pub(super) fn matching_close(toks: &[Tok]) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            K::LParen | K::LBrack | K::LBrace => depth += 1,
            K::RParen | K::RBrack | K::RBrace => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {
                if depth == 0 {
                    return None;
                }
            }
        }
    }
    None
}

/// Removes redundant `( … )` around a whole expression that is not a tuple.
/// One pass over the tokens, however deep the nesting.
pub(super) fn strip_parens(toks: &[Tok]) -> &[Tok] {
    if toks.first().is_none_or(|t| t.kind != K::LParen) {
        return toks;
    }
    // For each opening bracket: its closing index and whether it directly holds a comma.
    let mut close = vec![usize::MAX; toks.len()];
    let mut has_comma = vec![false; toks.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            K::LParen | K::LBrack | K::LBrace => stack.push(k),
            K::RParen | K::RBrack | K::RBrace => {
                if let Some(open) = stack.pop()
                    && let Some(c) = close.get_mut(open)
                {
                    *c = k;
                }
            }
            K::Comma => {
                if let Some(h) = stack.last().and_then(|&open| has_comma.get_mut(open)) {
                    *h = true;
                }
            }
            _ => {}
        }
    }
    let (mut lo, mut hi) = (0usize, toks.len() - 1);
    while lo + 1 < hi
        && toks.get(lo).is_some_and(|t| t.kind == K::LParen)
        && close.get(lo) == Some(&hi)
        && has_comma.get(lo) == Some(&false)
    {
        lo += 1;
        hi -= 1;
    }
    toks.get(lo..=hi).unwrap_or(toks)
}

/// Evaluates a literal value; `Ok(None)` for anything that is not one.
fn eval_value(src: &str, toks: &[Tok], sur: Surrogates) -> Result<Option<Value>, ScanError> {
    if toks.is_empty() {
        return Ok(None);
    }
    if !top_level_positions(toks, K::Comma).is_empty() {
        return Ok(eval_items(src, toks, sur)?.map(Value::Tuple));
    }
    let toks = strip_parens(toks);
    let Some(first) = toks.first() else {
        return Ok(None);
    };
    if matches!(first.kind, K::LParen | K::LBrack) && matching_close(toks) == Some(toks.len() - 1) {
        let inner = &toks[1..toks.len() - 1];
        let items = if inner.is_empty() {
            Some(Vec::new())
        } else if first.kind == K::LParen && top_level_positions(inner, K::Comma).is_empty() {
            // `(x)` with x not a string was already stripped; this is not a tuple.
            None
        } else {
            eval_items(src, inner, sur)?
        };
        return Ok(items.map(|v| {
            if first.kind == K::LParen {
                Value::Tuple(v)
            } else {
                Value::List(v)
            }
        }));
    }
    if toks.len() == 1 && first.kind == K::Name && src.get(first.start..first.end) == Some("None") {
        return Ok(Some(Value::None));
    }
    Ok(eval_str(src, toks, sur)?.map(Value::Str))
}

/// Comma-separated string items (a trailing comma is allowed).
fn eval_items(src: &str, toks: &[Tok], sur: Surrogates) -> Result<Option<Vec<String>>, ScanError> {
    let commas = top_level_positions(toks, K::Comma);
    let mut out = Vec::with_capacity(commas.len() + 1);
    let mut from = 0;
    for &p in &commas {
        let Some(s) = eval_str(src, &toks[from..p], sur)? else {
            return Ok(None);
        };
        out.push(s);
        from = p + 1;
    }
    let tail = &toks[from..];
    if !tail.is_empty() {
        let Some(s) = eval_str(src, tail, sur)? else {
            return Ok(None);
        };
        out.push(s);
    }
    Ok(Some(out))
}

fn eval_str(src: &str, toks: &[Tok], sur: Surrogates) -> Result<Option<String>, ScanError> {
    let toks = strip_parens(toks);
    if toks.is_empty() || !toks.iter().all(|t| t.kind == K::Str) {
        return Ok(None);
    }
    match concat_strings(src, toks, sur)? {
        StrGroup::Str(s) => Ok(Some(s)),
        StrGroup::NotStr => Ok(None),
    }
}

/// `Revision ID:` / `Revises:` lines of the docstring, read from its source
/// lines so each keeps its own line number in the file.
fn claims(src: &str, toks: &[(usize, usize, u32)]) -> DocstringClaims {
    let mut out = DocstringClaims::default();
    for &(start, end, line) in toks {
        let body = str_parts(src.get(start..end).unwrap_or("")).body;
        for (k, l) in body.split('\n').enumerate() {
            let l = l.trim();
            let at = line + u32::try_from(k).unwrap_or(0);
            if out.revision_id.is_none()
                && let Some(v) = l.strip_prefix("Revision ID:")
            {
                out.revision_id = Some((v.trim().to_owned(), at));
            }
            if out.revises.is_none()
                && let Some(v) = l.strip_prefix("Revises:")
            {
                let list = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
                out.revises = Some((list, at));
            }
        }
    }
    out
}

impl Sink for Analyzer<'_> {
    fn comment(&mut self, from: usize, to: usize) {
        Analyzer::comment(self, from, to);
    }
    fn skippable(&self, indent: usize) -> bool {
        Analyzer::skippable(self, indent)
    }
    fn line(&mut self, toks: &[Tok], indent: usize, line: u32) -> Result<(), ScanError> {
        Analyzer::line(self, toks, indent, line)
    }
}
