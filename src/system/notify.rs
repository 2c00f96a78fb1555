//! systemd's service notification protocol (`sd_notify(3)`), through the `sd-notify` crate.
//!
//! Without `NOTIFY_SOCKET` (not started by systemd) every call does nothing. The unit is
//! `Type=notify` with `NotifyAccess=main`: only this process is heard, not its children.
//!
//! The watchdog is fed from the UI event loop itself ([`Notifier::start_watchdog`] is a Slint
//! timer on the UI thread): if the UI thread hangs, the pings stop and systemd restarts the
//! service after `WatchdogSec=`; a sync pass stuck on a slow backend (its own thread) does not.

use std::time::Duration;

use sd_notify::NotifyState;

/// The service manager, if one is listening.
#[derive(Clone, Debug)]
pub struct Notifier {
    listening: bool,
    /// READY was sent (it is sent once a run, whichever way of getting there came first).
    ready_sent: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// `WatchdogSec=`, when systemd set one for this process.
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC`/`WATCHDOG_PID` (left in the environment: the
    /// protocol is used for the whole run).
    pub fn from_env() -> Notifier {
        let mut usec = 0;
        let watchdog =
            sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec));
        Notifier {
            listening: std::env::var_os("NOTIFY_SOCKET").is_some(),
            ready_sent: Default::default(),
            watchdog,
        }
    }

    /// Started by systemd (there is someone to tell).
    pub fn listening(&self) -> bool {
        self.listening
    }

    /// The watchdog timeout systemd set, if any.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    /// READY=1, with a one-line status for `systemctl status`.
    pub fn ready(&self, status: &str) {
        if self
            .ready_sent
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            self.status(status);
            return;
        }
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
    }

    /// READY=1 has been sent this run.
    pub fn is_ready(&self) -> bool {
        self.ready_sent.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// STOPPING=1: a clean stop has begun.
    pub fn stopping(&self) {
        self.send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    /// RELOADING=1 (with the monotonic time systemd asks for since v253; older ones ignore
    /// it): the process is about to start again on its new configuration and will say READY
    /// again.
    pub fn reloading(&self) {
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send(&[
                NotifyState::Reloading,
                now,
                NotifyState::Status("reloading the configuration"),
            ]),
            Err(_) => self.send(&[NotifyState::Reloading]),
        }
    }

    /// A one-line status for `systemctl status`.
    pub fn status(&self, status: &str) {
        self.send(&[NotifyState::Status(status)]);
    }

    /// WATCHDOG=1.
    pub fn ping(&self) {
        self.send(&[NotifyState::Watchdog]);
    }

    /// Feeds the watchdog from the UI event loop: a repeating Slint timer at half the timeout
    /// (systemd's advice), on the calling thread, which must run the event loop. Keep the timer:
    /// dropping it stops the pings. None when systemd set no watchdog.
    pub fn start_watchdog(&self) -> Option<slint::Timer> {
        let every = self.watchdog? / 2;
        let notifier = self.clone();
        let timer = slint::Timer::default();
        notifier.ping();
        timer.start(slint::TimerMode::Repeated, every, move || notifier.ping());
        tracing::info!(
            every_ms = every.as_millis() as u64,
            "feeding systemd's watchdog"
        );
        Some(timer)
    }

    fn send(&self, states: &[NotifyState]) {
        if !self.listening {
            return;
        }
        if let Err(e) = sd_notify::notify(false, states) {
            tracing::warn!(error = %e, "cannot tell systemd");
        }
    }
}
