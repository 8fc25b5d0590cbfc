//! The settings asyncpg reads beyond the endpoint (it has its own TLS
//! rules and reads no `PGOPTIONS`), and the parameters it refuses.

use std::path::PathBuf;

use super::endpoint::{endpoint, os_user_by_env};
use super::given::{env, env_given, one_of, param};
use super::libpq_tls::{refuse_root_crl, shown_root, ssl_mode, versions_setup};
use super::{Settings, Ssl, Tls};
use crate::database::query::{Query, bad};
use crate::database::tls::{self, ClientCert, Roots, Verify};
use crate::database::{DbError, DbErrorKind, DbUrl};

/// Why an asyncpg query parameter is refused.
pub(super) fn unknown(key: &str) -> String {
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

/// Resolve the settings of `url` as asyncpg does.
pub(super) fn resolve(url: &DbUrl, q: &mut Query<'_>) -> Result<Settings, DbError> {
    let endpoint = endpoint(url, q, "database", os_user_by_env)?;
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
    let tls = decide_tls(q, endpoint.is_socket())?;
    // asyncpg reads no hostaddr, options or channel_binding: the endpoint's
    // defaults are its own.
    Ok(endpoint.settings(url, tls, None))
}

/// asyncpg's TLS decisions (`connect_utils._parse_connect_dsn_and_args`).
fn decide_tls(q: &mut Query<'_>, is_socket: bool) -> Result<Tls, DbError> {
    let given = param(q, "ssl", Some("PGSSLMODE"))?;
    let (mode, label) = match &given {
        None => (Ssl::Prefer, "ssl=prefer (default)".to_string()),
        Some(g) => {
            let hint = match g.value.to_ascii_lowercase().as_str() {
                "true" | "false" | "1" | "0" | "yes" | "no" | "on" | "off" => format!(
                    ": asyncpg fails on {} in a URL, it takes a mode name there (ssl=True in connect_args means verify-full)",
                    g.label()
                ),
                _ => String::new(),
            };
            // asyncpg accepts `verify_full` as well as `verify-full`.
            let mode = ssl_mode(g, &g.value.replace('_', "-"), &hint)?;
            (mode, g.label())
        }
    };
    let trust_hint = "set PGSSLROOTCERT=FILE (or ~/.postgresql/root.crt) to trust the server's CA, or use a weaker ssl mode";
    Tls::new(mode, label, trust_hint, is_socket, |label| {
        let min = env_given("PGSSLMINPROTOCOLVERSION");
        let max = env_given("PGSSLMAXPROTOCOLVERSION");
        let mut setup = versions_setup(min.as_ref(), max.as_ref())?;
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
                    let shown = shown_root(tls::dot_postgresql("root.crt").as_deref());
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
            if root.is_some() {
                refuse_root_crl("asyncpg")?;
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
        Ok(setup)
    })
}
