//! `db-status check`: findings about the scripts alone (no database) for CI
//! and review: diverged heads, dangling links, duplicate ids, cycles, values
//! that cannot be read statically, bad merges, label clashes, docstring drift.
//!
//! Input: the [`Script`]s of one component (or the [`ScriptError`]s that kept
//! them from loading). Output: a list of [`Finding`]s, each anchored to a file
//! and line. [`RevisionMap::build`] stops at the first structural error, so
//! the structural checks run first in [`links`] over the raw scripts (all of
//! them, each with its line); the map is built only when that pass is clean,
//! and then gives heads, inherited labels and ancestry for [`heads`].

pub(crate) mod base;
pub(crate) mod diverged;
pub(crate) mod heads;
pub(crate) mod links;

use std::path::{Path, PathBuf};

use crate::error::Exit;
use crate::graph::RevisionMap;
use crate::graph::divergence::Edit;
use crate::scripts::{Script, ScriptError, ScriptErrorKind};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum Severity {
    /// Fails the check.
    Error,
    /// Reported; fails only with `--strict`.
    Warning,
}

impl Severity {
    /// Stable name used in every output format.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// What a finding is about. The names ([`Code::as_str`]) are stable: CI
/// configurations and the JSON output depend on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum Code {
    /// Heads that nothing tells apart (no label, or a shared label).
    DivergedHeads,
    /// A `down_revision` or `depends_on` that names no revision (or label).
    MissingRevision,
    /// Two files declare the same revision id.
    DuplicateRevision,
    /// Revisions that are their own ancestors.
    Cycle,
    /// A value the scanner cannot read without running Python.
    NotStatic,
    /// Python the scanner cannot follow.
    Syntax,
    /// No `revision` variable and no legacy hex file name.
    NoRevision,
    /// No `down_revision` variable.
    NoDownRevision,
    /// The file cannot be read at all.
    Io,
    /// A merge revision that lists an ancestor of another of its parents,
    /// beside two or more other parents: `alembic upgrade` to it fails.
    BadMerge,
    /// A merge revision that lists an ancestor of its only other parent:
    /// upgrades work, `downgrade -1` from it fails (a warning).
    RedundantParent,
    /// A branch label declared twice, or equal to a revision id.
    LabelClash,
    /// A revision id with a character Alembic forbids (`@ - + :`).
    BadIdentifier,
    /// `from M import *` in a revision file, with M not on the search path
    /// (taken to bind nothing; a warning).
    MissingModule,
    /// The docstring's `Revision ID:` line disagrees with `revision`.
    DocstringRevisionId,
    /// The docstring's `Revises:` line disagrees with `down_revision`.
    DocstringRevises,
    /// The configuration (ini, script_location) cannot be loaded.
    Config,
    /// Alembic's revision map refused the scripts for a reason not covered above.
    Graph,
    /// `--base`: a head the change adds.
    NewHead,
    /// `--base`: the `revision` or `down_revision` of a revision at the base changed.
    EditedRevision,
    /// `--base`: a revision at the base is gone.
    DeletedRevision,
    /// `--base`: a new migration without the release comment the project uses.
    MissingReleaseComment,
    /// `--base`: the base has revisions this branch has not merged in yet.
    BehindBase,
    /// `--base`: the base could not be read through git.
    Base,
}

impl Code {
    /// Stable kebab-case name (`error[diverged-heads]`, JSON `code`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::DivergedHeads => "diverged-heads",
            Code::MissingRevision => "missing-revision",
            Code::DuplicateRevision => "duplicate-revision",
            Code::Cycle => "cycle",
            Code::NotStatic => "not-static",
            Code::Syntax => "syntax",
            Code::NoRevision => "no-revision",
            Code::NoDownRevision => "no-down-revision",
            Code::Io => "unreadable-file",
            Code::BadMerge => "bad-merge",
            Code::RedundantParent => "redundant-parent",
            Code::LabelClash => "label-clash",
            Code::BadIdentifier => "bad-identifier",
            Code::MissingModule => "missing-module",
            Code::DocstringRevisionId => "docstring-revision-id",
            Code::DocstringRevises => "docstring-revises",
            Code::Config => "config",
            Code::Graph => "graph",
            Code::NewHead => "new-head",
            Code::EditedRevision => "edited-revision",
            Code::DeletedRevision => "deleted-revision",
            Code::MissingReleaseComment => "missing-release-comment",
            Code::BehindBase => "behind-base",
            Code::Base => "base",
        }
    }

    /// The code for an unreadable revision file.
    pub(crate) fn for_script_error(kind: ScriptErrorKind) -> Code {
        match kind {
            ScriptErrorKind::NoRevision => Code::NoRevision,
            ScriptErrorKind::NoDownRevision => Code::NoDownRevision,
            ScriptErrorKind::NotStatic => Code::NotStatic,
            ScriptErrorKind::Syntax => Code::Syntax,
            ScriptErrorKind::Io => Code::Io,
        }
    }
}

