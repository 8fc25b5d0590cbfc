//! `db-status graph`: the revision graph as Mermaid or Graphviz dot. Picks
//! one component, builds the revision map, chooses the revisions to draw
//! (all, `--last N` of history order, or a `-r` history range), marks heads,
//! merges, branch points and labels, and with `--with-db` what the database
//! holds and what `alembic upgrade heads` would still run.

use std::io::Write;

use crate::cli::{Format, GlobalArgs};
use crate::database::{VersionRead, VersionRows};
use crate::error::{Error, ErrorKind, Mode};
use crate::graph::{RevIdx, RevisionMap};
use crate::report::graph::{DbMark, GraphEdge, GraphNode, GraphView};
use crate::target::{Target, TargetUrl};

/// Render the revision graph.
pub(crate) fn run(
    g: &GlobalArgs,
    last: Option<usize>,
    rev_range: Option<&str>,
    with_db: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let json = g.format == Some(Format::Json);
    let fail = |e: Error, out: &mut dyn Write, err: &mut dyn Write| {
        let code = e.exit(Mode::Status).code();
        if json {
            let _ = crate::report::json::render_error(&e, code, out);
        }
        let _ = err.write_all(e.render().as_bytes());
        code
    };
    if last.is_some() && rev_range.is_some() {
        return fail(
            Error::usage("use either --last N or -r RANGE, not both"),
            out,
            err,
        );
    }
    let target = match one_target(g, with_db) {
        Ok(t) => t,
        Err(e) => return fail(e, out, err),
    };
    if let Err(e) = &target.component.config {
        return fail(e.clone(), out, err);
    }
    let loaded = match target.component.scripts() {
        Ok(l) => l,
        // The error's own hint already points at `db-status check`.
        Err(e) => return fail(e.to_error(&target.component.workspace.cwd), out, err),
    };
    let map = &loaded.map;
    let selected = match select(map, last, rev_range) {
        Ok(s) => s,
        Err(e) => return fail(e, out, err),
    };
    let mut code = crate::error::Exit::UpToDate.code();
    let mut db_error = None;
    let marks = if with_db {
        match db_marks(&target, map) {
            Ok(m) => Some(m),
            Err(e) => {
                // The graph is still worth drawing; the exit code tells scripts.
                let e = e.hint("graph drawn without database marks; the exit code says why");
                let _ = err.write_all(e.render().as_bytes());
                code = e.exit(Mode::Status).code();
                db_error = Some(e);
                None
            }
        }
    } else {
        None
    };
    let view = build_view(map, &selected, marks.as_deref());
    let written = match g.format.unwrap_or(Format::Mermaid) {
        Format::Dot => crate::report::graph::render_dot(&view, out),
        Format::Json => {
            crate::report::listing::render_graph(target.name(), &view, code, db_error.as_ref(), out)
        }
        _ => crate::report::graph::render_mermaid(&view, out),
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(err, "error: cannot write the graph: {e}");
    }
    code
}

/// `graph` draws exactly one component.
fn one_target(g: &GlobalArgs, with_db: bool) -> Result<Target, Error> {
    let selection = super::select(g, with_db, false)?;
    let mut targets = selection.targets;
    if targets.len() > 1 {
        let names: Vec<&str> = targets.iter().map(Target::name).collect();
        return Err(Error::usage(format!(
            "`graph` draws one component at a time; pick one of {} with --component NAME",
            names.join(", ")
        )));
    }
    targets
        .pop()
        .ok_or_else(|| Error::new(ErrorKind::NoComponent, "no component selected"))
}

/// The revisions to draw, newest first.
fn select(
    map: &RevisionMap,
    last: Option<usize>,
    rev_range: Option<&str>,
) -> Result<Vec<RevIdx>, Error> {
    let (base, head) = match rev_range {
        None => (None, None),
        Some(range) => {
            let Some((b, h)) = range.trim().split_once(':') else {
                return Err(Error::new(
                    ErrorKind::BadRevision,
                    "History range requires [start]:[end], [start]:, or :[end]",
                ));
            };
            let side = |s: &str| (!s.is_empty()).then(|| s.to_string());
            (side(b), side(h))
        }
    };
    let mut revs = map
        .history(base.as_deref(), head.as_deref())
        .map_err(|e| Error::new(ErrorKind::BadRevision, e.message))?;
    if let Some(n) = last {
        revs.truncate(n);
    }
    Ok(revs)
}

