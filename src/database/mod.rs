//! Stage 4: the version table, read strictly read-only. PostgreSQL (TCP, unix
//! socket, TLS), MySQL/MariaDB and SQLite (opened read-only, never created).
//! Every read runs in a READ ONLY transaction with connect and query timeouts.

pub mod url;

use std::time::Duration;

pub use url::DbUrl;

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
    let _ = (url, table, timeout);
    todo!("database::read_version_rows")
}
