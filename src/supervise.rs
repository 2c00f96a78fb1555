//! Worker threads that outlive their own failures.
//!
//! The appliance's threads (sync, calls, the player, the TV listings) each show something on
//! screen. A panic in one must not leave that on screen for good: a call once failed on accept
//! and left a ringing card nobody could dismiss, with the bed unreachable until a restart.
//! [`run`] runs a thread's work; when it panics, the panic is logged, whoever shows what the
//! thread showed is told at once (`failed`), everything the failed run held is dropped with it
//! (its sockets, pipelines and store handles), and the work starts again after a pause that
//! grows while it keeps failing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// The first pause before a failed thread's work runs again; it doubles up to [`PAUSE_MAX`].
pub const PAUSE_FIRST: Duration = Duration::from_secs(1);
pub const PAUSE_MAX: Duration = Duration::from_secs(30);
/// A run that lasted this long before failing starts the pauses from the first again.
const STEADY: Duration = Duration::from_secs(120);

/// Runs `work` on this thread until it returns. After each panic: `failed()`, then
/// `wait(pause)` (return false to stop instead), then `work` again.
pub fn run(
    thread: &str,
    mut work: impl FnMut(),
    mut failed: impl FnMut(),
    mut wait: impl FnMut(Duration) -> bool,
) {
    let mut pause = PAUSE_FIRST;
    loop {
        let started = Instant::now();
        let Err(panic) = catch_unwind(AssertUnwindSafe(&mut work)) else {
            return;
        };
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(thread, %why, retry_in = ?pause, "a worker thread failed; it starts again");
        failed();
        if started.elapsed() >= STEADY {
            pause = PAUSE_FIRST;
        }
        if !wait(pause) {
            return;
        }
        pause = (pause * 2).min(PAUSE_MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_panicking_worker_is_reported_and_run_again_with_growing_pauses() {
        let runs = Cell::new(0);
        let failures = Cell::new(0);
        let mut pauses = Vec::new();
        run(
            "test",
            || {
                runs.set(runs.get() + 1);
                if runs.get() < 4 {
                    panic!("fault {}", runs.get());
                }
            },
            || failures.set(failures.get() + 1),
            |pause| {
                pauses.push(pause);
                true
            },
        );
        assert_eq!((runs.get(), failures.get()), (4, 3));
        assert_eq!(
            pauses,
            [PAUSE_FIRST, PAUSE_FIRST * 2, PAUSE_FIRST * 4],
            "pauses double"
        );
    }

    #[test]
    fn a_worker_told_to_stop_while_paused_is_not_run_again() {
        let runs = Cell::new(0);
        run(
            "test",
            || {
                runs.set(runs.get() + 1);
                panic!("always");
            },
            || {},
            |_| false,
        );
        assert_eq!(runs.get(), 1);
    }
}
