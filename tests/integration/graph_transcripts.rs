//! Replays the static `heads`/`history`/`show`/`branches` commands of the
//! recorded Alembic 1.20 transcripts (`tests/graph_transcripts/*.txt`, copies
//! of `alembic-transcripts/`) against `db-status`, on the same trees rebuilt
//! in a temp dir: stdout must be byte-identical and the exit code the same.
//!
//! Revision files are written in Alembic's template shape; each docstring is
//! taken from the transcript's own `-v` output. Where Alembic prints a Python
//! frozenset (`Branches into:`, the child lines of `branches`) both sides are
//! compared with those items sorted; argparse usage errors (exit 2) are left out.

use crate::support::{self, Tree, python_ids};

use std::path::Path;

mod database;

/// One revision file: name, id, down revisions, declared labels, depends_on.
struct Rev {
    file: &'static str,
    id: &'static str,
    down: &'static [&'static str],
    labels: &'static [&'static str],
    deps: &'static [&'static str],
    /// Docstring when the transcript has no `-v` block for this revision.
    doc: Option<&'static str>,
}

const fn rev(
    file: &'static str,
    id: &'static str,
    down: &'static [&'static str],
    labels: &'static [&'static str],
    deps: &'static [&'static str],
) -> Rev {
    Rev {
        file,
        id,
        down,
        labels,
        deps,
        doc: None,
    }
}

/// The version table of the section.
#[derive(Clone, Copy)]
enum Db {
    /// Not modelled: commands that read the database are left out.
    Unknown,
    /// No `app.db` file.
    NoFile,
    /// `alembic_version` with these rows, in this order (may be empty).
    Rows(&'static [&'static str]),
}

/// A section of a transcript and the tree it runs on.
struct Scenario {
    transcript: &'static str,
    /// Where the transcript ran, under its `WORKDIR` (the project root).
    dir: &'static str,
    start: &'static str,
    end: &'static str,
    revs: Vec<Rev>,
    skip: &'static [&'static str],
    /// Transcript holding the `-v` blocks, when not `transcript` itself.
    docs_from: Option<&'static str>,
    /// The database state during the section.
    db: Db,
}

fn transcript_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/graph_transcripts")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The docstring Alembic showed for `id` in some `-v` block (`longdoc`).
fn longdoc_from(text: &str, id: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let header = format!("Rev: {id}");
    let start = lines
        .iter()
        .position(|l| l == &header || l.starts_with(&format!("{header} ")))?;
    let path_line = (start..lines.len())
        .find(|&i| lines[i].starts_with("Path: "))
        .unwrap_or_else(|| panic!("no Path: line for {id}"));
    // Path, one empty line, then indented lines up to the next empty line.
    let mut doc = Vec::new();
    for l in &lines[path_line + 2..] {
        if l.is_empty() {
            break;
        }
        doc.push(l.strip_prefix("    ").unwrap_or(l));
    }
    Some(doc.join("\n"))
}

/// The tree of `sc`, written in Alembic's template shape with `text`'s
/// docstrings, and its version table when the section models one.
fn write_tree(sc: &Scenario, text: &str) -> Tree {
    let t = Tree::written(
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///%(here)s/app.db\n",
    );
    for r in &sc.revs {
        let doc = match (longdoc_from(text, r.id), r.doc) {
            (Some(d), _) => d,
            (None, Some(d)) => d.to_string(),
            (None, None) => panic!("no -v block and no doc for {}", r.id),
        };
        let body = format!(
            "\"\"\"{doc}\n\n\"\"\"\nfrom typing import Sequence, Union\n\nfrom alembic import op\nimport sqlalchemy as sa\n\n\n\
             # revision identifiers, used by Alembic.\n\
             revision: str = '{}'\n\
             down_revision: Union[str, Sequence[str], None] = {}\n\
             branch_labels: Union[str, Sequence[str], None] = {}\n\
             depends_on: Union[str, Sequence[str], None] = {}\n\n\n\
             def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n",
            r.id,
            python_ids(r.down),
            python_ids(r.labels),
            python_ids(r.deps)
        );
        t.write(r.file, &body);
    }
    if let Db::Rows(rows) = sc.db {
        support::sqlite_db(&t.root().join("app.db"), rows);
    }
    t
}

