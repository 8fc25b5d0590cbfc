//! Stage 2: targets. A [`Target`] is one database to check against one
//! component's scripts, resolved once, in one place, for every command:
//! the component's Alembic config, the URL and where it came from, the
//! version table and its schema, the connection options, the Alembic
//! command to advise, the working directory, and labels (a fleet's).
//!
//! [`select`] turns the command line and the environment into targets;
//! [`Target::new`] builds one from explicit parts (a fleet entry is a
//! component + URL + optional `version_table_schema` + labels). Targets of
//! one component share its [`Component`], which loads the revision files
//! once ([`Component::scripts`]) however many targets use them.
//!
//! # URL precedence (per component `NAME`)
//!
//! 1. `--url NAME=URL`, or a bare `--url URL` when one component is selected;
//! 2. `DB_STATUS_URL_<NAME>` (`NAME` upper-cased, other characters as `_`);
//! 3. the component's `url` / `url_env` in the project file;
//! 4. `DB_STATUS_URL`, when one component is selected;
//! 5. what `env.py` reads: `os.environ["X"]` / `os.environ.get("X")` /
//!    `os.getenv("X")` when `X` is set (or a literal URL);
//! 6. `sqlalchemy.url` in the ini section.
//!
//! # Version table precedence
//!
//! 1. `version_table` / `version_table_schema` of the component in the
//!    project file (a fleet entry's `version_table_schema` for its database);
//! 2. the same keys in the ini section;
//! 3. what `env.py` passes to `context.configure` ([`crate::envpy`]);
//! 4. Alembic's default (`alembic_version`, the search path's schema).
//!
//! What `env.py` computes in a way db-status cannot read is never guessed:
//! a note names the line and the setting to use, and the next source applies.
//!
//! A bare URL (`--url URL` or `DB_STATUS_URL`) with several components
//! selected is a usage error: one URL cannot be every component's database.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::config::components::{self, ComponentSpec, SelectRequest, UrlOverride};
use crate::config::{AlembicConfig, ConfigError, ConfigRequest, VersionTable};
use crate::database::{ConnectOptions, DbError, DbErrorKind, DbUrl};
use crate::envpy::{self, EnvPy, EnvUrl};
use crate::error::{Error, ErrorKind};
use crate::graph::{GraphErrorKind, RevisionMap};
use crate::scripts::{ScriptError, ScriptErrorKind};
use crate::status::{Context, DbFacts, display_path};

/// Where a target's database URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// `--url URL` (`component: None`) or `--url NAME=URL`.
    Flag {
        /// The `NAME` of `--url NAME=URL`.
        component: Option<String>,
    },
    /// `DB_STATUS_URL_<NAME>` or `DB_STATUS_URL`.
    Env {
        /// The variable.
        var: String,
    },
    /// `url = "…"` in the project file.
    ProjectUrl {
        /// The project file, as shown.
        file: String,
    },
    /// `url_env = "VAR"` in the project file.
    ProjectEnv {
        /// The variable it names.
        var: String,
        /// The project file, as shown.
        file: String,
    },
    /// `sqlalchemy.url` in the ini section.
    Ini {
        /// The ini, as shown.
        file: String,
    },
    /// A fleet's targets file: `url = "…"`.
    TargetsFile {
        /// The targets file, as shown.
        file: String,
    },
    /// What `env.py` reads: an environment variable, or a literal URL.
    EnvPy {
        /// The variable (`None`: a literal in `env.py`).
        var: Option<String>,
        /// `env.py`, as shown.
        file: String,
        /// The line that reads it.
        line: u32,
    },
    /// A fleet's targets file: `url_env = "VAR"`.
    TargetsFileEnv {
        /// The variable it names.
        var: String,
        /// The targets file, as shown.
        file: String,
    },
}

impl UrlSource {
    /// Stable name used in JSON (`url_source`).
    pub fn kind(&self) -> &'static str {
        match self {
            UrlSource::Flag { .. } => "flag",
            UrlSource::Env { .. } => "env",
            UrlSource::ProjectUrl { .. } | UrlSource::ProjectEnv { .. } => "project-file",
            UrlSource::Ini { .. } => "ini",
            UrlSource::TargetsFile { .. } | UrlSource::TargetsFileEnv { .. } => "targets-file",
            UrlSource::EnvPy { .. } => "env.py",
        }
    }

    /// Where exactly, for people: `--url manager=…`, `DB_STATUS_URL_MANAGER`,
    /// `sqlalchemy.url in alembic.ini`.
    pub fn describe(&self) -> String {
        match self {
            UrlSource::Flag { component: None } => "--url".to_string(),
            UrlSource::Flag { component: Some(c) } => format!("--url {c}=…"),
            UrlSource::Env { var } => var.clone(),
            UrlSource::ProjectUrl { file } => format!("url in {file}"),
            UrlSource::ProjectEnv { var, file } => format!("{var} (url_env in {file})"),
            UrlSource::Ini { file } => format!("sqlalchemy.url in {file}"),
            UrlSource::TargetsFile { file } => format!("the targets file {file}"),
            UrlSource::EnvPy {
                var: Some(var),
                file,
                line,
            } => format!("{var}, read by {file}:{line}"),
            UrlSource::EnvPy {
                var: None,
                file,
                line,
            } => format!("{file}:{line}"),
            UrlSource::TargetsFileEnv { var, file } => {
                format!("{var} (url_env in the targets file {file})")
            }
        }
    }

    /// Whether the URL is the ini's own (what Alembic's `env.py` usually reads).
    pub fn is_ini(&self) -> bool {
        matches!(self, UrlSource::Ini { .. })
    }

    /// Whether Alembic connects to this URL too: the ini's, or what `env.py` reads.
    pub fn alembic_reads_it(&self) -> bool {
        matches!(self, UrlSource::Ini { .. } | UrlSource::EnvPy { .. })
    }
}

/// Where a target's version table name (or schema) came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TableSource {
    /// The component in the project file.
    ProjectFile {
        /// The project file, as shown.
        file: String,
    },
    /// A fleet's targets file (`version_table_schema` of an entry).
    TargetsFile,
    /// The ini section (a db-status extension).
    Ini {
        /// The ini, as shown.
        file: String,
    },
    /// What `env.py` passes to `context.configure`.
    EnvPy {
        /// `env.py`, as shown.
        file: String,
        /// The line of the call.
        line: u32,
    },
    /// Alembic's default.
    #[default]
    Default,
}

impl TableSource {
    /// Stable name used in JSON (`version_table.source`).
    pub fn kind(&self) -> &'static str {
        match self {
            TableSource::ProjectFile { .. } => "project-file",
            TableSource::TargetsFile => "targets-file",
            TableSource::Ini { .. } => "ini",
            TableSource::EnvPy { .. } => "env.py",
            TableSource::Default => "default",
        }
    }

    /// Where exactly, for people (`version_table` names the setting).
    pub fn describe(&self, setting: &str) -> String {
        match self {
            TableSource::ProjectFile { file } => format!("{setting} in {file}"),
            TableSource::TargetsFile => format!("{setting} in the targets file"),
            TableSource::Ini { file } => format!("{setting} in {file}"),
            TableSource::EnvPy { file, line } => format!("{setting} passed by {file}:{line}"),
            TableSource::Default => "Alembic's default".to_string(),
        }
    }
}

