//! `db-status graph` on trees written by the real Alembic: the dot output is
//! rendered by the real Graphviz `dot` (any error or warning fails), and the
//! Mermaid output is checked node by node and edge by edge, with heads,
//! merges, labels, `--last`, `-r` and `--with-db` marks.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{Rev, Tree};

/// The message with everything that breaks naive quoting.
const ODD: &str = "say \"hi\" <b> & # \\ ü 한글";

fn tree() -> Tree {
    Tree::new()
        .rev(Rev {
            id: "a1",
            message: ODD,
            head: Some("base"),
            label: Some("core"),
            ..Default::default()
        })
        .simple("b1", Some("a1"))
        .simple("c1", Some("a1"))
        .merge("m1", &["b1", "c1"])
        .rev(Rev {
            id: "d1",
            message: "other root",
            head: Some("base"),
            label: Some("other"),
            depends_on: Some("b1"),
            ..Default::default()
        })
        .build()
}

/// `dot`, installing Debian's graphviz once if it is missing.
fn dot() -> Command {
    let ok = |c: &mut Command| c.arg("-V").output().is_ok_and(|o| o.status.success());
    if !ok(&mut Command::new("dot")) {
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-q", "graphviz"])
            .output();
    }
    assert!(
        ok(&mut Command::new("dot")),
        "Graphviz `dot` is needed: apt-get install -y graphviz"
    );
    Command::new("dot")
}

fn render_with_dot(source: &str) -> String {
    let mut child = dot()
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dot");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(source.as_bytes())
        .expect("feed dot");
    let out = child.wait_with_output().expect("dot output");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "dot rejected the graph:\n{}\n--- source ---\n{source}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("svg is utf-8")
}

/// Mermaid node ids by revision id: `    n3("b1<br/>…")` → ("b1", "n3").
fn mermaid_nodes(src: &str) -> Vec<(String, String)> {
    src.lines()
        .filter_map(|l| {
            let l = l.trim();
            let open = l.find(['(', '{'])?;
            let (node, rest) = l.split_at(open);
            let text = rest.trim_start_matches(['(', '{', '"']);
            let id = text.split(['<', '"']).next()?;
            node.starts_with('n')
                .then(|| (id.to_string(), node.to_string()))
        })
        .collect()
}

fn node<'a>(nodes: &'a [(String, String)], id: &str) -> &'a str {
    &nodes
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no node {id} in {nodes:?}"))
        .1
}

