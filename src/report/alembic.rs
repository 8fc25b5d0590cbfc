//! Byte-compatible renderings of Alembic's `heads`, `history`, `branches`,
//! `show` and `current` output (`Script._head_only`, `Script.log_entry`).
//!
//! Where Alembic prints a Python `set` (branch labels, `Branches into`, the
//! children listed by `branches`) the order is hash-random there; here labels
//! are sorted and children are in load order.

use crate::graph::{RevIdx, RevisionMap};

/// The flags of `Script._head_only` (Alembic's defaults: all false except
/// `tree_indicators` and `head_indicators`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadOnly {
    /// Append ` (label, …)`.
    pub(crate) include_branches: bool,
    /// Append `, <doc>`.
    pub(crate) include_doc: bool,
    /// Prefix `<down> [(deps)] -> `.
    pub(crate) include_parents: bool,
    /// Append ` (branchpoint)` / ` (mergepoint)`.
    pub(crate) tree_indicators: bool,
    /// Append ` (head)` / ` (effective head)` / ` (current)`.
    pub(crate) head_indicators: bool,
}

impl Default for HeadOnly {
    fn default() -> Self {
        HeadOnly {
            include_branches: false,
            include_doc: false,
            include_parents: false,
            tree_indicators: true,
            head_indicators: true,
        }
    }
}

/// `_format_down_revision`: `<base>` or the versioned parents as written.
fn push_down_revision(out: &mut String, map: &RevisionMap, idx: RevIdx) {
    let down = &map.script(idx).down_revisions;
    if down.is_empty() {
        out.push_str("<base>");
    } else {
        push_joined(out, down.iter().map(String::as_str));
    }
}

/// Items separated by `", "` (Python's `", ".join(...)`), appended.
fn push_joined<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item);
    }
}

/// `Script._head_only(...)`; `current` is `_db_current_indicator`.
pub(crate) fn head_only(map: &RevisionMap, idx: RevIdx, opts: HeadOnly, current: bool) -> String {
    let mut text = String::new();
    push_head_only(&mut text, map, idx, opts, current);
    text
}

/// [`head_only`], appended to `text` (no allocation of its own).
fn push_head_only(
    text: &mut String,
    map: &RevisionMap,
    idx: RevIdx,
    opts: HeadOnly,
    current: bool,
) {
    let s = map.script(idx);
    if opts.include_parents {
        push_down_revision(text, map, idx);
        if !s.dependencies.is_empty() {
            text.push_str(" (");
            push_joined(text, s.dependencies.iter().map(String::as_str));
            text.push(')');
        }
        text.push_str(" -> ");
    }
    text.push_str(&s.revision);
    if opts.include_branches && map.has_labels(idx) {
        text.push_str(" (");
        push_joined(text, map.labels(idx));
        text.push(')');
    }
    if opts.head_indicators || opts.tree_indicators {
        if map.is_real_head(idx) {
            text.push_str(" (head)");
        }
        if map.is_head(idx) && !map.is_real_head(idx) {
            text.push_str(" (effective head)");
        }
        if current {
            text.push_str(" (current)");
        }
    }
    if opts.tree_indicators {
        if map.is_branch_point(idx) {
            text.push_str(" (branchpoint)");
        }
        if map.is_merge_point(idx) {
            text.push_str(" (mergepoint)");
        }
    }
    if opts.include_doc {
        text.push_str(", ");
        text.push_str(s.doc());
    }
}

/// `Script.log_entry` (ends with the indented docstring and one `\n`).
pub(crate) fn log_entry(map: &RevisionMap, idx: RevIdx, current: bool) -> String {
    let mut entry = String::new();
    push_log_entry(&mut entry, map, idx, current);
    entry
}

/// [`log_entry`], appended to `entry`.
fn push_log_entry(entry: &mut String, map: &RevisionMap, idx: RevIdx, current: bool) {
    use std::fmt::Write as _;
    let s = map.script(idx);
    entry.push_str("Rev: ");
    entry.push_str(&s.revision);
    if map.is_head(idx) {
        entry.push_str(" (head)");
    }
    if map.is_branch_point(idx) {
        entry.push_str(" (branchpoint)");
    }
    if map.is_merge_point(idx) {
        entry.push_str(" (mergepoint)");
    }
    if current {
        entry.push_str(" (current)");
    }
    entry.push('\n');
    entry.push_str(if map.is_merge_point(idx) {
        "Merges: "
    } else {
        "Parent: "
    });
    push_down_revision(entry, map, idx);
    entry.push('\n');
    if !s.dependencies.is_empty() {
        entry.push_str("Also depends on: ");
        push_joined(entry, s.dependencies.iter().map(String::as_str));
        entry.push('\n');
    }
    if map.is_branch_point(idx) {
        entry.push_str("Branches into: ");
        push_joined(entry, map.children(idx).into_iter().map(|c| map.id(c)));
        entry.push('\n');
    }
    if map.has_labels(idx) {
        entry.push_str("Branch names: ");
        push_joined(entry, map.labels(idx));
        entry.push('\n');
    }
    let _ = writeln!(entry, "Path: {}", s.path.display());
    entry.push('\n');
    for (i, line) in crate::python::splitlines(&s.longdoc)
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            entry.push('\n');
        }
        entry.push_str("    ");
        entry.push_str(line);
    }
    entry.push('\n');
}

