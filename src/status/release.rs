//! The release part of a verdict: each reported revision's releases, the
//! pending list grouped by release, the unreleased-on-production warning,
//! and the revisions a release branch skipped ([`crate::releases::dump`]).
//! Pure: the comments and dumps were read before ([`crate::releases::Facts`]).

use crate::graph::{RevIdx, RevisionMap};
use crate::releases::{self, dump};

use super::{Action, ComponentStatus, Context, Revision, advice, revision};

/// Add what the release facts say to `status` (nothing when they are off).
pub(super) fn annotate(
    status: &mut ComponentStatus,
    map: &RevisionMap,
    current: &[RevIdx],
    ctx: &Context,
) {
    let Some(facts) = ctx.releases.as_deref() else {
        return;
    };
    let fill = |r: &mut Revision| {
        if let Some(i) = map.find(&r.id) {
            r.releases = facts.known.table.of(i).to_vec();
        }
    };
    status.current.iter_mut().for_each(fill);
    status.heads.iter_mut().for_each(fill);
    status.pending.iter_mut().flatten().for_each(fill);
    if let Some(d) = &mut status.diverged {
        d.heads.iter_mut().for_each(fill);
        d.last_common_ancestor.iter_mut().for_each(fill);
    }
    if facts.known.table.any()
        && let Some(pending) = &status.pending
    {
        status.pending_by_release = releases::group(pending.iter().map(|r| r.releases.as_slice()));
    }
    if let Some(e) = &facts.known.setting_error {
        status.notes.push(format!("release comments are off: {e}"));
    }
    for u in &facts.known.table.unreadable {
        status
            .notes
            .push(format!("cannot read the release comment of {u}"));
    }

    let production = facts.request.production || releases::is_production_label(&ctx.labels);
    let unreleased: Vec<&str> = status
        .pending
        .iter()
        .flatten()
        .filter(|r| releases::is_unreleased(&r.releases))
        .map(|r| r.id.as_str())
        .collect();
    if production && !unreleased.is_empty() {
        status.notes.push(format!(
            "warning: {} unreleased migration{} ({}) pending on a production database: {} from a checkout no release has shipped yet: {}",
            unreleased.len(),
            if unreleased.len() == 1 { "" } else { "s" },
            releases::UNRELEASED_MARKER,
            if unreleased.len() == 1 { "it comes" } else { "they come" },
            unreleased.join(", ")
        ));
    }

    skipped(status, map, current, ctx, facts);
}

