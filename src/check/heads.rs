//! Checks that need Alembic's revision map: diverged heads (with their last
//! common ancestor and the fix) and merge revisions that list an ancestor of
//! another parent (Backend.AI #11128/#11131).
//!
//! Divergence follows the same rule as `status`: real heads are grouped by
//! their inherited branch labels; two or more unlabelled heads, or heads
//! sharing a label, have diverged. Several heads that each carry their own
//! label are deliberate (Neutron's expand/contract) and fine.

use super::{Code, Finding, FixContext, python_str, python_value};
use crate::graph::{RevIdx, RevisionMap};

/// Groups of real heads that nothing tells apart; each group has ≥ 2 heads,
/// in load order. The unlabelled group comes first, then one per shared label
/// (sorted), with identical groups reported once.
pub fn diverged_groups(map: &RevisionMap) -> Vec<(Option<String>, Vec<RevIdx>)> {
    let heads = real_heads(map);
    let mut groups: Vec<(Option<String>, Vec<RevIdx>)> = Vec::new();
    let unlabelled: Vec<RevIdx> = heads
        .iter()
        .copied()
        .filter(|&h| map.labels(h).is_empty())
        .collect();
    if unlabelled.len() >= 2 {
        groups.push((None, unlabelled));
    }
    let mut labels: Vec<String> = heads
        .iter()
        .flat_map(|&h| map.labels(h).into_iter().map(str::to_string))
        .collect();
    labels.sort();
    labels.dedup();
    for label in labels {
        let members: Vec<RevIdx> = heads
            .iter()
            .copied()
            .filter(|&h| map.labels(h).contains(&label.as_str()))
            .collect();
        if members.len() >= 2 && !groups.iter().any(|(_, g)| *g == members) {
            groups.push((Some(label), members));
        }
    }
    groups
}

/// Real heads, each id once: Alembic lists a duplicated id twice in its heads,
/// but that is one revision (reported as `duplicate-revision`), not divergence.
pub fn real_heads(map: &RevisionMap) -> Vec<RevIdx> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for h in map.real_heads() {
        let id = map.script(h).revision.as_str();
        if !seen.contains(&id) {
            seen.push(id);
            out.push(map.find(id).unwrap_or(h));
        }
    }
    out
}

/// The last common ancestors of `heads`: common ancestors that are not an
/// ancestor of another common ancestor (usually one; several after criss-cross
/// merges; none for independent bases). Load order.
pub fn last_common_ancestors(map: &RevisionMap, heads: &[RevIdx]) -> Vec<RevIdx> {
    let n = map.len();
    let mut count = vec![0usize; n];
    for &h in heads {
        for a in map.ancestors(h) {
            if let Some(c) = count.get_mut(a) {
                *c += 1;
            }
        }
    }
    let common: Vec<RevIdx> = (0..n)
        .filter(|&i| count.get(i) == Some(&heads.len()))
        .collect();
    // A common ancestor with a child that is also common is an ancestor of that
    // child, so it is not a *last* one; checking children keeps this linear.
    let mut shadowed = vec![false; n];
    for &c in &common {
        for &p in map.normalized_down(c) {
            if let Some(s) = shadowed.get_mut(p) {
                *s = true;
            }
        }
    }
    common
        .into_iter()
        .filter(|&c| !shadowed.get(c).copied().unwrap_or(false))
        .collect()
}

/// The `Create Date:` line of an Alembic-generated docstring, as written
/// (ISO-like, so string order is time order).
fn create_date(map: &RevisionMap, idx: RevIdx) -> Option<&str> {
    map.script(idx)
        .longdoc
        .lines()
        .find_map(|l| l.trim().strip_prefix("Create Date:"))
        .map(str::trim)
}

/// The newest head of a group: the latest `Create Date`, then the one with
/// the most ancestors, then the last in load order.
fn newest(map: &RevisionMap, heads: &[RevIdx]) -> Option<RevIdx> {
    heads
        .iter()
        .copied()
        .max_by_key(|&h| (create_date(map, h), map.ancestors(h).len(), h))
}

