//! What libpq and asyncpg resolve alike: where to connect, as whom, to
//! which database, which session to accept, and the password.

use std::path::{Path, PathBuf};

use super::given::{Given, env, one_of, param};
use super::{ChannelBinding, Session, Settings, Tls};
use crate::database::query::{Query, bad};
use crate::database::{DbError, DbUrl, mask::Secrets, pgpass};

/// What libpq and asyncpg resolve alike: where to connect, as whom, to
/// which database, and which session to accept.
pub(super) struct Endpoint {
    host: String,
    port: u16,
    user: String,
    database: String,
    /// `password=` from the query (it wins over the URL's).
    query_password: Option<String>,
    /// `passfile=` / `PGPASSFILE`, else the default password file.
    passfile: Option<PathBuf>,
    session: Session,
}

impl Endpoint {
    /// Whether the connection goes over a unix socket.
    pub(super) fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// The settings for this endpoint over `tls`, with the password the
    /// driver finds and what messages must hide (`sslpassword` too). The
    /// settings only libpq reads are left as asyncpg has them: no
    /// `hostaddr`, no `options` (it does not read `PGOPTIONS`), channel
    /// binding `prefer`.
    pub(super) fn settings(self, url: &DbUrl, tls: Tls, sslpassword: Option<&str>) -> Settings {
        let settings = Settings {
            host: self.host,
            hostaddr: None,
            port: self.port,
            user: self.user,
            database: self.database,
            password: self.query_password,
            options: None,
            tls,
            channel_binding: ChannelBinding::Prefer,
            session: self.session,
            secrets: Secrets::new(),
        };
        with_password(settings, url, self.passfile, sslpassword)
    }
}

/// Query parameter first (SQLAlchemy lets it replace the URL's part), then
/// the URL, then `PG*`, then the default. The database parameter is
/// `dbname` for libpq and `database` for asyncpg; the default user is the
/// operating-system user as each finds it.
pub(super) fn endpoint(
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
pub(super) fn os_user_by_uid() -> Option<String> {
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
pub(super) fn os_user_by_env() -> Option<String> {
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
