//! [`IniError`]: what configparser would raise, and how db-status says it.

use std::fmt;

use super::MAX_INTERPOLATION_DEPTH;
use crate::python;

/// What went wrong, one variant per Python exception class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IniErrorKind {
    /// `MissingSectionHeaderError`: an option or text before the first `[section]`.
    MissingSectionHeader {
        /// 1-based line number.
        line: usize,
        /// The line as Python saw it (with its `\n`, if any).
        text: String,
    },
    /// `ParsingError`: lines that are neither header, option, comment nor continuation.
    Parsing {
        /// `(line number, line text with its "\n")` for every bad line.
        lines: Vec<(usize, String)>,
    },
    /// `DuplicateSectionError` (strict mode).
    DuplicateSection {
        /// 1-based line of the second header.
        line: usize,
        /// The section name.
        section: String,
    },
    /// `DuplicateOptionError` (strict mode).
    DuplicateOption {
        /// 1-based line of the second occurrence.
        line: usize,
        /// The section name.
        section: String,
        /// The (lower-cased) option name.
        option: String,
    },
    /// `InterpolationSyntaxError`: a `%` not followed by `%` or `(name)s`.
    InterpolationSyntax {
        /// Line of the option whose value was being read, if known.
        line: Option<usize>,
        /// The section name.
        section: String,
        /// The option name.
        option: String,
        /// Python's message.
        message: String,
    },
    /// `InterpolationMissingOptionError`: `%(name)s` names an unknown option.
    InterpolationMissingOption {
        /// Line of the option whose value was being read, if known.
        line: Option<usize>,
        /// The section name.
        section: String,
        /// The option name.
        option: String,
        /// The raw value of the option.
        raw: String,
        /// The (lower-cased) name that could not be found.
        reference: String,
    },
    /// `InterpolationDepthError`: references nested deeper than
    /// `MAX_INTERPOLATION_DEPTH` (usually a reference cycle).
    InterpolationDepth {
        /// Line of the option whose value was being read, if known.
        line: Option<usize>,
        /// The section name.
        section: String,
        /// The option name.
        option: String,
        /// The raw value of the option.
        raw: String,
    },
    /// `NoSectionError`.
    NoSection {
        /// The section asked for.
        section: String,
    },
    /// `NoOptionError`.
    NoOption {
        /// The section asked for.
        section: String,
        /// The (lower-cased) option asked for.
        option: String,
    },
    /// `UnicodeDecodeError`: the file is not UTF-8.
    Decode {
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        /// The invalid byte.
        byte: u8,
    },
}

/// An error from reading or querying an ini file, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniError {
    /// The file name as given (e.g. `alembic.ini`).
    pub(crate) source: String,
    /// What went wrong (boxed: errors are rare, `Result`s are everywhere).
    pub(crate) kind: Box<IniErrorKind>,
}

