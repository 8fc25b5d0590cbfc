//! `heads`, `history`, `branches`, `current`, `show`: the same bytes Alembic
//! 1.20 prints for the same tree, from the files read as text.
//!
//! Exit codes follow Alembic (the second column of [`crate::error`]'s
//! table): 0; 255 with `FAILED: <msg>` on stdout for its `CommandError`s; 1
//! where Alembic crashes with a traceback (here a clean `error: …` on
//! stderr instead) and for values we cannot read statically.
//!
//! The target comes from [`crate::target`] like everywhere else: without
//! `--component` it is exactly what `alembic` reads (`-c`, `-n`,
//! `ALEMBIC_CONFIG`, `alembic.ini` in the working directory); with it, that
//! component's ini, URL and version table.

use std::io::Write;
use std::sync::Arc;

use crate::cli::{Format, GlobalArgs};
use crate::config::components;
use crate::database::{VersionRead, VersionRows};
use crate::error::{Error, ErrorKind, Mode};
use crate::graph::{Bound, RevIdx, RevisionError, RevisionMap};
use crate::report::alembic as render;
use crate::report::listing::ListCommand;
use crate::scripts::ScriptErrorKind;
use crate::target::{LoadError, Loaded, Target, TargetUrl, graph_kind};

/// How a command ended early: the error and the column of the table it uses.
struct Exit(Error, Mode);

impl From<Error> for Exit {
    fn from(e: Error) -> Self {
        Exit(e, Mode::Alembic)
    }
}

fn revision_error(e: RevisionError) -> Exit {
    let kind = if e.crash {
        ErrorKind::RevisionCrash
    } else {
        ErrorKind::BadRevision
    };
    Exit(Error::new(kind, e.message), Mode::Alembic)
}

/// The one target of an Alembic-compatible command.
fn target(g: &GlobalArgs, reads_database: bool) -> Result<Target, Exit> {
    let selection = super::select(g, reads_database, true)?;
    let mut targets = selection.targets;
    if targets.len() != 1 {
        return Err(Error::usage(
            "the Alembic-compatible commands read one component at a time: name it with --component NAME (or -c FILE)",
        )
        .into());
    }
    targets
        .pop()
        .ok_or_else(|| Error::usage("no component selected").into())
}

/// The configuration, with Alembic's own message where it has one, and
/// where this checkout tracks a config Alembic was not pointed at, which.
fn config(t: &Target) -> Result<&crate::config::AlembicConfig, Exit> {
    let c = &t.component;
    match &c.config {
        Ok(cfg) => Ok(cfg),
        Err(e) => {
            let mut alembic = match e.kind {
                // Alembic says only this about a missing ini.
                ErrorKind::MissingConfig => Error::new(
                    ErrorKind::Config,
                    e.causes
                        .first()
                        .cloned()
                        .unwrap_or_else(|| e.message.clone()),
                ),
                _ => Error::new(e.kind, e.message.clone()).hints(e.hints.clone()),
            };
            alembic = alembic.hints(tracked_config_hint(t));
            Err(alembic.into())
        }
    }
}

/// Where a checkout without the ini Alembic looked for tracks one to use instead.
fn tracked_config_hint(t: &Target) -> Vec<String> {
    let ws = &t.component.workspace;
    let wanted = t
        .component
        .spec
        .ini
        .clone()
        .unwrap_or_else(|| "alembic.ini".into());
    if ws.root.join(&wanted).exists() {
        return Vec::new();
    }
    components::catalog(&ws.cwd)
        .into_iter()
        .filter(|spec| {
            components::builtin_ini(&spec.name).is_some_and(|i| wanted == std::path::Path::new(i))
        })
        .filter(|spec| spec.tracked_instead_of.is_some())
        .filter_map(|spec| {
            spec.ini
                .filter(|i| ws.cwd.join(i).is_file())
                .map(|i| (spec.name, i))
        })
        .map(|(name, tracked)| {
            let tracked = tracked.display();
            format!(
                "there is no {} here, but this checkout tracks {tracked} for {name}: add `-c {tracked}` (or `--component {name}`), or copy it to {}",
                wanted.display(),
                wanted.display()
            )
        })
        .collect()
}

