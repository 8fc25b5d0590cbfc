//! Recommended actions: the real commands for this component and checkout
//! (`./py -m alembic -c …` in a Backend.AI checkout, `alembic -c …`
//! elsewhere), chosen from the verdict's facts. Pure string building.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Context, Diverged, UrlSource, create_date, display_path};
use crate::database::DbErrorKind;
use crate::graph::{RevIdx, RevisionMap};

/// The Alembic command line for a component: `./py -m alembic` in a
/// Backend.AI checkout, else `alembic`; `-c INI` unless it is the default
/// `alembic.ini`; `-n SECTION` unless it is `alembic`.
pub fn alembic_command(backend_ai: bool, ini: Option<&Path>, section: Option<&str>) -> String {
    let mut cmd = if backend_ai {
        "./py -m alembic".to_string()
    } else {
        "alembic".to_string()
    };
    if let Some(ini) = ini
        && ini != Path::new("alembic.ini")
    {
        cmd.push_str(" -c ");
        cmd.push_str(&shell_quote(&ini.to_string_lossy()));
    }
    if let Some(section) = section.filter(|s| *s != "alembic") {
        cmd.push_str(" -n ");
        cmd.push_str(&shell_quote(section));
    }
    cmd
}

/// Quote a word for a POSIX shell when it needs it.
pub(crate) fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The headline for a database error.
pub fn db_error_title(kind: DbErrorKind) -> &'static str {
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
    match ctx.url_source {
        UrlSource::Flag => "--url / DB_STATUS_URL".to_string(),
        UrlSource::Component => "the component's url / url_env in db-status.toml".to_string(),
        UrlSource::Ini => format!(
            "sqlalchemy.url in {}",
            ctx.config.as_deref().unwrap_or("the ini")
        ),
    }
}

/// Which backend the masked URL names, for people.
fn backend(ctx: &Context) -> &'static str {
    let url = ctx.database.as_deref().unwrap_or("");
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else if url.starts_with("mysql") || url.starts_with("mariadb") {
        "MySQL/MariaDB"
    } else if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "database"
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

fn verify(ctx: &Context) -> String {
    format!("Verify: {}", ctx.recheck)
}

/// Advice for a database that could not be read.
pub(crate) fn db_error_actions(kind: DbErrorKind, ctx: &Context) -> Vec<String> {
    let origin = url_origin(ctx);
    let be = backend(ctx);
    let mut a: Vec<String> = Vec::new();
    match kind {
        DbErrorKind::Refused => {
            let probe = if be == "MySQL/MariaDB" {
                "docker ps | grep -E 'mysql|mariadb'"
            } else {
                "docker ps | grep postgres"
            };
            a.push(format!("Check the {be} server is running: {probe}"));
            a.push(format!("Verify the host and port in {origin}"));
            if ctx.backend_ai {
                a.push(
                    "For a halfstack setup, start its containers (docker compose -f docker-compose.halfstack-main.yml up -d); the halfstack database listens on port 8100"
                        .to_string(),
                );
            }
        }
        DbErrorKind::UnknownHost => {
            a.push(format!("Check the host name in {origin}"));
            a.push("Check DNS / VPN if the host is remote".to_string());
        }
        DbErrorKind::Timeout => {
            a.push(format!(
                "Check the host and port in {origin} and that no firewall drops the connection"
            ));
            a.push("If the server is just slow, allow more time: --timeout 30".to_string());
        }
        DbErrorKind::Auth => {
            a.push(format!("Check the user name and password in {origin}"));
            if be == "PostgreSQL" || be == "database" {
                a.push(
                    "Without a password in the URL, PostgreSQL's is taken from PGPASSWORD or ~/.pgpass"
                        .to_string(),
                );
            }
        }
        DbErrorKind::MissingDatabase => {
            let create = if be == "MySQL/MariaDB" {
                "CREATE DATABASE <name>"
            } else {
                "createdb <name> (or CREATE DATABASE <name>)"
            };
            a.push(format!(
                "Create the database if this is a new setup: {create}, then run `{} upgrade head`",
                ctx.alembic
            ));
            a.push(format!("Or fix the database name in {origin}"));
            if ctx.backend_ai && ctx.name == "accountmgr" {
                a.push(
                    "Backend.AI's halfstack ini names the database `backendaccount`, which the dev installer does not create"
                        .to_string(),
                );
            }
        }
        DbErrorKind::PermissionDenied => {
            a.push(format!(
                "Grant read access to the version table: GRANT SELECT ON {} TO <user>",
                ctx.table()
            ));
            a.push(format!("Or connect as a user that may read it ({origin})"));
        }
        DbErrorKind::Tls => {
            a.push(format!(
                "Check the TLS settings and certificates in {origin} (for a local server without TLS: {})",
                tls_off(ctx)
            ));
        }
        DbErrorKind::BadUrl => {
            a.push(format!(
                "Fix the URL in {origin}: dialect+driver://user:password@host:port/database (postgresql, mysql, mariadb or sqlite)"
            ));
        }
        DbErrorKind::BadData => {
            a.push(format!(
                "Inspect the version table: SELECT version_num FROM {}",
                ctx.table()
            ));
            a.push(format!(
                "Check the URL points at the right database ({origin})"
            ));
        }
        DbErrorKind::Other => {
            a.push(format!("Check the {be} server's log"));
            a.push(format!("Check the URL in {origin}"));
        }
    }
    a.push(verify(ctx));
    a
}