/// Where the version table's name and schema came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSources {
    /// Where the name came from.
    pub name: TableSource,
    /// Where the schema came from (`None`: no schema is set).
    pub schema: Option<TableSource>,
}

/// `NAME` as it appears in `DB_STATUS_URL_<NAME>`: upper-cased, every
/// character other than a letter or digit as `_`.
pub fn env_suffix(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The environment variables a selection reads, captured once.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment holding exactly these variables (for tests and embedding).
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Env {
        Env {
            vars: pairs.into_iter().collect(),
        }
    }

    /// A variable's value, when set and not blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// What every target of a run shares: where it runs.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The process working directory (symlinks resolved): paths are shown relative to it.
    pub cwd: PathBuf,
    /// The project root: configs resolve here and the advice's commands run here.
    pub root: PathBuf,
    /// A Backend.AI checkout (`./py` or `./backend.ai` in the root).
    pub backend_ai: bool,
    /// The environment.
    pub env: Env,
    /// `--python PATH|auto`: the interpreter that reads revision files db-status cannot.
    pub python: Option<crate::scripts::python::Fallback>,
}

impl Workspace {
    /// A workspace rooted at `root` (the working directory too).
    pub fn at(root: PathBuf, env: Env) -> Workspace {
        Workspace {
            backend_ai: is_backend_ai(&root),
            cwd: root.clone(),
            root,
            env,
            python: None,
        }
    }

    /// The root relative to the working directory when they differ (`../..`).
    pub fn root_from_cwd(&self) -> Option<String> {
        if self.root == self.cwd {
            return None;
        }
        let up = self
            .cwd
            .strip_prefix(&self.root)
            .ok()
            .map(|rel| rel.components().map(|_| "..").collect::<Vec<_>>().join("/"));
        Some(up.unwrap_or_else(|| self.root.display().to_string()))
    }
}

/// A Backend.AI checkout has `./py` (the pants-managed interpreter) or `./backend.ai`.
pub fn is_backend_ai(root: &Path) -> bool {
    root.join("py").exists() || root.join("backend.ai").exists()
}

/// The project root for `cwd`: the nearest directory, `cwd` or above, that
/// holds an `alembic*.ini`, `db-status.toml`, `[tool.db-status]` or a
/// built-in's tracked halfstack config; the search stops at the repository
/// root (a directory with `.git`), as git's does. `cwd` when none is found.
pub fn project_root(cwd: &Path) -> PathBuf {
    for dir in cwd.ancestors() {
        if components::is_project_dir(dir) {
            return dir.to_path_buf();
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    cwd.to_path_buf()
}

/// Revision files read and the map built: what every target of a component shares.
#[derive(Debug)]
pub struct Loaded {
    /// Alembic's revision map.
    pub map: RevisionMap,
    /// The warnings Alembic would print (duplicate revisions, …).
    pub warnings: Vec<String>,
    /// Which modules decided values that revision files import (see
    /// [`crate::scripts::ScriptSet::notes`]).
    pub notes: Vec<String>,
    /// Release comments and dumps, read on first use ([`Component::releases`]).
    releases: OnceLock<Arc<crate::releases::Known>>,
}

/// Why the scripts of a configuration could not be turned into a revision map.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// One or more revision files could not be read.
    #[error("{} revision file(s) could not be read", .0.len())]
    Scripts(Vec<ScriptError>),
    /// The revision map could not be built (missing parent, cycle, …).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
}

/// Read every revision file of `config` and build the revision map; files
/// the scanner cannot read go through the import resolver, then `python`.
pub fn load_map(
    config: &AlembicConfig,
    python: Option<&crate::scripts::python::Fallback>,
) -> Result<Loaded, LoadError> {
    let resolver = crate::scripts::imports::Resolver::new(config.search_path.clone());
    let set = crate::scripts::load_with(
        &config.version_locations,
        config.recursive_version_locations,
        config.sourceless,
        crate::scripts::Fallbacks {
            imports: Some(&resolver),
            python,
        },
    )
    .map_err(LoadError::Scripts)?;
    let (map, mut warnings) = RevisionMap::build(set.scripts)?;
    let mut all = set.warnings;
    all.append(&mut warnings);
    Ok(Loaded {
        map,
        warnings: all,
        notes: set.notes,
        releases: OnceLock::new(),
    })
}

impl LoadError {
    /// The error as `status` reports it (files shown relative to `cwd`).
    pub fn to_error(&self, cwd: &Path) -> Error {
        match self {
            LoadError::Scripts(errors) => {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|s| {
                        format!(
                            "{}:{}: {}",
                            display_path(&s.path, cwd).display(),
                            s.line,
                            s.message
                        )
                    })
                    .collect();
                let kind = match errors.first() {
                    Some(e) if e.kind == ScriptErrorKind::NoRevision => {
                        ErrorKind::MissingRevisionId
                    }
                    _ => ErrorKind::UnreadableRevisionFile,
                };
                Error::new(
                    kind,
                    format!(
                        "{} revision file{} cannot be read without running Python:\n  {}",
                        errors.len(),
                        if errors.len() == 1 { "" } else { "s" },
                        lines.join("\n  ")
                    ),
                )
                .hint(
                    "Write revision, down_revision, branch_labels and depends_on as plain literals at module level in each file listed",
                )
                .hint("Check the whole tree without a database: db-status check")
            }
            LoadError::Graph(g) => Error::new(graph_kind(g.kind), g.message.clone())
                .hint("Find the file at fault: db-status check"),
        }
    }
}

/// The error kind of a revision-map failure.
pub fn graph_kind(kind: GraphErrorKind) -> ErrorKind {
    match kind {
        GraphErrorKind::MissingRevision => ErrorKind::MissingRevision,
        GraphErrorKind::Cycle => ErrorKind::Cycle,
        GraphErrorKind::LabelClash => ErrorKind::LabelClash,
        GraphErrorKind::BadIdentifier => ErrorKind::BadIdentifier,
    }
}

/// One component, resolved: its config (or why it has none), the Alembic
/// command to advise, and its revision map, loaded at most once.
#[derive(Debug)]
pub struct Component {
    /// The component as selected.
    pub spec: ComponentSpec,
    /// Where the run happens.
    pub workspace: Arc<Workspace>,
    /// The Alembic configuration, or why it could not be read.
    pub config: Result<AlembicConfig, Error>,
    /// The config file as shown to people.
    pub config_shown: Option<String>,
    /// The Alembic command for this component, as argv (`./py -m alembic -c …`).
    pub alembic: Vec<String>,
    loaded: OnceLock<Result<Arc<Loaded>, Arc<LoadError>>>,
    env_py: OnceLock<Option<Arc<EnvPy>>>,
}