/// One finding per group of diverged heads, at the newest head's
/// `down_revision` line (where a re-point would go).
pub fn diverged(map: &RevisionMap, ctx: &FixContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (label, group) in diverged_groups(map) {
        let Some(newest) = newest(map, &group) else {
            continue;
        };
        let names: Vec<String> = group
            .iter()
            .map(|&h| {
                let s = map.script(h);
                format!("{} ({})", s.revision, ctx.show(&s.path))
            })
            .collect();
        let lca = last_common_ancestors(map, &group);
        let lca_text = if lca.is_empty() {
            "they share no ancestor (independent bases)".to_string()
        } else {
            let l: Vec<String> = lca
                .iter()
                .map(|&a| {
                    let s = map.script(a);
                    format!("{} ({})", s.revision, ctx.show(&s.path))
                })
                .collect();
            format!(
                "last common ancestor{}: {}",
                if l.len() > 1 { "s" } else { "" },
                l.join(", ")
            )
        };
        let scope = match &label {
            None => "heads without a branch label".to_string(),
            Some(l) => format!("heads on branch '{l}'"),
        };
        let message = format!(
            "{} {scope} have diverged: {}; {lca_text}. `alembic upgrade head` fails with \
             \"Multiple head revisions are present\"",
            group.len(),
            names.join(", ")
        );
        let (file, line, repoint) = match repoint(map, &group, newest) {
            Some((root, value)) => {
                let s = map.script(root);
                (
                    s.path.clone(),
                    s.lines.down_revision,
                    Some(repoint_advice(map, root, newest, &value, ctx)),
                )
            }
            None => {
                let s = map.script(newest);
                (s.path.clone(), s.lines.down_revision, None)
            }
        };
        let merge_target = if label.is_none() && group.len() == real_heads(map).len() {
            "heads".to_string()
        } else {
            group
                .iter()
                .map(|&h| map.script(h).revision.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let alembic = if ctx.alembic.is_empty() {
            "alembic"
        } else {
            ctx.alembic.as_str()
        };
        let merge = format!("{alembic} merge {merge_target} -m \"merge heads\"");
        let fix = match repoint {
            Some(r) => format!("{r}; otherwise add a merge revision: {merge}"),
            None => format!("add a merge revision: {merge}"),
        };
        findings.push(Finding::error(Code::DivergedHeads, Some(file), line, message).with_fix(fix));
    }
    findings
}

/// "Re-point" advice: which revision, which line, which exact value.
fn repoint_advice(
    map: &RevisionMap,
    root: RevIdx,
    newest: RevIdx,
    value: &str,
    ctx: &FixContext,
) -> String {
    let s = map.script(root);
    let which = if root == newest {
        format!(
            "if {} is not merged or released yet, re-point it",
            s.revision
        )
    } else {
        format!(
            "if {}..{} are not merged or released yet, re-point the first of them, {}",
            s.revision,
            map.script(newest).revision,
            s.revision
        )
    };
    format!(
        "{which}: in {}:{} set down_revision = {value} (and the docstring's Revises: line)",
        ctx.show(&s.path),
        s.lines.down_revision
    )
}

/// Where to re-point the newest head's branch so the group becomes one line:
/// the single revision of its own branch that hangs off shared history (or
/// is a base), with the exact new `down_revision` value (the other heads).
fn repoint(map: &RevisionMap, group: &[RevIdx], newest: RevIdx) -> Option<(RevIdx, String)> {
    let n = map.len();
    let mut others = vec![false; n];
    for &h in group.iter().filter(|&&h| h != newest) {
        for a in map.ancestors(h) {
            if let Some(o) = others.get_mut(a) {
                *o = true;
            }
        }
    }
    let own: Vec<RevIdx> = map
        .ancestors(newest)
        .into_iter()
        .filter(|&a| !others.get(a).copied().unwrap_or(true))
        .collect();
    // Roots of the own branch: a base, or a revision with a parent in shared history.
    let roots: Vec<RevIdx> = own
        .iter()
        .copied()
        .filter(|&r| {
            map.parents(r).is_empty()
                || map
                    .parents(r)
                    .iter()
                    .any(|&p| others.get(p).copied().unwrap_or(false))
        })
        .collect();
    let [root] = roots.as_slice() else {
        return None;
    };
    let script = map.script(*root);
    // A merge inside the branch, or dependencies, make a one-value rewrite a guess.
    if script.down_revisions.len() > 1 || !script.dependencies.is_empty() {
        return None;
    }
    let targets: Vec<&str> = group
        .iter()
        .filter(|&&h| h != newest)
        .map(|&h| map.script(h).revision.as_str())
        .collect();
    Some((*root, python_value(&targets)))
}

/// Merge revisions (≥ 2 parents) where one parent is an ancestor of another:
/// the redundant parent is already applied when the other is, so Alembic's
/// upgrade walks it twice (Backend.AI #11128: `KeyError` on upgrade).
pub fn bad_merges(map: &RevisionMap) -> Vec<Finding> {
    let mut findings = Vec::new();
    for idx in 0..map.len() {
        let parents = map.parents(idx);
        if parents.len() < 2 {
            continue;
        }
        let mut redundant: Vec<(RevIdx, RevIdx)> = Vec::new();
        for &q in parents {
            let above_q = map.ancestor_set(q);
            for &p in parents {
                if p != q && above_q.contains(p) && !redundant.iter().any(|r| r.0 == p) {
                    redundant.push((p, q));
                }
            }
        }
        if redundant.is_empty() {
            continue;
        }
        let s = map.script(idx);
        let keep: Vec<&str> = parents
            .iter()
            .filter(|p| !redundant.iter().any(|r| r.0 == **p))
            .map(|&p| map.script(p).revision.as_str())
            .collect();
        let why: Vec<String> = redundant
            .iter()
            .map(|&(p, q)| {
                format!(
                    "{} is already an ancestor of {}",
                    python_str(&map.script(p).revision),
                    python_str(&map.script(q).revision)
                )
            })
            .collect();
        findings.push(
            Finding::error(
                Code::BadMerge,
                Some(s.path.clone()),
                s.lines.down_revision,
                format!(
                    "merge revision {} lists a parent that is an ancestor of another parent: {} \
                     (such merges break `alembic upgrade`, as in Backend.AI #11128)",
                    s.revision,
                    why.join("; ")
                ),
            )
            .with_fix(format!("down_revision = {}", python_value(&keep))),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripts::{DocstringClaims, FieldLines, Script};
    use std::path::PathBuf;

    fn script(rev: &str, downs: &[&str], labels: &[&str], date: &str) -> Script {
        Script {
            revision: rev.to_string(),
            down_revisions: downs.iter().map(|s| s.to_string()).collect(),
            dependencies: Vec::new(),
            branch_labels: labels.iter().map(|s| s.to_string()).collect(),
            longdoc: format!("{rev}\n\nRevision ID: {rev}\nCreate Date: {date}"),
            path: PathBuf::from(format!("/v/{rev}.py")),
            lines: FieldLines {
                revision: 1,
                down_revision: 2,
                branch_labels: 3,
                depends_on: 4,
            },
            docstring_claims: DocstringClaims::default(),
        }
    }

    fn map(scripts: Vec<Script>) -> RevisionMap {
        RevisionMap::build(scripts).expect("valid graph").0
    }

    fn ids(m: &RevisionMap, v: &[RevIdx]) -> Vec<String> {
        v.iter().map(|&i| m.script(i).revision.clone()).collect()
    }

    #[test]
    fn two_unlabelled_heads_diverge_at_their_fork() {
        let m = map(vec![
            script("a", &[], &[], "1"),
            script("b", &["a"], &[], "2"),
            script("c", &["b"], &[], "3"),
            script("d", &["b"], &[], "4"),
            script("e", &["d"], &[], "5"),
        ]);
        let groups = diverged_groups(&m);
        assert_eq!(groups.len(), 1);
        assert_eq!(ids(&m, &groups[0].1), vec!["c", "e"]);
        assert_eq!(ids(&m, &last_common_ancestors(&m, &groups[0].1)), vec!["b"]);
        let f = diverged(&m, &FixContext::default());
        assert_eq!(f.len(), 1);
        // The newest head is e; its branch starts at d, which hangs off b.
        assert_eq!(f[0].file, Some(PathBuf::from("/v/d.py")));
        let fix = f[0].fix.as_deref().unwrap_or("");
        assert!(fix.contains("/v/d.py:2 set down_revision = \"c\""), "{fix}");
        assert!(
            fix.contains("alembic merge heads -m \"merge heads\""),
            "{fix}"
        );
    }

    #[test]
    fn one_label_per_head_is_fine() {
        let m = map(vec![
            script("a", &[], &["expand"], "1"),
            script("b", &[], &["contract"], "2"),
            script("c", &["a"], &[], "3"),
        ]);
        assert!(diverged_groups(&m).is_empty());
    }

    #[test]
    fn criss_cross_has_two_last_common_ancestors() {
        let m = map(vec![
            script("a", &[], &[], "1"),
            script("b", &["a"], &[], "2"),
            script("c", &["a"], &[], "3"),
            script("m1", &["b", "c"], &[], "4"),
            script("m2", &["b", "c"], &[], "5"),
        ]);
        let heads = m.real_heads();
        assert_eq!(ids(&m, &last_common_ancestors(&m, &heads)), vec!["b", "c"]);
        // m2's own branch is m2 itself, a merge: only the merge command is offered.
        let f = diverged(&m, &FixContext::default());
        assert!(
            f[0].fix
                .as_deref()
                .unwrap_or("")
                .starts_with("add a merge revision")
        );
    }

    #[test]
    fn redundant_merge_parent() {
        let m = map(vec![
            script("a", &[], &[], "1"),
            script("b", &["a"], &[], "2"),
            script("c", &["b"], &[], "3"),
            script("m", &["a", "c"], &[], "4"),
        ]);
        let f = bad_merges(&m);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].fix.as_deref(), Some("down_revision = \"c\""));
        assert!(
            f[0].message
                .contains("\"a\" is already an ancestor of \"c\"")
        );
    }
}
