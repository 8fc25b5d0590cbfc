//! The JSON status report (`--format json`): one document on stdout, and the
//! JSON form of a usage error. `docs/status.schema.json` describes both
//! (JSON Schema 2020-12); the tests validate every document they produce
//! against it. Never change a field's meaning silently: bump
//! `SCHEMA_VERSION`.
//!
//! # Shape
//!
//! ```text
//! {
//!   "schema_version": 1, "version": "0.1.0",
//!   "exit_code": 0,                 // the process exit code (largest of the components')
//!   "working_directory": "/abs",    // where the recommended commands run (the project root)
//!   "notes": ["…"],                 // said once for the whole run
//!   "components": [{
//!     "name", "labels": {}, "config", "script_location",
//!     "database": "postgresql://u:***@host/db", "url_source": "flag|env|project-file|env.py|ini|targets-file"|null,
//!     "version_table": {"name", "schema", "state": "missing|empty|rows"|null,
//!                       "source": "project-file|targets-file|ini|env.py|default",
//!                       "schema_source": same | null},
//!     "state", "exit_code", "title", "summary",
//!     "current": [Revision], "heads": [Revision],
//!     "pending": [Revision] | null, "pending_count": N | null,   // null where Alembic has no plan
//!     "unknown": ["…"], "tables": {"count", "names"} | null,
//!     "diverged": null | {"heads", "last_common_ancestor", "reason",
//!                         "fix": null | {"file", "line", "field", "from", "to"}},
//!     "error": null | {"kind", "message"},
//!     "recommended_actions": [{"text", "command": [argv] | null}],
//!     "notes": ["…"],
//!     "from_release": "24.09.8" | null,   // the release the database came from (given or inferred)
//!     "skipped": [Revision]               // revisions `alembic upgrade` will not run and that release lacks
//!   }]
//! }
//! Revision = {"revision", "message", "path", "releases": [{"version": "26.4.6"|null, "kind": "main|backport|unreleased"}]}
//! usage error: {"schema_version", "version", "exit_code": 2, "error": {"kind": "usage", "message"}}
//! ```

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::error::Error;
use crate::graph::divergence::Edit;
use crate::status::{Action, ComponentStatus, Report, Revision};

/// The version of the JSON documents' shape. Bumped on any change that is
/// not a new field.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The tool's version, as the documents carry it.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    version: &'static str,
    exit_code: u8,
    working_directory: Option<String>,
    notes: &'a [String],
    components: Vec<JsonComponent<'a>>,
}

#[derive(Serialize)]
struct JsonComponent<'a> {
    name: &'a str,
    labels: &'a BTreeMap<String, String>,
    config: Option<&'a str>,
    script_location: Option<&'a str>,
    database: Option<&'a str>,
    url_source: Option<&'static str>,
    version_table: JsonTable<'a>,
    state: &'static str,
    exit_code: u8,
    title: &'a str,
    summary: &'a str,
    current: Vec<JsonRevision<'a>>,
    heads: Vec<JsonRevision<'a>>,
    pending: Option<Vec<JsonRevision<'a>>>,
    pending_count: Option<usize>,
    unknown: &'a [String],
    tables: Option<JsonTables<'a>>,
    diverged: Option<JsonDiverged<'a>>,
    error: Option<JsonError<'a>>,
    recommended_actions: Vec<JsonAction<'a>>,
    notes: &'a [String],
    from_release: Option<&'a str>,
    skipped: Vec<JsonRevision<'a>>,
}

#[derive(Serialize)]
struct JsonTable<'a> {
    name: &'a str,
    schema: Option<&'a str>,
    state: Option<&'static str>,
    source: &'static str,
    schema_source: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonTables<'a> {
    count: usize,
    names: &'a [String],
}

#[derive(Serialize)]
struct JsonRevision<'a> {
    revision: &'a str,
    message: &'a str,
    path: String,
    releases: Vec<JsonRelease<'a>>,
}

#[derive(Serialize)]
struct JsonRelease<'a> {
    version: Option<&'a str>,
    kind: &'static str,
}

