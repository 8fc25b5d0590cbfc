//! `graph` output: the revision graph as a Mermaid flowchart or Graphviz dot.
//! Input is a [`GraphView`] (nodes already chosen and marked by
//! `commands::graph`); edges run child → parent, dashed for `depends_on`.
//! Every id and message is escaped for its format, so quotes, `<`, `#`,
//! backslashes and non-ASCII text still render.

use std::io::{self, Write};

/// What the database says about a revision (only with `--with-db`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Only so src/report/schema_tests.rs can list every variant.
#[cfg_attr(test, derive(strum::EnumIter))]
pub(crate) enum DbMark {
    /// A row of the version table names it.
    Current,
    /// Applied: an ancestor of a current row.
    Applied,
    /// `alembic upgrade heads` would run it.
    Pending,
}

/// One revision in the drawing.
#[derive(Debug, Clone, Default)]
pub(crate) struct GraphNode {
    /// Revision id.
    pub(crate) id: String,
    /// First line of the docstring (Alembic's `doc`).
    pub(crate) message: String,
    /// Branch labels to print, sorted (declared ones; a head also shows inherited ones).
    pub(crate) labels: Vec<String>,
    /// No versioned child.
    pub(crate) head: bool,
    /// ≥ 2 versioned parents.
    pub(crate) merge: bool,
    /// ≥ 2 versioned children.
    pub(crate) branch_point: bool,
    /// No parent (`down_revision = None`).
    pub(crate) base: bool,
    /// Database state, when a database was read.
    pub(crate) db: Option<DbMark>,
    /// Drawn only because a selected revision points at it (outside `--last`/`-r`).
    pub(crate) outside: bool,
}

/// An edge from a revision to one of its parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GraphEdge {
    /// Index of the child node.
    pub(crate) child: usize,
    /// Index of the parent node.
    pub(crate) parent: usize,
    /// A `depends_on` edge rather than `down_revision`.
    pub(crate) dependency: bool,
}

/// The nodes (newest first) and edges to draw.
#[derive(Debug, Clone, Default)]
pub(crate) struct GraphView {
    /// Nodes in history order (newest first), outside stubs last.
    pub(crate) nodes: Vec<GraphNode>,
    /// Edges child → parent.
    pub(crate) edges: Vec<GraphEdge>,
}

/// Longest message shown in a node; longer ones are cut with `…`.
const MAX_MESSAGE: usize = 60;