/// Shell-like split with single and double quotes.
fn split_args(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut quote: Option<char> = None;
    for c in cmd.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                has = true;
            }
            (None, ' ') => {
                if has || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                has = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if has || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// (command, stdout, exit) for every `$ alembic …` in the section.
fn commands(text: &str, start: &str, end: &str) -> Vec<(String, String, i32)> {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no section {start}"));
    let section = &text[from..];
    let section = match section.find(end) {
        Some(to) => &section[..to],
        None => section,
    };
    let mut out = Vec::new();
    for block in section.split("\n$ ").skip(1) {
        let Some((cmd, rest)) = block.split_once('\n') else {
            continue;
        };
        let Some(stdout_start) = rest.find("[stdout]\n") else {
            continue;
        };
        let after = &rest[stdout_start + "[stdout]\n".len()..];
        let Some(stderr_at) = after.find("[stderr]\n") else {
            continue;
        };
        let stdout = &after[..stderr_at];
        let exit = after
            .split("[exit ")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(-1);
        out.push((cmd.to_string(), stdout.to_string(), exit));
    }
    out
}

/// Whether db-status answers this command (database commands only when the
/// section's database is modelled).
fn comparable(cmd: &str, args: &[String], exit: i32, db: Db) -> bool {
    let Some(sub) = args.get(1) else {
        return false;
    };
    let reads_db = sub == "current" || args.iter().any(|a| a == "-i" || a.contains("current"));
    args.first().map(String::as_str) == Some("alembic")
        && ["heads", "history", "show", "branches", "current"].contains(&sub.as_str())
        && !cmd.contains('|')
        && !args
            .iter()
            .any(|a| a == "--help" || a == "--sql" || a.starts_with("-x"))
        && (!reads_db || !matches!(db, Db::Unknown))
        && exit != 2
}

/// `alembic current` prints a Python set (random order): compare its
/// entries sorted (one line each, or one `Rev:` block each with `-v`).
fn normalize_current(text: &str) -> String {
    let verbose = text.lines().any(|l| l.starts_with("Rev: "));
    let mut head = String::new();
    let mut blocks: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.starts_with("Current revision(s) for ") {
            head.push_str(line);
        } else if !verbose || line.starts_with("Rev: ") {
            blocks.push(line.to_string());
        } else if let Some(last) = blocks.last_mut() {
            last.push_str(line);
        } else {
            head.push_str(line);
        }
    }
    blocks.sort();
    head + &blocks.concat()
}

/// Sort the items Alembic prints in frozenset order: the ids after
/// `Branches into: ` and each run of `branches` child lines (`<pad> -> …`).
fn normalize_sets(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut Vec<String>| {
        run.sort();
        out.append(run);
    };
    for line in text.split('\n') {
        if line.starts_with(' ') && line.trim_start().starts_with("-> ") {
            run.push(line.to_string());
            continue;
        }
        flush(&mut run, &mut out);
        match line.strip_prefix("Branches into: ") {
            Some(items) => {
                let mut v: Vec<&str> = items.split(", ").collect();
                v.sort_unstable();
                out.push(format!("Branches into: {}", v.join(", ")));
            }
            None => out.push(line.to_string()),
        }
    }
    flush(&mut run, &mut out);
    out.join("\n")
}

fn run(sc: Scenario) {
    let text = transcript_text(sc.transcript);
    let docs = sc.docs_from.map_or_else(|| text.clone(), transcript_text);
    let tree = write_tree(&sc, &docs);
    // The transcripts ran in WORKDIR/<dir>; here the tree is the project root.
    let recorded_root = format!("WORKDIR/{}", sc.dir);
    let root = tree.root();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (cmd, stdout, exit) in commands(&text, sc.start, sc.end) {
        let args = split_args(&cmd);
        if !comparable(&cmd, &args, exit, sc.db) || sc.skip.contains(&cmd.as_str()) {
            continue;
        }
        let expected = stdout.replace(&recorded_root, &root.to_string_lossy());
        let argv: Vec<&str> = args[1..].iter().map(String::as_str).collect();
        let output = tree.run(&argv);
        let (mut expected, mut got) = (normalize_sets(&expected), normalize_sets(&output.stdout));
        if args.get(1).map(String::as_str) == Some("current") || cmd == "alembic show current" {
            expected = normalize_current(&expected);
            got = normalize_current(&got);
        }
        let code = output.code.unwrap_or(-1);
        checked += 1;
        if got != expected || code != exit {
            failures.push(format!(
                "$ {cmd}\n--- expected (exit {exit})\n{expected}--- got (exit {code})\n{got}--- stderr\n{}",
                output.stderr
            ));
        }
    }
    assert!(checked > 0, "no command checked in {}", sc.transcript);
    assert!(
        failures.is_empty(),
        "{} of {checked} commands differ in {}:\n{}",
        failures.len(),
        sc.transcript,
        failures.join("\n")
    );
}

fn linear_revs() -> Vec<Rev> {
    vec![
        rev(
            "1a2b3c4d5e6f_create_account_table.py",
            "1a2b3c4d5e6f",
            &[],
            &[],
            &[],
        ),
        rev(
            "2b3c4d5e6f70_add_a_column.py",
            "2b3c4d5e6f70",
            &["1a2b3c4d5e6f"],
            &[],
            &[],
        ),
        rev(
            "3c4d5e6f7081_third_change_rename_with_a_long_message_.py",
            "3c4d5e6f7081",
            &["2b3c4d5e6f70"],
            &[],
            &[],
        ),
    ]
}

