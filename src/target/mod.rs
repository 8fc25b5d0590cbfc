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

mod component;
mod selection;
mod source;
mod url;
mod version_table;
mod workspace;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::VersionTable;
use crate::database::ConnectOptions;
use crate::status::{Context, DbFacts, display_path};
use url::component_url;

pub(crate) use component::{Component, LoadError, Loaded, graph_kind};
pub(crate) use selection::{Catalog, Request, Selection, component, select};
pub(crate) use source::{TableSource, TableSources, UrlSource};
pub(crate) use url::TargetUrl;
use workspace::project_file_shown;
pub(crate) use workspace::{Env, Workspace, env_suffix, is_backend_ai, project_root};

/// One database to check against one component's scripts.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The component (shared by every target of it).
    pub(crate) component: Arc<Component>,
    /// Labels (a fleet's `env=prod`, …); empty otherwise.
    pub(crate) labels: BTreeMap<String, String>,
    /// The database URL and where it came from.
    pub(crate) url: TargetUrl,
    /// The version table to read.
    pub(crate) version_table: VersionTable,
    /// Where the version table's name and schema came from.
    pub(crate) table_sources: TableSources,
    /// Notes about this target (what `env.py` does that cannot be read, …).
    pub(crate) notes: Vec<String>,
    /// Timeouts and connection settings.
    pub(crate) connect: ConnectOptions,
    /// The command that checks this target again, as argv.
    pub(crate) recheck: Vec<String>,
    /// Said after the recheck command (e.g. that its password is masked).
    pub(crate) recheck_note: Option<String>,
}

impl Target {
    /// A target from explicit parts (a fleet entry): the URL as written and
    /// where it came from (`None`: the component's own resolution), an
    /// optional `version_table_schema` for this database, and labels.
    pub(crate) fn new(
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
    pub(crate) fn name(&self) -> &str {
        self.component.name()
    }

    /// What the verdict needs to know about this target.
    pub(crate) fn context(&self) -> Context {
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

/// `db-status` with the same selection (`--component NAME`, or `-c FILE -n SECTION`).
pub(super) fn recheck_argv(component: &Component, section_flag: Option<&str>) -> Vec<String> {
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

#[cfg(test)]
mod tests;
