//! MySQL / MariaDB: a connection with the settings the application's driver
//! would use ([`super::mysql_settings`]), one `START TRANSACTION READ ONLY`
//! that reads the version table. A missing table is detected the way SQLAlchemy's
//! `has_table` does (error 1146 on the read), so a user without privileges
//! gets "permission denied" rather than a false "no table".

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{ClientIdentity, Conn, OptsBuilder, SslOpts, Value};

use super::mysql_settings::Settings;
use super::tls::{Roots, Verify};
use super::{DbError, DbErrorKind, Resolved, Tables, VersionRead, VersionRows, VersionTable};

impl Settings {
    fn db_label(&self) -> String {
        match &self.database {
            Some(db) => format!("database \"{db}\" at {}", self.target()),
            None => self.target(),
        }
    }

    /// The driver's TLS options for the settings' TLS, if any.
    fn ssl_opts(&self) -> Option<SslOpts> {
        let tls = self.tls.as_ref()?;
        let s = &tls.setup;
        let mut opts = SslOpts::default();
        if let Some(Roots::File(ca)) = &s.roots {
            opts = opts.with_root_cert_path(Some(ca.clone()));
        }
        opts = match s.verify {
            Verify::Nothing => opts
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
            Verify::Chain => opts.with_danger_skip_domain_validation(true),
            Verify::Full => opts,
        };
        if let Some(client) = &s.client {
            let key = client.key.clone().unwrap_or_else(|| client.cert.clone());
            opts = opts.with_client_identity(Some(ClientIdentity::new(client.cert.clone(), key)));
        }
        Some(opts)
    }
}

/// Quote a MySQL identifier: `` `a``b` ``.
fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Read `table` with the connection `s` describes.
pub(super) fn read(
    s: &Settings,
    table: &VersionTable,
    timeout: Duration,
) -> Result<VersionRead, DbError> {
    let mut opts = OptsBuilder::new()
        .ip_or_hostname(Some(s.host.clone()))
        .tcp_port(s.port)
        .socket(s.socket.clone())
        .user(s.user.clone())
        .pass(s.password.clone())
        .db_name(s.database.clone())
        // Never hop from TCP to a socket behind the user's back.
        .prefer_socket(false)
        .tcp_connect_timeout(Some(timeout))
        .read_timeout(Some(timeout))
        .write_timeout(Some(timeout))
        .stmt_cache_size(0);
    if let Some(ssl) = s.ssl_opts() {
        opts = opts.ssl_opts(Some(ssl));
    }
    let mut conn = Conn::new(opts).map_err(|e| classify(&e, s, table, Stage::Connect, timeout))?;
    let lock_secs = timeout.as_secs().max(1);
    conn.query_drop(format!("SET SESSION lock_wait_timeout = {lock_secs}"))
        .and_then(|()| conn.query_drop("START TRANSACTION READ ONLY"))
        .map_err(|e| classify(&e, s, table, Stage::Query, timeout))?;
    let qualified = match &table.schema {
        Some(schema) => format!("{}.{}", quote_ident(schema), quote_ident(&table.name)),
        None => quote_ident(&table.name),
    };
    let result: Result<Vec<mysql::Row>, mysql::Error> =
        conn.query(format!("SELECT version_num FROM {qualified}"));
    let rows = match result {
        Ok(rows) => rows,
        // SQLAlchemy's has_table treats these as "no table".
        Err(mysql::Error::MySqlError(e))
            if e.code == 1146 || (e.code == 1049 && table.schema.is_some()) =>
        {
            let tables = other_tables(&mut conn, s, table, timeout)?;
            let _ = conn.query_drop("ROLLBACK");
            return Ok(VersionRead {
                rows: VersionRows::NoTable,
                tables: Some(tables),
            });
        }
        Err(e) => return Err(classify(&e, s, table, Stage::Query, timeout)),
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        match row.as_ref(0) {
            Some(Value::Bytes(bytes)) => match String::from_utf8(bytes.clone()) {
                Ok(text) => out.push(text),
                Err(_) => {
                    return Err(DbError::new(
                        DbErrorKind::BadData,
                        format!(
                            "the version table {qualified} in {} holds a version_num that is not valid UTF-8",
                            s.db_label()
                        ),
                    ));
                }
            },
            Some(Value::NULL) | None => {
                return Err(DbError::new(
                    DbErrorKind::BadData,
                    format!(
                        "the version table {qualified} in {} holds a NULL version_num",
                        s.db_label()
                    ),
                ));
            }
            Some(other) => out.push(other.as_sql(true)),
        }
    }
    let tables = if out.is_empty() {
        Some(other_tables(&mut conn, s, table, timeout)?)
    } else {
        None
    };
    let _ = conn.query_drop("ROLLBACK");
    Ok(VersionRead {
        rows: VersionRows::Rows(out),
        tables,
    })
}

