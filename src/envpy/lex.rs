//! `env.py` as logical lines of tokens, function bodies included (the
//! revision-file scanner deliberately skips them). The tokens are the
//! revision-file scanner's ([`crate::scripts::scan::lex`]): one set of
//! Python's token rules. Here they only get their text, and `;` splits a
//! line into statements. String values are decoded by the scanner too.

use crate::scripts::scan::ScanError;
use crate::scripts::scan::lex::{K, Sink, Tok as ScanTok, lex, split_top};

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
    /// What it is.
    pub(crate) kind: Tk,
    /// Its text in the source.
    pub(crate) text: &'s str,
    /// 1-based line where it starts.
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
    /// Columns of indentation (a tab moves to the next multiple of 8).
    pub(crate) indent: usize,
    /// 1-based line where it starts.
    pub(crate) line: u32,
    /// Its tokens, never none.
    pub(crate) toks: Vec<Tok<'s>>,
}

/// Collects every logical line, none skipped, as [`Line`]s.
struct Lines<'s> {
    src: &'s str,
    out: Vec<Line<'s>>,
}

impl Sink for Lines<'_> {
    fn comment(&mut self, _from: usize, _to: usize) {}

    fn skippable(&self, _indent: usize) -> bool {
        false
    }

    fn line(&mut self, toks: &[ScanTok], indent: usize, _line: u32) -> Result<(), ScanError> {
        for stmt in split_top(toks, K::Semi) {
            let Some(first) = stmt.first() else { continue };
            let toks = stmt
                .iter()
                .map(|t| Tok {
                    kind: match t.kind {
                        K::Name => Tk::Name,
                        K::Str => Tk::Str,
                        K::Number => Tk::Num,
                        _ => Tk::Op,
                    },
                    text: self.src.get(t.start..t.end).unwrap_or(""),
                    line: t.line,
                })
                .collect();
            self.out.push(Line {
                indent,
                line: first.line,
                toks,
            });
        }
        Ok(())
    }
}

/// Split `src` into logical lines. Source CPython's tokenizer refuses (an
/// unterminated string or bracket, …) is an error naming its line.
pub(crate) fn logical_lines(src: &str) -> Result<Vec<Line<'_>>, (u32, String)> {
    let mut lines = Lines {
        src,
        out: Vec::new(),
    };
    lex(src, &mut lines).map_err(|e| (e.line, e.message))?;
    Ok(lines.out)
}

/// Whether `toks` starts with the names or operators `words`.
pub(super) fn starts(toks: &[Tok<'_>], words: &[&str]) -> bool {
    toks.len() >= words.len() && toks.iter().zip(words).all(|(t, w)| t.is(w))
}

/// The index after the bracket that closes the one at `open`.
pub(super) fn closing(toks: &[Tok<'_>], open: usize) -> usize {
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
pub(super) fn closing_free(toks: &[Tok<'_>]) -> bool {
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
pub(super) fn split_commas<'a, 's>(toks: &'a [Tok<'s>]) -> Vec<&'a [Tok<'s>]> {
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

/// `toks` without the parentheses that wrap all of it.
pub(super) fn strip_parens<'a, 's>(mut toks: &'a [Tok<'s>]) -> &'a [Tok<'s>] {
    while toks.len() >= 2
        && toks[0].is("(")
        && toks.last().is_some_and(|t| t.is(")"))
        && closing(toks, 0) == toks.len()
    {
        toks = &toks[1..toks.len() - 1];
    }
    toks
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
