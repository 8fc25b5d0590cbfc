//! `db-status graph`: the revision graph as Mermaid or Graphviz dot. Picks
//! one component, builds the revision map, chooses the revisions to draw
//! (all, `--last N` of history order, or a `-r` history range), marks heads,
//! merges, branch points and labels, and with `--with-db` what the database
//! holds and what `alembic upgrade heads` would still run.

use std::io::Write;
use std::time::Duration;

use super::check::{load_config, select_request, working_dir};
use crate::cli::{Format, GlobalArgs};
use crate::config::AlembicConfig;
use crate::config::components::{self, ComponentSpec, UrlOverride};
use crate::database::{DbUrl, VersionRows};
use crate::graph::{RevIdx, RevisionMap};
use crate::report::graph::{DbMark, GraphEdge, GraphNode, GraphView};

/// Why the graph could not be drawn: the message and the exit code.
struct Failure(u8, String);

/// Render the revision graph.
pub fn run(
    g: &GlobalArgs,
    last: Option<usize>,
    rev_range: Option<&str>,
    with_db: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let format = g.format.unwrap_or(Format::Mermaid);
    if !matches!(format, Format::Mermaid | Format::Dot) {
        let _ = writeln!(
            err,
            "error: `graph` writes --format mermaid or dot (human/json/github are for `status` \
             and `check`)"
        );
        return 2;
    }
    if last.is_some() && rev_range.is_some() {
        let _ = writeln!(err, "error: use either --last N or -r RANGE, not both");
        return 2;
    }
    let cwd = working_dir();
    let spec = match one_component(g, &cwd) {
        Ok(s) => s,
        Err(Failure(code, message)) => {
            let _ = writeln!(err, "error: {message}");
            return code;
        }
    };
    let config = match load_config(&spec, &cwd) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 7;
        }
    };
    let map = match super::load_map(&config) {
        Ok((map, _warnings)) => map,
        Err(super::LoadError::Scripts(errors)) => {
            for e in &errors {
                let _ = writeln!(err, "error: {e}");
            }
            let _ = writeln!(
                err,
                "hint: `db-status check` lists every problem with its fix"
            );
            return 7;
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            let _ = writeln!(
                err,
                "hint: `db-status check` lists every problem with its fix"
            );
            return 7;
        }
    };
    let selected = match select(&map, last, rev_range) {
        Ok(s) => s,
        Err(Failure(code, message)) => {
            let _ = writeln!(err, "error: {message}");
            return code;
        }
    };
    let mut code = 0;
    let marks = if with_db {
        match db_marks(g, &spec, &config, &map) {
            Ok(m) => Some(m),
            Err(Failure(c, message)) => {
                // The graph is still worth drawing; the exit code tells scripts.
                let _ = writeln!(err, "error: {message} (graph drawn without database marks)");
                code = c;
                None
            }
        }
    } else {
        None
    };
    let view = build_view(&map, &selected, marks.as_deref());
    let written = match format {
        Format::Dot => crate::report::graph::render_dot(&view, out),
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
fn one_component(g: &GlobalArgs, cwd: &std::path::Path) -> Result<ComponentSpec, Failure> {
    let mut selected = components::select(&select_request(g, cwd));
    if selected.len() > 1 {
        let names: Vec<String> = selected
            .iter()
            .map(|s| match s {
                Ok(spec) => spec.name.clone(),
                Err(e) => e.name.clone(),
            })
            .collect();
        return Err(Failure(
            2,
            format!(
                "`graph` draws one component at a time; pick one of {} with --component NAME",
                names.join(", ")
            ),
        ));
    }
    match selected.pop() {
        Some(Ok(spec)) => Ok(spec),
        Some(Err(e)) => {
            let mut message = e.message.clone();
            for a in &e.actions {
                message.push_str("\n  hint: ");
                message.push_str(a);
            }
            Err(Failure(7, message))
        }
        None => Err(Failure(7, "no component selected".to_string())),
    }
}

/// The revisions to draw, newest first.
fn select(
    map: &RevisionMap,
    last: Option<usize>,
    rev_range: Option<&str>,
) -> Result<Vec<RevIdx>, Failure> {
    let (base, head) = match rev_range {
        None => (None, None),
        Some(range) => {
            let Some((b, h)) = range.trim().split_once(':') else {
                return Err(Failure(
                    2,
                    "History range requires [start]:[end], [start]:, or :[end]".to_string(),
                ));
            };
            let side = |s: &str| (!s.is_empty()).then(|| s.to_string());
            (side(b), side(h))
        }
    };
    let mut revs = map
        .history(base.as_deref(), head.as_deref())
        .map_err(|e| Failure(2, e.message))?;
    if let Some(n) = last {
        revs.truncate(n);
    }
    Ok(revs)
}

/// Read the version table and mark every revision: current, applied, pending.
fn db_marks(
    g: &GlobalArgs,
    spec: &ComponentSpec,
    config: &AlembicConfig,
    map: &RevisionMap,
) -> Result<Vec<Option<DbMark>>, Failure> {
    let raw = g
        .url
        .clone()
        .or_else(|| match &spec.url {
            Some(UrlOverride::Url(u)) => Some(u.clone()),
            Some(UrlOverride::Env(var)) => std::env::var(var).ok().filter(|v| !v.is_empty()),
            None => None,
        })
        .or_else(|| config.sqlalchemy_url.clone())
        .ok_or_else(|| {
            Failure(
                7,
                "--with-db needs a database URL: pass --url, set DB_STATUS_URL, or set \
                 sqlalchemy.url in the ini"
                    .to_string(),
            )
        })?;
    let url = DbUrl::parse(&raw).map_err(|e| Failure(6, e.message))?;
    let table = spec.version_table(config);
    let timeout = Duration::from_secs_f64(g.timeout.clamp(0.1, 3600.0));
    let rows = match crate::database::read_version_rows(&url, &table, timeout)
        .map_err(|e| Failure(6, e.message))?
    {
        VersionRows::Rows(rows) => rows,
        VersionRows::NoDatabaseFile | VersionRows::NoTable => Vec::new(),
    };
    let mut marks = vec![None; map.len()];
    let current = map.current(&rows).map_err(|e| Failure(5, e.message))?;
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
    for p in map.upgrade_plan(&rows).map_err(|e| Failure(5, e.message))? {
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