/// The base tables other than the version table in the database Alembic
/// would create it in (`version_table_schema`, else the URL's database).
/// information_schema lists only tables the user holds some privilege on.
fn other_tables(
    conn: &mut Conn,
    s: &Settings,
    table: &VersionTable,
    timeout: Duration,
) -> Result<Tables, DbError> {
    let names: Vec<String> = conn
        .exec(
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
             WHERE table_schema = COALESCE(?, DATABASE()) AND table_type = 'BASE TABLE' \
             AND table_name <> ?",
            (table.schema.clone(), table.name.clone()),
        )
        .map_err(|e| classify(&e, s, table, Stage::Query, timeout))?;
    Ok(Tables::from_names(names))
}

/// The rustls error inside `e`: a refused certificate surfaces as an I/O
/// error, directly or inside the packet codec.
fn rustls_cause(e: &mysql::Error) -> Option<String> {
    let io: &std::io::Error = match e {
        mysql::Error::IoError(io) => io,
        mysql::Error::CodecError(c) => {
            std::error::Error::source(c)?.downcast_ref::<std::io::Error>()?
        }
        _ => return None,
    };
    io.get_ref()?
        .downcast_ref::<rustls::Error>()
        .map(ToString::to_string)
}

/// How to make a refused server certificate acceptable.
const TRUST_HINT: &str =
    "use ssl_ca=FILE to trust the server's CA, or check the host name in the URL";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connect,
    Query,
}