#[test]
fn dot_output_renders_with_graphviz() {
    let t = tree();
    let o = t.run(&["graph", "--format", "dot"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let src = o.stdout;
    assert!(src.starts_with("digraph revisions {\n"), "{src}");
    let svg = render_with_dot(&src);
    for id in ["a1", "b1", "c1", "m1", "d1"] {
        assert!(
            svg.contains(&format!("<title>{id}</title>")),
            "{id} missing in svg"
        );
    }
    assert!(svg.contains("한글"), "unicode survives");
    assert!(svg.contains("&lt;b&gt;"), "< and > survive as text");
    // child → parent edges, dashed for depends_on.
    for edge in [
        "\"b1\" -> \"a1\";",
        "\"c1\" -> \"a1\";",
        "\"m1\" -> \"b1\";",
        "\"m1\" -> \"c1\";",
    ] {
        assert!(src.contains(edge), "{edge} in {src}");
    }
    assert!(src.contains("\"d1\" -> \"b1\" [style=dashed];"), "{src}");
    assert!(
        src.contains("shape=hexagon"),
        "merge drawn as hexagon: {src}"
    );
}

#[test]
fn odd_revision_ids_render_too() {
    let t = Tree::new()
        .simple("a1", None)
        .rev(Rev {
            id: "q\"1<>",
            message: "quote in id",
            ..Default::default()
        })
        .build();
    let o = t.run(&["graph", "--format", "dot"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let svg = render_with_dot(&o.stdout);
    assert!(
        svg.contains("q&quot;1&lt;&gt;") || svg.contains("q\"1&lt;&gt;"),
        "{svg}"
    );
    let o = t.run(&["graph"]);
    assert!(o.stdout.contains("q#quot;1#lt;#gt;"), "{}", o.stdout);
}

#[test]
fn mermaid_marks_heads_merges_labels_and_dependencies() {
    let t = tree();
    let o = t.run(&["graph", "--format", "mermaid"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let src = o.stdout;
    assert!(src.starts_with("flowchart BT\n"), "{src}");
    let nodes = mermaid_nodes(&src);
    assert_eq!(nodes.len(), 5, "{src}");
    let n = |id| node(&nodes, id);
    for (child, parent) in [("b1", "a1"), ("c1", "a1"), ("m1", "b1"), ("m1", "c1")] {
        assert!(
            src.contains(&format!("    {} --> {}\n", n(child), n(parent))),
            "{src}"
        );
    }
    assert!(
        src.contains(&format!("    {} -.-> {}\n", n("d1"), n("b1"))),
        "{src}"
    );
    assert!(
        src.contains(&format!(
            "{}{{{{\"m1<br/>merge heads<br/>[core] (head) (mergepoint)\"}}}}",
            n("m1")
        )),
        "{src}"
    );
    assert!(
        src.contains(
            "say #quot;hi#quot; #lt;b#gt; #amp; #35; \\ ü 한글<br/>[core] (branchpoint) (base)"
        ),
        "{src}"
    );
    let heads_line = src
        .lines()
        .find(|l| l.trim_start().starts_with("class ") && l.ends_with(" head"))
        .unwrap_or_else(|| panic!("no head class in {src}"));
    assert!(
        heads_line.contains(n("m1")) && heads_line.contains(n("d1")),
        "{heads_line}"
    );
    assert!(!heads_line.contains(n("b1")), "{heads_line}");
}

#[test]
fn last_and_range_limit_the_drawing() {
    let t = tree();
    let o = t.run(&["graph", "--last", "1"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let src = o.stdout;
    // The newest revision in full, plus grey id-only stubs for the parents it points at.
    let full = src.lines().filter(|l| l.contains("<br/>")).count();
    assert_eq!(full, 1, "{src}");
    assert!(mermaid_nodes(&src).len() >= 2, "{src}");
    assert!(src.contains("class ") && src.contains(" outside"), "{src}");

    let o = t.run(&["graph", "-r", "a1:b1", "--format", "dot"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let src = o.stdout;
    render_with_dot(&src);
    assert!(src.contains("\"b1\" -> \"a1\";"), "{src}");
    assert!(!src.contains("\"m1\""), "{src}");

    let o = t.run(&["graph", "-r", "nope"]);
    assert_eq!(o.code, Some(2));
}

#[test]
fn with_db_marks_current_applied_and_pending() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .simple("c1", Some("b1"))
        .build();
    let ini = t.root().join("alembic.ini");
    let text = std::fs::read_to_string(&ini).unwrap();
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("sqlalchemy.url") {
                "sqlalchemy.url = sqlite:///%(here)s/db.sqlite".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&ini, text).unwrap();
    let stamp = t.alembic(&["stamp", "a1"]);
    assert!(stamp.code == Some(0), "{}", stamp.stderr);

    let o = t.run(&["graph", "--with-db"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let src = o.stdout;
    let nodes = mermaid_nodes(&src);
    let class_of = |class: &str| {
        src.lines()
            .find(|l| l.trim_start().starts_with("class ") && l.ends_with(&format!(" {class}")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(class_of("current").contains(node(&nodes, "a1")), "{src}");
    let pending = class_of("pending");
    assert!(
        pending.contains(node(&nodes, "b1")) && pending.contains(node(&nodes, "c1")),
        "{src}"
    );
    assert!(src.contains("c1<br/>c1<br/>(head) (pending)"), "{src}");
    render_with_dot(&t.run(&["graph", "--with-db", "--format", "dot"]).stdout);
}

#[test]
fn with_db_on_postgres_prefers_the_url_flag_over_the_ini() {
    let t = Tree::new()
        .simple("a1", None)
        .simple("b1", Some("a1"))
        .build();
    // Dropped with `db`, after the assertions.
    let Some(db) = support::PgDb::create() else {
        return;
    };
    let url = db.url("postgresql");
    // The ini keeps Alembic's template URL (`driver://…`): only --url can work.
    let stamped = Command::new(support::python())
        .args([
            "-c",
            "import sys\nfrom alembic.config import Config\nfrom alembic import command\ncfg = Config('alembic.ini')\ncfg.set_main_option('sqlalchemy.url', sys.argv[1])\ncommand.stamp(cfg, 'a1')",
            &db.url("postgresql+psycopg2"),
        ])
        .current_dir(t.root())
        .output()
        .expect("stamp");
    let o = t.run(&["graph", "--with-db", "--url", &url]);
    assert!(
        stamped.status.success(),
        "{}",
        String::from_utf8_lossy(&stamped.stderr)
    );
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let src = o.stdout;
    assert!(src.contains("a1<br/>a1<br/>(base) (current)"), "{src}");
    assert!(src.contains("b1<br/>b1<br/>(head) (pending)"), "{src}");

    // Without --url the template URL is refused, and the graph is still drawn.
    let o = t.run(&["graph", "--with-db"]);
    assert_eq!(o.code, Some(6), "{}", o.stderr);
    assert!(o.stdout.starts_with("flowchart BT\n"));
    assert!(
        o.stderr.contains("graph drawn without database marks"),
        "{}",
        o.stderr
    );
}
