//! `diverged-heads` findings: one per group of heads that nothing tells
//! apart, from the one analysis in [`crate::graph::divergence`] (the same
//! `status` uses), anchored at the line the fix changes.

use super::{Code, Finding, FixContext};
use crate::graph::RevisionMap;
use crate::graph::divergence::{self, Group, Repoint};
use crate::python::ids_literal;

/// One finding per group of diverged heads, at the `down_revision` line
/// where a re-point would go (else the newest head's).
pub(crate) fn findings(map: &RevisionMap, ctx: &FixContext) -> Vec<Finding> {
    let Some(d) = divergence::analyze(map, None) else {
        return Vec::new();
    };
    d.groups.iter().map(|g| finding(map, g, ctx)).collect()
}

fn finding(map: &RevisionMap, g: &Group, ctx: &FixContext) -> Finding {
    let named = |i: usize| {
        let s = map.script(i);
        format!("{} ({})", s.revision, ctx.show(&s.path))
    };
    let names: Vec<String> = g.heads.iter().map(|&h| named(h)).collect();
    let lca_text = match g.last_common_ancestors.as_slice() {
        [] => "they share no ancestor (independent bases)".to_string(),
        l => format!(
            "last common ancestor{}: {}",
            if l.len() > 1 { "s" } else { "" },
            l.iter().map(|&a| named(a)).collect::<Vec<_>>().join(", ")
        ),
    };
    let scope = match &g.label {
        None => "heads without a branch label".to_string(),
        Some(l) => format!("heads on branch '{l}'"),
    };
    let message = format!(
        "{} {scope} have diverged: {}; {lca_text}. `alembic upgrade head` fails with \
         \"Multiple head revisions are present\"",
        g.heads.len(),
        names.join(", ")
    );
    let merge = {
        let mut argv = ctx.alembic.clone();
        if argv.is_empty() {
            argv.push("alembic".to_string());
        }
        argv.push("merge".to_string());
        argv.extend(g.merge_targets.iter().cloned());
        argv.extend(["-m".to_string(), "merge heads".to_string()]);
        crate::shell::join(&argv)
    };
    let newest = g.newest_first.first().copied();
    let mut f = match (&g.repoint, newest) {
        (Some(r), _) => {
            let edit = r.edit(map);
            let fix = format!(
                "{}; otherwise add a merge revision: {merge}",
                repoint_advice(map, r, ctx)
            );
            Finding::error(
                Code::DivergedHeads,
                Some(edit.file.clone()),
                edit.line,
                message,
            )
            .with_fix(fix)
            .with_edit(edit)
        }
        (None, Some(n)) => {
            let s = map.script(n);
            Finding::error(
                Code::DivergedHeads,
                Some(s.path.clone()),
                s.lines.down_revision,
                message,
            )
            .with_fix(format!("add a merge revision: {merge}"))
        }
        (None, None) => Finding::error(Code::DivergedHeads, None, 0, message)
            .with_fix(format!("add a merge revision: {merge}")),
    };
    f.revisions = g.heads.iter().map(|&h| map.id(h).to_string()).collect();
    f
}

/// "Re-point" advice: which revision, which line, which exact value.
fn repoint_advice(map: &RevisionMap, r: &Repoint, ctx: &FixContext) -> String {
    let s = map.script(r.revision);
    let which = if r.revision == r.head {
        format!(
            "if {} is not merged or released yet, re-point it",
            s.revision
        )
    } else {
        format!(
            "if {}..{} are not merged or released yet, re-point the first of them, {}",
            s.revision,
            map.id(r.head),
            s.revision
        )
    };
    let to: Vec<&str> = r.to.iter().map(String::as_str).collect();
    format!(
        "{which}: in {}:{} set down_revision = {} (and the docstring's Revises: line)",
        ctx.show(&s.path),
        s.lines.down_revision,
        ids_literal(&to)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::forked;
    use std::path::PathBuf;

    #[test]
    fn newest_branch_is_repointed_at_its_first_revision() {
        let m = forked();
        let f = findings(&m, &FixContext::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].file, Some(PathBuf::from("/proj/versions/d_x.py")));
        let fix = f[0].fix.as_deref().unwrap_or("");
        assert!(
            fix.contains("/proj/versions/d_x.py:11 set down_revision = \"c\""),
            "{fix}"
        );
        assert!(
            fix.contains("alembic merge heads -m 'merge heads'"),
            "{fix}"
        );
        let edit = f[0].edit.as_ref().expect("edit");
        assert_eq!(
            (edit.from.clone(), edit.to.clone()),
            (vec!["b".to_string()], vec!["c".to_string()])
        );
        assert_eq!(f[0].revisions, ["c", "e"]);
    }
}
