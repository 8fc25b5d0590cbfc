//! Deciding whether two outputs agree, and showing how they differ.
//!
//! Byte-exact by default. Where Alembic's order comes from Python's hash
//! seed (spec §9) db-status sorts instead, so those parts are compared in a
//! normalized form. (Label order is not even fixed by the seed: Alembic
//! propagates labels by iterating a `set` of revision objects hashed by
//! address, so two runs in one process may print `(a, b)` and `(b, a)`.)
//!
//! - a revision with ≥2 branch labels (`multi_label`): every parenthesized
//!   comma list `(b, a)` and every `Branch names:` line has its items sorted;
//! - a branch point (`branch_point`): `Branches into:` items are sorted, and
//!   in `branches` the child lines (`   -> …`) of each branch point are
//!   sorted inside their block; the blocks, and every other line, stay in
//!   place.
//!
//! Two other set orders are fixed in the oracle instead, so those outputs
//! are compared byte for byte (`tests/oracle/run_alembic.py`): normalized
//! dependencies are sorted (the `history` order of revisions with several
//! dependencies), and `current` lists its revisions in load order.
//!
//! Two messages are random even with a fixed seed, because Alembic builds
//! them from `set`s of objects hashed by address: the two revisions named in
//! "Branch name 'x' in revision A already used by revision B" (labelled
//! revisions are collected in such a set) and the list in "Requested
//! revision X overlaps with other requested revisions A, B". Both sides are
//! compared with those revisions sorted, in every mode.

use crate::support::oracle::HashFlags;

/// How one command's output is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Byte for byte.
    Exact,
    /// After sorting hash-ordered lists inside lines.
    Normalized,
    /// Normalized, and the children of each `branches` block sorted.
    BranchBlocks,
}

impl Mode {
    /// Short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Exact => "exact bytes",
            Mode::Normalized => "hash-ordered lists sorted (spec §9)",
            Mode::BranchBlocks => {
                "hash-ordered lists and each branch point's children sorted (spec §9)"
            }
        }
    }
}

/// The Alembic subcommand in an argument list (skipping `-c X`, `-n X`).
pub fn subcommand(argv: &[String]) -> &str {
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-c" | "--config" | "-n" | "--name" | "-x" => {
                it.next();
            }
            s if s.starts_with('-') => {}
            s => return s,
        }
    }
    ""
}

/// The comparison mode for `argv` in a case with `flags`.
pub fn mode_for(argv: &[String], flags: HashFlags) -> Mode {
    let cmd = subcommand(argv);
    if cmd == "branches" && flags.branch_point {
        Mode::BranchBlocks
    } else if flags.multi_label || flags.branch_point {
        Mode::Normalized
    } else {
        Mode::Exact
    }
}

/// Whether `expected` (Alembic) and `actual` (db-status) agree under `mode`.
pub fn agree(expected: &str, actual: &[u8], mode: Mode, flags: HashFlags) -> bool {
    if expected.as_bytes() == actual {
        return true;
    }
    let Ok(actual) = std::str::from_utf8(actual) else {
        return false;
    };
    match mode {
        Mode::Exact => address_random(expected) == address_random(actual),
        Mode::Normalized => normalize(expected, flags) == normalize(actual, flags),
        Mode::BranchBlocks => branch_blocks(expected, flags) == branch_blocks(actual, flags),
    }
}

fn normalize(text: &str, flags: HashFlags) -> String {
    text.split('\n')
        .map(|line| normalize_line(line, flags))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `branches` output, normalized, with the children of each branch point
/// sorted inside its block. A child starts at a `<spaces> -> ` line and
/// runs on over the lines of a multi-line docstring; a block's children end
/// at the blank line that closes the block.
fn branch_blocks(text: &str, flags: HashFlags) -> Vec<String> {
    let lines: Vec<String> = text.split('\n').map(|l| normalize_line(l, flags)).collect();
    let is_child = |l: &str| l.starts_with(' ') && l.trim_start().starts_with("-> ");
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if !is_child(&lines[i]) {
            out.push(lines[i].clone());
            i += 1;
            continue;
        }
        let mut children: Vec<Vec<String>> = Vec::new();
        while i < lines.len() && !lines[i].is_empty() {
            if is_child(&lines[i]) || children.is_empty() {
                children.push(Vec::new());
            }
            if let Some(child) = children.last_mut() {
                child.push(lines[i].clone());
            }
            i += 1;
        }
        children.sort();
        out.extend(children.into_iter().flatten());
    }
    out
}

