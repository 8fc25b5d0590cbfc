//! Source decoding as CPython does it: PEP 263 coding cookies, a UTF-8 BOM,
//! universal newlines, and where undecodable bytes are tolerated.

use std::borrow::Cow;

use super::{ScanError, ScanErrorKind, count_newlines, syntax};

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
/// Invalid UTF-8 anywhere is an error here (see [`super::scan`] for comments).
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

pub(super) fn decode_with<'a>(
    bytes: &'a [u8],
    invalid: Option<&mut Vec<(usize, u32)>>,
) -> Result<Cow<'a, str>, ScanError> {
    // `contains` is a word-at-a-time memchr; `position` goes byte by byte.
    if bytes.contains(&0)
        && let Some(pos) = bytes.iter().position(|&b| b == 0)
    {
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
            // Python knows more codecs: not a syntax error, a file for `--python`.
            let enc = encoding_from_name(&name).ok_or_else(|| ScanError {
                line,
                kind: ScanErrorKind::NotStatic,
                message: format!(
                    "source encoding '{name}': db-status itself reads utf-8, latin-1, cp1252 and \
                     ascii; re-save the file as UTF-8"
                ),
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
