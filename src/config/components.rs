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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::ErrorKind;

/// Where a component's database URL comes from when it overrides the ini.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlOverride {
    /// A URL written in the project file.
    Url(String),
    /// The name of an environment variable that holds the URL.
    Env(String),
}

/// One component to check: which ini to read and what to override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentSpec {
    /// The component name shown in the output (canonical, not the alias typed).
    pub name: String,
    /// The files to hand to the config loader as `-c` values (ini and/or
    /// pyproject.toml), relative to the working directory when given relative.
    pub config_files: Vec<PathBuf>,
    /// The ini file this component is about, as shown to people and used in
    /// recommended commands (`None` when only a pyproject.toml was given).
    pub ini: Option<PathBuf>,
    /// `-n SECTION` / `section = …`; `None` means `alembic`.
    pub section: Option<String>,
    /// A URL that takes precedence over `sqlalchemy.url` in the ini.
    pub url: Option<UrlOverride>,
    /// Version table name override.
    pub version_table: Option<String>,
    /// Version table schema override.
    pub version_table_schema: Option<String>,
    /// `ALEMBIC_CONFIG`, honoured only when no file was chosen for us.
    pub alembic_config_env: Option<String>,
    /// The built-in ini that does not exist, when the checkout's tracked
    /// halfstack config (`ini`) is used instead (said once per run).
    pub tracked_instead_of: Option<String>,
    /// Chosen by `-c`/`ALEMBIC_CONFIG` rather than by name.
    pub ad_hoc: bool,
}

impl ComponentSpec {
    /// The version table to read: this component's override where it has
    /// one, else what the ini says (default `alembic_version`).
    pub fn version_table(&self, config: &super::AlembicConfig) -> super::VersionTable {
        super::VersionTable {
            name: self
                .version_table
                .clone()
                .unwrap_or_else(|| config.version_table.clone()),
            schema: self
                .version_table_schema
                .clone()
                .or_else(|| config.version_table_schema.clone()),
        }
    }
}

/// Why a requested component cannot be checked: a usage error for the whole
/// run ([`ErrorKind::Usage`], [`ErrorKind::UnknownComponent`]), or a
/// config-error for that name while other components are still checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ComponentError {
    /// What kind of failure (decides whether the whole run stops).
    pub kind: ErrorKind,
    /// The name the user asked for (or the project file's name when the file is broken).
    pub name: String,
    /// What is wrong, naming the file and line where there is one.
    pub message: String,
    /// The project file at fault, if any.
    pub file: Option<PathBuf>,
    /// What to do about it.
    pub actions: Vec<String>,
}

/// What the user asked to check (the selection flags and the environment).
#[derive(Debug, Clone, Default)]
pub struct SelectRequest {
    /// `--component NAME` values, in order.
    pub components: Vec<String>,
    /// `--all`.
    pub all: bool,
    /// `-c FILE` values.
    pub config_files: Vec<PathBuf>,
    /// `-n SECTION`.
    pub section: Option<String>,
    /// The working directory (built-ins and the project file are looked up here).
    pub cwd: PathBuf,
    /// `ALEMBIC_CONFIG`, if set and non-empty.
    pub alembic_config_env: Option<String>,
}

/// A Backend.AI built-in component.
struct Builtin {
    name: &'static str,
    aliases: &'static [&'static str],
    ini: &'static str,
    /// Directory under `configs/` holding the tracked halfstack ini.
    configs_dir: &'static str,
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "manager",
        aliases: &[],
        ini: "alembic.ini",
        configs_dir: "manager",
    },
    Builtin {
        name: "accountmgr",
        aliases: &["account-manager"],
        ini: "alembic-accountmgr.ini",
        configs_dir: "account-manager",
    },
    Builtin {
        name: "appproxy",
        aliases: &["app-proxy", "app-proxy-coordinator"],
        ini: "alembic-appproxy.ini",
        configs_dir: "app-proxy-coordinator",
    },
];

fn builtin_by_name(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.name == name || b.aliases.contains(&name))
}

