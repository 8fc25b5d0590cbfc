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

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::query::{Query, bad};
use super::tls::{self, ClientCert, Roots, Setup, Verify};
use super::{DbError, DbErrorKind, DbUrl, mask::Secrets, pgpass};

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
    pub mode: Ssl,
    /// Where the mode came from, for messages: `sslmode=verify-full`,
    /// `ssl=verify-full`, `PGSSLMODE=require`, `sslmode=prefer (default)`.
    pub label: String,
    /// The rustls settings (unused when `mode` is `disable` or over a socket).
    pub setup: Setup,
    /// How to trust the server's CA with this driver, for messages.
    pub trust_hint: &'static str,
}

/// Everything needed to connect, after the URL, environment and defaults.
pub(crate) struct Settings {
    /// TCP host name / address, or a unix socket directory (starts with `/`).
    pub host: String,
    /// libpq `hostaddr`: the address to connect to, `host` naming it for TLS.
    pub hostaddr: Option<IpAddr>,
    /// Port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Database name.
    pub database: String,
    /// Password, if any was found.
    pub password: Option<String>,
    /// libpq `options` / `PGOPTIONS`, passed to the server as is.
    pub options: Option<String>,
    /// TLS, unless the connection goes over a unix socket.
    pub tls: Tls,
    /// libpq `channel_binding`.
    pub channel_binding: ChannelBinding,
    /// libpq / asyncpg `target_session_attrs`.
    pub session: Session,
    /// What must never be printed (the password), and the names that may.
    pub secrets: Secrets,
}

