//! `db-status wait`: poll targets until each reaches a goal (its database
//! answers, or it holds the script heads), for deploy scripts and
//! Kubernetes init containers.
//!
//! Each poll checks, through [`crate::inspect::check`], the targets that have
//! not reached the goal yet (one that has is not checked again). An event is
//! reported when a target's state (or, within a database error, its kind)
//! changes, never once per poll. A state that waiting cannot change ends the
//! wait at once: a configuration error, diverged scripts, a revision the
//! scripts do not know (for `up-to-date`), a URL that is missing or does not
//! parse. Each attempt's connect timeout is cut to the time left, so the
//! wait ends close to its deadline.

use std::time::{Duration, Instant};

use crate::database::DbErrorKind;
use crate::error::{ErrorKind, Exit};
use crate::inspect::{self, Options};
use crate::status::{ComponentStatus, State};
use crate::target::{Catalog, Target};

/// What to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// The database answers (any state but a database error).
    Reachable,
    /// The database holds exactly the script heads.
    UpToDate,
}

impl Until {
    /// As typed on the command line.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Until::Reachable => "reachable",
            Until::UpToDate => "up-to-date",
        }
    }

    /// Whether `s` meets the goal.
    pub(crate) fn reached(self, s: &ComponentStatus) -> bool {
        match self {
            Until::Reachable => s.state != State::DatabaseError,
            Until::UpToDate => s.state == State::UpToDate,
        }
    }
}

/// Whether waiting can change `s` (else the wait ends with it at once).
pub(crate) fn can_change(s: &ComponentStatus, until: Until) -> bool {
    let fixed_error = s.error.as_ref().is_some_and(|e| {
        matches!(
            e.kind,
            ErrorKind::NoUrl | ErrorKind::Database(DbErrorKind::BadUrl)
        )
    });
    match s.state {
        State::ConfigError | State::Diverged => false,
        State::UnknownRevision => until == Until::Reachable,
        State::DatabaseError => !fixed_error,
        State::UpToDate | State::Behind | State::NoRevision | State::Unstamped => true,
    }
}

/// How to wait.
#[derive(Debug, Clone)]
pub(crate) struct WaitOptions {
    /// The goal.
    pub(crate) until: Until,
    /// Give up after this long.
    pub(crate) timeout: Duration,
    /// Time between the starts of two polls.
    pub(crate) interval: Duration,
    /// At most this many targets checked at the same time.
    pub(crate) check: Options,
}

/// A change of one target's state.
#[derive(Debug, Clone)]
pub(crate) struct Event<'a> {
    /// Since the wait started.
    pub(crate) elapsed: Duration,
    /// Its new verdict.
    pub(crate) status: &'a ComponentStatus,
}

/// How the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Every target reached the goal.
    Reached,
    /// A target is in a state waiting cannot change.
    Stuck,
    /// The time ran out.
    TimedOut,
}

/// The end of a wait: how, when, and every target's last verdict.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// How it ended.
    pub(crate) end: End,
    /// How long it took.
    pub(crate) elapsed: Duration,
    /// The last verdict of every target, in the targets' order.
    pub(crate) statuses: Vec<ComponentStatus>,
}

impl Outcome {
    /// How the process ends: the worst final state's code, or
    /// [`Exit::Timeout`].
    pub(crate) fn exit(&self) -> Exit {
        match self.end {
            End::TimedOut => Exit::Timeout,
            End::Reached | End::Stuck => self
                .statuses
                .iter()
                .map(|s| s.state)
                .max()
                .map_or(Exit::UpToDate, State::exit),
        }
    }
}

/// The key of a state change: the state, and within an error its headline.
fn key(s: &ComponentStatus) -> (State, &str) {
    (s.state, s.title.as_str())
}

