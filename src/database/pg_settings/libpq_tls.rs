//! libpq's TLS decisions, and the ones asyncpg makes the same way
//! (protocol versions).

use std::path::{Path, PathBuf};

use super::given::{Given, one_of, param, unsupported};
use super::{Ssl, Tls};
use crate::database::query::{Query, bad};
use crate::database::tls::{self, ClientCert, Roots, Setup, Verify};
use crate::database::{DbError, DbErrorKind};

/// libpq's TLS decisions (`fe-secure-openssl.c`), for a TCP connection.
pub(super) fn decide(q: &mut Query<'_>, is_socket: bool) -> Result<Tls, DbError> {
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
        Some(g) => (ssl_mode(g, &g.value, "")?, g.label()),
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
    Tls::new(mode, label, trust_hint, is_socket, |label| {
        let mut setup = versions_setup(min.as_ref(), max.as_ref())?;
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

        // libpq sends SNI unless sslsni is set to something other than 1.
        setup.sni = sni.as_ref().is_none_or(|g| g.value.starts_with('1'));
        // Trusted roots: the named file, or ~/.postgresql/root.crt, if it exists.
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
                let shown = shown_root(root_path.as_deref());
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
        if setup.verify != Verify::Nothing && !system {
            refuse_root_crl("libpq")?;
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
        Ok(setup)
    })
}

/// The SSL mode `g` names (spelled `value` as the driver reads it), else
/// an `invalid … value` error that ends with `hint`.
pub(super) fn ssl_mode(g: &Given, value: &str, hint: &str) -> Result<Ssl, DbError> {
    Ssl::parse(value).ok_or_else(|| {
        bad(format!(
            "invalid {} value \"{}\": use disable, allow, prefer, require, verify-ca or verify-full{hint}",
            g.from,
            g.value.escape_debug()
        ))
    })
}

/// The root certificate file named in messages: `path`, or libpq's default.
pub(super) fn shown_root(path: Option<&Path>) -> String {
    path.map_or_else(
        || "~/.postgresql/root.crt".to_string(),
        |p| p.display().to_string(),
    )
}

/// An error when `~/.postgresql/root.crl` exists: `driver` would check the
/// server's certificate against it, and db-status cannot.
pub(super) fn refuse_root_crl(driver: &str) -> Result<(), DbError> {
    if tls::dot_postgresql("root.crl").is_some_and(|p| p.exists()) {
        return Err(DbError::new(
            DbErrorKind::Tls,
            format!(
                "~/.postgresql/root.crl exists and {driver} would check it: db-status cannot check \
                 certificate revocation lists; move the file away to connect without the check"
            ),
        ));
    }
    Ok(())
}

/// An encrypt-only setup limited to the protocol versions `min` and `max`
/// allow (see [`protocol_versions`]).
pub(super) fn versions_setup(min: Option<&Given>, max: Option<&Given>) -> Result<Setup, DbError> {
    let (tls12, tls13) = protocol_versions(min, max)?;
    Ok(Setup {
        tls12,
        tls13,
        ..Setup::encrypt_only()
    })
}

/// libpq's `ssl_min_protocol_version` / `ssl_max_protocol_version`:
/// which of TLS 1.2 and 1.3 may be used.
pub(super) fn protocol_versions(
    min: Option<&Given>,
    max: Option<&Given>,
) -> Result<(bool, bool), DbError> {
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
