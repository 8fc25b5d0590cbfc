//! Stage 4: the version table, read strictly read-only. PostgreSQL (TCP, unix
//! socket, TLS), MySQL/MariaDB and SQLite (opened read-only, never created).
//! Every read runs in a READ ONLY transaction with connect and query timeouts.

pub mod mask;
mod mysql;
mod mysql_settings;
mod pg_settings;
mod pgpass;
mod postgres;
mod query;
mod sqlite;
mod tls;
pub mod url;

use std::sync::mpsc;
use std::time::Duration;

pub use url::{Backend, DbUrl};

/// Where the version table lives.
#[derive(Debug, Clone)]
pub struct VersionTable {
    /// Table name (default `alembic_version`).
    pub name: String,
    /// Schema (PostgreSQL schema / MySQL database), if configured.
    pub schema: Option<String>,
}

impl Default for VersionTable {
    fn default() -> Self {
        VersionTable {
            name: "alembic_version".to_string(),
            schema: None,
        }
    }
}

/// What the version table holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRows {
    /// The SQLite file does not exist (nothing was created).
    NoDatabaseFile,
    /// The database exists but has no version table.
    NoTable,
    /// The rows of the version table, in the order the database returned them (may be empty).
    Rows(Vec<String>),
}

/// Why the version table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    /// The kind of failure (decides advice and JSON `error.kind`).
    pub kind: DbErrorKind,
    /// A message for people: names the host (never the password) and the cause.
    pub message: String,
}

/// Kinds of [`DbError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// The URL could not be understood, or names an unsupported backend.
    BadUrl,
    /// Nothing listens at host:port (or the socket path).
    Refused,
    /// The host name does not resolve.
    UnknownHost,
    /// No answer within the timeout (black-holed host, stuck server).
    Timeout,
    /// Wrong user or password.
    Auth,
    /// The database does not exist.
    MissingDatabase,
    /// The user may not read the version table.
    PermissionDenied,
    /// TLS required but unavailable, or the certificate was refused.
    Tls,
    /// The version table holds something that is not a revision id.
    BadData,
    /// Anything else.
    Other,
}

impl DbErrorKind {
    /// Stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            DbErrorKind::BadUrl => "bad-url",
            DbErrorKind::Refused => "connection-refused",
            DbErrorKind::UnknownHost => "unknown-host",
            DbErrorKind::Timeout => "timeout",
            DbErrorKind::Auth => "authentication",
            DbErrorKind::MissingDatabase => "missing-database",
            DbErrorKind::PermissionDenied => "permission-denied",
            DbErrorKind::Tls => "tls",
            DbErrorKind::BadData => "bad-data",
            DbErrorKind::Other => "other",
        }
    }
}

/// Read the version table rows, read-only, within `timeout` for connect and for the query.
pub fn read_version_rows(
    url: &DbUrl,
    table: &VersionTable,
    timeout: Duration,
) -> Result<VersionRows, DbError> {
    let backend = url.backend()?;
    if url.host.as_deref().is_some_and(|h| h.contains('@')) {
        // The host part would carry a piece of the password: refuse before
        // any message or connection attempt can echo it.
        return Err(DbError::new(
            DbErrorKind::BadUrl,
            "the URL has more than one '@' before the host: percent-encode '@' in the user \
             name or password as %40 (e.g. postgresql://user:p%40ss@host/db)",
        ));
    }
    if table.name.is_empty() {
        return Err(DbError::new(
            DbErrorKind::Other,
            "the version table name is empty: set it to the table env.py uses (default alembic_version)",
        ));
    }
    let job = match backend {
        Backend::Postgres => postgres::prepare(url, table, timeout)?,
        Backend::MySql => mysql::prepare(url, table, timeout)?,
        Backend::Sqlite => sqlite::prepare(url, table, timeout)?,
    };
    let secrets = job.secrets.clone();
    let result = run_bounded(job, timeout).and_then(validate_rows);
    result.map_err(|e| DbError {
        kind: e.kind,
        message: secrets.mask(&e.message),
    })
}

/// A read, resolved on the caller's thread (so configuration mistakes are
/// reported at once) and run on a worker thread.
pub(crate) struct Job {
    /// Where the read goes, for the timeout message (`host:port`, socket, file).
    pub target: String,
    /// The passwords no message may show, and the names it may (see [`mask`]).
    pub secrets: mask::Secrets,
    /// The read itself.
    pub run: Box<dyn FnOnce() -> Result<VersionRows, DbError> + Send>,
}

