//! The query part of a database URL as a driver receives it. Settings code
//! takes each parameter it honours or knows to make no difference to the
//! read; [`Query::finish`] turns every parameter left over into an error
//! that names it, so no parameter is ever ignored silently.

use super::{DbError, DbErrorKind, DbUrl};

/// The URL's query parameters, with a note of which were used.
pub(crate) struct Query<'a> {
    url: &'a DbUrl,
    used: Vec<bool>,
}

/// A [`DbErrorKind::BadUrl`] error.
pub(crate) fn bad(message: impl Into<String>) -> DbError {
    DbError::new(DbErrorKind::BadUrl, message)
}

impl<'a> Query<'a> {
    /// Track the query of `url`.
    pub(crate) fn new(url: &'a DbUrl) -> Query<'a> {
        Query {
            url,
            used: vec![false; url.query.len()],
        }
    }

    /// The value of `key`, marked as used. A key given twice reaches the
    /// driver as a list, which none of them reads as a setting: an error.
    pub(crate) fn take(&mut self, key: &str) -> Result<Option<&'a str>, DbError> {
        let values = self.take_all(key);
        match values.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(bad(format!(
                "URL parameter \"{key}\" is given {} times: give it once",
                values.len()
            ))),
        }
    }

    /// Every value of `key` in order, marked as used.
    pub(crate) fn take_all(&mut self, key: &str) -> Vec<&'a str> {
        let mut out = Vec::new();
        for (i, (k, v)) in self.url.query.iter().enumerate() {
            if k == key {
                self.used[i] = true;
                out.push(v.as_str());
            }
        }
        out
    }

    /// Mark `keys` as used: parameters that change nothing about what is read
    /// (timeouts, application name, client encoding…).
    pub(crate) fn no_effect(&mut self, keys: &[&str]) {
        for key in keys {
            self.take_all(key);
        }
    }

    /// An error for the first parameter nobody used; `why(key)` says what
    /// the driver does with it and what to do instead.
    pub(crate) fn finish(self, why: impl Fn(&str) -> String) -> Result<(), DbError> {
        match self
            .url
            .query
            .iter()
            .zip(&self.used)
            .find(|(_, used)| !**used)
        {
            None => Ok(()),
            Some(((key, _), _)) => Err(bad(format!(
                "URL parameter \"{}\" is not supported with {}: {}",
                key.escape_debug(),
                self.url.drivername,
                why(key)
            ))),
        }
    }
}

/// Test support for the settings modules: resolve a URL, or expect it refused.
#[cfg(test)]
pub(crate) mod check {
    use crate::database::{DbError, DbUrl};

    /// The settings `resolve` finds for `url`; panics with the error otherwise.
    pub(crate) fn resolved<S>(resolve: fn(&DbUrl) -> Result<S, DbError>, url: &str) -> S {
        match DbUrl::parse(url).and_then(|u| resolve(&u)) {
            Ok(settings) => settings,
            Err(e) => panic!("{url}: {}", e.message),
        }
    }

    /// Asserts that `resolve` refuses each URL with a message that contains
    /// every one of its needles.
    pub(crate) fn refused<S>(resolve: fn(&DbUrl) -> Result<S, DbError>, cases: &[(&str, &[&str])]) {
        for (url, needles) in cases {
            let Err(e) = DbUrl::parse(url).and_then(|u| resolve(&u)) else {
                panic!("{url}: resolved, expected a refusal");
            };
            for needle in *needles {
                assert!(e.message.contains(needle), "{url}: {}", e.message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_and_repeats_are_errors() {
        let url = DbUrl::parse("postgresql://h/d?a=1&b=2&b=3&c=4");
        let Ok(url) = url else { panic!("parse") };
        let mut q = Query::new(&url);
        assert_eq!(q.take("a").ok().flatten(), Some("1"));
        assert!(q.take("b").is_err());
        let err = q.finish(|k| format!("why {k}")).err();
        let msg = err.map(|e| e.message).unwrap_or_default();
        assert_eq!(
            msg,
            "URL parameter \"c\" is not supported with postgresql: why c"
        );
        let mut q = Query::new(&url);
        q.no_effect(&["a", "b", "c"]);
        assert!(q.finish(|_| String::new()).is_ok());
    }
}
