//! Fuzz target for the SQLAlchemy URL parser (`database::url`).
//!
//! Invariants: parsing never panics; the masked form, the `Debug` form and
//! any error never depend on the password (so they cannot leak it); and a
//! URL built as `scheme://user:SECRET@rest` always yields exactly that
//! password while nothing printable contains it.

#![no_main]

use db_status::database::url::DbUrl;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "Zq9S3cr3tPa55";

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    arbitrary_url(input);
    with_known_password(input);
});

/// Whatever the input, nothing printable may depend on the password.
fn arbitrary_url(input: &str) {
    let Ok(url) = DbUrl::parse(input) else {
        return;
    };
    if url.password.is_none() {
        return;
    }
    let mut other = url.clone();
    other.password = Some(format!(
        "{}-different",
        url.password.as_deref().unwrap_or("")
    ));
    assert_eq!(
        url.masked(),
        other.masked(),
        "masked() depends on the password"
    );
    assert_eq!(
        format!("{url:?}"),
        format!("{other:?}"),
        "Debug depends on the password"
    );
    let errors = (
        url.backend().err().map(|e| e.to_string()),
        other.backend().err().map(|e| e.to_string()),
    );
    assert_eq!(
        errors.0, errors.1,
        "backend() error depends on the password"
    );
}

/// `scheme://user:SECRET@rest` with a user name free of `:` and `/` must
/// always be split with SECRET as the password, and no rendering shows it.
fn with_known_password(input: &str) {
    // scheme | user | rest, separated by the first two newlines.
    let mut parts = input.splitn(3, '\n');
    let scheme = parts.next().unwrap_or("");
    let user = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    let scheme_ok = scheme
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '+');
    if !scheme_ok || user.contains([':', '/']) || rest.contains(SECRET) {
        return;
    }
    let scheme = if scheme.is_empty() {
        "postgresql"
    } else {
        scheme
    };
    let full = format!("{scheme}://{user}:{SECRET}@{rest}");
    match DbUrl::parse(&full) {
        Ok(url) => {
            assert_eq!(
                url.password.as_deref(),
                Some(SECRET),
                "{full:?} split wrongly"
            );
            let masked = url.masked();
            assert!(!masked.contains(SECRET), "masked leaks: {masked}");
            let debug = format!("{url:?}");
            assert!(!debug.contains(SECRET), "Debug leaks: {debug}");
            if let Err(e) = url.backend() {
                let msg = e.to_string();
                assert!(!msg.contains(SECRET), "backend() error leaks: {msg}");
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains(SECRET), "parse error leaks: {msg}");
            let debug = format!("{e:?}");
            assert!(!debug.contains(SECRET), "parse error Debug leaks: {debug}");
        }
    }
}
