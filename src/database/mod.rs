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
use std::time::{Duration, Instant};

pub use crate::config::VersionTable;
pub(crate) use url::Backend;
pub use url::DbUrl;

/// How to connect, beyond the URL: what every read of a target shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectOptions {
    /// Connect timeout, and again query timeout; the whole read is bounded by it.
    pub(crate) timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// `--timeout` when not given.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What one read of a database found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionRead {
    /// The version table's rows (or why there are none).
    pub(crate) rows: VersionRows,
    /// The other tables in the schema that is searched, asked only when the
    /// version table is missing or empty (`None` otherwise): tables there
    /// mean a database that was never stamped, or the wrong one.
    pub(crate) tables: Option<Tables>,
}

/// Tables found in the searched schema (the version table excluded).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Tables {
    /// How many.
    pub(crate) count: usize,
    /// The first few names, sorted (for messages).
    pub(crate) names: Vec<String>,
}

/// At most this many table names are kept for messages.
pub(crate) const TABLE_NAMES_SHOWN: usize = 5;

impl Tables {
    /// Build from every name found (sorted here, a few kept).
    pub(crate) fn from_names(mut all: Vec<String>) -> Tables {
        all.sort();
        let count = all.len();
        all.truncate(TABLE_NAMES_SHOWN);
        Tables { count, names: all }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
// Only so src/report/schema_tests.rs can list every variant (`ErrorKind::Database`
// needs a default to be listed).
#[cfg_attr(test, derive(Default, strum::EnumIter))]
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
    #[cfg_attr(test, default)]
    Other,
}

impl DbErrorKind {
    /// Stable name used in JSON output.
    pub(crate) fn as_str(self) -> &'static str {
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

/// Read the version table rows, read-only, within `timeout` for connect and
/// for the query: `read` without the table list (for tools and tests).
pub fn read_version_rows(
    url: &DbUrl,
    table: &VersionTable,
    timeout: Duration,
) -> Result<VersionRows, DbError> {
    read(url, table, &ConnectOptions { timeout }).map(|r| r.rows)
}

/// Read a target's version table, read-only and bounded in time: the one
/// read every command goes through ([`start`] then [`PendingRead::wait`]).
pub(crate) fn read(
    url: &DbUrl,
    table: &VersionTable,
    options: &ConnectOptions,
) -> Result<VersionRead, DbError> {
    start(url, table, options).wait()
}

/// Close the connections kept for reuse during a check (see
/// [`crate::inspect::check`], which calls this when it ends).
pub(crate) fn close_idle_connections() {
    postgres::close_idle();
}

/// Start reading a target's version table on a worker thread, so the caller
/// can scan the revision files meanwhile. Mistakes in the URL are reported
/// at once (the returned read is already finished).
pub(crate) fn start(url: &DbUrl, table: &VersionTable, options: &ConnectOptions) -> PendingRead {
    match prepare(url, table, options.timeout) {
        Ok(job) => spawn(job, options.timeout),
        Err(e) => PendingRead::Done(Err(e)),
    }
}

fn prepare(url: &DbUrl, table: &VersionTable, timeout: Duration) -> Result<Job, DbError> {
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
    match backend {
        Backend::Postgres => Ok(Job::connect(
            pg_settings::resolve(url)?,
            table,
            timeout,
            postgres::read,
        )),
        Backend::MySql => Ok(Job::connect(
            mysql_settings::resolve(url)?,
            table,
            timeout,
            mysql::read,
        )),
        Backend::Sqlite => sqlite::prepare(url, table, timeout),
    }
}

/// A read, resolved on the caller's thread (so configuration mistakes are
/// reported at once) and run on a worker thread.
pub(crate) struct Job {
    /// Where the read goes, for the timeout message (`host:port`, socket, file).
    pub(crate) target: String,
    /// The passwords no message may show, and the names it may (see [`mask`]).
    pub(crate) secrets: mask::Secrets,
    /// The read itself.
    pub(crate) run: Box<dyn FnOnce() -> Result<VersionRead, DbError> + Send>,
}

/// A server's connection settings, resolved from the URL (and the
/// environment) before connecting.
pub(crate) trait Resolved: Send + 'static {
    /// Where the read goes, for messages: `host:port`, a socket.
    fn target(&self) -> String;
    /// What no message may show, and the names it may.
    fn secrets(&self) -> &mask::Secrets;
}

impl Job {
    /// A read of `table` that `read` makes with the server's `settings` on
    /// the worker; where it goes and what it hides are taken first.
    fn connect<S: Resolved>(
        settings: S,
        table: &VersionTable,
        timeout: Duration,
        read: fn(&S, &VersionTable, Duration) -> Result<VersionRead, DbError>,
    ) -> Job {
        let target = settings.target();
        let secrets = settings.secrets().clone();
        let table = table.clone();
        Job {
            target,
            secrets,
            run: Box::new(move || read(&settings, &table, timeout)),
        }
    }
}

/// Extra time given to the driver beyond its own timeouts before the worker is
/// abandoned: the driver's own error is more precise than ours.
const MARGIN: Duration = Duration::from_millis(400);

/// A read in flight (or one that needed no connection).
#[derive(Debug)]
pub(crate) enum PendingRead {
    /// Known without waiting (a bad URL, a worker that could not start).
    Done(Result<VersionRead, DbError>),
    /// Running on a worker thread.
    Running {
        /// Where the answer arrives.
        rx: mpsc::Receiver<Result<VersionRead, DbError>>,
        /// When to stop waiting: the timeout plus a small margin.
        deadline: Instant,
        /// Where the read goes (for the timeout message).
        target: String,
        /// The timeout, for the message.
        timeout: Duration,
        /// The passwords no message may show (see [`mask`]).
        secrets: mask::Secrets,
    },
}

/// Run `job` on a worker thread; the answer is awaited by [`PendingRead::wait`].
///
/// A black-holed host or a server that accepts and never answers must not
/// hang the tool; an abandoned thread dies with the process.
fn spawn(job: Job, timeout: Duration) -> PendingRead {
    let (tx, rx) = mpsc::channel();
    let run = job.run;
    let spawned = std::thread::Builder::new()
        .name("db-status-read".to_string())
        .spawn(move || {
            // The receiver may be gone after a timeout; nothing to do then.
            let _ = tx.send(run());
        });
    if let Err(e) = spawned {
        return PendingRead::Done(Err(DbError::new(
            DbErrorKind::Other,
            format!("could not start a thread to read {}: {e}", job.target),
        )));
    }
    PendingRead::Running {
        rx,
        deadline: Instant::now() + timeout.saturating_add(MARGIN),
        target: job.target,
        timeout,
        secrets: job.secrets,
    }
}

impl PendingRead {
    /// The answer, waiting at most until the deadline; rows are validated
    /// and no message carries a secret.
    pub(crate) fn wait(self) -> Result<VersionRead, DbError> {
        let (result, secrets) = match self {
            PendingRead::Done(r) => (r, mask::Secrets::default()),
            PendingRead::Running {
                rx,
                deadline,
                target,
                timeout,
                secrets,
            } => {
                let left = deadline.saturating_duration_since(Instant::now());
                let r = match rx.recv_timeout(left) {
                    Ok(result) => result,
                    Err(mpsc::RecvTimeoutError::Timeout) => Err(no_answer(&target, timeout)),
                    Err(mpsc::RecvTimeoutError::Disconnected) => Err(DbError::new(
                        DbErrorKind::Other,
                        format!("the read of {target} stopped unexpectedly (internal error)"),
                    )),
                };
                (r, secrets)
            }
        };
        let result = result.and_then(|read| {
            Ok(VersionRead {
                rows: validate_rows(read.rows)?,
                tables: read.tables,
            })
        });
        result.map_err(|e| DbError {
            kind: e.kind,
            message: secrets.mask(&e.message),
        })
    }
}

/// A server that did not answer within `timeout` (to connect or to read):
/// one wording, with the timeout, whichever backend and stage.
pub(crate) fn no_answer(target: &str, timeout: Duration) -> DbError {
    DbError::new(
        DbErrorKind::Timeout,
        format!(
            "no answer from {target} within {} (is the host reachable and the server healthy? raise --timeout if it is just slow)",
            format_duration(timeout)
        ),
    )
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
    pub(crate) fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
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
