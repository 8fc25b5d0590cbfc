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
/// Same length and character classes as SECRET.
const OTHER: &str = "Xy7OtherPw11q";

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
/// always be split with SECRET as the password, and every rendering and
/// error must be the same as with another password of the same shape (so
/// none can contain it; a plain `contains` check would also flag a SECRET
/// that the fuzzer spelled into the scheme, user or host itself).
fn with_known_password(input: &str) {
    // scheme | user | rest, separated by the first two newlines.
    let mut parts = input.splitn(3, '\n');
    let scheme = parts.next().unwrap_or("");
    let user = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    let scheme_ok = scheme
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '+');
    if !scheme_ok || user.contains([':', '/']) {
        return;
    }
    let scheme = if scheme.is_empty() {
        "postgresql"
    } else {
        scheme
    };
    let full = format!("{scheme}://{user}:{SECRET}@{rest}");
    let other = format!("{scheme}://{user}:{OTHER}@{rest}");
    match (DbUrl::parse(&full), DbUrl::parse(&other)) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                a.password.as_deref(),
                Some(SECRET),
                "{full:?} split wrongly"
            );
            assert_eq!(a.masked(), b.masked(), "masked() shows the password");
            assert_eq!(
                format!("{a:?}"),
                format!("{b:?}"),
                "Debug shows the password"
            );
            assert_eq!(
                a.backend().err().map(|e| e.to_string()),
                b.backend().err().map(|e| e.to_string()),
                "backend() error shows the password"
            );
        }
        (Err(a), Err(b)) => {
            assert_eq!(
                a.to_string(),
                b.to_string(),
                "parse error shows the password"
            );
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "parse error Debug");
        }
        _ => panic!("the password decides whether {full:?} parses"),
    }
}
