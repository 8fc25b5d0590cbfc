//! Stage 1: configuration. Reads `alembic.ini` (configparser semantics, see
//! [`ini`]) and `[tool.alembic]` in `pyproject.toml` exactly as Alembic 1.20
//! does, resolves `script_location` (path or `package.module:dir`, without
//! Python) and `version_locations`, and yields an [`AlembicConfig`].
//! `components` maps component names (Backend.AI built-ins, `db-status.toml`)
//! to ini files.
//!
//! `load` follows `CommandLine._inis_from_config` and
//! `ScriptDirectory.from_config` (alembic/config.py, alembic/script/base.py)
//! step by step and in the same order, so the first error Alembic would
//! hit is the one reported: [`ConfigError::Command`] carries Alembic's exact
//! `FAILED:` text, [`ConfigError::Crash`] stands for a Python traceback and
//! names the file, line and option. `tests/integration/config_alembic.rs` checks this
//! against Alembic itself.
//!
//! Where db-status knowingly differs from Alembic:
//! - `package.module:dir` is located by walking directories like the import
//!   system (regular packages, namespace packages, `.pth` entries) instead of
//!   importing; the CWD and `<cwd>/src` are searched too (after
//!   `prepend_sys_path` and `PYTHONPATH`), so a checkout such as Backend.AI's
//!   `src/ai/backend/...` works without `prepend_sys_path`. A package that is
//!   not found is a [`ConfigError::Command`] saying where it looked (Alembic
//!   would crash with `ModuleNotFoundError`).
//! - A `sqlalchemy.url` that cannot be interpolated is recorded in
//!   [`AlembicConfig::sqlalchemy_url_error`] rather than failing the load
//!   (Alembic only fails in `env.py`, i.e. for commands that connect).
//! - `version_table` / `version_table_schema` in the ini section are a
//!   db-status extension (Alembic takes them from `env.py` only).
//! - TOML is parsed by the `toml` crate, which accepts a few TOML 1.1
//!   constructs that Python's `tomllib` (TOML 1.0) rejects.

pub(crate) mod components;
pub mod ini;
pub(crate) mod paths;
pub(crate) mod pyproject;

use std::path::{Path, PathBuf};

use ini::Ini;
use paths::{SearchPath, Separator};
use pyproject::{TomlValue, ToolAlembic};

/// What the user asked for: the `-c`/`-n` flags and the working directory.
#[derive(Debug, Clone, Default)]
pub struct ConfigRequest {
    /// `-c FILE` values in order (an ini and/or a `pyproject.toml`).
    pub config_files: Vec<PathBuf>,
    /// `-n SECTION`; `None` means `alembic`.
    pub section: Option<String>,
    /// The process working directory (relative paths resolve against it, as in Alembic).
    pub cwd: PathBuf,
    /// Value of `ALEMBIC_CONFIG` in the environment, if any.
    pub alembic_config_env: Option<String>,
}

/// An Alembic configuration, resolved as far as can be done without Python.
#[derive(Debug, Clone)]
pub struct AlembicConfig {
    /// The ini file name as given/defaulted (relative names stay relative, like Alembic's `config_file_name`).
    pub(crate) ini_name: String,
    /// Absolute path of the ini file, if it exists.
    pub(crate) ini_path: Option<PathBuf>,
    /// The ini section read (`-n`, default `alembic`).
    pub(crate) section: String,
    /// The script directory as Alembic prints it in messages (the coerced path, relative if given relative).
    pub script_location: PathBuf,
    /// Version locations, absolute (not symlink-resolved), in configured order.
    /// Defaults to `<script_location>/versions`.
    pub version_locations: Vec<PathBuf>,
    /// `recursive_version_locations = true`.
    pub recursive_version_locations: bool,
    /// `sourceless = true`.
    pub sourceless: bool,
    /// `sqlalchemy.url` from the section, after interpolation.
    pub sqlalchemy_url: Option<String>,
    /// Version table name (`version_table` in the section, else `alembic_version`).
    pub(crate) version_table: String,
    /// Version table schema (`version_table_schema` in the section), if set.
    pub(crate) version_table_schema: Option<String>,
    /// `version_table` is set in the section (it then outranks `env.py`'s).
    pub(crate) version_table_in_ini: bool,
    /// The `databases` option of Alembic's multidb template, if set.
    pub(crate) databases: Option<String>,
    /// `sqlalchemy.url` is present but cannot be interpolated: Alembic's
    /// `env.py` would crash reading it (commands that do not run `env.py`
    /// work). `sqlalchemy_url` is then `None`, and this says what is wrong
    /// without quoting the value (`ini::IniError::without_value`).
    pub sqlalchemy_url_error: Option<String>,
    /// Where Python modules are looked for (`prepend_sys_path`,
    /// `PYTHONPATH`, …): `package.module:dir` locations and the imports of
    /// revision files (see [`crate::scripts::imports`]).
    pub(crate) search_path: SearchPath,
}

