//! "Test my camera and sound": the rules of the self-test a patient (or a nurse for them) runs
//! before a video visit, with no I/O. The call thread (`crate::call::service`) runs the real
//! parts (the camera, the microphone through a level meter, a test tone at the TV's volume, the
//! signalling server, the STUN and TURN servers) and feeds what each did into a [`Rehearsal`];
//! the screen shows each check as it settles and, once all have or [`RESULT_WITHIN`] has passed,
//! one plain result.

use std::time::{Duration, Instant};

/// Every check has answered by then, or counts as not working: the result is on screen within
/// three seconds of the press (the call thread looks at least every 250 ms).
pub const RESULT_WITHIN: Duration = Duration::from_millis(2500);

/// Where one check is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Not answered yet.
    Checking,
    /// Works.
    Good,
    /// Not on this TV, or off: no camera; the TV's sound muted; no relay servers configured.
    Absent,
    /// Does not work (or did not answer in time).
    Failed,
}

/// Something the self-test found, worded for the patient by the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The camera gave no picture.
    Camera,
    /// The microphone could not be opened or gave no sound at all.
    Microphone,
    /// The test sound could not be played.
    Sound,
    /// The TV's sound is muted: the patient can fix this with Mute.
    SoundMuted,
    /// The call service did not answer.
    Service,
    /// The relay (STUN/TURN) servers did not answer: calls may not connect from this network.
    Network,
}

/// What happened in the self-test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// A picture from the camera was shown.
    CameraPicture,
    CameraFailed,
    /// The microphone's loudness now, in dB below full scale (its peak over 0.1 s).
    MicLevel(f64),
    MicFailed,
    /// The test tone played to its end.
    SoundPlayed,
    SoundFailed,
    /// The signalling server answered (true), or cannot be reached (false).
    Service(bool),
    /// Every configured STUN/TURN server answered (true), or one did not (false).
    Network(bool),
}

/// One run of the self-test.
#[derive(Clone, Debug, PartialEq)]
pub struct Rehearsal {
    started: Instant,
    pub camera: Check,
    pub microphone: Check,
    pub sound: Check,
    pub service: Check,
    pub network: Check,
    /// The microphone's loudness for the meter, 0 (silence) to 1 (full scale).
    pub level: f32,
}

/// Loudness at or below this shows an empty meter.
const METER_FLOOR_DB: f64 = -60.0;

impl Rehearsal {
    /// A run starting now. `camera`: the TV has one; `muted`: its sound is muted now (the
    /// test tone would be silent); `relays`: STUN or TURN servers are configured.
    pub fn start(now: Instant, camera: bool, muted: bool, relays: bool) -> Rehearsal {
        Rehearsal {
            started: now,
            camera: if camera {
                Check::Checking
            } else {
                Check::Absent
            },
            microphone: Check::Checking,
            sound: if muted {
                Check::Absent
            } else {
                Check::Checking
            },
            service: Check::Checking,
            network: if relays {
                Check::Checking
            } else {
                Check::Absent
            },
            level: 0.0,
        }
    }

    /// Takes what happened. A check that settled stays settled (a late failure after a good
    /// answer is a call's problem, not this test's), except the meter, which keeps moving.
    pub fn input(&mut self, event: Event) {
        fn settle(check: &mut Check, to: Check) {
            if *check == Check::Checking {
                *check = to;
            }
        }
        match event {
            Event::CameraPicture => settle(&mut self.camera, Check::Good),
            Event::CameraFailed => settle(&mut self.camera, Check::Failed),
            Event::MicLevel(db) => {
                settle(&mut self.microphone, Check::Good);
                let db = if db.is_finite() { db } else { METER_FLOOR_DB };
                self.level = ((db - METER_FLOOR_DB) / -METER_FLOOR_DB).clamp(0.0, 1.0) as f32;
            }
            Event::MicFailed => {
                settle(&mut self.microphone, Check::Failed);
                self.level = 0.0;
            }
            Event::SoundPlayed => settle(&mut self.sound, Check::Good),
            Event::SoundFailed => settle(&mut self.sound, Check::Failed),
            Event::Service(up) => settle(
                &mut self.service,
                if up { Check::Good } else { Check::Failed },
            ),
            Event::Network(up) => settle(
                &mut self.network,
                if up { Check::Good } else { Check::Failed },
            ),
        }
    }

    /// When the checks still open are given up on.
    pub fn due(&self) -> Option<Instant> {
        (!self.done()).then_some(self.started + RESULT_WITHIN)
    }

