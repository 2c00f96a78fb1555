//! Held buttons: the appliance's own repeat (the kernel's value-2 events may or may not come, and
//! IR remotes repeat at their own pace), long presses, and keys that never come back up.
//!
//! Pure and driven by the caller's clock: [`Repeater::due`] is called with the current time and
//! emits what became due since, so a replay at recorded times gives the same presses as the live
//! device did.

use std::time::Duration;

use crate::domain::button::Button;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RepeatConfig {
    /// Hold this long before the first repeat.
    pub delay: Duration,
    /// The first repeat interval; each next one is `acceleration` times the last ...
    pub first_interval: Duration,
    pub acceleration: f64,
    /// ... down to this.
    pub min_interval: Duration,
    /// A Back held this long also goes Home; an Info held this long is Privacy.
    pub long_press: Duration,
    /// A key held longer than this is taken as stuck (a remote under a pillow): it stops
    /// repeating until it is released.
    pub stuck_after: Duration,
}

impl Default for RepeatConfig {
    fn default() -> Self {
        RepeatConfig {
            delay: Duration::from_millis(450),
            first_interval: Duration::from_millis(180),
            acceleration: 0.85,
            min_interval: Duration::from_millis(45),
            long_press: Duration::from_millis(900),
            stuck_after: Duration::from_secs(20),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Held {
    code: u16,
    button: Button,
    pressed_at: Duration,
    /// When something is due next (a repeat, or the long press), if anything.
    next: Option<Duration>,
    repeats: u32,
}

/// The key held on one device.
#[derive(Clone, Debug, Default)]
pub struct Repeater {
    config: RepeatConfig,
    held: Option<Held>,
}

impl Repeater {
    pub fn new(config: RepeatConfig) -> Self {
        Repeater { config, held: None }
    }

    /// A key went down: returns the button to press now. A new key replaces a held one.
    pub fn press(&mut self, code: u16, button: Button, at: Duration) -> Button {
        let next = if button.repeats() {
            Some(at + self.config.delay)
        } else if matches!(button, Button::Back | Button::Info) {
            Some(at + self.config.long_press)
        } else {
            None
        };
        self.held = Some(Held {
            code,
            button,
            pressed_at: at,
            next,
            repeats: 0,
        });
        button
    }

    /// A key came up. Releasing a key that is not the held one changes nothing.
    pub fn release(&mut self, code: u16) {
        if self.held.is_some_and(|h| h.code == code) {
            self.held = None;
        }
    }

    /// Forgets the held key (the device vanished, or the kernel dropped events).
    pub fn release_all(&mut self) {
        self.held = None;
    }

    pub fn next_deadline(&self) -> Option<Duration> {
        self.held.and_then(|h| h.next)
    }

    /// Emits into `out` what fell due up to `now`. Repeats are a rate, not a count: a caller
    /// that fell behind (a stalled thread) gets one press, not a burst of the missed ones.
    pub fn due(&mut self, now: Duration, out: &mut Vec<Button>) {
        let config = self.config;
        let Some(held) = self.held.as_mut() else {
            return;
        };
        let Some(at) = held.next.filter(|at| *at <= now) else {
            return;
        };
        if now.saturating_sub(held.pressed_at) >= config.stuck_after {
            tracing::warn!(
                button = %held.button,
                seconds = config.stuck_after.as_secs(),
                "key held too long: taken as stuck, no more repeats until it is released"
            );
            held.next = None;
            return;
        }
        if let Some(long) = match held.button {
            Button::Back => Some(Button::Home),
            Button::Info => Some(Button::Privacy),
            _ => None,
        } {
            out.push(long);
            held.next = None;
            return;
        }
        out.push(held.button);
        let interval = Duration::from_secs_f64(
            config.first_interval.as_secs_f64()
                * config.acceleration.powi(held.repeats.min(64) as i32),
        )
        .max(config.min_interval);
        held.repeats += 1;
        let base = if now - at > interval { now } else { at };
        held.next = Some(base + interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Holds `button` from 0 to `release_ms`, calling `due` every millisecond, and returns the
    /// times (ms) of every press emitted.
    fn hold(button: Button, release_ms: u64) -> Vec<(u64, Button)> {
        let mut r = Repeater::default();
        let mut seen = vec![(0, r.press(1, button, ms(0)))];
        for t in 1..release_ms {
            let mut out = Vec::new();
            r.due(ms(t), &mut out);
            seen.extend(out.into_iter().map(|b| (t, b)));
        }
        r.release(1);
        seen
    }

    #[test]
    fn a_held_arrow_repeats_faster_and_faster() {
        let presses = hold(Button::Down, 3000);
        assert!(presses.iter().all(|(_, b)| *b == Button::Down));
        let times: Vec<u64> = presses.iter().map(|(t, _)| *t).collect();
        assert_eq!(times[0], 0);
        assert_eq!(times[1], 450, "first repeat after the delay");
        let gaps: Vec<u64> = times.windows(2).skip(1).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.windows(2).all(|g| g[1] <= g[0]),
            "never slows down: {gaps:?}"
        );
        assert!(gaps[0] >= 170 && *gaps.last().unwrap() <= 50, "{gaps:?}");
        assert!(
            presses.len() > 25,
            "about 30 rows in 3 s, got {}",
            presses.len()
        );
    }

    #[test]
    fn a_quick_press_is_one_press() {
        assert_eq!(hold(Button::Right, 300), [(0, Button::Right)]);
    }

    #[test]
    fn ok_power_and_nurse_call_never_repeat() {
        for b in [Button::Ok, Button::Power, Button::NurseCall, Button::Mute] {
            assert_eq!(hold(b, 5000), [(0, b)], "{b}");
        }
    }

    #[test]
    fn a_long_info_is_privacy_once() {
        assert_eq!(hold(Button::Info, 500), [(0, Button::Info)]);
        assert_eq!(
            hold(Button::Info, 5000),
            [(0, Button::Info), (900, Button::Privacy)]
        );
    }

    #[test]
    fn a_long_back_goes_home_once() {
        assert_eq!(hold(Button::Back, 500), [(0, Button::Back)]);
        assert_eq!(
            hold(Button::Back, 5000),
            [(0, Button::Back), (900, Button::Home)]
        );
    }

    #[test]
    fn a_stuck_key_stops_repeating_until_released() {
        let presses = hold(Button::VolumeUp, 120_000);
        let last = presses.last().unwrap().0;
        assert!(
            (19_000..20_000).contains(&last),
            "repeats stop at 20 s, last at {last} ms"
        );
        let mut r = Repeater::default();
        r.press(1, Button::Up, ms(0));
        let mut out = Vec::new();
        r.due(ms(600_000), &mut out);
        assert!(
            out.is_empty(),
            "ten minutes later it is stuck, not repeating"
        );
        assert_eq!(r.next_deadline(), None);
        r.release(1);
        assert_eq!(
            r.press(1, Button::Up, ms(600_001)),
            Button::Up,
            "works again"
        );
    }

    #[test]
    fn a_stalled_caller_gets_one_press_not_a_burst() {
        let mut r = Repeater::default();
        r.press(1, Button::Up, ms(0));
        let mut out = Vec::new();
        r.due(ms(3000), &mut out);
        assert_eq!(out, [Button::Up]);
        assert!(r.next_deadline().unwrap() > ms(3000));
    }

    #[test]
    fn a_new_key_replaces_the_held_one() {
        let mut r = Repeater::default();
        r.press(1, Button::Up, ms(0));
        r.press(2, Button::Down, ms(100));
        r.release(1);
        let mut out = Vec::new();
        r.due(ms(600), &mut out);
        assert_eq!(out, [Button::Down], "Down still repeats after Up's release");
        r.release(2);
        out.clear();
        r.due(ms(5000), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn calling_at_the_deadlines_gives_the_same_presses_as_polling() {
        let mut polled = Repeater::default();
        let mut timed = Repeater::default();
        polled.press(1, Button::Left, ms(0));
        timed.press(1, Button::Left, ms(0));
        let (mut out_polled, mut out_timed) = (Vec::new(), Vec::new());
        for t in 0..2000 {
            polled.due(ms(t), &mut out_polled);
        }
        while let Some(at) = timed.next_deadline().filter(|at| *at < ms(2000)) {
            timed.due(at, &mut out_timed);
        }
        assert_eq!(out_polled, out_timed);
        assert!(out_timed.len() > 10);
    }
}