impl Settings {
    /// Whether the connection goes over a unix socket.
    pub(crate) fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// `127.0.0.1:5432`, `db.example (10.0.0.5):5432` or
    /// `socket /var/run/postgresql/.s.PGSQL.5432`.
    pub(crate) fn target(&self) -> String {
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
}

/// A value from the URL query or, failing that, an environment variable.
struct Given {
    value: String,
    /// `sslmode` or `PGSSLMODE`: how the user spelled it.
    from: String,
}

impl Given {
    fn label(&self) -> String {
        format!("{}={}", self.from, self.value)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `key` from the query, else `var` from the environment.
fn param(q: &mut Query<'_>, key: &str, var: Option<&str>) -> Result<Option<Given>, DbError> {
    if let Some(v) = q.take(key)? {
        return Ok(Some(Given {
            value: v.to_string(),
            from: key.to_string(),
        }));
    }
    Ok(var.and_then(|var| {
        env(var).map(|value| Given {
            value,
            from: var.to_string(),
        })
    }))
}

/// `var` from the environment.
fn env_given(var: &str) -> Option<Given> {
    env(var).map(|value| Given {
        value,
        from: var.to_string(),
    })
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
        Driver::Libpq | Driver::Other => resolve_libpq(url, &mut q)?,
        Driver::Asyncpg => resolve_asyncpg(url, &mut q)?,
    };
    match driver {
        Driver::Libpq => q.finish(libpq_unknown)?,
        Driver::Asyncpg => q.finish(asyncpg_unknown)?,
        Driver::Other => {}
    }
    Ok(settings)
}

/// Host and port from the query, as SQLAlchemy's multi-host parsing gives
/// them to the driver (`host=h`, `host=h:p`, `host=h1,h2&port=p1,p2`).
/// db-status reads one database, so several hosts are an error.
fn query_host_port(q: &mut Query<'_>) -> Result<(Option<String>, Option<String>), DbError> {
    let hosts = q.take_all("host");
    let port = q.take("port")?.map(str::to_string);
    let several = || {
        bad(
            "the URL names several hosts (host=…): db-status reads one database; \
             give the host of the database to check",
        )
    };
    match hosts.as_slice() {
        [] => Ok((None, port)),
        [one] if one.contains(',') => Err(several()),
        [one] => {
            // `host=db:5433` (no `port=`): SQLAlchemy splits host and port.
            if port.is_none()
                && let Some((h, p)) = one.split_once(':')
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && p.chars().all(|c| c.is_ascii_digit())
            {
                let p = (!p.is_empty()).then(|| p.to_string());
                return Ok((Some(h.to_string()), p));
            }
            Ok((Some((*one).to_string()), port))
        }
        _ => Err(several()),
    }
}

fn parse_port(raw: &str) -> Result<u16, DbError> {
    raw.trim().parse::<u16>().map_err(|_| {
        bad(format!(
            "invalid PostgreSQL port \"{}\": expected a number from 1 to 65535",
            raw.escape_debug()
        ))
    })
}

/// The operating-system user, as libpq finds it (`getpwuid(geteuid())`).
fn os_user_by_uid() -> Option<String> {
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

/// The operating-system user, as Python's `getpass.getuser()` finds it.
fn os_user_by_env() -> Option<String> {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .into_iter()
        .find_map(env)
        .or_else(os_user_by_uid)
}

/// libpq's default socket directory (Debian-built libpq uses
/// `/var/run/postgresql`, upstream `/tmp`).
fn default_socket_dir() -> String {
    for dir in ["/var/run/postgresql", "/run/postgresql", "/tmp"] {
        if Path::new(dir).is_dir() {
            return dir.to_string();
        }
    }
    "/tmp".to_string()
}

/// libpq keywords (libpq 17) that change nothing about what db-status reads.
const LIBPQ_NO_EFFECT: &[&str] = &[
    "connect_timeout",
    "client_encoding",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslcompression",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
];

/// Why a libpq query parameter is refused.
fn libpq_unknown(key: &str) -> String {
    match key {
        "service" => "db-status does not read pg_service.conf; put the settings of the service in the URL".into(),
        "sslcrl" | "sslcrldir" => "db-status cannot check certificate revocation lists; remove it to connect without the check".into(),
        "requirepeer" | "require_auth" | "replication" => "db-status cannot honour it; remove it".into(),
        "ssl" => "libpq rejects it too (invalid connection option \"ssl\"): it is asyncpg's spelling; with libpq use sslmode=".into(),
        "database" => "libpq rejects it too (invalid connection option \"database\"): use dbname= or the URL path".into(),
        _ => format!("libpq rejects it too (invalid connection option \"{}\"); remove it", key.escape_debug()),
    }
}

/// Why an asyncpg query parameter is refused.
fn asyncpg_unknown(key: &str) -> String {
    let typeerror = format!(
        "asyncpg.connect() rejects it too (TypeError: unexpected keyword argument '{}')",
        key.escape_debug()
    );
    match key {
        "sslmode" => format!("{typeerror}; asyncpg's spelling is ssl=disable|allow|prefer|require|verify-ca|verify-full"),
        "options" | "search_path" => format!(
            "{typeerror}; with asyncpg the search_path is set through connect_args={{\"server_settings\": {{\"search_path\": …}}}} in env.py, \
             which db-status cannot see; use version_table_schema in the component's settings instead"
        ),
        "sslrootcert" | "sslcert" | "sslkey" | "sslcrl" => format!(
            "{typeerror}; asyncpg reads them from PGSSLROOTCERT, PGSSLCERT and PGSSLKEY (or ~/.postgresql/)"
        ),
        "dbname" => format!("{typeerror}; use database= or the URL path"),
        "server_settings" => "asyncpg rejects it from a URL (server_settings must be a dict, and a URL gives a string)".into(),
        "timeout" | "statement_cache_size" | "max_cached_statement_lifetime" | "max_cacheable_statement_size" => {
            "asyncpg fails on it from a URL (it needs a number and the URL gives a string); pass it in connect_args".into()
        }
        "direct_tls" => "db-status cannot make direct TLS connections (and asyncpg takes any value from a URL as true); remove it".into(),
        _ => format!("{typeerror}; remove it"),
    }
}

/// A value that must be one of `allowed`, else libpq's `invalid … value`.
fn one_of<'a>(
    given: &'a Option<Given>,
    default: &'a str,
    allowed: &[&str],
) -> Result<&'a str, DbError> {
    let Some(g) = given else { return Ok(default) };
    if allowed.contains(&g.value.as_str()) {
        Ok(g.value.as_str())
    } else {
        Err(bad(format!(
            "invalid {} value \"{}\": use {}",
            g.from,
            g.value.escape_debug(),
            allowed.join(", ")
        )))
    }
}

fn unsupported(g: &Given, what: &str) -> DbError {
    bad(format!(
        "{} is not supported by db-status ({what}); remove it",
        g.label()
    ))
}

/// What libpq and asyncpg resolve alike: where to connect, as whom, to
/// which database, and which session to accept.
struct Endpoint {
    host: String,
    port: u16,
    user: String,
    database: String,
    /// `password=` from the query (it wins over the URL's).
    query_password: Option<String>,
    passfile: Option<PathBuf>,
    session: Session,
}

/// Query parameter first (SQLAlchemy lets it replace the URL's part), then
/// the URL, then `PG*`, then the default. The database parameter is
/// `dbname` for libpq and `database` for asyncpg; the default user is the
/// operating-system user as each finds it.
fn endpoint(
    url: &DbUrl,
    q: &mut Query<'_>,
    database_key: &str,
    os_user: fn() -> Option<String>,
) -> Result<Endpoint, DbError> {
    let (qhost, qport) = query_host_port(q)?;
    let host = qhost
        .or_else(|| url.host.clone())
        .filter(|h| !h.is_empty())
        .or_else(|| env("PGHOST"))
        .unwrap_or_else(default_socket_dir);
    if host.contains(',') {
        return Err(bad(
            "PGHOST names several hosts: db-status reads one database; give the host to check",
        ));
    }
    let port = match qport.or_else(|| url.port.map(|p| p.to_string())) {
        Some(raw) => parse_port(&raw)?,
        None => match env("PGPORT") {
            Some(raw) => parse_port(&raw)?,
            None => 5432,
        },
    };
    let user = q
        .take("user")?
        .map(str::to_string)
        .or_else(|| url.username.clone())
        .filter(|u| !u.is_empty())
        .or_else(|| env("PGUSER"))
        .or_else(os_user)
        .ok_or_else(|| {
            bad(format!(
                "no PostgreSQL user name: put one in the URL ({}://USER@host/db) or set PGUSER",
                url.drivername
            ))
        })?;
    let database = q
        .take(database_key)?
        .map(str::to_string)
        .or_else(|| url.database.clone())
        .filter(|d| !d.is_empty())
        .or_else(|| env("PGDATABASE"))
        .unwrap_or_else(|| user.clone());
    let query_password = q.take("password")?.map(str::to_string);
    let passfile = param(q, "passfile", Some("PGPASSFILE"))?.map(|g| PathBuf::from(g.value));
    let session_given = param(q, "target_session_attrs", Some("PGTARGETSESSIONATTRS"))?;
    let session = match one_of(
        &session_given,
        "any",
        &[
            "any",
            "read-write",
            "read-only",
            "primary",
            "standby",
            "prefer-standby",
        ],
    )? {
        "read-write" => Session::ReadWrite,
        "read-only" => Session::ReadOnly,
        "any" => Session::Any,
        _ => {
            let g = session_given
                .as_ref()
                .map_or_else(String::new, Given::label);
            return Err(bad(format!(
                "{g} is not supported by db-status (it can check any, read-write or read-only); use one of those"
            )));
        }
    };
    Ok(Endpoint {
        host,
        port,
        user,
        database,
        query_password,
        passfile,
        session,
    })
}

fn resolve_libpq(url: &DbUrl, q: &mut Query<'_>) -> Result<Settings, DbError> {
    // Settings that would change where or how libpq connects and that
    // db-status cannot follow: refuse them rather than read elsewhere.
    for var in [
        "PGSERVICE",
        "PGSSLCRL",
        "PGSSLCRLDIR",
        "PGREQUIREPEER",
        "PGREQUIREAUTH",
    ] {
        if let Some(value) = env(var) {
            let what = if var == "PGSERVICE" {
                "db-status does not read pg_service.conf; unset it and put the settings in the URL"
            } else {
                "db-status cannot honour it; unset it"
            };
            return Err(bad(format!(
                "{var}={} is set: {what}",
                value.escape_debug()
            )));
        }
    }
    let Endpoint {
        host,
        port,
        user,
        database,
        query_password,
        passfile,
        session,
    } = endpoint(url, q, "dbname", os_user_by_uid)?;
    let hostaddr = match param(q, "hostaddr", Some("PGHOSTADDR"))? {
        None => None,
        Some(g) => Some(g.value.trim().parse::<IpAddr>().map_err(|_| {
            bad(format!(
                "could not parse network address \"{}\" ({})",
                g.value.escape_debug(),
                g.from
            ))
        })?),
    };
    let options = param(q, "options", Some("PGOPTIONS"))?.map(|g| g.value);
    let sslpassword = q.take("sslpassword")?;

    let channel_binding = match one_of(
        &param(q, "channel_binding", Some("PGCHANNELBINDING"))?,
        "prefer",
        &["disable", "prefer", "require"],
    )? {
        "disable" => ChannelBinding::Disable,
        "require" => ChannelBinding::Require,
        _ => ChannelBinding::Prefer,
    };
    one_of(
        &param(q, "load_balance_hosts", Some("PGLOADBALANCEHOSTS"))?,
        "disable",
        &["disable", "random"],
    )?;
    let gss = param(q, "gssencmode", Some("PGGSSENCMODE"))?;
    if one_of(&gss, "prefer", &["disable", "prefer", "require"])? == "require"
        && let Some(g) = &gss
    {
        return Err(unsupported(g, "it cannot encrypt with GSSAPI"));
    }
    q.no_effect(LIBPQ_NO_EFFECT);

    let is_socket = host.starts_with('/');
    let tls = libpq_tls(q, is_socket)?;

    let settings = Settings {
        host,
        hostaddr,
        port,
        user,
        database,
        password: query_password,
        options,
        tls,
        channel_binding,
        session,
        secrets: Secrets::new(),
    };
    Ok(with_password(settings, url, passfile, sslpassword))
}

/// libpq's TLS decisions (`fe-secure-openssl.c`), for a TCP connection.
fn libpq_tls(q: &mut Query<'_>, is_socket: bool) -> Result<Tls, DbError> {
    let mode_given = param(q, "sslmode", Some("PGSSLMODE"))?;
    let rootcert = param(q, "sslrootcert", Some("PGSSLROOTCERT"))?;
    let cert = param(q, "sslcert", Some("PGSSLCERT"))?;
    let key = param(q, "sslkey", Some("PGSSLKEY"))?;
    let certmode = param(q, "sslcertmode", Some("PGSSLCERTMODE"))?;
    let sni = param(q, "sslsni", Some("PGSSLSNI"))?;
    let min = param(
        q,
        "ssl_min_protocol_version",
        Some("PGSSLMINPROTOCOLVERSION"),
    )?;
    let max = param(
        q,
        "ssl_max_protocol_version",
        Some("PGSSLMAXPROTOCOLVERSION"),
    )?;
    let negotiation = param(q, "sslnegotiation", Some("PGSSLNEGOTIATION"))?;
    let system = rootcert.as_ref().is_some_and(|g| g.value == "system");
    let (mode, label) = match &mode_given {
        Some(g) => {
            let mode = Ssl::parse(&g.value).ok_or_else(|| {
                bad(format!(
                    "invalid {} value \"{}\": use disable, allow, prefer, require, verify-ca or verify-full",
                    g.from,
                    g.value.escape_debug()
                ))
            })?;
            (mode, g.label())
        }
        // libpq 16+: `sslrootcert=system` makes verify-full the default.
        None if system => (
            Ssl::VerifyFull,
            "sslmode=verify-full (default with sslrootcert=system)".to_string(),
        ),
        None => (Ssl::Prefer, "sslmode=prefer (default)".to_string()),
    };
    if system && mode != Ssl::VerifyFull {
        return Err(DbError::new(
            DbErrorKind::Tls,
            format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
                mode.name()
            ),
        ));
    }
    let trust_hint = "use sslrootcert=FILE to trust the server's CA, or a weaker sslmode";
    if is_socket || mode == Ssl::Disable {
        // libpq never uses TLS over a unix socket, and reads no TLS file then.
        return Ok(Tls {
            mode: if is_socket { Ssl::Disable } else { mode },
            label,
            setup: Setup::encrypt_only(),
            trust_hint,
        });
    }
    let (tls12, tls13) = protocol_versions(min.as_ref(), max.as_ref())?;
    one_of(&negotiation, "postgres", &["postgres", "direct"])?;
    if let Some(g) = negotiation.as_ref().filter(|g| g.value == "direct") {
        return Err(unsupported(g, "it cannot make direct TLS connections"));
    }
    let certmode_value = one_of(&certmode, "allow", &["disable", "allow", "require"])?;
    if let Some(g) = certmode.as_ref().filter(|_| certmode_value == "require") {
        return Err(unsupported(
            g,
            "it cannot insist that the server asks for a client certificate",
        ));
    }

