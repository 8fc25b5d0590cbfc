//! The verdict: one target's read compared with its revision map.

use std::path::Path;

use super::{
    ComponentStatus, Context, DbRead, Divergence, ErrorInfo, Foreign, Fresh, State, TableState,
    advice, db_error_title, display_path, release, resolve_row, revision,
};
use crate::database::VersionRows;
use crate::error::ErrorKind;
use crate::graph::divergence;
use crate::graph::{RevIdx, RevisionMap};

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The verdict for one target.
pub(crate) fn evaluate(map: &RevisionMap, db: &DbRead, ctx: &Context) -> ComponentStatus {
    let cwd = ctx.cwd.as_path();
    let real_heads = divergence::distinct_real_heads(map);
    let mut status = ComponentStatus::new(ctx, State::UpToDate);
    status.heads = real_heads.iter().map(|&h| revision(map, h, cwd)).collect();
    if map.is_empty() {
        status
            .notes
            .push("the scripts define no revisions yet".to_string());
    }

    let read = match db {
        DbRead::Read(read) => read,
        DbRead::Failed(e) => {
            let error = ErrorInfo {
                kind: ErrorKind::Database(e.kind),
                title: db_error_title(e.kind).to_string(),
                message: e.message.clone(),
            };
            let actions = advice::db_error_actions(e, ctx);
            let mut s = ComponentStatus::failed(ctx, State::DatabaseError, error, actions);
            s.heads = status.heads;
            if let Some(d) = divergence::analyze(map, None) {
                s.notes.push(format!(
                    "the scripts have diverged heads too: {}",
                    d.reason()
                ));
                s.diverged = Some(report(map, &d, cwd));
            }
            release::annotate(&mut s, map, &[], ctx);
            return s;
        }
        DbRead::NoUrl => {
            let error = ErrorInfo {
                kind: ErrorKind::NoUrl,
                title: "No database URL".to_string(),
                message: format!(
                    "no database URL for {}: {} has no sqlalchemy.url, and no --url, DB_STATUS_URL_{} or DB_STATUS_URL is set",
                    ctx.name,
                    ctx.config.as_deref().unwrap_or("the ini"),
                    crate::target::env_suffix(&ctx.name)
                ),
            };
            let mut s = ComponentStatus::failed(
                ctx,
                State::DatabaseError,
                error,
                advice::no_url_actions(ctx),
            );
            s.heads = status.heads;
            release::annotate(&mut s, map, &[], ctx);
            return s;
        }
    };
    let rows: Vec<String> = match &read.rows {
        VersionRows::Rows(rows) => rows.clone(),
        VersionRows::NoTable => {
            status.fresh = Some(Fresh::NoTable);
            Vec::new()
        }
        VersionRows::NoDatabaseFile => {
            status.fresh = Some(Fresh::NoDatabaseFile);
            Vec::new()
        }
    };
    status.table_state = Some(match (&read.rows, rows.is_empty()) {
        (VersionRows::Rows(_), false) => TableState::Rows,
        (VersionRows::Rows(_), true) => TableState::Empty,
        _ => TableState::Missing,
    });
    if rows.is_empty() && status.fresh.is_none() {
        status.fresh = Some(Fresh::EmptyTable);
    }
    let populated = status.fresh.is_some() && read.tables.as_ref().is_some_and(|t| t.count > 0);
    if status.fresh.is_some() {
        status.tables = read.tables.clone();
    }

    // Rows resolve like Alembic's `get_revisions` (partial ids accepted).
    let mut known: Vec<(RevIdx, String)> = Vec::new();
    for row in &rows {
        match resolve_row(map, row) {
            Some(idx) => known.push((idx, row.clone())),
            None => status.unknown.push(row.clone()),
        }
    }
    known.sort_by_key(|(idx, _)| *idx);
    known.dedup_by_key(|(idx, _)| *idx);
    status.current = known.iter().map(|&(i, _)| revision(map, i, cwd)).collect();
    let known_rows: Vec<String> = known.iter().map(|(i, _)| map.id(*i).to_string()).collect();
    let mut applied = crate::graph::BitSet::new(map.len());
    for &(i, _) in &known {
        applied.union_with(&map.ancestor_set(i));
    }
    let divergence = divergence::analyze(map, Some(&applied));

    let mut overlap: Option<String> = None;
    if status.unknown.is_empty() {
        match map.upgrade_plan(&known_rows) {
            Ok(plan) => {
                status.pending = Some(plan.iter().map(|&i| revision(map, i, cwd)).collect());
            }
            Err(e) => overlap = Some(e.message),
        }
    }
    let pending_n = status.pending.as_ref().map_or(0, Vec::len);

    let mut states = vec![State::UpToDate];
    if pending_n > 0 {
        states.push(State::Behind);
    }
    if status.fresh.is_some() {
        states.push(if populated {
            State::Unstamped
        } else {
            State::NoRevision
        });
    }
    if divergence.is_some() {
        states.push(State::Diverged);
    }
    if !status.unknown.is_empty() {
        states.push(State::UnknownRevision);
    }
    if overlap.is_some() {
        states.push(State::DatabaseError);
    }
    status.state = states.into_iter().max().unwrap_or(State::UpToDate);
    status.title = status.state.title().to_string();
    if let Some(d) = &divergence {
        status.diverged = Some(report(map, d, cwd));
    }

    let pending_phrase = format!("{} pending", plural(pending_n, "migration", "migrations"));
    let table = ctx.version_table.qualified();
    match status.state {
        State::UpToDate => {
            status.summary = if status.heads.len() > 1 {
                format!(
                    "Database schema is current on all branches ({} heads). No migrations pending.",
                    status.heads.len()
                )
            } else {
                "Database schema is current. No migrations pending.".to_string()
            };
        }
        State::Behind => {
            status.summary = format!("{pending_phrase}.");
            status.actions = advice::upgrade_actions(map, ctx, false);
        }
        State::NoRevision => {
            let why = match status.fresh {
                Some(Fresh::NoDatabaseFile) => "the database file does not exist yet".to_string(),
                Some(Fresh::NoTable) => format!("there is no {table} table"),
                _ => format!("the {table} table is empty"),
            };
            status.summary = format!(
                "Database not initialized: {why}. {} to apply.",
                plural(pending_n, "migration", "migrations")
            );
            status.actions = advice::upgrade_actions(map, ctx, true);
        }
        State::Unstamped => {
            let tables = status.tables.clone().unwrap_or_default();
            let why = match status.fresh {
                Some(Fresh::EmptyTable) => format!("the {table} table is empty"),
                _ => format!("there is no {table} table"),
            };
            status.summary = format!(
                "The database holds {} but {why}: it was never stamped, or this is not {}'s database.",
                plural(tables.count, "table", "tables"),
                ctx.name
            );
            status.actions = advice::unstamped_actions(map, ctx, &tables, status.fresh);
            if let Some(d) = &divergence {
                status.notes.push(format!(
                    "the scripts have diverged heads too: {}",
                    d.reason()
                ));
            }
        }
        State::Diverged => {
            let reason = divergence.as_ref().map_or(String::new(), |d| d.reason());
            status.summary = format!("Multiple migration heads detected: {reason}.");
            if let Some(d) = &divergence {
                status.actions = advice::divergence_actions(map, d, &applied, ctx);
            }
            status.notes.push(
                "`alembic upgrade head` fails while the heads are diverged (Multiple head revisions are present); join them first"
                    .to_string(),
            );
        }
        State::UnknownRevision => {
            unknown_verdict(&mut status, map, &real_heads, ctx);
            if let Some(d) = &divergence {
                status.notes.push(format!(
                    "the scripts have diverged heads too: {}",
                    d.reason()
                ));
            }
        }
        State::DatabaseError | State::ConfigError => {
            let message = overlap.unwrap_or_default();
            status.summary =
                "The version table is inconsistent; Alembic would refuse to upgrade.".to_string();
            let kind = ErrorKind::InconsistentVersionTable;
            // The headline is the error's, as for every other error.
            status.title = super::error_title(kind).to_string();
            status.error = Some(ErrorInfo {
                kind,
                title: status.title.clone(),
                message: format!("{message} (one row is an ancestor of another)"),
            });
            status.actions = advice::overlap_actions(map, &known, ctx);
        }
    }
    let current: Vec<RevIdx> = known.iter().map(|&(i, _)| i).collect();
    release::annotate(&mut status, map, &current, ctx);
    status
}

