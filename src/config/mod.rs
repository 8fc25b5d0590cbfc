//! Stage 1: configuration. Reads `alembic.ini` (configparser semantics, see
//! [`ini`]) and `[tool.alembic]` in `pyproject.toml` exactly as Alembic 1.20
//! does, resolves `script_location` (path or `package.module:dir`, without
//! Python) and `version_locations`, and yields an [`AlembicConfig`].
//! [`components`] maps component names (Backend.AI built-ins, `db-status.toml`)
//! to ini files.
//!
//! [`load`] follows `CommandLine._inis_from_config` and
//! `ScriptDirectory.from_config` (alembic/config.py, alembic/script/base.py)
//! step by step and in the same order, so the first error Alembic would
//! hit is the one reported: [`ConfigError::Command`] carries Alembic's exact
//! `FAILED:` text, [`ConfigError::Crash`] stands for a Python traceback and
//! names the file, line and option. `tests/config_alembic.rs` checks this
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

pub mod components;
pub mod ini;
pub mod paths;
pub mod pyproject;

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
    pub ini_name: String,
    /// Absolute path of the ini file, if it exists.
    pub ini_path: Option<PathBuf>,
    /// The pyproject.toml read, if it exists and was used.
    pub toml_path: Option<PathBuf>,
    /// The ini section read (`-n`, default `alembic`).
    pub section: String,
    /// `script_location` as written (after interpolation).
    pub script_location_raw: String,
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
    pub version_table: String,
    /// Version table schema (`version_table_schema` in the section), if set.
    pub version_table_schema: Option<String>,
    /// `version_table` is set in the section (it then outranks `env.py`'s).
    pub version_table_in_ini: bool,
    /// The `databases` option of Alembic's multidb template, if set.
    pub databases: Option<String>,
    /// `script_location` was a `package.module:dir` resource, located
    /// without Python (see [`paths::SearchPath`]).
    pub script_location_is_package: bool,
    /// `sqlalchemy.url` is present but cannot be interpolated: Alembic's
    /// `env.py` would crash reading it (commands that do not run `env.py`
    /// work). `sqlalchemy_url` is then `None`.
    pub sqlalchemy_url_error: Option<String>,
    /// Where Python modules are looked for (`prepend_sys_path`,
    /// `PYTHONPATH`, …): `package.module:dir` locations and the imports of
    /// revision files (see [`crate::scripts::imports`]).
    pub search_path: SearchPath,
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
    pub fn qualified(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

impl AlembicConfig {
    /// The version table the ini section names (default `alembic_version`).
    pub fn table(&self) -> VersionTable {
        VersionTable {
            name: self.version_table.clone(),
            schema: self.version_table_schema.clone(),
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
    /// configparser syntax or interpolation error; the message says which file and line.
    #[error("{0}")]
    Crash(String),
}

/// Environment variables that decide where `package.module:dir` resources
/// are looked for (see [`paths::SearchPath::new`]).
#[derive(Debug, Clone, Default)]
pub struct PythonEnv {
    /// `PYTHONPATH`.
    pub pythonpath: Option<String>,
    /// `VIRTUAL_ENV` (the active virtualenv).
    pub virtual_env: Option<PathBuf>,
}

impl PythonEnv {
    /// Read `PYTHONPATH` and `VIRTUAL_ENV` from the process environment.
    pub fn from_process() -> Self {
        let var = |k| std::env::var(k).ok().filter(|v| !v.is_empty());
        PythonEnv {
            pythonpath: var("PYTHONPATH"),
            virtual_env: var("VIRTUAL_ENV").map(PathBuf::from),
        }
    }
}

impl AlembicConfig {
    /// Whether `script_location` was written as a `package.module:dir`
    /// resource (Alembic's rule: not absolute and containing `:`).
    pub fn is_package_resource(&self) -> bool {
        self.script_location_is_package
    }
}

/// Load the Alembic configuration as Alembic's `CommandLine.main` would.
pub fn load(request: &ConfigRequest) -> Result<AlembicConfig, ConfigError> {
    load_with_env(request, &PythonEnv::from_process())
}

/// `CommandLine._inis_from_config`: the `(pyproject.toml, ini)` names to
/// read, from `ALEMBIC_CONFIG` and the `-c` flags. Paths stay as given
/// (relative to the CWD, no upward search).
pub fn inis_from_config(request: &ConfigRequest) -> Result<(String, String), ConfigError> {
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
                return Err(ConfigError::Crash(
                    "pyproject.toml indicated more than once (alembic.util.exc.CommandError; \
                     Alembic stops with a traceback here)\nhint: give -c at most one \
                     pyproject.toml and at most one ini file"
                        .to_owned(),
                ));
            }
            toml = Some(name);
        } else {
            if ini.is_some() {
                return Err(ConfigError::Crash(
                    "only one ini file may be indicated (alembic.util.exc.CommandError; \
                     Alembic stops with a traceback here)\nhint: give -c at most one ini file \
                     and at most one pyproject.toml"
                        .to_owned(),
                ));
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

/// [`load`] with an explicit Python environment (for tests and callers
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
            return Err(ConfigError::Crash(format!(
                "{toml_name}: [tool.alembic] script_location is a TOML {} (TypeError: expected \
                 str, bytes or os.PathLike object; Alembic stops with a traceback here)\nhint: \
                 write script_location as a string",
                other.python_type()
            )));
        }
    };
    let script_location_is_package = is_resource(&script_location_raw);
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
        Err(e) => (None, Some(e.to_string())),
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
        toml_path: toml_file
            .is_file()
            .then(|| PathBuf::from(paths::absolute(cwd, &toml_name))),
        section,
        script_location_raw,
        script_location: PathBuf::from(script_dir),
        version_locations,
        recursive_version_locations,
        sourceless,
        sqlalchemy_url,
        version_table,
        version_table_schema,
        version_table_in_ini,
        databases,
        script_location_is_package,
        sqlalchemy_url_error,
        search_path: search,
    })
}