/// Poll `targets` until they reach `opts.until`, one is stuck, or the time
/// runs out; `on_change` hears every change of state.
pub(crate) fn wait(
    targets: &[Target],
    catalog: &Catalog,
    opts: WaitOptions,
    on_change: &mut dyn FnMut(Event<'_>),
) -> Outcome {
    let start = Instant::now();
    let deadline = start + opts.timeout;
    let mut last: Vec<Option<ComponentStatus>> = vec![None; targets.len()];
    loop {
        let poll_start = Instant::now();
        let left = deadline.saturating_duration_since(poll_start);
        let open: Vec<usize> = (0..targets.len())
            .filter(|&i| !last[i].as_ref().is_some_and(|s| opts.until.reached(s)))
            .collect();
        let batch: Vec<Target> = open
            .iter()
            .filter_map(|&i| targets.get(i))
            .map(|t| {
                let mut t = t.clone();
                // An attempt never outlives the wait (but gets a moment to try).
                t.connect.timeout = t.connect.timeout.min(left.max(Duration::from_millis(200)));
                t
            })
            .collect();
        let results = inspect::check(&batch, catalog, opts.check.clone());
        for (i, s) in open.iter().zip(results) {
            let changed = last[*i].as_ref().is_none_or(|old| key(old) != key(&s));
            if changed {
                on_change(Event {
                    elapsed: start.elapsed(),
                    status: &s,
                });
            }
            last[*i] = Some(s);
        }
        let statuses = || last.iter().flatten().cloned().collect::<Vec<_>>();
        if last.iter().flatten().all(|s| opts.until.reached(s)) {
            return Outcome {
                end: End::Reached,
                elapsed: start.elapsed(),
                statuses: statuses(),
            };
        }
        if last
            .iter()
            .flatten()
            .any(|s| !opts.until.reached(s) && !can_change(s, opts.until))
        {
            return Outcome {
                end: End::Stuck,
                elapsed: start.elapsed(),
                statuses: statuses(),
            };
        }
        let now = Instant::now();
        if now >= deadline {
            return Outcome {
                end: End::TimedOut,
                elapsed: start.elapsed(),
                statuses: statuses(),
            };
        }
        let next = (poll_start + opts.interval).min(deadline);
        std::thread::sleep(next.saturating_duration_since(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::status::Context;

    fn status(state: State, kind: Option<ErrorKind>) -> ComponentStatus {
        let ctx = Context::default();
        let mut s = match kind {
            Some(k) => ComponentStatus::config_error(&ctx, &Error::new(k, "x")),
            None => ComponentStatus::config_error(&ctx, &Error::new(ErrorKind::Config, "x")),
        };
        s.state = state;
        if kind.is_none() {
            s.error = None;
        }
        s
    }

    #[test]
    fn goals_and_states_that_waiting_cannot_change() {
        let up = status(State::UpToDate, None);
        let behind = status(State::Behind, None);
        let refused = status(
            State::DatabaseError,
            Some(ErrorKind::Database(DbErrorKind::Refused)),
        );
        let bad_url = status(
            State::DatabaseError,
            Some(ErrorKind::Database(DbErrorKind::BadUrl)),
        );
        let unknown = status(State::UnknownRevision, None);
        assert!(Until::Reachable.reached(&behind));
        assert!(!Until::Reachable.reached(&refused));
        assert!(!Until::UpToDate.reached(&behind));
        assert!(Until::UpToDate.reached(&up));
        assert!(can_change(&refused, Until::UpToDate));
        assert!(!can_change(&bad_url, Until::Reachable));
        assert!(can_change(&behind, Until::UpToDate));
        assert!(!can_change(&unknown, Until::UpToDate));
        assert!(!can_change(
            &status(State::ConfigError, None),
            Until::Reachable
        ));
        assert!(!can_change(&status(State::Diverged, None), Until::UpToDate));
    }

    #[test]
    fn exit_is_the_worst_final_state_or_the_timeout() {
        let o = |end, states: &[State]| Outcome {
            end,
            elapsed: Duration::ZERO,
            statuses: states.iter().map(|s| status(*s, None)).collect(),
        };
        assert_eq!(
            o(End::Reached, &[State::UpToDate, State::Behind]).exit(),
            Exit::Behind
        );
        assert_eq!(
            o(End::Stuck, &[State::ConfigError]).exit(),
            Exit::ConfigError
        );
        assert_eq!(o(End::TimedOut, &[State::UpToDate]).exit(), Exit::Timeout);
    }
}
