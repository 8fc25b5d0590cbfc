//! The values of string literals: prefixes, implicit concatenation and
//! backslash escapes, decoded as CPython does.

use super::lex::Tok;
use super::{ScanError, ScanErrorKind, count_newlines, syntax};

pub(super) struct StrParts<'a> {
    raw: bool,
    bytes: bool,
    fstring: bool,
    pub(super) body: &'a str,
}

pub(super) fn str_parts(text: &str) -> StrParts<'_> {
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

fn not_static_text(line: u32, message: impl Into<String>) -> ScanError {
    ScanError {
        line,
        kind: ScanErrorKind::NotStatic,
        message: message.into(),
    }
}

pub(super) enum StrGroup {
    /// Every part is a plain (or raw/unicode) `str`.
    Str(String),
    /// An f-string, bytes, or a mix: a value, but not a `str` constant.
    NotStr,
}

/// Concatenate adjacent string tokens (implicit concatenation).
pub(super) fn concat_strings(src: &str, toks: &[Tok]) -> Result<StrGroup, ScanError> {
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