impl Component {
    /// Resolve a selected component: read its Alembic config.
    pub fn resolve(spec: ComponentSpec, workspace: Arc<Workspace>) -> Component {
        let request = ConfigRequest {
            config_files: spec.config_files.clone(),
            section: spec.section.clone(),
            cwd: workspace.root.clone(),
            alembic_config_env: spec.alembic_config_env.clone(),
        };
        let config = crate::config::load(&request).map_err(|e| config_error(&spec, &workspace, &e));
        let config_shown = spec
            .ini
            .as_ref()
            .map(|i| i.display().to_string())
            .or_else(|| {
                config.as_ref().ok().and_then(|c| {
                    c.ini_path
                        .as_ref()
                        .map(|p| display_path(p, &workspace.cwd).display().to_string())
                })
            });
        Component {
            alembic: alembic_argv(workspace.backend_ai, &spec),
            config_shown,
            config,
            spec,
            workspace,
            loaded: OnceLock::new(),
            env_py: OnceLock::new(),
        }
    }

    /// A component that could not even be selected (a broken project file):
    /// checking it reports `error`.
    pub fn broken(
        name: &str,
        file: Option<PathBuf>,
        error: Error,
        workspace: Arc<Workspace>,
    ) -> Component {
        let spec = ComponentSpec {
            name: name.to_string(),
            config_files: Vec::new(),
            ini: None,
            section: None,
            url: None,
            version_table: None,
            version_table_schema: None,
            alembic_config_env: None,
            tracked_instead_of: None,
            ad_hoc: false,
        };
        Component {
            alembic: alembic_argv(workspace.backend_ai, &spec),
            config_shown: file.map(|f| display_path(&f, &workspace.cwd).display().to_string()),
            config: Err(error),
            spec,
            workspace,
            loaded: OnceLock::new(),
            env_py: OnceLock::new(),
        }
    }

    /// The component's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The revision map, read and built on first use and shared afterwards
    /// (by every target of this component, and by other components'
    /// wrong-database lookups). Concurrent callers wait for the one load.
    pub fn scripts(&self) -> Result<Arc<Loaded>, Arc<LoadError>> {
        let Ok(config) = &self.config else {
            return Err(Arc::new(LoadError::Scripts(Vec::new())));
        };
        self.loaded
            .get_or_init(|| {
                load_map(config, self.workspace.python.as_ref())
                    .map(Arc::new)
                    .map_err(Arc::new)
            })
            .clone()
    }

    /// The component's release comments and dumps ([`crate::releases`]),
    /// read on first use and shared by its targets. The pattern is the
    /// project file's `release_pattern`, else Backend.AI's in a Backend.AI
    /// checkout, else none (comments are not read; dumps still are).
    pub fn releases(&self, loaded: &Loaded) -> Arc<crate::releases::Known> {
        loaded
            .releases
            .get_or_init(|| {
                let ws = &self.workspace;
                let (setting, error) = self.release_setting();
                let location = self
                    .config
                    .as_ref()
                    .map(|c| ws.root.join(&c.script_location))
                    .unwrap_or_default();
                let mut known = crate::releases::Known::read(&loaded.map, &setting, &location);
                known.setting_error = error;
                Arc::new(known)
            })
            .clone()
    }

    /// Whether and how release comments are read: the project file's
    /// `release_pattern`, else Backend.AI's in a Backend.AI checkout, else
    /// off; with why it is off when the pattern is unusable.
    pub fn release_setting(&self) -> (crate::releases::Setting, Option<String>) {
        let ws = &self.workspace;
        let setting = match crate::config::components::release_pattern(&ws.root) {
            Ok(p) => crate::releases::Setting::resolve(p.as_deref(), ws.backend_ai),
            Err(e) => Err(e.message),
        };
        match setting {
            Ok(s) => (s, None),
            Err(e) => (crate::releases::Setting::Off, Some(e)),
        }
    }

    /// What the component's `env.py` passes to Alembic, read on first use
    /// (`None`: no config, or no `env.py` in the script directory).
    pub fn env_py(&self) -> Option<&EnvPy> {
        self.env_py
            .get_or_init(|| {
                let config = self.config.as_ref().ok()?;
                let path = self
                    .workspace
                    .root
                    .join(&config.script_location)
                    .join("env.py");
                envpy::read(
                    &path,
                    config.databases.as_deref(),
                    Some(&config.search_path),
                )
                .map(Arc::new)
            })
            .as_deref()
    }

    /// `env.py` as shown to people.
    fn env_py_shown(&self, env: &EnvPy) -> String {
        display_path(&env.path, &self.workspace.cwd)
            .display()
            .to_string()
    }

    /// The version table and where its name and schema came from (see the
    /// module docs for the order), with the notes `env.py` calls for.
    pub fn version_table_resolved(&self) -> (VersionTable, TableSources, Vec<String>) {
        let spec = &self.spec;
        let project = || TableSource::ProjectFile {
            file: project_file_shown(&self.workspace.root),
        };
        let ini = |c: &AlembicConfig| TableSource::Ini {
            file: self
                .config_shown
                .clone()
                .unwrap_or_else(|| c.ini_name.clone()),
        };
        let config = self.config.as_ref().ok();
        let mut notes = Vec::new();
        let (mut name, mut name_source) = match (&spec.version_table, config) {
            (Some(n), _) => (Some(n.clone()), Some(project())),
            (None, Some(c)) if c.version_table_in_ini => {
                (Some(c.version_table.clone()), Some(ini(c)))
            }
            _ => (None, None),
        };
        let (mut schema, mut schema_source) = match (&spec.version_table_schema, config) {
            (Some(s), _) => (Some(s.clone()), Some(project())),
            (None, Some(c)) if c.version_table_schema.is_some() => {
                (c.version_table_schema.clone(), Some(ini(c)))
            }
            _ => (None, None),
        };
        if let Some(env) = self.env_py() {
            let file = self.env_py_shown(env);
            for (line, n) in &env.notes {
                notes.push(format!("{file}:{line}: {n}"));
            }
            // One `**kwargs` may hide both settings: one note for it.
            let is_spread = |f: &Option<envpy::Setting>| matches!(f, Some(envpy::Setting::Unreadable { expr, .. }) if expr.starts_with("**"));
            let mut spread_settings = Vec::new();
            if name_source.is_none() && is_spread(&env.version_table) {
                spread_settings.push("version_table");
            }
            if schema_source.is_none() && is_spread(&env.version_table_schema) {
                spread_settings.push("version_table_schema");
            }
            let slots = [
                (
                    "version_table",
                    &env.version_table,
                    &mut name,
                    &mut name_source,
                ),
                (
                    "version_table_schema",
                    &env.version_table_schema,
                    &mut schema,
                    &mut schema_source,
                ),
            ];
            let mut spread_said = false;
            for (setting, found, value, source) in slots {
                if source.is_some() {
                    continue;
                }
                match found {
                    Some(envpy::Setting::Value { value: v, line }) => {
                        *value = Some(v.clone());
                        *source = Some(TableSource::EnvPy {
                            file: file.clone(),
                            line: *line,
                        });
                    }
                    Some(envpy::Setting::Unreadable { line, expr, why }) => {
                        let instead = if setting == "version_table" {
                            "the default alembic_version"
                        } else {
                            "the search path's schema"
                        };
                        let how = if spec.ad_hoc {
                            let ini = self.config_shown.as_deref().unwrap_or("alembic.ini");
                            let section = config.map_or("alembic", |c| c.section.as_str());
                            format!(
                                "set {setting} = <the one env.py uses> in the [{section}] section of {ini}, or declare the component in db-status.toml ([{}] with config = \"{ini}\" and {setting} = \"…\")",
                                spec.name
                            )
                        } else {
                            format!(
                                "set {setting} = \"…\" (the one env.py uses) for component {} in db-status.toml",
                                spec.name
                            )
                        };
                        let what = if expr.starts_with("**") {
                            if spread_said {
                                continue;
                            }
                            spread_said = true;
                            format!(
                                "{file}:{line} passes {expr} to context.configure, which may set {} and cannot be read without running Python",
                                spread_settings.join(" or ")
                            )
                        } else {
                            format!(
                                "{file}:{line} passes {setting}={expr}, which db-status cannot read without running Python ({why})"
                            )
                        };
                        notes.push(format!("{what}; {instead} is read instead: {how}"));
                    }
                    None => {}
                }
            }
            if let Some(m) = &env.multidb
                && spec.url.is_none()
            {
                let names = if m.names.is_empty() {
                    String::new()
                } else {
                    format!(": {}", m.names.join(", "))
                };
                notes.push(format!(
                    "{file}:{} migrates several databases ({}{names}); db-status checks one database per component: declare one component per database in db-status.toml, each with config = \"{}\" and its own url or url_env (and version_table where they differ), then check them all with --all",
                    m.line,
                    m.how,
                    self.config_shown.as_deref().unwrap_or("alembic.ini"),
                ));
            }
        }
        let table = VersionTable {
            name: name.unwrap_or_else(|| VersionTable::default().name),
            schema,
        };
        let sources = TableSources {
            name: name_source.unwrap_or_default(),
            schema: schema_source,
        };
        (table, sources, notes)
    }