/// The directory under `configs/` of a Backend.AI built-in (`manager`,
/// `account-manager`, `app-proxy-coordinator`), which is also the name its
/// server looks its TOML up by.
pub fn builtin_configs_dir(name: &str) -> Option<&'static str> {
    builtin_by_name(name).map(|b| b.configs_dir)
}

/// A component defined in the project file.
#[derive(Debug, Clone)]
struct Custom {
    name: String,
    spec: ComponentSpec,
}

/// The parsed project file.
#[derive(Debug, Clone, Default)]
struct ProjectFile {
    path: Option<PathBuf>,
    default: Option<String>,
    /// `release_pattern = "…"`: the release-comment regex ([`crate::releases`]).
    release_pattern: Option<String>,
    components: Vec<Custom>,
}

impl ProjectFile {
    fn find(&self, name: &str) -> Option<&Custom> {
        // A custom component named like a built-in also answers to its aliases.
        let canonical = builtin_by_name(name).map_or(name, |b| b.name);
        self.components
            .iter()
            .find(|c| c.name == name || c.name == canonical)
    }
}

/// Decide which components to check. Each entry is either a spec to check or
/// the reason a requested name cannot be checked; order follows the request.
pub fn select(req: &SelectRequest) -> Vec<Result<ComponentSpec, ComponentError>> {
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

/// The ini a built-in component is looked up as (`alembic-appproxy.ini`).
pub fn builtin_ini(name: &str) -> Option<&'static str> {
    builtin_by_name(name).map(|b| b.ini)
}

/// The canonical name of a component name as typed (`app-proxy` → `appproxy`).
pub fn canonical_name(name: &str) -> &str {
    builtin_by_name(name).map_or(name, |b| b.name)
}

/// Whether `dir` looks like a project root: it holds an `alembic*.ini`,
/// `db-status.toml`, `[tool.db-status]` (or Alembic's own `[tool.alembic]`)
/// in `pyproject.toml`, or a built-in component's tracked halfstack config.
pub fn is_project_dir(dir: &Path) -> bool {
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
    has_ini
        || std::fs::read_to_string(dir.join("pyproject.toml")).is_ok_and(|text| {
            toml::from_str::<Pyproject>(&text)
                .ok()
                .and_then(|p| p.tool)
                .is_some_and(|t| t.db_status.is_some() || t.alembic.is_some())
        })
}

/// Every component `--all` would check in `cwd` (the project file's, else
/// the built-ins present), for telling whose revisions a database holds.
pub fn catalog(cwd: &Path) -> Vec<ComponentSpec> {
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

fn builtin_present(cwd: &Path, b: &Builtin) -> bool {
    cwd.join(b.ini).is_file() || cwd.join(halfstack_path(b)).is_file()
}

fn halfstack_path(b: &Builtin) -> PathBuf {
    Path::new("configs")
        .join(b.configs_dir)
        .join("halfstack.alembic.ini")
}

fn builtin_spec(cwd: &Path, b: &Builtin) -> ComponentSpec {
    let mut tracked_instead_of = None;
    let mut ini = PathBuf::from(b.ini);
    if !cwd.join(b.ini).is_file() {
        let halfstack = halfstack_path(b);
        if cwd.join(&halfstack).is_file() {
            tracked_instead_of = Some(b.ini.to_string());
            ini = halfstack;
        }
    }
    ComponentSpec {
        name: b.name.to_string(),
        config_files: vec![ini.clone()],
        ini: Some(ini),
        section: None,
        url: None,
        version_table: None,
        version_table_schema: None,
        alembic_config_env: None,
        tracked_instead_of,
        ad_hoc: false,
    }
}

fn is_pyproject(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n == "pyproject.toml")
}