    // Trusted roots: the named file, or ~/.postgresql/root.crt, if it exists.
    let mut setup = Setup::encrypt_only();
    setup.tls12 = tls12;
    setup.tls13 = tls13;
    // libpq sends SNI unless sslsni is set to something other than 1.
    setup.sni = sni.as_ref().is_none_or(|g| g.value.starts_with('1'));
    let root_path = if system {
        None
    } else {
        rootcert
            .as_ref()
            .map(|g| PathBuf::from(&g.value))
            .or_else(|| tls::dot_postgresql("root.crt"))
    };
    let roots = if system {
        Some(Roots::System)
    } else {
        root_path.clone().filter(|p| p.exists()).map(Roots::File)
    };
    setup.verify = match (mode, &roots) {
        (Ssl::VerifyFull, Some(_)) => Verify::Full,
        // `require` with a root file checks the chain, as `verify-ca` does.
        (Ssl::VerifyCa | Ssl::Require, Some(_)) => Verify::Chain,
        (Ssl::VerifyCa | Ssl::VerifyFull, None) => {
            let shown = root_path.map_or_else(
                || "~/.postgresql/root.crt".to_string(),
                |p| p.display().to_string(),
            );
            return Err(DbError::new(
                DbErrorKind::Tls,
                format!(
                    "root certificate file \"{shown}\" does not exist ({label}): give the CA file with sslrootcert=FILE, \
                     use the system's trusted roots with sslrootcert=system, or use a sslmode that does not check the certificate"
                ),
            ));
        }
        _ => Verify::Nothing,
    };
    if setup.verify != Verify::Nothing
        && !system
        && tls::dot_postgresql("root.crl").is_some_and(|p| p.exists())
    {
        return Err(DbError::new(
            DbErrorKind::Tls,
            "~/.postgresql/root.crl exists and libpq would check it: db-status cannot check \
             certificate revocation lists; move the file away to connect without the check",
        ));
    }
    setup.roots = roots;

