//! `heads`, `history`, `branches`, `current`, `show`: the same bytes Alembic
//! 1.20 prints for the same tree, from the files read as text.
//!
//! Exit codes follow Alembic: 0; 255 with `FAILED: <msg>` on stdout for its
//! `CommandError`s; 1 where Alembic crashes with a traceback (here a one-line
//! `error: …` on stderr instead) and for values we cannot read statically.

use std::io::Write;
use std::time::Duration;

use crate::cli::GlobalArgs;
use crate::commands::{LoadError, config_request, load_map};
use crate::config::components;
use crate::config::{AlembicConfig, ConfigError, ConfigRequest};
use crate::database::{DbUrl, VersionRows, VersionTable};
use crate::graph::{Bound, GraphErrorKind, RevisionError, RevisionMap};
use crate::report::alembic as render;
use crate::scripts::ScriptErrorKind;

/// Alembic's `sys.exit(-1)` after `FAILED:`.
const FAILED: u8 = 255;
/// A Python traceback, or a value we refuse to guess.
const CRASH: u8 = 1;
/// Bad flags (as argparse/clap).
const USAGE: u8 = 2;

/// How a command ended early: the exit code, with its message already written.
struct Exit(u8);

fn failed(out: &mut dyn Write, msg: &str) -> Exit {
    let _ = writeln!(out, "FAILED: {msg}");
    Exit(FAILED)
}

fn crash(err: &mut dyn Write, msg: &str) -> Exit {
    let _ = writeln!(err, "error: {msg}");
    Exit(CRASH)
}

/// `--component NAME`: the Alembic commands work on one component's config.
fn component_request(g: &GlobalArgs, err: &mut dyn Write) -> Result<ConfigRequest, Exit> {
    let cwd = super::check::working_dir();
    let mut selected = components::select(&super::check::select_request(g, &cwd));
    if selected.len() != 1 {
        let _ = writeln!(
            err,
            "error: the Alembic-compatible commands read one component at a time: \
             name it with --component NAME (or -c FILE), not --all"
        );
        return Err(Exit(USAGE));
    }
    match selected.pop() {
        Some(Ok(spec)) => Ok(ConfigRequest {
            config_files: spec.config_files,
            section: spec.section,
            cwd,
            alembic_config_env: spec.alembic_config_env,
        }),
        Some(Err(e)) => {
            let mut message = e.message.clone();
            for a in &e.actions {
                message.push_str("\n  hint: ");
                message.push_str(a);
            }
            Err(crash(err, &message))
        }
        None => Err(Exit(USAGE)),
    }
}

fn revision_error(e: &RevisionError, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    if e.crash {
        crash(err, &e.message)
    } else {
        failed(out, &e.message)
    }
}

