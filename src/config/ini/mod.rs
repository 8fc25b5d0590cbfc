//! A reader faithful to Python's `configparser.ConfigParser` with
//! `BasicInterpolation`, as Alembic uses it (defaults: `=`/`:` delimiters,
//! full-line `#`/`;` comments only, lower-cased option names, indented
//! continuation lines, strict duplicates, `[DEFAULT]`, lazy `%(name)s`
//! interpolation with `%%`).
//!
//! The parse loop mirrors `RawConfigParser._read` of CPython 3.11 statement by
//! statement, because the corner cases (which line is a continuation, when a
//! blank line belongs to a value, which error wins) only come out the same if
//! the same decisions are taken in the same order. `tests/integration/ini_differential.rs`
//! checks this against Python itself on generated inputs.
//!
//! Whitespace is Python's (`crate::python::is_space`, which unlike Rust's
//! `char::is_whitespace` includes `\x1c`–`\x1f`), and indentation is counted
//! in characters, as Python does.

use std::collections::HashSet;
use std::path::Path;

use crate::python;

mod error;

pub use error::{IniError, IniErrorKind};

/// `configparser.MAX_INTERPOLATION_DEPTH`.
pub(crate) const MAX_INTERPOLATION_DEPTH: usize = 10;

/// The name of the section whose options every other section sees.
pub(crate) const DEFAULT_SECTION: &str = "DEFAULT";

/// One option as read: lower-cased name, joined raw value, line of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: String,
    value: String,
    /// 1-based line of the `key = value` line; `None` for injected defaults.
    line: Option<usize>,
}

/// A section (or the defaults): options in first-insertion order, like a
/// Python `dict`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Options {
    entries: Vec<Entry>,
}

impl Options {
    fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// `dict[key] = value`: replaces in place, keeping the first position.
    fn set(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.name == entry.name) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
    }
}

/// A parsed ini file: `[DEFAULT]` options plus the named sections in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ini {
    source: String,
    defaults: Options,
    sections: Vec<(String, Options)>,
}

