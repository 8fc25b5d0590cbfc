//! JSON for `heads`, `history`, `show` and `graph` (`--format json`, and
//! the MCP tools of the same names). The commands compute one list of
//! revisions (or one graph view) and hand it either to the Alembic text
//! renderer or to this one, so both always agree. `docs/status.schema.json`
//! describes the documents (`listDocument`, `graphDocument`).
//!
//! ```text
//! heads / history / show:
//! {"schema_version": 1, "version", "exit_code": 0, "command": "heads|history|show",
//!  "component": "manager",
//!  "revisions": [{"revision", "message", "path", "down_revisions": [], "dependencies": [],
//!                 "branch_labels": [], "head", "effective_head", "branch_point",
//!                 "merge_point", "current": bool|null}]}
//! graph:
//! {"schema_version": 1, "version", "exit_code", "command": "graph", "component",
//!  "nodes": [{"revision", "message", "labels", "head", "merge", "branch_point", "base",
//!             "db": "current|applied|pending"|null, "outside"}],
//!  "edges": [{"child", "parent", "dependency"}],   // indices into nodes
//!  "mermaid": "flowchart …",
//!  "error": null | {"kind", "message"}}             // --with-db could not read the database
//! ```

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::graph::{RevIdx, RevisionMap};
use crate::report::graph::{DbMark, GraphView};
use crate::report::json::{SCHEMA_VERSION, VERSION};
use crate::status::display_path;

/// Which listing command a document comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum ListCommand {
    /// `heads`.
    Heads,
    /// `history`.
    History,
    /// `show`.
    Show,
}

impl ListCommand {
    /// Stable name used in JSON (`command`).
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ListCommand::Heads => "heads",
            ListCommand::History => "history",
            ListCommand::Show => "show",
        }
    }
}

#[derive(Serialize)]
struct ListDocument<'a> {
    schema_version: u32,
    version: &'static str,
    exit_code: u8,
    command: &'static str,
    component: &'a str,
    revisions: Vec<ListRevision<'a>>,
}

#[derive(Serialize)]
struct ListRevision<'a> {
    revision: &'a str,
    message: &'a str,
    path: String,
    down_revisions: &'a [String],
    dependencies: &'a [String],
    branch_labels: Vec<&'a str>,
    head: bool,
    effective_head: bool,
    branch_point: bool,
    merge_point: bool,
    current: Option<bool>,
}

/// Write the listing of `revs` (in the order the text would list them).
/// `map` is `None` where the revision files were not read (nothing to list).
/// `currents` are the version-table rows when the command read them; paths
/// are shown relative to `cwd` when under it, as in the status JSON.
pub(crate) fn render_list(
    command: ListCommand,
    component: &str,
    map: Option<&RevisionMap>,
    revs: &[RevIdx],
    currents: Option<&[String]>,
    cwd: &Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let revisions = revs
        .iter()
        .filter_map(|&r| map.map(|map| (map, r)))
        .map(|(map, r)| {
            let s = map.script(r);
            ListRevision {
                revision: &s.revision,
                message: s.doc(),
                path: display_path(&s.path, cwd).to_string_lossy().into_owned(),
                down_revisions: &s.down_revisions,
                dependencies: &s.dependencies,
                branch_labels: map.labels(r),
                head: map.is_real_head(r),
                effective_head: map.is_head(r) && !map.is_real_head(r),
                branch_point: map.is_branch_point(r),
                merge_point: map.is_merge_point(r),
                current: currents.map(|rows| rows.iter().any(|row| row == &s.revision)),
            }
        })
        .collect();
    let doc = ListDocument {
        schema_version: SCHEMA_VERSION,
        version: VERSION,
        exit_code: crate::error::Exit::UpToDate.code(),
        command: command.as_str(),
        component,
        revisions,
    };
    write_pretty(&doc, out)
}

#[derive(Serialize)]
struct GraphDocument<'a> {
    schema_version: u32,
    version: &'static str,
    exit_code: u8,
    command: &'static str,
    component: &'a str,
    nodes: Vec<GraphNodeJson<'a>>,
    edges: Vec<GraphEdgeJson>,
    mermaid: String,
    error: Option<ErrorJson<'a>>,
}

#[derive(Serialize)]
struct GraphNodeJson<'a> {
    revision: &'a str,
    message: &'a str,
    labels: &'a [String],
    head: bool,
    merge: bool,
    branch_point: bool,
    base: bool,
    db: Option<&'static str>,
    outside: bool,
}

#[derive(Serialize)]
struct GraphEdgeJson {
    child: usize,
    parent: usize,
    dependency: bool,
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    kind: &'static str,
    message: &'a str,
}

/// Stable name used in JSON (a node's `db`).
pub(super) fn mark(m: DbMark) -> &'static str {
    match m {
        DbMark::Current => "current",
        DbMark::Applied => "applied",
        DbMark::Pending => "pending",
    }
}

/// Write the graph document: the view's nodes and edges, and the same view
/// as Mermaid text. `error` is why the database marks are missing, if they are.
pub(crate) fn render_graph(
    component: &str,
    view: &GraphView,
    exit_code: u8,
    error: Option<&Error>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut mermaid = Vec::new();
    crate::report::graph::render_mermaid(view, &mut mermaid)?;
    let doc = GraphDocument {
        schema_version: SCHEMA_VERSION,
        version: VERSION,
        exit_code,
        command: "graph",
        component,
        nodes: view
            .nodes
            .iter()
            .map(|n| GraphNodeJson {
                revision: &n.id,
                message: &n.message,
                labels: &n.labels,
                head: n.head,
                merge: n.merge,
                branch_point: n.branch_point,
                base: n.base,
                db: n.db.map(mark),
                outside: n.outside,
            })
            .collect(),
        edges: view
            .edges
            .iter()
            .map(|e| GraphEdgeJson {
                child: e.child,
                parent: e.parent,
                dependency: e.dependency,
            })
            .collect(),
        mermaid: String::from_utf8_lossy(&mermaid).into_owned(),
        error: error.map(|e| ErrorJson {
            kind: e.kind.as_str(),
            message: &e.message,
        }),
    };
    write_pretty(&doc, out)
}

fn write_pretty<T: Serialize>(doc: &T, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc).map_err(io::Error::other)?;
    writeln!(out)
}
