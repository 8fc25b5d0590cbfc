//! Stage 1b: what the project's `env.py` passes to Alembic, read statically
//! (no Python is run). Input: the `env.py` of a script directory; output:
//! an [`EnvPy`] with the `version_table`, `version_table_schema` and URL
//! that `env.py` uses, each with its line, or why it cannot be read.
//!
//! What is read:
//! - `context.configure(...)` calls at module level and in every function
//!   that module-level code reaches by name (`run_migrations_online()`,
//!   `asyncio.run(run_async_migrations())`, `connection.run_sync(do_run)`,
//!   helpers), with their `version_table`, `version_table_schema` and
//!   `url` keywords;
//! - where the URL comes from: `context.configure(url=…)`,
//!   `config.set_main_option("sqlalchemy.url", …)`, `create_engine(…)`,
//!   `engine_from_config(…)` (the ini's `sqlalchemy.url`);
//! - each value as a literal, a variable (local, then module-level)
//!   assigned one, an imported constant or class attribute (through
//!   [`imported`]), `os.environ["X"]`, `os.environ.get("X"[, default])` or
//!   `os.getenv("X"[, default])` for URLs;
//! - the offline and online paths apart (`if context.is_offline_mode():`
//!   … `else:` …, or the functions' names): the online path wins, as
//!   `alembic current` connects;
//! - multi-database `env.py`: Alembic's `multidb` template (the ini's
//!   `databases` option) and a module-level dict of URLs (Galaxy's
//!   `URLS = {GXY: …, TSI: …}`).
//!
//! Anything else (a call, `.format()`, an f-string, application settings)
//! is never guessed: it is [`Setting::Unreadable`], with its line.

mod analysis;
mod eval;
mod lex;
mod settings;

use std::path::{Path, PathBuf};

use analysis::Analysis;
use lex::logical_lines;

use crate::config::paths::SearchPath;
use crate::scripts::imports::{Resolved, Resolver};
use crate::scripts::scan::Value;

/// A value `env.py` passes, or why it cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Setting {
    /// A value read statically.
    Value {
        /// The value.
        value: String,
        /// The line of the `context.configure` call that passes it.
        line: u32,
    },
    /// A value only running `env.py` could tell.
    Unreadable {
        /// The line of the call (or assignment) that passes it.
        line: u32,
        /// The expression as written.
        expr: String,
        /// Why it cannot be read.
        why: String,
    },
}

/// Where `env.py` takes the database URL from, when not from the ini.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvUrl {
    /// A literal URL.
    Literal {
        /// The URL (may hold a password: never print it unmasked).
        url: String,
        /// Where it is written.
        line: u32,
    },
    /// An environment variable.
    Var {
        /// The variable.
        var: String,
        /// The literal default (`os.getenv("X", "…")`, `os.getenv("X") or "…"`), if any.
        default: Option<String>,
        /// Unset, the ini's URL is used (`os.getenv("X") or config.get_main_option("sqlalchemy.url")`).
        else_ini: bool,
        /// Where it is read.
        line: u32,
    },
    /// Built in a way only running `env.py` could tell.
    Unreadable {
        /// The line that builds it.
        line: u32,
        /// The expression as written.
        expr: String,
    },
}

/// A multi-database `env.py`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MultiDb {
    /// How it was recognised, for people ("Alembic's multidb template").
    pub(crate) how: &'static str,
    /// The databases' names, where they can be read.
    pub(crate) names: Vec<String>,
    /// The line that shows it.
    pub(crate) line: u32,
}

/// What `env.py` passes to Alembic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EnvPy {
    /// The file read.
    pub(crate) path: PathBuf,
    /// `version_table`, where `env.py` passes one.
    pub(crate) version_table: Option<Setting>,
    /// `version_table_schema`, where `env.py` passes one.
    pub(crate) version_table_schema: Option<Setting>,
    /// The URL, where `env.py` takes it from somewhere other than the ini.
    pub(crate) url: Option<EnvUrl>,
    /// Set when `env.py` migrates several databases.
    pub(crate) multidb: Option<MultiDb>,
    /// Facts worth saying (offline/online disagreement, a file that cannot
    /// be lexed), each with the line it is about.
    pub(crate) notes: Vec<(u32, String)>,
}

/// A value `env.py` takes from another module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportedName {
    /// The import statement that binds its first name, alone
    /// (`from airflow.providers.fab.auth_manager.models.db import FABDBManager`).
    pub(crate) statement: String,
    /// The module imported, for messages.
    pub(crate) module: String,
    /// The line of the import in `env.py`.
    pub(crate) line: u32,
    /// The name as `env.py` writes it (`FABDBManager.version_table_name`).
    pub(crate) dotted: String,
}

/// Resolve an imported name of `env_py` to a string literal through the
/// static import resolution of revision files ([`Resolver`]), on the
/// config's search path. The one place `env.py` consults it.
pub(crate) fn imported(
    resolver: &Resolver,
    env_py: &Path,
    name: &ImportedName,
) -> Result<String, String> {
    // The import alone, on its own line number, so that messages name
    // env.py's real line.
    let source = format!(
        "{}{}\n",
        "\n".repeat(name.line.saturating_sub(1) as usize),
        name.statement
    );
    let module = resolver
        .load_source(env_py, source.as_bytes())
        .map_err(|e| e.message)?;
    match module.lookup(resolver, &name.dotted) {
        Ok(Some(Resolved {
            value: Value::Str(s),
            ..
        })) => Ok(s),
        Ok(Some(r)) => Err(format!(
            "{} is {} in {}, not a string",
            name.dotted,
            r.value.describe(),
            r.trail
                .last()
                .map_or_else(|| name.module.clone(), ToString::to_string)
        )),
        Ok(None) => Err(format!(
            "{} is not bound by {}",
            name.dotted, name.statement
        )),
        Err(e) => Err(e.message),
    }
}

/// Read `env.py` at `path`. `None` when there is no such file (a sourceless
/// or generated environment): nothing is known, nothing is said.
/// `search` is where imported modules are looked for (the config's search
/// path); `None` follows no import.
pub(crate) fn read(
    path: &Path,
    ini_databases: Option<&str>,
    search: Option<&SearchPath>,
) -> Option<EnvPy> {
    let bytes = std::fs::read(path).ok()?;
    let mut env = EnvPy {
        path: path.to_path_buf(),
        ..EnvPy::default()
    };
    let text = match crate::scripts::scan::decode_source(&bytes) {
        Ok(t) => t.replace("\r\n", "\n"),
        Err(e) => {
            env.notes.push((
                e.line,
                format!(
                    "env.py cannot be decoded ({}); nothing in it was read",
                    e.message
                ),
            ));
            return Some(env);
        }
    };
    match logical_lines(&text) {
        Ok(lines) => {
            let resolver = search.map(|s| Resolver::new(s.clone()));
            Analysis::new(&text, lines, path, resolver.as_ref()).fill(&mut env, ini_databases)
        }
        Err((line, message)) => env.notes.push((
            line,
            format!("env.py cannot be read ({message}); nothing in it was read"),
        )),
    }
    Some(env)
}

#[cfg(test)]
mod tests;
