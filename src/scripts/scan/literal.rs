//! The values of string literals: prefixes, implicit concatenation and
//! backslash escapes, decoded as CPython does.

use super::lex::Tok;
use super::name_aliases::NAME_ALIASES;
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

/// What to do with an escape that names a lone surrogate (`\ud800`), which
/// a Python `str` holds but a Rust `String` cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Surrogates {
    /// Decode it as U+FFFD (text that is only shown, such as a docstring).
    Replace,
    /// Refuse the value (an identifier, where U+FFFD would make distinct
    /// values equal; Alembic cannot print or store it either).
    Refuse,
}

/// Decode the body of a non-raw `str` literal as Python does. Errors carry
/// the literal's last line, as CPython 3.11 reports them.
fn unescape(
    body: &str,
    line: u32,
    surrogates: Surrogates,
    out: &mut String,
) -> Result<(), ScanError> {
    let end_line = line + count_newlines(body);
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
                        end_line,
                        format!("truncated \\{e} escape in a string literal"),
                    ));
                };
                rest = &after[len..];
                let code = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
                match char::from_u32(code) {
                    Some(ch) => out.push(ch),
                    None if (0xD800..0xE000).contains(&code)
                        && surrogates == Surrogates::Replace =>
                    {
                        out.push('\u{fffd}');
                    }
                    None if (0xD800..0xE000).contains(&code) => {
                        return Err(not_static_text(
                            line,
                            format!(
                                "the escape \\{e}{hex} is a lone surrogate, which Alembic can \
                                 neither print nor store; write the text without it"
                            ),
                        ));
                    }
                    None => {
                        return Err(syntax(
                            end_line,
                            format!("illegal Unicode character \\{e}{hex}"),
                        ));
                    }
                }
            }
            'N' => {
                // `\N{NAME}`: CPython looks for the first `}` and needs a non-empty name.
                let name = after
                    .strip_prefix('{')
                    .and_then(|s| s.find('}').map(|p| &s[..p]))
                    .filter(|n| !n.is_empty());
                let Some(name) = name else {
                    return Err(syntax(end_line, "malformed \\N character escape"));
                };
                let Some(ch) = char_named(name) else {
                    return Err(syntax(
                        end_line,
                        format!(
                            "unknown Unicode character name in `\\N{{{name}}}` (Python refuses \
                             this file too); check the spelling against the Unicode name list"
                        ),
                    ));
                };
                out.push(ch);
                rest = &after[name.len() + 2..];
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
pub(super) fn concat_strings(
    src: &str,
    toks: &[Tok],
    surrogates: Surrogates,
) -> Result<StrGroup, ScanError> {
    let mut out = String::new();
    for t in toks {
        let parts = str_parts(src.get(t.start..t.end).unwrap_or(""));
        if parts.bytes || parts.fstring {
            return Ok(StrGroup::NotStr);
        }
        if parts.raw {
            out.push_str(parts.body);
        } else {
            unescape(parts.body, t.line, surrogates, &mut out)?;
        }
    }
    Ok(StrGroup::Str(out))
}

/// The character `\N{name}` stands for, as CPython 3.11 decides it: a
/// character name or a formal alias (`NameAliases.txt`), compared without
/// regard to ASCII case; the algorithmic `HANGUL SYLLABLE …` and
/// `CJK UNIFIED IDEOGRAPH-XXXX[X]` names only in upper case, exactly as
/// written. No loose matching (underscores, dropped spaces), no named
/// sequences. The table is Unicode 17 (`unicode_names2`), so it also knows
/// characters newer than the Python that runs Alembic (see README,
/// Limitations); the tests check it against that Python's `unicodedata`.
pub fn char_named(name: &str) -> Option<char> {
    if !name.is_ascii() {
        return None;
    }
    if let Some(hex) = name.strip_prefix("CJK UNIFIED IDEOGRAPH-") {
        let upper_hex = hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        if !(4..=5).contains(&hex.len()) || !upper_hex {
            return None;
        }
        // The crate checks that the code point is a unified ideograph.
        return unicode_names2::character(name);
    }
    if name.starts_with("HANGUL SYLLABLE ") {
        let c = unicode_names2::character(name)?;
        return unicode_names2::name(c)
            .is_some_and(|n| n.to_string() == name)
            .then_some(c);
    }
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("HANGUL SYLLABLE ") || upper.starts_with("CJK UNIFIED IDEOGRAPH-") {
        return None;
    }
    if let Some(c) = unicode_names2::character(&upper)
        && unicode_names2::name(c).is_some_and(|n| n.to_string() == upper)
    {
        return Some(c);
    }
    NAME_ALIASES
        .binary_search_by(|(alias, _)| (*alias).cmp(upper.as_str()))
        .ok()
        .and_then(|i| NAME_ALIASES.get(i))
        .map(|&(_, c)| c)
}