fn two_heads_revs(merged: bool) -> Vec<Rev> {
    let mut v = vec![
        rev("ae1000000001_initial.py", "ae1000000001", &[], &[], &[]),
        rev(
            "ae1000000002_second.py",
            "ae1000000002",
            &["ae1000000001"],
            &[],
            &[],
        ),
        rev(
            "ae1000000003_third_on_main.py",
            "ae1000000003",
            &["ae1000000002"],
            &[],
            &[],
        ),
        rev(
            "be2000000001_branch_b.py",
            "be2000000001",
            &["ae1000000002"],
            &[],
            &[],
        ),
    ];
    if merged {
        v.push(rev(
            "ee3000000001_merge_main_and_b.py",
            "ee3000000001",
            &["ae1000000003", "be2000000001"],
            &[],
            &[],
        ));
    }
    v
}

fn labels_revs() -> Vec<Rev> {
    vec![
        rev("0a0000000001_main_one.py", "0a0000000001", &[], &[], &[]),
        rev(
            "0a0000000002_main_two.py",
            "0a0000000002",
            &["0a0000000001"],
            &[],
            &[],
        ),
        rev(
            "c0ffee000001_create_shopping_cart_table.py",
            "c0ffee000001",
            &[],
            &["shoppingcart"],
            &[],
        ),
        rev(
            "c0ffee000002_add_a_column_to_cart.py",
            "c0ffee000002",
            &["c0ffee000001"],
            &[],
            &[],
        ),
        rev(
            "5e7000000001_create_networking_branch.py",
            "5e7000000001",
            &[],
            &["networking"],
            &[],
        ),
    ]
}

fn depends_on_revs() -> Vec<Rev> {
    vec![
        rev(
            "0e1000000001_other_1.py",
            "0e1000000001",
            &[],
            &["other"],
            &[],
        ),
        rev(
            "0e2000000002_other_2.py",
            "0e2000000002",
            &["0e1000000001"],
            &[],
            &[],
        ),
        rev("d1000000000a_main_1.py", "d1000000000a", &[], &[], &[]),
        rev(
            "d2000000000b_main_2.py",
            "d2000000000b",
            &["d1000000000a"],
            &[],
            &[],
        ),
        rev(
            "d3000000000c_main_3_needs_other.py",
            "d3000000000c",
            &["d2000000000b"],
            &[],
            &["0e2000000002"],
        ),
    ]
}

#[test]
fn transcript_01_linear_static() {
    run(Scenario {
        transcript: "01_linear.txt",
        dir: "exp/s01",
        start: "## === Static commands",
        end: "## === State: EMPTY DB",
        revs: linear_revs(),
        skip: &[],
        docs_from: None,
        db: Db::Unknown,
    });
}

#[test]
fn transcript_08_cli_ranges_and_show() {
    run(Scenario {
        transcript: "08_cli_misc.txt",
        dir: "exp/s01",
        start: "# transcript",
        end: "## edit revision with a newline",
        revs: linear_revs(),
        skip: &[],
        docs_from: Some("01_linear.txt"),
        db: Db::Unknown,
    });
}

#[test]
fn transcript_02_two_heads_static() {
    run(Scenario {
        transcript: "02_two_heads_and_merge.txt",
        dir: "exp/s02",
        start: "## === static commands with two heads ===",
        end: "## === upgrade only one branch",
        revs: two_heads_revs(false),
        skip: &[],
        docs_from: None,
        db: Db::Unknown,
    });
}

#[test]
fn transcript_03_branch_labels_static() {
    run(Scenario {
        transcript: "03_branch_labels.txt",
        dir: "exp/s03",
        start: "## === static ===",
        end: "## === upgrade one labelled branch only ===",
        revs: labels_revs(),
        skip: &[],
        docs_from: None,
        db: Db::Unknown,
    });
}

#[test]
fn transcript_04_depends_on_static() {
    run(Scenario {
        transcript: "04_depends_on.txt",
        dir: "exp/s04",
        start: "## === static ===",
        end: "## === partial",
        revs: depends_on_revs(),
        skip: &[],
        docs_from: None,
        db: Db::Unknown,
    });
}

#[test]
fn transcript_12_load_order() {
    let doc = |r: Rev, d: &'static str| Rev { doc: Some(d), ..r };
    run(Scenario {
        transcript: "12_load_order_tiebreak.txt",
        dir: "exp/s12",
        start: "# transcript",
        end: "## rename so",
        revs: vec![
            doc(
                rev("zzz_file.py", "aaaa00000001", &[], &[], &[]),
                "root A (file sorts last)",
            ),
            doc(
                rev("mmm_file.py", "aaaa00000002", &["aaaa00000001"], &[], &[]),
                "child A",
            ),
            doc(
                rev("aaa_file.py", "ffff00000001", &[], &[], &[]),
                "root F (file sorts first)",
            ),
            doc(
                rev("bbb_file.py", "ffff00000002", &["ffff00000001"], &[], &[]),
                "child F",
            ),
        ],
        skip: &[],
        docs_from: None,
        db: Db::Unknown,
    });
}
