//! The one divergence analysis, used by `status` and by `check`: which heads
//! nothing tells apart, where they split, which one is the newest, and the
//! edit that joins them.
//!
//! # Rules
//!
//! * The heads are the *real* heads (what `alembic upgrade heads` reaches),
//!   each id once: Alembic lists a duplicated id twice, but it is one
//!   revision (`check` reports the duplicate on its own).
//! * Heads have diverged when two or more carry no branch label, or when two
//!   or more share a label (inherited labels count). Several heads that each
//!   carry their own label are deliberate (Neutron's expand/contract).
//! * A *group* is the unlabelled heads, or the heads sharing one label;
//!   identical groups are reported once.
//! * The last common ancestors of a group are its common ancestors that are
//!   not an ancestor of another common ancestor (one, usually; several after
//!   criss-cross merges; none for independent bases), in history order
//!   (newest first).
//! * The newest head of a group (the one to re-point) is, in order: one the
//!   database has not applied (when a database was read), the latest
//!   `Create Date:` in its docstring (Alembic's template writes it), the one
//!   `alembic history` lists first.
//! * The re-point: the single revision of the newest head's own branch that
//!   hangs off shared history (or is a base) gets the group's other heads as
//!   its `down_revision`. When the branch has no single such revision, or it
//!   is a merge or declares dependencies, there is no one-value edit, and
//!   only a merge revision is offered.

use std::collections::BTreeMap;

use super::{BitSet, RevIdx, RevisionMap};

/// Heads that nothing tells apart, in one or more groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Divergence {
    /// Every diverged head (the union of the groups), in real-heads order.
    pub(crate) heads: Vec<RevIdx>,
    /// The groups: the unlabelled heads first, then one per shared label (sorted).
    pub(crate) groups: Vec<Group>,
    /// Last common ancestors of all diverged heads, history order (newest first).
    pub(crate) last_common_ancestors: Vec<RevIdx>,
}

/// One set of heads that nothing tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// `None` for the unlabelled heads, else the label they share.
    pub(crate) label: Option<String>,
    /// The heads, in real-heads order.
    pub(crate) heads: Vec<RevIdx>,
    /// Their last common ancestors, history order (newest first).
    pub(crate) last_common_ancestors: Vec<RevIdx>,
    /// The heads ordered newest first (see the module rules).
    pub(crate) newest_first: Vec<RevIdx>,
    /// The edit that makes the group one line, if there is a single one.
    pub(crate) repoint: Option<Repoint>,
    /// What `alembic merge` joins: `["heads"]` when the group is every head,
    /// else the group's ids.
    pub(crate) merge_targets: Vec<String>,
}

/// Re-point the first revision of the newest head's branch onto the other heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Repoint {
    /// The revision whose `down_revision` changes (the newest head or the
    /// first revision of its branch).
    pub(crate) revision: RevIdx,
    /// The head whose branch it starts.
    pub(crate) head: RevIdx,
    /// `down_revision` now (ids; empty for a base).
    pub(crate) from: Vec<String>,
    /// `down_revision` after the edit: the group's other heads.
    pub(crate) to: Vec<String>,
}

/// A one-line edit of a revision file, as data (for JSON and agents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    /// The revision file.
    pub(crate) file: std::path::PathBuf,
    /// 1-based line of the assignment.
    pub(crate) line: u32,
    /// The variable assigned (`down_revision`).
    pub(crate) field: &'static str,
    /// The ids it holds now (empty for `None`).
    pub(crate) from: Vec<String>,
    /// The ids it should hold.
    pub(crate) to: Vec<String>,
}

