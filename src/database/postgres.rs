//! PostgreSQL: connection settings resolved the way psycopg2 + libpq resolve
//! them (URL, then `PG*` variables, then libpq defaults and `.pgpass`), and
//! one `BEGIN READ ONLY` transaction that reads the version table.

use std::path::PathBuf;
use std::time::Duration;

use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::{NoTls, SimpleQueryMessage};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls::{self, Verify};
use super::{
    DbError, DbErrorKind, DbUrl, Job, VersionRows, VersionTable, pgpass, quote_ident_ansi,
};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ssl {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Ssl {
    fn parse(value: &str) -> Option<Ssl> {
        Some(match value {
            "disable" => Ssl::Disable,
            "allow" => Ssl::Allow,
            "prefer" => Ssl::Prefer,
            "require" => Ssl::Require,
            "verify-ca" => Ssl::VerifyCa,
            "verify-full" => Ssl::VerifyFull,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Ssl::Disable => "disable",
            Ssl::Allow => "allow",
            Ssl::Prefer => "prefer",
            Ssl::Require => "require",
            Ssl::VerifyCa => "verify-ca",
            Ssl::VerifyFull => "verify-full",
        }
    }
}

/// Everything needed to connect, after the URL, environment and defaults.
struct Settings {
    /// TCP host name / address, or a unix socket directory (starts with `/`).
    host: String,
    port: u16,
    user: String,
    database: String,
    password: Option<String>,
    ssl: Ssl,
    root_file: Option<PathBuf>,
}

impl Settings {
    fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// `127.0.0.1:5432` or `socket /var/run/postgresql/.s.PGSQL.5432`.
    fn target(&self) -> String {
        if self.is_socket() {
            format!(
                "socket {}/.s.PGSQL.{}",
                self.host.trim_end_matches('/'),
                self.port
            )
        } else if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// libpq's default user: the operating-system user name.
fn os_user() -> Option<String> {
    if let Some(user) = env("USER").or_else(|| env("LOGNAME")) {
        return Some(user);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        for line in passwd.lines() {
            let mut fields = line.split(':');
            let (Some(name), _, Some(id)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            if id.parse::<u32>().ok() == Some(uid) {
                return Some(name.to_string());
            }
        }
    }
    None
}

/// libpq's default socket directory (Debian-built libpq uses
/// `/var/run/postgresql`, upstream `/tmp`).
fn default_socket_dir() -> String {
    for dir in ["/var/run/postgresql", "/run/postgresql", "/tmp"] {
        if std::path::Path::new(dir).is_dir() {
            return dir.to_string();
        }
    }
    "/tmp".to_string()
}

fn resolve(url: &DbUrl) -> Result<Settings, DbError> {
    let host = url
        .host
        .clone()
        .or_else(|| url.query_value("host").map(str::to_string))
        .filter(|h| !h.is_empty())
        .or_else(|| env("PGHOST"))
        .unwrap_or_else(default_socket_dir);
    let port = match url.port {
        Some(p) => p,
        None => {
            let raw = url
                .query_value("port")
                .map(str::to_string)
                .or_else(|| env("PGPORT"));
            match raw {
                None => 5432,
                Some(raw) => raw.trim().parse::<u16>().map_err(|_| {
                    DbError::new(
                        DbErrorKind::BadUrl,
                        format!(
                            "invalid PostgreSQL port \"{}\": expected a number from 1 to 65535",
                            raw.escape_debug()
                        ),
                    )
                })?,
            }
        }
    };
    let user = url
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| url.query_value("user").map(str::to_string))
        .or_else(|| env("PGUSER"))
        .or_else(os_user)
        .ok_or_else(|| {
            DbError::new(
                DbErrorKind::BadUrl,
                "no PostgreSQL user name: put one in the URL (postgresql://USER@host/db) or set PGUSER",
            )
        })?;
    let database = url
        .database
        .clone()
        .filter(|d| !d.is_empty())
        .or_else(|| url.query_value("dbname").map(str::to_string))
        .or_else(|| env("PGDATABASE"))
        .unwrap_or_else(|| user.clone());
    let ssl_raw = url
        .query_value("sslmode")
        .map(str::to_string)
        .or_else(|| env("PGSSLMODE"))
        .unwrap_or_else(|| "prefer".to_string());
    let ssl = Ssl::parse(&ssl_raw).ok_or_else(|| {
        DbError::new(
            DbErrorKind::BadUrl,
            format!(
                "invalid sslmode \"{}\": use disable, allow, prefer, require, verify-ca or verify-full",
                ssl_raw.escape_debug()
            ),
        )
    })?;
    let root_file = match url
        .query_value("sslrootcert")
        .map(str::to_string)
        .or_else(|| env("PGSSLROOTCERT"))
    {
        // `system` asks for the platform roots; the bundled Mozilla roots stand in.
        Some(v) if v == "system" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => tls::default_root_file(),
    };
    let mut settings = Settings {
        host,
        port,
        user,
        database,
        password: None,
        ssl,
        root_file,
    };
    settings.password = url
        .password
        .clone()
        .or_else(|| url.query_value("password").map(str::to_string))
        .or_else(|| env("PGPASSWORD"))
        .or_else(|| password_from_file(&settings));
    Ok(settings)
}

fn password_from_file(s: &Settings) -> Option<String> {
    let path = pgpass::default_path()?;
    // libpq matches a socket connection against `localhost`.
    let host = if s.is_socket() {
        "localhost"
    } else {
        s.host.as_str()
    };
    let port = s.port.to_string();
    pgpass::lookup(
        &path,
        &pgpass::Wanted {
            host,
            port: &port,
            database: &s.database,
            user: &s.user,
        },
    )
}

/// Resolve the connection and build the read.
pub(crate) fn prepare(
    url: &DbUrl,
    table: &VersionTable,
    timeout: Duration,
) -> Result<Job, DbError> {
    let settings = resolve(url)?;
    let target = settings.target();
    let mut secrets = Vec::new();
    if let Some(p) = &settings.password {
        secrets.push(p.clone());
    }
    let table = table.clone();
    Ok(Job {
        target,
        secrets,
        run: Box::new(move || read(&settings, &table, timeout)),
    })
}

fn read(s: &Settings, table: &VersionTable, timeout: Duration) -> Result<VersionRows, DbError> {
    for name in std::iter::once(&table.name).chain(table.schema.as_ref()) {
        if name.contains('\0') {
            return Err(DbError::new(
                DbErrorKind::Other,
                "the version table or schema name contains a NUL character, which PostgreSQL does not allow",
            ));
        }
    }
    let mut config = postgres::Config::new();
    config
        .host(&s.host)
        .port(s.port)
        .user(&s.user)
        .dbname(&s.database)
        .application_name("db-status")
        .connect_timeout(timeout);
    if let Some(p) = &s.password {
        config.password(p);
    }
    let connected = if s.is_socket() || s.ssl == Ssl::Disable {
        // libpq never uses TLS over a unix socket.
        config.ssl_mode(SslMode::Disable);
        config.connect(NoTls)
    } else {
        let (mode, verify) = match s.ssl {
            Ssl::Disable | Ssl::Allow | Ssl::Prefer => (SslMode::Prefer, Verify::Nothing),
            Ssl::Require => (SslMode::Require, Verify::Nothing),
            Ssl::VerifyCa => (SslMode::Require, Verify::Chain),
            Ssl::VerifyFull => (SslMode::Require, Verify::Full),
        };
        config.ssl_mode(mode);
        let tls_config = tls::client_config(verify, s.root_file.as_deref())
            .map_err(|m| DbError::new(DbErrorKind::Tls, m))?;
        config.connect(MakeRustlsConnect::new(tls_config))
    };
    let mut client = connected.map_err(|e| classify(&e, s, table))?;

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
        .map_err(|e| classify(&e, s, table))?;
    let exists = first_values(&messages).first().copied().flatten() == Some("t");
    if !exists {
        let _ = client.simple_query("ROLLBACK");
        return Ok(VersionRows::NoTable);
    }
    let messages = client
        .simple_query(&format!("SELECT version_num FROM {qualified}"))
        .map_err(|e| classify(&e, s, table))?;
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
    // Nothing was written; ending the transaction is a courtesy to poolers.
    let _ = client.simple_query("ROLLBACK");
    Ok(VersionRows::Rows(rows))
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
fn classify(e: &postgres::Error, s: &Settings, table: &VersionTable) -> DbError {
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
                "TLS with {target} failed: {r} (sslmode={}; use sslrootcert=FILE to trust the server's CA, or a weaker sslmode)",
                s.ssl.name()
            ),
        );
    }
    if full.contains("server does not support TLS") {
        return DbError::new(
            DbErrorKind::Tls,
            format!(
                "server at {target} does not support TLS but sslmode={}: enable ssl on the server or lower sslmode",
                s.ssl.name()
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
            K::TimedOut => {
                return DbError::new(
                    DbErrorKind::Timeout,
                    format!(
                        "connecting to {target} timed out (is the host reachable? raise --timeout if it is just slow)"
                    ),
                );
            }
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
        return DbError::new(
            DbErrorKind::Timeout,
            format!("no answer from {target} in time ({full})"),
        );
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

    #[test]
    fn sslmode_names_round_trip() {
        for name in [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ] {
            assert_eq!(Ssl::parse(name).map(Ssl::name), Some(name));
        }
        assert_eq!(Ssl::parse("REQUIRE"), None);
    }

    #[test]
    fn socket_from_query_host() {
        let url = DbUrl::parse("postgresql+psycopg2://me@/app?host=/run/pg&sslmode=disable");
        let s = url.and_then(|u| resolve(&u));
        let Ok(s) = s else {
            panic!("resolve failed");
        };
        assert!(s.is_socket());
        assert_eq!(s.database, "app");
        assert_eq!(s.target(), "socket /run/pg/.s.PGSQL.5432");
    }
}
