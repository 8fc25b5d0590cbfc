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

mod analyze;
mod decode;
pub(crate) mod lex;
mod literal;
pub(crate) mod module;
mod name_aliases;

use super::DocstringClaims;
use analyze::Analyzer;
pub use decode::decode_source;
use decode::decode_with;
use lex::lex;
pub use literal::char_named;

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
    pub(crate) fn to_tuple(&self) -> Vec<String> {
        match self {
            Value::None => Vec::new(),
            Value::Str(s) => vec![s.clone()],
            Value::Tuple(v) | Value::List(v) => v.clone(),
        }
    }

    /// How the value would look in Python (for messages).
    pub(crate) fn describe(&self) -> &'static str {
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
    pub(crate) docstring_claims: DocstringClaims,
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
            .map(|d| crate::python::strip(d).to_owned())
            .unwrap_or_default()
    }
}

/// Why a file could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ScanError {
    /// 1-based line of the problem.
    pub(crate) line: u32,
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

fn count_newlines(s: &str) -> u32 {
    u32::try_from(s.bytes().filter(|&b| b == b'\n').count()).unwrap_or(u32::MAX / 2)
}

/// Scan one revision file's bytes.
pub fn scan(source: &[u8]) -> Result<Scanned, ScanError> {
    let mut invalid = Vec::new();
    let text = decode_with(source, Some(&mut invalid))?;
    scan_checked(&text, &invalid, false)
}

/// Like [`scan`], but watched names whose values are not literals are left
/// out (`None`) instead of being errors: the docstring and the literal
/// fields of a file whose other fields the import resolver decides.
pub(crate) fn scan_lenient(source: &[u8]) -> Result<Scanned, ScanError> {
    let mut invalid = Vec::new();
    let text = decode_with(source, Some(&mut invalid))?;
    scan_checked(&text, &invalid, true)
}

/// Scan already-decoded source text (newlines must be `\n`).
pub fn scan_str(src: &str) -> Result<Scanned, ScanError> {
    scan_checked(src, &[], false)
}

/// `invalid`: offsets (and lines) of replaced undecodable bytes, which are
/// only acceptable inside comments, as in CPython.
fn scan_checked(src: &str, invalid: &[(usize, u32)], lenient: bool) -> Result<Scanned, ScanError> {
    let mut a = Analyzer::new(src, !invalid.is_empty());
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
    a.finish(lenient)
}

#[cfg(test)]
mod tests;