impl Repoint {
    /// The edit as data: file, line, field, from, to.
    pub(crate) fn edit(&self, map: &RevisionMap) -> Edit {
        let s = map.script(self.revision);
        Edit {
            file: s.path.clone(),
            line: s.lines.down_revision,
            field: "down_revision",
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

impl Divergence {
    /// Why the heads count as diverged, e.g. `2 heads carry no branch label`.
    pub(crate) fn reason(&self) -> String {
        self.groups
            .iter()
            .map(|g| match &g.label {
                None => format!("{} heads carry no branch label", g.heads.len()),
                Some(l) => format!("{} heads share the branch label '{l}'", g.heads.len()),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Real heads, each id once (a duplicated id is one revision).
pub(crate) fn distinct_real_heads(map: &RevisionMap) -> Vec<RevIdx> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for h in map.real_heads() {
        let id = map.id(h);
        if !seen.contains(&id) {
            seen.push(id);
            out.push(map.find(id).unwrap_or(h));
        }
    }
    out
}

/// Analyse the map's heads. `applied` holds the revisions a database has
/// applied (ancestors of its rows included), when one was read.
pub(crate) fn analyze(map: &RevisionMap, applied: Option<&BitSet>) -> Option<Divergence> {
    let heads = distinct_real_heads(map);
    let mut members: Vec<(Option<String>, Vec<RevIdx>)> = Vec::new();
    let unlabelled: Vec<RevIdx> = heads
        .iter()
        .copied()
        .filter(|&h| map.labels(h).is_empty())
        .collect();
    if unlabelled.len() >= 2 {
        members.push((None, unlabelled));
    }
    let mut by_label: BTreeMap<&str, Vec<RevIdx>> = BTreeMap::new();
    for &h in &heads {
        for l in map.labels(h) {
            by_label.entry(l).or_default().push(h);
        }
    }
    for (label, group) in by_label {
        if group.len() >= 2 && !members.iter().any(|(_, g)| *g == group) {
            members.push((Some(label.to_string()), group));
        }
    }
    if members.is_empty() {
        return None;
    }
    let history = history_order(map);
    let position = |i: RevIdx| history.get(i).copied().unwrap_or(usize::MAX);
    let union: Vec<RevIdx> = heads
        .iter()
        .copied()
        .filter(|h| members.iter().any(|(_, g)| g.contains(h)))
        .collect();
    let groups = members
        .into_iter()
        .map(|(label, group)| {
            let newest_first = newest_first(map, &group, applied, &position);
            let repoint = newest_first
                .first()
                .and_then(|&newest| repoint(map, &group, newest));
            let merge_targets = if label.is_none() && group.len() == heads.len() {
                vec!["heads".to_string()]
            } else {
                group.iter().map(|&h| map.id(h).to_string()).collect()
            };
            Group {
                last_common_ancestors: last_common_ancestors(map, &group, &position),
                label,
                heads: group,
                newest_first,
                repoint,
                merge_targets,
            }
        })
        .collect();
    Some(Divergence {
        last_common_ancestors: last_common_ancestors(map, &union, &position),
        heads: union,
        groups,
    })
}

/// Each revision's position in `alembic history` order (newest first);
/// reverse load order where the history cannot be walked.
fn history_order(map: &RevisionMap) -> Vec<usize> {
    let order = match map.history(None, None) {
        Ok(h) if h.len() == map.len() => h,
        _ => (0..map.len()).rev().collect(),
    };
    let mut position = vec![usize::MAX; map.len()];
    for (pos, idx) in order.into_iter().enumerate() {
        if let Some(p) = position.get_mut(idx) {
            *p = pos;
        }
    }
    position
}

/// `Create Date: …` from a revision's docstring, as written (ISO-like, so
/// string order is time order).
pub(crate) fn create_date(map: &RevisionMap, idx: RevIdx) -> Option<&str> {
    map.script(idx).longdoc.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Create Date:")
            .map(str::trim)
            .filter(|d| !d.is_empty())
    })
}

fn newest_first(
    map: &RevisionMap,
    heads: &[RevIdx],
    applied: Option<&BitSet>,
    position: &dyn Fn(RevIdx) -> usize,
) -> Vec<RevIdx> {
    let is_applied = |h: RevIdx| applied.is_some_and(|a| a.contains(h));
    let mut v = heads.to_vec();
    v.sort_by(|&a, &b| {
        is_applied(a)
            .cmp(&is_applied(b))
            .then(create_date(map, b).cmp(&create_date(map, a)))
            .then(position(a).cmp(&position(b)))
    });
    v
}

/// Common ancestors of `heads` that are not an ancestor of another common
/// ancestor, newest first.
fn last_common_ancestors(
    map: &RevisionMap,
    heads: &[RevIdx],
    position: &dyn Fn(RevIdx) -> usize,
) -> Vec<RevIdx> {
    let n = map.len();
    let mut count = vec![0usize; n];
    for &h in heads {
        for a in map.ancestor_set(h).iter() {
            if let Some(c) = count.get_mut(a) {
                *c += 1;
            }
        }
    }
    let common: Vec<RevIdx> = (0..n)
        .filter(|&i| count.get(i) == Some(&heads.len()))
        .collect();
    // A common ancestor with a child that is also common is an ancestor of
    // that child, so it is not a *last* one; checking parents keeps this linear.
    let mut shadowed = vec![false; n];
    for &c in &common {
        for &p in map.normalized_down(c) {
            if let Some(s) = shadowed.get_mut(p) {
                *s = true;
            }
        }
    }
    let mut last: Vec<RevIdx> = common
        .into_iter()
        .filter(|&c| !shadowed.get(c).copied().unwrap_or(false))
        .collect();
    last.sort_by_key(|&i| position(i));
    last
}

/// The single revision of `newest`'s own branch that hangs off the other
/// heads' history (or is a base), with its new `down_revision`.
fn repoint(map: &RevisionMap, group: &[RevIdx], newest: RevIdx) -> Option<Repoint> {
    let mut others = BitSet::new(map.len());
    for &h in group.iter().filter(|&&h| h != newest) {
        others.union_with(&map.ancestor_set(h));
    }
    let own: Vec<RevIdx> = map
        .ancestor_set(newest)
        .iter()
        .filter(|&a| !others.contains(a))
        .collect();
    let roots: Vec<RevIdx> = own
        .iter()
        .copied()
        .filter(|&r| {
            map.parents(r).is_empty() || map.parents(r).iter().any(|&p| others.contains(p))
        })
        .collect();
    let [root] = roots.as_slice() else {
        return None;
    };
    let script = map.script(*root);
    // A merge inside the branch, dependencies, or a value we cannot point at
    // make a one-value rewrite a guess.
    if script.down_revisions.len() > 1
        || !script.dependencies.is_empty()
        || script.lines.down_revision == 0
    {
        return None;
    }
    Some(Repoint {
        revision: *root,
        head: newest,
        from: map
            .parents(*root)
            .iter()
            .map(|&p| map.id(p).to_string())
            .collect(),
        to: group
            .iter()
            .filter(|&&h| h != newest)
            .map(|&h| map.id(h).to_string())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{forked, ids, map, rev};

    #[test]
    fn two_unlabelled_heads_diverge_at_their_fork() {
        let m = forked();
        let d = analyze(&m, None).expect("diverged");
        assert_eq!(d.groups.len(), 1);
        let g = &d.groups[0];
        assert_eq!(ids(&m, &g.heads), ["c", "e"]);
        assert_eq!(ids(&m, &g.last_common_ancestors), ["b"]);
        assert_eq!(ids(&m, &g.newest_first), ["e", "c"]);
        let r = g.repoint.as_ref().expect("repoint");
        assert_eq!(m.id(r.revision), "d");
        assert_eq!(
            (r.from.as_slice(), r.to.as_slice()),
            (&["b".to_string()][..], &["c".to_string()][..])
        );
        assert_eq!(g.merge_targets, ["heads"]);
        assert_eq!(d.reason(), "2 heads carry no branch label");
    }

    #[test]
    fn one_label_per_head_is_fine() {
        let m = map([
            rev("a").labels(&["expand"]).created("1"),
            rev("b").labels(&["contract"]).created("2"),
            rev("c").down(&["a"]).created("3"),
        ]);
        assert!(analyze(&m, None).is_none());
    }

    #[test]
    fn criss_cross_has_two_last_common_ancestors_and_no_repoint() {
        let m = map([
            rev("a").created("1"),
            rev("b").down(&["a"]).created("2"),
            rev("c").down(&["a"]).created("3"),
            rev("m1").down(&["b", "c"]).created("4"),
            rev("m2").down(&["b", "c"]).created("5"),
        ]);
        let d = analyze(&m, None).expect("diverged");
        let mut lca = ids(&m, &d.groups[0].last_common_ancestors);
        lca.sort();
        assert_eq!(lca, ["b", "c"]);
        assert!(d.groups[0].repoint.is_none());
    }

    #[test]
    fn applied_heads_are_not_the_newest() {
        let m = map([
            rev("a").created("1"),
            rev("b").down(&["a"]).created("2026-01"),
            rev("c").down(&["a"]).created("2026-02"),
        ]);
        let applied = m.ancestor_set(m.find("c").expect("c"));
        let d = analyze(&m, Some(&applied)).expect("diverged");
        assert_eq!(ids(&m, &d.groups[0].newest_first), ["b", "c"]);
        let d = analyze(&m, None).expect("diverged");
        assert_eq!(ids(&m, &d.groups[0].newest_first), ["c", "b"]);
    }

    #[test]
    fn shared_label_names_its_heads_for_merge() {
        let m = map([
            rev("e1").labels(&["expand"]).created("1"),
            rev("e2").down(&["e1"]).created("2"),
            rev("e3").down(&["e1"]).created("3"),
            rev("c1").labels(&["contract"]).created("4"),
        ]);
        let d = analyze(&m, None).expect("diverged");
        assert_eq!(d.groups[0].label.as_deref(), Some("expand"));
        assert_eq!(d.groups[0].merge_targets, ["e2", "e3"]);
        assert!(d.reason().contains("'expand'"));
    }
}