impl Ini {
    /// Read `path` like `ConfigParser(defaults).read([path], encoding="locale")`
    /// with a UTF-8 locale. A file that cannot be opened is silently skipped,
    /// as Python does: `Ok(None)`. `source` is the name used in messages.
    pub(crate) fn read(
        path: &Path,
        source: &str,
        defaults: &[(&str, &str)],
    ) -> Result<Option<Ini>, IniError> {
        let Ok(bytes) = std::fs::read(path) else {
            return Ok(None);
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                let offset = e.valid_up_to();
                return Err(IniError {
                    source: source.to_owned(),
                    kind: Box::new(IniErrorKind::Decode {
                        offset,
                        line: 1 + bytes
                            .get(..offset)
                            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()),
                        byte: bytes.get(offset).copied().unwrap_or(0),
                    }),
                });
            }
        };
        Ini::parse(text, source, defaults).map(Some)
    }

    /// Parse `text` like `ConfigParser(defaults)` reading a file named
    /// `source` (universal newlines). A UTF-8 BOM is *not* skipped, as in Python.
    pub fn parse(text: &str, source: &str, defaults: &[(&str, &str)]) -> Result<Ini, IniError> {
        let err = |kind| IniError {
            source: source.to_owned(),
            kind: Box::new(kind),
        };
        let mut ini = Ini {
            source: source.to_owned(),
            defaults: Options::default(),
            sections: Vec::new(),
        };
        for (k, v) in defaults {
            ini.defaults.set(Entry {
                name: python::lower(k),
                value: (*v).to_owned(),
                line: None,
            });
        }
        // Values are collected as lists of lines and joined at the end, like
        // Python; `None` marks the current section as `[DEFAULT]`.
        let mut pieces: Vec<(Option<usize>, String, Vec<String>, usize)> = Vec::new();
        let mut cursect: Option<Option<usize>> = None;
        let mut sectname = String::new();
        let mut optname: Option<String> = None;
        let mut indent_level = 0usize;
        let mut bad_lines: Vec<(usize, String)> = Vec::new();
        let mut added: HashSet<(String, String)> = HashSet::new();
        let find_piece = |pieces: &mut Vec<(Option<usize>, String, Vec<String>, usize)>,
                          sect: Option<usize>,
                          name: &str|
         -> Option<usize> {
            pieces
                .iter()
                .position(|(s, n, _, _)| *s == sect && n == name)
        };

        for (idx, (content, terminated)) in split_lines(text).into_iter().enumerate() {
            let lineno = idx + 1;
            let stripped = python::strip(content);
            let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
            let value = if is_comment { "" } else { stripped };
            if value.is_empty() {
                // Blank lines belong to a value in progress (empty_lines_in_values);
                // comment lines never do.
                if !is_comment
                    && let (Some(sect), Some(name)) = (cursect, optname.as_deref())
                    && !name.is_empty()
                    && let Some(i) = find_piece(&mut pieces, sect, name)
                    && let Some(p) = pieces.get_mut(i)
                {
                    p.2.push(String::new());
                }
                continue;
            }
            let cur_indent = content.chars().take_while(|c| python::is_space(*c)).count();
            if let (Some(sect), Some(name)) = (cursect, optname.as_deref())
                && !name.is_empty()
                && cur_indent > indent_level
            {
                if let Some(i) = find_piece(&mut pieces, sect, name)
                    && let Some(p) = pieces.get_mut(i)
                {
                    p.2.push(value.to_owned());
                }
                continue;
            }
            indent_level = cur_indent;
            let line_text = || {
                let mut t = content.to_owned();
                if terminated {
                    t.push('\n');
                }
                t
            };
            if let Some(header) = section_header(value) {
                if header == DEFAULT_SECTION {
                    cursect = Some(None);
                } else if ini.sections.iter().any(|(n, _)| n == header) {
                    return Err(err(IniErrorKind::DuplicateSection {
                        line: lineno,
                        section: header.to_owned(),
                    }));
                } else {
                    ini.sections.push((header.to_owned(), Options::default()));
                    cursect = Some(Some(ini.sections.len() - 1));
                }
                sectname = header.to_owned();
                optname = None;
            } else if cursect.is_none() {
                return Err(err(IniErrorKind::MissingSectionHeader {
                    line: lineno,
                    text: line_text(),
                }));
            } else if let Some((name, val)) = split_option(value) {
                if name.is_empty() {
                    bad_lines.push((lineno, line_text()));
                }
                let name = python::lower(python::rstrip(name));
                let key = (sectname.clone(), name.clone());
                if added.contains(&key) {
                    return Err(err(IniErrorKind::DuplicateOption {
                        line: lineno,
                        section: sectname.clone(),
                        option: name,
                    }));
                }
                added.insert(key);
                let sect = cursect.unwrap_or(None);
                let piece = (
                    sect,
                    name.clone(),
                    vec![python::strip(val).to_owned()],
                    lineno,
                );
                match find_piece(&mut pieces, sect, &name) {
                    Some(i) => {
                        if let Some(p) = pieces.get_mut(i) {
                            *p = piece;
                        }
                    }
                    None => pieces.push(piece),
                }
                optname = Some(name);
            } else {
                bad_lines.push((lineno, line_text()));
            }
        }

        // Options go into their dicts in first-assignment order; since only
        // the injected defaults can be reassigned, that is piece order.
        for (sect, name, lines, line) in pieces {
            let entry = Entry {
                name,
                value: python::rstrip(&lines.join("\n")).to_owned(),
                line: Some(line),
            };
            match sect {
                None => ini.defaults.set(entry),
                Some(i) => {
                    if let Some((_, opts)) = ini.sections.get_mut(i) {
                        opts.set(entry);
                    }
                }
            }
        }
        if !bad_lines.is_empty() {
            return Err(err(IniErrorKind::Parsing { lines: bad_lines }));
        }
        Ok(ini)
    }

    /// Section names in file order, without `DEFAULT` (`ConfigParser.sections()`).
    pub fn sections(&self) -> Vec<&str> {
        self.sections.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// `ConfigParser.has_section`: `DEFAULT` does not count.
    pub fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|(n, _)| n == section)
    }

    /// `ConfigParser.has_option`: the section's own options or `[DEFAULT]`'s.
    /// An empty section name or `DEFAULT` asks about the defaults alone.
    pub fn has_option(&self, section: &str, option: &str) -> bool {
        let option = python::lower(option);
        if section.is_empty() || section == DEFAULT_SECTION {
            return self.defaults.get(&option).is_some();
        }
        match self.section(section) {
            None => false,
            Some(opts) => opts.get(&option).is_some() || self.defaults.get(&option).is_some(),
        }
    }

    /// Option names of `[DEFAULT]` in order (`ConfigParser.defaults().keys()`).
    pub fn default_options(&self) -> Vec<&str> {
        self.defaults
            .entries
            .iter()
            .map(|e| e.name.as_str())
            .collect()
    }

    /// `ConfigParser.options(section)`: the section's names, then the
    /// defaults' names not already listed.
    pub fn options(&self, section: &str) -> Result<Vec<&str>, IniError> {
        let opts = self.section(section).ok_or_else(|| {
            self.error(IniErrorKind::NoSection {
                section: section.to_owned(),
            })
        })?;
        let mut names: Vec<&str> = opts.entries.iter().map(|e| e.name.as_str()).collect();
        for e in &self.defaults.entries {
            if !names.contains(&e.name.as_str()) {
                names.push(&e.name);
            }
        }
        Ok(names)
    }

    /// The raw (uninterpolated) value, `ConfigParser.get(..., raw=True)`;
    /// `None` if the section or option does not exist.
    pub fn get_raw(&self, section: &str, option: &str) -> Option<&str> {
        let option = python::lower(option);
        self.lookup(section, &option)
            .ok()
            .flatten()
            .map(|e| e.value.as_str())
    }

    /// `ConfigParser.get(section, option)` with `BasicInterpolation`.
    pub fn get(&self, section: &str, option: &str) -> Result<String, IniError> {
        let option = python::lower(option);
        let entry = self.lookup(section, &option)?.ok_or_else(|| {
            self.error(IniErrorKind::NoOption {
                section: section.to_owned(),
                option: option.clone(),
            })
        })?;
        self.interpolate(section, &option, entry)
    }

    /// `ConfigParser.get(section, option, fallback=None)`: `Ok(None)` when the
    /// section or the option is missing; interpolation errors still surface.
    pub fn get_fallback(&self, section: &str, option: &str) -> Result<Option<String>, IniError> {
        let option = python::lower(option);
        match self.lookup(section, &option) {
            Ok(Some(entry)) => self.interpolate(section, &option, entry).map(Some),
            Ok(None) | Err(_) => Ok(None),
        }
    }

    /// `ConfigParser.items(section)`: defaults first, then the section's own
    /// options, every value interpolated; the first error wins.
    pub fn items(&self, section: &str) -> Result<Vec<(String, String)>, IniError> {
        let own = if section == DEFAULT_SECTION {
            None
        } else {
            Some(self.section(section).ok_or_else(|| {
                self.error(IniErrorKind::NoSection {
                    section: section.to_owned(),
                })
            })?)
        };
        let mut names: Vec<&str> = self
            .defaults
            .entries
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        if let Some(opts) = own {
            for e in &opts.entries {
                if !names.contains(&e.name.as_str()) {
                    names.push(&e.name);
                }
            }
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let value = self.get(section, name)?;
            out.push((name.to_owned(), value));
        }
        Ok(out)
    }

    fn error(&self, kind: IniErrorKind) -> IniError {
        IniError {
            source: self.source.clone(),
            kind: Box::new(kind),
        }
    }

    fn section(&self, name: &str) -> Option<&Options> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, o)| o)
    }

    /// `_unify_values` + lookup: section first, then defaults. `Err` when the
    /// section does not exist (and is not `DEFAULT`).
    fn lookup(&self, section: &str, option: &str) -> Result<Option<&Entry>, IniError> {
        let own = match self.section(section) {
            Some(o) => Some(o),
            None if section == DEFAULT_SECTION => None,
            None => {
                return Err(self.error(IniErrorKind::NoSection {
                    section: section.to_owned(),
                }));
            }
        };
        Ok(own
            .and_then(|o| o.get(option))
            .or_else(|| self.defaults.get(option)))
    }

    fn interpolate(&self, section: &str, option: &str, entry: &Entry) -> Result<String, IniError> {
        let ctx = Interp {
            ini: self,
            own: self.section(section),
            section,
            option,
            entry,
        };
        let mut out = String::new();
        ctx.some(&entry.value, 1, &mut out)
            .map_err(|kind| self.error(kind))?;
        Ok(out)
    }
}