/// Read the scripts and build the map (shared by the component). Plain
/// `heads` reports map-construction errors as tracebacks (Alembic calls
/// `get_heads()` outside its error wrapper); the other commands as
/// `FAILED:`. A missing revision is always a traceback (Alembic's KeyError).
fn map(
    t: &Target,
    heads_command: bool,
    verbose: bool,
    err: &mut dyn Write,
) -> Result<Arc<Loaded>, Exit> {
    config(t)?;
    match t.component.scripts() {
        Ok(loaded) => {
            for w in &loaded.warnings {
                let _ = writeln!(err, "warning: {w}");
            }
            // How imported values were decided: on stderr, so stdout stays Alembic's.
            if verbose {
                for n in &loaded.notes {
                    let _ = writeln!(err, "note: {n}");
                }
            }
            Ok(loaded)
        }
        Err(e) => Err(match e.as_ref() {
            LoadError::Scripts(errors) => {
                // Alembic stops at the first file it cannot load; we list them all.
                let Some(first) = errors.first() else {
                    return Err(Error::new(
                        ErrorKind::UnreadableRevisionFile,
                        "revision files could not be read",
                    )
                    .into());
                };
                let rest = errors.iter().skip(1).map(ToString::to_string);
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
                    let mut e = Error::new(ErrorKind::MissingRevisionId, msg);
                    e.causes.extend(rest);
                    e.into()
                } else {
                    let mut e = Error::new(ErrorKind::UnreadableRevisionFile, first.to_string());
                    e.causes.extend(rest);
                    e.into()
                }
            }
            LoadError::Graph(g) => {
                let mode = if heads_command {
                    Mode::AlembicUnwrapped
                } else {
                    Mode::Alembic
                };
                Exit(Error::new(graph_kind(g.kind), g.message.clone()), mode)
            }
        }),
    }
}

/// The version-table rows, read-only (a missing file or table means no rows).
/// The target's notes (what `env.py` does that cannot be read) are warnings.
fn read_rows(t: &Target, err: &mut dyn Write) -> Result<Vec<String>, Exit> {
    for n in &t.notes {
        let _ = writeln!(err, "warning: {n}");
    }
    let url = match &t.url {
        TargetUrl::Given { url, .. } => url,
        TargetUrl::Invalid { error, .. } => {
            return Err(Error::new(ErrorKind::Database(error.kind), error.message.clone()).into());
        }
        TargetUrl::Missing => {
            let (place, section) = match &t.component.config {
                Ok(cfg) => (
                    cfg.ini_path
                        .as_ref()
                        .map_or_else(|| cfg.ini_name.clone(), |p| p.display().to_string()),
                    cfg.section.clone(),
                ),
                Err(_) => ("the ini".to_string(), "alembic".to_string()),
            };
            return Err(Error::new(
                ErrorKind::NoUrl,
                format!(
                    "no database URL: set sqlalchemy.url in the [{section}] section of {place}, or pass --url (or set DB_STATUS_URL_{} / DB_STATUS_URL)",
                    crate::target::env_suffix(t.name())
                ),
            )
            .into());
        }
    };
    match crate::database::read(url, &t.version_table, &t.connect) {
        Ok(VersionRead {
            rows: VersionRows::Rows(rows),
            ..
        }) => Ok(rows),
        Ok(_) => Ok(Vec::new()),
        Err(e) => Err(Error::new(
            ErrorKind::Database(e.kind),
            format!(
                "cannot read the version table at {}: {}",
                url.masked(),
                e.message
            ),
        )
        .into()),
    }
}

fn finish(result: Result<String, Exit>, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match result {
        Ok(text) => {
            let _ = out.write_all(text.as_bytes());
            0
        }
        Err(Exit(e, mode)) => e.report(mode, out, err),
    }
}

/// What `heads`, `history` and `show` list: the component, its revision
/// map, the revisions in the order the text lists them, and the version-table
/// rows when the command read them. The text and the JSON render this one value.
pub(crate) struct Listing {
    /// The component's name.
    pub(crate) component: String,
    /// The component's revision map (`None` when Alembic would not load it:
    /// `show current` on an empty version table).
    pub(crate) loaded: Option<Arc<Loaded>>,
    /// The revisions, in output order.
    pub(crate) revs: Vec<RevIdx>,
    /// The version-table rows, when read (`history -i`).
    pub(crate) currents: Option<Vec<String>>,
    /// The working directory (paths are shown relative to it).
    pub(crate) cwd: std::path::PathBuf,
    /// The error Alembic reports after printing these revisions (`show -N` past the base).
    then: Option<Exit>,
    /// `history --releases`: the text with release boundaries marked.
    release_text: Option<String>,
}

