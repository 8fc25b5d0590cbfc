//! SQLAlchemy URLs (`dialect+driver://user:pass@host:port/db?k=v`), parsed
//! like `sqlalchemy.engine.url.make_url`, and rendered with the password
//! masked exactly like `URL.render_as_string(hide_password=True)`.
//!
//! The parser is a hand-written equivalent of the regular expression in
//! SQLAlchemy's `_parse_url` (2.x), including its backtracking choices, so
//! that odd URLs (an `@` inside the user name, a `/` inside the password) are
//! split the same way Alembic would split them.

use percent_encoding::percent_decode_str;

use super::{DbError, DbErrorKind};

/// A parsed SQLAlchemy URL.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// The whole drivername, e.g. `postgresql+asyncpg`.
    pub drivername: String,
    /// Decoded user name.
    pub username: Option<String>,
    /// Decoded password (never printed; see [`DbUrl::masked`]).
    pub password: Option<String>,
    /// Host (IPv6 without brackets).
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database name or SQLite path, decoded.
    pub database: Option<String>,
    /// Query parameters in the order given (decoded); a key may repeat.
    pub query: Vec<(String, String)>,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output must never leak the password either.
        write!(f, "DbUrl({})", self.masked())
    }
}

/// The database families db-status can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (`postgresql`, `postgres`, any `+driver`).
    Postgres,
    /// MySQL or MariaDB (`mysql`, `mariadb`, any `+driver`).
    MySql,
    /// SQLite (`sqlite`, any `+driver`).
    Sqlite,
}

impl Backend {
    /// Human name of the backend, for messages.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL/MariaDB",
            Backend::Sqlite => "SQLite",
        }
    }
}

fn bad_url(message: String) -> DbError {
    DbError {
        kind: DbErrorKind::BadUrl,
        message,
    }
}

impl DbUrl {
    /// Parse a URL the way `sqlalchemy.engine.url.make_url` does.
    ///
    /// Errors (kind [`DbErrorKind::BadUrl`]) never include the URL itself,
    /// since it may carry a password.
    pub fn parse(input: &str) -> Result<DbUrl, DbError> {
        let (name_len, rest) = match split_name(input) {
            Some(parts) => parts,
            None => {
                return Err(bad_url(
                    "could not parse the database URL: expected `dialect[+driver]://…` \
                     (for example postgresql://user@host:5432/dbname)"
                        .to_string(),
                ));
            }
        };
        let drivername = input.get(..name_len).unwrap_or_default().to_string();
        let (user_raw, pass_raw, rest) = split_userinfo(rest);
        let (host, port_raw, rest) = split_host_port(rest);
        let (db_raw, rest) = match rest.strip_prefix('/') {
            Some(after) => {
                let end = after.find('?').unwrap_or(after.len());
                (Some(&after[..end]), &after[end..])
            }
            None => (None, rest),
        };
        let query_raw = rest.strip_prefix('?').map(|q| {
            // Python's `.` does not match a newline: the query stops there.
            q.split('\n').next().unwrap_or_default()
        });

        let port = match port_raw {
            None => None,
            Some(raw) => Some(parse_port(raw)?),
        };

        Ok(DbUrl {
            drivername,
            username: user_raw.map(unquote),
            password: pass_raw.map(unquote),
            host: host.map(str::to_string),
            port,
            database: db_raw.map(unquote),
            query: query_raw.map(parse_qsl).unwrap_or_default(),
        })
    }

