//! `db-status [status]`: every selected component's verdict. Components are
//! checked concurrently (one thread each, each database read bounded by
//! `--timeout`); output keeps the selection order and the exit code is the
//! largest of the components'.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crate::cli::{Format, GlobalArgs};
use crate::commands::LoadError;
use crate::config::components::{self, ComponentError, ComponentSpec, SelectRequest, UrlOverride};
use crate::config::{ConfigError, ConfigRequest};
use crate::database::{DbError, DbErrorKind, DbUrl, VersionTable};
use crate::graph::GraphErrorKind;
use crate::report::human::HumanOptions;
use crate::status::{
    self, ComponentStatus, Context, DbRead, UrlSource, alembic_command, display_path,
};

/// What every component check shares.
#[derive(Debug)]
struct Shared {
    cwd: PathBuf,
    backend_ai: bool,
    url_flag: Option<String>,
    timeout: Duration,
}

/// Run the status check for the selected components.
pub fn run(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let json = match g.format {
        None | Some(Format::Human) => false,
        Some(Format::Json) => true,
        Some(other) => {
            let _ = writeln!(
                err,
                "error: --format {} is not available for status; use human or json",
                format!("{other:?}").to_lowercase()
            );
            return 2;
        }
    };
    if !g.timeout.is_finite() || g.timeout <= 0.0 || g.timeout > 86_400.0 {
        let _ = writeln!(
            err,
            "error: --timeout must be a number of seconds between 0 and 86400"
        );
        return 2;
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    // Script paths are symlink-resolved; resolve the cwd too so they can be shown relative to it.
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let request = SelectRequest {
        components: g.component.clone(),
        all: g.all,
        config_files: g.config.clone(),
        section: g.name.clone(),
        cwd: cwd.clone(),
        alembic_config_env: std::env::var("ALEMBIC_CONFIG")
            .ok()
            .filter(|v| !v.is_empty()),
    };
    let shared = Arc::new(Shared {
        backend_ai: is_backend_ai(&cwd),
        cwd,
        url_flag: g.url.clone().filter(|u| !u.trim().is_empty()),
        timeout: Duration::from_secs_f64(g.timeout),
    });

    let statuses = check_all(components::select(&request), &shared);
    let code = statuses
        .iter()
        .map(ComponentStatus::exit_code)
        .max()
        .unwrap_or(0);
    let written = if json {
        crate::report::json::render(&statuses, code, out)
    } else {
        let opts = HumanOptions {
            ascii: g.ascii || !locale_is_utf8(),
            color: use_color(),
            verbose: g.verbose,
        };
        crate::report::human::render(&statuses, &opts, out)
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(err, "error: cannot write the report: {e}");
    }
    code
}

/// A Backend.AI checkout has `./py` (the pants-managed interpreter) or `./backend.ai`.
fn is_backend_ai(cwd: &Path) -> bool {
    cwd.join("py").exists() || cwd.join("backend.ai").exists()
}

/// Colour only for a terminal, and never with NO_COLOR set (https://no-color.org).
fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The effective character-type locale (LC_ALL, then LC_CTYPE, then LANG,
/// the first that is set) names UTF-8; an unset locale counts as UTF-8,
/// since terminals that set nothing are UTF-8 nearly everywhere today.
pub fn locale_is_utf8() -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    value.is_none_or(|v| locale_names_utf8(&v))
}

/// Whether a locale name (`en_US.UTF-8`, `C.utf8`) names UTF-8.
pub fn locale_names_utf8(locale: &str) -> bool {
    let l = locale.to_ascii_lowercase();
    l.contains("utf-8") || l.contains("utf8")
}

fn check_all(
    selected: Vec<Result<ComponentSpec, ComponentError>>,
    shared: &Arc<Shared>,
) -> Vec<ComponentStatus> {
    let handles: Vec<_> = selected
        .into_iter()
        .map(|sel| {
            let shared = Arc::clone(shared);
            let name = match &sel {
                Ok(s) => s.name.clone(),
                Err(e) => e.name.clone(),
            };
            let handle = std::thread::Builder::new()
                .name(format!("component-{name}"))
                .spawn(move || match sel {
                    Ok(spec) => check_component(&spec, &shared),
                    Err(e) => selection_error(&e, &shared),
                });
            (name, handle)
        })
        .collect();
    handles
        .into_iter()
        .map(|(name, handle)| {
            let joined = handle.map_err(|e| e.to_string()).and_then(|h| {
                h.join().map_err(|_| {
                    "the check stopped unexpectedly (a bug in db-status; please report it)"
                        .to_string()
                })
            });
            joined.unwrap_or_else(|message| {
                let ctx = Context {
                    name,
                    ..Context::default()
                };
                ComponentStatus::config_error(
                    &ctx,
                    "internal",
                    "Internal error",
                    message,
                    Vec::new(),
                )
            })
        })
        .collect()
}

fn selection_error(e: &ComponentError, shared: &Shared) -> ComponentStatus {
    let ctx = Context {
        name: e.name.clone(),
        config: e
            .file
            .as_deref()
            .map(|f| display_path(f, &shared.cwd).display().to_string()),
        ..Context::default()
    };
    let kind = if e.file.is_some() && !e.message.starts_with("unknown component") {
        "project-file"
    } else if e.message.starts_with("unknown component") {
        "unknown-component"
    } else {
        "config"
    };
    let title = match kind {
        "unknown-component" => "Unknown component",
        "project-file" => "Cannot read the component list",
        _ => "Nothing to check",
    };
    ComponentStatus::config_error(&ctx, kind, title, e.message.clone(), e.actions.clone())
}

fn recheck_command(spec: &ComponentSpec) -> String {
    if !spec.ad_hoc {
        return format!("db-status --component {}", spec.name);
    }
    let mut cmd = "db-status".to_string();
    for f in &spec.config_files {
        cmd.push_str(" -c ");
        cmd.push_str(&shell_word(&f.to_string_lossy()));
    }
    if let Some(s) = &spec.section {
        cmd.push_str(" -n ");
        cmd.push_str(&shell_word(s));
    }
    cmd
}

fn shell_word(w: &str) -> String {
    // Same quoting as the Alembic commands in the advice.
    let cmd = alembic_command(false, Some(Path::new(w)), None);
    cmd.strip_prefix("alembic -c ").unwrap_or(w).to_string()
}

fn check_component(spec: &ComponentSpec, shared: &Shared) -> ComponentStatus {
    let mut ctx = Context {
        name: spec.name.clone(),
        config: spec.ini.as_ref().map(|i| i.display().to_string()),
        alembic: alembic_command(
            shared.backend_ai,
            spec.ini.as_deref(),
            spec.section.as_deref(),
        ),
        backend_ai: shared.backend_ai,
        recheck: recheck_command(spec),
        cwd: shared.cwd.clone(),
        notes: spec.notes.clone(),
        ..Context::default()
    };
    let request = ConfigRequest {
        config_files: spec.config_files.clone(),
        section: spec.section.clone(),
        cwd: shared.cwd.clone(),
        alembic_config_env: spec.alembic_config_env.clone(),
    };
    let config = match crate::config::load(&request) {
        Ok(c) => c,
        Err(e) => return config_failure(spec, &ctx, shared, &e),
    };
    ctx.script_location = Some(
        display_path(&config.script_location, &shared.cwd)
            .display()
            .to_string(),
    );
    if ctx.config.is_none()
        && let Some(p) = &config.ini_path
    {
        ctx.config = Some(display_path(p, &shared.cwd).display().to_string());
    }
    let (url, source) = match (&shared.url_flag, &spec.url) {
        (Some(u), _) => (Ok(Some(u.clone())), UrlSource::Flag),
        (None, Some(UrlOverride::Url(u))) => (Ok(Some(u.clone())), UrlSource::Component),
        (None, Some(UrlOverride::Env(var))) => (
            std::env::var(var).ok().filter(|v| !v.trim().is_empty()).map(Some).ok_or_else(|| {
                DbError::new(
                    DbErrorKind::BadUrl,
                    format!(
                        "the environment variable {var} (url_env of component {} in the project file) is not set",
                        spec.name
                    ),
                )
            }),
            UrlSource::Component,
        ),
        (None, None) => (Ok(config.sqlalchemy_url.clone().filter(|u| !u.trim().is_empty())), UrlSource::Ini),
    };
    ctx.url_source = source;
    let table = spec.version_table(&config);
    ctx.version_table = match &table.schema {
        Some(schema) => format!("{schema}.{}", table.name),
        None => table.name.clone(),
    };
    // The database round trip overlaps the scan of the revision files: both
    // are needed, neither depends on the other.
    let pending = match url {
        Err(e) => PendingRead::Done(DbRead::Failed(e)),
        Ok(None) => PendingRead::Done(DbRead::NoUrl),
        Ok(Some(raw)) => match DbUrl::parse(&raw) {
            Err(e) => PendingRead::Done(DbRead::Failed(e)),
            Ok(url) => {
                ctx.database = Some(url.masked());
                start_read(url, table, shared.timeout)
            }
        },
    };
    let (map, warnings) = match crate::commands::load_map(&config) {
        Ok(loaded) => loaded,
        Err(e) => return load_failure(&ctx, &e),
    };
    ctx.notes.extend(warnings);

    let db = pending.wait();
    status::evaluate(&map, &db, &ctx)
}

/// A version-table read in flight (or one that needed no thread).
enum PendingRead {
    /// Known without asking the database (no URL, bad URL, …).
    Done(DbRead),
    /// Running on a worker thread; the answer arrives on `rx` by `deadline`.
    Running {
        rx: mpsc::Receiver<Result<crate::database::VersionRows, DbError>>,
        deadline: std::time::Instant,
        target: String,
        limit: Duration,
    },
}

/// Start reading the version table on a worker thread. Waiting stops after
/// the timeout (connect + query, plus slack): a database that hangs in a
/// place the driver's own timeouts do not cover must not hang the tool.
fn start_read(url: DbUrl, table: VersionTable, timeout: Duration) -> PendingRead {
    let (tx, rx) = mpsc::channel();
    let target = url
        .host
        .clone()
        .unwrap_or_else(|| url.database.clone().unwrap_or_default());
    let spawned = std::thread::Builder::new()
        .name("db-read".to_string())
        .spawn(move || {
            let _ = tx.send(crate::database::read_version_rows(&url, &table, timeout));
        });
    if let Err(e) = spawned {
        return PendingRead::Done(DbRead::Failed(DbError::new(
            DbErrorKind::Other,
            format!("cannot start the database read: {e}"),
        )));
    }
    let limit = timeout
        .saturating_mul(2)
        .saturating_add(Duration::from_secs(2));
    PendingRead::Running {
        rx,
        deadline: std::time::Instant::now() + limit,
        target,
        limit,
    }
}

impl PendingRead {
    /// The read's result, waiting at most until its deadline.
    fn wait(self) -> DbRead {
        match self {
            PendingRead::Done(read) => read,
            PendingRead::Running {
                rx,
                deadline,
                target,
                limit,
            } => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(left) {
                    Ok(result) => result.into(),
                    Err(_) => DbRead::Failed(DbError::new(
                        DbErrorKind::Timeout,
                        format!("no answer from {target} within {} s", limit.as_secs()),
                    )),
                }
            }
        }
    }
}

