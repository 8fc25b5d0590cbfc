//! PostgreSQL: a connection made with the settings the application's driver
//! would use ([`super::pg_settings`]), and one `BEGIN READ ONLY`
//! transaction that reads the version table.

use std::sync::Mutex;
use std::time::Duration;

use postgres::config::{ChannelBinding as PgChannelBinding, SslMode, TargetSessionAttrs};
use postgres::error::SqlState;
use postgres::{NoTls, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::pg_settings::{ChannelBinding, Session, Settings, Ssl};
use super::tls;
use super::{
    DbError, DbErrorKind, Resolved, Tables, VersionRead, VersionRows, VersionTable,
    quote_ident_ansi,
};

/// Why [`connect`] failed.
enum ConnectError {
    /// The TLS settings could not be used (a certificate file…), before connecting.
    Tls(String),
    /// The driver's error.
    Driver(postgres::Error),
}

/// Connect as the settings say: TLS or not, `options`, channel binding,
/// target session attributes.
fn connect(s: &Settings, timeout: Duration) -> Result<postgres::Client, ConnectError> {
    let mut config = postgres::Config::new();
    config
        .host(&s.host)
        .port(s.port)
        .user(&s.user)
        .dbname(&s.database)
        .application_name("db-status")
        .connect_timeout(timeout)
        .channel_binding(match s.channel_binding {
            ChannelBinding::Disable => PgChannelBinding::Disable,
            ChannelBinding::Prefer => PgChannelBinding::Prefer,
            ChannelBinding::Require => PgChannelBinding::Require,
        })
        .target_session_attrs(match s.session {
            Session::Any => TargetSessionAttrs::Any,
            Session::ReadWrite => TargetSessionAttrs::ReadWrite,
            Session::ReadOnly => TargetSessionAttrs::ReadOnly,
        });
    if let Some(addr) = s.hostaddr {
        config.hostaddr(addr);
    }
    if let Some(p) = &s.password {
        config.password(p);
    }
    // The server reads the startup `options` as libpq sends them
    // (`-csearch_path=t1`), so the version table is found where the
    // application finds it.
    if let Some(options) = &s.options {
        config.options(options);
    }
    if s.is_socket() || s.tls.mode == Ssl::Disable {
        config.ssl_mode(SslMode::Disable);
        return config.connect(NoTls).map_err(ConnectError::Driver);
    }
    config.ssl_mode(if s.tls.mode >= Ssl::Require {
        SslMode::Require
    } else {
        SslMode::Prefer
    });
    let tls_config = tls::client_config(&s.tls.setup).map_err(ConnectError::Tls)?;
    config
        .connect(MakeRustlsConnect::new(tls_config))
        .map_err(ConnectError::Driver)
}

/// Read `table` with the connection `s` describes.
pub(super) fn read(
    s: &Settings,
    table: &VersionTable,
    timeout: Duration,
) -> Result<VersionRead, DbError> {
    for name in std::iter::once(&table.name).chain(table.schema.as_ref()) {
        if name.contains('\0') {
            return Err(DbError::new(
                DbErrorKind::Other,
                "the version table or schema name contains a NUL character, which PostgreSQL does not allow",
            ));
        }
    }
    let key = idle_key(s);
    if let Some(mut client) = take_idle(&key) {
        // A connection left by an earlier read with the same settings (a
        // schema per tenant: many version tables in one database).
        if let Ok(read) = read_on(&mut client, s, table, timeout) {
            put_idle(key, client);
            return Ok(read);
        }
        // Whatever went wrong, a fresh connection decides.
    }
    let mut client = match connect(s, timeout) {
        Ok(client) => client,
        Err(ConnectError::Driver(e)) => return Err(classify(&e, s, table, timeout)),
        Err(ConnectError::Tls(message)) => {
            return Err(DbError::new(
                DbErrorKind::Tls,
                format!("TLS with {} cannot start: {message}", s.target()),
            ));
        }
    };
    let read = read_on(&mut client, s, table, timeout)?;
    put_idle(key, client);
    Ok(read)
}

/// Connections whose last read succeeded and ended its transaction, by
/// their settings, for the next read with the same settings during the same
/// check; [`close_idle`] closes them when the check ends, so none is kept
/// between checks (`serve`, `wait`) or left for the process exit.
static IDLE: Mutex<Vec<(String, postgres::Client)>> = Mutex::new(Vec::new());

/// At most this many idle connections are kept.
const IDLE_MAX: usize = 64;

/// Everything a connection was made with (the password too: kept in memory
/// only, never shown), so a connection is reused only by an identical read.
fn idle_key(s: &Settings) -> String {
    format!(
        "{:?}",
        (
            &s.host,
            s.hostaddr,
            s.port,
            &s.user,
            &s.database,
            &s.password,
            &s.options,
            &s.tls,
            s.channel_binding,
            s.session,
        )
    )
}

fn take_idle(key: &str) -> Option<postgres::Client> {
    let mut idle = IDLE.lock().ok()?;
    let i = idle.iter().position(|(k, _)| k == key)?;
    Some(idle.swap_remove(i).1)
}

fn put_idle(key: String, mut client: postgres::Client) {
    // Only a connection whose transaction ended cleanly is reused.
    if client.is_closed() || client.simple_query("ROLLBACK").is_err() {
        return;
    }
    if let Ok(mut idle) = IDLE.lock()
        && idle.len() < IDLE_MAX
    {
        idle.push((key, client));
    }
}

/// Close every idle connection (the end of a check).
pub(crate) fn close_idle() {
    let idle = IDLE
        .lock()
        .map(|mut idle| std::mem::take(&mut *idle))
        .unwrap_or_default();
    // Dropping a client sends Terminate: a clean goodbye, outside the lock.
    drop(idle);
}

/// The read on an open connection: one `BEGIN READ ONLY` transaction, left
/// open (the caller ends it).
fn read_on(
    client: &mut postgres::Client,
    s: &Settings,
    table: &VersionTable,
    timeout: Duration,
) -> Result<VersionRead, DbError> {
    let ms = timeout.as_millis().max(1);
    let qualified = match &table.schema {
        Some(schema) => format!(
            "{}.{}",
            quote_ident_ansi(schema),
            quote_ident_ansi(&table.name)
        ),
        None => quote_ident_ansi(&table.name),
    };
    // Like SQLAlchemy's has_table: without a schema the table must be visible
    // through the search_path. Dollar quoting needs no escaping rules.
    let check = format!(
        "BEGIN READ ONLY; SET LOCAL statement_timeout = {ms}; SET LOCAL lock_timeout = {ms}; \
         SELECT to_regclass({}) IS NOT NULL",
        dollar_quote(&qualified)
    );
    let messages = client
        .simple_query(&check)
        .map_err(|e| classify(&e, s, table, timeout))?;
    let exists = first_values(&messages).first().copied().flatten() == Some("t");
    if !exists {
        let tables = other_tables(client, s, table, timeout)?;
        return Ok(VersionRead {
            rows: VersionRows::NoTable,
            tables: Some(tables),
        });
    }
    let messages = client
        .simple_query(&format!("SELECT version_num FROM {qualified}"))
        .map_err(|e| classify(&e, s, table, timeout))?;
    let mut rows = Vec::new();
    for value in first_values(&messages) {
        match value {
            Some(v) => rows.push(v.to_string()),
            None => {
                return Err(DbError::new(
                    DbErrorKind::BadData,
                    format!(
                        "the version table {} on {} holds a NULL version_num",
                        qualified,
                        s.target()
                    ),
                ));
            }
        }
    }
    let tables = if rows.is_empty() {
        Some(other_tables(client, s, table, timeout)?)
    } else {
        None
    };
    // Nothing was written; the caller ends the transaction (a courtesy to
    // poolers, and what makes the connection reusable).
    Ok(VersionRead {
        rows: VersionRows::Rows(rows),
        tables,
    })
}

/// The tables (and partitioned tables) other than the version table in the
/// schema Alembic would create it in: `version_table_schema`, else every
/// schema of the search path. From `pg_class`, which lists tables whatever
/// the user's privileges (information_schema would hide them).
fn other_tables(
    client: &mut postgres::Client,
    s: &Settings,
    table: &VersionTable,
    timeout: Duration,
) -> Result<Tables, DbError> {
    let schemas = match &table.schema {
        Some(schema) => format!("n.nspname = {}", dollar_quote(schema)),
        None => "n.nspname = ANY (pg_catalog.current_schemas(false))".to_string(),
    };
    let query = format!(
        "SELECT c.relname, count(*) OVER () FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND {schemas} AND c.relname <> {} \
         ORDER BY c.relname LIMIT {}",
        dollar_quote(&table.name),
        super::TABLE_NAMES_SHOWN
    );
    let messages = client
        .simple_query(&query)
        .map_err(|e| classify(&e, s, table, timeout))?;
    let mut tables = Tables::default();
    for m in &messages {
        if let SimpleQueryMessage::Row(row) = m {
            if let Some(name) = row.get(0) {
                tables.names.push(name.to_string());
            }
            tables.count = row.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        }
    }
    Ok(tables)
}

/// The first column of every data row.
fn first_values(messages: &[SimpleQueryMessage]) -> Vec<Option<&str>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0)),
            _ => None,
        })
        .collect()
}

