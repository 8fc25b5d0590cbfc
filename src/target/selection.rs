//! Turning the command line and the environment into targets: the
//! components selected, each one's `--url`, and the catalog of the others.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::url::component_url;
use super::{
    Component, Env, Target, TargetUrl, UrlSource, Workspace, env_suffix, is_backend_ai,
    project_root, recheck_argv,
};
use crate::config::components::{self, ComponentSpec, SelectRequest};
use crate::database::ConnectOptions;
use crate::error::{Error, ErrorKind};

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    /// `--component NAME` values, in order.
    pub(crate) components: Vec<String>,
    /// `--all`.
    pub(crate) all: bool,
    /// `-c FILE` values.
    pub(crate) config_files: Vec<PathBuf>,
    /// `-n SECTION`.
    pub(crate) section: Option<String>,
    /// `--url` values (`URL` or `NAME=URL`), in order.
    pub(crate) urls: Vec<String>,
    /// `--timeout`.
    pub(crate) timeout: Option<Duration>,
    /// `--python PATH|auto`.
    pub(crate) python: Option<String>,
    /// Whether `DB_STATUS_URL` / `DB_STATUS_URL_<NAME>` apply (commands that read databases).
    pub(crate) use_env_urls: bool,
    /// Search the project root upward from the working directory.
    pub(crate) find_root: bool,
    /// Without `--component`/`--all`, read exactly what `alembic` would:
    /// `-c`, else `ALEMBIC_CONFIG`, else `alembic.ini` in the working
    /// directory (never a project file's default component).
    pub(crate) alembic_semantics: bool,
}

/// The targets of a run, and what they share.
#[derive(Debug)]
pub(crate) struct Selection {
    /// Where the run happens.
    pub(crate) workspace: Arc<Workspace>,
    /// The targets, in selection order.
    pub(crate) targets: Vec<Target>,
    /// Every component known in the project (selected or not), for the
    /// wrong-database lookup; resolved only when asked.
    pub(crate) catalog: Catalog,
    /// Notes for the whole run (said once, not once per component).
    pub(crate) notes: Vec<String>,
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
pub(crate) fn select(req: &Request, cwd: PathBuf, env: Env) -> Result<Selection, Error> {
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
        let (component, mut recheck) = match s {
            Ok(spec) => {
                let component = Arc::new(Component::resolve(spec, Arc::clone(&workspace)));
                let recheck = recheck_argv(&component, req.section.as_deref());
                (component, recheck)
            }
            // The name of a selection that failed as a whole ("all", the
            // project file's name) is no component: check again as asked.
            Err(e) => (
                Arc::new(Component::broken(
                    &e.name,
                    e.file.clone(),
                    Error::new(e.kind, e.message.clone()).hints(e.actions.clone()),
                    Arc::clone(&workspace),
                )),
                rerun_argv(req),
            ),
        };
        let name = component.name().to_string();
        let flag = named
            .get(&name)
            .map(|u| (u.clone(), Some(name.clone())))
            .or_else(|| bare.clone().map(|u| (u, None)));
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

/// `db-status` with the selection flags as given (`--all`, each
/// `--component NAME`, `-n SECTION`).
fn rerun_argv(req: &Request) -> Vec<String> {
    let mut argv = vec!["db-status".to_string()];
    if req.all {
        argv.push("--all".into());
    }
    for name in &req.components {
        argv.push("--component".into());
        argv.push(name.clone());
    }
    if let Some(s) = &req.section {
        argv.push("-n".into());
        argv.push(s.clone());
    }
    argv
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
pub(crate) struct Catalog {
    workspace: Arc<Workspace>,
    entries: Vec<(ComponentSpec, OnceLock<Arc<Component>>)>,
}

impl Catalog {
    /// The project's components, with `selected` reused where the names match.
    pub(crate) fn new(workspace: &Arc<Workspace>, selected: &[Arc<Component>]) -> Catalog {
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

    /// The components other than `name`, resolved on first use.
    pub(crate) fn others<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Component>> + 'a {
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
pub(crate) fn component(name: &str, workspace: &Arc<Workspace>) -> Result<Arc<Component>, Error> {
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