/// `Script.cmd_format(verbose, …)`: `log_entry` when verbose, else `_head_only`.
pub(crate) fn cmd_format(
    map: &RevisionMap,
    idx: RevIdx,
    verbose: bool,
    opts: HeadOnly,
    current: bool,
) -> String {
    let mut text = String::new();
    push_cmd_format(&mut text, map, idx, verbose, opts, current);
    text
}

/// [`cmd_format`], appended to `text`.
fn push_cmd_format(
    text: &mut String,
    map: &RevisionMap,
    idx: RevIdx,
    verbose: bool,
    opts: HeadOnly,
    current: bool,
) {
    if verbose {
        push_log_entry(text, map, idx, current);
    } else {
        push_head_only(text, map, idx, opts, current);
    }
}

/// `alembic heads` stdout for these revisions (each line as `print_stdout` writes it).
pub(crate) fn heads(map: &RevisionMap, revs: &[RevIdx], verbose: bool) -> String {
    let opts = HeadOnly {
        include_branches: true,
        tree_indicators: false,
        ..HeadOnly::default()
    };
    let mut out = String::new();
    for &r in revs {
        push_cmd_format(&mut out, map, r, verbose, opts, false);
        out.push('\n');
    }
    out
}

/// The `HeadOnly` flags of `alembic history`.
const HISTORY: HeadOnly = HeadOnly {
    include_branches: true,
    include_doc: true,
    include_parents: true,
    tree_indicators: true,
    head_indicators: true,
};

fn push_history_entry(
    text: &mut String,
    map: &RevisionMap,
    r: RevIdx,
    verbose: bool,
    currents: Option<&[String]>,
) {
    let current = currents.is_some_and(|c| c.iter().any(|row| row == map.id(r)));
    push_cmd_format(text, map, r, verbose, HISTORY, current);
    text.push('\n');
}

/// `alembic history` stdout; `currents` are the raw version-table rows for `-i`.
pub(crate) fn history(
    map: &RevisionMap,
    revs: &[RevIdx],
    verbose: bool,
    currents: Option<&[String]>,
) -> String {
    let mut out = String::new();
    for &r in revs {
        push_history_entry(&mut out, map, r, verbose, currents);
    }
    out
}

/// [`history`], written to `out` through one reused buffer as it is
/// rendered: with thousands of inherited labels the text of 100,000
/// revisions runs to gigabytes, which need not be held in memory.
pub(crate) fn write_history(
    map: &RevisionMap,
    revs: &[RevIdx],
    verbose: bool,
    currents: Option<&[String]>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    const CHUNK: usize = 64 * 1024;
    let mut buf = String::with_capacity(2 * CHUNK);
    for &r in revs {
        push_history_entry(&mut buf, map, r, verbose, currents);
        if buf.len() >= CHUNK {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
    }
    out.write_all(buf.as_bytes())
}

/// `alembic branches` stdout, given the full history order.
pub(crate) fn branches(map: &RevisionMap, history_order: &[RevIdx], verbose: bool) -> String {
    let header_opts = HeadOnly {
        include_branches: true,
        ..HeadOnly::default()
    };
    let child_opts = HeadOnly {
        include_branches: true,
        include_doc: verbose,
        ..HeadOnly::default()
    };
    let mut out = String::new();
    for &r in history_order.iter().filter(|&&r| map.is_branch_point(r)) {
        let pad = " ".repeat(map.id(r).chars().count());
        let kids: Vec<String> = map
            .children(r)
            .into_iter()
            .map(|c| format!("{pad} -> {}", head_only(map, c, child_opts, false)))
            .collect();
        out.push_str(&format!(
            "{}\n{}\n\n",
            cmd_format(map, r, verbose, header_opts, false),
            kids.join("\n")
        ));
    }
    out
}

/// `alembic show` stdout.
pub(crate) fn show(map: &RevisionMap, revs: &[RevIdx]) -> String {
    revs.iter()
        .map(|&r| format!("{}\n", log_entry(map, r, false)))
        .collect()
}

/// `alembic current` revision lines (after the optional `-v` header).
pub(crate) fn current(map: &RevisionMap, revs: &[RevIdx], verbose: bool) -> String {
    revs.iter()
        .map(|&r| {
            format!(
                "{}\n",
                cmd_format(map, r, verbose, HeadOnly::default(), false)
            )
        })
        .collect()
}
