//! PostgreSQL connection settings, resolved the way the application's driver
//! resolves them from the SQLAlchemy URL and the environment:
//!
//! - **libpq** (`postgresql://`, `+psycopg2`, `+psycopg`, `+psycopg2cffi`):
//!   SQLAlchemy hands the URL's parts and every query parameter to libpq as
//!   connection keywords (query parameters win over the URL's parts); what is
//!   not given comes from the `PG*` variables, `.pgpass` and libpq's
//!   defaults. `options` / `PGOPTIONS` (e.g. `-csearch_path=t1`) is passed to
//!   the server as libpq passes it, so the version table is looked up where
//!   the application looks.
//! - **asyncpg** (`+asyncpg`): the query parameters become keyword arguments
//!   of `asyncpg.connect()`, which knows `ssl=` but not `sslmode=`,
//!   `options=` or `sslrootcert=` (the application fails on those), and does
//!   not read `PGOPTIONS`.
//!
//! Every query parameter is honoured, known to make no difference to the
//! read, or an error that names it.
//!
//! The work is split by job: [`given`] reads one value from the query or the
//! environment, [`endpoint`] resolves what both drivers share (host, port,
//! user, database, password), [`libpq`] and [`asyncpg`] resolve the rest as
//! each driver does, and [`libpq_tls`] holds libpq's TLS decisions.

mod asyncpg;
mod endpoint;
mod given;
mod libpq;
mod libpq_tls;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use super::query::Query;
use super::tls::Setup;
use super::{DbError, DbUrl, Resolved, mask::Secrets};

/// libpq's (and asyncpg's) SSL modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ssl {
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

    /// The mode's name as libpq spells it.
    pub(crate) fn name(self) -> &'static str {
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

/// The client library that reads the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Driver {
    /// A libpq-based driver (psycopg2, psycopg 3, psycopg2cffi).
    Libpq,
    /// asyncpg (its own protocol implementation).
    Asyncpg,
    /// A driver db-status does not model (pg8000, third-party dialects):
    /// URL parts only, no query parameters.
    Other,
}

/// libpq's `channel_binding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChannelBinding {
    Disable,
    Prefer,
    Require,
}

/// libpq's `target_session_attrs` values db-status can honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Session {
    Any,
    ReadWrite,
    ReadOnly,
}

/// How TLS is used for this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tls {
    /// The mode in effect.
    pub(crate) mode: Ssl,
    /// Where the mode came from, for messages: `sslmode=verify-full`,
    /// `ssl=verify-full`, `PGSSLMODE=require`, `sslmode=prefer (default)`.
    pub(crate) label: String,
    /// The rustls settings (unused when `mode` is `disable` or over a socket).
    pub(crate) setup: Setup,
    /// How to trust the server's CA with this driver, for messages.
    pub(crate) trust_hint: &'static str,
}

impl Tls {
    /// TLS in `mode`, as `label` asked for it. Neither driver uses TLS over a
    /// unix socket, and neither reads a TLS file then or with `disable`;
    /// otherwise the setup is what `decide` makes of the mode (it gets the
    /// label for its messages).
    fn new(
        mode: Ssl,
        label: String,
        trust_hint: &'static str,
        is_socket: bool,
        decide: impl FnOnce(&str) -> Result<Setup, DbError>,
    ) -> Result<Tls, DbError> {
        let (mode, setup) = if is_socket {
            (Ssl::Disable, Setup::encrypt_only())
        } else if mode == Ssl::Disable {
            (mode, Setup::encrypt_only())
        } else {
            (mode, decide(&label)?)
        };
        Ok(Tls {
            mode,
            label,
            setup,
            trust_hint,
        })
    }
}

/// Everything needed to connect, after the URL, environment and defaults.
pub(crate) struct Settings {
    /// TCP host name / address, or a unix socket directory (starts with `/`).
    pub(crate) host: String,
    /// libpq `hostaddr`: the address to connect to, `host` naming it for TLS.
    pub(crate) hostaddr: Option<IpAddr>,
    /// Port.
    pub(crate) port: u16,
    /// User name.
    pub(crate) user: String,
    /// Database name.
    pub(crate) database: String,
    /// Password, if any was found.
    pub(crate) password: Option<String>,
    /// libpq `options` / `PGOPTIONS`, passed to the server as is.
    pub(crate) options: Option<String>,
    /// TLS, unless the connection goes over a unix socket.
    pub(crate) tls: Tls,
    /// libpq `channel_binding`.
    pub(crate) channel_binding: ChannelBinding,
    /// libpq / asyncpg `target_session_attrs`.
    pub(crate) session: Session,
    /// What must never be printed (the password), and the names that may.
    pub(crate) secrets: Secrets,
}

impl Settings {
    /// Whether the connection goes over a unix socket.
    pub(crate) fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }
}

impl Resolved for Settings {
    /// `127.0.0.1:5432`, `db.example (10.0.0.5):5432` or
    /// `socket /var/run/postgresql/.s.PGSQL.5432`.
    fn target(&self) -> String {
        if self.is_socket() {
            return format!(
                "socket {}/.s.PGSQL.{}",
                self.host.trim_end_matches('/'),
                self.port
            );
        }
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.hostaddr {
            Some(addr) => format!("{host} ({addr}):{}", self.port),
            None => format!("{host}:{}", self.port),
        }
    }

    fn secrets(&self) -> &Secrets {
        &self.secrets
    }
}

/// The driver named by the URL.
fn driver(url: &DbUrl) -> Driver {
    match url.driver() {
        None | Some("psycopg2" | "psycopg" | "psycopg_async" | "psycopg2cffi") => Driver::Libpq,
        Some("asyncpg") => Driver::Asyncpg,
        Some(_) => Driver::Other,
    }
}

/// Resolve the connection settings of `url`.
pub(crate) fn resolve(url: &DbUrl) -> Result<Settings, DbError> {
    let driver = driver(url);
    if driver == Driver::Other && !url.query.is_empty() {
        // No query parameter is read with libpq's meaning for a driver
        // that may mean something else by it.
        Query::new(url).finish(|_| {
            format!(
                "db-status knows how libpq (postgresql://, +psycopg2, +psycopg) and asyncpg \
                 read URL parameters, not how {} does; remove the parameter or use one of those drivers",
                url.driver().unwrap_or("this driver")
            )
        })?;
    }
    let mut q = Query::new(url);
    let settings = match driver {
        Driver::Libpq | Driver::Other => libpq::resolve(url, &mut q)?,
        Driver::Asyncpg => asyncpg::resolve(url, &mut q)?,
    };
    match driver {
        Driver::Libpq => q.finish(libpq::unknown)?,
        Driver::Asyncpg => q.finish(asyncpg::unknown)?,
        Driver::Other => {}
    }
    Ok(settings)
}