/// Read the version table and mark every revision: current, applied, pending.
fn db_marks(target: &Target, map: &RevisionMap) -> Result<Vec<Option<DbMark>>, Error> {
    let url = match &target.url {
        TargetUrl::Given { url, .. } => url,
        TargetUrl::Invalid { error, .. } => {
            return Err(Error::new(
                ErrorKind::Database(error.kind),
                error.message.clone(),
            ));
        }
        TargetUrl::Missing => {
            return Err(Error::new(
                ErrorKind::NoUrl,
                format!(
                    "--with-db needs a database URL: pass --url, set DB_STATUS_URL_{} (or DB_STATUS_URL), or set sqlalchemy.url in the ini",
                    crate::target::env_suffix(target.name())
                ),
            ));
        }
    };
    let rows = match crate::database::read(url, &target.version_table, &target.connect)
        .map_err(|e| Error::new(ErrorKind::Database(e.kind), e.message))?
    {
        VersionRead {
            rows: VersionRows::Rows(rows),
            ..
        } => rows,
        _ => Vec::new(),
    };
    let unknown =
        |e: crate::graph::RevisionError| Error::new(ErrorKind::UnknownRevision, e.message);
    let mut marks = vec![None; map.len()];
    let current = map.current(&rows).map_err(unknown)?;
    for &c in &current {
        for a in map.ancestors(c) {
            if let Some(m) = marks.get_mut(a) {
                *m = Some(DbMark::Applied);
            }
        }
    }
    for &c in &current {
        if let Some(m) = marks.get_mut(c) {
            *m = Some(DbMark::Current);
        }
    }
    for p in map.upgrade_plan(&rows).map_err(unknown)? {
        if let Some(m) = marks.get_mut(p) {
            *m = Some(DbMark::Pending);
        }
    }
    Ok(marks)
}

/// Labels worth printing on a node: those the revision declares, and on a
/// head every label it carries (what `label@head` resolves to). Printing the
/// inherited labels on every node buries the graph in repeats.
fn shown_labels(map: &RevisionMap, r: RevIdx) -> Vec<String> {
    let mut labels: Vec<String> = if map.children(r).is_empty() {
        map.labels(r).into_iter().map(str::to_string).collect()
    } else {
        map.script(r).branch_labels.clone()
    };
    labels.sort();
    labels.dedup();
    labels
}

/// Nodes and edges for the selected revisions; parents outside the selection
/// appear as grey stubs so cut edges stay visible.
fn build_view(
    map: &RevisionMap,
    selected: &[RevIdx],
    marks: Option<&[Option<DbMark>]>,
) -> GraphView {
    let mut view = GraphView::default();
    let mut node_of: std::collections::HashMap<RevIdx, usize> = std::collections::HashMap::new();
    for &r in selected {
        if node_of.contains_key(&r) {
            continue;
        }
        let s = map.script(r);
        node_of.insert(r, view.nodes.len());
        view.nodes.push(GraphNode {
            id: s.revision.clone(),
            message: s.doc().to_string(),
            labels: shown_labels(map, r),
            head: map.children(r).is_empty(),
            merge: map.is_merge_point(r),
            branch_point: map.is_branch_point(r),
            base: s.down_revisions.is_empty(),
            db: marks.and_then(|m| m.get(r).copied().flatten()),
            outside: false,
        });
    }
    let drawn = view.nodes.len();
    let mut stubs: Vec<(RevIdx, usize)> = Vec::new();
    let mut edges = Vec::new();
    let mut seen_edges: std::collections::HashSet<(usize, usize, bool)> =
        std::collections::HashSet::new();
    for &r in selected {
        let Some(&child) = node_of.get(&r) else {
            continue;
        };
        let parents = map.parents(r).iter().map(|&p| (p, false));
        let deps = map.dependencies(r).iter().map(|&p| (p, true));
        for (p, dependency) in parents.chain(deps).collect::<Vec<_>>() {
            let parent = match node_of.get(&p) {
                Some(&n) => n,
                None => match stubs.iter().find(|(s, _)| *s == p) {
                    Some(&(_, n)) => n,
                    None => {
                        let n = drawn + stubs.len();
                        stubs.push((p, n));
                        n
                    }
                },
            };
            let edge = GraphEdge {
                child,
                parent,
                dependency,
            };
            // A set beside the list: `edges.contains` made this quadratic
            // (minutes for a 100,000-revision chain).
            if seen_edges.insert((child, parent, dependency)) {
                edges.push(edge);
            }
        }
    }
    // Stub indices were reserved in this order right after the drawn nodes.
    for (p, _) in &stubs {
        view.nodes.push(GraphNode {
            id: map.script(*p).revision.clone(),
            outside: true,
            ..Default::default()
        });
    }
    view.edges = edges;
    view
}