fn classify(
    e: &mysql::Error,
    s: &Settings,
    table: &VersionTable,
    stage: Stage,
    timeout: Duration,
) -> DbError {
    use std::io::ErrorKind as K;
    let target = s.target();
    let user = s.user.as_deref().unwrap_or("");
    let io_kind = |kind: K, detail: &str| -> Option<DbError> {
        match kind {
            K::ConnectionRefused => Some(DbError::new(
                DbErrorKind::Refused,
                format!("connection refused by {target} (is MySQL/MariaDB running there?)"),
            )),
            K::NotFound if s.socket.is_some() => Some(DbError::new(
                DbErrorKind::Refused,
                format!(
                    "no MySQL/MariaDB server at {target} (is it running, and is this its socket?)"
                ),
            )),
            K::TimedOut | K::WouldBlock => Some(super::no_answer(&target, timeout)),
            _ => {
                let lower = detail.to_ascii_lowercase();
                (lower.contains("lookup address")
                    || lower.contains("name or service not known")
                    || lower.contains("no address associated"))
                .then(|| {
                    DbError::new(
                        DbErrorKind::UnknownHost,
                        format!(
                            "cannot resolve host \"{}\" ({detail}): check the host name in the URL",
                            s.host
                        ),
                    )
                })
            }
        }
    };
    if let Some(cause) = rustls_cause(e) {
        return DbError::new(
            DbErrorKind::Tls,
            format!(
                "TLS with {target} failed: {cause} ({}; {TRUST_HINT})",
                s.tls.as_ref().map_or("TLS", |t| t.label.as_str()),
            ),
        );
    }
    match e {
        mysql::Error::MySqlError(m) => {
            let msg = &m.message;
            let (kind, text) = match m.code {
                1045 | 1698 => (
                    DbErrorKind::Auth,
                    format!("{msg} at {target}: check the user name and password in the URL"),
                ),
                1049 => (
                    DbErrorKind::MissingDatabase,
                    format!(
                        "database \"{}\" does not exist on {target}: check the database name in the URL",
                        s.database.as_deref().unwrap_or("")
                    ),
                ),
                1044 | 1142 | 1143 => (
                    DbErrorKind::PermissionDenied,
                    format!(
                        "{msg} ({}): grant SELECT on the version table {} to user \"{user}\"",
                        s.db_label(),
                        table.name
                    ),
                ),
                1046 => (
                    DbErrorKind::BadUrl,
                    format!(
                        "no database selected at {target}: put the database name in the URL (mysql://user@host/DBNAME)"
                    ),
                ),
                1205 | 1969 | 3024 => (
                    DbErrorKind::Timeout,
                    format!(
                        "{msg} while reading the version table in {} (a lock held by a running migration? raise --timeout)",
                        s.db_label()
                    ),
                ),
                code => (
                    DbErrorKind::Other,
                    format!("{msg} (MySQL error {code}) from {}", s.db_label()),
                ),
            };
            DbError::new(kind, text)
        }
        // A read timeout surfaces as an I/O error inside the packet codec,
        // whose type the driver does not export: recognise it by its text.
        mysql::Error::CodecError(c) => {
            let text = c.to_string();
            let lower = text.to_ascii_lowercase();
            if lower.contains("temporarily unavailable")
                || lower.contains("timed out")
                || lower.contains("os error 11)")
            {
                super::no_answer(&target, timeout)
            } else {
                DbError::new(
                    DbErrorKind::Other,
                    format!("reading {} failed: {text}", s.db_label()),
                )
            }
        }
        mysql::Error::IoError(io) => io_kind(io.kind(), &io.to_string()).unwrap_or_else(|| {
            DbError::new(
                DbErrorKind::Other,
                format!("reading {} failed: {io}", s.db_label()),
            )
        }),
        mysql::Error::DriverError(d) => match d {
            mysql::DriverError::ConnectTimeout | mysql::DriverError::Timeout => {
                super::no_answer(&target, timeout)
            }
            mysql::DriverError::CouldNotConnect(Some((_, detail, kind))) => io_kind(*kind, detail)
                .unwrap_or_else(|| {
                    DbError::new(
                        DbErrorKind::Other,
                        format!("could not connect to {target}: {detail}"),
                    )
                }),
            mysql::DriverError::TlsNotSupported => DbError::new(
                DbErrorKind::Tls,
                format!(
                    "server at {target} does not support TLS but {} asks for it: enable TLS on the server or drop the option",
                    s.tls.as_ref().map_or("the URL", |t| t.label.as_str())
                ),
            ),
            other => DbError::new(
                DbErrorKind::Other,
                format!("reading {} failed: {other}", s.db_label()),
            ),
        },
        mysql::Error::TlsError(t) => DbError::new(
            DbErrorKind::Tls,
            format!(
                "TLS with {target} failed: {t} ({}; {})",
                s.tls.as_ref().map_or("TLS", |t| t.label.as_str()),
                TRUST_HINT
            ),
        ),
        other => {
            let text = other.to_string();
            if stage == Stage::Connect && text.to_ascii_lowercase().contains("timed out") {
                super::no_answer(&target, timeout)
            } else {
                DbError::new(
                    DbErrorKind::Other,
                    format!("reading {} failed: {text}", s.db_label()),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_are_doubled() {
        assert_eq!(quote_ident("a`b"), "`a``b`");
    }
}
