//! Component names → Alembic configs: the Backend.AI built-ins (`manager`,
//! `accountmgr`, `appproxy` and their aliases, with the tracked
//! `configs/<dir>/halfstack.alembic.ini` fallback) and custom components from
//! `db-status.toml` or `[tool.db-status]` in `pyproject.toml`.
//!
//! # The project file
//!
//! `db-status.toml` in the working directory (or, when it is absent,
//! `[tool.db-status]` in `pyproject.toml`) holds one table per component, in
//! the order they are checked:
//!
//! ```toml
//! default = "manager"              # optional: what plain `db-status` checks
//! release_pattern = '^#\s*Release:\s*(\S+)'  # optional: release comments (one group)
//!
//! [manager]
//! config = "alembic.ini"           # the Alembic ini, relative to this file
//! section = "alembic"              # optional, as `alembic -n`
//! url_env = "MANAGER_DB_URL"       # optional: env var holding the URL (or `url = "…"`)
//! version_table = "alembic_version"        # optional
//! version_table_schema = "public"          # optional
//! ```
//!
//! When the project file defines components, they *replace* the built-ins for
//! `--all` (so list the built-ins you still want in it). Every component the
//! file lists is checked by `--all`, and one whose ini is missing is reported
//! as a config-error (built-ins are checked only when present); `--component NAME`
//! still finds a built-in that the file does not redefine. Plain `db-status`
//! checks the `default` component, or the only one, or else asks which.

mod builtins;
mod project_file;

use std::path::{Path, PathBuf};

use crate::error::ErrorKind;
use builtins::{BUILTINS, builtin_by_name, builtin_present, builtin_spec};
use project_file::{ProjectFile, load_project_file};

pub(crate) use builtins::{builtin_configs_dir, builtin_ini, canonical_name};
pub(crate) use project_file::line_of;
pub(crate) use project_file::release_pattern;

/// Where a component's database URL comes from when it overrides the ini.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlOverride {
    /// A URL written in the project file.
    Url(String),
    /// The name of an environment variable that holds the URL.
    Env(String),
}

/// One component to check: which ini to read and what to override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComponentSpec {
    /// The component name shown in the output (canonical, not the alias typed).
    pub(crate) name: String,
    /// The files to hand to the config loader as `-c` values (ini and/or
    /// pyproject.toml), relative to the working directory when given relative.
    pub(crate) config_files: Vec<PathBuf>,
    /// The ini file this component is about, as shown to people and used in
    /// recommended commands (`None` when only a pyproject.toml was given).
    pub(crate) ini: Option<PathBuf>,
    /// `-n SECTION` / `section = …`; `None` means `alembic`.
    pub(crate) section: Option<String>,
    /// A URL that takes precedence over `sqlalchemy.url` in the ini.
    pub(crate) url: Option<UrlOverride>,
    /// Version table name override.
    pub(crate) version_table: Option<String>,
    /// Version table schema override.
    pub(crate) version_table_schema: Option<String>,
    /// `ALEMBIC_CONFIG`, honoured only when no file was chosen for us.
    pub(crate) alembic_config_env: Option<String>,
    /// The built-in ini that does not exist, when the checkout's tracked
    /// halfstack config (`ini`) is used instead (said once per run).
    pub(crate) tracked_instead_of: Option<String>,
    /// Chosen by `-c`/`ALEMBIC_CONFIG` rather than by name.
    pub(crate) ad_hoc: bool,
}

impl ComponentSpec {
    /// A component named `name` read from `config_files` (about `ini`), with
    /// nothing overridden; callers set what their source adds.
    pub(crate) fn plain(
        name: String,
        config_files: Vec<PathBuf>,
        ini: Option<PathBuf>,
    ) -> ComponentSpec {
        ComponentSpec {
            name,
            config_files,
            ini,
            section: None,
            url: None,
            version_table: None,
            version_table_schema: None,
            alembic_config_env: None,
            tracked_instead_of: None,
            ad_hoc: false,
        }
    }
}

/// Why a requested component cannot be checked: a usage error for the whole
/// run ([`ErrorKind::Usage`], [`ErrorKind::UnknownComponent`]), or a
/// config-error for that name while other components are still checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ComponentError {
    /// What kind of failure (decides whether the whole run stops).
    pub(crate) kind: ErrorKind,
    /// The name the user asked for (or the project file's name when the file is broken).
    pub(crate) name: String,
    /// What is wrong, naming the file and line where there is one.
    pub(crate) message: String,
    /// The project file at fault, if any.
    pub(crate) file: Option<PathBuf>,
    /// What to do about it.
    pub(crate) actions: Vec<String>,
}

