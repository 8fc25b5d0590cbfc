//! `db-status wait`: [`crate::wait`] over the selected targets (or a
//! `--targets` fleet), one line per change of state on stdout, then how it
//! ended; the details of any target that did not reach the goal follow.

use std::io::Write;
use std::time::Duration;

use crate::cli::{GlobalArgs, WaitUntil};
use crate::report::human::{self, HumanOptions};
use crate::status::{ComponentStatus, State};
use crate::wait::{self, End, Event, Until, WaitOptions};

/// How long `wait` waits without `--timeout`.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How often `wait` checks without `--interval`.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// `manager` or `manager (env=prod, tenant=acme)`.
fn target_name(s: &ComponentStatus) -> String {
    if s.labels.is_empty() {
        return s.name.clone();
    }
    let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{} ({})", s.name, labels.join(", "))
}

/// `behind (2 pending)`, `database-error (Connection refused)`.
fn describe(s: &ComponentStatus) -> String {
    let state = s.state.as_str();
    match s.state {
        State::DatabaseError | State::ConfigError => format!("{state} ({})", s.title),
        State::Behind => match &s.pending {
            Some(p) => format!("{state} ({} pending)", p.len()),
            None => state.to_string(),
        },
        _ => state.to_string(),
    }
}

/// Run `wait`; returns the exit code.
pub(crate) fn run(
    g: &GlobalArgs,
    until: WaitUntil,
    interval: Option<Duration>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let until = match until {
        WaitUntil::Reachable => Until::Reachable,
        WaitUntil::UpToDate => Until::UpToDate,
    };
    // Here --timeout is the whole wait; each attempt keeps the default
    // connect timeout, cut to the time left.
    let timeout = g.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let select_args = GlobalArgs {
        timeout: None,
        ..g.clone()
    };
    let selection = match super::select(&select_args, true, false) {
        Ok(s) => s,
        Err(e) => return super::usage(&e, g, out, err),
    };
    let opts = WaitOptions {
        until,
        timeout,
        interval: interval.unwrap_or(DEFAULT_INTERVAL),
        check: super::inspect_options(g),
    };
    let mut on_change = |e: Event<'_>| {
        let _ = writeln!(
            out,
            "{:>7.1}s  {}: {}",
            e.elapsed.as_secs_f64(),
            target_name(e.status),
            describe(e.status)
        );
        // Deploy logs show each change as it happens.
        let _ = out.flush();
    };
    let outcome = wait::wait(&selection.targets, &selection.catalog, opts, &mut on_change);
    let secs = outcome.elapsed.as_secs_f64();
    let summary = crate::report::fleet::summary_line(&outcome.statuses);
    let _ = match outcome.end {
        End::Reached => writeln!(out, "{} after {secs:.1}s: {summary}", until.as_str()),
        End::Stuck => writeln!(
            out,
            "stopped after {secs:.1}s, not {}: waiting cannot change {}",
            until.as_str(),
            outcome
                .statuses
                .iter()
                .filter(|s| !until.reached(s) && !wait::can_change(s, until))
                .map(|s| format!("{} ({})", target_name(s), s.state.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        End::TimedOut => writeln!(
            out,
            "timed out after {secs:.1}s waiting for {}: {summary}",
            until.as_str()
        ),
    };
    if outcome.end != End::Reached {
        let opts = HumanOptions {
            ascii: g.ascii || !super::status::locale_is_utf8(),
            color: super::status::use_color(),
            verbose: g.verbose,
        };
        for s in outcome.statuses.iter().filter(|s| !until.reached(s)) {
            let _ = writeln!(out);
            let _ = human::render_one(s, &opts, out);
        }
    }
    outcome.exit().code()
}
