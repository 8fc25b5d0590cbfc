//! The module-level Python scanner: finds the module docstring and the
//! top-level assignments to `revision`, `down_revision`, `branch_labels` and
//! `depends_on` (plain or annotated), evaluating only literals. Proven equal to
//! CPython's `ast` on generated files (see tests).
//!
//! It lexes just enough Python (strings with every prefix, comments, brackets,
//! backslash continuations, `;`) to split the file into logical lines, and
//! looks only at statements that can bind a module-level name. Anything that
//! might bind one of the watched names in a way only execution could tell
//! (calls, names, conditionals, imports, `exec`, …) becomes a
//! [`ScanErrorKind::NotStatic`] error instead of a guess. No recursion, one
//! pass, so deeply nested brackets and huge strings are fine.

use std::borrow::Cow;

use super::DocstringClaims;

/// A literal value assigned to one of the watched names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `None`.
    None,
    /// A string (possibly implicitly concatenated or parenthesised).
    Str(String),
    /// A tuple of strings (`()`, `("a",)`, bare `"a", "b"`).
    Tuple(Vec<String>),
    /// A list of strings.
    List(Vec<String>),
}

impl Value {
    /// Alembic's `util.to_tuple`: `None` → empty, a string → one element,
    /// a tuple/list → its elements (a comma inside a string is not split).
    pub fn to_tuple(&self) -> Vec<String> {
        match self {
            Value::None => Vec::new(),
            Value::Str(s) => vec![s.clone()],
            Value::Tuple(v) | Value::List(v) => v.clone(),
        }
    }

    /// How the value would look in Python (for messages).
    pub fn describe(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Str(_) => "a string",
            Value::Tuple(_) => "a tuple",
            Value::List(_) => "a list",
        }
    }
}

/// A module-level assignment that was read as a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    /// The value of the last module-level assignment.
    pub value: Value,
    /// 1-based line of that assignment.
    pub line: u32,
}

/// What the scanner found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanned {
    /// The module's `__doc__` exactly as Python would hold it (not stripped);
    /// `None` when the module has no docstring.
    pub docstring: Option<String>,
    /// 1-based line where the docstring starts (0 when there is none).
    pub docstring_line: u32,
    /// `Revision ID:` / `Revises:` lines found in the docstring.
    pub docstring_claims: DocstringClaims,
    /// Last module-level `revision = …`.
    pub revision: Option<Assigned>,
    /// Last module-level `down_revision = …`.
    pub down_revision: Option<Assigned>,
    /// Last module-level `branch_labels = …`.
    pub branch_labels: Option<Assigned>,
    /// Last module-level `depends_on = …`.
    pub depends_on: Option<Assigned>,
}

impl Scanned {
    /// Alembic's `longdoc`: the docstring after Python's `str.strip()`.
    pub fn longdoc(&self) -> String {
        self.docstring
            .as_deref()
            .map(|d| python_strip(d).to_owned())
            .unwrap_or_default()
    }
}

/// Why a file could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScanError {
    /// 1-based line of the problem.
    pub line: u32,
    /// What kind of problem.
    pub kind: ScanErrorKind,
    /// What is wrong and what to do.
    pub message: String,
}

/// Kinds of [`ScanError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanErrorKind {
    /// A watched name gets a value only running Python could tell.
    NotStatic,
    /// The source cannot be lexed (bad encoding, unterminated string, …).
    Syntax,
}

fn syntax(line: u32, message: impl Into<String>) -> ScanError {
    ScanError {
        line,
        kind: ScanErrorKind::Syntax,
        message: message.into(),
    }
}

/// Python's `str.strip()` with no argument: strips every character for which
/// `str.isspace()` is true, which is Unicode `White_Space` plus the
/// information separators `\x1c`–`\x1f`.
pub fn python_strip(s: &str) -> &str {
    s.trim_matches(is_python_space)
}

/// `str.isspace()` for one character.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

// ---------------------------------------------------------------------------
// Source decoding (PEP 263, BOM, universal newlines)

/// The text encodings a coding cookie may name that we can decode without a
/// codec library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Latin1,
    Cp1252,
    Ascii,
}