/// Where the version table lives: `version_table` / `version_table_schema`
/// as the application's `env.py` passes them to `context.configure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTable {
    /// Table name (default `alembic_version`).
    pub name: String,
    /// Schema (PostgreSQL schema / MySQL database), if configured; `None`
    /// means the connection's search path / default database.
    pub schema: Option<String>,
}

impl Default for VersionTable {
    fn default() -> Self {
        VersionTable {
            name: "alembic_version".to_string(),
            schema: None,
        }
    }
}

impl VersionTable {
    /// `schema.name`, or `name`, as messages and SQL name it.
    pub(crate) fn qualified(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// Alembic reports this as `FAILED: <message>` (exit 255), e.g.
    /// `No 'script_location' key found in configuration.`
    #[error("{0}")]
    Command(String),
    /// Alembic crashes with a Python traceback (exit 1) here, e.g. a
    /// configparser syntax or interpolation error; the message says which
    /// file and line, the hint (kept apart from it) what to do.
    #[error("{message}")]
    Crash {
        /// What is wrong, and where.
        message: String,
        /// What to do about it, when there is more to say than "fix it".
        hint: Option<String>,
    },
}

impl ConfigError {
    /// A [`ConfigError::Crash`] without a hint.
    pub fn crash(message: impl Into<String>) -> ConfigError {
        ConfigError::Crash {
            message: message.into(),
            hint: None,
        }
    }

