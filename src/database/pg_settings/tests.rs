//! Resolution of libpq and asyncpg URLs: spellings, errors, precedence.

use super::given::Given;
use super::libpq_tls::protocol_versions;
use super::*;
use crate::database::query::check::{refused, resolved};

fn settings(url: &str) -> Settings {
    resolved(resolve, url)
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
    let s = settings("postgresql+psycopg2://me@/app?host=/run/pg&sslmode=disable");
    assert!(s.is_socket());
    assert_eq!(s.database, "app");
    assert_eq!(s.target(), "socket /run/pg/.s.PGSQL.5432");
}

#[test]
fn query_parameters_override_the_url_like_sqlalchemy() {
    let s =
        settings("postgresql://u@h1:1/d1?host=h2:2&dbname=d2&user=u2&options=-csearch_path%3Dt1");
    assert_eq!((s.host.as_str(), s.port), ("h2", 2));
    assert_eq!((s.user.as_str(), s.database.as_str()), ("u2", "d2"));
    assert_eq!(s.options.as_deref(), Some("-csearch_path=t1"));
}

#[test]
fn unknown_and_unsupported_parameters_are_named() {
    refused(
        resolve,
        &[
            (
                "postgresql://u@h/d?foo=1",
                &["\"foo\"", "invalid connection option"],
            ),
            (
                "postgresql+psycopg2://u@h/d?ssl=require",
                &["\"ssl\"", "sslmode="],
            ),
            ("postgresql://u@h/d?service=prod", &["pg_service.conf"]),
            (
                "postgresql://u@h/d?sslcrl=/x.crl&sslmode=require",
                &["\"sslcrl\"", "revocation"],
            ),
            ("postgresql://u@h/d?host=a&host=b", &["several hosts"]),
            (
                "postgresql://u@h/d?sslmode=Require",
                &["invalid sslmode value \"Require\""],
            ),
            (
                "postgresql://u@h/d?target_session_attrs=standby",
                &["target_session_attrs=standby"],
            ),
            (
                "postgresql+pg8000://u@h/d?timeout=3",
                &["\"timeout\"", "pg8000"],
            ),
        ],
    );
    // Known to make no difference to the read: accepted.
    let s = settings("postgresql://u@h/d?connect_timeout=3&application_name=x");
    assert_eq!(s.database, "d");
}

#[test]
fn asyncpg_spellings() {
    refused(
        resolve,
        &[
            (
                "postgresql+asyncpg://u@h/d?options=-csearch_path%3Dt1",
                &["\"options\"", "server_settings"],
            ),
            (
                "postgresql+asyncpg://u@h/d?sslmode=require",
                &["\"sslmode\"", "ssl=disable|allow"],
            ),
            (
                "postgresql+asyncpg://u@h/d?ssl=true",
                &["invalid ssl value \"true\"", "verify-full"],
            ),
        ],
    );
    let s = settings(
        "postgresql+asyncpg://u@h/d?ssl=require&database=other&prepared_statement_cache_size=0",
    );
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