/// One thing `check` found, anchored to a file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// Error or warning.
    pub(crate) severity: Severity,
    /// What kind of finding.
    pub(crate) code: Code,
    /// One sentence for people; names revisions and files.
    pub(crate) message: String,
    /// The file to change (absolute), if the finding has one.
    pub(crate) file: Option<PathBuf>,
    /// 1-based line in `file` (0 when the finding concerns the whole file).
    pub(crate) line: u32,
    /// The change that resolves it, when there is a concrete one.
    pub(crate) fix: Option<String>,
    /// The same change as data, when it is a one-line edit.
    pub(crate) edit: Option<Edit>,
    /// The revisions the finding is about, when it names several (the diverged heads).
    pub(crate) revisions: Vec<String>,
}

impl Finding {
    /// An error finding.
    pub(crate) fn error(code: Code, file: Option<PathBuf>, line: u32, message: String) -> Finding {
        Finding::new(Severity::Error, code, file, line, message)
    }

    /// A warning finding.
    pub(crate) fn warning(
        code: Code,
        file: Option<PathBuf>,
        line: u32,
        message: String,
    ) -> Finding {
        Finding::new(Severity::Warning, code, file, line, message)
    }

    /// A finding without a fix, an edit or revisions.
    fn new(
        severity: Severity,
        code: Code,
        file: Option<PathBuf>,
        line: u32,
        message: String,
    ) -> Finding {
        Finding {
            severity,
            code,
            message,
            file,
            line,
            fix: None,
            edit: None,
            revisions: Vec::new(),
        }
    }

    /// The same finding with a fix attached.
    pub(crate) fn with_fix(mut self, fix: impl Into<String>) -> Finding {
        self.fix = Some(fix.into());
        self
    }

    /// The same finding with its fix as a one-line edit.
    pub(crate) fn with_edit(mut self, edit: Edit) -> Finding {
        self.edit = Some(edit);
        self
    }

    /// How this finding alone ends `check`: diverged for diverged heads,
    /// config-error for any other error, clean for a warning (config-error
    /// under `--strict`).
    pub(crate) fn exit(&self, strict: bool) -> Exit {
        match (self.severity, self.code) {
            (Severity::Error, Code::DivergedHeads) => Exit::Diverged,
            (Severity::Error, _) => Exit::ConfigError,
            (Severity::Warning, _) if strict => Exit::ConfigError,
            (Severity::Warning, _) => Exit::UpToDate,
        }
    }

    /// The exit code this finding alone calls for (see [`Finding::exit`]).
    pub(crate) fn exit_code(&self, strict: bool) -> u8 {
        self.exit(strict).code()
    }
}

/// What `check` found in one component.
#[derive(Debug, Clone, Default)]
pub(crate) struct ComponentCheck {
    /// Component name (`manager`, a custom name, or `default` for a bare `-c`).
    pub(crate) name: String,
    /// The ini (or pyproject.toml) the component was read from, if known.
    pub(crate) config: Option<PathBuf>,
    /// Number of revision files read.
    pub(crate) revisions: usize,
    /// Real heads (ids), in load order, when the map could be built.
    pub(crate) heads: Vec<String>,
    /// Findings, ordered by file, line and code.
    pub(crate) findings: Vec<Finding>,
    /// Which modules decided values that revision files import, and where
    /// they were found (printed on stderr).
    pub(crate) notes: Vec<String>,
}

