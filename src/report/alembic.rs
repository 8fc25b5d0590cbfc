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
pub struct HeadOnly {
    /// Append ` (label, …)`.
    pub include_branches: bool,
    /// Append `, <doc>`.
    pub include_doc: bool,
    /// Prefix `<down> [(deps)] -> `.
    pub include_parents: bool,
    /// Append ` (branchpoint)` / ` (mergepoint)`.
    pub tree_indicators: bool,
    /// Append ` (head)` / ` (effective head)` / ` (current)`.
    pub head_indicators: bool,
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
pub fn format_down_revision(map: &RevisionMap, idx: RevIdx) -> String {
    let down = &map.script(idx).down_revisions;
    if down.is_empty() {
        "<base>".to_string()
    } else {
        down.join(", ")
    }
}

/// `Script._head_only(...)`; `current` is `_db_current_indicator`.
pub fn head_only(map: &RevisionMap, idx: RevIdx, opts: HeadOnly, current: bool) -> String {
    let s = map.script(idx);
    let mut text = s.revision.clone();
    if opts.include_parents {
        text = if s.dependencies.is_empty() {
            format!("{} -> {text}", format_down_revision(map, idx))
        } else {
            format!(
                "{} ({}) -> {text}",
                format_down_revision(map, idx),
                s.dependencies.join(", ")
            )
        };
    }
    let labels = map.labels(idx);
    if opts.include_branches && !labels.is_empty() {
        text.push_str(&format!(" ({})", labels.join(", ")));
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
    text
}

/// `Script.log_entry` (ends with the indented docstring and one `\n`).
pub fn log_entry(map: &RevisionMap, idx: RevIdx, current: bool) -> String {
    let s = map.script(idx);
    let mut entry = format!(
        "Rev: {}{}{}{}{}\n",
        s.revision,
        if map.is_head(idx) { " (head)" } else { "" },
        if map.is_branch_point(idx) {
            " (branchpoint)"
        } else {
            ""
        },
        if map.is_merge_point(idx) {
            " (mergepoint)"
        } else {
            ""
        },
        if current { " (current)" } else { "" },
    );
    if map.is_merge_point(idx) {
        entry.push_str(&format!("Merges: {}\n", format_down_revision(map, idx)));
    } else {
        entry.push_str(&format!("Parent: {}\n", format_down_revision(map, idx)));
    }
    if !s.dependencies.is_empty() {
        entry.push_str(&format!("Also depends on: {}\n", s.dependencies.join(", ")));
    }
    if map.is_branch_point(idx) {
        let kids: Vec<&str> = map.children(idx).into_iter().map(|c| map.id(c)).collect();
        entry.push_str(&format!("Branches into: {}\n", kids.join(", ")));
    }
    let labels = map.labels(idx);
    if !labels.is_empty() {
        entry.push_str(&format!("Branch names: {}\n", labels.join(", ")));
    }
    entry.push_str(&format!("Path: {}\n", s.path.display()));
    let body: Vec<String> = crate::python::splitlines(&s.longdoc)
        .into_iter()
        .map(|l| format!("    {l}"))
        .collect();
    entry.push_str(&format!("\n{}\n", body.join("\n")));
    entry
}

/// `Script.cmd_format(verbose, …)`: `log_entry` when verbose, else `_head_only`.
pub fn cmd_format(
    map: &RevisionMap,
    idx: RevIdx,
    verbose: bool,
    opts: HeadOnly,
    current: bool,
) -> String {
    if verbose {
        log_entry(map, idx, current)
    } else {
        head_only(map, idx, opts, current)
    }
}

/// `alembic heads` stdout for these revisions (each line as `print_stdout` writes it).
pub fn heads(map: &RevisionMap, revs: &[RevIdx], verbose: bool) -> String {
    let opts = HeadOnly {
        include_branches: true,
        tree_indicators: false,
        ..HeadOnly::default()
    };
    revs.iter()
        .map(|&r| format!("{}\n", cmd_format(map, r, verbose, opts, false)))
        .collect()
}

/// `alembic history` stdout; `currents` are the raw version-table rows for `-i`.
pub fn history(
    map: &RevisionMap,
    revs: &[RevIdx],
    verbose: bool,
    currents: Option<&[String]>,
) -> String {
    let opts = HeadOnly {
        include_branches: true,
        include_doc: true,
        include_parents: true,
        ..HeadOnly::default()
    };
    revs.iter()
        .map(|&r| {
            let current = currents.is_some_and(|c| c.iter().any(|row| row == map.id(r)));
            format!("{}\n", cmd_format(map, r, verbose, opts, current))
        })
        .collect()
}

/// `alembic branches` stdout, given the full history order.
pub fn branches(map: &RevisionMap, history_order: &[RevIdx], verbose: bool) -> String {
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
pub fn show(map: &RevisionMap, revs: &[RevIdx]) -> String {
    revs.iter()
        .map(|&r| format!("{}\n", log_entry(map, r, false)))
        .collect()
}

/// `alembic current` revision lines (after the optional `-v` header).
pub fn current(map: &RevisionMap, revs: &[RevIdx], verbose: bool) -> String {
    revs.iter()
        .map(|&r| {
            format!(
                "{}\n",
                cmd_format(map, r, verbose, HeadOnly::default(), false)
            )
        })
        .collect()
}
