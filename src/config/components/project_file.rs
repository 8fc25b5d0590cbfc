//! The project file: `db-status.toml`, or `[tool.db-status]` in
//! `pyproject.toml` (its format is in the module docs of
//! [`crate::config::components`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::builtins::builtin_by_name;
use super::{ComponentError, ComponentSpec, UrlOverride, is_pyproject};
use crate::error::ErrorKind;

/// A component defined in the project file.
#[derive(Debug, Clone)]
pub(super) struct Custom {
    pub(super) name: String,
    pub(super) spec: ComponentSpec,
}

/// The parsed project file.
#[derive(Debug, Clone, Default)]
pub(super) struct ProjectFile {
    pub(super) path: Option<PathBuf>,
    pub(super) default: Option<String>,
    /// `release_pattern = "…"`: the release-comment regex ([`crate::releases`]).
    pub(super) release_pattern: Option<String>,
    pub(super) components: Vec<Custom>,
}

impl ProjectFile {
    pub(super) fn find(&self, name: &str) -> Option<&Custom> {
        // A custom component named like a built-in also answers to its aliases.
        let canonical = builtin_by_name(name).map_or(name, |b| b.name);
        self.components
            .iter()
            .find(|c| c.name == name || c.name == canonical)
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

pub(super) fn load_project_file(cwd: &Path) -> Result<ProjectFile, ComponentError> {
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
pub(crate) fn release_pattern(cwd: &Path) -> Result<Option<String>, ComponentError> {
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

/// Whether the `pyproject.toml` in `dir` has `[tool.db-status]` or
/// Alembic's own `[tool.alembic]` (a project-root marker).
pub(super) fn pyproject_marks_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("pyproject.toml")).is_ok_and(|text| {
        toml::from_str::<Pyproject>(&text)
            .ok()
            .and_then(|p| p.tool)
            .is_some_and(|t| t.db_status.is_some() || t.alembic.is_some())
    })
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
                section: raw.section,
                url,
                version_table: raw.version_table,
                version_table_schema: raw.version_table_schema,
                ..ComponentSpec::plain(name, vec![config], ini)
            },
        });
    }
    Ok(project)
}