/// Write a listing as Alembic's text or as JSON.
fn finish_listing(
    g: &GlobalArgs,
    command: ListCommand,
    result: Result<Listing, Exit>,
    text: impl FnOnce(&Listing) -> String,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if g.format != Some(Format::Json) {
        return match result {
            Ok(mut l) => match l.then.take() {
                None => finish(Ok(text(&l)), out, err),
                Some(failure) => {
                    let _ = out.write_all(text(&l).as_bytes());
                    finish(Err(failure), out, err)
                }
            },
            Err(e) => finish(Err(e), out, err),
        };
    }
    let result = result.and_then(|mut l| match l.then.take() {
        None => Ok(l),
        Some(failure) => Err(failure),
    });
    match result {
        Ok(l) => {
            let written = crate::report::listing::render_list(
                command,
                &l.component,
                l.loaded.as_ref().map(|ld| &ld.map),
                &l.revs,
                l.currents.as_deref(),
                &l.cwd,
                out,
            );
            if let Err(e) = written
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                let _ = writeln!(err, "error: cannot write the listing: {e}");
            }
            crate::error::Exit::UpToDate.code()
        }
        Err(Exit(e, mode)) => {
            let code = e.exit(mode).code();
            let _ = crate::report::json::render_error(&e, code, out);
            let _ = err.write_all(e.render().as_bytes());
            code
        }
    }
}

/// The revisions `heads` lists.
fn list_heads(
    g: &GlobalArgs,
    resolve_dependencies: bool,
    err: &mut dyn Write,
) -> Result<Listing, Exit> {
    let t = target(g, false)?;
    // `heads --resolve-dependencies` goes through `get_revisions("heads")`,
    // inside Alembic's error wrapper; plain `heads` does not.
    let loaded = map(&t, !resolve_dependencies, g.verbose, err)?;
    let revs = if resolve_dependencies {
        loaded.map.real_heads()
    } else {
        loaded.map.heads()
    };
    Ok(Listing {
        component: t.name().to_string(),
        cwd: t.component.workspace.cwd.clone(),
        loaded: Some(loaded),
        revs,
        currents: None,
        then: None,
        release_text: None,
    })
}

/// `db-status heads [-v] [--resolve-dependencies] [--format json]`.
pub(crate) fn heads(
    g: &GlobalArgs,
    resolve_dependencies: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let result = list_heads(g, resolve_dependencies, err);
    let text = |l: &Listing| {
        l.loaded
            .as_ref()
            .map_or_else(String::new, |ld| render::heads(&ld.map, &l.revs, g.verbose))
    };
    finish_listing(g, ListCommand::Heads, result, text, out, err)
}