    /// Time passed: past [`RESULT_WITHIN`], every open check counts as failed.
    pub fn tick(&mut self, now: Instant) {
        if now >= self.started + RESULT_WITHIN {
            for check in self.checks_mut() {
                if *check == Check::Checking {
                    *check = Check::Failed;
                }
            }
        }
    }

    fn checks_mut(&mut self) -> [&mut Check; 5] {
        [
            &mut self.camera,
            &mut self.microphone,
            &mut self.sound,
            &mut self.service,
            &mut self.network,
        ]
    }

    /// Every check has settled: the result can be shown.
    pub fn done(&self) -> bool {
        [
            self.camera,
            self.microphone,
            self.sound,
            self.service,
            self.network,
        ]
        .iter()
        .all(|c| *c != Check::Checking)
    }

    /// What is wrong, most important first (empty once done: ready). A TV without a camera
    /// is not a fault (the care team hears the patient, the screen says so), nor is a
    /// network without relay servers (a ward where every phone and TV is on one network).
    pub fn findings(&self) -> Vec<Finding> {
        let mut found = Vec::new();
        if self.service == Check::Failed {
            found.push(Finding::Service);
        }
        if self.camera == Check::Failed {
            found.push(Finding::Camera);
        }
        if self.microphone == Check::Failed {
            found.push(Finding::Microphone);
        }
        match self.sound {
            Check::Failed => found.push(Finding::Sound),
            Check::Absent => found.push(Finding::SoundMuted),
            _ => {}
        }
        if self.network == Check::Failed {
            found.push(Finding::Network);
        }
        found
    }

    /// Done, and nothing found: "Your camera and sound are ready".
    pub fn ready(&self) -> bool {
        self.done() && self.findings().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_good(r: &mut Rehearsal) {
        for e in [
            Event::CameraPicture,
            Event::MicLevel(-30.0),
            Event::SoundPlayed,
            Event::Service(true),
            Event::Network(true),
        ] {
            r.input(e);
        }
    }

    #[test]
    fn every_check_answering_well_is_ready_at_once() {
        let t = Instant::now();
        let mut r = Rehearsal::start(t, true, false, true);
        assert!(!r.done());
        assert_eq!(r.due(), Some(t + RESULT_WITHIN));
        all_good(&mut r);
        assert!(r.ready());
        assert_eq!(r.due(), None);
        assert!((r.level - 0.5).abs() < 1e-6, "-30 dB is half the meter");
    }

    #[test]
    fn a_check_that_never_answers_fails_at_the_deadline_and_nothing_sooner() {
        let t = Instant::now();
        let mut r = Rehearsal::start(t, true, false, true);
        for e in [
            Event::MicLevel(-50.0),
            Event::SoundPlayed,
            Event::Service(true),
            Event::Network(true),
        ] {
            r.input(e);
        }
        r.tick(t + RESULT_WITHIN - Duration::from_millis(1));
        assert_eq!(r.camera, Check::Checking);
        assert!(!r.done());
        r.tick(t + RESULT_WITHIN);
        assert!(r.done());
        assert!(!r.ready());
        assert_eq!(r.findings(), vec![Finding::Camera]);
    }

    #[test]
    fn no_camera_and_no_relays_are_not_faults_but_a_muted_tv_is_said() {
        let t = Instant::now();
        let mut r = Rehearsal::start(t, false, false, false);
        r.input(Event::MicLevel(f64::NEG_INFINITY));
        r.input(Event::SoundPlayed);
        r.input(Event::Service(true));
        assert!(r.ready());
        assert_eq!(r.level, 0.0, "silence is an empty meter, not an error");

        let mut muted = Rehearsal::start(t, true, true, false);
        all_good(&mut muted);
        assert!(muted.done());
        assert_eq!(muted.findings(), vec![Finding::SoundMuted]);
    }

    #[test]
    fn findings_come_most_important_first_and_settled_checks_stay() {
        let t = Instant::now();
        let mut r = Rehearsal::start(t, true, false, true);
        r.input(Event::Network(false));
        r.input(Event::MicFailed);
        r.input(Event::Service(false));
        r.input(Event::Service(true));
        r.input(Event::CameraPicture);
        r.input(Event::CameraFailed);
        r.input(Event::SoundFailed);
        assert!(r.done());
        assert_eq!(r.camera, Check::Good);
        assert_eq!(
            r.findings(),
            vec![
                Finding::Service,
                Finding::Microphone,
                Finding::Sound,
                Finding::Network
            ]
        );
    }
}
