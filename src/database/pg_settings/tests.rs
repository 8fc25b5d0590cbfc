//! Resolution of libpq and asyncpg URLs: spellings, errors, precedence.

use super::given::Given;
use super::libpq_tls::protocol_versions;
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
    let Ok(s) =
        settings("postgresql://u@h1:1/d1?host=h2:2&dbname=d2&user=u2&options=-csearch_path%3Dt1")
    else {
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