/// Extra time given to the driver beyond its own timeouts before the worker is
/// abandoned: the driver's own error is more precise than ours.
const MARGIN: Duration = Duration::from_millis(400);

/// Run `job` on a worker thread and wait at most `timeout` + [`MARGIN`].
///
/// A black-holed host or a server that accepts and never answers must not
/// hang the tool; the abandoned thread dies with the process.
fn run_bounded(job: Job, timeout: Duration) -> Result<VersionRows, DbError> {
    let (tx, rx) = mpsc::channel();
    let run = job.run;
    let spawned = std::thread::Builder::new()
        .name("db-status-read".to_string())
        .spawn(move || {
            // The receiver may be gone after a timeout; nothing to do then.
            let _ = tx.send(run());
        });
    if let Err(e) = spawned {
        return Err(DbError::new(
            DbErrorKind::Other,
            format!("could not start a thread to read {}: {e}", job.target),
        ));
    }
    match rx.recv_timeout(timeout.saturating_add(MARGIN)) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(DbError::new(
            DbErrorKind::Timeout,
            format!(
                "no answer from {} within {} (is the host reachable and the server healthy? raise --timeout if it is just slow)",
                job.target,
                format_duration(timeout)
            ),
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(DbError::new(
            DbErrorKind::Other,
            format!(
                "the read of {} stopped unexpectedly (internal error)",
                job.target
            ),
        )),
    }
}

/// `5 s`, `1.5 s`, `250 ms`.
pub(crate) fn format_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Longest `version_num` accepted; Alembic's column is `VARCHAR(32)`, but
/// projects widen it, so only absurd values are refused.
const MAX_VERSION_LEN: usize = 255;

/// Refuse rows that cannot be revision ids, so they never reach a verdict.
fn validate_rows(rows: VersionRows) -> Result<VersionRows, DbError> {
    let VersionRows::Rows(list) = &rows else {
        return Ok(rows);
    };
    for (index, row) in list.iter().enumerate() {
        let problem = if row.is_empty() {
            Some("is empty".to_string())
        } else if row.chars().count() > MAX_VERSION_LEN {
            Some(format!(
                "is {} characters long (more than {MAX_VERSION_LEN})",
                row.chars().count()
            ))
        } else if row.chars().any(char::is_control) {
            Some("contains control characters".to_string())
        } else if row.contains('\u{fffd}') {
            Some("is not valid UTF-8".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            let shown: String = row
                .chars()
                .take(40)
                .collect::<String>()
                .escape_debug()
                .to_string();
            return Err(DbError::new(
                DbErrorKind::BadData,
                format!(
                    "row {} of the version table {problem} (\"{shown}{}\"): it is not a revision id; \
                     inspect the table with SELECT version_num and fix it by hand",
                    index + 1,
                    if row.chars().count() > 40 { "…" } else { "" }
                ),
            ));
        }
    }
    Ok(rows)
}

impl DbError {
    /// A new error of `kind`.
    pub fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
        DbError {
            kind,
            message: message.into(),
        }
    }
}

/// Quote an identifier for PostgreSQL and SQLite: `"a""b"`.
pub(crate) fn quote_ident_ansi(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_validated() {
        let ok = VersionRows::Rows(vec!["ae1027a6acf".into(), "not-hex_id".into()]);
        assert_eq!(validate_rows(ok.clone()), Ok(ok));
        for bad in ["", "a\nb", "x\u{0}", &"z".repeat(256), "bad\u{fffd}"] {
            let err = validate_rows(VersionRows::Rows(vec!["ok".into(), bad.to_string()]));
            assert_eq!(
                err.map_err(|e| e.kind),
                Err(DbErrorKind::BadData),
                "{bad:?}"
            );
        }
        assert_eq!(
            validate_rows(VersionRows::NoTable),
            Ok(VersionRows::NoTable)
        );
    }

    #[test]
    fn idents_are_quoted() {
        assert_eq!(quote_ident_ansi("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn unsupported_backend_is_bad_url() {
        let url = DbUrl::parse("oracle://u:pw@h/d").map_err(|e| e.message);
        let err =
            url.map(|u| read_version_rows(&u, &VersionTable::default(), Duration::from_secs(1)));
        assert!(matches!(
            err,
            Ok(Err(DbError {
                kind: DbErrorKind::BadUrl,
                ..
            }))
        ));
    }
}
