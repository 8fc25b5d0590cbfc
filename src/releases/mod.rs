//! Release awareness: which release each revision ships in, read from the
//! `# Part of:` comment Backend.AI writes beside a migration's identifiers
//! (`# Part of: 26.4.6`, `# Part of: 26.3.0 (main)`,
//! `# Part of: 26.4.6 (backport), 26.7.0 (main)`, `# Part of: NEXT_RELEASE_VERSION`),
//! and what a database upgraded along a release branch skipped ([`dump`]).
//!
//! A comment is not a value: the scanner never sees it, so this module reads
//! it as text, in the lines next to the identifiers the scanner found
//! ([`crate::scripts::FieldLines`]): the module's header, that is the
//! comment lines between the docstring and the first identifier, the
//! identifiers' own trailing comments, and the comment lines below them up
//! to the first `def`/`class`/decorator or string literal spanning lines.
//!
//! Off unless set: `release_pattern = "…"` at the top of `db-status.toml`
//! (a regex with one group, the version list, matched against each comment),
//! or a Backend.AI checkout ([`crate::target::is_backend_ai`]), which gets
//! [`BACKEND_AI_PATTERN`].

pub(crate) mod dump;

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use crate::graph::{RevIdx, RevisionMap};
use crate::scripts::FieldLines;

/// What Backend.AI writes until the release is cut (`scripts/freeze_release_version.py` replaces it).
pub(crate) const UNRELEASED_MARKER: &str = "NEXT_RELEASE_VERSION";

/// The comment pattern in a Backend.AI checkout.
pub(crate) const BACKEND_AI_PATTERN: &str = r"^#\s*Part of:\s*(.+?)\s*$";

/// How a revision belongs to a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum ReleaseKind {
    /// Shipped on the main line (`26.7.0 (main)`, or a version without a mark).
    Main,
    /// Backported to a release branch (`26.4.6 (backport)`).
    Backport,
    /// Not released yet (`NEXT_RELEASE_VERSION`).
    Unreleased,
}

impl ReleaseKind {
    /// Stable name used in JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReleaseKind::Main => "main",
            ReleaseKind::Backport => "backport",
            ReleaseKind::Unreleased => "unreleased",
        }
    }
}

/// One release a revision is part of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Release {
    /// The version (`None` for [`ReleaseKind::Unreleased`]).
    pub(crate) version: Option<String>,
    /// Main line, backport or unreleased.
    pub(crate) kind: ReleaseKind,
}

/// Whether any of `releases` is a released version (the rule "do not edit a
/// released migration" applies).
pub(crate) fn is_released(releases: &[Release]) -> bool {
    releases.iter().any(|r| r.kind != ReleaseKind::Unreleased)
}

/// Whether the revision is marked unreleased and nothing else.
pub(crate) fn is_unreleased(releases: &[Release]) -> bool {
    !releases.is_empty() && !is_released(releases)
}

/// The release a revision is grouped under: its main-line version, else its
/// first version, else `unreleased`; `None` without a comment.
pub(crate) fn group_name(releases: &[Release]) -> Option<String> {
    let main = releases
        .iter()
        .find(|r| r.kind == ReleaseKind::Main && r.version.is_some());
    let any = releases.iter().find(|r| r.version.is_some());
    match main.or(any).and_then(|r| r.version.clone()) {
        Some(v) => Some(v),
        None if !releases.is_empty() => Some("unreleased".to_string()),
        None => None,
    }
}

/// For people: `26.4.6 (backport), 26.7.0` or `unreleased`.
pub(crate) fn describe(releases: &[Release]) -> String {
    let parts: Vec<String> = releases
        .iter()
        .map(|r| match (&r.version, r.kind) {
            (Some(v), ReleaseKind::Backport) => format!("{v} (backport)"),
            (Some(v), _) => v.clone(),
            (None, _) => "unreleased".to_string(),
        })
        .collect();
    parts.join(", ")
}

/// Parse the version list of a comment: `26.4.6 (backport), 26.7.0 (main)`.
pub(crate) fn parse_versions(value: &str) -> Vec<Release> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (version, mark) = match item.split_once('(') {
                Some((v, rest)) => (v.trim(), rest.trim_end_matches(')').trim()),
                None => (item, ""),
            };
            if version == UNRELEASED_MARKER || version.is_empty() {
                Release {
                    version: None,
                    kind: ReleaseKind::Unreleased,
                }
            } else {
                Release {
                    version: Some(version.to_string()),
                    kind: if mark.eq_ignore_ascii_case("backport") {
                        ReleaseKind::Backport
                    } else {
                        ReleaseKind::Main
                    },
                }
            }
        })
        .collect()
}

/// A compiled release-comment pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    regex: Regex,
}