fn config_failure(
    spec: &ComponentSpec,
    ctx: &Context,
    shared: &Shared,
    e: &ConfigError,
) -> ComponentStatus {
    let ini_missing = spec
        .ini
        .as_ref()
        .is_some_and(|i| !shared.cwd.join(i).is_file());
    let mut actions = Vec::new();
    let (kind, title, message) = if ini_missing {
        let ini = spec
            .ini
            .as_deref()
            .map(|i| i.display().to_string())
            .unwrap_or_default();
        actions.push(format!(
            "Run db-status from the directory that holds {ini}, or point at it: db-status -c path/to/{ini}"
        ));
        if shared.backend_ai {
            actions.push(
                "In a Backend.AI checkout, copy the halfstack config: cp configs/<component>/halfstack.alembic.ini <ini> (./scripts/install-dev.sh does this)"
                    .to_string(),
            );
        }
        let path = shared.cwd.join(&ini);
        let what = if path.is_dir() {
            format!(
                "{ini} in {} is a directory, not an ini file ({e})",
                shared.cwd.display()
            )
        } else {
            format!("{ini} not found in {} ({e})", shared.cwd.display())
        };
        ("missing-config", "Alembic config not found", what)
    } else {
        actions.push(format!(
            "Fix {} as the message says",
            ctx.config.as_deref().unwrap_or("the Alembic config")
        ));
        (
            "config",
            "Cannot read the Alembic configuration",
            e.to_string(),
        )
    };
    actions.push(format!("Verify: {}", ctx.recheck));
    ComponentStatus::config_error(ctx, kind, title, message, actions)
}