/// Decode a source file as Python would: UTF-8 unless a BOM or a PEP 263
/// cookie on line 1 or 2 says otherwise; CRLF and CR become `\n`.
/// Invalid UTF-8 anywhere is an error here (see [`scan`] for comments).
pub fn decode_source(bytes: &[u8]) -> Result<Cow<'_, str>, ScanError> {
    decode_with(bytes, None)
}

/// Replaces each invalid UTF-8 sequence with U+FFFD and records where
/// (byte offset in the result, line).
fn replace_invalid(body: &[u8], out: &mut Vec<(usize, u32)>) -> String {
    let mut text = String::with_capacity(body.len() + 16);
    let mut line = 1u32;
    for chunk in body.utf8_chunks() {
        let valid = chunk.valid();
        line += count_newlines(valid);
        text.push_str(valid);
        if !chunk.invalid().is_empty() {
            out.push((text.len(), line));
            text.push('\u{fffd}');
        }
    }
    text
}

fn decode_with<'a>(
    bytes: &'a [u8],
    invalid: Option<&mut Vec<(usize, u32)>>,
) -> Result<Cow<'a, str>, ScanError> {
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(syntax(
            line_at(bytes, pos),
            "source code cannot contain null bytes (Python refuses this file)",
        ));
    }
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let encoding = match coding_cookie(body) {
        None => Encoding::Utf8,
        Some((name, line)) => {
            let enc = encoding_from_name(&name).ok_or_else(|| {
                syntax(
                    line,
                    format!(
                        "unsupported source encoding '{name}': db-status reads utf-8, latin-1, \
                         cp1252 and ascii; re-save the file as UTF-8 or change the coding line"
                    ),
                )
            })?;
            if bom && enc != Encoding::Utf8 {
                return Err(syntax(
                    line,
                    format!(
                        "encoding problem: the file starts with a UTF-8 BOM but declares '{name}'"
                    ),
                ));
            }
            enc
        }
    };
    let text: Cow<'_, str> = match encoding {
        Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                let at = e.valid_up_to();
                let byte = body.get(at).copied().unwrap_or(0);
                let err = syntax(
                    line_at(body, at),
                    format!(
                        "not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8 or declare \
                         its encoding with a `# -*- coding: latin-1 -*-` line"
                    ),
                );
                match invalid {
                    // CPython only fails on undecodable bytes outside comments:
                    // replace them and let the lexer check where they are.
                    Some(out) => Cow::Owned(replace_invalid(body, out)),
                    None => return Err(err),
                }
            }
        },
        Encoding::Ascii => {
            if let Some(pos) = body.iter().position(|b| !b.is_ascii()) {
                return Err(syntax(
                    line_at(body, pos),
                    "a non-ASCII byte in a file declared as ascii; fix the coding line",
                ));
            }
            // All ASCII, so this cannot fail; fall back to lossy rather than panic.
            Cow::Owned(String::from_utf8_lossy(body).into_owned())
        }
        Encoding::Latin1 => Cow::Owned(body.iter().map(|&b| char::from(b)).collect()),
        Encoding::Cp1252 => {
            let mut s = String::with_capacity(body.len());
            for (pos, &b) in body.iter().enumerate() {
                match cp1252_char(b) {
                    Some(c) => s.push(c),
                    None => {
                        return Err(syntax(
                            line_at(body, pos),
                            format!("byte 0x{b:02x} is undefined in cp1252; fix the coding line"),
                        ));
                    }
                }
            }
            Cow::Owned(s)
        }
    };
    Ok(normalise_newlines(text))
}

fn line_at(bytes: &[u8], pos: usize) -> u32 {
    let upto = bytes.get(..pos).unwrap_or(bytes);
    let n = upto.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(n).unwrap_or(u32::MAX - 1) + 1
}

