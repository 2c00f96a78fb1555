//! Replaying recorded input (`bedside snapshot --replay FILE`): an evemu recording, or a raw
//! stream of 24-byte `input_event` records, fed through the same [`Engine`] as a live device at
//! the recorded times.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::device::{DeviceClass, DeviceInfo};
use super::engine::{Engine, Output};
use super::evemu::{self, EvemuError};
use super::event::{Decoder, RawEvent};

/// Gaps longer than this between recorded events are shortened to it: nothing in the appliance
/// waits longer (a stuck key gives up after 20 s), and garbage timestamps stay harmless.
pub const MAX_GAP: Duration = Duration::from_secs(60);

/// After the last event, time keeps running this long so held keys finish what they do.
pub const TAIL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Evemu { path: PathBuf, source: EvemuError },
}

/// A recording ready to play.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// What the recording says about its device (a raw stream says nothing).
    pub device: DeviceInfo,
    pub events: Vec<RawEvent>,
    /// Bytes of a truncated last record in a raw stream, which were skipped.
    pub truncated: usize,
}

impl Replay {
    pub fn load(path: &Path) -> Result<Replay, ReplayError> {
        let bytes = std::fs::read(path).map_err(|source| ReplayError::Read {
            path: path.to_owned(),
            source,
        })?;
        Ok(match std::str::from_utf8(&bytes) {
            Ok(text) if looks_like_evemu(text) => {
                let rec = evemu::parse(text).map_err(|source| ReplayError::Evemu {
                    path: path.to_owned(),
                    source,
                })?;
                Replay {
                    device: rec.device,
                    events: rec.events,
                    truncated: 0,
                }
            }
            _ => {
                let mut decoder = Decoder::default();
                let mut events = Vec::with_capacity(bytes.len() / 24);
                decoder.push(&bytes, &mut events);
                Replay {
                    device: DeviceInfo {
                        name: format!("replay of {}", path.display()),
                        ..DeviceInfo::default()
                    },
                    events,
                    truncated: decoder.leftover(),
                }
            }
        })
    }

    /// Plays the recording through `engine` as one device of `class` (or the class its
    /// description gives). `at(t)` is called to move the caller's clock to `t` (from the first
    /// event) before each thing that happens at `t`; `deliver` takes each output.
    pub fn play(
        &self,
        engine: &mut Engine,
        class: Option<DeviceClass>,
        mut at: impl FnMut(Duration),
        mut deliver: impl FnMut(Output),
    ) {
        const ID: u64 = u64::MAX;
        let class = class.unwrap_or_else(|| engine.classify(&self.device));
        engine.add(ID, self.device.clone(), class);
        let mut now = Duration::ZERO;
        let mut last_recorded = self.events.first().map(|e| e.time);
        let mut out = Vec::new();
        for event in &self.events {
            let gap = last_recorded
                .map_or(Duration::ZERO, |last| event.time.saturating_sub(last))
                .min(MAX_GAP);
            last_recorded = Some(event.time);
            let t = now + gap;
            run_timers_until(engine, t, &mut now, &mut at, &mut deliver);
            now = t;
            at(t);
            engine.event(ID, *event, t, &mut out);
            out.drain(..).for_each(&mut deliver);
        }
        run_timers_until(engine, now + TAIL, &mut now, &mut at, &mut deliver);
        at(now + TAIL);
        engine.remove(ID);
    }
}

/// Runs the engine's timers that fall due up to `until`, each at its own time.
fn run_timers_until(
    engine: &mut Engine,
    until: Duration,
    now: &mut Duration,
    at: &mut impl FnMut(Duration),
    deliver: &mut impl FnMut(Output),
) {
    let mut out = Vec::new();
    while let Some(deadline) = engine.next_deadline().filter(|d| *d <= until) {
        *now = deadline.max(*now);
        at(*now);
        engine.due(*now, &mut out);
        out.drain(..).for_each(&mut *deliver);
    }
}

fn looks_like_evemu(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .any(|l| l.starts_with("E:") || l.starts_with("N:") || l.starts_with("# EVEMU"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::button::Button;
    use crate::input::keymap::Keymap;

    fn played(replay: &Replay, class: Option<DeviceClass>) -> Vec<(Duration, Output)> {
        let mut engine = Engine::new(Keymap::builtin());
        let clock = std::cell::Cell::new(Duration::ZERO);
        let mut seen = Vec::new();
        replay.play(
            &mut engine,
            class,
            |t| {
                assert!(t >= clock.get(), "time never goes back");
                clock.set(t);
            },
            |o| seen.push((clock.get(), o)),
        );
        seen
    }

    fn raw(events: &[(u64, u16, i32)]) -> Replay {
        Replay {
            events: events
                .iter()
                .map(|(ms, code, value)| RawEvent::key(*code, *value, Duration::from_millis(*ms)))
                .collect(),
            ..Replay::default()
        }
    }

    #[test]
    fn a_held_arrow_repeats_at_the_recorded_pace() {
        // KEY_RIGHT held for 1.2 s.
        let seen = played(
            &raw(&[(5000, 106, 1), (6200, 106, 0)]),
            Some(DeviceClass::Remote),
        );
        let times: Vec<u64> = seen.iter().map(|(t, _)| t.as_millis() as u64).collect();
        assert_eq!(&times[..3], [0, 450, 630]);
        assert!(
            seen.iter()
                .all(|(_, o)| *o == Output::Button(Button::Right))
        );
        assert!(times.iter().all(|t| *t < 1200), "nothing after the release");
    }

    #[test]
    fn garbage_timestamps_cannot_stall_or_overflow() {
        let seen = played(
            &raw(&[
                (u64::MAX / 2_000_000, 352, 1),
                (0, 352, 0),
                (u64::MAX / 1000, 103, 1),
            ]),
            Some(DeviceClass::Remote),
        );
        // OK at once; the absurd gap is cut to a minute; Up, still held, repeats through the
        // one-second tail and no further.
        assert_eq!(seen[0], (Duration::ZERO, Output::Button(Button::Ok)));
        assert_eq!(seen[1], (MAX_GAP, Output::Button(Button::Up)));
        assert!(
            seen[1..]
                .iter()
                .all(|(t, o)| *o == Output::Button(Button::Up) && *t < MAX_GAP + TAIL)
        );
    }

    #[test]
    fn a_recording_with_a_description_classifies_itself() {
        let text = crate::testdata::read("evdev/evemu-devices/keyboards-Logitech_K400_Plus.events");
        assert!(looks_like_evemu(&text));
        let rec = evemu::parse(&text).unwrap();
        let replay = Replay {
            device: rec.device,
            events: rec.events,
            truncated: 0,
        };
        // The K400 recording: Enter released, then a few keys typed by hand.
        let seen = played(&replay, None);
        assert!(!seen.iter().any(|(_, o)| matches!(o, Output::Badge(_))));
    }
}