/// `text` with the address-ordered revision lists of Alembic's
/// duplicate-label and overlap messages sorted.
pub fn address_random(text: &str) -> String {
    text.split('\n')
        .map(|l| sort_overlap_list(&sort_duplicate_label_pair(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn sort_overlap_list(line: &str) -> String {
    const MARK: &str = " overlaps with other requested revisions ";
    match line.find(MARK) {
        Some(at) => {
            let mut items: Vec<&str> = line[at + MARK.len()..].split(", ").collect();
            items.sort_unstable();
            format!("{}{MARK}{}", &line[..at], items.join(", "))
        }
        None => line.to_owned(),
    }
}

fn sort_duplicate_label_pair(line: &str) -> String {
    const MID: &str = " already used by revision ";
    let Some(start) = line.find("Branch name '") else {
        return line.to_owned();
    };
    let Some(rev_at) = line[start..].find("' in revision ").map(|i| start + i + 14) else {
        return line.to_owned();
    };
    let Some(mid_at) = line[rev_at..].find(MID).map(|i| rev_at + i) else {
        return line.to_owned();
    };
    let a = &line[rev_at..mid_at];
    let b = &line[mid_at + MID.len()..];
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    format!("{}{a}{MID}{b}", &line[..rev_at])
}

fn normalize_line(line: &str, flags: HashFlags) -> String {
    let owned = sort_overlap_list(&sort_duplicate_label_pair(line));
    let line: &str = &owned;
    for prefix in ["Branches into: ", "Branch names: "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let mut items: Vec<&str> = rest.split(", ").collect();
            items.sort_unstable();
            return format!("{prefix}{}", items.join(", "));
        }
    }
    if !flags.multi_label {
        return line.to_owned();
    }
    // Sort the items of every `(x, y)` group made only of label-like words.
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(')') {
            Some(close) => {
                let inner = &after[..close];
                let items: Vec<&str> = inner.split(", ").collect();
                let label_like = items.len() > 1
                    && items.iter().all(|i| {
                        !i.is_empty() && !i.contains(|c: char| c.is_whitespace() || c == '(')
                    });
                if label_like {
                    let mut sorted = items;
                    sorted.sort_unstable();
                    out.push('(');
                    out.push_str(&sorted.join(", "));
                    out.push(')');
                } else {
                    out.push('(');
                    out.push_str(inner);
                    out.push(')');
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('(');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A line diff of `expected` (`-`) against `actual` (`+`), unchanged runs
/// shortened; control characters and trailing blanks made visible.
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.split_inclusive('\n').collect();
    let b: Vec<&str> = actual.split_inclusive('\n').collect();
    // Plain LCS table: outputs here are at most a few hundred lines.
    const LIMIT: usize = 600;
    if a.len() > LIMIT || b.len() > LIMIT {
        return first_difference(&a, &b);
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', b[j]));
            j += 1;
        } else {
            ops.push(('-', a[i]));
            i += 1;
        }
    }
    let mut out = String::new();
    let near_change = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|(t, _)| *t != ' ')
    };
    let mut skipped = 0;
    for (k, (tag, line)) in ops.iter().enumerate() {
        if *tag == ' ' && !near_change(k) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            out.push_str(&format!("   … {skipped} unchanged line(s)\n"));
            skipped = 0;
        }
        out.push_str(&format!("{tag}  {}\n", visible(line)));
    }
    if skipped > 0 {
        out.push_str(&format!("   … {skipped} unchanged line(s)\n"));
    }
    out
}

fn first_difference(a: &[&str], b: &[&str]) -> String {
    let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    format!(
        "   ({} vs {} lines; first difference at line {})\n-  {}\n+  {}\n",
        a.len(),
        b.len(),
        k + 1,
        a.get(k).map_or("<end>".into(), |l| visible(l)),
        b.get(k).map_or("<end>".into(), |l| visible(l)),
    )
}

/// A line without its `\n`, with `\r`, tabs, other control characters and
/// trailing blanks shown; a missing final newline is marked.
fn visible(line: &str) -> String {
    let (body, nl) = match line.strip_suffix('\n') {
        Some(b) => (b, true),
        None => (line, false),
    };
    let trimmed = body.trim_end_matches(' ');
    let mut s = String::new();
    for c in trimmed.chars() {
        match c {
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&c.escape_unicode().to_string()),
            c => s.push(c),
        }
    }
    for _ in 0..body.len() - trimmed.len() {
        s.push('·');
    }
    if !nl {
        s.push_str("⟨no newline at end⟩");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(multi_label: bool, branch_point: bool, multi_dep: bool) -> HashFlags {
        HashFlags {
            multi_label,
            branch_point,
            multi_dep,
        }
    }

    #[test]
    fn exact_mode_rejects_any_byte_difference() {
        let f = flags(false, false, false);
        assert!(agree(
            "a (x, y) (head)\n",
            b"a (x, y) (head)\n",
            Mode::Exact,
            f
        ));
        assert!(!agree(
            "a (x, y) (head)\n",
            b"a (y, x) (head)\n",
            Mode::Exact,
            f
        ));
        assert!(!agree("a\n", b"a", Mode::Exact, f));
    }

    #[test]
    fn duplicate_label_pair_is_order_free_but_still_compared() {
        let f = flags(false, false, false);
        let a = "FAILED: Branch name 'dup' in revision a1 already used by revision b2\n";
        let b = "FAILED: Branch name 'dup' in revision b2 already used by revision a1\n";
        let c = "FAILED: Branch name 'dup' in revision b2 already used by revision c3\n";
        assert!(agree(a, b.as_bytes(), Mode::Exact, f));
        assert!(!agree(a, c.as_bytes(), Mode::Exact, f));
        let o1 = "FAILED: Requested revision x overlaps with other requested revisions b, a\n";
        let o2 = "FAILED: Requested revision x overlaps with other requested revisions a, b\n";
        let o3 = "FAILED: Requested revision y overlaps with other requested revisions a, b\n";
        assert!(agree(o1, o2.as_bytes(), Mode::Exact, f));
        assert!(!agree(o1, o3.as_bytes(), Mode::Exact, f));
    }

    #[test]
    fn normalized_mode_sorts_labels_and_branch_lists_only() {
        let f = flags(true, true, false);
        let m = Mode::Normalized;
        assert!(agree(
            "a (zeta, net) (head)\n",
            b"a (net, zeta) (head)\n",
            m,
            f
        ));
        assert!(agree(
            "Branches into: b, a\n",
            b"Branches into: a, b\n",
            m,
            f
        ));
        assert!(!agree("a (zeta, net) (head)\n", b"a (net) (head)\n", m, f));
        // Prose in parentheses is not a label list.
        assert!(!agree("x, (two words, b)\n", b"x, (b, two words)\n", m, f));
        // Line order still matters.
        assert!(!agree("a\nb\n", b"b\na\n", m, f));
    }

    #[test]
    fn branch_blocks_sort_children_inside_a_block_only() {
        let f = flags(false, true, false);
        let m = Mode::BranchBlocks;
        let a = "p1 (branchpoint)\n   -> c2 (head)\n   -> c1\n\np2 (branchpoint)\n   -> d1\n   -> d2\n\n";
        let b = "p1 (branchpoint)\n   -> c1\n   -> c2 (head)\n\np2 (branchpoint)\n   -> d2\n   -> d1\n\n";
        assert!(agree(a, b.as_bytes(), m, f));
        // A child moved to another branch point's block is a difference.
        let c = "p1 (branchpoint)\n   -> c1\n   -> d1\n\np2 (branchpoint)\n   -> c2 (head)\n   -> d2\n\n";
        assert!(!agree(a, c.as_bytes(), m, f));
        // A child's docstring lines move with it.
        let e = "p (branchpoint)\n   -> c2, Doc\nline two\n   -> c1\n\n";
        let g = "p (branchpoint)\n   -> c1\n   -> c2, Doc\nline two\n\n";
        let h = "p (branchpoint)\n   -> c1\nline two\n   -> c2, Doc\n\n";
        assert!(agree(e, g.as_bytes(), m, f));
        assert!(!agree(e, h.as_bytes(), m, f));
        // So is a different order of the blocks.
        let d = "p2 (branchpoint)\n   -> d1\n   -> d2\n\np1 (branchpoint)\n   -> c1\n   -> c2 (head)\n\n";
        assert!(!agree(a, d.as_bytes(), m, f));
    }

    #[test]
    fn mode_depends_on_command_and_flags() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let none = flags(false, false, false);
        assert_eq!(mode_for(&argv("history -v"), none), Mode::Exact);
        assert_eq!(
            mode_for(&argv("-c x.ini history"), flags(false, false, true)),
            Mode::Exact
        );
        assert_eq!(
            mode_for(&argv("branches -v"), flags(false, true, false)),
            Mode::BranchBlocks
        );
        assert_eq!(
            mode_for(&argv("heads"), flags(false, true, false)),
            Mode::Normalized
        );
        assert_eq!(subcommand(&argv("-n second show x")), "show");
    }

    #[test]
    fn diff_marks_changes_and_invisible_bytes() {
        let d = diff("a\nb\nc\nd\n", "a\nB \r\nc\nd  \ne");
        assert!(d.contains("-  b\n"), "{d}");
        assert!(d.contains("+  B \\r\n"), "{d}");
        assert!(d.contains("+  d··\n"), "{d}");
        assert!(d.contains("⟨no newline at end⟩"), "{d}");
    }
}