#[derive(Serialize)]
struct JsonDiverged<'a> {
    heads: Vec<JsonRevision<'a>>,
    last_common_ancestor: Option<JsonRevision<'a>>,
    reason: &'a str,
    fix: Option<JsonEdit<'a>>,
}

/// A one-line edit of a revision file (shared with `check --format json`).
#[derive(Serialize)]
pub(crate) struct JsonEdit<'a> {
    file: String,
    line: u32,
    field: &'static str,
    from: &'a [String],
    to: &'a [String],
}

impl<'a> JsonEdit<'a> {
    /// The edit with its file shown as `file`.
    pub(crate) fn new(edit: &'a Edit, file: String) -> Self {
        JsonEdit {
            file,
            line: edit.line,
            field: edit.field,
            from: &edit.from,
            to: &edit.to,
        }
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    kind: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonAction<'a> {
    text: &'a str,
    command: Option<&'a [String]>,
}

fn rev(r: &Revision) -> JsonRevision<'_> {
    JsonRevision {
        revision: &r.id,
        message: &r.message,
        path: r.path.to_string_lossy().into_owned(),
        releases: r
            .releases
            .iter()
            .map(|x| JsonRelease {
                version: x.version.as_deref(),
                kind: x.kind.as_str(),
            })
            .collect(),
    }
}

fn revs(v: &[Revision]) -> Vec<JsonRevision<'_>> {
    v.iter().map(rev).collect()
}

fn action(a: &Action) -> JsonAction<'_> {
    JsonAction {
        text: &a.text,
        command: a.command.as_deref(),
    }
}

fn component(s: &ComponentStatus) -> JsonComponent<'_> {
    JsonComponent {
        name: &s.name,
        labels: &s.labels,
        config: s.config.as_deref(),
        script_location: s.script_location.as_deref(),
        database: s.database.as_deref(),
        url_source: s.url_source.as_ref().map(|u| u.kind()),
        version_table: JsonTable {
            name: &s.version_table.name,
            schema: s.version_table.schema.as_deref(),
            state: s.table_state.map(|t| t.as_str()),
            source: s.table_sources.name.kind(),
            schema_source: s.table_sources.schema.as_ref().map(|t| t.kind()),
        },
        state: s.state.as_str(),
        exit_code: s.exit_code(),
        title: &s.title,
        summary: &s.summary,
        current: revs(&s.current),
        heads: revs(&s.heads),
        pending: s.pending.as_deref().map(revs),
        pending_count: s.pending.as_ref().map(Vec::len),
        unknown: &s.unknown,
        tables: s.tables.as_ref().map(|t| JsonTables {
            count: t.count,
            names: &t.names,
        }),
        diverged: s.diverged.as_ref().map(|d| JsonDiverged {
            heads: revs(&d.heads),
            last_common_ancestor: d.last_common_ancestor.as_ref().map(rev),
            reason: &d.reason,
            fix: d
                .fix
                .as_ref()
                .map(|e| JsonEdit::new(e, e.file.to_string_lossy().into_owned())),
        }),
        error: s.error.as_ref().map(|e| JsonError {
            kind: e.kind.as_str(),
            message: &e.message,
        }),
        recommended_actions: s.actions.iter().map(action).collect(),
        notes: &s.notes,
        from_release: s.from_release.as_deref(),
        skipped: revs(&s.skipped),
    }
}

/// Write the document (pretty-printed, newline-terminated).
pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        version: VERSION,
        exit_code: report.exit_code(),
        working_directory: report
            .working_directory
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned()),
        notes: &report.notes,
        components: report.components.iter().map(component).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

#[derive(Serialize)]
struct ErrorDocument<'a> {
    schema_version: u32,
    version: &'static str,
    exit_code: u8,
    error: JsonError<'a>,
}

/// A usage error (or any error that stops the whole run) as one JSON document.
pub fn render_error(error: &Error, exit_code: u8, out: &mut dyn Write) -> io::Result<()> {
    let doc = ErrorDocument {
        schema_version: SCHEMA_VERSION,
        version: VERSION,
        exit_code,
        error: JsonError {
            kind: error.kind.as_str(),
            message: &error.message,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
