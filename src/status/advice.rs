//! Recommended actions: the real commands for this target and checkout
//! (`./py -m alembic -c …` in a Backend.AI checkout, `alembic -c …`
//! elsewhere), with the values db-status knows in place of placeholders,
//! chosen from the verdict's facts. Pure string building.

use super::{Context, Fresh, display_path};
use crate::database::{Backend, DbError, DbErrorKind, Tables};
use crate::graph::divergence::Divergence;
use crate::graph::{BitSet, RevIdx, RevisionMap};
use crate::shell;

/// One recommended action: a sentence for people and, when it is a single
/// command, the command as argv (run in the project root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Action {
    /// The action as people read it (the command included).
    pub(crate) text: String,
    /// The command to run, as argv; `None` when the action is not one command.
    pub(crate) command: Option<Vec<String>>,
}

impl Action {
    /// An action that is not a single command.
    pub(crate) fn say(text: impl Into<String>) -> Action {
        Action {
            text: text.into(),
            command: None,
        }
    }

    /// `label: command`, with the command pasteable as shown (prefixed with
    /// `cd …&&` when it must run elsewhere).
    fn run(label: &str, argv: Vec<String>, ctx: &Context) -> Action {
        Action {
            text: format!("{label}: {}", pasteable(&argv, ctx)),
            command: Some(argv),
        }
    }

    /// Free text that embeds the command itself.
    fn with(text: String, argv: Vec<String>) -> Action {
        Action {
            text,
            command: Some(argv),
        }
    }
}

/// The command as it is pasted from the working directory.
fn pasteable(argv: &[String], ctx: &Context) -> String {
    match &ctx.workdir {
        Some(dir) => format!("cd {} && {}", shell::quote(dir), shell::join(argv)),
        None => shell::join(argv),
    }
}

/// `alembic … <args>` for this component.
fn alembic(ctx: &Context, args: &[&str]) -> Vec<String> {
    let mut argv = if ctx.alembic.is_empty() {
        vec!["alembic".to_string()]
    } else {
        ctx.alembic.clone()
    };
    argv.extend(args.iter().map(|s| s.to_string()));
    argv
}

/// The headline for a database error.
pub(crate) fn db_error_title(kind: DbErrorKind) -> &'static str {
    match kind {
        DbErrorKind::Refused
        | DbErrorKind::UnknownHost
        | DbErrorKind::Timeout
        | DbErrorKind::Tls => "Cannot connect to database",
        DbErrorKind::Auth => "Database authentication failed",
        DbErrorKind::MissingDatabase => "Database does not exist",
        DbErrorKind::PermissionDenied => "Cannot read the version table",
        DbErrorKind::BadUrl => "Invalid database URL",
        DbErrorKind::BadData => "Unexpected version table contents",
        DbErrorKind::Other => "Database error",
    }
}

/// Where the URL is configured, for advice ("sqlalchemy.url in alembic.ini").
fn url_origin(ctx: &Context) -> String {
    match &ctx.url_source {
        Some(s) => s.describe(),
        None => format!(
            "sqlalchemy.url in {}",
            ctx.config.as_deref().unwrap_or("the ini")
        ),
    }
}

fn backend(ctx: &Context) -> Option<Backend> {
    ctx.db.backend
}

fn backend_label(ctx: &Context) -> &'static str {
    backend(ctx).map_or("database", Backend::label)
}

/// "Verify": the same check again, with the same selection and database.
/// db-status finds the project root itself, so no `cd` is needed; a URL
/// whose password had to be masked makes the command not runnable as shown.
pub(crate) fn verify(ctx: &Context) -> Action {
    let argv = if ctx.recheck.is_empty() {
        vec!["db-status".to_string()]
    } else {
        ctx.recheck.clone()
    };
    let mut text = format!("Verify: {}", shell::join(&argv));
    match &ctx.recheck_note {
        Some(note) => {
            text.push_str(&format!(" ({note})"));
            Action::say(text)
        }
        None => Action::with(text, argv),
    }
}

/// How the URL's driver spells "no TLS".
fn tls_off(ctx: &Context) -> &'static str {
    let url = ctx.database.as_deref().unwrap_or("");
    let scheme = url.split("://").next().unwrap_or("");
    match scheme
        .split_once('+')
        .map_or((scheme, ""), |(d, drv)| (d, drv))
    {
        (_, "asyncpg") => "?ssl=disable",
        ("mysql" | "mariadb", "pymysql") => "?ssl_disabled=true",
        ("mysql" | "mariadb", "" | "mysqldb") => "?ssl_mode=DISABLED",
        ("mysql" | "mariadb", _) => "remove the ssl_* parameters",
        _ => "?sslmode=disable",
    }
}