fn ini_crash(e: ini::IniError) -> ConfigError {
    ConfigError::Crash(e.to_string())
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
                return Err(ConfigError::Crash(format!(
                    "{}: [tool.alembic] {name} is a TOML {} (TypeError: int() argument must be a \
                     string or a number; Alembic stops with a traceback here)\nhint: write an integer",
                    self.toml_name,
                    other.python_type()
                )));
            }
        };
        if crate::python::int(text).is_some() {
            Ok(())
        } else {
            Err(ConfigError::Crash(format!(
                "{source}: {name}: invalid literal for int() with base 10: {} (ValueError; \
                 Alembic stops with a traceback here)\nhint: write an integer, or remove the option",
                crate::python::repr(text)
            )))
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
                    None => Err(ConfigError::Crash(format!(
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
            other => Err(ConfigError::Crash(format!(
                "{}: [tool.alembic] {name} is a TOML {} where Alembic expects a list of strings \
                 (TypeError; Alembic stops with a traceback here)\nhint: write {name} = [\"...\"]",
                self.toml_name,
                other.python_type()
            ))),
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
            Err(ConfigError::Crash(format!(
                "{}: [tool.alembic] post_write_hooks: {what} (Alembic stops with a traceback \
                 here)\nhint: use [[tool.alembic.post_write_hooks]] tables, each with a name",
                self.toml_name
            )))
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
mod tests {
    use super::*;
    use std::fs;

    /// A temporary project: `(relative path, contents)`; a path ending in
    /// `/` is a directory.
    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let full = tmp.path().join(path);
            if path.ends_with('/') {
                fs::create_dir_all(&full).expect("mkdir");
            } else {
                if let Some(parent) = full.parent() {
                    fs::create_dir_all(parent).expect("mkdir");
                }
                fs::write(&full, text).expect("write");
            }
        }
        tmp
    }

    fn request(cwd: &Path) -> ConfigRequest {
        ConfigRequest {
            cwd: cwd.to_path_buf(),
            ..ConfigRequest::default()
        }
    }

    fn load_at(req: &ConfigRequest) -> Result<AlembicConfig, ConfigError> {
        load_with_env(req, &PythonEnv::default())
    }

    fn command_err(r: Result<AlembicConfig, ConfigError>) -> String {
        match r {
            Err(ConfigError::Command(m)) => m,
            other => panic!("expected a CommandError, got {other:?}"),
        }
    }

    fn crash_err(r: Result<AlembicConfig, ConfigError>) -> String {
        match r {
            Err(ConfigError::Crash(m)) => m,
            other => panic!("expected a crash, got {other:?}"),
        }
    }

    fn p(dir: &Path, rel: &str) -> PathBuf {
        PathBuf::from(format!("{}/{rel}", dir.display()))
    }

    const NO_KEY: &str = "No 'script_location' key found in configuration.";

    #[test]
    fn no_config_at_all() {
        let t = project(&[]);
        assert_eq!(command_err(load_at(&request(t.path()))), NO_KEY);
        let mut r = request(t.path());
        r.config_files = vec!["nonexist.ini".into()];
        assert_eq!(command_err(load_at(&r)), NO_KEY);
        let t = project(&[("alembic.ini", "[alembic]\nsqlalchemy.url = x\n")]);
        assert_eq!(command_err(load_at(&request(t.path()))), NO_KEY);
    }

    #[test]
    fn defaults_and_here() {
        let t = project(&[
            (
                "alembic.ini",
                "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///%(here)s/app.db\n",
            ),
            ("migrations/versions/", ""),
        ]);
        let c = load_at(&request(t.path())).unwrap();
        let d = t.path();
        assert_eq!(c.ini_name, "alembic.ini");
        assert_eq!(c.ini_path, Some(p(d, "alembic.ini")));
        assert_eq!(c.toml_path, None);
        assert_eq!(c.section, "alembic");
        assert_eq!(c.script_location, p(d, "migrations"));
        assert_eq!(c.version_locations, vec![p(d, "migrations/versions")]);
        assert_eq!(
            c.sqlalchemy_url.as_deref(),
            Some(format!("sqlite:///{}/app.db", d.display()).as_str())
        );
        assert_eq!(c.version_table, "alembic_version");
        assert_eq!(c.version_table_schema, None);
        assert!(!c.recursive_version_locations && !c.sourceless);
        assert!(!c.is_package_resource());
    }

    #[test]
    fn inline_comment_is_part_of_the_value() {
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = %(here)s/migrations  # my comment\n",
        )]);
        assert_eq!(
            command_err(load_at(&request(t.path()))),
            format!(
                "Path doesn't exist: {}/migrations  # my comment.  Please use the 'init' command \
                 to create a new scripts folder.",
                t.path().display()
            )
        );
    }

    #[test]
    fn relative_script_location_is_relative_to_the_cwd() {
        let t = project(&[
            ("alembic.ini", "[alembic]\nscript_location = migrations\n"),
            ("migrations/", ""),
            ("sub/", ""),
        ]);
        let c = load_at(&request(t.path())).unwrap();
        assert_eq!(c.script_location, PathBuf::from("migrations"));
        assert_eq!(
            c.version_locations,
            vec![p(t.path(), "migrations/versions")]
        );
        let mut r = request(&t.path().join("sub"));
        r.config_files = vec!["../alembic.ini".into()];
        assert_eq!(
            command_err(load_at(&r)),
            "Path doesn't exist: migrations.  Please use the 'init' command to create a new \
             scripts folder."
        );
    }

    #[test]
    fn keys_are_case_insensitive_and_default_section_counts() {
        let t = project(&[
            (
                "alembic.ini",
                "[DEFAULT]\nSQLAlchemy.URL = x://y\n[alembic]\nScript_Location = migrations/\n",
            ),
            ("migrations/", ""),
        ]);
        let c = load_at(&request(t.path())).unwrap();
        assert_eq!(c.script_location, PathBuf::from("migrations"));
        assert_eq!(c.sqlalchemy_url.as_deref(), Some("x://y"));
    }

    #[test]
    fn interpolation_error_in_file_template_is_fatal() {
        let t = project(&[
            (
                "alembic.ini",
                "[alembic]\nscript_location = migrations\nfile_template = %(rev)s_%(slug)s\n",
            ),
            ("migrations/", ""),
        ]);
        let m = crash_err(load_at(&request(t.path())));
        assert!(m.contains("alembic.ini, line 3"), "{m}");
        assert!(
            m.contains("option 'file_template' in section 'alembic'"),
            "{m}"
        );
        assert!(m.contains("InterpolationMissingOptionError"), "{m}");
    }

    #[test]
    fn syntax_errors_in_the_ini_are_crashes() {
        let t = project(&[("alembic.ini", "[alembic]\nx = 1\nX = 2\n")]);
        let m = crash_err(load_at(&request(t.path())));
        assert!(
            m.starts_with(
                "While reading from 'alembic.ini' [line  3]: option 'x' in section 'alembic' already exists"
            ),
            "{m}"
        );
    }

    fn with_locations(extra: &str) -> tempfile::TempDir {
        project(&[
            (
                "alembic.ini",
                &format!("[alembic]\nscript_location = %(here)s/migrations\n{extra}\n"),
            ),
            ("migrations/versions/", ""),
            ("extra1/", ""),
            ("extra 2/", ""),
        ])
    }

    #[test]
    fn every_path_separator() {
        let cases = [
            (
                "path_separator = os\nversion_locations = %(here)s/migrations/versions:%(here)s/extra1",
                vec!["migrations/versions", "extra1"],
            ),
            (
                "path_separator = :\nversion_locations = %(here)s/extra1:%(here)s/missing",
                vec!["extra1", "missing"],
            ),
            (
                "path_separator = ;\nversion_locations = %(here)s/migrations/versions;%(here)s/extra 2",
                vec!["migrations/versions", "extra 2"],
            ),
            (
                "path_separator = space\nversion_locations = %(here)s/migrations/versions %(here)s/extra1",
                vec!["migrations/versions", "extra1"],
            ),
            (
                "path_separator = newline\nversion_locations =\n    %(here)s/migrations/versions\n    %(here)s/extra 2\n    %(here)s/extra1",
                vec!["migrations/versions", "extra 2", "extra1"],
            ),
            (
                "version_locations = %(here)s/migrations/versions, %(here)s/extra1",
                vec!["migrations/versions", "extra1"],
            ),
            (
                "version_path_separator = ;\nversion_locations = %(here)s/migrations/versions;%(here)s/extra 2",
                vec!["migrations/versions", "extra 2"],
            ),
            // path_separator wins over the deprecated key.
            (
                "path_separator = ;\nversion_path_separator = space\nversion_locations = %(here)s/extra 2",
                vec!["extra 2"],
            ),
        ];
        for (extra, want) in cases {
            let t = with_locations(extra);
            let c = load_at(&request(t.path())).unwrap_or_else(|e| panic!("{extra}: {e}"));
            let want: Vec<PathBuf> = want.iter().map(|w| p(t.path(), w)).collect();
            assert_eq!(c.version_locations, want, "{extra}");
        }
    }

    #[test]
    fn invalid_path_separator_crashes_with_pythons_text() {
        let t = with_locations(
            "path_separator = comma\nversion_locations = %(here)s/migrations/versions,%(here)s/extra1",
        );
        let m = crash_err(load_at(&request(t.path())));
        assert!(
            m.contains(
                "'comma' is not a valid value for path_separator; expected 'space', 'newline', 'os', ':', ';'"
            ),
            "{m}"
        );
    }

    #[test]
    fn empty_pieces_and_relative_locations() {
        // Empty pieces are dropped before stripping: "  " survives as "" (the CWD).
        let t = with_locations("path_separator = ;\nversion_locations = a;;  ;./b/");
        let c = load_at(&request(t.path())).unwrap();
        let d = t.path();
        assert_eq!(
            c.version_locations,
            vec![p(d, "a"), PathBuf::from(d), p(d, "b")]
        );
        // Legacy splitting keeps empty pieces: "a ,b" → a, "", b.
        let t = with_locations("version_locations = a ,b");
        let c = load_at(&request(t.path())).unwrap();
        let d = t.path();
        assert_eq!(
            c.version_locations,
            vec![p(d, "a"), PathBuf::from(d), p(d, "b")]
        );
        // An empty value means the default location.
        let t = with_locations("version_locations =");
        let c = load_at(&request(t.path())).unwrap();
        assert_eq!(
            c.version_locations,
            vec![p(t.path(), "migrations/versions")]
        );
    }

    #[test]
    fn package_resource_script_location() {
        let t = project(&[
            (
                "alembic.ini",
                "[alembic]\nscript_location = mypkg:migrations\nprepend_sys_path = .\nversion_locations = mypkg:migrations/versions mypkg:extra\n",
            ),
            ("mypkg/__init__.py", ""),
            ("mypkg/migrations/versions/", ""),
        ]);
        let c = load_at(&request(t.path())).unwrap();
        assert!(c.is_package_resource());
        assert_eq!(c.script_location_raw, "mypkg:migrations");
        assert_eq!(c.script_location, p(t.path(), "mypkg/migrations"));
        assert_eq!(
            c.version_locations,
            vec![
                p(t.path(), "mypkg/migrations/versions"),
                p(t.path(), "mypkg/extra")
            ]
        );
    }

    #[test]
    fn package_resource_in_src_and_pythonpath() {
        let t = project(&[
            (
                "alembic.ini",
                "[alembic]\nscript_location = ai.backend.manager.models:alembic\n",
            ),
            ("src/ai/backend/manager/models/__init__.py", ""),
            ("src/ai/backend/manager/models/alembic/", ""),
            ("elsewhere/ai/backend/manager/models/__init__.py", ""),
            ("elsewhere/ai/backend/manager/models/alembic/", ""),
        ]);
        let c = load_at(&request(t.path())).unwrap();
        assert_eq!(
            c.script_location,
            p(t.path(), "src/ai/backend/manager/models/alembic")
        );
        // PYTHONPATH comes before the CWD conveniences.
        let env = PythonEnv {
            pythonpath: Some("elsewhere".to_owned()),
            virtual_env: None,
        };
        let c = load_with_env(&request(t.path()), &env).unwrap();
        assert_eq!(
            c.script_location,
            p(t.path(), "elsewhere/ai/backend/manager/models/alembic")
        );
    }

    #[test]
    fn package_resource_in_virtualenv_site_packages() {
        let t = project(&[
            ("alembic.ini", "[alembic]\nscript_location = inst.pkg:mig\n"),
            ("venv/lib/python3.11/site-packages/inst/pkg/__init__.py", ""),
            ("venv/lib/python3.11/site-packages/inst/pkg/mig/", ""),
        ]);
        let env = PythonEnv {
            pythonpath: None,
            virtual_env: Some(t.path().join("venv")),
        };
        let c = load_with_env(&request(t.path()), &env).unwrap();
        assert_eq!(
            c.script_location,
            p(t.path(), "venv/lib/python3.11/site-packages/inst/pkg/mig")
        );
    }

    #[test]
    fn unresolvable_package_says_where_it_looked() {
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = nopkg.models:alembic\n",
        )]);
        let m = command_err(load_at(&request(t.path())));
        assert!(m.contains("'nopkg'"), "{m}");
        assert!(m.contains("No module named 'nopkg'"), "{m}");
        assert!(m.contains("PYTHONPATH"), "{m}");
        assert!(m.contains(&format!("{}/src", t.path().display())), "{m}");
    }

    #[test]
    fn alembic_config_env_and_c_flags() {
        let t = project(&[
            ("custom.ini", "[alembic]\nscript_location = migrations\n"),
            ("migrations/", ""),
        ]);
        assert_eq!(command_err(load_at(&request(t.path()))), NO_KEY);
        let mut r = request(t.path());
        r.alembic_config_env = Some("custom.ini".to_owned());
        let c = load_at(&r).unwrap();
        assert_eq!(c.ini_name, "custom.ini");
        r.config_files = vec!["nonexist.ini".into()];
        assert_eq!(command_err(load_at(&r)), NO_KEY);

        let mut r = request(t.path());
        r.config_files = vec!["alembic.ini".into(), "custom.ini".into()];
        assert!(crash_err(load_at(&r)).starts_with("only one ini file may be indicated"));
        r.config_files = vec!["pyproject.toml".into(), "a/pyproject.toml".into()];
        assert!(crash_err(load_at(&r)).starts_with("pyproject.toml indicated more than once"));
        // An empty -c falls back to the default, but still counts as "given".
        r.config_files = vec!["".into()];
        assert_eq!(inis_from_config(&r).unwrap().1, "alembic.ini");
        r.config_files = vec!["".into(), "x.ini".into()];
        assert!(inis_from_config(&r).is_err());
    }

    #[test]
    fn pyproject_toml() {
        let toml = "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n\
                    version_locations = [\"%(here)s/migrations/versions\", \"%(here)s/more\"]\n\
                    recursive_version_locations = true\n";
        let t = project(&[("pyproject.toml", toml), ("migrations/", ""), ("sub/", "")]);
        let c = load_at(&request(t.path())).unwrap();
        let d = t.path();
        assert_eq!(c.script_location, p(d, "migrations"));
        assert_eq!(
            c.version_locations,
            vec![p(d, "migrations/versions"), p(d, "more")]
        );
        assert!(c.recursive_version_locations);
        assert_eq!(c.toml_path, Some(p(d, "pyproject.toml")));
        assert_eq!(c.ini_path, None);
        // From another directory, via ALEMBIC_CONFIG and via -c.
        let mut r = request(&d.join("sub"));
        r.alembic_config_env = Some("../pyproject.toml".to_owned());
        assert_eq!(
            load_at(&r).unwrap().script_location,
            p(&d.join("sub"), "../migrations")
        );
        let mut r = request(&d.join("sub"));
        r.config_files = vec!["../pyproject.toml".into(), "../alembic.ini".into()];
        assert!(load_at(&r).is_ok());
    }

    #[test]
    fn ini_wins_over_pyproject() {
        let t = project(&[
            (
                "pyproject.toml",
                "[tool.alembic]\nscript_location = \"%(here)s/migrations\"\n",
            ),
            (
                "alembic.ini",
                "[alembic]\nscript_location = %(here)s/does_not_exist\n",
            ),
            ("migrations/", ""),
        ]);
        assert!(
            command_err(load_at(&request(t.path()))).starts_with(&format!(
                "Path doesn't exist: {}/does_not_exist.",
                t.path().display()
            ))
        );
    }

    #[test]
    fn toml_booleans_and_types() {
        let base = "[tool.alembic]\nscript_location = \"%(here)s\"\n";
        let t = project(&[(
            "pyproject.toml",
            &format!("{base}recursive_version_locations = \"true\"\n"),
        )]);
        assert_eq!(
            command_err(load_at(&request(t.path()))),
            "boolean value expected for TOML parameter 'recursive_version_locations'"
        );
        let t = project(&[("pyproject.toml", &format!("{base}sourceless = true\n"))]);
        assert!(load_at(&request(t.path())).unwrap().sourceless);
        let t = project(&[("pyproject.toml", &format!("{base}timezone = 1.5\n"))]);
        assert_eq!(
            command_err(load_at(&request(t.path()))),
            "unsupported TOML value type for key: 'timezone'"
        );
        let t = project(&[("pyproject.toml", "[tool]\nalembic = \"x\"\n")]);
        assert_eq!(
            command_err(load_at(&request(t.path()))),
            "Incorrect TOML format"
        );
        let t = project(&[(
            "pyproject.toml",
            "[tool.alembic]\nscript_location = \"50%\"\n",
        )]);
        assert!(crash_err(load_at(&request(t.path()))).contains("incomplete format"));
    }

    #[test]
    fn ini_booleans_are_exactly_true() {
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = .\nsourceless = True\nrecursive_version_locations = true\n",
        )]);
        let c = load_at(&request(t.path())).unwrap();
        assert!(!c.sourceless);
        assert!(c.recursive_version_locations);
    }

    #[test]
    fn named_sections() {
        let t = project(&[
            (
                "alembic.ini",
                "[alembic]\nscript_location = a\n[otherdb]\nscript_location = b\nversion_table = other_version\nversion_table_schema = meta\n",
            ),
            ("a/", ""),
            ("b/", ""),
        ]);
        let mut r = request(t.path());
        r.section = Some("otherdb".to_owned());
        let c = load_at(&r).unwrap();
        assert_eq!(c.script_location, PathBuf::from("b"));
        assert_eq!(c.version_table, "other_version");
        assert_eq!(c.version_table_schema.as_deref(), Some("meta"));
        r.section = Some("nosuchsection".to_owned());
        assert_eq!(command_err(load_at(&r)), NO_KEY);
    }

    #[test]
    fn truncate_slug_length_must_be_an_int() {
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = .\ntruncate_slug_length = forty\n",
        )]);
        assert!(
            crash_err(load_at(&request(t.path())))
                .contains("invalid literal for int() with base 10: 'forty'")
        );
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = .\ntruncate_slug_length =  +4_0 \n",
        )]);
        assert!(load_at(&request(t.path())).is_ok());
    }

    #[test]
    fn bad_sqlalchemy_url_is_recorded_not_fatal() {
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = .\nsqlalchemy.url = postgresql://u:p%40ss@h/db\n",
        )]);
        let c = load_at(&request(t.path())).unwrap();
        assert_eq!(c.sqlalchemy_url, None);
        let e = c.sqlalchemy_url_error.unwrap();
        assert!(e.contains("sqlalchemy.url") && e.contains("%%"), "{e}");
    }

    #[test]
    fn post_write_hooks_section_is_interpolated() {
        let t = project(&[(
            "alembic.ini",
            "[alembic]\nscript_location = .\n[post_write_hooks]\nhooks = black\nblack.options = -l 79 %(REVISION_SCRIPT_FILENAME)s\n",
        )]);
        assert!(crash_err(load_at(&request(t.path()))).contains("REVISION_SCRIPT_FILENAME"));
    }
}
