//! The lexer: splits the source into logical lines of tokens, just enough
//! Python (strings with every prefix, comments, brackets, backslash
//! continuations, `;`) for the statement analysis. The one place for
//! Python's token rules: the `env.py` reader ([`crate::envpy`]) lexes
//! with it too, through its own [`Sink`].

use super::{ScanError, syntax};

/// What the lexer hands its logical lines to.
pub(crate) trait Sink {
    /// A comment spans `from..to` (byte offsets).
    fn comment(&mut self, from: usize, to: usize);
    /// Whether an indented line at `indent` may be skipped unless it says `global`.
    fn skippable(&self, indent: usize) -> bool;
    /// One logical line: its tokens, indentation and first line.
    fn line(&mut self, toks: &[Tok], indent: usize, line: u32) -> Result<(), ScanError>;
}

/// What a token is: the kinds the statement analysis tells apart (every
/// other operator is [`K::Other`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum K {
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

/// One token: its kind, its byte range in the source and its line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    /// What it is.
    pub(crate) kind: K,
    /// Byte offset of its first character.
    pub(crate) start: usize,
    /// Byte offset after its last character.
    pub(crate) end: usize,
    /// 1-based line where it starts.
    pub(crate) line: u32,
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
pub(crate) fn lex<S: Sink>(src: &str, a: &mut S) -> Result<(), ScanError> {
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
                // As Python's tokenizer counts: a tab moves to the next
                // multiple of 8, a form feed resets the column.
                col = match b[i] {
                    b'\t' => (col / 8 + 1) * 8,
                    0x0c => 0,
                    _ => col + 1,
                };
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
                    i = comment(b, i, a);
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
        // A string, prefixed (`rb"…"`) or not, is one token.
        if let Some(quote) = string_quote(b, i) {
            let (end, lines) = lex_string(b, quote, line)?;
            if !skipping {
                toks.push(Tok {
                    kind: K::Str,
                    start,
                    end,
                    line,
                });
            }
            i = end;
            line += lines;
            continue;
        }
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
                i = comment(b, i, a);
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
            _ if is_ident_start(c) => {
                let mut j = i + 1;
                while j < n && is_ident_cont(b[j]) {
                    j += 1;
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

/// Positions of `kind` tokens at bracket depth 0.
pub(crate) fn top_level_positions(toks: &[Tok], kind: K) -> Vec<usize> {
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
pub(crate) fn split_top(toks: &[Tok], sep: K) -> Vec<&[Tok]> {
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

/// Hands the comment starting at `from` to the sink; returns where it ends
/// (its newline, which is not part of it, or the end of the source).
fn comment<S: Sink>(b: &[u8], from: usize, a: &mut S) -> usize {
    let end = b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p);
    a.comment(from, end);
    end
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

/// Where the opening quote is, when a string token starts at `i`: `i`
/// itself, or just after a string prefix of one or two letters (`b`, `rb`, `f`…).
fn string_quote(b: &[u8], i: usize) -> Option<usize> {
    if matches!(b[i], b'"' | b'\'') {
        return Some(i);
    }
    if !is_ident_start(b[i]) {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && j - i <= 2 && is_ident_cont(b[j]) {
        j += 1;
    }
    (j - i <= 2 && matches!(b.get(j), Some(b'"' | b'\'')) && is_string_prefix(&b[i..j]))
        .then_some(j)
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
