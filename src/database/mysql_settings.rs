//! MySQL / MariaDB connection settings, resolved the way SQLAlchemy and the
//! application's driver resolve the URL. SQLAlchemy's MySQL dialects hand
//! every query parameter to the driver's `connect()` as a keyword (query
//! parameters win over the URL's parts), after moving `ssl_ca`, `ssl_cert`,
//! `ssl_key`, `ssl_capath`, `ssl_cipher` and `ssl_check_hostname` into an
//! `ssl` dict. What the driver then does differs:
//!
//! - **mysqlclient** (`mysql://`, `+mysqldb`): `ssl_mode=` (upper case:
//!   `DISABLED` … `VERIFY_IDENTITY`) and the `ssl` dict's files.
//! - **PyMySQL** (`+pymysql`): the `ssl` dict (a CA means the chain and, unless
//!   `ssl_check_hostname=false`, the host name are checked), plus its own
//!   `ssl_verify_cert`, `ssl_verify_identity` and `ssl_disabled`; it has no
//!   `ssl_mode`.
//! - **aiomysql** (`+aiomysql`): TLS only from an `ssl.SSLContext` in
//!   `connect_args`; a URL cannot turn it on (the dict SQLAlchemy builds is
//!   ignored by a server without TLS and breaks against one with TLS).
//!
//! Every query parameter is honoured, known to make no difference to the
//! read, or an error that names it.

use std::path::PathBuf;

use super::mask::Secrets;
use super::query::{Query, bad};
use super::tls::{ClientCert, Roots, Setup, Verify};
use super::{DbError, DbUrl, Resolved};

/// The client library that reads the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    MySqlDb,
    PyMySql,
    AioMySql,
    /// mariadbconnector, mysqlconnector, asyncmy, …: URL parts only.
    Other,
}

/// TLS for the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tls {
    /// What to check, which roots, which client certificate.
    pub(crate) setup: Setup,
    /// The parameters that asked for it, for messages (`ssl_mode=VERIFY_IDENTITY`).
    pub(crate) label: String,
}

/// Where and how to connect.
pub(crate) struct Settings {
    /// Host name or address.
    pub(crate) host: String,
    /// TCP port.
    pub(crate) port: u16,
    /// A unix socket to use instead of TCP.
    pub(crate) socket: Option<String>,
    /// User name.
    pub(crate) user: Option<String>,
    /// Password.
    pub(crate) password: Option<String>,
    /// Database (schema) name.
    pub(crate) database: Option<String>,
    /// TLS, if the driver would use it (and can be made to check something).
    pub(crate) tls: Option<Tls>,
    /// What no message may show, and the names it may.
    pub(crate) secrets: Secrets,
}

impl Resolved for Settings {
    /// `127.0.0.1:3306`, `[::1]:3306` or `socket /run/mysqld/mysqld.sock`.
    fn target(&self) -> String {
        match &self.socket {
            Some(path) => format!("socket {path}"),
            None if self.host.contains(':') => format!("[{}]:{}", self.host, self.port),
            None => format!("{}:{}", self.host, self.port),
        }
    }

    fn secrets(&self) -> &Secrets {
        &self.secrets
    }
}

/// Sockets libmysqlclient / MariaDB Connector/C look for when asked for `localhost`.
const DEFAULT_SOCKETS: [&str; 3] = [
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/tmp/mysql.sock",
];

/// Keys that make no difference to the read, per driver.
const MYSQLDB_NO_EFFECT: &[&str] = &[
    "charset",
    "collation",
    "use_unicode",
    "sql_mode",
    "binary_prefix",
    "multi_statements",
    "autocommit",
    "connect_timeout",
    "read_timeout",
    "write_timeout",
    "local_infile",
    "local_infile_dir",
    "client_flag",
    "compress",
    "auth_plugin",
    "server_public_key_path",
];
const PYMYSQL_NO_EFFECT: &[&str] = &[
    "charset",
    "collation",
    "sql_mode",
    "use_unicode",
    "client_flag",
    "connect_timeout",
    "autocommit",
    "local_infile",
    "max_allowed_packet",
    "defer_connect",
    "read_timeout",
    "write_timeout",
    "binary_prefix",
    "program_name",
    "server_public_key",
];
const AIOMYSQL_NO_EFFECT: &[&str] = &[
    "charset",
    "sql_mode",
    "use_unicode",
    "client_flag",
    "connect_timeout",
    "autocommit",
    "echo",
    "local_infile",
    "auth_plugin",
    "program_name",
    "server_public_key",
];