    /// The same error with `hint` (what to do) for a crash.
    pub fn with_hint(self, hint: impl Into<String>) -> ConfigError {
        match self {
            ConfigError::Crash { message, .. } => ConfigError::Crash {
                message,
                hint: Some(hint.into()),
            },
            command => command,
        }
    }
}

/// Environment variables that decide where `package.module:dir` resources
/// are looked for (see `paths::SearchPath::new`).
#[derive(Debug, Clone, Default)]
pub struct PythonEnv {
    /// `PYTHONPATH`.
    pub(crate) pythonpath: Option<String>,
    /// `VIRTUAL_ENV` (the active virtualenv).
    pub(crate) virtual_env: Option<PathBuf>,
}

impl PythonEnv {
    /// Read `PYTHONPATH` and `VIRTUAL_ENV` from the process environment.
    pub(crate) fn from_process() -> Self {
        let var = |k| std::env::var(k).ok().filter(|v| !v.is_empty());
        PythonEnv {
            pythonpath: var("PYTHONPATH"),
            virtual_env: var("VIRTUAL_ENV").map(PathBuf::from),
        }
    }
}

/// Load the Alembic configuration as Alembic's `CommandLine.main` would.
pub(crate) fn load(request: &ConfigRequest) -> Result<AlembicConfig, ConfigError> {
    load_with_env(request, &PythonEnv::from_process())
}

/// `CommandLine._inis_from_config`: the `(pyproject.toml, ini)` names to
/// read, from `ALEMBIC_CONFIG` and the `-c` flags. Paths stay as given
/// (relative to the CWD, no upward search).
pub(crate) fn inis_from_config(request: &ConfigRequest) -> Result<(String, String), ConfigError> {
    const TOML: &str = "pyproject.toml";
    const INI: &str = "alembic.ini";
    let env = request
        .alembic_config_env
        .as_deref()
        .filter(|s| !s.is_empty());
    let (default_toml, default_ini) = match env {
        Some(e) if paths::basename(e) == TOML => (e.to_owned(), INI.to_owned()),
        Some(e) => (TOML.to_owned(), e.to_owned()),
        None => (TOML.to_owned(), INI.to_owned()),
    };
    let mut toml: Option<String> = None;
    let mut ini: Option<String> = None;
    for name in &request.config_files {
        let name = name.to_string_lossy().into_owned();
        // Alembic raises these before its CommandError handler is in place,
        // so they are tracebacks (exit 1), not `FAILED:` lines.
        if paths::basename(&name) == TOML {
            if toml.is_some() {
                return Err(ConfigError::crash(
                    "pyproject.toml indicated more than once (alembic.util.exc.CommandError; \
                     Alembic stops with a traceback here)"
                        .to_owned(),
                )
                .with_hint("give -c at most one pyproject.toml and at most one ini file"));
            }
            toml = Some(name);
        } else {
            if ini.is_some() {
                return Err(ConfigError::crash(
                    "only one ini file may be indicated (alembic.util.exc.CommandError; \
                     Alembic stops with a traceback here)"
                        .to_owned(),
                )
                .with_hint("give -c at most one ini file and at most one pyproject.toml"));
            }
            ini = Some(name);
        }
    }
    // An empty name is falsy in Python and falls back to the default.
    Ok((
        toml.filter(|s| !s.is_empty()).unwrap_or(default_toml),
        ini.filter(|s| !s.is_empty()).unwrap_or(default_ini),
    ))
}

/// `load` with an explicit Python environment (for tests and callers
/// that already hold one).
pub fn load_with_env(
    request: &ConfigRequest,
    env: &PythonEnv,
) -> Result<AlembicConfig, ConfigError> {
    let (toml_name, ini_name) = inis_from_config(request)?;
    let cwd = request.cwd.as_path();
    let section = request
        .section
        .clone()
        .unwrap_or_else(|| "alembic".to_owned());

    // `here` is computed even when the file does not exist.
    let ini_abs = paths::absolute(cwd, &ini_name);
    let here = paths::parent(&ini_abs);
    let defaults = [("here", here.as_str())];
    let (ini, ini_exists) = match Ini::read(&cwd.join(&ini_name), &ini_name, &defaults) {
        Ok(Some(ini)) => (ini, true),
        // A missing ini is silently ignored (`ConfigParser.read`).
        Ok(None) => (
            Ini::parse("", &ini_name, &defaults).map_err(ini_crash)?,
            false,
        ),
        Err(e) => return Err(ini_crash(e)),
    };
    let toml_file = cwd.join(&toml_name);
    let lookup = Lookup {
        ini: &ini,
        section: &section,
        ini_name: &ini_name,
        toml_name: &toml_name,
        toml_file: &toml_file,
        toml_here: paths::parent(&paths::absolute(cwd, &toml_name)),
        toml: std::cell::OnceCell::new(),
    };

    // The order below is `ScriptDirectory.from_config`'s, so that the first
    // error Alembic would hit is the one reported.
    let Some(script_location) = lookup.option("script_location")? else {
        return Err(ConfigError::Command(
            "No 'script_location' key found in configuration.".to_owned(),
        ));
    };
    if let Some(tsl) = lookup.option("truncate_slug_length")? {
        lookup.check_int("truncate_slug_length", &tsl)?;
    }
    let prepend_sys_path = lookup.prepend_sys_path()?;
    let recursive_version_locations = lookup.boolean("recursive_version_locations")?;

    let search = SearchPath::new(
        cwd,
        &prepend_sys_path,
        env.pythonpath.as_deref(),
        env.virtual_env.as_deref(),
    );
    let script_location_raw = match script_location {
        OptValue::Ini(s) | OptValue::Toml(TomlValue::Str(s)) => s,
        OptValue::Toml(other) => {
            return Err(ConfigError::crash(format!(
                "{toml_name}: [tool.alembic] script_location is a TOML {} (TypeError: expected \
                 str, bytes or os.PathLike object; Alembic stops with a traceback here)",
                other.python_type()
            ))
            .with_hint("write script_location as a string"));
        }
    };
    let script_dir = coerce(&script_location_raw, &search, "script_location")?;

    lookup.option("file_template")?;
    let sourceless = lookup.boolean("sourceless")?;
    lookup.option("output_encoding")?;
    let configured_locations = lookup.version_locations()?;
    lookup.option("timezone")?;
    lookup.check_hooks()?;

    if !cwd.join(&script_dir).exists() {
        return Err(ConfigError::Command(format!(
            "Path doesn't exist: {script_dir}.  Please use the 'init' command to create a new \
             scripts folder."
        )));
    }

    let version_locations = if configured_locations.is_empty() {
        vec![PathBuf::from(paths::absolute(
            cwd,
            &format!("{script_dir}/versions"),
        ))]
    } else {
        configured_locations
            .iter()
            .map(|loc| {
                coerce(loc, &search, "version_locations")
                    .map(|p| PathBuf::from(paths::absolute(cwd, &p)))
            })
            .collect::<Result<Vec<_>, _>>()?
    };

    let (sqlalchemy_url, sqlalchemy_url_error) = match ini.get_fallback(&section, "sqlalchemy.url")
    {
        Ok(url) => (url, None),
        Err(e) => (None, Some(e.without_value())),
    };
    let extension = |name: &str| -> Result<Option<String>, ConfigError> {
        Ok(ini
            .get_fallback(&section, name)
            .map_err(ini_crash)?
            .filter(|v| !v.is_empty()))
    };
    let version_table = extension("version_table")?;
    let version_table_in_ini = version_table.is_some();
    let version_table = version_table.unwrap_or_else(|| "alembic_version".to_owned());
    let version_table_schema = extension("version_table_schema")?;
    // Only env.py reads it; a broken value is env.py's problem, not the load's.
    let databases = extension("databases").ok().flatten();

    Ok(AlembicConfig {
        ini_name,
        ini_path: ini_exists.then(|| PathBuf::from(&ini_abs)),
        section,
        script_location: PathBuf::from(script_dir),
        version_locations,
        recursive_version_locations,
        sourceless,
        sqlalchemy_url,
        version_table,
        version_table_schema,
        version_table_in_ini,
        databases,
        sqlalchemy_url_error,
        search_path: search,
    })
}

fn ini_crash(e: ini::IniError) -> ConfigError {
    ConfigError::crash(e.to_string()).with_hint(e.hint())
}

/// `coerce_resource_to_filename`'s test for the package form.
fn is_resource(value: &str) -> bool {
    !paths::is_abs(value) && value.contains(':')
}

/// `coerce_resource_to_filename`: a package resource becomes the directory
/// it names, anything else a (normalised, possibly relative) path.
fn coerce(value: &str, search: &SearchPath, option: &str) -> Result<String, ConfigError> {
    if !is_resource(value) {
        return Ok(paths::pure_posix(value));
    }
    match search.resolve_resource(value) {
        Ok(p) => Ok(p.to_string_lossy().into_owned()),
        Err(why) => {
            let package = value.split(':').next().unwrap_or(value);
            Err(ConfigError::Command(format!(
                "{option} '{value}' is a package resource, and the package '{package}' could not \
                 be found without running Python ({why}). Looked in:\n{}\nSet PYTHONPATH to the \
                 directory that contains the package, add `prepend_sys_path = .` (or its path) \
                 to the ini, or run db-status from the checkout root.",
                search.describe()
            )))
        }
    }
}

/// A value from `get_alembic_option`: the ini (interpolated) or the toml.
#[derive(Debug, Clone)]
enum OptValue {
    Ini(String),
    Toml(TomlValue),
}

/// Alembic's `Config` lookups over one ini section and a lazily read
/// `pyproject.toml` (Alembic only opens it when the ini lacks an option, so
/// a broken toml only matters then).
struct Lookup<'a> {
    ini: &'a Ini,
    section: &'a str,
    ini_name: &'a str,
    toml_name: &'a str,
    toml_file: &'a Path,
    toml_here: String,
    toml: std::cell::OnceCell<Result<ToolAlembic, ConfigError>>,
}