fn load_failure(ctx: &Context, e: &LoadError) -> ComponentStatus {
    let verify = format!("Verify: {}", ctx.recheck);
    match e {
        LoadError::Config(c) => ComponentStatus::config_error(
            ctx,
            "config",
            "Cannot read the Alembic configuration",
            c.to_string(),
            vec![verify],
        ),
        LoadError::Scripts(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|s| {
                    format!(
                        "{}:{}: {}",
                        display_path(&s.path, &ctx.cwd).display(),
                        s.line,
                        s.message
                    )
                })
                .collect();
            let message = format!(
                "{} revision file{} cannot be read without running Python:\n  {}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                lines.join("\n  ")
            );
            ComponentStatus::config_error(
                ctx,
                "unreadable-revision-file",
                "Unreadable revision files",
                message,
                vec![
                    "Write revision, down_revision, branch_labels and depends_on as plain literals at module level in each file listed"
                        .to_string(),
                    "Check the whole tree without a database: db-status check".to_string(),
                    verify,
                ],
            )
        }
        LoadError::Graph(g) => {
            let kind = match g.kind {
                GraphErrorKind::MissingRevision => "missing-revision",
                GraphErrorKind::Cycle => "cycle",
                GraphErrorKind::LabelClash => "label-clash",
                GraphErrorKind::BadIdentifier => "bad-identifier",
            };
            ComponentStatus::config_error(
                ctx,
                kind,
                "Broken revision graph",
                g.message.clone(),
                vec![
                    "Find the file at fault: db-status check".to_string(),
                    verify,
                ],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names() {
        assert!(locale_names_utf8("en_US.UTF-8"));
        assert!(locale_names_utf8("C.utf8"));
        assert!(!locale_names_utf8("C"));
        assert!(!locale_names_utf8("en_US.ISO-8859-1"));
    }
}