/// SQLAlchemy's `asbool` for `ssl_check_hostname`.
fn as_bool(key: &str, value: &str) -> Result<bool, DbError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "y" | "t" | "1" => Ok(true),
        "false" | "no" | "off" | "n" | "f" | "0" => Ok(false),
        _ => Err(bad(format!(
            "invalid {key} value \"{}\": SQLAlchemy accepts true or false",
            value.escape_debug()
        ))),
    }
}

/// Resolve the connection settings of `url`.
pub(crate) fn resolve(url: &DbUrl) -> Result<Settings, DbError> {
    let driver = match url.driver() {
        None | Some("mysqldb") => Driver::MySqlDb,
        Some("pymysql") => Driver::PyMySql,
        Some("aiomysql") => Driver::AioMySql,
        Some(_) => Driver::Other,
    };
    let name = url.driver().unwrap_or("mysqldb");
    if driver == Driver::Other && !url.query.is_empty() {
        // No parameter is read with another driver's meaning.
        let known = "db-status knows how mysqlclient (mysql://, +mysqldb), PyMySQL and aiomysql read URL parameters";
        Query::new(url).finish(|_| {
            format!(
                "{known}, not how {name} does; remove the parameter or use one of those drivers"
            )
        })?;
    }
    let mut q = Query::new(url);
    // Query keys of the same name as the URL's parts replace them
    // (SQLAlchemy's `opts.update(url.query)`); the names differ per driver.
    let host = q
        .take("host")?
        .map(str::to_string)
        .or_else(|| url.host.clone())
        .unwrap_or_else(|| "localhost".to_string());
    let user = q
        .take("user")?
        .map(str::to_string)
        .or_else(|| url.username.clone());
    let (database, password) = match driver {
        // URL parts arrive as `db` and `passwd`; mysqlclient lets them win
        // over `database` and `password`.
        Driver::MySqlDb => (
            url_part(&mut q, "db", &url.database, Some("database"))?,
            url_part(&mut q, "passwd", &url.password, Some("password"))?,
        ),
        // URL parts arrive as `database` and `password`; `db` and
        // `passwd` are used only when those are missing.
        Driver::PyMySql => (
            url_part(&mut q, "database", &url.database, Some("db"))?,
            url_part(&mut q, "password", &url.password, Some("passwd"))?,
        ),
        Driver::AioMySql => (
            url_part(&mut q, "db", &url.database, None)?,
            url_part(&mut q, "password", &url.password, None)?,
        ),
        Driver::Other => (url.database.clone(), url.password.clone()),
    };
    let mut socket = q.take("unix_socket")?.map(str::to_string);
    // mysqlclient and mariadbconnector follow the C library: `localhost`
    // without a port means the local socket. PyMySQL and aiomysql use TCP.
    let c_library = matches!(url.driver(), None | Some("mysqldb" | "mariadbconnector"));
    if socket.is_none() && c_library && host == "localhost" && url.port.is_none() {
        socket = DEFAULT_SOCKETS
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string());
    }
    let mut ssl_key_password = None;
    let tls = match driver {
        Driver::MySqlDb => {
            q.no_effect(MYSQLDB_NO_EFFECT);
            mysqldb_tls(&mut q)?
        }
        Driver::PyMySql => {
            q.no_effect(PYMYSQL_NO_EFFECT);
            ssl_key_password = q.take("ssl_key_password")?.map(str::to_string);
            pymysql_tls(&mut q)?
        }
        Driver::AioMySql => {
            q.no_effect(AIOMYSQL_NO_EFFECT);
            None
        }
        Driver::Other => None,
    };
    q.finish(|key| unknown(driver, name, key))?;

    let mut secrets = Secrets::new();
    for pw in [
        password.as_deref(),
        url.password.as_deref(),
        ssl_key_password.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        secrets.hide(pw);
    }
    for public in [user.as_deref(), database.as_deref(), Some(host.as_str())]
        .into_iter()
        .flatten()
    {
        secrets.allow(public);
    }
    Ok(Settings {
        host,
        port: url.port.unwrap_or(3306),
        socket,
        user,
        password,
        database: database.filter(|d| !d.is_empty()),
        tls,
        secrets,
    })
}