/// Advice for a database that could not be read.
pub(crate) fn db_error_actions(e: &DbError, ctx: &Context) -> Vec<Action> {
    let origin = url_origin(ctx);
    let be = backend_label(ctx);
    let mysql = backend(ctx) == Some(Backend::MySql);
    let mut a: Vec<Action> = Vec::new();
    match e.kind {
        DbErrorKind::Refused => {
            let probe = if mysql {
                "docker ps | grep -E 'mysql|mariadb'"
            } else {
                "docker ps | grep postgres"
            };
            a.push(Action::say(format!(
                "Check the {be} server is running: {probe}"
            )));
            a.push(Action::say(format!("Verify the host and port in {origin}")));
            if ctx.backend_ai {
                a.push(Action::with(
                    "For a halfstack setup, start its containers (docker compose -f docker-compose.halfstack-main.yml up -d); the halfstack database listens on port 8100"
                        .to_string(),
                    vec![
                        "docker".into(),
                        "compose".into(),
                        "-f".into(),
                        "docker-compose.halfstack-main.yml".into(),
                        "up".into(),
                        "-d".into(),
                    ],
                ));
            }
        }
        DbErrorKind::UnknownHost => {
            a.push(Action::say(format!("Check the host name in {origin}")));
            a.push(Action::say("Check DNS / VPN if the host is remote"));
        }
        DbErrorKind::Timeout => {
            a.push(Action::say(format!(
                "Check the host and port in {origin} and that no firewall drops the connection"
            )));
            a.push(Action::say(
                "If the server is just slow, allow more time: --timeout 30",
            ));
        }
        DbErrorKind::Auth => {
            a.push(Action::say(format!(
                "Check the user name and password in {origin}"
            )));
            if !mysql && backend(ctx) != Some(Backend::Sqlite) {
                a.push(Action::say(
                    "Without a password in the URL, PostgreSQL's is taken from PGPASSWORD or ~/.pgpass",
                ));
            }
        }
        DbErrorKind::MissingDatabase => {
            let name = ctx.db.name.clone().unwrap_or_else(|| "<name>".to_string());
            let upgrade = shell::join(&alembic(ctx, &["upgrade", "head"]));
            if mysql {
                a.push(Action::say(format!(
                    "Create the database if this is a new setup: CREATE DATABASE {} (as a user allowed to), then run `{upgrade}`",
                    mysql_ident(&name)
                )));
            } else {
                a.push(Action::with(
                    format!(
                        "Create the database if this is a new setup: {} (or CREATE DATABASE {}), then run `{upgrade}`",
                        shell::join(&["createdb", name.as_str()]),
                        pg_ident(&name)
                    ),
                    vec!["createdb".to_string(), name.clone()],
                ));
            }
            a.push(Action::say(format!("Or fix the database name in {origin}")));
            if ctx.backend_ai && ctx.name == "accountmgr" {
                a.push(Action::say(
                    "Backend.AI's halfstack ini names the database `backendaccount`, which the dev installer does not create",
                ));
            }
        }
        DbErrorKind::PermissionDenied => {
            a.push(Action::say(format!(
                "Grant read access to the version table (as its owner): {}",
                grant(ctx, &e.message)
            )));
            a.push(Action::say(format!(
                "Or connect as a user that may read it ({origin})"
            )));
        }
        DbErrorKind::Tls => {
            a.push(Action::say(format!(
                "Check the TLS settings and certificates in {origin} (for a local server without TLS: {})",
                tls_off(ctx)
            )));
        }
        DbErrorKind::BadUrl => {
            let what = match &ctx.url_source {
                // env.py's variable is unset, or its URL cannot be read: pass one.
                Some(crate::target::UrlSource::EnvPy { var, .. }) => {
                    let set = var
                        .as_ref()
                        .map_or(String::new(), |v| format!("set {v}, or "));
                    format!(
                        "Give db-status the database's URL: {set}--url URL, DB_STATUS_URL_{} or url_env in db-status.toml (dialect+driver://user:password@host:port/database)",
                        crate::target::env_suffix(&ctx.name)
                    )
                }
                _ => format!(
                    "Fix the URL in {origin}: dialect+driver://user:password@host:port/database (postgresql, mysql, mariadb or sqlite)"
                ),
            };
            a.push(Action::say(what));
        }
        DbErrorKind::BadData => {
            a.push(Action::say(format!(
                "Inspect the version table: SELECT version_num FROM {}",
                ctx.version_table.qualified()
            )));
            a.push(Action::say(format!(
                "Check the URL points at the right database ({origin})"
            )));
        }
        DbErrorKind::Other => {
            a.push(Action::say(format!("Check the {be} server's log")));
            a.push(Action::say(format!("Check the URL in {origin}")));
        }
    }
    a.push(verify(ctx));
    a
}

