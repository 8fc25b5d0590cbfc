//! Checks that need Alembic's revision map: merge revisions that list an
//! ancestor of another parent (Backend.AI #11128/#11131). Diverged heads are
//! in [`super::diverged`].
//!
//! What real Alembic 1.20 does with such a merge (proven in
//! `tests/integration/check_findings.rs` against `alembic upgrade`/`downgrade`): when
//! the merge step runs, the database's heads among its parents are the
//! parents that are not ancestors of another. With two or more of them
//! Alembic merges version rows and deletes or updates every listed parent,
//! including the redundant one that is no head: `KeyError` (#11128). With
//! one, it only moves that row: upgrades work, but `downgrade -1` from the
//! merge finds two ways down ("Ambiguous walk").

use super::{Code, Finding};
use crate::graph::{RevIdx, RevisionMap};
use crate::python::{ids_literal, str_literal};

/// Merge revisions (≥ 2 parents) where one parent is an ancestor of
/// another: an error when two or more parents remain without it (`upgrade`
/// fails with `KeyError`, Backend.AI #11128), else a warning (`downgrade -1`
/// fails with "Ambiguous walk").
pub(crate) fn bad_merges(map: &RevisionMap) -> Vec<Finding> {
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
                    str_literal(&map.script(p).revision),
                    str_literal(&map.script(q).revision)
                )
            })
            .collect();
        let finding = if keep.len() >= 2 {
            Finding::error(
                Code::BadMerge,
                Some(s.path.clone()),
                s.lines.down_revision,
                format!(
                    "merge revision {} lists a parent that is an ancestor of another parent: {}; \
                     beside {} other parents this breaks `alembic upgrade` to it (KeyError, as \
                     in Backend.AI #11128)",
                    s.revision,
                    why.join("; "),
                    keep.len()
                ),
            )
        } else {
            Finding::warning(
                Code::RedundantParent,
                Some(s.path.clone()),
                s.lines.down_revision,
                format!(
                    "merge revision {} lists a parent that is an ancestor of another parent: {}; \
                     `alembic upgrade` works, but `alembic downgrade -1` from it fails \
                     (Ambiguous walk)",
                    s.revision,
                    why.join("; ")
                ),
            )
        };
        findings.push(finding.with_fix(format!("down_revision = {}", ids_literal(&keep))));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{map, rev};

    #[test]
    fn redundant_merge_parent_beside_one_other_is_a_warning() {
        let m = map([
            rev("a"),
            rev("b").down(&["a"]),
            rev("c").down(&["b"]),
            rev("m").down(&["a", "c"]),
        ]);
        let f = bad_merges(&m);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].severity),
            (Code::RedundantParent, super::super::Severity::Warning)
        );
        assert_eq!(f[0].fix.as_deref(), Some("down_revision = \"c\""));
        assert!(
            f[0].message
                .contains("\"a\" is already an ancestor of \"c\"")
        );
        assert!(f[0].message.contains("downgrade -1"), "{}", f[0].message);
    }

    #[test]
    fn redundant_merge_parent_beside_two_others_is_an_error() {
        let m = map([
            rev("a"),
            rev("b").down(&["a"]),
            rev("c").down(&["b"]),
            rev("x").down(&["a"]),
            rev("m").down(&["x", "c", "b"]),
        ]);
        let f = bad_merges(&m);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].code, f[0].severity),
            (Code::BadMerge, super::super::Severity::Error)
        );
        assert_eq!(f[0].fix.as_deref(), Some("down_revision = (\"x\", \"c\")"));
    }
}
