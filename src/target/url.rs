//! A target's database URL, from the component's own sources in the order
//! of the module docs of [`crate::target`].

use super::{Component, UrlSource, env_suffix, project_file_shown};
use crate::config::components::UrlOverride;
use crate::database::{DbError, DbErrorKind, DbUrl};
use crate::envpy::EnvUrl;

/// A target's database URL.
#[derive(Debug, Clone)]
pub(crate) enum TargetUrl {
    /// A URL, parsed.
    Given {
        /// The URL (holds the password; never print it, see [`DbUrl::masked`]).
        url: DbUrl,
        /// Where it came from.
        source: UrlSource,
    },
    /// A URL source that could not be used (unparsable URL, unset `url_env`).
    Invalid {
        /// Where it came from.
        source: UrlSource,
        /// Why it cannot be used.
        error: DbError,
    },
    /// No URL from any source.
    Missing,
}

impl TargetUrl {
    pub(super) fn from_raw(raw: &str, source: UrlSource) -> TargetUrl {
        match DbUrl::parse(raw) {
            Ok(url) => TargetUrl::Given { url, source },
            Err(error) => TargetUrl::Invalid { source, error },
        }
    }

    /// Where the URL came from, when there is one.
    pub(crate) fn source(&self) -> Option<&UrlSource> {
        match self {
            TargetUrl::Given { source, .. } | TargetUrl::Invalid { source, .. } => Some(source),
            TargetUrl::Missing => None,
        }
    }
}

/// The URL of `component` from its own sources (precedence 2, 3, 5 and 6
/// of the module docs), with `bare` (`DB_STATUS_URL`, one component only)
/// at 4, and the notes it calls for.
pub(super) fn component_url(
    component: &Component,
    bare_env: Option<&str>,
) -> (TargetUrl, Vec<String>) {
    let env = &component.workspace.env;
    let name = component.name();
    let var = format!("DB_STATUS_URL_{}", env_suffix(name));
    if let Some(raw) = env.get(&var) {
        return (TargetUrl::from_raw(raw, UrlSource::Env { var }), Vec::new());
    }
    let project_file = || project_file_shown(&component.workspace.root);
    match &component.spec.url {
        Some(UrlOverride::Url(u)) => {
            let source = UrlSource::ProjectUrl {
                file: project_file(),
            };
            return (TargetUrl::from_raw(u, source), Vec::new());
        }
        Some(UrlOverride::Env(var)) => {
            let source = UrlSource::ProjectEnv {
                var: var.clone(),
                file: project_file(),
            };
            let url = match env.get(var) {
                Some(raw) => TargetUrl::from_raw(raw, source),
                None => TargetUrl::Invalid {
                    error: DbError::new(
                        DbErrorKind::BadUrl,
                        format!(
                            "the environment variable {var} (url_env of component {name} in {}) is not set",
                            project_file()
                        ),
                    ),
                    source,
                },
            };
            return (url, Vec::new());
        }
        None => {}
    }
    if let Some(raw) = bare_env {
        let source = UrlSource::Env {
            var: "DB_STATUS_URL".to_string(),
        };
        return (TargetUrl::from_raw(raw, source), Vec::new());
    }
    // What env.py reads, when it can be read; else why not, for the fallback.
    // (source, why, whether to say it when the ini's URL is used instead)
    let mut unusable: Option<(UrlSource, String, bool)> = None;
    if let Some(e) = component.env_py()
        && let Some(u) = &e.url
    {
        let file = component.env_py_shown(e);
        let pass = format!(
            "pass the URL with --url, DB_STATUS_URL_{} or url_env in db-status.toml",
            env_suffix(name)
        );
        match u {
            EnvUrl::Literal { url, line } => {
                let source = UrlSource::EnvPy {
                    var: None,
                    file,
                    line: *line,
                };
                return (TargetUrl::from_raw(url, source), Vec::new());
            }
            EnvUrl::Var {
                var,
                default,
                else_ini,
                line,
            } => {
                let literal = default.as_deref().filter(|_| env.get(var).is_none());
                let source = UrlSource::EnvPy {
                    var: literal.is_none().then(|| var.clone()),
                    file: file.clone(),
                    line: *line,
                };
                if let Some(raw) = env.get(var).or(literal) {
                    return (TargetUrl::from_raw(raw, source), Vec::new());
                }
                unusable = Some((
                    source,
                    format!(
                        "{file}:{line} takes the database URL from the environment variable {var}, which is not set: set {var}, or {pass}"
                    ),
                    // `os.getenv("X") or <the ini's URL>`: Alembic uses the ini's too.
                    !else_ini,
                ));
            }
            EnvUrl::Unreadable { line, expr } => {
                unusable = Some((
                    UrlSource::EnvPy {
                        var: None,
                        file: file.clone(),
                        line: *line,
                    },
                    format!(
                        "{file}:{line} builds the database URL from {expr}, which db-status cannot read without running Python: {pass}"
                    ),
                    true,
                ));
            }
        }
    }
    match (ini_url(component), unusable) {
        (TargetUrl::Missing, Some((source, message, _))) => (
            TargetUrl::Invalid {
                source,
                error: DbError::new(DbErrorKind::BadUrl, message),
            },
            Vec::new(),
        ),
        (url, Some((_, message, true))) => (
            url,
            vec![format!(
                "{message} (sqlalchemy.url of the ini is checked instead, which may not be the database Alembic uses)"
            )],
        ),
        (url, _) => (url, Vec::new()),
    }
}

/// `sqlalchemy.url` of the component's ini (precedence 6).
fn ini_url(component: &Component) -> TargetUrl {
    let Ok(config) = &component.config else {
        return TargetUrl::Missing;
    };
    let file = component
        .config_shown
        .clone()
        .unwrap_or_else(|| config.ini_name.clone());
    if let Some(what) = &config.sqlalchemy_url_error {
        let error = DbError::new(
            DbErrorKind::BadUrl,
            format!(
                "sqlalchemy.url in {file} cannot be read as Alembic reads it (its %-interpolation fails): {what}"
            ),
        );
        return TargetUrl::Invalid {
            source: UrlSource::Ini { file },
            error,
        };
    }
    match config
        .sqlalchemy_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        Some(raw) => TargetUrl::from_raw(raw, UrlSource::Ini { file }),
        None => TargetUrl::Missing,
    }
}