/// `"name"` for PostgreSQL SQL.
fn pg_ident(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `` `name` `` for MySQL SQL.
fn mysql_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The GRANT that lets the connecting user read the version table, with the
/// names db-status knows. For MySQL the account is `'user'@'host'` as the
/// server named it in its refusal, when it did.
fn grant(ctx: &Context, server_message: &str) -> String {
    let user = ctx.db.user.clone().unwrap_or_else(|| "<user>".to_string());
    let t = &ctx.version_table;
    if backend(ctx) == Some(Backend::MySql) {
        let db = t
            .schema
            .clone()
            .or_else(|| ctx.db.name.clone())
            .unwrap_or_else(|| "<database>".to_string());
        let account = mysql_account(server_message)
            .unwrap_or_else(|| format!("'{}'@'%'", user.replace('\'', "''")));
        format!(
            "GRANT SELECT ON {}.{} TO {account}",
            mysql_ident(&db),
            mysql_ident(&t.name)
        )
    } else {
        let table = match &t.schema {
            Some(s) => format!("{}.{}", pg_ident(s), pg_ident(&t.name)),
            None => pg_ident(&t.name),
        };
        format!("GRANT SELECT ON {table} TO {}", pg_ident(&user))
    }
}

/// `'user'@'host'` as MySQL/MariaDB print it in an access-denied message.
fn mysql_account(message: &str) -> Option<String> {
    let at = message.find("'@'")?;
    let start = message[..at].rfind('\'')?;
    let end = at + 3 + message[at + 3..].find('\'')?;
    Some(message[start..=end].to_string())
}

/// Advice when there is no URL at all.
pub(crate) fn no_url_actions(ctx: &Context) -> Vec<Action> {
    let mut a = vec![Action::say(format!(
        "Set sqlalchemy.url in {} (e.g. sqlalchemy.url = postgresql://user@localhost:5432/dbname)",
        ctx.config.as_deref().unwrap_or("the ini")
    ))];
    a.push(Action::say(format!(
        "Or pass the URL: --url URL (--url {}=URL among several components), or set DB_STATUS_URL_{}",
        ctx.name,
        crate::target::env_suffix(&ctx.name)
    )));
    if ctx.backend_ai && ctx.name == "manager" {
        a.push(Action::run(
            "In a Backend.AI checkout, copy the halfstack config",
            vec![
                "cp".into(),
                "configs/manager/halfstack.alembic.ini".into(),
                "alembic.ini".into(),
            ],
            ctx,
        ));
    }
    a.push(verify(ctx));
    a
}

fn upgrade_target(map: &RevisionMap, ctx: &Context) -> &'static str {
    if ctx.backend_ai && map.heads().len() == 1 {
        "head"
    } else {
        "heads"
    }
}

/// The warning that Alembic connects through `env.py`, said before the
/// command it qualifies when db-status read another URL than the ini's.
fn env_py_warning(ctx: &Context) -> Option<Action> {
    let source = ctx.url_source.as_ref()?;
    if source.alembic_reads_it() {
        return None;
    }
    Some(Action::say(format!(
        "Before running Alembic: it connects with what env.py reads (usually sqlalchemy.url in {}), not {}; make sure that targets {}",
        ctx.config.as_deref().unwrap_or("the ini"),
        source.describe(),
        ctx.database.as_deref().unwrap_or("the same database")
    )))
}

/// `schema oneshot`, with `-f <ini>` when the ini is not `alembic.ini`.
fn oneshot(ctx: &Context, program: &[&str]) -> Vec<String> {
    let mut argv: Vec<String> = program.iter().map(|s| s.to_string()).collect();
    argv.extend(["schema".to_string(), "oneshot".to_string()]);
    if let Some(ini) = ctx.config.as_deref().filter(|i| *i != "alembic.ini") {
        argv.extend(["-f".to_string(), ini.to_string()]);
    }
    argv
}