impl IniError {
    /// The Python exception class name, e.g. `DuplicateOptionError`.
    pub fn python_type(&self) -> &'static str {
        match &*self.kind {
            IniErrorKind::MissingSectionHeader { .. } => "MissingSectionHeaderError",
            IniErrorKind::Parsing { .. } => "ParsingError",
            IniErrorKind::DuplicateSection { .. } => "DuplicateSectionError",
            IniErrorKind::DuplicateOption { .. } => "DuplicateOptionError",
            IniErrorKind::InterpolationSyntax { .. } => "InterpolationSyntaxError",
            IniErrorKind::InterpolationMissingOption { .. } => "InterpolationMissingOptionError",
            IniErrorKind::InterpolationDepth { .. } => "InterpolationDepthError",
            IniErrorKind::NoSection { .. } => "NoSectionError",
            IniErrorKind::NoOption { .. } => "NoOptionError",
            IniErrorKind::Decode { .. } => "UnicodeDecodeError",
        }
    }

    /// `str(exception)` as Python would print it (the file named as a plain
    /// string, where Alembic's traceback would show `PosixPath('…')`).
    pub fn python_message(&self) -> String {
        let src = python::repr(&self.source);
        match &*self.kind {
            IniErrorKind::MissingSectionHeader { line, text } => format!(
                "File contains no section headers.\nfile: {src}, line: {line}\n{}",
                python::repr(text)
            ),
            IniErrorKind::Parsing { lines } => {
                let mut m = format!("Source contains parsing errors: {src}");
                for (n, text) in lines {
                    m.push_str(&format!("\n\t[line {n:2}]: {}", python::repr(text)));
                }
                m
            }
            IniErrorKind::DuplicateSection { line, section } => format!(
                "While reading from {src} [line {line:2}]: section {} already exists",
                python::repr(section)
            ),
            IniErrorKind::DuplicateOption {
                line,
                section,
                option,
            } => format!(
                "While reading from {src} [line {line:2}]: option {} in section {} already exists",
                python::repr(option),
                python::repr(section)
            ),
            IniErrorKind::InterpolationSyntax { message, .. } => message.clone(),
            IniErrorKind::InterpolationMissingOption {
                section,
                option,
                raw,
                reference,
                ..
            } => format!(
                "Bad value substitution: option {} in section {} contains an interpolation key {} \
                 which is not a valid option name. Raw value: {}",
                python::repr(option),
                python::repr(section),
                python::repr(reference),
                python::repr(raw)
            ),
            IniErrorKind::InterpolationDepth {
                section,
                option,
                raw,
                ..
            } => format!(
                "Recursion limit exceeded in value substitution: option {} in section {} contains \
                 an interpolation key which cannot be substituted in {MAX_INTERPOLATION_DEPTH} steps. \
                 Raw value: {}",
                python::repr(option),
                python::repr(section),
                python::repr(raw)
            ),
            IniErrorKind::NoSection { section } => format!("No section: {}", python::repr(section)),
            IniErrorKind::NoOption { section, option } => format!(
                "No option {} in section: {}",
                python::repr(option),
                python::repr(section)
            ),
            IniErrorKind::Decode { offset, byte, .. } => format!(
                "'utf-8' codec can't decode byte {byte:#04x} in position {offset}: invalid utf-8"
            ),
        }
    }

    /// What is wrong, without quoting the value or any part of it (a
    /// `sqlalchemy.url` may hold a password): the line, what configparser
    /// objects to, its exception class, and what to do.
    pub(crate) fn without_value(&self) -> String {
        let what = match &*self.kind {
            IniErrorKind::InterpolationSyntax { .. } => {
                "a '%' is followed by neither '%' nor '(name)s'; write a literal '%' as '%%'"
                    .to_owned()
            }
            IniErrorKind::InterpolationMissingOption { section, .. } => format!(
                "a %(name)s reference names no option of section [{section}] or [DEFAULT]; \
                 define it there, or write a literal '%' as '%%'"
            ),
            IniErrorKind::InterpolationDepth { .. } => format!(
                "its %(name)s references nest deeper than {MAX_INTERPOLATION_DEPTH} levels \
                 (usually a reference cycle); break the cycle"
            ),
            _ => self.hint(),
        };
        let line = self
            .line()
            .map(|n| format!("line {n}: "))
            .unwrap_or_default();
        format!(
            "{line}{what} (configparser.{}; the value is not shown, it may hold a password)",
            self.python_type()
        )
    }

    /// The line the error points at, if any.
    pub fn line(&self) -> Option<usize> {
        match &*self.kind {
            IniErrorKind::MissingSectionHeader { line, .. }
            | IniErrorKind::DuplicateSection { line, .. }
            | IniErrorKind::DuplicateOption { line, .. } => Some(*line),
            IniErrorKind::Parsing { lines } => lines.first().map(|(n, _)| *n),
            IniErrorKind::InterpolationSyntax { line, .. }
            | IniErrorKind::InterpolationMissingOption { line, .. }
            | IniErrorKind::InterpolationDepth { line, .. } => *line,
            IniErrorKind::Decode { line, .. } => Some(*line),
            IniErrorKind::NoSection { .. } | IniErrorKind::NoOption { .. } => None,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match &*self.kind {
            IniErrorKind::MissingSectionHeader { text, .. } if text.starts_with('\u{feff}') => {
                "the file starts with a UTF-8 byte-order mark, which Python's configparser (and so \
                 Alembic) does not accept; save the file as UTF-8 without BOM"
                    .to_owned()
            }
            IniErrorKind::MissingSectionHeader { .. } => {
                "put a section header such as `[alembic]` before the first option".to_owned()
            }
            IniErrorKind::Parsing { .. } => {
                "every non-comment line must be `[section]`, `key = value` (or `key: value`), \
                 or an indented continuation of the previous value"
                    .to_owned()
            }
            IniErrorKind::DuplicateSection { .. } => {
                "merge the two sections; Alembic refuses a section given twice".to_owned()
            }
            IniErrorKind::DuplicateOption { .. } => {
                "remove one of the two; option names are case-insensitive".to_owned()
            }
            IniErrorKind::InterpolationSyntax { .. } => {
                "write a literal '%' as '%%' (ini values are %-interpolated, e.g. `%(here)s`)"
                    .to_owned()
            }
            IniErrorKind::InterpolationMissingOption { reference, .. } => format!(
                "define '{reference}' in the same section or in [DEFAULT], or write a literal '%' as '%%' \
                 (e.g. `file_template = %%(rev)s_%%(slug)s`)"
            ),
            IniErrorKind::InterpolationDepth { .. } => {
                "the value refers to itself, directly or through other options; break the cycle"
                    .to_owned()
            }
            IniErrorKind::NoSection { .. } | IniErrorKind::NoOption { .. } => {
                "check the section name (`-n`) and the option name".to_owned()
            }
            IniErrorKind::Decode { .. } => "save the file as UTF-8".to_owned(),
        }
    }
}

impl fmt::Display for IniError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let located = matches!(
            *self.kind,
            IniErrorKind::InterpolationSyntax { .. }
                | IniErrorKind::InterpolationMissingOption { .. }
                | IniErrorKind::InterpolationDepth { .. }
                | IniErrorKind::NoSection { .. }
                | IniErrorKind::NoOption { .. }
                | IniErrorKind::Decode { .. }
        );
        if located {
            // Python's message does not name the file for these; ours does.
            write!(f, "{}", self.source)?;
            if let Some(line) = self.line() {
                write!(f, ", line {line}")?;
            }
            // Python's syntax-error text does not say which option it is.
            if let IniErrorKind::InterpolationSyntax {
                section, option, ..
            } = &*self.kind
            {
                write!(
                    f,
                    ", option {} in section {}",
                    python::repr(option),
                    python::repr(section)
                )?;
            }
            write!(f, ": ")?;
        }
        // What to do is [`IniError::hint`], said apart from the message.
        write!(
            f,
            "{} (configparser.{}; Alembic stops with a traceback here)",
            self.python_message(),
            self.python_type(),
        )
    }
}

impl std::error::Error for IniError {}
