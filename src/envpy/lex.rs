//! Splits `env.py` into logical lines of tokens, function bodies included
//! (the revision-file scanner in [`crate::scripts::scan`] deliberately
//! skips them). Only the token boundaries are decided here; string values
//! are decoded by the scanner (see [`super::literal`]).

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tk {
    /// An identifier or keyword.
    Name,
    /// A string literal, prefix and quotes included.
    Str,
    /// A number.
    Num,
    /// An operator or bracket.
    Op,
}

/// One token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'s> {
    pub(crate) kind: Tk,
    pub(crate) text: &'s str,
    pub(crate) line: u32,
}

impl Tok<'_> {
    /// Whether this is the operator or name `s`.
    pub(crate) fn is(&self, s: &str) -> bool {
        self.kind != Tk::Str && self.text == s
    }
}

/// One logical line (a statement; `;` splits them): its indentation (in
/// columns), its first line and its tokens.
#[derive(Debug, Clone)]
pub(crate) struct Line<'s> {
    pub(crate) indent: usize,
    pub(crate) line: u32,
    pub(crate) toks: Vec<Tok<'s>>,
}

const OPS3: [&str; 5] = ["**=", "//=", ">>=", "<<=", "..."];
const OPS2: [&str; 20] = [
    "==", "!=", "<=", ">=", ":=", "->", "+=", "-=", "*=", "/=", "%=", "@=", "&=", "|=", "^=", "**",
    "//", "<<", ">>", "<>",
];

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_cont(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Split `src` into logical lines. An unterminated string or bracket is an
/// error naming its line.
pub(crate) fn logical_lines(src: &str) -> Result<Vec<Line<'_>>, (u32, String)> {
    let b = src.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut toks: Vec<Tok<'_>> = Vec::new();
    let mut depth: Vec<u32> = Vec::new();
    let mut line = 1u32;
    let mut i = 0usize;
    let mut at_start = true;
    let mut indent = 0usize;
    let mut first = 1u32;
    while i < n {
        if at_start {
            let mut col = 0usize;
            while i < n && matches!(b[i], b' ' | b'\t' | 0x0c) {
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
                b'\n' | b'\r' => {
                    line += u32::from(b[i] == b'\n');
                    i += 1;
                    continue;
                }
                b'#' => {
                    while i < n && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                _ => {
                    at_start = false;
                    indent = col;
                    first = line;
                }
            }
        }
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
                if depth.is_empty() {
                    flush(&mut toks, &mut out, indent, first);
                    at_start = true;
                }
            }
            b' ' | b'\t' | 0x0c | b'\r' => i += 1,
            b'#' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\\' if b.get(i + 1) == Some(&b'\n') => {
                i += 2;
                line += 1;
            }
            b';' if depth.is_empty() => {
                flush(&mut toks, &mut out, indent, first);
                first = line;
                i += 1;
            }
            b'"' | b'\'' => {
                let (end, lines) = string_end(b, i, line)?;
                toks.push(Tok {
                    kind: Tk::Str,
                    text: &src[i..end],
                    line,
                });
                line += lines;
                i = end;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or(' ');
                if is_ident_start(ch) {
                    let start = i;
                    let mut j = i;
                    for c in src[i..].chars() {
                        if !is_ident_cont(c) {
                            break;
                        }
                        j += c.len_utf8();
                    }
                    let word = &src[start..j];
                    if word.len() <= 2
                        && matches!(b.get(j), Some(b'"' | b'\''))
                        && matches!(
                            word.to_ascii_lowercase().as_str(),
                            "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf"
                        )
                    {
                        let (end, lines) = string_end(b, j, line)?;
                        toks.push(Tok {
                            kind: Tk::Str,
                            text: &src[start..end],
                            line,
                        });
                        line += lines;
                        i = end;
                    } else {
                        toks.push(Tok {
                            kind: Tk::Name,
                            text: word,
                            line,
                        });
                        i = j;
                    }
                } else if ch.is_ascii_digit()
                    || (ch == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
                {
                    let start = i;
                    while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                        i += 1;
                    }
                    toks.push(Tok {
                        kind: Tk::Num,
                        text: &src[start..i],
                        line,
                    });
                } else {
                    let rest = &src[i..];
                    let len = OPS3
                        .iter()
                        .chain(OPS2.iter())
                        .find(|op| rest.starts_with(**op))
                        .map_or(ch.len_utf8(), |op| op.len());
                    match c {
                        b'(' | b'[' | b'{' => depth.push(line),
                        b')' | b']' | b'}' if depth.pop().is_none() => {
                            return Err((line, format!("unmatched '{}'", char::from(c))));
                        }
                        _ => {}
                    }
                    toks.push(Tok {
                        kind: Tk::Op,
                        text: &rest[..len],
                        line,
                    });
                    i += len;
                }
            }
        }
    }
    if let Some(open) = depth.last() {
        return Err((*open, "a bracket is never closed".to_string()));
    }
    flush(&mut toks, &mut out, indent, first);
    Ok(out)
}

fn flush<'s>(toks: &mut Vec<Tok<'s>>, out: &mut Vec<Line<'s>>, indent: usize, first: u32) {
    if !toks.is_empty() {
        out.push(Line {
            indent,
            line: first,
            toks: std::mem::take(toks),
        });
    }
}

/// The end of the string whose opening quote is at `q`, and the newlines inside.
fn string_end(b: &[u8], q: usize, line: u32) -> Result<(usize, u32), (u32, String)> {
    let quote = b[q];
    let triple = b.get(q + 1) == Some(&quote) && b.get(q + 2) == Some(&quote);
    let mut j = q + if triple { 3 } else { 1 };
    let mut lines = 0u32;
    loop {
        let Some(&c) = b.get(j) else {
            return Err((line, "unterminated string literal".to_string()));
        };
        match c {
            b'\\' => {
                lines += u32::from(b.get(j + 1) == Some(&b'\n'));
                j += 2;
            }
            b'\n' if !triple => return Err((line, "unterminated string literal".to_string())),
            b'\n' => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<(usize, u32, Vec<String>)> {
        logical_lines(src)
            .expect("lex")
            .into_iter()
            .map(|l| {
                (
                    l.indent,
                    l.line,
                    l.toks.iter().map(|t| t.text.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn lines_brackets_strings_and_indentation() {
        let got = texts(
            "import os  # c\ndef f():\n    x = (1,\n      'a\\'b')\n    y = \"\"\"\nz\"\"\"; g()\n\tq = r'x'\n",
        );
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                (0, 1, s(&["import", "os"])),
                (0, 2, s(&["def", "f", "(", ")", ":"])),
                (4, 3, s(&["x", "=", "(", "1", ",", "'a\\'b'", ")"])),
                (4, 5, s(&["y", "=", "\"\"\"\nz\"\"\""])),
                (4, 6, s(&["g", "(", ")"])),
                (8, 7, s(&["q", "=", "r'x'"])),
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(logical_lines("a = (\n1\n").expect_err("open").0, 1);
        assert_eq!(logical_lines("\nb = 'x\n").expect_err("str").0, 2);
        assert_eq!(logical_lines("c = )\n").expect_err("close").0, 1);
    }
}