fn short_message(message: &str) -> String {
    let one_line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_MESSAGE {
        let cut: String = one_line.chars().take(MAX_MESSAGE - 1).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// The marker line of a node: `(head) (mergepoint) [label] …`.
fn markers(n: &GraphNode) -> String {
    let mut m: Vec<String> = Vec::new();
    if !n.labels.is_empty() {
        m.push(format!("[{}]", n.labels.join(", ")));
    }
    if n.head {
        m.push("(head)".into());
    }
    if n.merge {
        m.push("(mergepoint)".into());
    }
    if n.branch_point {
        m.push("(branchpoint)".into());
    }
    if n.base {
        m.push("(base)".into());
    }
    match n.db {
        Some(DbMark::Current) => m.push("(current)".into()),
        Some(DbMark::Pending) => m.push("(pending)".into()),
        Some(DbMark::Applied) | None => {}
    }
    m.join(" ")
}

/// The text lines of a node label.
fn label_lines(n: &GraphNode) -> Vec<String> {
    if n.outside {
        return vec![n.id.clone()];
    }
    let mut lines = vec![n.id.clone()];
    let msg = short_message(&n.message);
    if !msg.is_empty() {
        lines.push(msg);
    }
    let m = markers(n);
    if !m.is_empty() {
        lines.push(m);
    }
    lines
}

/// The style classes of a node (Mermaid `class`, dot attributes).
fn classes(n: &GraphNode) -> Vec<&'static str> {
    let mut c = Vec::new();
    if n.outside {
        c.push("outside");
        return c;
    }
    if n.head {
        c.push("head");
    }
    if n.merge {
        c.push("merge");
    }
    if n.branch_point {
        c.push("branchpoint");
    }
    match n.db {
        Some(DbMark::Current) => c.push("current"),
        Some(DbMark::Applied) => c.push("applied"),
        Some(DbMark::Pending) => c.push("pending"),
        None => {}
    }
    c
}

/// Escape text for a Mermaid quoted label (entity codes; `#` first).
pub(crate) fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for a dot double-quoted string (labels use `\n` between lines).
pub(crate) fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Mermaid `flowchart BT` (bases at the bottom, heads on top).
pub(crate) fn render_mermaid(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "flowchart BT")?;
    for (i, n) in view.nodes.iter().enumerate() {
        let text = label_lines(n)
            .iter()
            .map(|l| mermaid_escape(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        // Merges as hexagons, everything else as rounded boxes.
        if n.merge && !n.outside {
            writeln!(out, "    n{i}{{{{\"{text}\"}}}}")?;
        } else {
            writeln!(out, "    n{i}(\"{text}\")")?;
        }
    }
    for e in &view.edges {
        let arrow = if e.dependency { "-.->" } else { "-->" };
        writeln!(out, "    n{} {arrow} n{}", e.child, e.parent)?;
    }
    writeln!(
        out,
        "    classDef head fill:#d9f2d9,stroke:#2e7d32,stroke-width:3px"
    )?;
    writeln!(out, "    classDef merge fill:#e3e8fd,stroke:#3949ab")?;
    writeln!(
        out,
        "    classDef branchpoint stroke:#ef6c00,stroke-width:2px"
    )?;
    writeln!(out, "    classDef current stroke:#1565c0,stroke-width:4px")?;
    writeln!(out, "    classDef applied fill:#eeeeee,color:#555555")?;
    writeln!(
        out,
        "    classDef pending fill:#fff3e0,stroke:#ef6c00,stroke-dasharray:5 3"
    )?;
    writeln!(
        out,
        "    classDef outside fill:#ffffff,stroke:#9e9e9e,stroke-dasharray:3 3,color:#9e9e9e"
    )?;
    for class in [
        "head",
        "merge",
        "branchpoint",
        "applied",
        "pending",
        "current",
        "outside",
    ] {
        let members: Vec<String> = view
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| classes(n).contains(&class))
            .map(|(i, _)| format!("n{i}"))
            .collect();
        if !members.is_empty() {
            writeln!(out, "    class {} {class}", members.join(","))?;
        }
    }
    Ok(())
}

/// Graphviz `digraph` (rankdir BT: bases at the bottom, heads on top).
pub(crate) fn render_dot(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "digraph revisions {{")?;
    writeln!(out, "    rankdir=BT;")?;
    writeln!(
        out,
        "    node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];"
    )?;
    for n in &view.nodes {
        let label = label_lines(n)
            .iter()
            .map(|l| dot_escape(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let mut attrs = vec![format!("label=\"{label}\"")];
        let c = classes(n);
        if c.contains(&"outside") {
            attrs.push("style=\"rounded,dashed\"".into());
            attrs.push("color=\"#9e9e9e\"".into());
            attrs.push("fontcolor=\"#9e9e9e\"".into());
        }
        if c.contains(&"merge") {
            attrs.push("shape=hexagon".into());
            attrs.push("fillcolor=\"#e3e8fd\"".into());
        }
        if c.contains(&"branchpoint") {
            attrs.push("color=\"#ef6c00\"".into());
        }
        if c.contains(&"head") {
            attrs.push("fillcolor=\"#d9f2d9\"".into());
            attrs.push("penwidth=3".into());
        }
        if c.contains(&"applied") {
            attrs.push("fillcolor=\"#eeeeee\"".into());
            attrs.push("fontcolor=\"#555555\"".into());
        }
        if c.contains(&"pending") {
            attrs.push("fillcolor=\"#fff3e0\"".into());
            attrs.push("style=\"rounded,filled,dashed\"".into());
        }
        if c.contains(&"current") {
            attrs.push("color=\"#1565c0\"".into());
            attrs.push("penwidth=4".into());
        }
        writeln!(out, "    \"{}\" [{}];", dot_escape(&n.id), attrs.join(", "))?;
    }
    for e in &view.edges {
        let (Some(child), Some(parent)) = (view.nodes.get(e.child), view.nodes.get(e.parent))
        else {
            continue;
        };
        let style = if e.dependency { " [style=dashed]" } else { "" };
        writeln!(
            out,
            "    \"{}\" -> \"{}\"{style};",
            dot_escape(&child.id),
            dot_escape(&parent.id)
        )?;
    }
    writeln!(out, "}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> GraphView {
        GraphView {
            nodes: vec![
                GraphNode {
                    id: "b\"<x>".into(),
                    message: "say \"hi\" # <b> \\ é".into(),
                    head: true,
                    ..Default::default()
                },
                GraphNode {
                    id: "a".into(),
                    message: "base".into(),
                    base: true,
                    labels: vec!["x".into()],
                    ..Default::default()
                },
            ],
            edges: vec![GraphEdge {
                child: 0,
                parent: 1,
                dependency: false,
            }],
        }
    }

    #[test]
    fn mermaid_escapes_and_marks() {
        let mut out = Vec::new();
        render_mermaid(&view(), &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("flowchart BT\n"));
        assert!(
            s.contains(
                "n0(\"b#quot;#lt;x#gt;<br/>say #quot;hi#quot; #35; #lt;b#gt; \\ é<br/>(head)\")"
            ),
            "{s}"
        );
        assert!(s.contains("n1(\"a<br/>base<br/>[x] (base)\")"));
        assert!(s.contains("    n0 --> n1\n"));
        assert!(s.contains("    class n0 head\n"));
    }

    #[test]
    fn dot_escapes() {
        let mut out = Vec::new();
        render_dot(&view(), &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.contains("\"b\\\"<x>\" [label=\"b\\\"<x>\\nsay \\\"hi\\\" # <b> \\\\ é\\n(head)\""),
            "{s}"
        );
        assert!(s.contains("\"b\\\"<x>\" -> \"a\";"));
    }
}
