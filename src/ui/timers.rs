//! The UI thread's timers, one per key in one map, instead of one field per timer in each
//! controller. Starting a key again replaces its pending timer; a key that is never started
//! costs nothing (and no wake-up).

use std::collections::HashMap;
use std::mem::Discriminant;
use std::time::Duration;

use slint::{Timer, TimerMode};

use crate::domain::shell::Timeout;

/// What a timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerKey {
    /// A timeout the shell asked for: one per kind (its data does not count).
    Shell(Discriminant<Timeout>),
    /// The clock, at the next minute.
    Clock,
    /// Hide the channel banner.
    Banner,
    /// Hide the player's controls.
    Controls,
    /// Hide the volume shown over full-screen pictures.
    Osd,
    /// The film's position and caption while the player is open.
    Position,
    /// The call clock while a call is on.
    CallClock,
}

impl From<Timeout> for TimerKey {
    fn from(timeout: Timeout) -> Self {
        TimerKey::Shell(std::mem::discriminant(&timeout))
    }
}

#[derive(Default)]
pub struct Timers(HashMap<TimerKey, Timer>);

impl Timers {
    /// Runs `then` once after `after`, replacing what `key` was waiting for.
    pub fn once(&mut self, key: TimerKey, after: Duration, then: impl FnMut() + 'static) {
        self.0
            .entry(key)
            .or_default()
            .start(TimerMode::SingleShot, after, then);
    }

    /// Runs `then` every `every` until stopped; already running: left as it is.
    pub fn repeat(&mut self, key: TimerKey, every: Duration, then: impl FnMut() + 'static) {
        let timer = self.0.entry(key).or_default();
        if !timer.running() {
            timer.start(TimerMode::Repeated, every, then);
        }
    }

    pub fn stop(&self, key: TimerKey) {
        if let Some(timer) = self.0.get(&key) {
            timer.stop();
        }
    }
}