/// What the user asked to check (the selection flags and the environment).
#[derive(Debug, Clone, Default)]
pub(crate) struct SelectRequest {
    /// `--component NAME` values, in order.
    pub(crate) components: Vec<String>,
    /// `--all`.
    pub(crate) all: bool,
    /// `-c FILE` values.
    pub(crate) config_files: Vec<PathBuf>,
    /// `-n SECTION`.
    pub(crate) section: Option<String>,
    /// The working directory (built-ins and the project file are looked up here).
    pub(crate) cwd: PathBuf,
    /// `ALEMBIC_CONFIG`, if set and non-empty.
    pub(crate) alembic_config_env: Option<String>,
}

/// Decide which components to check. Each entry is either a spec to check or
/// the reason a requested name cannot be checked; order follows the request.
pub(crate) fn select(req: &SelectRequest) -> Vec<Result<ComponentSpec, ComponentError>> {
    let mut selected = select_unsectioned(req);
    if let Some(section) = &req.section {
        for spec in selected.iter_mut().flatten() {
            spec.section = Some(section.clone());
        }
    }
    selected
}

fn select_unsectioned(req: &SelectRequest) -> Vec<Result<ComponentSpec, ComponentError>> {
    if !req.config_files.is_empty() {
        if req.all || !req.components.is_empty() {
            let other = if req.all { "--all" } else { "--component" };
            return vec![Err(ComponentError {
                kind: ErrorKind::Usage,
                name: "-c".to_string(),
                message: format!(
                    "-c/--config names one ini file and cannot be combined with {other}: \
                     pass -c FILE alone, or pick components with --component NAME / --all"
                ),
                file: None,
                actions: Vec::new(),
            })];
        }
        return vec![Ok(ad_hoc(&req.config_files, None))];
    }
    if req.all && !req.components.is_empty() {
        return vec![Err(ComponentError {
            kind: ErrorKind::Usage,
            name: "--all".to_string(),
            message: "--all checks every component and cannot be combined with --component: \
                      drop one of them"
                .to_string(),
            file: None,
            actions: Vec::new(),
        })];
    }
    let project = match load_project_file(&req.cwd) {
        Ok(p) => p,
        Err(e) => return vec![Err(e)],
    };
    if req.all {
        return select_all(req, &project);
    }
    if !req.components.is_empty() {
        let mut out: Vec<Result<ComponentSpec, ComponentError>> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for name in &req.components {
            let result = by_name(req, &project, name);
            let key = match &result {
                Ok(spec) => spec.name.clone(),
                Err(e) => e.name.clone(),
            };
            // `--component manager --component manager` checks it once.
            if !seen.contains(&key) {
                seen.push(key);
                out.push(result);
            }
        }
        return out;
    }
    if let Some(env) = &req.alembic_config_env {
        // Alembic itself reads ALEMBIC_CONFIG when no -c is given; so do we.
        return vec![Ok(ad_hoc(&[], Some(env.clone())))];
    }
    if let Some(default) = &project.default {
        return vec![by_name(req, &project, default)];
    }
    match project.components.as_slice() {
        [] => vec![Ok(builtin_spec(&req.cwd, &BUILTINS[0]))],
        [only] => vec![Ok(only.spec.clone())],
        many => {
            let names: Vec<&str> = many.iter().map(|c| c.name.as_str()).collect();
            let file = project.path.clone();
            vec![Err(ComponentError {
                kind: ErrorKind::NoComponent,
                name: "default".to_string(),
                message: format!(
                    "{} defines several components ({}) and no default",
                    display_file(file.as_deref()),
                    names.join(", ")
                ),
                file,
                actions: vec![
                    format!("Pick one: db-status --component {}", names[0]),
                    "Check them all: db-status --all".to_string(),
                    format!(
                        "Or set a default at the top of the file: default = \"{}\"",
                        names[0]
                    ),
                ],
            })]
        }
    }
}

fn display_file(path: Option<&Path>) -> String {
    path.map_or_else(|| "db-status.toml".to_string(), |p| p.display().to_string())
}