    // Client certificate: sent when the file exists (libpq goes on without
    // one when it does not), with its key, which must be private.
    if certmode_value != "disable" {
        let cert_path = cert
            .as_ref()
            .map(|g| PathBuf::from(&g.value))
            .or_else(|| tls::dot_postgresql("postgresql.crt"));
        if let Some(cert_path) = cert_path.filter(|p| p.exists()) {
            let key_path = key
                .as_ref()
                .map(|g| PathBuf::from(&g.value))
                .or_else(|| tls::dot_postgresql("postgresql.key"))
                .unwrap_or_default();
            if !key_path.is_file() {
                return Err(DbError::new(
                    DbErrorKind::Tls,
                    format!(
                        "certificate present, but not private key file \"{}\": give it with sslkey=FILE",
                        key_path.display()
                    ),
                ));
            }
            check_key_permissions(&key_path)?;
            setup.client = Some(ClientCert {
                cert: cert_path,
                key: Some(key_path),
            });
        }
    }
    Ok(Tls {
        mode,
        label,
        setup,
        trust_hint,
    })
}

/// libpq's `ssl_min_protocol_version` / `ssl_max_protocol_version`:
/// which of TLS 1.2 and 1.3 may be used.
fn protocol_versions(min: Option<&Given>, max: Option<&Given>) -> Result<(bool, bool), DbError> {
    let rank = |g: &Given| -> Result<u8, DbError> {
        match g.value.to_ascii_lowercase().as_str() {
            "tlsv1" => Ok(10),
            "tlsv1.1" => Ok(11),
            "tlsv1.2" => Ok(12),
            "tlsv1.3" => Ok(13),
            _ => Err(bad(format!(
                "invalid {} value \"{}\": use TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3",
                g.from,
                g.value.escape_debug()
            ))),
        }
    };
    let lo = min.map(rank).transpose()?.unwrap_or(12);
    let hi = max.map(rank).transpose()?.unwrap_or(13);
    if lo > hi {
        return Err(bad(
            "invalid SSL protocol version range: the minimum is above the maximum",
        ));
    }
    if hi < 12 {
        let g = max.map(Given::label).unwrap_or_default();
        return Err(bad(format!(
            "{g} is not supported by db-status (it speaks TLS 1.2 and 1.3 only); remove it"
        )));
    }
    Ok((lo <= 12, hi >= 13))
}