/// `$q$text$q$` with a tag that does not occur in `text`.
fn dollar_quote(text: &str) -> String {
    let mut tag = "q".to_string();
    while text.contains(&format!("${tag}$")) {
        tag.push('q');
    }
    format!("${tag}${text}${tag}$")
}

/// The error, and every error it wraps, as one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn find_io<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = err.source();
    }
    None
}

fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(r) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(r);
        }
        current = err.source();
    }
    None
}

/// Turn a driver error into a [`DbError`] that says where and what to do.
fn classify(e: &postgres::Error, s: &Settings, table: &VersionTable, timeout: Duration) -> DbError {
    let target = s.target();
    let db = &s.database;
    let user = &s.user;
    if let Some(dbe) = e.as_db_error() {
        let msg = dbe.message();
        let code = dbe.code();
        let (kind, text) = if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            (
                DbErrorKind::Auth,
                format!(
                    "{msg} (user \"{user}\" at {target}): check the user name and password (URL, PGPASSWORD or .pgpass)"
                ),
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            (
                DbErrorKind::MissingDatabase,
                format!(
                    "database \"{db}\" does not exist on {target}: check the database name in the URL"
                ),
            )
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            (
                DbErrorKind::PermissionDenied,
                format!(
                    "{msg} (user \"{user}\", database \"{db}\" at {target}): grant SELECT on the version table {} to this user",
                    table.name
                ),
            )
        } else if *code == SqlState::QUERY_CANCELED || *code == SqlState::LOCK_NOT_AVAILABLE {
            (
                DbErrorKind::Timeout,
                format!(
                    "{msg} while reading the version table of \"{db}\" at {target} (a lock held by a running migration? raise --timeout)"
                ),
            )
        } else {
            (
                DbErrorKind::Other,
                format!(
                    "{msg} (SQLSTATE {}) from database \"{db}\" at {target}",
                    code.code()
                ),
            )
        };
        return DbError::new(kind, text);
    }
    let full = chain(e);
    if let Some(r) = find_rustls(e) {
        return DbError::new(
            DbErrorKind::Tls,
            format!(
                "TLS with {target} failed: {r} ({}; {})",
                s.tls.label, s.tls.trust_hint
            ),
        );
    }
    if full.contains("server does not support TLS") {
        return DbError::new(
            DbErrorKind::Tls,
            format!(
                "server at {target} does not support TLS but {} requires it: enable ssl on the server or use a mode that allows plain connections",
                s.tls.label
            ),
        );
    }
    if let Some(io) = find_io(e) {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::ConnectionRefused => {
                return DbError::new(
                    DbErrorKind::Refused,
                    format!("connection refused by {target} (is PostgreSQL running there?)"),
                );
            }
            K::NotFound if s.is_socket() => {
                return DbError::new(
                    DbErrorKind::Refused,
                    format!(
                        "no PostgreSQL server at {target} (is it running, and is this its socket directory?)"
                    ),
                );
            }
            K::TimedOut => return super::no_answer(&target, timeout),
            _ => {}
        }
    }
    let lower = full.to_ascii_lowercase();
    if lower.contains("lookup address")
        || lower.contains("name or service not known")
        || lower.contains("could not resolve")
        || lower.contains("no address associated")
        || lower.contains("nodename nor servname")
    {
        return DbError::new(
            DbErrorKind::UnknownHost,
            format!(
                "cannot resolve host \"{}\" ({full}): check the host name in the URL",
                s.host
            ),
        );
    }
    if lower.contains("timeout waiting for server") || lower.contains("timed out") {
        return super::no_answer(&target, timeout);
    }
    if lower.contains("password missing") || lower.contains("authentication") {
        return DbError::new(
            DbErrorKind::Auth,
            format!(
                "{full} (user \"{user}\" at {target}): the server wants a password; give it in the URL, PGPASSWORD or .pgpass"
            ),
        );
    }
    if lower.contains("tls") {
        return DbError::new(
            DbErrorKind::Tls,
            format!("TLS with {target} failed: {full}"),
        );
    }
    DbError::new(
        DbErrorKind::Other,
        format!("reading database \"{db}\" at {target} failed: {full}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_quote_avoids_the_tag() {
        assert_eq!(dollar_quote("\"a\""), "$q$\"a\"$q$");
        assert_eq!(dollar_quote("x$q$y"), "$qq$x$q$y$qq$");
    }
}