    /// The version table (see [`Component::version_table_resolved`]).
    pub fn version_table(&self) -> VersionTable {
        self.version_table_resolved().0
    }
}

/// The error for a config that failed to load: a missing ini says where it
/// looked and what to copy; anything else is the loader's message.
fn config_error(spec: &ComponentSpec, ws: &Workspace, e: &ConfigError) -> Error {
    let ini_missing = spec.ini.as_ref().filter(|i| !ws.root.join(i).is_file());
    if let Some(ini) = ini_missing {
        let ini = ini.display().to_string();
        let path = ws.root.join(&ini);
        let what = if path.is_dir() {
            format!(
                "{ini} in {} is a directory, not an ini file",
                ws.root.display()
            )
        } else {
            format!("{ini} not found in {}", ws.root.display())
        };
        let mut err = Error::new(ErrorKind::MissingConfig, what)
            .caused_by(e.to_string())
            .hint(format!(
                "Run db-status from the directory that holds {ini}, or point at it: db-status -c path/to/{ini}"
            ));
        if ws.backend_ai {
            err = err.hint(
                "In a Backend.AI checkout, copy the halfstack config: cp configs/<component>/halfstack.alembic.ini <ini> (./scripts/install-dev.sh does this)",
            );
        }
        return err;
    }
    let (kind, message) = match e {
        ConfigError::Command(m) => (ErrorKind::Config, m.clone()),
        ConfigError::Crash(m) => (ErrorKind::ConfigCrash, m.clone()),
    };
    Error::new(kind, message).hint(format!(
        "Fix {} as the message says",
        spec.ini.as_ref().map_or_else(
            || "the Alembic config".to_string(),
            |i| i.display().to_string()
        )
    ))
}

/// `./py -m alembic` in a Backend.AI checkout, else `alembic`; `-c FILE`
/// for each config file other than the defaults; `-n SECTION` unless `alembic`.
fn alembic_argv(backend_ai: bool, spec: &ComponentSpec) -> Vec<String> {
    let mut argv: Vec<String> = if backend_ai {
        vec!["./py".into(), "-m".into(), "alembic".into()]
    } else {
        vec!["alembic".into()]
    };
    for f in &spec.config_files {
        if f != Path::new("alembic.ini") && f != Path::new("pyproject.toml") {
            argv.push("-c".into());
            argv.push(f.to_string_lossy().into_owned());
        }
    }
    if spec.config_files.is_empty()
        && let Some(env) = &spec.alembic_config_env
        && env != "alembic.ini"
    {
        argv.push("-c".into());
        argv.push(env.clone());
    }
    if let Some(section) = spec.section.as_deref().filter(|s| *s != "alembic") {
        argv.push("-n".into());
        argv.push(section.to_string());
    }
    argv
}

/// A target's database URL.
#[derive(Debug, Clone)]
pub enum TargetUrl {
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
    fn from_raw(raw: &str, source: UrlSource) -> TargetUrl {
        match DbUrl::parse(raw) {
            Ok(url) => TargetUrl::Given { url, source },
            Err(error) => TargetUrl::Invalid { source, error },
        }
    }

    /// Where the URL came from, when there is one.
    pub fn source(&self) -> Option<&UrlSource> {
        match self {
            TargetUrl::Given { source, .. } | TargetUrl::Invalid { source, .. } => Some(source),
            TargetUrl::Missing => None,
        }
    }
}

/// One database to check against one component's scripts.
#[derive(Debug, Clone)]
pub struct Target {
    /// The component (shared by every target of it).
    pub component: Arc<Component>,
    /// Labels (a fleet's `env=prod`, …); empty otherwise.
    pub labels: BTreeMap<String, String>,
    /// The database URL and where it came from.
    pub url: TargetUrl,
    /// The version table to read.
    pub version_table: VersionTable,
    /// Where the version table's name and schema came from.
    pub table_sources: TableSources,
    /// Notes about this target (what `env.py` does that cannot be read, …).
    pub notes: Vec<String>,
    /// Timeouts and connection settings.
    pub connect: ConnectOptions,
    /// The command that checks this target again, as argv.
    pub recheck: Vec<String>,
    /// Said after the recheck command (e.g. that its password is masked).
    pub recheck_note: Option<String>,
}

impl Target {
    /// A target from explicit parts (a fleet entry): the URL as written and
    /// where it came from (`None`: the component's own resolution), an
    /// optional `version_table_schema` for this database, and labels.
    pub fn new(
        component: Arc<Component>,
        url: Option<(&str, UrlSource)>,
        version_table_schema: Option<String>,
        labels: BTreeMap<String, String>,
        connect: ConnectOptions,
    ) -> Target {
        let (url, mut notes) = match url {
            Some((raw, source)) => (TargetUrl::from_raw(raw, source), Vec::new()),
            None => component_url(&component, None),
        };
        let (mut version_table, mut table_sources, table_notes) =
            component.version_table_resolved();
        if version_table_schema.is_some() {
            version_table.schema = version_table_schema;
            table_sources.schema = Some(TableSource::TargetsFile);
        }
        notes.extend(table_notes);
        let recheck = recheck_argv(&component, None);
        Target {
            component,
            labels,
            url,
            version_table,
            table_sources,
            notes,
            connect,
            recheck,
            recheck_note: None,
        }
    }

    /// The component's name.
    pub fn name(&self) -> &str {
        self.component.name()
    }