impl Lookup<'_> {
    fn toml(&self) -> Result<&ToolAlembic, ConfigError> {
        self.toml
            .get_or_init(|| ToolAlembic::read(self.toml_file, self.toml_name, &self.toml_here))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `Config.get_alembic_option`: the ini section (DEFAULT counts) wins,
    /// then `[tool.alembic]`.
    fn option(&self, name: &str) -> Result<Option<OptValue>, ConfigError> {
        if self.ini.has_option(self.section, name) {
            return self
                .ini
                .get(self.section, name)
                .map(|v| Some(OptValue::Ini(v)))
                .map_err(ini_crash);
        }
        Ok(self.toml()?.get(name)?.map(OptValue::Toml))
    }

    /// `Config.get_alembic_boolean_option`: ini value exactly `true`, or a
    /// TOML boolean.
    fn boolean(&self, name: &str) -> Result<bool, ConfigError> {
        if self.ini.has_option(self.section, name) {
            return self
                .ini
                .get(self.section, name)
                .map(|v| v == "true")
                .map_err(ini_crash);
        }
        match self.toml()?.raw(name) {
            None => Ok(false),
            Some(toml::Value::Boolean(b)) => Ok(*b),
            Some(_) => Err(ConfigError::Command(format!(
                "boolean value expected for TOML parameter {}",
                crate::python::repr(name)
            ))),
        }
    }

    /// `int(value)` as `ScriptDirectory.from_config` applies it.
    fn check_int(&self, name: &str, value: &OptValue) -> Result<(), ConfigError> {
        let (text, source) = match value {
            OptValue::Ini(s) => (s.as_str(), self.ini_name),
            OptValue::Toml(TomlValue::Str(s)) => (s.as_str(), self.toml_name),
            OptValue::Toml(TomlValue::Int(_) | TomlValue::Bool(_)) => return Ok(()),
            OptValue::Toml(other) => {
                return Err(ConfigError::crash(format!(
                    "{}: [tool.alembic] {name} is a TOML {} (TypeError: int() argument must be a \
                     string or a number; Alembic stops with a traceback here)",
                    self.toml_name,
                    other.python_type()
                ))
                .with_hint("write an integer"));
            }
        };
        if crate::python::int(text).is_some() {
            Ok(())
        } else {
            Err(ConfigError::crash(format!(
                "{source}: {name}: invalid literal for int() with base 10: {} (ValueError; \
                 Alembic stops with a traceback here)",
                crate::python::repr(text)
            ))
            .with_hint("write an integer, or remove the option"))
        }
    }

    /// `Config.get_main_option` (ini only; the section must exist).
    fn main_option(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if !self.ini.has_section(self.section) {
            return Err(ConfigError::Command(format!(
                "No config file {} found, or file has no '[{}]' section",
                crate::python::repr(self.ini_name),
                self.section
            )));
        }
        if self.ini.has_option(self.section, name) {
            self.ini
                .get(self.section, name)
                .map(Some)
                .map_err(ini_crash)
        } else {
            Ok(None)
        }
    }

    /// `Config._get_file_separator_char(*names)`.
    fn separator(&self, names: &[&str]) -> Result<Separator, ConfigError> {
        for name in names {
            if let Some(value) = self.main_option(name)? {
                return match paths::separator_char(&value) {
                    Some(c) => Ok(Separator::Char(c)),
                    None => Err(ConfigError::crash(format!(
                        "{}: {} is not a valid value for {name}; expected 'space', 'newline', \
                         'os', ':', ';' (ValueError; Alembic stops with a traceback here)",
                        self.ini_name,
                        crate::python::repr(&value)
                    ))),
                };
            }
        }
        Ok(Separator::Legacy)
    }

    /// A list option from the ini (if non-empty there) or else the toml.
    fn list(
        &self,
        name: &str,
        separators: &[&str],
        colon: bool,
    ) -> Result<Vec<String>, ConfigError> {
        let from_ini = self
            .ini
            .get_fallback(self.section, name)
            .map_err(ini_crash)?;
        if let Some(value) = from_ini.filter(|v| !v.is_empty()) {
            let sep = self.separator(separators)?;
            return Ok(paths::split_list(&value, sep, colon));
        }
        match self.toml()?.get(name)? {
            None => Ok(Vec::new()),
            Some(v) => self.toml_list(name, v),
        }
    }

    /// A TOML value used where Alembic iterates: a list as is, a string
    /// character by character (as Python would), a table by its keys,
    /// falsy scalars as nothing.
    fn toml_list(&self, name: &str, value: TomlValue) -> Result<Vec<String>, ConfigError> {
        match value {
            TomlValue::List(v) => Ok(v),
            TomlValue::Str(s) => Ok(s.chars().map(String::from).collect()),
            TomlValue::Table(kv) => Ok(kv.into_iter().map(|(k, _)| k).collect()),
            TomlValue::Int(0) | TomlValue::Bool(false) => Ok(Vec::new()),
            other => Err(ConfigError::crash(format!(
                "{}: [tool.alembic] {name} is a TOML {} where Alembic expects a list of strings \
                 (TypeError; Alembic stops with a traceback here)",
                self.toml_name,
                other.python_type()
            ))
            .with_hint(format!("write {name} = [\"...\"]"))),
        }
    }

    /// `Config.get_prepend_sys_paths_list` (only `path_separator`; the
    /// legacy split also splits on `:`).
    fn prepend_sys_path(&self) -> Result<Vec<String>, ConfigError> {
        self.list("prepend_sys_path", &["path_separator"], true)
    }

    /// `Config.get_version_locations_list`.
    fn version_locations(&self) -> Result<Vec<String>, ConfigError> {
        self.list(
            "version_locations",
            &["path_separator", "version_path_separator"],
            false,
        )
    }

    /// `Config.get_hooks_list`: an ini `[post_write_hooks]` section is read
    /// whole (every value interpolated); else the toml list of tables, each
    /// of which needs a `name`.
    fn check_hooks(&self) -> Result<(), ConfigError> {
        const HOOKS: &str = "post_write_hooks";
        if self.ini.has_section(HOOKS) {
            self.ini.items(HOOKS).map_err(ini_crash)?;
            return Ok(());
        }
        let bad = |what: &str| {
            Err(ConfigError::crash(format!(
                "{}: [tool.alembic] post_write_hooks: {what} (Alembic stops with a traceback \
                 here)",
                self.toml_name
            ))
            .with_hint("use [[tool.alembic.post_write_hooks]] tables, each with a name"))
        };
        match self.toml()?.get(HOOKS)? {
            None => Ok(()),
            Some(TomlValue::Tables(tables)) => {
                if tables.iter().all(|t| t.iter().any(|(k, _)| k == "name")) {
                    Ok(())
                } else {
                    bad("a hook without `name` (KeyError: 'name')")
                }
            }
            Some(TomlValue::List(l)) if l.is_empty() => Ok(()),
            Some(TomlValue::Table(t)) if t.is_empty() => Ok(()),
            Some(TomlValue::Str(s)) if s.is_empty() => Ok(()),
            Some(other) => bad(&format!(
                "a TOML {} is not a list of tables",
                other.python_type()
            )),
        }
    }
}

#[cfg(test)]
mod tests;