/// Advice when there is no URL at all.
pub(crate) fn no_url_actions(ctx: &Context) -> Vec<String> {
    let mut a = vec![format!(
        "Set sqlalchemy.url in {} (e.g. sqlalchemy.url = postgresql://user@localhost:5432/dbname)",
        ctx.config.as_deref().unwrap_or("the ini")
    )];
    a.push("Or pass the URL: --url URL, or set DB_STATUS_URL".to_string());
    if ctx.backend_ai && ctx.name == "manager" {
        a.push(
            "In a Backend.AI checkout: cp configs/manager/halfstack.alembic.ini alembic.ini"
                .to_string(),
        );
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

/// Advice for a database behind its scripts (or a fresh one).
pub(crate) fn upgrade_actions(map: &RevisionMap, ctx: &Context, fresh: bool) -> Vec<String> {
    let upgrade = format!("{} upgrade {}", ctx.alembic, upgrade_target(map, ctx));
    let mut a = Vec::new();
    if fresh && ctx.backend_ai && ctx.name == "manager" {
        a.push(
            "Create the schema from the models and stamp the head: ./backend.ai mgr schema oneshot"
                .to_string(),
        );
        a.push(format!("Or replay every migration: {upgrade}"));
    } else if fresh && ctx.backend_ai && ctx.name == "appproxy" {
        let ini = ctx.config.as_deref().unwrap_or("alembic-appproxy.ini");
        a.push(format!(
            "Create the schema and stamp the head: ./backend.ai app-proxy-coordinator schema oneshot -f {}",
            shell_quote(ini)
        ));
        a.push(format!("Or replay every migration: {upgrade}"));
    } else if fresh {
        a.push(format!("Apply every migration: {upgrade}"));
    } else {
        a.push(format!("Apply the pending migrations: {upgrade}"));
    }
    if ctx.url_source != UrlSource::Ini {
        a.push(format!(
            "Alembic connects with what env.py reads (usually sqlalchemy.url in {}), not {}: make sure it targets the same database",
            ctx.config.as_deref().unwrap_or("the ini"),
            url_origin(ctx)
        ));
    }
    a.push(verify(ctx));
    a
}

/// Order diverged heads by how likely they are the unreleased one to re-point:
/// heads this database has not applied first, then the latest `Create Date:`,
/// then the one `alembic history` lists first.
fn newest_first(
    map: &RevisionMap,
    d: &Diverged,
    heads: &[RevIdx],
    applied: &BTreeSet<RevIdx>,
) -> Vec<RevIdx> {
    let pos = |i: RevIdx| d.history.iter().position(|&h| h == i).unwrap_or(usize::MAX);
    let mut v = heads.to_vec();
    v.sort_by(|&a, &b| {
        applied
            .contains(&a)
            .cmp(&applied.contains(&b))
            .then(create_date(map, b).cmp(&create_date(map, a)))
            .then(pos(a).cmp(&pos(b)))
    });
    v
}

/// Advice for diverged heads: re-point the newest unreleased head, or merge.
pub(crate) fn divergence_actions(
    map: &RevisionMap,
    d: &Diverged,
    applied_rows: &[String],
    real_heads: &[RevIdx],
    ctx: &Context,
) -> Vec<String> {
    let applied: BTreeSet<RevIdx> = applied_rows
        .iter()
        .filter_map(|r| map.find(r))
        .flat_map(|r| map.ancestors(r))
        .collect();
    let order = newest_first(map, d, &d.heads, &applied);
    let mut a = Vec::new();
    if let (Some(&newest), Some(&onto)) = (order.first(), order.get(1)) {
        let newest_id = &map.script(newest).revision;
        let onto_id = &map.script(onto).revision;
        let onto_anc: BTreeSet<RevIdx> = map.ancestors(onto).into_iter().collect();
        let own: BTreeSet<RevIdx> = map
            .ancestors(newest)
            .into_iter()
            .filter(|i| !onto_anc.contains(i))
            .collect();
        let roots: Vec<RevIdx> = own
            .iter()
            .copied()
            .filter(|&r| {
                map.parents(r).iter().any(|p| !own.contains(p)) || map.parents(r).is_empty()
            })
            .collect();
        let mut step = match roots.as_slice() {
            [root]
                if map.parents(*root).len() == 1 && map.script(*root).lines.down_revision > 0 =>
            {
                let s = map.script(*root);
                let parent = map
                    .parents(*root)
                    .first()
                    .map_or("", |&p| map.script(p).revision.as_str());
                let which = if *root == newest {
                    String::new()
                } else {
                    format!(" (the first revision of {newest_id}'s branch)")
                };
                format!(
                    "If {newest_id} is yours and not released yet, re-point it onto the other head: in {}{which} line {}, change down_revision from '{parent}' to '{onto_id}'",
                    display_path(&s.path, &ctx.cwd).display(),
                    s.lines.down_revision,
                )
            }
            _ => format!(
                "If {newest_id} is yours and not released yet, re-point the first revision of its branch onto {onto_id} (edit its down_revision)"
            ),
        };
        let done: Vec<&str> = own
            .iter()
            .filter(|i| applied.contains(i))
            .map(|&i| map.script(i).revision.as_str())
            .collect();
        if !done.is_empty() {
            step.push_str(&format!(
                "; this database already applied {}, so downgrade it to {} before editing",
                done.join(", "),
                roots
                    .first()
                    .and_then(|&r| map.parents(r).first())
                    .map_or("their parent", |&p| map.script(p).revision.as_str())
            ));
        }
        if d.heads.len() > 2 {
            step.push_str("; repeat until one head remains");
        }
        a.push(step);
        let merge_all = d.heads.len() == real_heads.len();
        let targets = if merge_all {
            "heads".to_string()
        } else {
            d.heads
                .iter()
                .map(|&h| map.script(h).revision.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        a.push(format!(
            "If the heads are already released, add an empty merge revision instead: {} merge -m \"merge heads\" {targets}",
            ctx.alembic
        ));
    }
    a.push(format!(
        "Then upgrade: {} upgrade {}",
        ctx.alembic,
        if ctx.backend_ai { "head" } else { "heads" }
    ));
    a.push(verify(ctx));
    a
}

/// Advice for rows the scripts do not know.
pub(crate) fn unknown_actions(
    map: &RevisionMap,
    unknown: &[String],
    real_heads: &[RevIdx],
    ctx: &Context,
) -> Vec<String> {
    let ids = unknown.join(" ");
    let first = unknown.first().map_or("", String::as_str);
    let heads: Vec<&str> = real_heads
        .iter()
        .map(|&h| map.script(h).revision.as_str())
        .collect();
    vec![
        "If the database is ahead of this checkout, update the checkout: git pull".to_string(),
        format!("Find the branch that has it: git log --all --oneline -S {first}"),
        format!(
            "If it was migrated from another branch: on that branch run `{} downgrade <rev>` down to a revision this checkout also has (this checkout's head{}: {}), then come back and upgrade",
            ctx.alembic,
            if heads.len() == 1 { " is" } else { "s are" },
            if heads.is_empty() {
                "none".to_string()
            } else {
                heads.join(", ")
            }
        ),
        format!("Do not stamp or upgrade from this checkout until {ids} is accounted for"),
        verify(ctx),
    ]
}

/// Advice for rows where one is an ancestor of another (Alembic refuses to upgrade).
pub(crate) fn overlap_actions(
    map: &RevisionMap,
    known: &[(RevIdx, String)],
    ctx: &Context,
) -> Vec<String> {
    let mut a = Vec::new();
    for (i, row) in known {
        for (j, _) in known {
            if i != j && map.ancestors(*j).contains(i) {
                a.push(format!(
                    "Remove the redundant row {row} (an ancestor of {}): DELETE FROM {} WHERE version_num = '{row}'",
                    map.script(*j).revision,
                    ctx.table()
                ));
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
    fn alembic_command_forms() {
        assert_eq!(
            alembic_command(false, Some(Path::new("alembic.ini")), None),
            "alembic"
        );
        assert_eq!(
            alembic_command(true, Some(Path::new("alembic-appproxy.ini")), None),
            "./py -m alembic -c alembic-appproxy.ini"
        );
        assert_eq!(
            alembic_command(false, Some(Path::new("my dir/a.ini")), Some("db2")),
            "alembic -c 'my dir/a.ini' -n db2"
        );
        assert_eq!(
            alembic_command(false, Some(Path::new("alembic.ini")), Some("alembic")),
            "alembic"
        );
    }

    #[test]
    fn shell_quote_escapes_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