/// The revisions `history` lists, newest first.
fn list_history(
    g: &GlobalArgs,
    rev_range: Option<&str>,
    (indicate_current, releases): (bool, bool),
    err: &mut dyn Write,
) -> Result<Listing, Exit> {
    let needs_db_flags =
        indicate_current || rev_range.is_some_and(|r| r.split(':').any(|s| s.trim() == "current"));
    let t = target(g, needs_db_flags)?;
    config(&t)?;
    let (base, head) = match rev_range {
        None => (String::new(), String::new()),
        Some(r) => {
            if !r.contains(':') {
                return Err(Error::new(
                    ErrorKind::BadRevision,
                    "History range requires [start]:[end], [start]:, or :[end]",
                )
                .into());
            }
            let parts: Vec<&str> = r.trim().split(':').collect();
            match parts.as_slice() {
                [b, h] => (b.to_string(), h.to_string()),
                _ => {
                    return Err(Error::new(
                        ErrorKind::RevisionCrash,
                        format!(
                            "history range '{r}' has more than one ':'; use [start]:[end] \
                             (Alembic fails with a ValueError here)"
                        ),
                    )
                    .into());
                }
            }
        }
    };
    let loaded = map(&t, false, g.verbose, err)?;
    let map: &RevisionMap = &loaded.map;
    let needs_db = indicate_current || base == "current" || head == "current";
    let rows = if needs_db {
        Some(read_rows(&t, err)?)
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
    let revs = map.walk_revisions(&lower, &upper).map_err(revision_error)?;
    let currents = if indicate_current { rows } else { None };
    let release_text = releases.then(|| {
        let known = t.component.releases(&loaded);
        if let Some(e) = &known.setting_error {
            let _ = writeln!(err, "warning: release comments are off: {e}");
        } else if matches!(
            t.component.release_setting().0,
            crate::releases::Setting::Off
        ) {
            let _ = writeln!(
                err,
                "warning: release comments are off: set release_pattern in db-status.toml (on by default in a Backend.AI checkout)"
            );
        }
        crate::releases::history(&revs, &known.table, |r| {
            render::history(map, &[r], g.verbose, currents.as_deref())
        })
    });
    Ok(Listing {
        component: t.name().to_string(),
        cwd: t.component.workspace.cwd.clone(),
        loaded: Some(loaded.clone()),
        revs,
        currents,
        then: None,
        release_text,
    })
}

/// `db-status history [-r RANGE] [-v] [-i] [--releases] [--format json]`; `flags`
/// is (`-i`, `--releases`).
pub(crate) fn history(
    g: &GlobalArgs,
    rev_range: Option<&str>,
    flags: (bool, bool),
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    if flags.1 && g.format == Some(Format::Json) {
        let e = Error::usage(
            "--releases marks release boundaries in the text; with --format json, drop it",
        );
        return finish_listing(
            g,
            ListCommand::History,
            Err(e.into()),
            |_| String::new(),
            out,
            err,
        );
    }
    let result = list_history(g, rev_range, flags, err);
    if g.format != Some(Format::Json)
        && let Ok(l) = &result
        && l.release_text.is_none()
        && l.then.is_none()
        && let Some(ld) = &l.loaded
    {
        // Streamed: labelled histories of large trees run to gigabytes.
        let _ = render::write_history(
            &ld.map,
            &l.revs,
            g.verbose,
            l.currents.as_deref(),
            &mut *out,
        );
        return finish(Ok(String::new()), out, err);
    }
    let text = |l: &Listing| match &l.release_text {
        Some(t) => t.clone(),
        None => l.loaded.as_ref().map_or_else(String::new, |ld| {
            render::history(&ld.map, &l.revs, g.verbose, l.currents.as_deref())
        }),
    };
    finish_listing(g, ListCommand::History, result, text, out, err)
}

/// `db-status branches [-v]`.
pub(crate) fn branches(g: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = (|| {
        let t = target(g, false)?;
        let loaded = map(&t, false, g.verbose, err)?;
        let order = loaded.map.history(None, None).map_err(revision_error)?;
        Ok(render::branches(&loaded.map, &order, g.verbose))
    })();
    finish(result, out, err)
}

/// `db-status current [-v] [--check-heads]`.
pub(crate) fn current(
    g: &GlobalArgs,
    check_heads: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let result = (|| {
        let t = target(g, true)?;
        // Alembic reads the database (and prints the verbose header) before
        // it loads the revisions; `--check-heads` loads them in `get_heads`,
        // outside its error wrapper (as plain `heads` does).
        config(&t)?;
        let rows = read_rows(&t, err)?;
        let mut text = String::new();
        if g.verbose
            && let TargetUrl::Given { url, .. } = &t.url
        {
            text.push_str(&format!("Current revision(s) for {}:\n", url.masked()));
        }
        let loaded = match map(&t, check_heads, g.verbose, err) {
            Ok(loaded) => loaded,
            Err(e) => {
                let _ = out.write_all(text.as_bytes());
                return Err(e);
            }
        };
        let map = &loaded.map;
        if check_heads {
            // Alembic compares raw rows with `heads` (effective heads included).
            let have: std::collections::BTreeSet<&str> = rows.iter().map(String::as_str).collect();
            let want: std::collections::BTreeSet<&str> =
                map.heads().into_iter().map(|h| map.id(h)).collect();
            if have != want {
                let _ = out.write_all(text.as_bytes());
                return Err(Error::new(
                    ErrorKind::NotOnHeads,
                    "Database is not on all head revisions",
                )
                .into());
            }
        }
        match map.current(&rows) {
            Ok(revs) => {
                text.push_str(&render::current(map, &revs, g.verbose));
                Ok(text)
            }
            Err(e) => {
                let _ = out.write_all(text.as_bytes());
                Err(revision_error(e))
            }
        }
    })();
    finish(result, out, err)
}

/// The revisions `show REV` lists. Alembic prints the revisions as it goes:
/// those before a crash (a `-N` past the base) are listed, then the error.
fn list_show(g: &GlobalArgs, rev: &str, err: &mut dyn Write) -> Result<Listing, Exit> {
    let t = target(g, rev == "current")?;
    let (loaded, revs, then) = if rev == "current" {
        // Alembic reads the database first; with no rows it has nothing
        // to resolve and never loads the revisions.
        config(&t)?;
        let rows = read_rows(&t, err)?;
        let loaded = if rows.is_empty() {
            None
        } else {
            Some(map(&t, false, g.verbose, err)?)
        };
        let mut all = Vec::new();
        if let Some(loaded) = &loaded {
            for row in &rows {
                all.extend(loaded.map.resolve(row).map_err(revision_error)?);
            }
        }
        (loaded, all, None)
    } else {
        let loaded = map(&t, false, g.verbose, err)?;
        let (revs, e) = loaded.map.resolve_for_show(rev);
        (Some(loaded), revs, e.map(revision_error))
    };
    Ok(Listing {
        component: t.name().to_string(),
        cwd: t.component.workspace.cwd.clone(),
        loaded,
        revs,
        currents: None,
        then,
        release_text: None,
    })
}

/// `db-status show REV [--format json]`.
pub(crate) fn show(g: &GlobalArgs, rev: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = list_show(g, rev, err);
    let text = |l: &Listing| {
        l.loaded
            .as_ref()
            .map_or_else(String::new, |ld| render::show(&ld.map, &l.revs))
    };
    finish_listing(g, ListCommand::Show, result, text, out, err)
}