/// Unknown rows: another component's (the wrong database), or unknown to every tree.
fn unknown_verdict(
    status: &mut ComponentStatus,
    map: &RevisionMap,
    heads: &[RevIdx],
    ctx: &Context,
) {
    let foreign: Vec<&Foreign> = ctx
        .foreign
        .iter()
        .filter(|f| status.unknown.contains(&f.row))
        .collect();
    let no_plan = "Alembic cannot plan an upgrade from a revision it cannot locate";
    if let Some(first) = foreign.first() {
        let owners: Vec<String> = foreign
            .iter()
            .map(|f| {
                format!(
                    "{} is {}'s {}",
                    f.row,
                    f.component,
                    if f.head { "head" } else { "revision" }
                )
            })
            .collect();
        status.title = "Wrong database".to_string();
        status.summary = format!(
            "The database holds {}'s revisions: the URL points at the wrong database. {no_plan}.",
            first.component
        );
        status.error = Some(ErrorInfo {
            kind: ErrorKind::WrongDatabase,
            title: "Wrong database".to_string(),
            message: format!(
                "{}; this URL points at {}'s database, not {}'s",
                owners.join(", "),
                first.component,
                ctx.name
            ),
        });
        status.actions = advice::wrong_database_actions(ctx, &first.component);
        return;
    }
    status.summary = format!(
        "The database is at {} these scripts do not know; {no_plan}, so nothing is listed as pending.",
        if status.unknown.len() == 1 {
            "a revision"
        } else {
            "revisions"
        }
    );
    let where_ = ctx
        .script_location
        .as_deref()
        .map_or(String::new(), |s| format!(" in {s}"));
    status.error = Some(ErrorInfo {
        kind: ErrorKind::UnknownRevision,
        title: "Unknown revision".to_string(),
        message: format!(
            "{} {} not among the {}{where_}: the database is ahead of this checkout, or was migrated from another branch",
            status.unknown.join(", "),
            if status.unknown.len() == 1 {
                "is"
            } else {
                "are"
            },
            plural(map.len(), "revision", "revisions"),
        ),
    });
    status.actions = advice::unknown_actions(map, &status.unknown, heads, ctx);
}

/// The divergence as reported: heads, last common ancestor and the fix.
fn report(map: &RevisionMap, d: &divergence::Divergence, cwd: &Path) -> Divergence {
    Divergence {
        heads: d.heads.iter().map(|&h| revision(map, h, cwd)).collect(),
        last_common_ancestor: d
            .last_common_ancestors
            .first()
            .map(|&a| revision(map, a, cwd)),
        reason: d.reason(),
        fix: d.groups.first().and_then(|g| g.repoint.as_ref()).map(|r| {
            let mut e = r.edit(map);
            e.file = display_path(&e.file, cwd);
            e
        }),
    }
}