/// One `before_get` call: the option being read and where to look names up.
struct Interp<'a> {
    ini: &'a Ini,
    own: Option<&'a Options>,
    section: &'a str,
    option: &'a str,
    entry: &'a Entry,
}

impl Interp<'_> {
    /// `BasicInterpolation._interpolate_some`, left to right so that the
    /// first error in the text is the one reported, as in Python.
    fn some(&self, rest: &str, depth: usize, out: &mut String) -> Result<(), IniErrorKind> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(IniErrorKind::InterpolationDepth {
                line: self.entry.line,
                section: self.section.to_owned(),
                option: self.option.to_owned(),
                raw: self.entry.value.clone(),
            });
        }
        let mut rest = rest;
        while !rest.is_empty() {
            let Some(p) = rest.find('%') else {
                out.push_str(rest);
                return Ok(());
            };
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            let after = &rest[1..];
            if let Some(tail) = after.strip_prefix('%') {
                out.push('%');
                rest = tail;
            } else if let Some(inner) = after.strip_prefix('(') {
                // `%\(([^)]+)\)s`
                let name_end = inner.find(')').filter(|q| *q > 0);
                let Some(q) = name_end.filter(|q| inner[q + 1..].starts_with('s')) else {
                    return Err(self.syntax(format!(
                        "bad interpolation variable reference {}",
                        python::repr(rest)
                    )));
                };
                let var = python::lower(&inner[..q]);
                rest = &inner[q + 2..];
                let found = self
                    .own
                    .and_then(|o| o.get(&var))
                    .or_else(|| self.ini.defaults.get(&var));
                let Some(v) = found else {
                    return Err(IniErrorKind::InterpolationMissingOption {
                        line: self.entry.line,
                        section: self.section.to_owned(),
                        option: self.option.to_owned(),
                        raw: self.entry.value.clone(),
                        reference: var,
                    });
                };
                if v.value.contains('%') {
                    self.some(&v.value, depth + 1, out)?;
                } else {
                    out.push_str(&v.value);
                }
            } else {
                return Err(self.syntax(format!(
                    "'%' must be followed by '%' or '(', found: {}",
                    python::repr(rest)
                )));
            }
        }
        Ok(())
    }

    fn syntax(&self, message: String) -> IniErrorKind {
        IniErrorKind::InterpolationSyntax {
            line: self.entry.line,
            section: self.section.to_owned(),
            option: self.option.to_owned(),
            message,
        }
    }
}

/// Lines as Python's text-mode iteration yields them: split on `\n`, `\r\n`
/// and `\r` (universal newlines) only; the flag says whether a line ended in
/// a newline (it then carries `\n` in Python's error messages).
fn split_lines(text: &str) -> Vec<(&str, bool)> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') => {
                lines.push((&text[start..i], true));
                i += 1;
                start = i;
            }
            Some(b'\r') => {
                lines.push((&text[start..i], true));
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push((&text[start..], false));
    }
    lines
}

/// `SECTCRE.match`: `\[(?P<header>.+)\]` anchored at the start only, `.+`
/// greedy, so the header runs to the *last* `]` and anything after it is ignored.
fn section_header(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('[')?;
    let last = inner.rfind(']').filter(|i| *i > 0)?;
    Some(&inner[..last])
}

/// `OPTCRE`: `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$` — split at the
/// first `=` or `:`, whichever comes first.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let d = value.find(['=', ':'])?;
    let name = python::rstrip(&value[..d]);
    let rest = value[d + 1..].trim_start_matches(python::is_space);
    Some((name, rest))
}

#[cfg(test)]
mod tests;
