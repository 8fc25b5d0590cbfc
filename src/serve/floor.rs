//! The re-check floor: however many requests arrive, the targets are checked
//! at most once per `min_interval`. Requests inside the floor get
//! the last result; the first request after it starts one check, and
//! requests that arrive while that check runs get the previous result (or
//! wait for the first result when there is none yet). One check at a time,
//! so a storm of scrapes cannot hammer the databases.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The last result and when its check started.
pub(crate) struct Floor<T> {
    min_interval: Duration,
    state: Mutex<State<T>>,
    done: Condvar,
}

struct State<T> {
    last: Option<Arc<T>>,
    started: Option<Instant>,
    running: bool,
}

impl<T> Floor<T> {
    /// No check yet; checks at most once per `min_interval`.
    pub(crate) fn new(min_interval: Duration) -> Floor<T> {
        Floor {
            min_interval,
            state: Mutex::new(State {
                last: None,
                started: None,
                running: false,
            }),
            done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panicking check leaves the state consistent (see `get`).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A result no older than the floor allows: the last one while the floor
    /// holds or another check runs, else a new one from `check`.
    pub(crate) fn get(&self, check: impl FnOnce() -> T) -> Arc<T> {
        self.get_if_older(Duration::ZERO, check)
    }

    /// Like [`Floor::get`], but re-check only when the last check started at
    /// least `age` ago (and the floor allows it): the periodic refresh.
    pub(crate) fn get_if_older(&self, age: Duration, check: impl FnOnce() -> T) -> Arc<T> {
        let mut s = self.lock();
        let wait = age.max(self.min_interval);
        let due = s.started.is_none_or(|t| t.elapsed() >= wait);
        if due && !s.running {
            s.running = true;
            s.started = Some(Instant::now());
            drop(s);
            // Reset `running` even if the check panics, so later requests
            // can check again instead of waiting forever.
            let guard = Running(self);
            let result = Arc::new(check());
            std::mem::forget(guard);
            let mut s = self.lock();
            s.running = false;
            s.last = Some(Arc::clone(&result));
            self.done.notify_all();
            return result;
        }
        loop {
            if let Some(last) = &s.last {
                return Arc::clone(last);
            }
            if !s.running {
                // The only check so far panicked: try again.
                drop(s);
                return self.get(check);
            }
            s = self.done.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Clears `running` when a check unwinds.
struct Running<'a, T>(&'a Floor<T>);

impl<T> Drop for Running<'_, T> {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.running = false;
        self.0.done.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The last result, if any, without checking.
    fn last<T>(floor: &Floor<T>) -> Option<Arc<T>> {
        floor.lock().last.clone()
    }

    #[test]
    fn requests_inside_the_floor_share_one_check() {
        let floor = Floor::new(Duration::from_secs(3600));
        let checks = AtomicUsize::new(0);
        let check = || checks.fetch_add(1, Ordering::SeqCst);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..100 {
                        assert_eq!(*floor.get(check), 0);
                    }
                });
            }
        });
        assert_eq!(checks.load(Ordering::SeqCst), 1);
        // The periodic refresh respects the floor too.
        floor.get_if_older(Duration::ZERO, check);
        assert_eq!(checks.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_zero_floor_checks_on_every_request() {
        let floor = Floor::new(Duration::ZERO);
        let checks = AtomicUsize::new(0);
        for i in 0..5 {
            assert_eq!(*floor.get(|| checks.fetch_add(1, Ordering::SeqCst)), i);
        }
        // …but the refresh only when the last check is old enough.
        floor.get_if_older(Duration::from_secs(3600), || {
            checks.fetch_add(1, Ordering::SeqCst)
        });
        assert_eq!(checks.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn a_panicking_check_does_not_wedge_the_floor() {
        let floor: Floor<u32> = Floor::new(Duration::ZERO);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            floor.get(|| panic!("boom"));
        }));
        assert!(r.is_err());
        assert_eq!(*floor.get(|| 7), 7);
        assert_eq!(last(&floor).as_deref(), Some(&7));
    }
}