    /// What the verdict needs to know about this target.
    pub fn context(&self) -> Context {
        let c = &self.component;
        let ws = &c.workspace;
        let (database, db) = match &self.url {
            TargetUrl::Given { url, .. } => (
                Some(url.masked()),
                DbFacts {
                    backend: url.backend().ok(),
                    name: url.database.clone().filter(|d| !d.is_empty()),
                    user: url.username.clone().filter(|u| !u.is_empty()),
                },
            ),
            _ => (None, DbFacts::default()),
        };
        Context {
            name: c.name().to_string(),
            labels: self.labels.clone(),
            config: c.config_shown.clone(),
            script_location: c.config.as_ref().ok().map(|cfg| {
                display_path(&ws.root.join(&cfg.script_location), &ws.cwd)
                    .display()
                    .to_string()
            }),
            database,
            url_source: self.url.source().cloned(),
            db,
            alembic: c.alembic.clone(),
            workdir: ws.root_from_cwd(),
            backend_ai: ws.backend_ai,
            recheck: self.recheck.clone(),
            recheck_note: self.recheck_note.clone(),
            cwd: ws.cwd.clone(),
            notes: self.notes.clone(),
            version_table: self.version_table.clone(),
            table_sources: self.table_sources.clone(),
            foreign: Vec::new(),
            releases: None,
        }
    }
}

/// The project file as shown: `db-status.toml`, else `[tool.db-status]`.
fn project_file_shown(root: &Path) -> String {
    if root.join("db-status.toml").is_file() {
        "db-status.toml".to_string()
    } else {
        "[tool.db-status] in pyproject.toml".to_string()
    }
}

/// The URL of `component` from its own sources (precedence 2, 3, 5 and 6
/// of the module docs), with `bare` (`DB_STATUS_URL`, one component only)
/// at 4, and the notes it calls for.
fn component_url(component: &Component, bare_env: Option<&str>) -> (TargetUrl, Vec<String>) {
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

/// `db-status` with the same selection (`--component NAME`, or `-c FILE -n SECTION`).
fn recheck_argv(component: &Component, section_flag: Option<&str>) -> Vec<String> {
    let spec = &component.spec;
    let mut argv = vec!["db-status".to_string()];
    if spec.ad_hoc {
        for f in &spec.config_files {
            argv.push("-c".into());
            argv.push(f.to_string_lossy().into_owned());
        }
        if let Some(s) = &spec.section {
            argv.push("-n".into());
            argv.push(s.clone());
        }
    } else {
        argv.push("--component".into());
        argv.push(spec.name.clone());
        if let Some(s) = section_flag {
            argv.push("-n".into());
            argv.push(s.to_string());
        }
    }
    argv
}

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--component NAME` values, in order.
    pub components: Vec<String>,
    /// `--all`.
    pub all: bool,
    /// `-c FILE` values.
    pub config_files: Vec<PathBuf>,
    /// `-n SECTION`.
    pub section: Option<String>,
    /// `--url` values (`URL` or `NAME=URL`), in order.
    pub urls: Vec<String>,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--python PATH|auto`.
    pub python: Option<String>,
    /// Whether `DB_STATUS_URL` / `DB_STATUS_URL_<NAME>` apply (commands that read databases).
    pub use_env_urls: bool,
    /// Search the project root upward from the working directory.
    pub find_root: bool,
    /// Without `--component`/`--all`, read exactly what `alembic` would:
    /// `-c`, else `ALEMBIC_CONFIG`, else `alembic.ini` in the working
    /// directory (never a project file's default component).
    pub alembic_semantics: bool,
}

/// The targets of a run, and what they share.
#[derive(Debug)]
pub struct Selection {
    /// Where the run happens.
    pub workspace: Arc<Workspace>,
    /// The targets, in selection order.
    pub targets: Vec<Target>,
    /// Every component known in the project (selected or not), for the
    /// wrong-database lookup; resolved only when asked.
    pub catalog: Catalog,
    /// Notes for the whole run (said once, not once per component).
    pub notes: Vec<String>,
}

/// A `--url` value: `NAME=URL` or a bare `URL`.
fn split_named(value: &str) -> (Option<&str>, &str) {
    if let Some((name, url)) = value.split_once('=') {
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if is_name {
            return (Some(name), url);
        }
    }
    (None, value)
}

/// Resolve the command line and the environment into targets. An `Err` is
/// a usage error for the whole run (exit 2).
pub fn select(req: &Request, cwd: PathBuf, env: Env) -> Result<Selection, Error> {
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let alembic_config_env = env.get("ALEMBIC_CONFIG").map(str::to_string);
    let plain_alembic = req.alembic_semantics && req.components.is_empty() && !req.all;
    let root = if req.find_root
        && !plain_alembic
        && req.config_files.is_empty()
        && alembic_config_env.is_none()
    {
        project_root(&cwd)
    } else {
        cwd.clone()
    };
    let python = match &req.python {
        Some(flag) => Some(
            crate::scripts::python::Fallback::from_flag(
                flag,
                &root,
                env.get("VIRTUAL_ENV"),
                req.timeout,
            )
            .map_err(|why| Error::new(ErrorKind::Usage, why))?,
        ),
        None => None,
    };
    let workspace = Arc::new(Workspace {
        backend_ai: is_backend_ai(&root),
        cwd,
        root: root.clone(),
        env,
        python,
    });
    let selected = if plain_alembic {
        // Alembic reads ALEMBIC_CONFIG for its defaults even with -c.
        let mut spec = components::ad_hoc(&req.config_files, alembic_config_env);
        spec.section = req.section.clone();
        vec![Ok(spec)]
    } else {
        components::select(&SelectRequest {
            components: req.components.clone(),
            all: req.all,
            config_files: req.config_files.clone(),
            section: req.section.clone(),
            cwd: root.clone(),
            alembic_config_env,
        })
    };
    for s in &selected {
        if let Err(e) = s
            && matches!(e.kind, ErrorKind::Usage | ErrorKind::UnknownComponent)
        {
            return Err(Error::new(e.kind, e.message.clone()));
        }
    }

    // --url values: at most one bare URL, and NAME= naming selected components once each.
    let names: Vec<String> = selected
        .iter()
        .map(|s| match s {
            Ok(spec) => spec.name.clone(),
            Err(e) => e.name.clone(),
        })
        .collect();
    let mut bare: Option<String> = None;
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for value in &req.urls {
        match split_named(value) {
            (Some(name), url) => {
                let canonical = components::canonical_name(name).to_string();
                if !names.contains(&canonical) {
                    return Err(Error::usage(format!(
                        "--url {name}=… names a component that is not selected (selected: {}): add --component {name}, or fix the name",
                        names.join(", ")
                    )));
                }
                if named.insert(canonical, url.to_string()).is_some() {
                    return Err(Error::usage(format!(
                        "--url {name}=… is given twice: give each component one URL"
                    )));
                }
            }
            (None, url) => {
                if bare.replace(url.to_string()).is_some() {
                    return Err(Error::usage(
                        "--url URL is given twice: give each component its own with --url NAME=URL",
                    ));
                }
            }
        }
    }
    let bare_env = if req.use_env_urls {
        workspace.env.get("DB_STATUS_URL").map(str::to_string)
    } else {
        None
    };
    if names.len() > 1 && (bare.is_some() || bare_env.is_some()) {
        let what = if bare.is_some() {
            "--url URL"
        } else {
            "DB_STATUS_URL"
        };
        let first = names.first().map_or("NAME", String::as_str);
        return Err(Error::usage(format!(
            "{what} names one database, but {} components are selected ({}): give each its own with --url NAME=URL (e.g. --url {first}=…) or DB_STATUS_URL_{}, or select one with --component NAME",
            names.len(),
            names.join(", "),
            env_suffix(first)
        )));
    }

    let connect = ConnectOptions {
        timeout: req.timeout.unwrap_or(crate::database::DEFAULT_TIMEOUT),
    };
    let notes = tracked_note(&selected);
    let mut targets = Vec::new();
    for s in selected {
        let component = match s {
            Ok(spec) => Arc::new(Component::resolve(spec, Arc::clone(&workspace))),
            Err(e) => Arc::new(Component::broken(
                &e.name,
                e.file.clone(),
                Error::new(e.kind, e.message.clone()).hints(e.actions.clone()),
                Arc::clone(&workspace),
            )),
        };
        let name = component.name().to_string();
        let flag = named
            .get(&name)
            .map(|u| (u.clone(), Some(name.clone())))
            .or_else(|| bare.clone().map(|u| (u, None)));
        let mut recheck = recheck_argv(&component, req.section.as_deref());
        let mut recheck_note = None;
        let (url, mut notes) = match flag {
            Some((raw, which)) => {
                let url = TargetUrl::from_raw(
                    &raw,
                    UrlSource::Flag {
                        component: which.clone(),
                    },
                );
                // "Verify" repeats the same database: the same --url, masked
                // where it holds a password.
                let shown = match &url {
                    TargetUrl::Given { url, .. } => {
                        let secret = url.password.is_some()
                            || url.query_value("password").is_some()
                            || url.host.as_deref().is_some_and(|h| h.contains('@'));
                        if secret {
                            recheck_note = Some("with your password in place of ***".to_string());
                        }
                        url.masked()
                    }
                    _ => "URL".to_string(),
                };
                recheck.push("--url".into());
                recheck.push(match which {
                    Some(n) if !component.spec.ad_hoc => format!("{n}={shown}"),
                    _ => shown,
                });
                (url, Vec::new())
            }
            None => component_url(&component, bare_env.as_deref()),
        };
        let (version_table, table_sources, table_notes) = component.version_table_resolved();
        notes.extend(table_notes);
        targets.push(Target {
            version_table,
            table_sources,
            notes,
            component,
            labels: BTreeMap::new(),
            url,
            connect: connect.clone(),
            recheck,
            recheck_note,
        });
    }
    let selected: Vec<Arc<Component>> = targets.iter().map(|t| Arc::clone(&t.component)).collect();
    let catalog = Catalog::new(&workspace, &selected);
    Ok(Selection {
        workspace,
        targets,
        catalog,
        notes,
    })
}