/// The single component described by `-c FILE` (or `ALEMBIC_CONFIG`), named after the ini file.
pub fn ad_hoc(files: &[PathBuf], env: Option<String>) -> ComponentSpec {
    let ini = files
        .iter()
        .find(|f| !is_pyproject(f))
        .cloned()
        .or_else(|| env.as_ref().map(PathBuf::from).filter(|p| !is_pyproject(p)));
    let name_source = ini
        .clone()
        .or_else(|| files.first().cloned())
        .or_else(|| env.as_ref().map(PathBuf::from));
    let name = name_source
        .as_deref()
        .and_then(|p| p.file_stem())
        .map_or_else(
            || "alembic".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
    ComponentSpec {
        name,
        config_files: files.to_vec(),
        ini,
        section: None,
        url: None,
        version_table: None,
        version_table_schema: None,
        alembic_config_env: env,
        tracked_instead_of: None,
        ad_hoc: true,
    }
}

/// One component table as written in the project file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    config: String,
    section: Option<String>,
    url: Option<String>,
    url_env: Option<String>,
    version_table: Option<String>,
    version_table_schema: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Pyproject {
    tool: Option<PyTool>,
}

#[derive(Debug, Deserialize)]
struct PyTool {
    #[serde(rename = "db-status")]
    db_status: Option<BTreeMap<String, Spanned<toml::Value>>>,
    /// Only whether it is there matters (a project-root marker).
    alembic: Option<toml::Value>,
}

fn load_project_file(cwd: &Path) -> Result<ProjectFile, ComponentError> {
    let own = cwd.join("db-status.toml");
    let pyproject = cwd.join("pyproject.toml");
    if own.is_file() {
        let text = read(&own)?;
        let table: BTreeMap<String, Spanned<toml::Value>> =
            toml::from_str(&text).map_err(|e| toml_error(&own, &e.to_string()))?;
        return parse_project(&own, &text, table);
    }
    if pyproject.is_file() {
        let text = read(&pyproject)?;
        // A pyproject.toml we cannot parse is Alembic's and pip's problem to
        // report; without a readable [tool.db-status] there are no components.
        let Ok(doc) = toml::from_str::<Pyproject>(&text) else {
            return Ok(ProjectFile::default());
        };
        if let Some(table) = doc.tool.and_then(|t| t.db_status) {
            return parse_project(&pyproject, &text, table);
        }
    }
    Ok(ProjectFile::default())
}

/// `release_pattern` from the project file in `cwd` (`db-status.toml`, else
/// `[tool.db-status]`), if set.
pub fn release_pattern(cwd: &Path) -> Result<Option<String>, ComponentError> {
    load_project_file(cwd).map(|p| p.release_pattern)
}

fn read(path: &Path) -> Result<String, ComponentError> {
    std::fs::read_to_string(path).map_err(|e| ComponentError {
        kind: ErrorKind::ProjectFile,
        name: file_name(path),
        message: format!("cannot read {}: {e}", path.display()),
        file: Some(path.to_path_buf()),
        actions: vec![format!("Check that {} is readable", path.display())],
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || "db-status.toml".to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn toml_error(path: &Path, message: &str) -> ComponentError {
    ComponentError {
        kind: ErrorKind::ProjectFile,
        name: file_name(path),
        message: format!("{}: {}", path.display(), message.trim_end()),
        file: Some(path.to_path_buf()),
        actions: vec![format!(
            "Fix {} (one table per component: [name] config = \"alembic.ini\")",
            path.display()
        )],
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

fn parse_project(
    path: &Path,
    text: &str,
    table: BTreeMap<String, Spanned<toml::Value>>,
) -> Result<ProjectFile, ComponentError> {
    let mut entries: Vec<(String, Spanned<toml::Value>)> = table.into_iter().collect();
    // Components are checked in the order the file lists them.
    entries.sort_by_key(|(_, v)| v.span().start);
    let mut project = ProjectFile {
        path: Some(path.to_path_buf()),
        ..ProjectFile::default()
    };
    for (key, value) in entries {
        let line = line_of(text, value.span().start);
        let at = |msg: String| toml_error(path, &format!("line {line}: {msg}"));
        let value = value.into_inner();
        if key == "default" {
            match value {
                toml::Value::String(s) => project.default = Some(s),
                _ => return Err(at("`default` must be a component name (a string)".into())),
            }
            continue;
        }
        if key == "release_pattern" {
            match value {
                toml::Value::String(s) => project.release_pattern = Some(s),
                _ => return Err(at("`release_pattern` must be a regex (a string)".into())),
            }
            continue;
        }
        let toml::Value::Table(t) = value else {
            return Err(at(format!(
                "`{key}` must be a table: [{key}] config = \"alembic.ini\""
            )));
        };
        let raw: RawComponent = toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| at(format!("component `{key}`: {}", e.message())))?;
        if raw.url.is_some() && raw.url_env.is_some() {
            return Err(at(format!(
                "component `{key}` sets both `url` and `url_env`; keep one"
            )));
        }
        // The project file sits in the working directory, so a path relative
        // to it is already relative to the working directory.
        let config = PathBuf::from(&raw.config);
        let ini = (!is_pyproject(&config)).then(|| config.clone());
        let url = match (raw.url, raw.url_env) {
            (Some(u), _) => Some(UrlOverride::Url(u)),
            (None, Some(e)) => Some(UrlOverride::Env(e)),
            (None, None) => None,
        };
        // A custom component named after a built-in alias takes the canonical name.
        let name = builtin_by_name(&key).map_or(key.clone(), |b| b.name.to_string());
        project.components.push(Custom {
            name: name.clone(),
            spec: ComponentSpec {
                name,
                config_files: vec![config],
                ini,
                section: raw.section,
                url,
                version_table: raw.version_table,
                version_table_schema: raw.version_table_schema,
                alembic_config_env: None,
                tracked_instead_of: None,
                ad_hoc: false,
            },
        });
    }
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(cwd: &Path) -> SelectRequest {
        SelectRequest {
            cwd: cwd.to_path_buf(),
            ..SelectRequest::default()
        }
    }

    fn touch(dir: &Path, rel: &str) {
        let p = dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, "[alembic]\n").expect("write");
    }

    fn names(sel: &[Result<ComponentSpec, ComponentError>]) -> Vec<String> {
        sel.iter()
            .map(|r| match r {
                Ok(s) => s.name.clone(),
                Err(e) => format!("ERR:{}", e.name),
            })
            .collect()
    }

    #[test]
    fn default_is_manager_alembic_ini() {
        let d = tempfile::tempdir().expect("tmp");
        let sel = select(&req(d.path()));
        assert_eq!(names(&sel), ["manager"]);
        let spec = sel[0].as_ref().expect("ok");
        assert_eq!(spec.ini.as_deref(), Some(Path::new("alembic.ini")));
        assert!(spec.tracked_instead_of.is_none());
    }

    #[test]
    fn aliases_resolve_and_dedupe() {
        let d = tempfile::tempdir().expect("tmp");
        let mut r = req(d.path());
        r.components = vec![
            "app-proxy".into(),
            "account-manager".into(),
            "appproxy".into(),
        ];
        let sel = select(&r);
        assert_eq!(names(&sel), ["appproxy", "accountmgr"]);
        assert_eq!(
            sel[0].as_ref().expect("ok").ini.as_deref(),
            Some(Path::new("alembic-appproxy.ini"))
        );
    }

    #[test]
    fn unknown_component_lists_known_names() {
        let d = tempfile::tempdir().expect("tmp");
        let mut r = req(d.path());
        r.components = vec!["manager".into(), "nope".into()];
        let sel = select(&r);
        assert_eq!(names(&sel), ["manager", "ERR:nope"]);
        let err = sel[1].as_ref().expect_err("unknown");
        assert!(
            err.message.contains("manager, accountmgr, appproxy"),
            "{}",
            err.message
        );
        assert_eq!(err.kind, ErrorKind::UnknownComponent);
        r.components = vec!["manger".into()];
        let sel = select(&r);
        let err = sel[0].as_ref().expect_err("typo");
        assert!(
            err.message.contains("did you mean 'manager'?"),
            "{}",
            err.message
        );
    }

    #[test]
    fn all_lists_present_builtins_with_halfstack_fallback() {
        let d = tempfile::tempdir().expect("tmp");
        touch(d.path(), "alembic.ini");
        touch(
            d.path(),
            "configs/app-proxy-coordinator/halfstack.alembic.ini",
        );
        let mut r = req(d.path());
        r.all = true;
        let sel = select(&r);
        assert_eq!(names(&sel), ["manager", "appproxy"]);
        let app = sel[1].as_ref().expect("ok");
        assert_eq!(
            app.ini.as_deref(),
            Some(Path::new(
                "configs/app-proxy-coordinator/halfstack.alembic.ini"
            ))
        );
        assert_eq!(
            app.tracked_instead_of.as_deref(),
            Some("alembic-appproxy.ini")
        );
    }

    #[test]
    fn all_with_nothing_present_is_an_error() {
        let d = tempfile::tempdir().expect("tmp");
        let mut r = req(d.path());
        r.all = true;
        assert_eq!(names(&select(&r)), ["ERR:all"]);
    }

    #[test]
    fn project_file_components_keep_file_order_and_replace_builtins() {
        let d = tempfile::tempdir().expect("tmp");
        touch(d.path(), "alembic.ini");
        std::fs::write(
            d.path().join("db-status.toml"),
            "[zeta]\nconfig = \"z.ini\"\nurl_env = \"Z_URL\"\n\n[alpha]\nconfig = \"a.ini\"\nsection = \"s\"\nversion_table = \"vt\"\n",
        )
        .expect("write");
        let mut r = req(d.path());
        r.all = true;
        let sel = select(&r);
        assert_eq!(names(&sel), ["zeta", "alpha"]);
        let z = sel[0].as_ref().expect("ok");
        assert_eq!(z.url, Some(UrlOverride::Env("Z_URL".into())));
        let a = sel[1].as_ref().expect("ok");
        assert_eq!(a.section.as_deref(), Some("s"));
        assert_eq!(a.version_table.as_deref(), Some("vt"));
        // Built-ins stay reachable by name.
        let mut r = req(d.path());
        r.components = vec!["manager".into()];
        assert_eq!(names(&select(&r)), ["manager"]);
        // Several components and no default: plain `db-status` asks.
        assert_eq!(names(&select(&req(d.path()))), ["ERR:default"]);
    }

    #[test]
    fn project_file_default_and_sole_component() {
        let d = tempfile::tempdir().expect("tmp");
        std::fs::write(
            d.path().join("db-status.toml"),
            "default = \"b\"\n[a]\nconfig = \"a.ini\"\n[b]\nconfig = \"b.ini\"\n",
        )
        .expect("write");
        assert_eq!(names(&select(&req(d.path()))), ["b"]);
        let d = tempfile::tempdir().expect("tmp");
        std::fs::write(
            d.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n[tool.db-status.only]\nconfig = \"o.ini\"\n",
        )
        .expect("write");
        assert_eq!(names(&select(&req(d.path()))), ["only"]);
    }

    #[test]
    fn project_file_errors_name_file_and_line() {
        let d = tempfile::tempdir().expect("tmp");
        std::fs::write(
            d.path().join("db-status.toml"),
            "[a]\nconfig = \"a.ini\"\n\n[b]\nconfg = \"b.ini\"\n",
        )
        .expect("write");
        let sel = select(&req(d.path()));
        let err = sel[0].as_ref().expect_err("typo");
        assert!(err.message.contains("db-status.toml"), "{}", err.message);
        assert!(err.message.contains("line 4"), "{}", err.message);
        assert!(err.message.contains("confg"), "{}", err.message);
    }

    #[test]
    fn config_flag_is_an_ad_hoc_component_and_section_applies() {
        let d = tempfile::tempdir().expect("tmp");
        let mut r = req(d.path());
        r.config_files = vec![PathBuf::from("sub/other.ini")];
        r.section = Some("db2".into());
        let sel = select(&r);
        let spec = sel[0].as_ref().expect("ok");
        assert_eq!(spec.name, "other");
        assert_eq!(spec.section.as_deref(), Some("db2"));
        r.all = true;
        assert_eq!(names(&select(&r)), ["ERR:-c"]);
        assert_eq!(
            select(&r)[0].as_ref().map_err(|e| e.kind),
            Err(ErrorKind::Usage)
        );
        let mut r = req(d.path());
        r.all = true;
        r.components = vec!["manager".into()];
        assert_eq!(
            select(&r)[0].as_ref().map_err(|e| e.kind),
            Err(ErrorKind::Usage)
        );
    }
}
