//! Python's string and number rules, in one place.
//!
//! Alembic and configparser are Python: where db-status must agree with them
//! byte for byte it needs `str.isspace()`, `str.strip()`, `repr()` of a
//! `str`, `int()`, `str.splitlines()` and `str.lower()` exactly as CPython
//! defines them, which differ from Rust's `char::is_whitespace`,
//! `str::trim`, `str::lines` and `{:?}`. Every caller uses this module; the
//! unit tests compare it with CPython (`$DB_STATUS_PYTHON`) on generated
//! inputs.

#[cfg(test)]
mod tests;

/// `str.isspace()` for one character (and `\s` in `re`): Unicode
/// `White_Space` plus the information separators `\x1c`–`\x1f`, which Rust's
/// `char::is_whitespace` lacks.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// `str.strip()` with no argument.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// `str.rstrip()` with no argument.
pub(crate) fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// `str.lower()` (configparser's `optionxform`).
pub(crate) fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `repr()` of a `str`: single quotes unless the text holds a `'` and no
/// `"`, with Python's escapes.
pub(crate) fn repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    quoted(s, quote)
}

/// A double-quoted Python string literal that evaluates to `s`, as ruff and
/// black write them (for the `down_revision = …` fixes `check` suggests).
pub(crate) fn str_literal(s: &str) -> String {
    quoted(s, '"')
}

/// The Python literal for an id list as Alembic's revision files hold it:
/// `None`, a single string `"a"`, or a tuple `("a", "b")`.
pub(crate) fn ids_literal(ids: &[&str]) -> String {
    match ids {
        [] => "None".to_string(),
        [one] => str_literal(one),
        many => format!(
            "({})",
            many.iter()
                .map(|s| str_literal(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `s` between `quote`s with the escapes of CPython's `unicode_repr`.
fn quoted(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `str.isprintable()` for one character, as CPython 3.11 (Unicode 14.0)
/// answers it: control, format, separator (other than space), surrogate and
/// private-use code points are escaped by `repr`. Unassigned code points
/// (category `Cn`), which CPython also escapes, are printed as they are
/// (only the non-characters are listed): Rust's standard library has no
/// general-category table, and Alembic trees do not hold them.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if is_space(c) {
        return false;
    }
    !matches!(
        u32::from(c),
        0..=0x1f
            | 0x7f..=0x9f
            | 0xad
            | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x180e
            | 0x200b..=0x200f
            | 0x202a..=0x202e
            | 0x2060..=0x206f
            | 0xd800..=0xf8ff
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0xfffe..=0xffff
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x13438
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
            | 0xf0000..
    )
}

/// The whitespace `int()` strips: ASCII `\t\n\v\f\r` and space, and every
/// non-ASCII `str.isspace()` character — but not `\x1c`–`\x1f`, which
/// CPython's `_PyUnicode_TransformDecimalAndSpaceToASCII` passes through as
/// ASCII and its number parser then rejects.
fn is_int_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | ' ') || (!c.is_ascii() && is_space(c))
}

/// The first code point of each run of ten Unicode decimal digits
/// (category `Nd`, values 0–9 in order), as CPython 3.11 (Unicode 14.0)
/// knows them; `int()` accepts any of them.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a Unicode decimal digit, as `int()` reads it.
fn decimal(c: char) -> Option<u8> {
    let n = u32::from(c);
    let i = DIGIT_ZEROS.partition_point(|&z| z <= n).checked_sub(1)?;
    u8::try_from(n - DIGIT_ZEROS[i]).ok().filter(|d| *d < 10)
}

/// `str.isdecimal()` for one character, which is also `\d` in `re`: a
/// Unicode decimal digit (category `Nd`).
pub(crate) fn is_decimal(c: char) -> bool {
    decimal(c).is_some()
}

/// `int(s)` (base 10): surrounding whitespace, one sign, Unicode decimal
/// digits with single underscores between them. `None` where Python raises
/// `ValueError`; a value beyond `i64` saturates (Python's is unbounded).
pub(crate) fn int(s: &str) -> Option<i64> {
    let t = s.trim_matches(is_int_space);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = i64::from(decimal(c)?);
        value = value.saturating_mul(10).saturating_add(d);
    }
    Some(if neg { -value } else { value })
}

/// `str.splitlines()` (no `keepends`): every line boundary Python knows.
pub(crate) fn splitlines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        out.push(&text[start..i]);
        let mut next = i + c.len_utf8();
        if c == '\r'
            && let Some(&(j, '\n')) = chars.peek()
        {
            chars.next();
            next = j + 1;
        }
        start = next;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}