impl Pattern {
    /// Compile `source`, which must have exactly one capture group (the version list).
    pub(crate) fn new(source: &str) -> Result<Pattern, String> {
        let regex =
            Regex::new(source).map_err(|e| format!("release_pattern is not a valid regex: {e}"))?;
        if regex.captures_len() != 2 {
            return Err(format!(
                "release_pattern must have exactly one group (the version), it has {}",
                regex.captures_len() - 1
            ));
        }
        Ok(Pattern { regex })
    }

    /// The Backend.AI pattern.
    pub(crate) fn backend_ai() -> Pattern {
        Pattern {
            regex: Regex::new(BACKEND_AI_PATTERN)
                .unwrap_or_else(|_| unreachable!("constant pattern")),
        }
    }

    /// The versions a comment (starting with `#`) declares, if it matches.
    pub(crate) fn releases_in(&self, comment: &str) -> Option<Vec<Release>> {
        let caps = self.regex.captures(comment.trim())?;
        Some(parse_versions(caps.get(1)?.as_str()))
    }
}

/// Where release comments are read, when they are.
#[derive(Debug, Clone, Default)]
pub(crate) enum Setting {
    /// No pattern: releases are not read.
    #[default]
    Off,
    /// Read with this pattern.
    On(Pattern),
}

impl Setting {
    /// The project's setting: `release_pattern` in the project file, else
    /// Backend.AI's pattern in a Backend.AI checkout, else off.
    pub(crate) fn resolve(configured: Option<&str>, backend_ai: bool) -> Result<Setting, String> {
        match configured {
            Some(src) => Pattern::new(src).map(Setting::On),
            None if backend_ai => Ok(Setting::On(Pattern::backend_ai())),
            None => Ok(Setting::Off),
        }
    }

    /// The pattern, when on.
    pub(crate) fn pattern(&self) -> Option<&Pattern> {
        match self {
            Setting::On(p) => Some(p),
            Setting::Off => None,
        }
    }
}

/// The text of the comment on a line (from `#`), skipping `#` inside strings.
fn comment_of(line: &str) -> Option<&str> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '#' => return line.get(i..),
                '\'' | '"' => quote = Some(c),
                _ => {}
            },
        }
    }
    None
}

/// A line that ends the module-level header (code below the identifiers).
fn ends_header(line: &str) -> bool {
    ["def ", "async def ", "class ", "@"]
        .iter()
        .any(|p| line.starts_with(p))
}

/// The releases declared beside the identifiers of one revision file.
/// Empty when there is no matching comment (or no identifier line).
pub(crate) fn read_text(text: &str, lines: &FieldLines, pattern: &Pattern) -> Vec<Release> {
    let marks = [
        lines.revision,
        lines.down_revision,
        lines.branch_labels,
        lines.depends_on,
    ];
    let Some(first) = marks.iter().copied().filter(|&l| l > 0).min() else {
        return Vec::new();
    };
    let all: Vec<&str> = text.lines().collect();
    let first = first as usize - 1;
    let mut found = Vec::new();
    let mut take = |line: &str| {
        if let Some(found_here) = comment_of(line).and_then(|c| pattern.releases_in(c)) {
            for r in found_here {
                if !found.contains(&r) {
                    found.push(r);
                }
            }
        }
    };
    // Module-level comment lines above the first identifier, up to the
    // docstring (the first line above that holds a triple quote).
    let mut above = first;
    while above > 0
        && all
            .get(above - 1)
            .is_some_and(|l| !l.contains("\"\"\"") && !l.contains("'''"))
    {
        above -= 1;
    }
    for line in all.get(above..first).unwrap_or(&[]) {
        if line.starts_with('#') {
            take(line);
        }
    }
    // The identifiers and the comments below them, up to the first definition.
    for line in all.get(first..).unwrap_or(&[]) {
        if ends_header(line) || line.contains("\"\"\"") || line.contains("'''") {
            break;
        }
        let trimmed = line.trim_start();
        let module_level = trimmed.len() == line.len();
        if trimmed.starts_with('#') || module_level {
            take(line);
        }
    }
    found
}

/// Each revision's releases, by revision index (empty lists when off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReleaseTable {
    by_idx: Vec<Vec<Release>>,
    /// Files whose comments could not be read (path: reason).
    pub(crate) unreadable: Vec<String>,
}

impl ReleaseTable {
    /// Read every revision file of `map` with `pattern`.
    pub(crate) fn read(map: &RevisionMap, pattern: &Pattern) -> ReleaseTable {
        let mut table = ReleaseTable::default();
        for idx in 0..map.len() {
            let script = map.script(idx);
            let releases = match std::fs::read(&script.path) {
                Ok(bytes) => read_text(&String::from_utf8_lossy(&bytes), &script.lines, pattern),
                Err(e) => {
                    table
                        .unreadable
                        .push(format!("{}: {e}", script.path.display()));
                    Vec::new()
                }
            };
            table.by_idx.push(releases);
        }
        table
    }