/// Backend.AI's `./backend.ai mgr schema apply-missing-revisions VERSION`
/// for the manager in a Backend.AI checkout (`-f INI` unless it is
/// `alembic.ini`); `None` elsewhere, where there is no such command.
pub(crate) fn apply_missing_action(ctx: &Context, version: &str, label: &str) -> Option<Action> {
    if ctx.name != "manager" || !ctx.backend_ai {
        return None;
    }
    let mut argv: Vec<String> = [
        "./backend.ai",
        "mgr",
        "schema",
        "apply-missing-revisions",
        version,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(ini) = ctx.config.as_deref().filter(|i| *i != "alembic.ini") {
        argv.extend(["-f".to_string(), ini.to_string()]);
    }
    Some(Action::run(label, argv, ctx))
}

/// Advice for a database behind its scripts (or a fresh one).
pub(crate) fn upgrade_actions(map: &RevisionMap, ctx: &Context, fresh: bool) -> Vec<Action> {
    let upgrade = alembic(ctx, &["upgrade", upgrade_target(map, ctx)]);
    let mut a = Vec::new();
    a.extend(env_py_warning(ctx));
    let program: Option<&[&str]> = match ctx.name.as_str() {
        "manager" => Some(&["./backend.ai", "mgr"]),
        "appproxy" => Some(&["./backend.ai", "app-proxy-coordinator"]),
        _ => None,
    };
    match program {
        Some(program) if fresh && ctx.backend_ai => {
            a.push(Action::run(
                "Create the schema from the models and stamp the head",
                oneshot(ctx, program),
                ctx,
            ));
            a.push(Action::run("Or replay every migration", upgrade, ctx));
        }
        _ if fresh => a.push(Action::run("Apply every migration", upgrade, ctx)),
        _ => a.push(Action::run("Apply the pending migrations", upgrade, ctx)),
    }
    a.push(verify(ctx));
    a
}

/// Advice for a populated database without a version table (or with an empty one).
pub(crate) fn unstamped_actions(
    map: &RevisionMap,
    ctx: &Context,
    tables: &Tables,
    fresh: Option<Fresh>,
) -> Vec<Action> {
    let mut names = tables.names.join(", ");
    if tables.count > tables.names.len() {
        names.push_str(", …");
    }
    let table = ctx.version_table.qualified();
    let what = match fresh {
        Some(Fresh::EmptyTable) => format!("an empty {table} table"),
        _ => format!("no {table} table"),
    };
    let mut a = vec![Action::say(format!(
        "Check that this is {}'s database: {} (from {}) holds {} ({names}) but {what}",
        ctx.name,
        ctx.database.as_deref().unwrap_or("the database"),
        url_origin(ctx),
        if tables.count == 1 {
            "1 table".to_string()
        } else {
            format!("{} tables", tables.count)
        }
    ))];
    a.extend(env_py_warning(ctx));
    let heads = upgrade_target(map, ctx);
    a.push(Action::say(format!(
        "If it is, find the revision its schema matches (`{}` lists them), then record it without running any migration: {} <rev> (`{}` if it matches the current models); never replay the migrations onto existing tables",
        shell::join(&alembic(ctx, &["history"])),
        pasteable(&alembic(ctx, &["stamp"]), ctx),
        shell::join(&alembic(ctx, &["stamp", heads]))
    )));
    a.push(verify(ctx));
    a
}

/// Advice for a database that holds another component's revisions.
pub(crate) fn wrong_database_actions(ctx: &Context, owner: &str) -> Vec<Action> {
    vec![
        Action::say(format!(
            "Fix the URL in {}: it points at {owner}'s database; give {} its own (--url {}=URL, DB_STATUS_URL_{}, or its url / url_env in db-status.toml)",
            url_origin(ctx),
            ctx.name,
            ctx.name,
            crate::target::env_suffix(&ctx.name)
        )),
        Action::say(format!(
            "Run no Alembic command for {} with this URL: it would migrate {owner}'s database",
            ctx.name
        )),
        verify(ctx),
    ]
}

/// Advice for diverged heads: re-point the newest unreleased head, or merge.
pub(crate) fn divergence_actions(
    map: &RevisionMap,
    d: &Divergence,
    applied: &BitSet,
    ctx: &Context,
) -> Vec<Action> {
    let mut a = Vec::new();
    let Some(group) = d.groups.first() else {
        a.push(verify(ctx));
        return a;
    };
    let newest = group.newest_first.first().copied();
    let many = group.heads.len() > 2;
    match (&group.repoint, newest) {
        (Some(r), _) => {
            let s = map.script(r.revision);
            let newest_id = map.id(r.head);
            let which = if r.revision == r.head {
                String::new()
            } else {
                format!(" (the first revision of {newest_id}'s branch)")
            };
            let quote = |ids: &[String]| match ids {
                [] => "None".to_string(),
                [one] => format!("'{one}'"),
                many => format!(
                    "({})",
                    many.iter()
                        .map(|i| format!("'{i}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let onto = if r.to.len() == 1 {
                "the other head"
            } else {
                "the other heads"
            };
            let mut step = format!(
                "If {newest_id} is yours and not released yet, re-point it onto {onto}: in {}{which} line {}, change down_revision from {} to {}",
                display_path(&s.path, &ctx.cwd).display(),
                s.lines.down_revision,
                quote(&r.from),
                quote(&r.to),
            );
            let own_applied: Vec<&str> = map
                .ancestor_set(r.head)
                .iter()
                .filter(|&i| applied.contains(i) && !shared(map, group, r.head, i))
                .map(|i| map.id(i))
                .collect();
            if !own_applied.is_empty() {
                step.push_str(&format!(
                    "; this database already applied {}, so downgrade it to {} before editing",
                    own_applied.join(", "),
                    r.from.first().map_or("base", String::as_str)
                ));
            }
            a.push(Action::say(step));
        }
        (None, Some(newest)) => {
            a.push(Action::say(format!(
                "If {} is yours and not released yet, re-point the first revision of its branch onto the other head{} (edit its down_revision)",
                map.id(newest),
                if many { "s" } else { "" }
            )));
        }
        (None, None) => {}
    }
    let mut merge = vec!["merge", "-m", "merge heads"];
    merge.extend(group.merge_targets.iter().map(String::as_str));
    a.push(Action::run(
        "If the heads are already released, add an empty merge revision instead",
        alembic(ctx, &merge),
        ctx,
    ));
    a.push(Action::run(
        "Then upgrade",
        alembic(
            ctx,
            &["upgrade", if ctx.backend_ai { "head" } else { "heads" }],
        ),
        ctx,
    ));
    a.push(verify(ctx));
    a
}

/// Whether `rev` is history the other heads of `group` share with `head`.
fn shared(
    map: &RevisionMap,
    group: &crate::graph::divergence::Group,
    head: RevIdx,
    rev: RevIdx,
) -> bool {
    group
        .heads
        .iter()
        .filter(|&&h| h != head)
        .any(|&h| map.ancestor_set(h).contains(rev))
}

/// Advice for rows the scripts do not know (and no other component's tree knows either).
pub(crate) fn unknown_actions(
    map: &RevisionMap,
    unknown: &[String],
    real_heads: &[RevIdx],
    ctx: &Context,
) -> Vec<Action> {
    let ids = unknown.join(" ");
    let first = unknown.first().map_or("", String::as_str);
    let heads: Vec<&str> = real_heads.iter().map(|&h| map.id(h)).collect();
    vec![
        Action::with(
            "If the database is ahead of this checkout, update the checkout: git pull".to_string(),
            vec!["git".into(), "pull".into()],
        ),
        Action::run(
            "Find the branch that has it",
            vec![
                "git".into(),
                "log".into(),
                "--all".into(),
                "--oneline".into(),
                "-S".into(),
                first.to_string(),
            ],
            ctx,
        ),
        Action::say(format!(
            "If it was migrated from another branch: on that branch run `{} <rev>` down to a revision this checkout also has (this checkout's head{}: {}), then come back and upgrade",
            shell::join(&alembic(ctx, &["downgrade"])),
            if heads.len() == 1 { " is" } else { "s are" },
            if heads.is_empty() {
                "none".to_string()
            } else {
                heads.join(", ")
            }
        )),
        Action::say(format!(
            "Do not stamp or upgrade from this checkout until {ids} is accounted for"
        )),
        verify(ctx),
    ]
}

/// Advice for rows where one is an ancestor of another (Alembic refuses to upgrade).
pub(crate) fn overlap_actions(
    map: &RevisionMap,
    known: &[(RevIdx, String)],
    ctx: &Context,
) -> Vec<Action> {
    let mut a = Vec::new();
    for (i, row) in known {
        for (j, _) in known {
            if i != j && map.ancestor_set(*j).contains(*i) {
                a.push(Action::say(format!(
                    "Remove the redundant row {row} (an ancestor of {}): DELETE FROM {} WHERE version_num = '{row}'",
                    map.id(*j),
                    ctx.version_table.qualified()
                )));
                break;
            }
        }
    }
    a.push(verify(ctx));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_account_from_message() {
        assert_eq!(
            mysql_account(
                "SELECT command denied to user 'ro'@'localhost' for table `test`.`alembic_version`"
            )
            .as_deref(),
            Some("'ro'@'localhost'")
        );
        assert_eq!(mysql_account("no account here"), None);
    }

    #[test]
    fn identifiers() {
        assert_eq!(pg_ident("backend"), "backend");
        assert_eq!(pg_ident("Back end"), "\"Back end\"");
        assert_eq!(mysql_ident("a`b"), "`a``b`");
    }
}