fn normalise_newlines(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// PEP 263: `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` on line 1, or on line 2
/// when line 1 is blank or a comment (what `tokenize.detect_encoding` does).
fn coding_cookie(body: &[u8]) -> Option<(String, u32)> {
    let mut lines = body.split(|&b| b == b'\n' || b == b'\r');
    let first = lines.next()?;
    if let Some(name) = cookie_in(first) {
        return Some((name, 1));
    }
    let trimmed: &[u8] = {
        let start = first
            .iter()
            .position(|&b| !matches!(b, b' ' | b'\t' | 0x0c))
            .unwrap_or(first.len());
        first.get(start..).unwrap_or(&[])
    };
    if !(trimmed.is_empty() || trimmed.first() == Some(&b'#')) {
        return None;
    }
    // `split` on CR and LF gives an empty piece between a CRLF pair.
    let second =
        if body.get(first.len()) == Some(&b'\r') && body.get(first.len() + 1) == Some(&b'\n') {
            lines.next();
            lines.next()?
        } else {
            lines.next()?
        };
    cookie_in(second).map(|name| (name, 2))
}

fn cookie_in(line: &[u8]) -> Option<String> {
    let start = line
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | 0x0c))?;
    let rest = line.get(start..)?;
    if rest.first() != Some(&b'#') {
        return None;
    }
    // `.*?coding[:=]`: the first occurrence of "coding" followed by ':' or '='.
    let mut from = 0;
    while let Some(off) = find(rest.get(from..)?, b"coding") {
        let after = from + off + 6;
        if matches!(rest.get(after), Some(b':' | b'=')) {
            let mut j = after + 1;
            while matches!(rest.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            let name: Vec<u8> = rest
                .get(j..)?
                .iter()
                .copied()
                .take_while(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                .collect();
            if name.is_empty() {
                return None;
            }
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
        from = from + off + 1;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn encoding_from_name(name: &str) -> Option<Encoding> {
    let norm = name.to_ascii_lowercase().replace('_', "-");
    // `tokenize.get_normal_name` first, then the codec aliases we know.
    if norm == "utf-8" || norm.starts_with("utf-8-") {
        return Some(Encoding::Utf8);
    }
    for latin in ["latin-1", "iso-8859-1", "iso-latin-1"] {
        if norm == latin || norm.starts_with(&format!("{latin}-")) {
            return Some(Encoding::Latin1);
        }
    }
    match norm.replace(['-', '.'], "").as_str() {
        "utf8" | "u8" | "utf" | "cp65001" => Some(Encoding::Utf8),
        "latin1" | "l1" | "iso88591" | "8859" | "cp819" | "latin" | "isoir100" => {
            Some(Encoding::Latin1)
        }
        "cp1252" | "windows1252" | "1252" => Some(Encoding::Cp1252),
        "ascii" | "usascii" | "646" | "ansix3.41968" | "us" => Some(Encoding::Ascii),
        _ => None,
    }
}

fn cp1252_char(b: u8) -> Option<char> {
    const HIGH: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    if (0x80..0xA0).contains(&b) {
        let code = HIGH.get(usize::from(b - 0x80)).copied().unwrap_or(0);
        if code == 0 {
            None
        } else {
            char::from_u32(u32::from(code))
        }
    } else {
        Some(char::from(b))
    }
}

// ---------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Name,
    Number,
    Str,
    LParen,
    RParen,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Colon,
    Dot,
    Assign,
    AugAssign,
    Walrus,
    At,
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: K,
    start: usize,
    end: usize,
    line: u32,
}

const THREE_CHAR_OPS: [&[u8; 3]; 5] = [b"**=", b"//=", b">>=", b"<<=", b"..."];
const TWO_CHAR_OPS: [&[u8; 2]; 20] = [
    b"==", b"!=", b"<=", b">=", b":=", b"->", b"+=", b"-=", b"*=", b"/=", b"%=", b"@=", b"&=",
    b"|=", b"^=", b"**", b"//", b"<<", b">>", b"<>",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_string_prefix(p: &[u8]) -> bool {
    matches!(
        p.to_ascii_lowercase().as_slice(),
        b"r" | b"u" | b"b" | b"f" | b"br" | b"rb" | b"fr" | b"rf"
    )
}

/// Splits the source into logical lines and hands each one's tokens, its
/// indentation and its first line to the analyzer. Lines the analyzer does
/// not need (function and class bodies) are only lexed for their extent, not
/// tokenised, unless they contain `global`.
fn lex(src: &str, a: &mut Analyzer<'_>) -> Result<(), ScanError> {
    let b = src.as_bytes();
    let n = b.len();
    let mut i = 0usize;
    let mut line = 1u32;
    let mut toks: Vec<Tok> = Vec::new();
    let mut brackets: Vec<(u8, u32)> = Vec::new();
    let mut at_line_start = true;
    let mut indent = 0usize;
    let mut stmt_line = 1u32;
    let mut skipping = false;
    while i < n {
        if at_line_start {
            let mut col = 0usize;
            while i < n && matches!(b[i], b' ' | b'\t' | 0x0c) {
                // Python's tokenizer resets the column on a form feed.
                col = if b[i] == 0x0c { 0 } else { col + 1 };
                i += 1;
            }
            if i >= n {
                break;
            }
            match b[i] {
                b'\n' => {
                    line += 1;
                    i += 1;
                    continue;
                }
                b'#' => {
                    let from = i;
                    while i < n && b[i] != b'\n' {
                        i += 1;
                    }
                    a.comment(from, i);
                    continue;
                }
                _ => {
                    at_line_start = false;
                    indent = col;
                    stmt_line = line;
                    skipping = indent > 0 && a.skippable(indent);
                }
            }
        }
        let c = b[i];
        let start = i;
        let kind = match c {
            b'\n' => {
                line += 1;
                i += 1;
                if brackets.is_empty() {
                    if !toks.is_empty() {
                        a.line(&toks, indent, stmt_line)?;
                        toks.clear();
                    }
                    at_line_start = true;
                }
                continue;
            }
            b' ' | b'\t' | 0x0c => {
                i += 1;
                continue;
            }
            b'#' => {
                let from = i;
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                a.comment(from, i);
                continue;
            }
            b'\\' => {
                match b.get(i + 1) {
                    Some(b'\n') => {
                        i += 2;
                        line += 1;
                    }
                    None => return Err(syntax(line, "unexpected end of file after `\\`")),
                    Some(_) => {
                        return Err(syntax(
                            line,
                            "unexpected character after line continuation character",
                        ));
                    }
                }
                continue;
            }
            b'"' | b'\'' => {
                let (end, lines) = lex_string(b, i, line)?;
                i = end;
                let t = Tok {
                    kind: K::Str,
                    start,
                    end,
                    line,
                };
                line += lines;
                if !skipping {
                    toks.push(t);
                }
                continue;
            }
            _ if is_ident_start(c) => {
                let mut j = i + 1;
                while j < n && is_ident_cont(b[j]) {
                    j += 1;
                }
                if j - i <= 2
                    && matches!(b.get(j), Some(b'"' | b'\''))
                    && is_string_prefix(&b[i..j])
                {
                    let (end, lines) = lex_string(b, j, line)?;
                    i = end;
                    let t = Tok {
                        kind: K::Str,
                        start,
                        end,
                        line,
                    };
                    line += lines;
                    if !skipping {
                        toks.push(t);
                    }
                    continue;
                }
                i = j;
                K::Name
            }
            b'0'..=b'9' => {
                i = lex_number(b, i);
                K::Number
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = lex_number(b, i);
                K::Number
            }
            b'(' | b'[' | b'{' => {
                brackets.push((c, line));
                i += 1;
                match c {
                    b'(' => K::LParen,
                    b'[' => K::LBrack,
                    _ => K::LBrace,
                }
            }
            b')' | b']' | b'}' => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match brackets.pop() {
                    None => {
                        return Err(syntax(line, format!("unmatched '{}'", char::from(c))));
                    }
                    Some((open, _)) if open != want => {
                        return Err(syntax(
                            line,
                            format!(
                                "closing parenthesis '{}' does not match opening parenthesis '{}'",
                                char::from(c),
                                char::from(open)
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                i += 1;
                match c {
                    b')' => K::RParen,
                    b']' => K::RBrack,
                    _ => K::RBrace,
                }
            }
            _ => {
                let rest = &b[i..];
                // Only these second characters can make a multi-character operator.
                let multi = matches!(rest.get(1), Some(b'=' | b'*' | b'/' | b'<' | b'>' | b'.'));
                if multi && THREE_CHAR_OPS.iter().any(|op| rest.starts_with(*op)) {
                    i += 3;
                    if rest.starts_with(b"...") {
                        K::Other
                    } else {
                        K::AugAssign
                    }
                } else if let Some(op) = multi
                    .then(|| TWO_CHAR_OPS.iter().find(|op| rest.starts_with(**op)))
                    .flatten()
                {
                    i += 2;
                    match *op {
                        b":=" => K::Walrus,
                        b"+=" | b"-=" | b"*=" | b"/=" | b"%=" | b"@=" | b"&=" | b"|=" | b"^=" => {
                            K::AugAssign
                        }
                        _ => K::Other,
                    }
                } else {
                    // Advance by a whole character so slices stay on UTF-8 boundaries.
                    i += src[i..].chars().next().map_or(1, char::len_utf8);
                    match c {
                        b',' => K::Comma,
                        b';' => K::Semi,
                        b':' => K::Colon,
                        b'.' => K::Dot,
                        b'=' => K::Assign,
                        b'@' => K::At,
                        _ => K::Other,
                    }
                }
            }
        };
        if skipping {
            if kind == K::Name && b.get(start..i) == Some(b"global".as_slice()) {
                skipping = false;
            } else {
                continue;
            }
        }
        toks.push(Tok {
            kind,
            start,
            end: i,
            line,
        });
    }
    if let Some(&(open, open_line)) = brackets.last() {
        return Err(syntax(
            open_line,
            format!("'{}' was never closed", char::from(open)),
        ));
    }
    if !toks.is_empty() {
        a.line(&toks, indent, stmt_line)?;
    }
    Ok(())
}

fn lex_number(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        let exponent_sign = matches!(c, b'+' | b'-')
            && matches!(b.get(i.wrapping_sub(1)), Some(b'e' | b'E'))
            && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Finds the end of the string whose opening quote is at `q`; returns the
/// index after the closing quote and the number of newlines inside.
fn lex_string(b: &[u8], q: usize, line: u32) -> Result<(usize, u32), ScanError> {
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let mut j = q + if triple { 3 } else { 1 };
    let mut lines = 0u32;
    loop {
        let Some(&c) = b.get(j) else {
            let what = if triple {
                "unterminated triple-quoted string literal"
            } else {
                "unterminated string literal"
            };
            return Err(syntax(line, what));
        };
        match c {
            b'\\' => {
                if b.get(j + 1) == Some(&b'\n') {
                    lines += 1;
                }
                j += 2;
            }
            b'\n' => {
                if !triple {
                    return Err(syntax(line, "unterminated string literal"));
                }
                lines += 1;
                j += 1;
            }
            _ if c == quote => {
                if !triple {
                    return Ok((j + 1, lines));
                }
                if b.get(j + 1) == Some(&quote) && b.get(j + 2) == Some(&quote) {
                    return Ok((j + 3, lines));
                }
                j += 1;
            }
            _ => j += 1,
        }
    }
}

// ---------------------------------------------------------------------------
// String literal values

struct StrParts<'a> {
    raw: bool,
    bytes: bool,
    fstring: bool,
    body: &'a str,
}

fn str_parts(text: &str) -> StrParts<'_> {
    let q = text.find(['"', '\'']).unwrap_or(0);
    let prefix = text.get(..q).unwrap_or("").to_ascii_lowercase();
    let rest = text.get(q..).unwrap_or("");
    let triple = rest.starts_with("\"\"\"") || rest.starts_with("'''");
    let ql = if triple { 3 } else { 1 };
    let body = rest.get(ql..rest.len().saturating_sub(ql)).unwrap_or("");
    StrParts {
        raw: prefix.contains('r'),
        bytes: prefix.contains('b'),
        fstring: prefix.contains('f'),
        body,
    }
}

/// Decode the body of a non-raw `str` literal as Python does.
fn unescape(body: &str, line: u32, out: &mut String) -> Result<(), ScanError> {
    let mut rest = body;
    let mut line = line;
    while let Some(pos) = rest.find('\\') {
        let (lit, tail) = rest.split_at(pos);
        line += count_newlines(lit);
        out.push_str(lit);
        let mut chars = tail.chars();
        chars.next();
        let Some(e) = chars.next() else {
            // Cannot happen for a lexed literal; keep the backslash.
            out.push('\\');
            return Ok(());
        };
        let after = chars.as_str();
        rest = after;
        match e {
            '\n' => line += 1,
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let extra: String = after
                    .chars()
                    .take(2)
                    .take_while(|c| ('0'..='7').contains(c))
                    .collect();
                rest = &after[extra.len()..];
                let mut digits = String::from(e);
                digits.push_str(&extra);
                let code = u32::from_str_radix(&digits, 8).unwrap_or(0);
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            'x' | 'u' | 'U' => {
                let len = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex = after
                    .get(..len)
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
                let Some(hex) = hex else {
                    return Err(syntax(
                        line,
                        format!("truncated \\{e} escape in a string literal"),
                    ));
                };
                rest = &after[len..];
                let code = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
                match char::from_u32(code) {
                    Some(ch) => out.push(ch),
                    None if (0xD800..0xE000).contains(&code) => {
                        return Err(not_static_text(
                            line,
                            format!(
                                "the escape \\{e}{hex} is a lone surrogate, which db-status cannot \
                                 represent; write the text without it"
                            ),
                        ));
                    }
                    None => {
                        return Err(syntax(
                            line,
                            format!("illegal Unicode character \\{e}{hex}"),
                        ));
                    }
                }
            }
            'N' => {
                return Err(not_static_text(
                    line,
                    "a \\N{...} escape needs Python's Unicode name table, which db-status does \
                     not carry; write the character itself instead",
                ));
            }
            other => {
                // Unknown escapes are kept as written (Python warns but keeps them).
                out.push('\\');
                out.push(other);
                if other == '\n' {
                    line += 1;
                }
            }
        }
    }
    out.push_str(rest);
    Ok(())
}

fn count_newlines(s: &str) -> u32 {
    u32::try_from(s.bytes().filter(|&b| b == b'\n').count()).unwrap_or(u32::MAX / 2)
}

fn not_static_text(line: u32, message: impl Into<String>) -> ScanError {
    ScanError {
        line,
        kind: ScanErrorKind::NotStatic,
        message: message.into(),
    }
}

enum StrGroup {
    /// Every part is a plain (or raw/unicode) `str`.
    Str(String),
    /// An f-string, bytes, or a mix: a value, but not a `str` constant.
    NotStr,
}

/// Concatenate adjacent string tokens (implicit concatenation).
fn concat_strings(src: &str, toks: &[Tok]) -> Result<StrGroup, ScanError> {
    let mut out = String::new();
    for t in toks {
        let parts = str_parts(src.get(t.start..t.end).unwrap_or(""));
        if parts.bytes || parts.fstring {
            return Ok(StrGroup::NotStr);
        }
        if parts.raw {
            out.push_str(parts.body);
        } else {
            unescape(parts.body, t.line, &mut out)?;
        }
    }
    Ok(StrGroup::Str(out))
}

// ---------------------------------------------------------------------------
// Statement analysis

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
    Dynamic { line: u32, why: String },
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

struct Analyzer<'s> {
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
    comments: Option<Vec<(usize, usize)>>,
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

    fn comment(&mut self, from: usize, to: usize) {
        if let Some(c) = self.comments.as_mut() {
            c.push((from, to));
        }
    }

    /// Whether an indented line at `indent` can be skipped unless it says `global`.
    fn skippable(&self, indent: usize) -> bool {
        match self.block {
            Block::Ignored => true,
            Block::Conditional => self.skip_indent.is_some_and(|s| indent > s),
            Block::None => false,
        }
    }

    fn line(&mut self, toks: &[Tok], indent: usize, line: u32) -> Result<(), ScanError> {
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
        let mut in_global = false;
        for t in toks {
            if t.kind == K::Semi {
                in_global = false;
            } else if t.kind == K::Name && self.text(t) == "global" {
                in_global = true;
            } else if in_global {
                self.bind_dynamic(t, line, "a function declares it `global` and may rebind it");
            }
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
        if let StrGroup::Str(s) = concat_strings(self.src, inner)? {
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
            match eval_value(self.src, &toks[last + 1..])? {
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
            for i in 0..WATCHED.len() {
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

    fn finish(self) -> Result<Scanned, ScanError> {
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
                Slot::Dynamic { line, why } => {
                    let e = not_static(name, line, &why);
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

/// Positions of `kind` tokens at bracket depth 0.
fn top_level_positions(toks: &[Tok], kind: K) -> Vec<usize> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            K::LParen | K::LBrack | K::LBrace => depth += 1,
            K::RParen | K::RBrack | K::RBrace => depth = depth.saturating_sub(1),
            _ if t.kind == kind && depth == 0 => out.push(k),
            _ => {}
        }
    }
    out
}

/// Splits at top-level `sep` tokens; a trailing empty piece is dropped.
fn split_top(toks: &[Tok], sep: K) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut from = 0;
    for p in top_level_positions(toks, sep) {
        out.push(&toks[from..p]);
        from = p + 1;
    }
    if from < toks.len() {
        out.push(&toks[from..]);
    }
    out
}

/// Index of the bracket closing the one at 0, if `toks[0]` opens one.
fn matching_close(toks: &[Tok]) -> Option<usize> {
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
fn strip_parens(toks: &[Tok]) -> &[Tok] {
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
fn eval_value(src: &str, toks: &[Tok]) -> Result<Option<Value>, ScanError> {
    if toks.is_empty() {
        return Ok(None);
    }
    if !top_level_positions(toks, K::Comma).is_empty() {
        return Ok(eval_items(src, toks)?.map(Value::Tuple));
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
            eval_items(src, inner)?
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
    Ok(eval_str(src, toks)?.map(Value::Str))
}

/// Comma-separated string items (a trailing comma is allowed).
fn eval_items(src: &str, toks: &[Tok]) -> Result<Option<Vec<String>>, ScanError> {
    let commas = top_level_positions(toks, K::Comma);
    let mut out = Vec::with_capacity(commas.len() + 1);
    let mut from = 0;
    for &p in &commas {
        let Some(s) = eval_str(src, &toks[from..p])? else {
            return Ok(None);
        };
        out.push(s);
        from = p + 1;
    }
    let tail = &toks[from..];
    if !tail.is_empty() {
        let Some(s) = eval_str(src, tail)? else {
            return Ok(None);
        };
        out.push(s);
    }
    Ok(Some(out))
}

fn eval_str(src: &str, toks: &[Tok]) -> Result<Option<String>, ScanError> {
    let toks = strip_parens(toks);
    if toks.is_empty() || !toks.iter().all(|t| t.kind == K::Str) {
        return Ok(None);
    }
    match concat_strings(src, toks)? {
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

/// Scan one revision file's bytes.
pub fn scan(source: &[u8]) -> Result<Scanned, ScanError> {
    let mut invalid = Vec::new();
    let text = decode_with(source, Some(&mut invalid))?;
    scan_checked(&text, &invalid)
}

/// Scan already-decoded source text (newlines must be `\n`).
pub fn scan_str(src: &str) -> Result<Scanned, ScanError> {
    scan_checked(src, &[])
}

/// `invalid`: offsets (and lines) of replaced undecodable bytes, which are
/// only acceptable inside comments, as in CPython.
fn scan_checked(src: &str, invalid: &[(usize, u32)]) -> Result<Scanned, ScanError> {
    let mut a = Analyzer {
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
        comments: (!invalid.is_empty()).then(Vec::new),
    };
    lex(src, &mut a)?;
    if let Some(comments) = a.comments.take() {
        for &(at, line) in invalid {
            if !comments.iter().any(|&(from, to)| from <= at && at < to) {
                return Err(syntax(
                    line,
                    "not valid UTF-8 outside a comment; save the file as UTF-8 or declare its \
                     encoding with a `# -*- coding: latin-1 -*-` line",
                ));
            }
        }
    }
    a.finish()
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