fn config(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<AlembicConfig, Exit> {
    // Without --component/--all this is exactly Alembic's `-c`/`-n`/ALEMBIC_CONFIG.
    let request = if g.component.is_empty() && !g.all {
        config_request(g)
    } else {
        component_request(g, err)?
    };
    crate::config::load(&request).map_err(|e| match e {
        ConfigError::Command(m) => failed(out, &m),
        ConfigError::Crash(m) => crash(err, &m),
    })
}

/// Read the scripts and build the map. Plain `heads` reports map-construction
/// errors as tracebacks (Alembic calls `get_heads()` outside its error
/// wrapper); the other commands as `FAILED:`. A missing revision is always a
/// traceback (Alembic's KeyError).
fn map(
    cfg: &AlembicConfig,
    heads_command: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<RevisionMap, Exit> {
    match load_map(cfg) {
        Ok((map, warnings)) => {
            for w in warnings {
                let _ = writeln!(err, "warning: {w}");
            }
            Ok(map)
        }
        Err(LoadError::Config(ConfigError::Command(m))) => Err(failed(out, &m)),
        Err(LoadError::Config(ConfigError::Crash(m))) => Err(crash(err, &m)),
        Err(LoadError::Scripts(errors)) => {
            // Alembic stops at the first file it cannot load; we list them all.
            let Some(first) = errors.first() else {
                return Err(crash(err, "revision files could not be read"));
            };
            if first.kind == ScriptErrorKind::NoRevision {
                let name = first
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let msg = if first.message.starts_with("Could not determine") {
                    first.message.clone()
                } else {
                    format!(
                        "Could not determine revision id from filename {name}. Be sure the \
                         'revision' variable is declared inside the script (please see \
                         'Upgrading from Alembic 0.1 to 0.2' in the documentation)."
                    )
                };
                for e in errors.iter().skip(1) {
                    let _ = writeln!(err, "error: {e}");
                }
                return Err(failed(out, &msg));
            }
            for e in &errors {
                let _ = writeln!(err, "error: {e}");
            }
            Err(Exit(CRASH))
        }
        Err(LoadError::Graph(e)) => {
            if heads_command || e.kind == GraphErrorKind::MissingRevision {
                Err(crash(err, &e.message))
            } else {
                Err(failed(out, &e.message))
            }
        }
    }
}

/// The database URL: `--url` / `DB_STATUS_URL`, else `sqlalchemy.url`.
fn db_url(g: &GlobalArgs, cfg: &AlembicConfig, err: &mut dyn Write) -> Result<DbUrl, Exit> {
    let raw = match g.url.clone().or_else(|| cfg.sqlalchemy_url.clone()) {
        Some(u) if !u.trim().is_empty() => u,
        _ => {
            let place = cfg
                .ini_path
                .as_ref()
                .map_or_else(|| cfg.ini_name.clone(), |p| p.display().to_string());
            return Err(crash(
                err,
                &format!(
                    "no database URL: set sqlalchemy.url in the [{}] section of {place}, or pass --url / DB_STATUS_URL",
                    cfg.section
                ),
            ));
        }
    };
    DbUrl::parse(&raw).map_err(|e| crash(err, &e.message))
}

/// The version-table rows, read-only (a missing file or table means no rows).
fn read_rows(
    url: &DbUrl,
    g: &GlobalArgs,
    cfg: &AlembicConfig,
    err: &mut dyn Write,
) -> Result<Vec<String>, Exit> {
    let table = VersionTable {
        name: cfg.version_table.clone(),
        schema: cfg.version_table_schema.clone(),
    };
    let timeout = if g.timeout.is_finite() && g.timeout > 0.0 {
        Duration::from_secs_f64(g.timeout)
    } else {
        Duration::from_secs(5)
    };
    match crate::database::read_version_rows(url, &table, timeout) {
        Ok(VersionRows::Rows(rows)) => Ok(rows),
        Ok(VersionRows::NoDatabaseFile | VersionRows::NoTable) => Ok(Vec::new()),
        Err(e) => Err(crash(
            err,
            &format!(
                "cannot read the version table at {}: {}",
                url.masked(),
                e.message
            ),
        )),
    }
}

fn finish(result: Result<String, Exit>, out: &mut dyn Write) -> u8 {
    match result {
        Ok(text) => {
            let _ = out.write_all(text.as_bytes());
            0
        }
        Err(Exit(code)) => code,
    }
}

/// `db-status heads [-v] [--resolve-dependencies]`.
pub fn heads(
    g: &GlobalArgs,
    resolve_dependencies: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let result = (|| {
        let cfg = config(g, out, err)?;
        // `heads --resolve-dependencies` goes through `get_revisions("heads")`,
        // inside Alembic's error wrapper; plain `heads` does not.
        let map = map(&cfg, !resolve_dependencies, out, err)?;
        let revs = if resolve_dependencies {
            map.real_heads()
        } else {
            map.heads()
        };
        Ok(render::heads(&map, &revs, g.verbose))
    })();
    finish(result, out)
}

/// `db-status history [-r RANGE] [-v] [-i]`.
pub fn history(
    g: &GlobalArgs,
    rev_range: Option<&str>,
    indicate_current: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let result = (|| {
        let cfg = config(g, out, err)?;
        let (base, head) = match rev_range {
            None => (String::new(), String::new()),
            Some(r) => {
                if !r.contains(':') {
                    return Err(failed(
                        out,
                        "History range requires [start]:[end], [start]:, or :[end]",
                    ));
                }
                let parts: Vec<&str> = r.trim().split(':').collect();
                match parts.as_slice() {
                    [b, h] => (b.to_string(), h.to_string()),
                    _ => {
                        return Err(crash(
                            err,
                            &format!(
                                "history range '{r}' has more than one ':'; use [start]:[end] \
                                 (Alembic fails with a ValueError here)"
                            ),
                        ));
                    }
                }
            }
        };
        let map = map(&cfg, false, out, err)?;
        let needs_db = indicate_current || base == "current" || head == "current";
        let rows = if needs_db {
            let url = db_url(g, &cfg, err)?;
            Some(read_rows(&url, g, &cfg, err)?)
        } else {
            None
        };
        let side = |s: &str, default: &str| -> Bound {
            if s.is_empty() {
                Bound::Ident(default.to_string())
            } else {
                Bound::Ident(s.to_string())
            }
        };
        let rows_bound = |default: &str| -> Bound {
            match rows.as_deref() {
                Some(r) if !r.is_empty() => Bound::Rows(r.to_vec()),
                _ => Bound::Ident(default.to_string()),
            }
        };
        let (lower, upper) = if head == "current" {
            (side(&base, "base"), rows_bound("heads"))
        } else if base == "current" {
            (rows_bound("base"), side(&head, "heads"))
        } else {
            (side(&base, "base"), side(&head, "heads"))
        };
        let revs = map
            .walk_revisions(&lower, &upper)
            .map_err(|e| revision_error(&e, out, err))?;
        let currents = if indicate_current {
            rows.as_deref()
        } else {
            None
        };
        Ok(render::history(&map, &revs, g.verbose, currents))
    })();
    finish(result, out)
}

/// `db-status branches [-v]`.
pub fn branches(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = (|| {
        let cfg = config(g, out, err)?;
        let map = map(&cfg, false, out, err)?;
        let order = map
            .history(None, None)
            .map_err(|e| revision_error(&e, out, err))?;
        Ok(render::branches(&map, &order, g.verbose))
    })();
    finish(result, out)
}

/// `db-status current [-v] [--check-heads]`.
pub fn current(g: &GlobalArgs, check_heads: bool, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = (|| {
        let cfg = config(g, out, err)?;
        let map = map(&cfg, false, out, err)?;
        let url = db_url(g, &cfg, err)?;
        let rows = read_rows(&url, g, &cfg, err)?;
        let mut text = String::new();
        if g.verbose {
            text.push_str(&format!("Current revision(s) for {}:\n", url.masked()));
        }
        if check_heads {
            // Alembic compares raw rows with `heads` (effective heads included).
            let have: std::collections::BTreeSet<&str> = rows.iter().map(String::as_str).collect();
            let want: std::collections::BTreeSet<&str> =
                map.heads().into_iter().map(|h| map.id(h)).collect();
            if have != want {
                let _ = out.write_all(text.as_bytes());
                return Err(failed(out, "Database is not on all head revisions"));
            }
        }
        match map.current(&rows) {
            Ok(revs) => {
                text.push_str(&render::current(&map, &revs, g.verbose));
                Ok(text)
            }
            Err(e) => {
                let _ = out.write_all(text.as_bytes());
                Err(revision_error(&e, out, err))
            }
        }
    })();
    finish(result, out)
}

/// `db-status show REV`.
pub fn show(g: &GlobalArgs, rev: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = (|| {
        let cfg = config(g, out, err)?;
        let map = map(&cfg, false, out, err)?;
        let revs = if rev == "current" {
            let url = db_url(g, &cfg, err)?;
            let rows = read_rows(&url, g, &cfg, err)?;
            let mut all = Vec::new();
            for row in &rows {
                all.extend(map.resolve(row).map_err(|e| revision_error(&e, out, err))?);
            }
            all
        } else {
            map.resolve(rev).map_err(|e| revision_error(&e, out, err))?
        };
        Ok(render::show(&map, &revs))
    })();
    finish(result, out)
}