/// The note, once per run, that tracked halfstack configs stand in for
/// missing inis.
fn tracked_note(selected: &[Result<ComponentSpec, components::ComponentError>]) -> Vec<String> {
    let pairs: Vec<(&str, String)> = selected
        .iter()
        .flatten()
        .filter_map(|s| {
            let missing = s.tracked_instead_of.as_deref()?;
            Some((missing, s.ini.as_ref()?.display().to_string()))
        })
        .collect();
    match pairs.as_slice() {
        [] => Vec::new(),
        [(missing, tracked)] => vec![format!(
            "{missing} not found; using the tracked {tracked} (copy it to {missing} to customise it)"
        )],
        many => {
            let missing: Vec<&str> = many.iter().map(|(m, _)| *m).collect();
            let tracked: Vec<&str> = many.iter().map(|(_, t)| t.as_str()).collect();
            vec![format!(
                "{} not found; using the tracked {} (copy each to its name in the project root to customise it)",
                missing.join(", "),
                tracked.join(", ")
            )]
        }
    }
}

/// Every component `--all` would check in a project, resolved (config read)
/// only when the wrong-database lookup asks for it; the selected components
/// are reused, so their revision maps are loaded once.
#[derive(Debug)]
pub struct Catalog {
    workspace: Arc<Workspace>,
    entries: Vec<(ComponentSpec, OnceLock<Arc<Component>>)>,
}

impl Catalog {
    /// The project's components, with `selected` reused where the names match.
    pub fn new(workspace: &Arc<Workspace>, selected: &[Arc<Component>]) -> Catalog {
        let mut entries: Vec<(ComponentSpec, OnceLock<Arc<Component>>)> = selected
            .iter()
            .map(|c| (c.spec.clone(), OnceLock::from(Arc::clone(c))))
            .collect();
        for spec in components::catalog(&workspace.root) {
            if !entries.iter().any(|(s, _)| s.name == spec.name) {
                entries.push((spec, OnceLock::new()));
            }
        }
        Catalog {
            workspace: Arc::clone(workspace),
            entries,
        }
    }

    /// A catalog of exactly these components.
    pub fn of(workspace: &Arc<Workspace>, components: &[Arc<Component>]) -> Catalog {
        Catalog {
            workspace: Arc::clone(workspace),
            entries: components
                .iter()
                .map(|c| (c.spec.clone(), OnceLock::from(Arc::clone(c))))
                .collect(),
        }
    }

    /// The components other than `name`, resolved on first use.
    pub fn others<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Arc<Component>> + 'a {
        self.entries
            .iter()
            .filter(move |(spec, _)| spec.name != name)
            .map(|(spec, cell)| {
                cell.get_or_init(|| {
                    Arc::new(Component::resolve(
                        spec.clone(),
                        Arc::clone(&self.workspace),
                    ))
                })
            })
    }
}

