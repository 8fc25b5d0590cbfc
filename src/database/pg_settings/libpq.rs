//! The settings libpq-based drivers (psycopg2, psycopg 3, psycopg2cffi)
//! read beyond the endpoint, and the parameters libpq refuses.

use std::net::IpAddr;

use super::endpoint::{endpoint, os_user_by_uid};
use super::given::{env, one_of, param, unsupported};
use super::{ChannelBinding, Settings, libpq_tls};
use crate::database::query::{Query, bad};
use crate::database::{DbError, DbUrl};

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
pub(super) fn unknown(key: &str) -> String {
    match key {
        "service" => "db-status does not read pg_service.conf; put the settings of the service in the URL".into(),
        "sslcrl" | "sslcrldir" => "db-status cannot check certificate revocation lists; remove it to connect without the check".into(),
        "requirepeer" | "require_auth" | "replication" => "db-status cannot honour it; remove it".into(),
        "ssl" => "libpq rejects it too (invalid connection option \"ssl\"): it is asyncpg's spelling; with libpq use sslmode=".into(),
        "database" => "libpq rejects it too (invalid connection option \"database\"): use dbname= or the URL path".into(),
        _ => format!("libpq rejects it too (invalid connection option \"{}\"); remove it", key.escape_debug()),
    }
}

/// Resolve the settings of `url` as libpq does.
pub(super) fn resolve(url: &DbUrl, q: &mut Query<'_>) -> Result<Settings, DbError> {
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
    let endpoint = endpoint(url, q, "dbname", os_user_by_uid)?;
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

    let tls = libpq_tls::decide(q, endpoint.is_socket())?;
    Ok(Settings {
        hostaddr,
        options,
        channel_binding,
        ..endpoint.settings(url, tls, sslpassword)
    })
}