/// `from_release`, `skipped` and their warning.
fn skipped(
    status: &mut ComponentStatus,
    map: &RevisionMap,
    current: &[RevIdx],
    ctx: &Context,
    facts: &releases::Facts,
) {
    for e in &facts.known.dump_errors {
        status.notes.push(format!("release dump ignored: {e}"));
    }
    let dump = match &facts.request.from_release {
        Some(v) => match facts.known.dumps.iter().find(|d| &d.version == v) {
            Some(d) => d,
            None => {
                let known: Vec<&str> = facts
                    .known
                    .dumps
                    .iter()
                    .map(|d| d.version.as_str())
                    .collect();
                status.notes.push(format!(
                    "--from-release {v}: there is no revision_history/{v}.json beside {} (dumps: {})",
                    ctx.script_location.as_deref().unwrap_or("the scripts"),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
                return;
            }
        },
        None => {
            if !status.unknown.is_empty() {
                return;
            }
            let rows: Vec<&str> = current.iter().map(|&i| map.id(i)).collect();
            match dump::infer(&facts.known.dumps, &rows) {
                Some(d) => d,
                None => return,
            }
        }
    };
    status.from_release = Some(dump.version.clone());
    let analysis = dump::analyze(map, dump, current);
    let cwd = ctx.cwd.as_path();
    if !analysis.not_in_tree.is_empty() {
        status.notes.push(format!(
            "{} names {} revision{} these scripts do not have ({}): apply-missing-revisions {} would stop with KeyError",
            super::display_path(&dump.path, cwd).display(),
            analysis.not_in_tree.len(),
            if analysis.not_in_tree.len() == 1 { "" } else { "s" },
            analysis.not_in_tree.join(", "),
            dump.version
        ));
    }
    status.skipped = analysis
        .skipped
        .iter()
        .map(|&i| {
            let mut r = revision(map, i, cwd);
            r.releases = facts.known.table.of(i).to_vec();
            r
        })
        .collect();
    if status.skipped.is_empty() {
        return;
    }
    let n = status.skipped.len();
    let ids: Vec<&str> = status.skipped.iter().map(|r| r.id.as_str()).collect();
    let current_ids: Vec<&str> = current.iter().map(|&i| map.id(i)).collect();
    let others = analysis.missing.len() - n;
    status.notes.push(format!(
        "warning: {n} skipped revision{s}: the database came from release {v}, which never had {ids}; main places {them} before {cur}, so `alembic upgrade` will never run {them}. \
         `apply-missing-revisions {v}` runs every revision of these scripts that {v} lacks, in tree order: {total} in all ({n} skipped, {others} other{os})",
        s = if n == 1 { "" } else { "s" },
        v = dump.version,
        ids = ids.join(", "),
        them = if n == 1 { "it" } else { "them" },
        cur = current_ids.join(", "),
        total = analysis.missing.len(),
        os = if others == 1 { "" } else { "s" },
    ));
    let label = format!(
        "Apply the {n} skipped revision{} (with every other revision {} lacks)",
        if n == 1 { "" } else { "s" },
        dump.version
    );
    let action = advice::apply_missing_action(ctx, &dump.version, &label).unwrap_or_else(|| {
        Action::say(format!(
            "{label}: run the {n} skipped revision{} by hand ({}); `alembic upgrade` will not",
            if n == 1 { "" } else { "s" },
            ids.join(", ")
        ))
    });
    status.actions.insert(0, action);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::sync::Arc;

    use crate::database::{VersionRead, VersionRows};
    use crate::fixture::{map, rev};
    use crate::releases::dump::{Dump, DumpRevision};
    use crate::releases::{Facts, Known, Release, ReleaseKind, ReleaseTable, Request};
    use crate::status::{Context, DbRead, evaluate};

    use super::*;

    fn main_line(v: &str) -> Vec<Release> {
        vec![Release {
            version: Some(v.to_string()),
            kind: ReleaseKind::Main,
        }]
    }

    fn unreleased() -> Vec<Release> {
        vec![Release {
            version: None,
            kind: ReleaseKind::Unreleased,
        }]
    }

    /// a → d → c → e on main; release 1.0 had a → c (c's parent was a).
    fn setup(request: Request, labels: &[(&str, &str)]) -> (RevisionMap, Context) {
        let map = map([
            rev("a"),
            rev("d").down(&["a"]),
            rev("c").down(&["d"]),
            rev("e").down(&["c"]),
        ]);
        let table = ReleaseTable::from_lists(vec![
            vec![],
            main_line("2.0"),
            main_line("1.0"),
            unreleased(),
        ]);
        let dump = Dump {
            version: "1.0".to_string(),
            path: PathBuf::from("/proj/revision_history/1.0.json"),
            revisions: vec![
                DumpRevision {
                    revision: "c".to_string(),
                    down_revisions: vec!["a".to_string()],
                },
                DumpRevision {
                    revision: "a".to_string(),
                    down_revisions: vec![],
                },
            ],
        };
        let ctx = Context {
            name: "manager".into(),
            config: Some("alembic.ini".into()),
            backend_ai: true,
            cwd: PathBuf::from("/proj"),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            releases: Some(Arc::new(Facts {
                known: Arc::new(Known {
                    table,
                    dumps: vec![dump],
                    ..Known::default()
                }),
                request,
            })),
            ..Context::default()
        };
        (map, ctx)
    }

    fn at(rows: &[&str]) -> DbRead {
        DbRead::Read(VersionRead {
            rows: VersionRows::Rows(rows.iter().map(|s| s.to_string()).collect()),
            tables: None,
        })
    }

    #[test]
    fn a_database_at_a_dump_head_gets_the_release_and_its_skipped_revisions() {
        let (map, ctx) = setup(Request::default(), &[]);
        let s = evaluate(&map, &at(&["c"]), &ctx);
        assert_eq!(s.from_release.as_deref(), Some("1.0"));
        let skipped: Vec<&str> = s.skipped.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(skipped, ["d"]);
        assert_eq!(s.skipped[0].releases, main_line("2.0"));
        assert_eq!(s.current[0].releases, main_line("1.0"));
        assert!(
            s.actions[0].text.starts_with(
                "Apply the 1 skipped revision (with every other revision 1.0 lacks): ./backend.ai mgr schema apply-missing-revisions 1.0"
            ),
            "{:?}",
            s.actions
        );
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("2 in all (1 skipped, 1 other)")),
            "{:?}",
            s.notes
        );
        assert_eq!(s.pending_by_release, [(Some("unreleased".to_string()), 1)]);
        assert!(
            !s.notes.iter().any(|n| n.contains("production")),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn no_dump_head_no_inference_but_from_release_still_finds_them() {
        let (map, ctx) = setup(Request::default(), &[]);
        let s = evaluate(&map, &at(&["e"]), &ctx);
        assert_eq!(s.from_release, None);
        assert!(s.skipped.is_empty());
        let (map, ctx) = setup(
            Request {
                from_release: Some("1.0".into()),
                production: false,
            },
            &[],
        );
        let s = evaluate(&map, &at(&["e"]), &ctx);
        let skipped: Vec<&str> = s.skipped.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(skipped, ["d"]);
    }

    #[test]
    fn unreleased_pending_warns_on_production_by_flag_or_label() {
        for (request, labels) in [
            (
                Request {
                    from_release: None,
                    production: true,
                },
                vec![],
            ),
            (Request::default(), vec![("env", "prod")]),
        ] {
            let (map, ctx) = setup(request, &labels);
            let s = evaluate(&map, &at(&["c"]), &ctx);
            assert!(
                s.notes.iter().any(|n| n.starts_with(
                    "warning: 1 unreleased migration (NEXT_RELEASE_VERSION) pending on a production database"
                ) && n.ends_with(": e")),
                "{:?}",
                s.notes
            );
        }
        let (map, ctx) = setup(Request::default(), &[("env", "staging")]);
        let s = evaluate(&map, &at(&["c"]), &ctx);
        assert!(!s.notes.iter().any(|n| n.contains("production")));
    }
}
