//! The JSON status report (`--format json`): one document on stdout.
//!
//! # Schema
//!
//! ```text
//! {
//!   "exit_code": 0,                 // the process exit code (largest of the components')
//!   "components": [                 // in selection order
//!     {
//!       "name": "manager",
//!       "config": "alembic.ini",            // ini path as used, or null
//!       "script_location": "src/…/alembic", // script directory, or null when the config failed
//!       "database": "postgresql://u:***@host/db",  // URL, password masked; null if unknown
//!       "state": "up-to-date",      // up-to-date | behind | no-revision | diverged |
//!                                   // unknown-revision | database-error | config-error
//!       "exit_code": 0,             // 0 | 1 | 3 | 4 | 5 | 6 | 7, as the table in --help
//!       "current": [Revision],      // version-table rows the scripts know (load order)
//!       "heads": [Revision],        // the script heads the database should hold (load order)
//!       "pending": [Revision],      // what `alembic upgrade heads` would run, oldest first
//!       "pending_count": 0,
//!       "unknown": ["deadbeef0000"],// version-table rows the scripts do not know
//!       "diverged": null | {"heads": [Revision], "last_common_ancestor": Revision | null},
//!       "error": null | {"kind": "connection-refused", "message": "…"},
//!       "recommended_actions": ["…"],
//!       "notes": ["…"]
//!     }
//!   ]
//! }
//! Revision = {"revision": "ae1027a6acf", "message": "add users", "path": "versions/ae10_add_users.py"}
//! ```
//!
//! `message` is the docstring's first paragraph (Alembic's `doc`); `path` is
//! relative to the working directory when the file lies under it. Every
//! field is always present (`null` or `[]` when empty). Facts are kept even
//! when a more severe state wins (a diverged component still lists
//! `pending`). `error.kind` is one of: `connection-refused`, `unknown-host`,
//! `timeout`, `authentication`, `missing-database`, `permission-denied`,
//! `tls`, `bad-url`, `bad-data`, `other`, `no-url`,
//! `inconsistent-version-table`, `unknown-revision`, and for config errors
//! `unknown-component`, `project-file`, `missing-config`, `config`,
//! `unreadable-revision-file`, `missing-revision`, `cycle`, `label-clash`,
//! `bad-identifier`, `internal`. New fields may be added; existing ones keep
//! their meaning.

use std::io::{self, Write};

use serde::Serialize;

use crate::status::{ComponentStatus, Revision};

#[derive(Serialize)]
struct Document<'a> {
    exit_code: u8,
    components: Vec<JsonComponent<'a>>,
}

#[derive(Serialize)]
struct JsonComponent<'a> {
    name: &'a str,
    config: Option<&'a str>,
    script_location: Option<&'a str>,
    database: Option<&'a str>,
    state: &'static str,
    exit_code: u8,
    current: Vec<JsonRevision<'a>>,
    heads: Vec<JsonRevision<'a>>,
    pending: Vec<JsonRevision<'a>>,
    pending_count: usize,
    unknown: &'a [String],
    diverged: Option<JsonDiverged<'a>>,
    error: Option<JsonError<'a>>,
    recommended_actions: &'a [String],
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonRevision<'a> {
    revision: &'a str,
    message: &'a str,
    path: String,
}

#[derive(Serialize)]
struct JsonDiverged<'a> {
    heads: Vec<JsonRevision<'a>>,
    last_common_ancestor: Option<JsonRevision<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    kind: &'a str,
    message: &'a str,
}

fn rev(r: &Revision) -> JsonRevision<'_> {
    JsonRevision {
        revision: &r.id,
        message: &r.message,
        path: r.path.to_string_lossy().into_owned(),
    }
}

fn revs(v: &[Revision]) -> Vec<JsonRevision<'_>> {
    v.iter().map(rev).collect()
}

fn component(s: &ComponentStatus) -> JsonComponent<'_> {
    JsonComponent {
        name: &s.name,
        config: s.config.as_deref(),
        script_location: s.script_location.as_deref(),
        database: s.database.as_deref(),
        state: s.state.as_str(),
        exit_code: s.exit_code(),
        current: revs(&s.current),
        heads: revs(&s.heads),
        pending: revs(&s.pending),
        pending_count: s.pending.len(),
        unknown: &s.unknown,
        diverged: s.diverged.as_ref().map(|d| JsonDiverged {
            heads: revs(&d.heads),
            last_common_ancestor: d.last_common_ancestor.as_ref().map(rev),
        }),
        error: s.error.as_ref().map(|e| JsonError {
            kind: &e.kind,
            message: &e.message,
        }),
        recommended_actions: &s.actions,
        notes: &s.notes,
    }
}

/// Write the document (pretty-printed, newline-terminated).
pub fn render(statuses: &[ComponentStatus], exit_code: u8, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        exit_code,
        components: statuses.iter().map(component).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