/// A URL part as the driver's `connect()` receives it: the query key it
/// arrives as (`key`) replaces the URL's `part`, and the driver's other
/// spelling (`alias`) is used only when both are missing.
fn url_part(
    q: &mut Query<'_>,
    key: &str,
    part: &Option<String>,
    alias: Option<&str>,
) -> Result<Option<String>, DbError> {
    let given = q.take(key)?.map(str::to_string);
    let other = match alias {
        Some(alias) => q.take(alias)?.map(str::to_string),
        None => None,
    };
    Ok(given.or_else(|| part.clone()).or(other))
}

/// SQLAlchemy's `ssl` dict, built from the URL for every MySQLdb-derived dialect.
struct SslDict {
    ca: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    check_hostname: Option<bool>,
    keys: Vec<String>,
}

fn ssl_dict(q: &mut Query<'_>) -> Result<SslDict, DbError> {
    let mut keys = Vec::new();
    let mut path = |q: &mut Query<'_>, key: &str| -> Result<Option<PathBuf>, DbError> {
        let v = q.take(key)?;
        if v.is_some() {
            keys.push(key.to_string());
        }
        Ok(v.map(PathBuf::from))
    };
    let ca = path(q, "ssl_ca")?;
    let cert = path(q, "ssl_cert")?;
    let key = path(q, "ssl_key")?;
    let check_hostname = match q.take("ssl_check_hostname")? {
        Some(v) => {
            keys.push("ssl_check_hostname".to_string());
            Some(as_bool("ssl_check_hostname", v)?)
        }
        None => None,
    };
    Ok(SslDict {
        ca,
        cert,
        key,
        check_hostname,
        keys,
    })
}

/// What to check given a CA and whether the host name is checked.
fn checked(ca: Option<PathBuf>, host_name: bool) -> (Verify, Option<Roots>) {
    match ca {
        Some(ca) if host_name => (Verify::Full, Some(Roots::File(ca))),
        Some(ca) => (Verify::Chain, Some(Roots::File(ca))),
        None => (Verify::Nothing, None),
    }
}

fn client(dict: &SslDict) -> Option<ClientCert> {
    dict.cert.clone().map(|cert| ClientCert {
        cert,
        key: dict.key.clone(),
    })
}

fn setup(verify: Verify, roots: Option<Roots>, client: Option<ClientCert>) -> Setup {
    let mut s = Setup::encrypt_only();
    s.verify = verify;
    s.roots = roots;
    s.client = client;
    s
}

/// mysqlclient: `ssl_mode` decides; the `ssl` dict supplies the files.
fn mysqldb_tls(q: &mut Query<'_>) -> Result<Option<Tls>, DbError> {
    let dict = ssl_dict(q)?;
    let mode = q.take("ssl_mode")?;
    let Some(mode) = mode else {
        if dict.keys.is_empty() {
            return Ok(None);
        }
        // Without ssl_mode, what a CA file means depends on the C library
        // mysqlclient was built with; db-status checks the chain and the
        // host name (unless ssl_check_hostname=false).
        let host_name = dict.check_hostname.unwrap_or(true);
        let client = client(&dict);
        let (verify, roots) = checked(dict.ca, host_name);
        return Ok(Some(Tls {
            setup: setup(verify, roots, client),
            label: dict.keys.join(", "),
        }));
    };
    let label = format!("ssl_mode={mode}");
    let verify = match mode {
        "DISABLED" | "PREFERRED" => return Ok(None),
        "REQUIRED" => Verify::Nothing,
        "VERIFY_CA" => Verify::Chain,
        "VERIFY_IDENTITY" => Verify::Full,
        other => {
            return Err(bad(format!(
                "invalid ssl_mode \"{}\": mysqlclient accepts DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY (in upper case)",
                other.escape_debug()
            )));
        }
    };
    let client = client(&dict);
    let roots = match (&dict.ca, verify) {
        (None, Verify::Chain | Verify::Full) => {
            return Err(bad(format!(
                "{label} needs the CA certificate: add ssl_ca=FILE"
            )));
        }
        (ca, _) => ca.clone().map(Roots::File),
    };
    Ok(Some(Tls {
        setup: setup(verify, roots, client),
        label,
    }))
}

