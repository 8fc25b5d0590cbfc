//! One component, resolved: its Alembic config, the Alembic command to
//! advise, and its revision map and `env.py`, each read at most once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::Workspace;
use crate::config::components::ComponentSpec;
use crate::config::{AlembicConfig, ConfigError, ConfigRequest};
use crate::envpy::{self, EnvPy};
use crate::error::{Error, ErrorKind};
use crate::graph::{GraphErrorKind, RevisionMap};
use crate::scripts::{ScriptError, ScriptErrorKind};
use crate::status::display_path;

/// Revision files read and the map built: what every target of a component shares.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// Alembic's revision map.
    pub(crate) map: RevisionMap,
    /// The warnings Alembic would print (duplicate revisions, …).
    pub(crate) warnings: Vec<String>,
    /// Which modules decided values that revision files import (see
    /// [`crate::scripts::ScriptSet::notes`]).
    pub(crate) notes: Vec<String>,
    /// Release comments and dumps, read on first use ([`Component::releases`]).
    releases: OnceLock<Arc<crate::releases::Known>>,
}

/// Why the scripts of a configuration could not be turned into a revision map.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum LoadError {
    /// One or more revision files could not be read.
    #[error("{} revision file(s) could not be read", .0.len())]
    Scripts(Vec<ScriptError>),
    /// The revision map could not be built (missing parent, cycle, …).
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
}

/// Read every revision file of `config` and build the revision map; files
/// the scanner cannot read go through the import resolver, then `python`.
pub(crate) fn load_map(
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
    pub(crate) fn to_error(&self, cwd: &Path) -> Error {
        match self {
            LoadError::Scripts(errors) => {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|s| {
                        format!(
                            "{}: {}",
                            crate::scripts::location(display_path(&s.path, cwd).display(), s.line),
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
pub(crate) fn graph_kind(kind: GraphErrorKind) -> ErrorKind {
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
pub(crate) struct Component {
    /// The component as selected.
    pub(crate) spec: ComponentSpec,
    /// Where the run happens.
    pub(crate) workspace: Arc<Workspace>,
    /// The Alembic configuration, or why it could not be read.
    pub(crate) config: Result<AlembicConfig, Error>,
    /// The config file as shown to people.
    pub(crate) config_shown: Option<String>,
    /// The Alembic command for this component, as argv (`./py -m alembic -c …`).
    pub(crate) alembic: Vec<String>,
    loaded: OnceLock<Result<Arc<Loaded>, Arc<LoadError>>>,
    env_py: OnceLock<Option<Arc<EnvPy>>>,
}

impl Component {
    /// Resolve a selected component: read its Alembic config.
    pub(crate) fn resolve(spec: ComponentSpec, workspace: Arc<Workspace>) -> Component {
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
    pub(crate) fn broken(
        name: &str,
        file: Option<PathBuf>,
        error: Error,
        workspace: Arc<Workspace>,
    ) -> Component {
        let spec = ComponentSpec::plain(name.to_string(), Vec::new(), None);
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
    pub(crate) fn name(&self) -> &str {
        &self.spec.name
    }

    /// The revision map, read and built on first use and shared afterwards
    /// (by every target of this component, and by other components'
    /// wrong-database lookups). Concurrent callers wait for the one load.
    pub(crate) fn scripts(&self) -> Result<Arc<Loaded>, Arc<LoadError>> {
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
    pub(crate) fn releases(&self, loaded: &Loaded) -> Arc<crate::releases::Known> {
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
    pub(crate) fn release_setting(&self) -> (crate::releases::Setting, Option<String>) {
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
    pub(crate) fn env_py(&self) -> Option<&EnvPy> {
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
    pub(super) fn env_py_shown(&self, env: &EnvPy) -> String {
        display_path(&env.path, &self.workspace.cwd)
            .display()
            .to_string()
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
    let file = spec.ini.as_ref().map_or_else(
        || "the Alembic config".to_string(),
        |i| i.display().to_string(),
    );
    let (kind, message, hint) = match e {
        ConfigError::Command(m) => (ErrorKind::Config, m, None),
        ConfigError::Crash { message, hint } => (ErrorKind::ConfigCrash, message, hint.as_ref()),
    };
    let hint = match hint {
        Some(what) => format!("Fix {file}: {what}"),
        None => format!("Fix {file} as the message says"),
    };
    Error::new(kind, message.clone()).hint(hint)
}

/// `./py -m alembic` in a Backend.AI checkout, else `alembic`; `-c FILE`
/// for each config file other than the defaults; `-n SECTION` unless `alembic`.
pub(super) fn alembic_argv(backend_ai: bool, spec: &ComponentSpec) -> Vec<String> {
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