    /// The URL with the password replaced by `***`, as SQLAlchemy renders it
    /// (`render_as_string(hide_password=True)`: query keys sorted, user quoted).
    pub fn masked(&self) -> String {
        let mut s = format!("{}://", self.drivername);
        if let Some(user) = &self.username {
            s.push_str(&quote(user, b" +"));
            if self.password.is_some() {
                s.push_str(":***");
            }
            s.push('@');
        }
        if let Some(host) = &self.host {
            // An unencoded `@` in a password (`u:S3cr@t@db/x`) leaves part of
            // the password in what SQLAlchemy calls the host: hide it too.
            if let Some((_, real_host)) = host.rsplit_once('@') {
                s.push_str("***@");
                s.push_str(real_host);
            } else if host.contains(':') {
                s.push('[');
                s.push_str(host);
                s.push(']');
            } else {
                s.push_str(host);
            }
        }
        if let Some(port) = self.port {
            s.push(':');
            s.push_str(&port.to_string());
        }
        if let Some(db) = &self.database {
            s.push('/');
            s.push_str(&quote(db, b" +/"));
        }
        if !self.query.is_empty() {
            // Keys sorted, values of a repeated key kept in the order given
            // (SQLAlchemy groups them into a list under the first occurrence).
            let mut keys: Vec<&str> = Vec::new();
            for (k, _) in &self.query {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
            keys.sort_unstable();
            let mut parts = Vec::new();
            for key in keys {
                for (k, v) in &self.query {
                    if k == key {
                        // Passwords given as query parameters: SQLAlchemy
                        // would print them, we must not.
                        let v = if is_secret_key(k) {
                            "***".to_string()
                        } else {
                            quote_plus(v)
                        };
                        parts.push(format!("{}={v}", quote_plus(k)));
                    }
                }
            }
            s.push('?');
            s.push_str(&parts.join("&"));
        }
        s
    }

    /// The dialect part of the drivername (`postgresql` for `postgresql+asyncpg`).
    pub(crate) fn dialect(&self) -> &str {
        self.drivername
            .split('+')
            .next()
            .unwrap_or(&self.drivername)
    }

    /// The driver part of the drivername, if any (`asyncpg` for `postgresql+asyncpg`).
    pub(crate) fn driver(&self) -> Option<&str> {
        self.drivername.split_once('+').map(|(_, d)| d)
    }

    /// Which backend this URL names, or a [`DbErrorKind::BadUrl`] error.
    pub fn backend(&self) -> Result<Backend, DbError> {
        match self.dialect().to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" | "psycopg2" | "pgsql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            "sqlite" => Ok(Backend::Sqlite),
            _ => Err(bad_url(format!(
                "unsupported database `{}`: db-status reads PostgreSQL, MySQL/MariaDB and SQLite",
                self.drivername
            ))),
        }
    }

