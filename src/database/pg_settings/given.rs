//! One setting's value as libpq (and asyncpg) find it: from the URL query,
//! else from a `PG*` environment variable, with how the user spelled it
//! for messages.

use crate::database::DbError;
use crate::database::query::{Query, bad};

/// A value from the URL query or, failing that, an environment variable.
pub(super) struct Given {
    /// The value as given.
    pub(super) value: String,
    /// `sslmode` or `PGSSLMODE`: how the user spelled it.
    pub(super) from: String,
}

impl Given {
    /// `sslmode=require`: the setting as the user gave it.
    pub(super) fn label(&self) -> String {
        format!("{}={}", self.from, self.value)
    }
}

/// A non-empty environment variable (libpq treats an empty one as unset).
pub(super) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `key` from the query, else `var` from the environment.
pub(super) fn param(
    q: &mut Query<'_>,
    key: &str,
    var: Option<&str>,
) -> Result<Option<Given>, DbError> {
    if let Some(v) = q.take(key)? {
        return Ok(Some(Given {
            value: v.to_string(),
            from: key.to_string(),
        }));
    }
    Ok(var.and_then(|var| {
        env(var).map(|value| Given {
            value,
            from: var.to_string(),
        })
    }))
}

/// `var` from the environment.
pub(super) fn env_given(var: &str) -> Option<Given> {
    env(var).map(|value| Given {
        value,
        from: var.to_string(),
    })
}

/// A value that must be one of `allowed`, else libpq's `invalid … value`.
pub(super) fn one_of<'a>(
    given: &'a Option<Given>,
    default: &'a str,
    allowed: &[&str],
) -> Result<&'a str, DbError> {
    let Some(g) = given else { return Ok(default) };
    if allowed.contains(&g.value.as_str()) {
        Ok(g.value.as_str())
    } else {
        Err(bad(format!(
            "invalid {} value \"{}\": use {}",
            g.from,
            g.value.escape_debug(),
            crate::error::alternatives(allowed)
        )))
    }
}

/// An error for a setting db-status cannot follow, saying `what` it cannot do.
pub(super) fn unsupported(g: &Given, what: &str) -> DbError {
    bad(format!(
        "{} is not supported by db-status ({what}); remove it",
        g.label()
    ))
}
