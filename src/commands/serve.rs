//! `db-status serve`: the flags → [`crate::serve::run`], checking the same
//! selection `status` checks (re-selected every round, so new revision
//! files are seen without a restart).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::cli::GlobalArgs;
use crate::error::{Error, Exit};
use crate::inspect;
use crate::serve::{self, Options};
use crate::status::Report;

/// `serve`'s own flags, as parsed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServeArgs {
    /// `--listen`.
    pub(crate) listen: std::net::SocketAddr,
    /// `--interval`.
    pub(crate) interval: Option<Duration>,
    /// `--min-interval`.
    pub(crate) min_interval: Option<Duration>,
}

/// The options, or a usage error when the interval is under the floor.
pub(crate) fn options(a: &ServeArgs) -> Result<Options, Error> {
    let interval = a
        .interval
        .unwrap_or(Duration::from_secs_f64(serve::DEFAULT_INTERVAL_SECS));
    let min_interval = a
        .min_interval
        .unwrap_or(Duration::from_secs_f64(serve::DEFAULT_MIN_INTERVAL_SECS));
    if interval < min_interval {
        return Err(Error::usage(format!(
            "--interval {}s is shorter than --min-interval {}s: checks never run more often than the floor",
            interval.as_secs_f64(),
            min_interval.as_secs_f64()
        ))
        .hint("raise --interval or lower --min-interval"));
    }
    Ok(Options {
        listen: a.listen,
        interval,
        min_interval,
    })
}

/// One round: select the targets as `status` does, check them all.
fn check(g: &GlobalArgs) -> Report {
    match super::select(g, true, false) {
        Ok(selection) => inspect::check_selection(&selection, super::inspect_options(g)),
        Err(e) => Report {
            components: Vec::new(),
            notes: vec![format!("the targets could not be selected: {}", e.message)],
            working_directory: None,
        },
    }
}

/// Run the server until SIGTERM/SIGINT; returns the exit code.
pub(crate) fn run(g: &GlobalArgs, a: &ServeArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let options = match options(a) {
        Ok(o) => o,
        Err(e) => return super::usage(&e, g, out, err),
    };
    // Flags that name no component or a bad URL stop here, not in a round.
    if let Err(e) = super::select(g, true, false) {
        return super::usage(&e, g, out, err);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let result =
        serve::stop_on_signals(&stop).and_then(|()| serve::run(&options, &|| check(g), &stop, err));
    match result {
        Ok(()) => Exit::UpToDate.code(),
        Err(e) => {
            let _ = err.write_all(e.render().as_bytes());
            e.exit(crate::error::Mode::Status).code()
        }
    }
}