/// The component named `name` in the workspace (a built-in or the project
/// file's), resolved: what a fleet entry names. An unknown name is an error.
pub fn component(name: &str, workspace: &Arc<Workspace>) -> Result<Arc<Component>, Error> {
    let mut selected = components::select(&SelectRequest {
        components: vec![name.to_string()],
        cwd: workspace.root.clone(),
        ..SelectRequest::default()
    });
    match selected.pop() {
        Some(Ok(spec)) => Ok(Arc::new(Component::resolve(spec, Arc::clone(workspace)))),
        Some(Err(e)) => Err(Error::new(e.kind, e.message).hints(e.actions)),
        None => Err(Error::new(
            ErrorKind::UnknownComponent,
            format!("unknown component '{name}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }

    fn project(dir: &Path) {
        write(
            dir,
            "db-status.toml",
            "[app]\nconfig = \"alembic.ini\"\n[audit]\nconfig = \"alembic.ini\"\nsection = \"audit\"\nurl_env = \"AUDIT_URL\"\n",
        );
        write(
            dir,
            "alembic.ini",
            "[alembic]\nscript_location = m\nsqlalchemy.url = sqlite:///app.db\n[audit]\nscript_location = m\n",
        );
        std::fs::create_dir_all(dir.join("m/versions")).expect("mkdir");
    }

    fn req(components: &[&str], urls: &[&str]) -> Request {
        Request {
            components: components.iter().map(|s| s.to_string()).collect(),
            urls: urls.iter().map(|s| s.to_string()).collect(),
            use_env_urls: true,
            find_root: true,
            ..Request::default()
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn source(t: &Target) -> String {
        t.url
            .source()
            .map_or("none".to_string(), UrlSource::describe)
    }

    #[test]
    fn url_precedence() {
        let d = tempfile::tempdir().expect("tmp");
        project(d.path());
        let cwd = d.path().to_path_buf();
        let all = Request {
            all: true,
            ..req(&[], &[])
        };
        // Component sources: the ini, and url_env.
        let s = select(
            &all,
            cwd.clone(),
            env(&[("AUDIT_URL", "sqlite:///audit.db")]),
        )
        .expect("ok");
        let got: Vec<String> = s.targets.iter().map(source).collect();
        assert_eq!(
            got,
            [
                "sqlalchemy.url in alembic.ini",
                "AUDIT_URL (url_env in db-status.toml)"
            ]
        );
        // DB_STATUS_URL_<NAME> beats url_env; --url NAME= beats both.
        let e = env(&[
            ("AUDIT_URL", "sqlite:///a.db"),
            ("DB_STATUS_URL_AUDIT", "sqlite:///b.db"),
        ]);
        let s = select(&all, cwd.clone(), e.clone()).expect("ok");
        assert_eq!(source(&s.targets[1]), "DB_STATUS_URL_AUDIT");
        let s = select(
            &Request {
                all: true,
                ..req(&[], &["audit=sqlite:///c.db"])
            },
            cwd.clone(),
            e,
        )
        .expect("ok");
        assert_eq!(source(&s.targets[1]), "--url audit=…");
        assert_eq!(
            s.targets[1].recheck,
            [
                "db-status",
                "--component",
                "audit",
                "--url",
                "audit=sqlite:///c.db"
            ]
        );
        // A bare URL with two components is a usage error, from the flag or the env.
        let e = select(
            &Request {
                all: true,
                ..req(&[], &["sqlite:///x.db"])
            },
            cwd.clone(),
            env(&[]),
        )
        .expect_err("usage");
        assert_eq!(e.kind, ErrorKind::Usage);
        assert!(
            e.message.contains("--url NAME=URL") && e.message.contains("DB_STATUS_URL_APP"),
            "{}",
            e.message
        );
        let e = select(
            &all,
            cwd.clone(),
            env(&[("DB_STATUS_URL", "sqlite:///x.db")]),
        )
        .expect_err("usage");
        assert!(
            e.message.starts_with("DB_STATUS_URL names one database"),
            "{}",
            e.message
        );
        // With one component, DB_STATUS_URL sits below url_env and above the ini.
        let s = select(
            &req(&["app"], &[]),
            cwd.clone(),
            env(&[("DB_STATUS_URL", "sqlite:///x.db")]),
        )
        .expect("ok");
        assert_eq!(source(&s.targets[0]), "DB_STATUS_URL");
        let s = select(
            &req(&["audit"], &[]),
            cwd.clone(),
            env(&[
                ("DB_STATUS_URL", "sqlite:///x.db"),
                ("AUDIT_URL", "sqlite:///a.db"),
            ]),
        )
        .expect("ok");
        assert_eq!(
            source(&s.targets[0]),
            "AUDIT_URL (url_env in db-status.toml)"
        );
        // A bare --url is the one component's.
        let s = select(
            &req(&["app"], &["postgresql://u:pw@h/db"]),
            cwd.clone(),
            env(&[]),
        )
        .expect("ok");
        assert_eq!(source(&s.targets[0]), "--url");
        assert_eq!(
            s.targets[0].recheck.last().map(String::as_str),
            Some("postgresql://u:***@h/db")
        );
        assert!(s.targets[0].recheck_note.is_some());
        // NAME= must name a selected component.
        let e =
            select(&req(&["app"], &["audit=sqlite:///x.db"]), cwd, env(&[])).expect_err("usage");
        assert!(e.message.contains("not selected"), "{}", e.message);
    }

    #[test]
    fn root_is_found_from_a_subdirectory() {
        let d = tempfile::tempdir().expect("tmp");
        project(d.path());
        std::fs::create_dir_all(d.path().join("src/ai")).expect("mkdir");
        let root = std::fs::canonicalize(d.path()).expect("canon");
        assert_eq!(project_root(&root.join("src/ai")), root);
        let s = select(&req(&["app"], &[]), root.join("src/ai"), env(&[])).expect("ok");
        assert_eq!(s.workspace.root, root);
        assert_eq!(s.workspace.root_from_cwd().as_deref(), Some("../.."));
        assert!(s.targets[0].component.config.is_ok());
        // A repository root stops the search.
        std::fs::create_dir_all(d.path().join("sub/.git")).expect("mkdir");
        std::fs::create_dir_all(d.path().join("sub/x")).expect("mkdir");
        assert_eq!(project_root(&root.join("sub/x")), root.join("sub/x"));
    }

    #[test]
    fn fleet_targets_share_one_components_scripts() {
        let d = tempfile::tempdir().expect("tmp");
        project(d.path());
        write(
            d.path(),
            "m/versions/a1_x.py",
            "revision = 'a1'\ndown_revision = None\n",
        );
        let ws = Arc::new(Workspace::at(
            std::fs::canonicalize(d.path()).expect("canon"),
            env(&[]),
        ));
        let app = component("app", &ws).expect("app");
        let labels = |e: &str| BTreeMap::from([("env".to_string(), e.to_string())]);
        let source = || UrlSource::TargetsFile {
            file: "targets.toml".into(),
        };
        let prod = Target::new(
            Arc::clone(&app),
            Some(("sqlite:///prod.db", source())),
            Some("ops".into()),
            labels("prod"),
            ConnectOptions::default(),
        );
        let dev = Target::new(
            Arc::clone(&app),
            None,
            None,
            labels("dev"),
            ConnectOptions::default(),
        );
        assert_eq!(prod.version_table.schema.as_deref(), Some("ops"));
        assert_eq!(dev.version_table.schema, None);
        assert_eq!(prod.url.source().map(UrlSource::kind), Some("targets-file"));
        assert_eq!(dev.url.source().map(UrlSource::kind), Some("ini"));
        assert_eq!(prod.context().labels, labels("prod"));
        let a = prod.component.scripts().expect("scripts");
        let b = dev.component.scripts().expect("scripts");
        assert!(Arc::ptr_eq(&a, &b), "one load for both targets");
        assert_eq!(a.map.len(), 1);
        assert!(component("nope", &ws).is_err());
    }

    /// A project whose `app` component's env.py is `env_py`; `ini_extra`
    /// goes in the ini's `[alembic]` section, `toml_extra` in `[app]`.
    fn envpy_project(dir: &Path, env_py: &str, ini_extra: &str, toml_extra: &str) {
        write(
            dir,
            "db-status.toml",
            &format!("[app]\nconfig = \"alembic.ini\"\n{toml_extra}"),
        );
        write(
            dir,
            "alembic.ini",
            &format!("[alembic]\nscript_location = m\n{ini_extra}"),
        );
        write(dir, "m/env.py", env_py);
        std::fs::create_dir_all(dir.join("m/versions")).expect("mkdir");
    }

    const ENV_PY: &str = "import os\nfrom alembic import context\nfrom sqlalchemy import create_engine\n\ndef run_migrations_online():\n    engine = create_engine(os.environ['APP_URL'])\n    context.configure(connection=engine.connect(), version_table='app_version', version_table_schema='meta')\n\nrun_migrations_online()\n";

    fn one(dir: &Path, e: Env) -> Target {
        let mut s = select(&req(&["app"], &[]), dir.to_path_buf(), e).expect("ok");
        s.targets.remove(0)
    }

    #[test]
    fn version_table_precedence() {
        let d = tempfile::tempdir().expect("tmp");
        // env.py alone.
        envpy_project(d.path(), ENV_PY, "", "");
        let t = one(d.path(), env(&[]));
        assert_eq!(t.version_table.qualified(), "meta.app_version");
        let at = TableSource::EnvPy {
            file: "m/env.py".into(),
            line: 7,
        };
        assert_eq!(t.table_sources.name, at);
        assert_eq!(t.table_sources.schema, Some(at));
        // The ini beats env.py, the project file beats both.
        envpy_project(d.path(), ENV_PY, "version_table = ini_v\n", "");
        let t = one(d.path(), env(&[]));
        assert_eq!(t.version_table.qualified(), "meta.ini_v");
        assert_eq!(t.table_sources.name.kind(), "ini");
        assert_eq!(
            t.table_sources.schema.as_ref().map(TableSource::kind),
            Some("env.py")
        );
        envpy_project(
            d.path(),
            ENV_PY,
            "version_table = ini_v\n",
            "version_table = \"toml_v\"\nversion_table_schema = \"s\"\n",
        );
        let t = one(d.path(), env(&[]));
        assert_eq!(t.version_table.qualified(), "s.toml_v");
        assert_eq!(t.table_sources.name.kind(), "project-file");
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        // Unreadable: the default, and a note naming the line and the setting.
        envpy_project(
            d.path(),
            "from alembic import context\ncontext.configure(version_table=name + '_v')\n",
            "",
            "",
        );
        let t = one(d.path(), env(&[]));
        assert_eq!(t.version_table, VersionTable::default());
        assert_eq!(t.table_sources.name, TableSource::Default);
        assert_eq!(t.notes.len(), 1, "{:?}", t.notes);
        assert!(
            t.notes[0].starts_with(
                "m/env.py:2 passes version_table=name + '_v', which db-status cannot read"
            ) && t.notes[0].ends_with("for component app in db-status.toml"),
            "{}",
            t.notes[0]
        );
    }

    #[test]
    fn url_from_env_py() {
        let d = tempfile::tempdir().expect("tmp");
        envpy_project(d.path(), ENV_PY, "sqlalchemy.url = sqlite:///ini.db\n", "");
        // Set: above the ini, below DB_STATUS_URL and the component's url_env.
        let t = one(d.path(), env(&[("APP_URL", "sqlite:///env.db")]));
        assert_eq!(source(&t), "APP_URL, read by m/env.py:6");
        assert_eq!(t.url.source().map(UrlSource::kind), Some("env.py"));
        let t = one(
            d.path(),
            env(&[
                ("APP_URL", "sqlite:///env.db"),
                ("DB_STATUS_URL", "sqlite:///x.db"),
            ]),
        );
        assert_eq!(source(&t), "DB_STATUS_URL");
        // Not set: the ini's URL, with a note naming the variable.
        let t = one(d.path(), env(&[]));
        assert_eq!(source(&t), "sqlalchemy.url in alembic.ini");
        assert!(
            t.notes.iter().any(|n| n.starts_with(
                "m/env.py:6 takes the database URL from the environment variable APP_URL, which is not set"
            )),
            "{:?}",
            t.notes
        );
        // `os.getenv(X) or <the ini's URL>`: unset, the ini's is Alembic's too, nothing to say.
        envpy_project(
            d.path(),
            &ENV_PY.replace(
                "os.environ['APP_URL']",
                "os.getenv('APP_URL') or config.get_main_option('sqlalchemy.url')",
            ),
            "sqlalchemy.url = sqlite:///ini.db\n",
            "",
        );
        let t = one(d.path(), env(&[]));
        assert_eq!(source(&t), "sqlalchemy.url in alembic.ini");
        assert!(t.notes.is_empty(), "{:?}", t.notes);
        // Not set and no ini URL: the error names the variable.
        envpy_project(d.path(), ENV_PY, "", "");
        match one(d.path(), env(&[])).url {
            TargetUrl::Invalid { error, source } => {
                assert!(
                    error.message.contains("APP_URL, which is not set"),
                    "{}",
                    error.message
                );
                assert_eq!(source.kind(), "env.py");
            }
            other => panic!("{other:?}"),
        }
        // Application settings: never guessed; the message names the line.
        envpy_project(
            d.path(),
            "from alembic import context\nfrom airflow import settings\ncontext.configure(url=settings.SQL_ALCHEMY_CONN)\n",
            "",
            "",
        );
        match one(d.path(), env(&[])).url {
            TargetUrl::Invalid { error, .. } => assert!(
                error.message.starts_with(
                    "m/env.py:3 builds the database URL from settings.SQL_ALCHEMY_CONN, which db-status cannot read without running Python: pass the URL with --url, DB_STATUS_URL_APP or url_env"
                ),
                "{}",
                error.message
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn multidb_env_py_is_said_with_the_configuration_that_covers_it() {
        let d = tempfile::tempdir().expect("tmp");
        envpy_project(
            d.path(),
            "from alembic import context\nconfig = context.config\ndb_names = config.get_main_option('databases', '')\n",
            "databases = engine1, engine2\n",
            "",
        );
        let t = one(d.path(), env(&[]));
        assert!(
            t.notes.iter().any(|n| n.starts_with(
                "m/env.py:3 migrates several databases (Alembic's multidb template (the ini's `databases` option): engine1, engine2); db-status checks one database per component"
            )),
            "{:?}",
            t.notes
        );
        // A component with its own URL is one of them: nothing to say.
        envpy_project(
            d.path(),
            "from alembic import context\nconfig = context.config\ndb_names = config.get_main_option('databases', '')\n",
            "databases = engine1, engine2\n",
            "url = \"sqlite:///e1.db\"\n",
        );
        assert!(one(d.path(), env(&[])).notes.is_empty());
    }

    #[test]
    fn env_suffixes() {
        assert_eq!(env_suffix("accountmgr"), "ACCOUNTMGR");
        assert_eq!(env_suffix("app-proxy"), "APP_PROXY");
    }

    #[test]
    fn alembic_command_forms() {
        let spec = |files: &[&str], section: Option<&str>| ComponentSpec {
            name: "x".into(),
            config_files: files.iter().map(PathBuf::from).collect(),
            ini: None,
            section: section.map(str::to_string),
            url: None,
            version_table: None,
            version_table_schema: None,
            alembic_config_env: None,
            tracked_instead_of: None,
            ad_hoc: false,
        };
        assert_eq!(
            alembic_argv(false, &spec(&["alembic.ini"], None)),
            ["alembic"]
        );
        assert_eq!(
            alembic_argv(true, &spec(&["alembic-appproxy.ini"], None)),
            ["./py", "-m", "alembic", "-c", "alembic-appproxy.ini"]
        );
        assert_eq!(
            alembic_argv(false, &spec(&["my dir/a.ini"], Some("db2"))),
            ["alembic", "-c", "my dir/a.ini", "-n", "db2"]
        );
    }
}