    /// The first value given for query parameter `key`.
    pub(crate) fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Query parameters whose value is a password (libpq `password` and
/// `sslpassword`, MySQL drivers' `passwd` and `ssl_key_password`).
pub(crate) fn is_secret_key(key: &str) -> bool {
    matches!(
        key,
        "password" | "passwd" | "sslpassword" | "ssl_key_password"
    )
}

/// Where the password lies in `rest`, the text after `scheme://`, split as
/// [`DbUrl::parse`] splits it: byte offsets `(start, end)`, extended over
/// the part of an unencoded `@`-password that SQLAlchemy puts in the host.
/// `None` when the URL carries no password.
pub(crate) fn password_span(rest: &str) -> Option<(usize, usize)> {
    let (user, pass, after) = split_userinfo(rest);
    let pass = pass?;
    let start = user.map_or(0, str::len) + 1;
    let mut end = start + pass.len();
    let (host, _, _) = split_host_port(after);
    if let Some(host) = host
        && !after.starts_with('[')
        && let Some(at) = host.rfind('@')
    {
        // `after` starts right after the `@` that ended the password.
        end = end + 1 + at;
    }
    Some((start, end))
}

/// `(?P<name>[\w\+]+)://`: returns the name length and what follows `://`.
fn split_name(input: &str) -> Option<(usize, &str)> {
    let len: usize = input
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '+')
        .map(char::len_utf8)
        .sum();
    if len == 0 {
        return None;
    }
    let rest = input.get(len..)?.strip_prefix("://")?;
    Some((len, rest))
}

/// `(?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?` with the regex's
/// backtracking order: the longest user name wins, trying a password first.
fn split_userinfo(s: &str) -> (Option<&str>, Option<&str>, &str) {
    let run = s.find([':', '/']).unwrap_or(s.len());
    // Longest user name: the whole run, followed by `:password@`.
    if s[run..].starts_with(':') {
        let after = &s[run + 1..];
        if let Some(at) = after.find('@') {
            return (Some(&s[..run]), Some(&after[..at]), &after[at + 1..]);
        }
    }
    // Otherwise the user name ends at the last `@` inside the run.
    if let Some(at) = s[..run].rfind('@') {
        return (Some(&s[..at]), None, &s[at + 1..]);
    }
    (None, None, s)
}

/// `(?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?`
fn split_host_port(s: &str) -> (Option<&str>, Option<&str>, &str) {
    let mut host = None;
    let mut rest = s;
    if let Some(inner) = s.strip_prefix('[') {
        let run = inner.find(['/', '?']).unwrap_or(inner.len());
        if let Some(close) = inner[..run].rfind(']').filter(|&i| i > 0) {
            host = Some(&inner[..close]);
            rest = &inner[close + 1..];
        }
    }
    if host.is_none() {
        let run = s.find(['/', ':', '?']).unwrap_or(s.len());
        if run > 0 {
            host = Some(&s[..run]);
            rest = &s[run..];
        }
    }
    let mut port = None;
    if let Some(after) = rest.strip_prefix(':') {
        let run = after.find(['/', '?']).unwrap_or(after.len());
        port = Some(&after[..run]);
        rest = &after[run..];
    }
    (host, port, rest)
}

/// The port, as Python's `int()` reads it ([`crate::python::int`]), limited
/// to what TCP can use.
fn parse_port(raw: &str) -> Result<u16, DbError> {
    match crate::python::int(raw).and_then(|v| u16::try_from(v).ok()) {
        Some(port) => Ok(port),
        // The text is not echoed: an unencoded `:` or `@` in a password
        // puts the rest of the password exactly here.
        None => Err(bad_url(
            "invalid port in the database URL: expected a number from 0 to 65535 \
             (if the password contains `@`, `:` or `/`, percent-encode them as %40, %3A, %2F)"
                .to_string(),
        )),
    }
}

/// `urllib.parse.unquote`: `%XX` decoded, invalid UTF-8 replaced.
fn unquote(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// `urllib.parse.parse_qsl(q)` with its defaults: `&`-separated, blank values
/// dropped, `+` means space.
fn parse_qsl(q: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pair in q.split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        out.push((unquote(&k.replace('+', " ")), unquote(&v.replace('+', " "))));
    }
    out
}

/// `urllib.parse.quote(s, safe)`: UTF-8 bytes outside the always-safe set
/// and `safe` become `%XX`.
fn quote(s: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || safe.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `urllib.parse.quote_plus(s)`: like `quote(s, "")` but space becomes `+`.
fn quote_plus(s: &str) -> String {
    quote(s, b" ").replace(' ', "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DbUrl {
        match DbUrl::parse(s) {
            Ok(u) => u,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn full_url() {
        let u = p("postgresql+psycopg2://us%40er:p%3Ass@db.example:5433/app?sslmode=require");
        assert_eq!(u.drivername, "postgresql+psycopg2");
        assert_eq!(u.username.as_deref(), Some("us@er"));
        assert_eq!(u.password.as_deref(), Some("p:ss"));
        assert_eq!(u.host.as_deref(), Some("db.example"));
        assert_eq!(u.port, Some(5433));
        assert_eq!(u.database.as_deref(), Some("app"));
        assert_eq!(u.query_value("sslmode"), Some("require"));
        assert_eq!(
            u.masked(),
            "postgresql+psycopg2://us%40er:***@db.example:5433/app?sslmode=require"
        );
        assert_eq!(u.backend(), Ok(Backend::Postgres));
        assert_eq!(u.driver(), Some("psycopg2"));
    }

    #[test]
    fn at_sign_in_user_and_slash_in_password() {
        let u = p("mysql://a@b:pa/ss@h/db");
        assert_eq!(u.username.as_deref(), Some("a@b"));
        assert_eq!(u.password.as_deref(), Some("pa/ss"));
        assert_eq!(u.host.as_deref(), Some("h"));
        let u = p("mysql://a@b@h/db");
        assert_eq!(u.username.as_deref(), Some("a@b"));
        assert_eq!(u.password, None);
    }

    #[test]
    fn ipv6_and_sockets() {
        let u = p("postgresql://u@[::1]:5432/db");
        assert_eq!(u.host.as_deref(), Some("::1"));
        assert_eq!(u.masked(), "postgresql://u@[::1]:5432/db");
        let u = p("postgresql://u@/db?host=/run/postgresql&host=/tmp");
        assert_eq!(u.host, None);
        assert_eq!(
            u.query,
            vec![
                ("host".to_string(), "/run/postgresql".to_string()),
                ("host".to_string(), "/tmp".to_string())
            ]
        );
        assert_eq!(
            u.masked(),
            "postgresql://u@/db?host=%2Frun%2Fpostgresql&host=%2Ftmp"
        );
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(p("sqlite://").database, None);
        assert_eq!(p("sqlite:///rel.db").database.as_deref(), Some("rel.db"));
        assert_eq!(
            p("sqlite:////abs/x.db").database.as_deref(),
            Some("/abs/x.db")
        );
        assert_eq!(p("sqlite:////abs/x.db").masked(), "sqlite:////abs/x.db");
        let u = p("sqlite+pysqlite:///file:x.db?mode=ro&uri=true");
        assert_eq!(u.database.as_deref(), Some("file:x.db"));
        // SQLAlchemy quotes the `:` of the database part (checked against 2.1).
        assert_eq!(
            u.masked(),
            "sqlite+pysqlite:///file%3Ax.db?mode=ro&uri=true"
        );
    }

    #[test]
    fn query_sorted_blank_dropped_plus_space() {
        let u = p("mysql://h/d?b=2&a=x+y&c=&d");
        assert_eq!(
            u.query,
            vec![
                ("b".to_string(), "2".to_string()),
                ("a".to_string(), "x y".to_string())
            ]
        );
        assert_eq!(u.masked(), "mysql://h/d?a=x+y&b=2");
    }

    #[test]
    fn bad_urls() {
        for bad in [
            "",
            "postgresql:/x",
            "://h",
            "post-gres://h",
            "pg://h:x/d",
            "pg://h:/d",
            "pg://h:70000/",
        ] {
            let err = DbUrl::parse(bad).err();
            assert_eq!(err.map(|e| e.kind), Some(DbErrorKind::BadUrl), "{bad}");
        }
        let err = p("oracle://u:secretpw@h/d").backend().err();
        let msg = err.map(|e| e.message).unwrap_or_default();
        assert!(msg.contains("unsupported database `oracle`"), "{msg}");
        assert!(!msg.contains("secretpw"), "{msg}");
    }

    #[test]
    fn password_parameters_are_masked() {
        let u = p("postgresql://u@h/d?sslpassword=k3y&password=pw&sslmode=require");
        assert_eq!(
            u.masked(),
            "postgresql://u@h/d?password=***&sslmode=require&sslpassword=***"
        );
        let u = p("mysql+pymysql://u@h/d?passwd=pw&ssl_key_password=k3y");
        assert_eq!(
            u.masked(),
            "mysql+pymysql://u@h/d?passwd=***&ssl_key_password=***"
        );
    }

    #[test]
    fn password_spans() {
        assert_eq!(password_span("u:pw@h/d"), Some((2, 4)));
        assert_eq!(password_span("u:S3cr@Pa55@h/d"), Some((2, 11)));
        assert_eq!(password_span("u@h/d"), None);
        assert_eq!(password_span("a@b:pa/ss@h/db"), Some((4, 9)));
    }

    #[test]
    fn debug_hides_password() {
        let u = p("postgresql://u:hunter2@h/d");
        assert!(!format!("{u:?}").contains("hunter2"));
    }
}
