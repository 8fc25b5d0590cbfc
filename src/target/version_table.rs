//! Which version table a component's targets read, and where its name and
//! schema came from (the order is in the module docs of [`crate::target`]).

use super::{Component, TableSource, TableSources, project_file_shown};
use crate::config::{AlembicConfig, VersionTable};
use crate::envpy;

impl Component {
    /// The version table and where its name and schema came from (see the
    /// module docs for the order), with the notes `env.py` calls for.
    pub(crate) fn version_table_resolved(&self) -> (VersionTable, TableSources, Vec<String>) {
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
}