impl ComponentCheck {
    /// This component's exit code: the largest its findings call for.
    pub(crate) fn exit_code(&self, strict: bool) -> u8 {
        self.findings
            .iter()
            .map(|f| f.exit_code(strict))
            .max()
            .unwrap_or(0)
    }

    /// Number of findings of a severity.
    pub(crate) fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Context the messages and fixes need.
#[derive(Debug, Clone, Default)]
pub(crate) struct FixContext {
    /// The Alembic command prefix as argv, e.g. `alembic -c alembic-appproxy.ini`.
    pub(crate) alembic: Vec<String>,
    /// The working directory: paths below it are shown relative to it.
    pub(crate) cwd: Option<PathBuf>,
}

impl FixContext {
    /// A path as messages show it: relative to the working directory when below it.
    pub(crate) fn show(&self, path: &Path) -> String {
        self.cwd
            .as_deref()
            .and_then(|cwd| path.strip_prefix(cwd).ok())
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Findings for files that could not be read (the scripts loader's errors).
pub(crate) fn unreadable_findings(errors: &[ScriptError]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = errors
        .iter()
        .map(|e| {
            Finding::error(
                Code::for_script_error(e.kind),
                Some(e.path.clone()),
                e.line,
                e.message.clone(),
            )
        })
        .collect();
    sort(&mut findings);
    findings
}

/// The findings that depend on one file alone (or on ids the readable files
/// declare), valid even when other files could not be read: duplicate ids,
/// forbidden characters, branch-label clashes, docstring drift.
pub(crate) fn file_local_findings(scripts: &[Script], ctx: &FixContext) -> Vec<Finding> {
    let mut findings: Vec<Finding> = links::check(scripts, ctx)
        .into_iter()
        .filter(|f| {
            matches!(
                f.code,
                Code::DuplicateRevision
                    | Code::BadIdentifier
                    | Code::LabelClash
                    | Code::DocstringRevisionId
                    | Code::DocstringRevises
            )
        })
        .collect();
    sort(&mut findings);
    findings
}

/// Every finding about a set of readable scripts, in load order: structural
/// checks first, then (when the map can be built) divergence and bad merges,
/// and docstring drift as warnings. Also returns the real heads when known.
pub(crate) fn analyze(scripts: &[Script], ctx: &FixContext) -> (Vec<Finding>, Vec<String>) {
    let mut findings = links::check(scripts, ctx);
    let structural = findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.code != Code::DuplicateRevision);
    let mut head_ids = Vec::new();
    if !structural {
        match RevisionMap::build(scripts.to_vec()) {
            Ok((map, _warnings)) => {
                head_ids = crate::graph::divergence::distinct_real_heads(&map)
                    .into_iter()
                    .map(|h| map.id(h).to_string())
                    .collect();
                findings.extend(heads::bad_merges(&map));
                findings.extend(diverged::findings(&map, ctx));
            }
            Err(e) => findings.push(Finding::error(
                Code::Graph,
                None,
                0,
                format!("Alembic's revision map refuses these scripts: {e}"),
            )),
        }
    }
    findings.extend(links::docstring_drift(scripts));
    sort(&mut findings);
    (findings, head_ids)
}

/// Order findings by file, line, then code, so output is stable and reads
/// top to bottom; file-less findings come last.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.file.is_none(), &a.file, a.line, a.code).cmp(&(
            b.file.is_none(),
            &b.file,
            b.line,
            b.code,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_by_severity_and_code() {
        let d = Finding::error(Code::DivergedHeads, None, 0, String::new());
        let e = Finding::error(Code::Cycle, None, 0, String::new());
        let w = Finding::warning(Code::DocstringRevises, None, 0, String::new());
        assert_eq!(d.exit_code(false), 4);
        assert_eq!(e.exit_code(false), 7);
        assert_eq!(w.exit_code(false), 0);
        assert_eq!(w.exit_code(true), 7);
        let c = ComponentCheck {
            findings: vec![w.clone(), d.clone()],
            ..Default::default()
        };
        assert_eq!(c.exit_code(false), 4);
        let c = ComponentCheck {
            findings: vec![d, e],
            ..Default::default()
        };
        assert_eq!(c.exit_code(false), 7);
    }
}