/// PyMySQL (1.1+): see the module documentation.
fn pymysql_tls(q: &mut Query<'_>) -> Result<Option<Tls>, DbError> {
    let dict = ssl_dict(q)?;
    let verify_cert = q.take("ssl_verify_cert")?;
    let verify_identity = q.take("ssl_verify_identity")?;
    // PyMySQL reads these as Python truth values of the URL's strings:
    // any non-empty text (even "false") counts as true.
    if q.take("ssl_disabled")?.is_some() {
        return Ok(None);
    }
    if verify_cert.is_some() || verify_identity.is_some() {
        let given: Vec<&str> = [
            verify_cert.map(|_| "ssl_verify_cert"),
            verify_identity.map(|_| "ssl_verify_identity"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !dict.keys.is_empty() {
            return Err(bad(format!(
                "{} together with {} is not supported: PyMySQL then drops SQLAlchemy's {} and checks the \
                 server against the system's roots; use ssl_ca (with ssl_check_hostname=false for the chain only) instead",
                given.join(" and "),
                dict.keys.join(", "),
                dict.keys.join(", ")
            )));
        }
        // PyMySQL's own settings: no CA file, so the system's roots, and
        // never the host name (it checks it only with a CA file).
        let required = verify_identity.is_some()
            || verify_cert.is_some_and(|v| {
                matches!(
                    v.to_ascii_lowercase().as_str(),
                    "required" | "1" | "true" | "yes" | "optional"
                )
            });
        let label = given.join(", ");
        return Ok(Some(if required {
            Tls {
                setup: setup(Verify::Chain, Some(Roots::System), None),
                label,
            }
        } else {
            Tls {
                setup: setup(Verify::Nothing, None, None),
                label,
            }
        }));
    }
    if dict.keys.is_empty() {
        // PyMySQL then encrypts if the server offers it, checking nothing:
        // what is read is the same without TLS.
        return Ok(None);
    }
    let host_name = dict.check_hostname.unwrap_or(true);
    let client = client(&dict);
    let (verify, roots) = checked(dict.ca, host_name);
    Ok(Some(Tls {
        setup: setup(verify, roots, client),
        label: dict.keys.join(", "),
    }))
}

/// Why a query parameter is refused for `driver`.
fn unknown(driver: Driver, name: &str, key: &str) -> String {
    let key_shown = key.escape_debug().to_string();
    let connect = match driver {
        Driver::MySqlDb => "MySQLdb.connect()",
        Driver::PyMySql => "pymysql.connect()",
        Driver::AioMySql => "aiomysql.connect()",
        Driver::Other => name,
    };
    let typeerror =
        format!("{connect} rejects it too (TypeError: unexpected keyword argument '{key_shown}')");
    match (driver, key) {
        (_, "port") => "the driver needs a number and the URL query gives a string; put the port in the URL (host:PORT)".into(),
        (_, "init_command") => "it runs SQL at connect time, which db-status does not do; remove it".into(),
        (_, "read_default_file" | "read_default_group") => {
            "db-status does not read MySQL option files (my.cnf); put the settings in the URL".into()
        }
        (Driver::AioMySql, "ssl" | "ssl_ca" | "ssl_cert" | "ssl_key" | "ssl_capath" | "ssl_cipher" | "ssl_check_hostname") => {
            "aiomysql takes TLS only as an ssl.SSLContext in connect_args; from a URL it is ignored by a server \
             without TLS and fails against one with TLS; remove it, or use mysql+pymysql with ssl_ca=FILE"
                .into()
        }
        (_, "ssl_capath" | "ssl_cipher") => "db-status cannot honour it; use ssl_ca=FILE, or remove it".into(),
        (_, "bind_address" | "named_pipe" | "conv" | "cursorclass" | "auth_plugin_map") => {
            "db-status cannot honour it; remove it".into()
        }
        (_, "ssl") => "from a URL the driver gets a string where it needs a dict or SSLContext, and fails; \
                       use ssl_ca=FILE (or ssl_mode= with mysqlclient)"
            .into(),
        (Driver::PyMySql | Driver::AioMySql, "ssl_mode") => format!(
            "{typeerror}; ssl_mode is mysqlclient's; with {name} use ssl_ca=FILE"
        ),
        (Driver::MySqlDb | Driver::AioMySql, "ssl_verify_cert" | "ssl_verify_identity" | "ssl_disabled" | "ssl_key_password") => {
            format!("{typeerror}; those are PyMySQL's; with {name} use ssl_mode= and ssl_ca=FILE")
        }
        (Driver::AioMySql, "database" | "passwd") => format!("{typeerror}; use the URL's parts"),
        _ => format!("{typeerror}; remove it"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::query::check::{refused, resolved};
    use super::*;

    fn settings(url: &str) -> Settings {
        resolved(resolve, url)
    }

    #[test]
    fn socket_and_ssl_mode_from_query() {
        let s = settings("mysql://u@localhost/d?unix_socket=/tmp/x.sock&ssl_mode=REQUIRED");
        assert_eq!(s.socket.as_deref(), Some("/tmp/x.sock"));
        assert_eq!(s.tls.map(|t| t.setup.verify), Some(Verify::Nothing));
        refused(
            resolve,
            &[
                ("mysql://u@h/d?ssl_mode=required", &["upper case"]),
                ("mysql://u@h/d?ssl_mode=VERIFY_IDENTITY", &["ssl_ca=FILE"]),
            ],
        );
    }

    #[test]
    fn each_driver_spelling() {
        // PyMySQL has no ssl_mode; aiomysql cannot take TLS from a URL.
        refused(
            resolve,
            &[
                (
                    "mysql+pymysql://u@h/d?ssl_mode=REQUIRED",
                    &["\"ssl_mode\"", "pymysql.connect()"],
                ),
                (
                    "mysql+aiomysql://u@h/d?ssl_ca=/ca.pem",
                    &["\"ssl_ca\"", "SSLContext"],
                ),
                ("mysql+pymysql://u@h/d?ssl=true", &["\"ssl\""]),
                (
                    "mysql://u@h/d?ssl_verify_identity=true",
                    &["MySQLdb.connect()"],
                ),
                ("mysql://u@h/d?foo=1", &["\"foo\"", "TypeError"]),
                (
                    "mysql+mysqlconnector://u@h/d?ssl_ca=/x",
                    &["mysqlconnector"],
                ),
                (
                    "mysql+pymysql://u@h/d?ssl_ca=/x&ssl_verify_cert=true",
                    &["drops"],
                ),
            ],
        );
        let s = settings(
            "mysql+pymysql://u@h/d?ssl_ca=/ca.pem&ssl_check_hostname=false&charset=utf8mb4",
        );
        assert_eq!(s.tls.map(|t| t.setup.verify), Some(Verify::Chain));
        let s = settings("mysql+pymysql://u@h/d?ssl_ca=/ca.pem&ssl_disabled=false");
        assert!(
            s.tls.is_none(),
            "PyMySQL reads any ssl_disabled text as true"
        );
        let s = settings("mysql+pymysql://u@h/d?ssl_verify_identity=false");
        assert_eq!(s.tls.map(|t| t.setup.verify), Some(Verify::Chain));
    }

    #[test]
    fn query_parts_replace_the_url_per_driver() {
        let db = |url: &str| settings(url).database;
        assert_eq!(db("mysql+pymysql://u@h/a?database=b").as_deref(), Some("b"));
        assert_eq!(db("mysql+pymysql://u@h/a?db=b").as_deref(), Some("a"));
        assert_eq!(db("mysql+aiomysql://u@h/a?db=b").as_deref(), Some("b"));
        assert_eq!(db("mysql://u@h/a?db=b").as_deref(), Some("b"));
        assert_eq!(db("mysql://u@h/a?database=b").as_deref(), Some("a"));
        refused(
            resolve,
            &[
                ("mysql+aiomysql://u@h/a?database=b", &["TypeError"]),
                ("mysql://u@h/a?port=3307", &["host:PORT"]),
            ],
        );
    }
}