    /// A table from known releases.
    #[cfg(test)]
    pub(crate) fn from_lists(by_idx: Vec<Vec<Release>>) -> ReleaseTable {
        ReleaseTable {
            by_idx,
            unreadable: Vec::new(),
        }
    }

    /// The releases of revision `idx` (empty when unknown).
    pub(crate) fn of(&self, idx: RevIdx) -> &[Release] {
        self.by_idx.get(idx).map_or(&[], Vec::as_slice)
    }

    /// Whether any revision carries a release comment (the project uses them).
    pub(crate) fn any(&self) -> bool {
        self.by_idx.iter().any(|r| !r.is_empty())
    }
}

/// What a component's scripts say about releases: each revision's release
/// comment and the release dumps beside the tree (read once per component).
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    /// Each revision's releases.
    pub(crate) table: ReleaseTable,
    /// The dumps in `revision_history/`, oldest first.
    pub(crate) dumps: Vec<dump::Dump>,
    /// Dumps that could not be read.
    pub(crate) dump_errors: Vec<dump::DumpError>,
    /// Why release comments are off although asked for (a bad `release_pattern`).
    pub(crate) setting_error: Option<String>,
}

impl Known {
    /// Read the release comments of `map` (when `setting` is on) and the
    /// dumps in `<script_location>/revision_history/`.
    pub(crate) fn read(map: &RevisionMap, setting: &Setting, script_location: &Path) -> Known {
        let (dumps, dump_errors) = dump::load_dir(&history_dir(script_location));
        Known {
            table: setting
                .pattern()
                .map(|p| ReleaseTable::read(map, p))
                .unwrap_or_default(),
            dumps,
            dump_errors,
            setting_error: None,
        }
    }
}

/// The run's release choices (command-line flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Request {
    /// `--from-release VERSION`: the release the database was upgraded along.
    pub(crate) from_release: Option<String>,
    /// `--production`: the databases serve production (so does a target labelled `env=prod`).
    pub(crate) production: bool,
}

/// What a target's verdict needs to know about releases.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// The component's release comments and dumps.
    pub(crate) known: std::sync::Arc<Known>,
    /// The run's choices.
    pub(crate) request: Request,
}

/// Whether a target's labels mark it as production (`env=prod` or `env=production`).
pub(crate) fn is_production_label(labels: &BTreeMap<String, String>) -> bool {
    labels
        .get("env")
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "prod" | "production"))
}

/// Counts of `releases` lists grouped by [`group_name`]: revisions without a
/// comment first (the older files), then each version in version order, then
/// `unreleased`.
pub(crate) fn group<'a>(
    lists: impl IntoIterator<Item = &'a [Release]>,
) -> Vec<(Option<String>, usize)> {
    type Key = (u8, Vec<(u64, String)>, Option<String>);
    let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
    for releases in lists {
        let name = group_name(releases);
        let key = match &name {
            None => (0, Vec::new(), None),
            Some(v) if is_unreleased(releases) => (2, Vec::new(), Some(v.clone())),
            Some(v) => (1, dump::version_key(v), Some(v.clone())),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((_, _, name), n)| (name, n))
        .collect()
}

/// `26.5.0: 37 migrations · 26.6.0: 14 · unreleased: 2 · no release comment: 5`.
pub(crate) fn describe_groups(groups: &[(Option<String>, usize)]) -> String {
    groups
        .iter()
        .enumerate()
        .map(|(i, (name, n))| {
            let name = name.as_deref().unwrap_or("no release comment");
            if i == 0 {
                format!("{name}: {n} migration{}", if *n == 1 { "" } else { "s" })
            } else {
                format!("{name}: {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `history --releases`: the history entries (newest first), with a line
/// `== 26.9.0 ==` (or `== unreleased ==`, `== no release comment ==`) above
/// each run of revisions of one release, so the boundaries stand out.
pub(crate) fn history(
    revs: &[RevIdx],
    table: &ReleaseTable,
    entry: impl Fn(RevIdx) -> String,
) -> String {
    let mut out = String::new();
    let mut last: Option<Option<String>> = None;
    for &r in revs {
        let group = group_name(table.of(r));
        if last.as_ref() != Some(&group) {
            out.push_str(&format!(
                "== {} ==\n",
                group.as_deref().unwrap_or("no release comment")
            ));
            last = Some(group);
        }
        out.push_str(&entry(r));
    }
    out
}

/// The `revision_history` directory beside a script directory.
pub(crate) fn history_dir(script_location: &Path) -> std::path::PathBuf {
    script_location.join("revision_history")
}

#[cfg(test)]
mod tests;