fn select_all(
    req: &SelectRequest,
    project: &ProjectFile,
) -> Vec<Result<ComponentSpec, ComponentError>> {
    if !project.components.is_empty() {
        return project
            .components
            .iter()
            .map(|c| Ok(c.spec.clone()))
            .collect();
    }
    let present: Vec<_> = BUILTINS
        .iter()
        .filter(|b| builtin_present(&req.cwd, b))
        .map(|b| Ok(builtin_spec(&req.cwd, b)))
        .collect();
    if present.is_empty() {
        let looked: Vec<&str> = BUILTINS.iter().map(|b| b.ini).collect();
        return vec![Err(ComponentError {
            kind: ErrorKind::NoComponent,
            name: "all".to_string(),
            message: format!(
                "no component found in {}: none of {} exists, and there is no db-status.toml",
                req.cwd.display(),
                looked.join(", ")
            ),
            file: None,
            actions: vec![
                "Run db-status from the directory that holds your alembic.ini".to_string(),
                "Or point at the ini: db-status -c path/to/alembic.ini".to_string(),
                "Or list your components in db-status.toml (name → config = \"…ini\")".to_string(),
            ],
        })];
    }
    present
}

fn by_name(
    req: &SelectRequest,
    project: &ProjectFile,
    name: &str,
) -> Result<ComponentSpec, ComponentError> {
    if let Some(custom) = project.find(name) {
        return Ok(custom.spec.clone());
    }
    if let Some(builtin) = builtin_by_name(name) {
        return Ok(builtin_spec(&req.cwd, builtin));
    }
    let mut known: Vec<String> = project.components.iter().map(|c| c.name.clone()).collect();
    for b in BUILTINS {
        if !known.iter().any(|k| k == b.name) {
            known.push(b.name.to_string());
        }
    }
    let aliases: Vec<&str> = BUILTINS
        .iter()
        .flat_map(|b| b.aliases.iter().copied())
        .collect();
    let suggestion = known
        .iter()
        .map(String::as_str)
        .chain(aliases.iter().copied())
        .map(|k| (strsim::jaro_winkler(name, k), k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k);
    let did_you_mean = suggestion.map_or(String::new(), |k| format!("did you mean '{k}'? "));
    Err(ComponentError {
        kind: ErrorKind::UnknownComponent,
        name: name.to_string(),
        message: format!(
            "unknown component '{name}': {did_you_mean}known components: {} (or define it in db-status.toml: [{name}] config = \"alembic-{name}.ini\")",
            known.join(", "),
        ),
        file: project.path.clone(),
        actions: Vec::new(),
    })
}

/// Whether `dir` looks like a project root: it holds an `alembic*.ini`,
/// `db-status.toml`, `[tool.db-status]` (or Alembic's own `[tool.alembic]`)
/// in `pyproject.toml`, or a built-in component's tracked halfstack config.
pub(crate) fn is_project_dir(dir: &Path) -> bool {
    if dir.join("db-status.toml").is_file() || BUILTINS.iter().any(|b| builtin_present(dir, b)) {
        return true;
    }
    let has_ini = std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("alembic") && name.ends_with(".ini") && e.path().is_file()
        })
    });
    has_ini || project_file::pyproject_marks_root(dir)
}

/// Every component `--all` would check in `cwd` (the project file's, else
/// the built-ins present), for telling whose revisions a database holds.
pub(crate) fn catalog(cwd: &Path) -> Vec<ComponentSpec> {
    match load_project_file(cwd) {
        // The project file's components replace the built-ins, as for `--all`.
        Ok(project) if !project.components.is_empty() => {
            project.components.iter().map(|c| c.spec.clone()).collect()
        }
        _ => BUILTINS
            .iter()
            .filter(|b| builtin_present(cwd, b))
            .map(|b| builtin_spec(cwd, b))
            .collect(),
    }
}

pub(super) fn is_pyproject(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == "pyproject.toml")
}

/// The single component described by `-c FILE` (or `ALEMBIC_CONFIG`), named after the ini file.
pub(crate) fn ad_hoc(files: &[PathBuf], env: Option<String>) -> ComponentSpec {
    let ini = files
        .iter()
        .find(|f| !is_pyproject(f))
        .cloned()
        .or_else(|| env.as_ref().map(PathBuf::from).filter(|p| !is_pyproject(p)));
    let name_source = ini
        .clone()
        .or_else(|| files.first().cloned())
        .or_else(|| env.as_ref().map(PathBuf::from));
    // Without a file, Alembic reads `alembic.ini`: the default built-in's
    // ini, so it goes by that component's name (as `status` calls it, and
    // as its DB_STATUS_URL_<NAME> is spelled).
    let name = name_source
        .as_deref()
        .and_then(|p| p.file_stem())
        .map_or_else(
            || BUILTINS[0].name.to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
    ComponentSpec {
        alembic_config_env: env,
        ad_hoc: true,
        ..ComponentSpec::plain(name, files.to_vec(), ini)
    }
}

#[cfg(test)]
mod tests;