/// libpq refuses a private key others may read (`fe-secure-openssl.c`).
fn check_key_permissions(path: &Path) -> Result<(), DbError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let mode = meta.mode();
        let own = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
        let too_open = if Some(meta.uid()) == own {
            mode & 0o077 != 0
        } else {
            meta.uid() == 0 && mode & 0o037 != 0
        };
        if too_open {
            return Err(DbError::new(
                DbErrorKind::Tls,
                format!(
                    "private key file \"{}\" has group or world access; file must have permissions \
                     u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) \
                     or less if owned by root",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

fn resolve_asyncpg(url: &DbUrl, q: &mut Query<'_>) -> Result<Settings, DbError> {
    let Endpoint {
        host,
        port,
        user,
        database,
        query_password,
        passfile,
        session,
    } = endpoint(url, q, "database", os_user_by_env)?;
    one_of(&param(q, "gsslib", None)?, "gssapi", &["gssapi", "sspi"])?;
    // Known to asyncpg and no different for the read. `service` and
    // `servicefile` are read only from a DSN, which SQLAlchemy does not use.
    q.no_effect(&[
        "prepared_statement_cache_size",
        "command_timeout",
        "krbsrvname",
        "service",
        "servicefile",
    ]);
    if let Some(value) = env("PGSSLCRL") {
        return Err(bad(format!(
            "PGSSLCRL={} is set: db-status cannot check certificate revocation lists; unset it",
            value.escape_debug()
        )));
    }
    let is_socket = host.starts_with('/');
    let tls = asyncpg_tls(q, is_socket)?;
    let settings = Settings {
        host,
        hostaddr: None,
        port,
        user,
        database,
        password: query_password,
        // asyncpg does not read PGOPTIONS.
        options: None,
        tls,
        channel_binding: ChannelBinding::Prefer,
        session,
        secrets: Secrets::new(),
    };
    Ok(with_password(settings, url, passfile, None))
}

/// asyncpg's TLS decisions (`connect_utils._parse_connect_dsn_and_args`).
fn asyncpg_tls(q: &mut Query<'_>, is_socket: bool) -> Result<Tls, DbError> {
    let given = param(q, "ssl", Some("PGSSLMODE"))?;
    let (mode, label) = match &given {
        None => (Ssl::Prefer, "ssl=prefer (default)".to_string()),
        Some(g) => {
            // asyncpg accepts `verify_full` as well as `verify-full`.
            let mode = Ssl::parse(&g.value.replace('_', "-")).ok_or_else(|| {
                let hint = match g.value.to_ascii_lowercase().as_str() {
                    "true" | "false" | "1" | "0" | "yes" | "no" | "on" | "off" => format!(
                        ": asyncpg fails on {} in a URL, it takes a mode name there (ssl=True in connect_args means verify-full)",
                        g.label()
                    ),
                    _ => String::new(),
                };
                bad(format!(
                    "invalid {} value \"{}\": use disable, allow, prefer, require, verify-ca or verify-full{hint}",
                    g.from,
                    g.value.escape_debug()
                ))
            })?;
            (mode, g.label())
        }
    };
    let trust_hint = "set PGSSLROOTCERT=FILE (or ~/.postgresql/root.crt) to trust the server's CA, or use a weaker ssl mode";
    if is_socket || mode == Ssl::Disable {
        return Ok(Tls {
            mode: if is_socket { Ssl::Disable } else { mode },
            label,
            setup: Setup::encrypt_only(),
            trust_hint,
        });
    }
    let min = env_given("PGSSLMINPROTOCOLVERSION");
    let max = env_given("PGSSLMAXPROTOCOLVERSION");
    let (tls12, tls13) = protocol_versions(min.as_ref(), max.as_ref())?;
    if let Some(value) = env("PGSSLNEGOTIATION") {
        if value == "direct" {
            return Err(bad(
                "PGSSLNEGOTIATION=direct is not supported by db-status (it cannot make direct TLS connections); unset it",
            ));
        }
        if value != "postgres" {
            return Err(bad(format!(
                "invalid PGSSLNEGOTIATION value \"{}\": use postgres or direct",
                value.escape_debug()
            )));
        }
    }
    let mut setup = Setup::encrypt_only();
    setup.tls12 = tls12;
    setup.tls13 = tls13;
    if mode >= Ssl::Require {
        let explicit = env("PGSSLROOTCERT").map(PathBuf::from);
        let root = match explicit {
            Some(path) if path.is_file() => Some(path),
            Some(path) => {
                return Err(DbError::new(
                    DbErrorKind::Tls,
                    format!(
                        "root certificate file \"{}\" does not exist (PGSSLROOTCERT, {label}): \
                         give an existing CA file",
                        path.display()
                    ),
                ));
            }
            None => tls::dot_postgresql("root.crt").filter(|p| p.is_file()),
        };
        setup.verify = match (&root, mode) {
            (Some(_), Ssl::VerifyFull) => Verify::Full,
            (Some(_), _) => Verify::Chain,
            (None, Ssl::Require) => Verify::Nothing,
            (None, _) => {
                let shown = tls::dot_postgresql("root.crt").map_or_else(
                    || "~/.postgresql/root.crt".to_string(),
                    |p| p.display().to_string(),
                );
                return Err(DbError::new(
                    DbErrorKind::Tls,
                    format!(
                        "root certificate file \"{shown}\" does not exist ({label}): give the CA file with \
                         PGSSLROOTCERT=FILE (asyncpg reads no sslrootcert= from the URL), or use ssl=require, \
                         which does not check the certificate"
                    ),
                ));
            }
        };
        if root.is_some() && tls::dot_postgresql("root.crl").is_some_and(|p| p.exists()) {
            return Err(DbError::new(
                DbErrorKind::Tls,
                "~/.postgresql/root.crl exists and asyncpg would check it: db-status cannot check \
                 certificate revocation lists; move the file away to connect without the check",
            ));
        }
        setup.roots = root.map(Roots::File);
    }
    // Client certificate: PGSSLCERT must exist; the default one is optional.
    let key = env("PGSSLKEY")
        .map(PathBuf::from)
        .or_else(|| tls::dot_postgresql("postgresql.key").filter(|p| p.exists()));
    let cert = match env("PGSSLCERT").map(PathBuf::from) {
        Some(path) if path.is_file() => Some(path),
        Some(path) => {
            return Err(DbError::new(
                DbErrorKind::Tls,
                format!(
                    "certificate file \"{}\" does not exist (PGSSLCERT)",
                    path.display()
                ),
            ));
        }
        None => tls::dot_postgresql("postgresql.crt").filter(|p| p.is_file()),
    };
    setup.client = cert.map(|cert| ClientCert { cert, key });
    Ok(Tls {
        mode,
        label,
        setup,
        trust_hint,
    })
}

/// The password from the password file libpq (or asyncpg) would read.
fn password_from_file(s: &Settings, passfile: Option<PathBuf>) -> Option<String> {
    let path = passfile.or_else(pgpass::default_path)?;
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

/// The password — `password=` from the query (already in `s`), the URL's,
/// `PGPASSWORD`, the password file — and what messages must hide.
fn with_password(
    mut s: Settings,
    url: &DbUrl,
    passfile: Option<PathBuf>,
    sslpassword: Option<&str>,
) -> Settings {
    if s.password.is_none() {
        s.password = url
            .password
            .clone()
            .or_else(|| env("PGPASSWORD"))
            .or_else(|| password_from_file(&s, passfile));
    }
    let mut secrets = Secrets::new();
    for pw in [s.password.as_deref(), url.password.as_deref(), sslpassword]
        .into_iter()
        .flatten()
    {
        secrets.hide(pw);
    }
    for public in [s.user.as_str(), s.database.as_str(), s.host.as_str()] {
        secrets.allow(public);
    }
    s.secrets = secrets;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> Result<Settings, DbError> {
        DbUrl::parse(url).and_then(|u| resolve(&u))
    }

    fn message(url: &str) -> String {
        settings(url).err().map(|e| e.message).unwrap_or_default()
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
        let Ok(s) = settings("postgresql+psycopg2://me@/app?host=/run/pg&sslmode=disable") else {
            panic!("resolve failed");
        };
        assert!(s.is_socket());
        assert_eq!(s.database, "app");
        assert_eq!(s.target(), "socket /run/pg/.s.PGSQL.5432");
    }

    #[test]
    fn query_parameters_override_the_url_like_sqlalchemy() {
        let Ok(s) = settings(
            "postgresql://u@h1:1/d1?host=h2:2&dbname=d2&user=u2&options=-csearch_path%3Dt1",
        ) else {
            panic!("resolve failed");
        };
        assert_eq!((s.host.as_str(), s.port), ("h2", 2));
        assert_eq!((s.user.as_str(), s.database.as_str()), ("u2", "d2"));
        assert_eq!(s.options.as_deref(), Some("-csearch_path=t1"));
    }

    #[test]
    fn unknown_and_unsupported_parameters_are_named() {
        let m = message("postgresql://u@h/d?foo=1");
        assert!(
            m.contains("\"foo\"") && m.contains("invalid connection option"),
            "{m}"
        );
        let m = message("postgresql+psycopg2://u@h/d?ssl=require");
        assert!(m.contains("\"ssl\"") && m.contains("sslmode="), "{m}");
        let m = message("postgresql://u@h/d?service=prod");
        assert!(m.contains("pg_service.conf"), "{m}");
        let m = message("postgresql://u@h/d?sslcrl=/x.crl&sslmode=require");
        assert!(m.contains("\"sslcrl\"") && m.contains("revocation"), "{m}");
        let m = message("postgresql://u@h/d?host=a&host=b");
        assert!(m.contains("several hosts"), "{m}");
        let m = message("postgresql://u@h/d?sslmode=Require");
        assert!(m.contains("invalid sslmode value \"Require\""), "{m}");
        let m = message("postgresql://u@h/d?target_session_attrs=standby");
        assert!(m.contains("target_session_attrs=standby"), "{m}");
        let m = message("postgresql+pg8000://u@h/d?timeout=3");
        assert!(m.contains("\"timeout\"") && m.contains("pg8000"), "{m}");
        assert!(settings("postgresql://u@h/d?connect_timeout=3&application_name=x").is_ok());
    }

    #[test]
    fn asyncpg_spellings() {
        let m = message("postgresql+asyncpg://u@h/d?options=-csearch_path%3Dt1");
        assert!(
            m.contains("\"options\"") && m.contains("server_settings"),
            "{m}"
        );
        let m = message("postgresql+asyncpg://u@h/d?sslmode=require");
        assert!(
            m.contains("\"sslmode\"") && m.contains("ssl=disable|allow"),
            "{m}"
        );
        let m = message("postgresql+asyncpg://u@h/d?ssl=true");
        assert!(
            m.contains("invalid ssl value \"true\"") && m.contains("verify-full"),
            "{m}"
        );
        let Ok(s) = settings(
            "postgresql+asyncpg://u@h/d?ssl=require&database=other&prepared_statement_cache_size=0",
        ) else {
            panic!("resolve failed");
        };
        assert_eq!(
            (s.tls.mode, s.tls.label.as_str()),
            (Ssl::Require, "ssl=require")
        );
        assert_eq!(s.database, "other");
        assert_eq!(s.options, None);
    }

    #[test]
    fn protocol_version_ranges() {
        let g = |v: &str| Given {
            value: v.into(),
            from: "x".into(),
        };
        assert!(matches!(protocol_versions(None, None), Ok((true, true))));
        assert!(matches!(
            protocol_versions(Some(&g("TLSv1.3")), None),
            Ok((false, true))
        ));
        assert!(matches!(
            protocol_versions(None, Some(&g("TLSv1.2"))),
            Ok((true, false))
        ));
        assert!(protocol_versions(None, Some(&g("TLSv1.1"))).is_err());
        assert!(protocol_versions(Some(&g("TLSv1.3")), Some(&g("TLSv1.2"))).is_err());
        assert!(protocol_versions(Some(&g("SSLv3")), None).is_err());
    }
}
