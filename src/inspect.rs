//! Checking targets: for each one, its component's revision map (loaded once
//! per component and shared), one bounded read of its database through
//! [`crate::database::start`] (overlapping the scan of the revision files),
//! and the verdict of [`crate::status::evaluate`]. Targets are checked
//! concurrently by at most [`Options::jobs`] workers; the results keep the
//! targets' order. Commands, `fleet`, `serve` and `mcp` all check through
//! [`check`]; nothing else starts reader threads.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::database::{self, PendingRead};
use crate::error::{Error, ErrorKind};
use crate::status::{self, ComponentStatus, DbRead, Foreign, Report};
use crate::target::{Catalog, Component, Selection, Target, TargetUrl};

/// How to check.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// At most this many targets are checked at the same time.
    pub(crate) jobs: usize,
    /// `--from-release`, `--production`.
    pub(crate) releases: crate::releases::Request,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 16,
            releases: crate::releases::Request::default(),
        }
    }
}

/// Check every target of a selection; the report keeps their order and
/// carries the run's notes.
pub(crate) fn check_selection(selection: &Selection, options: Options) -> Report {
    Report {
        components: check(&selection.targets, &selection.catalog, options),
        notes: selection.notes.clone(),
        working_directory: Some(selection.workspace.root.clone()),
    }
}

/// Check `targets` concurrently (bounded by `options.jobs`). `catalog` holds
/// every component whose revisions may turn up in a database (for telling
/// that a URL points at another component's database).
pub(crate) fn check(
    targets: &[Target],
    catalog: &Catalog,
    options: Options,
) -> Vec<ComponentStatus> {
    check_with(targets, catalog, options, &|_| {})
}

/// [`check`], calling `done` (from the worker thread) as each target's
/// verdict is known, in completion order (for a progress bar).
pub(crate) fn check_with(
    targets: &[Target],
    catalog: &Catalog,
    options: Options,
    done: &(dyn Fn(&ComponentStatus) + Sync),
) -> Vec<ComponentStatus> {
    let results: Mutex<Vec<Option<ComponentStatus>>> = Mutex::new(vec![None; targets.len()]);
    let next = AtomicUsize::new(0);
    let workers = options.jobs.clamp(1, targets.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(i) else { break };
                    // A bug in one check must not take the others down.
                    let status = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        check_target_with(target, catalog, &options.releases)
                    }))
                    .unwrap_or_else(|_| internal_error(target));
                    done(&status);
                    if let Ok(mut r) = results.lock()
                        && let Some(slot) = r.get_mut(i)
                    {
                        *slot = Some(status);
                    }
                }
            });
        }
    });
    // Connections reused between targets of one database live for one check.
    database::close_idle_connections();
    let results = results.into_inner().unwrap_or_default();
    results
        .into_iter()
        .zip(targets)
        .map(|(r, t)| r.unwrap_or_else(|| internal_error(t)))
        .collect()
}

fn internal_error(target: &Target) -> ComponentStatus {
    ComponentStatus::config_error(
        &target.context(),
        &Error::new(
            ErrorKind::Internal,
            "the check stopped unexpectedly (a bug in db-status; please report it)",
        ),
    )
}

/// Check one target with the run's release choices.
pub(crate) fn check_target_with(
    target: &Target,
    catalog: &Catalog,
    releases: &crate::releases::Request,
) -> ComponentStatus {
    let mut ctx = target.context();
    let component = &target.component;
    if let Err(e) = &component.config {
        return ComponentStatus::config_error(&ctx, e);
    }
    // The database round trip overlaps the scan of the revision files: both
    // are needed, neither depends on the other.
    let pending = match &target.url {
        TargetUrl::Given { url, .. } => {
            database::start(url, &target.version_table, &target.connect)
        }
        TargetUrl::Invalid { error, .. } => PendingRead::Done(Err(error.clone())),
        TargetUrl::Missing => return no_url(target, &mut ctx, releases),
    };
    let loaded = match component.scripts() {
        Ok(l) => l,
        Err(e) => {
            return ComponentStatus::config_error(&ctx, &e.to_error(&component.workspace.cwd));
        }
    };
    ctx.notes.extend(loaded.warnings.iter().cloned());
    if let Some(drift) = crate::drift::check(component) {
        ctx.notes
            .push(drift.message(component.name(), &component.workspace.cwd));
    }
    ctx.releases = Some(Arc::new(crate::releases::Facts {
        known: component.releases(&loaded),
        request: releases.clone(),
    }));
    let db = DbRead::from(pending.wait());
    let unknown = status::unknown_rows(&loaded.map, &db);
    if !unknown.is_empty() {
        ctx.foreign = foreign(&unknown, component, catalog);
    }
    status::evaluate(&loaded.map, &db, &ctx)
}

fn no_url(
    target: &Target,
    ctx: &mut status::Context,
    releases: &crate::releases::Request,
) -> ComponentStatus {
    match target.component.scripts() {
        Ok(loaded) => {
            ctx.releases = Some(Arc::new(crate::releases::Facts {
                known: target.component.releases(&loaded),
                request: releases.clone(),
            }));
            status::evaluate(&loaded.map, &DbRead::NoUrl, ctx)
        }
        Err(e) => ComponentStatus::config_error(ctx, &e.to_error(&target.component.workspace.cwd)),
    }
}

/// Which other component's tree holds each unknown row.
fn foreign(unknown: &[String], own: &Arc<Component>, catalog: &Catalog) -> Vec<Foreign> {
    let mut seen: Vec<&Vec<std::path::PathBuf>> = own
        .config
        .as_ref()
        .ok()
        .map(|c| &c.version_locations)
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for other in catalog.others(own.name()) {
        if Arc::ptr_eq(other, own) {
            continue;
        }
        let Ok(config) = &other.config else { continue };
        // One tree, one owner: the first component that reads it.
        if seen.contains(&&config.version_locations) {
            continue;
        }
        seen.push(&config.version_locations);
        let Ok(loaded) = other.scripts() else {
            continue;
        };
        let heads = crate::graph::divergence::distinct_real_heads(&loaded.map);
        for row in unknown {
            if let Some(idx) = loaded.map.find(row) {
                out.push(Foreign {
                    row: row.clone(),
                    component: other.name().to_string(),
                    head: heads.contains(&idx),
                });
            }
        }
    }
    out
}
