//! Stage 1: configuration. Reads `alembic.ini` (configparser semantics, see
//! [`ini`]) and `[tool.alembic]` in `pyproject.toml` exactly as Alembic 1.20
//! does, resolves `script_location` (path or `package.module:dir`, without
//! Python) and `version_locations`, and yields an [`AlembicConfig`].
//! [`components`] maps component names (Backend.AI built-ins, `db-status.toml`)
//! to ini files.

pub mod components;
pub mod ini;

use std::path::PathBuf;

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

/// Load the Alembic configuration as Alembic's `CommandLine.main` would.
pub fn load(request: &ConfigRequest) -> Result<AlembicConfig, ConfigError> {
    let _ = request;
    todo!("config::load")
}
