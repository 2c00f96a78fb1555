//! Calls against real far ends: the GStreamer project's `gst-webrtc-signalling-server` on
//! loopback, Debian's headless Chromium with a fake camera and microphone loading the care-team
//! page (`assets/care-team/index.html`, served on loopback), and the appliance itself in this
//! process (headless, `videotestsrc`/`audiotestsrc` as its camera and microphone), driven by
//! remote buttons through the same dispatch path as a real remote.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bedside::domain::button::{Button, Digit};
use bedside::domain::call::{EndReason, Phase};
use bedside::domain::shell::Screen;
use bedside::launch::{Setup, headless_app, headless_app_sounding};
use bedside::ui::app::{App, TimeSource};
use bedside::ui::headless::Headless;
use common::calls::{Servers, bed_id, page_frames};
use common::chromium::Chromium;
use common::{Picture, assert_golden};
use serde_json::json;

/// The bed, in this process, with calls on the test servers.
struct Bed {
    headless: Headless,
    app: App,
    _dir: tempfile::TempDir,
}

impl Bed {
    fn start(servers: &Servers) -> Bed {
        Bed::start_with(servers, "test", "")
    }

    /// With this camera and more lines in its `[call]` section.
    fn start_with(servers: &Servers, camera: &str, call_extra: &str) -> Bed {
        Bed::start_sounding(servers, camera, call_extra, false)
    }

    /// `sound`: the appliance's speaker (`autoaudiosink`) plays, into the test sound card
    /// (tests/common/sound.rs; call [`common::sound::install`] first).
    fn start_sounding(servers: &Servers, camera: &str, call_extra: &str, sound: bool) -> Bed {
        // The appliance's own log (no patient data in it) goes to stderr, which nextest shows
        // when a test fails: how a call ended is then on record, not guessed at.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("bedside=info"))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let config = common::empty_bed_config(
            dir.path(),
            &format!(
                "[call]\n{}camera = \"{camera}\"\nmicrophone = \"test\"\n{call_extra}",
                servers.bed_call()
            ),
        );
        let setup = Setup::load(Some(&config), false).expect("config");
        let now = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", common::NOW).unwrap();
        let (headless, app) =
            headless_app_sounding(setup, (1920, 1080), TimeSource::Fixed(now), sound)
                .expect("headless bed");
        Bed {
            headless,
            app,
            _dir: dir,
        }
    }

    /// Runs the event loop until `done` holds; a failure names every phase passed through.
    fn until(&self, what: &str, timeout: Duration, done: impl Fn(&App) -> bool) {
        let started = Instant::now();
        let mut seen: Vec<Phase> = Vec::new();
        while !done(&self.app) {
            let phase = self.app.call_phase();
            if seen.last() != Some(&phase) {
                seen.push(phase);
            }
            assert!(
                started.elapsed() < timeout,
                "the bed never got to: {what} (call phases seen, in order: {seen:?})"
            );
            self.headless.run_for(Duration::from_millis(20));
        }
    }

    fn press(&self, buttons: &[Button]) {
        for &b in buttons {
            self.app.press(b);
            self.headless.run_for(Duration::from_millis(30));
        }
    }

    fn picture(&self) -> Picture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shot.png");
        self.headless.write_png(&path).unwrap();
        Picture::read(&path)
    }

    fn phase(&self) -> Phase {
        self.app.call_phase()
    }
}

fn ringing(app: &App) -> bool {
    matches!(app.call_phase(), Phase::Ringing { .. })
}

fn live(app: &App) -> bool {
    matches!(app.call_phase(), Phase::Live { .. })
}

fn ended(app: &App, reason: EndReason) -> bool {
    matches!(app.call_phase(), Phase::Ended { reason: r, .. } if r == reason)
}

/// The far end hangs up, a moment after DevTools has answered: the bed's event loop is
/// running by then. (Awaited in the page, a slow DevTools reply on a loaded machine could hold
/// the loop for longer than the ending is shown, and the bed would be seen only back at idle.)
fn hang_up(page: &mut Chromium) {
    page.eval("setTimeout(() => window.careTeam.hangUp(), 0); true");
}

/// Runs the bed until the page has decoded `n` of its pictures.
fn until_page_sees(bed: &Bed, page: &mut Chromium, n: u64) {
    let started = Instant::now();
    while page_frames(page) < n {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Chromium decoded fewer than {n} pictures from the bed"
        );
        bed.headless.run_for(Duration::from_millis(50));
    }
}

/// Runs the bed until the page's picture of it is as bright as `wanted` says (within 10 s: a
/// loaded machine takes a few frames longer than an idle one).
fn until_page_brightness(bed: &Bed, page: &mut Chromium, what: &str, wanted: impl Fn(f64) -> bool) {
    let started = Instant::now();
    loop {
        let picture = page.eval("window.careTeam.picture()");
        if picture["brightness"].as_f64().is_some_and(&wanted) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the far end never saw {what}: {picture}"
        );
        bed.headless.run_for(Duration::from_millis(200));
    }
}

/// `page` calls the bed and the patient accepts with OK; returns once the far end's picture is
/// on the bed's screen.
fn call_and_accept(bed: &Bed, page: &mut Chromium, id: &str) {
    page.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("ringing", Duration::from_secs(10), ringing);
    let shown = bed.app.call_frames().0;
    bed.press(&[Button::Ok]);
    bed.until("the far end's picture", Duration::from_secs(15), |app| {
        live(app) && app.call_frames().0 > shown
    });
}

/// Recovery: a call through a TURN relay (the far end may use nothing else) whose relay
/// restarts mid-call (every allocation gone, as when the hospital's relay or the box's network
/// path changes) comes back within the same call: the bed starts its connection afresh (a new
/// webrtcbin, a new offer in the same session), the page answers it, pictures flow again, and
/// neither end saw the call end.
#[test]
fn a_call_whose_relay_restarts_comes_back_within_the_same_call() {
    let servers = Servers::start();
    let mut relay = common::calls::Relay::start();
    // The bed may use nothing but the relay (relay_only): its every packet goes through it.
    let bed = Bed::start_with(
        &servers,
        "test",
        &format!("{}relay_only = true\n", relay.ice_servers()),
    );
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    call_and_accept(&bed, &mut nurse, &id);
    until_page_sees(&bed, &mut nurse, 10);
    let session = match bed.phase() {
        Phase::Live { session, .. } => session,
        other => panic!("{other:?}"),
    };

    relay.restart();
    // The bed notices (nothing arrives), waits a moment, then starts afresh.
    bed.until("the drop noticed", Duration::from_secs(10), |app| {
        matches!(
            app.call_phase(),
            Phase::Live {
                interrupted: Some(_),
                ..
            }
        )
    });
    let started = Instant::now();
    loop {
        let state = nurse.eval("window.careTeam.state()");
        if state["restarts"].as_u64().unwrap_or(0) >= 1 && state["phase"] == "live" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the page never reconnected: {state}"
        );
        bed.headless.run_for(Duration::from_millis(100));
    }
    bed.until("connected again", Duration::from_secs(10), |app| {
        matches!(
            app.call_phase(),
            Phase::Live {
                interrupted: None,
                ..
            }
        )
    });
    // The same call: its session, and pictures both ways again.
    match bed.phase() {
        Phase::Live { session: now, .. } => assert_eq!(now, session),
        other => panic!("{other:?}"),
    }
    until_page_sees(&bed, &mut nurse, 10);
    let shown = bed.app.call_frames().0;
    bed.until(
        "the nurse's picture again",
        Duration::from_secs(10),
        |app| app.call_frames().0 > shown + 5,
    );
}

/// With the speaker on, as on the appliance (`autoaudiosink` playing into the test sound card):
/// the ring tone and the nurse's voice are heard. The microphone is a test tone here, so that
/// Mute can be measured at the far end; tests/appliance_call.rs records with the real one.
#[test]
fn a_nurse_calls_the_bed_the_patient_accepts_with_the_remote_and_both_see_each_other() {
    let sound = common::sound::install();
    let servers = Servers::start();
    let bed = Bed::start_sounding(&servers, "test", "", true);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    assert_eq!(sound.playing(), 0, "a sound plays before the call");
    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("ringing", Duration::from_secs(10), ringing);
    bed.headless.run_for(Duration::from_millis(100));
    // The footer says what OK and Back do to the call, not to the screen beneath.
    assert_golden("call-incoming", &bed.picture());
    bed.until("the ring tone is heard", Duration::from_secs(5), |_| {
        sound.playing() == 1
    });
    // Nothing flows before the patient says yes.
    assert_eq!(
        nurse.eval("window.careTeam.state().phase"),
        json!("calling")
    );
    assert_eq!(bed.app.call_frames().0, 0);

    bed.press(&[Button::Ok]);
    bed.until("the call is live", Duration::from_secs(15), live);
    bed.until("the nurse's picture", Duration::from_secs(15), |app| {
        app.call_frames().0 >= 10
    });
    until_page_sees(&bed, &mut nurse, 10);
    let audio = nurse
        .eval("window.careTeam.stats().then(s => s.audioPacketsReceived)")
        .as_u64()
        .unwrap_or(0);
    assert!(audio > 0, "Chromium received no sound from the bed");
    // The nurse's voice plays through the speaker (the ring tone has stopped).
    bed.until("the nurse is heard", Duration::from_secs(5), |_| {
        sound.playing() == 1
    });
    // The nurse's picture fills the screen (Chromium's fake camera: a moving pattern), the
    // camera light is on.
    let shot = bed.picture();
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-live.png"));
    assert!(
        shot.colours(600, 300, 700, 400) > 20,
        "no far-end picture on screen"
    );
    let light = shot.pixel(1920 - 60, 75);
    assert!(
        light[0] > 150 && light[1] < 80,
        "the camera light is not on: {light:?}"
    );

    // The bed sends 1280x720; its test picture is a light ball on slate.
    let picture = nurse.eval("window.careTeam.picture()");
    assert_eq!(picture["width"], json!(1280), "{picture}");
    assert!(picture["brightness"].as_f64().unwrap() > 30.0, "{picture}");
    // Mute: the nurse hears nothing; unmute: she does again.
    let energy = |page: &mut Chromium| {
        page.eval("window.careTeam.stats().then(s => s.audioEnergy || 0)")
            .as_f64()
            .unwrap_or(0.0)
    };
    let heard_over = |page: &mut Chromium, bed: &Bed| {
        let before = energy(page);
        bed.headless.run_for(Duration::from_millis(2500));
        energy(page) - before
    };
    assert!(heard_over(&mut nurse, &bed) > 0.0, "no sound before muting");
    bed.press(&[Button::Ok]);
    bed.headless.run_for(Duration::from_millis(800));
    let muted = heard_over(&mut nurse, &bed);
    bed.press(&[Button::Ok]);
    bed.headless.run_for(Duration::from_millis(800));
    let unmuted = heard_over(&mut nurse, &bed);
    assert!(
        muted < unmuted / 20.0,
        "muting did not silence the bed: {muted} muted vs {unmuted}"
    );
    // Camera off: the nurse sees black, the camera light goes out, the corner empties.
    bed.press(&[Button::Right, Button::Ok]);
    until_page_brightness(&bed, &mut nurse, "black", |b| b < 20.0);
    let light = bed.picture().pixel(1920 - 60, 75);
    assert!(
        light[0] < 150 || light[1] > 80,
        "the camera light stayed on: {light:?}"
    );
    bed.press(&[Button::Ok]);
    until_page_brightness(&bed, &mut nurse, "the camera back on", |b| b > 30.0);

    // The nurse hangs up: the bed says so, and the camera is released.
    hang_up(&mut nurse);
    bed.until("the far end hung up", Duration::from_secs(10), |app| {
        ended(app, EndReason::FarEndHungUp)
    });
    bed.headless.run_for(Duration::from_millis(200));
    let shot = bed.picture();
    assert_golden("call-ended-by-far-end", &shot);
    bed.until("the speaker is let go", Duration::from_secs(5), |_| {
        sound.playing() == 0
    });
}

/// The call thread fails (a test-only switch standing in for a bug), while a call rings and
/// again in a call: the screen says the call could not be connected at once, the far end is
/// told, and the bed registers again and can be called as before.
#[test]
fn a_call_thread_that_fails_ends_the_call_plainly_and_the_bed_can_be_called_again() {
    let servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let first = bed_id(&mut nurse);
    nurse.eval(&format!("window.careTeam.call({})", json!(first)));
    bed.until("ringing", Duration::from_secs(10), ringing);

    bed.app.fail_thread(true);
    bed.until("the call failed", Duration::from_secs(2), |app| {
        ended(app, EndReason::Failed)
    });
    bed.headless.run_for(Duration::from_millis(100));
    assert_golden("call-thread-failed", &bed.picture());
    nurse.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    // The card goes by itself, as any ended call's does; the keys work meanwhile.
    bed.press(&[Button::Back, Button::Home]);
    let again = |page: &mut Chromium, old: &str| {
        page.wait_for(
            &format!(
                "window.careTeam.state().beds.length === 1 && window.careTeam.state().beds[0].id !== {}",
                json!(old)
            ),
            Duration::from_secs(20),
        );
        bed_id(page)
    };
    let second = again(&mut nurse, &first);
    bed.until("idle", Duration::from_secs(10), |app| {
        matches!(app.call_phase(), Phase::Idle)
    });

    call_and_accept(&bed, &mut nurse, &second);
    until_page_sees(&bed, &mut nurse, 5);
    bed.app.fail_thread(true);
    bed.until("the call failed", Duration::from_secs(2), |app| {
        ended(app, EndReason::Failed)
    });
    // Nothing of the call is left on screen: the card over Home, no far-end picture.
    bed.headless.run_for(Duration::from_millis(100));
    assert_eq!(bed.app.screen(), bedside::domain::shell::Screen::Home);
    assert_golden("call-thread-failed", &bed.picture());
    nurse.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    let third = again(&mut nurse, &second);
    bed.until("idle", Duration::from_secs(10), |app| {
        matches!(app.call_phase(), Phase::Idle)
    });
    call_and_accept(&bed, &mut nurse, &third);
    until_page_sees(&bed, &mut nurse, 5);
}

#[test]
fn the_patient_calls_their_nurse_from_call_and_hangs_up_with_the_remote() {
    let servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    bed_id(&mut nurse);
    // Home → Call: the first time, "How video calls work" (four pages, OK turns them; the
    // last goes back to Call on "Test my camera and sound").
    bed.press(&[Button::Down, Button::Ok]);
    assert_eq!(bed.app.screen(), bedside::domain::shell::Screen::CallGuide);
    bed.press(&[Button::Ok, Button::Ok, Button::Ok, Button::Ok]);
    assert_eq!(bed.app.screen(), bedside::domain::shell::Screen::Call);
    // Up to the nurse: Call lists her.
    bed.press(&[Button::Up]);
    bed.until("the nurse is listed", Duration::from_secs(10), |app| {
        app.screen() == bedside::domain::shell::Screen::Call && app.call_people() == 1
    });
    bed.headless.run_for(Duration::from_millis(100));
    assert_golden("call-list", &bed.picture());
    bed.press(&[Button::Ok]);
    nurse.wait_for(
        "window.careTeam.state().phase === 'ringing'",
        Duration::from_secs(10),
    );
    bed.until("calling", Duration::from_secs(5), |app| {
        matches!(app.call_phase(), Phase::Dialling { .. })
    });
    // Calling shows who, and the camera light: the camera is on while it rings at the far end.
    bed.headless.run_for(Duration::from_millis(300));
    let shot = bed.picture();
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-dialling.png"));
    nurse.eval("window.careTeam.answer()");
    bed.until("the call is live", Duration::from_secs(15), live);
    bed.until("the nurse's picture", Duration::from_secs(15), |app| {
        app.call_frames().0 >= 10
    });
    until_page_sees(&bed, &mut nurse, 10);
    // Right to Hang up, OK.
    bed.press(&[Button::Right; 4]);
    bed.press(&[Button::Ok]);
    bed.until("hung up", Duration::from_secs(5), |app| {
        ended(app, EndReason::HungUp)
    });
    nurse.wait_for(
        "window.careTeam.state().phase === 'idle' && window.careTeam.state().ended === 'The patient hung up'",
        Duration::from_secs(10),
    );
}

#[test]
fn declining_tells_the_caller_and_a_second_caller_hears_busy() {
    let servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("ringing", Duration::from_secs(10), ringing);
    bed.press(&[Button::Right, Button::Ok]);
    bed.until("declined", Duration::from_secs(5), |app| {
        ended(app, EndReason::Declined)
    });
    nurse.wait_for(
        "window.careTeam.state().ended === 'The patient did not answer'",
        Duration::from_secs(10),
    );

    // The nurse calls again and the patient accepts; the interpreter calls meanwhile.
    let mut interpreter = servers.person("Li Wei", "Interpreter");
    let id2 = bed_id(&mut interpreter);
    assert_eq!(id, id2);
    bed.until("idle", Duration::from_secs(10), |app| {
        matches!(app.call_phase(), Phase::Idle)
    });
    call_and_accept(&bed, &mut nurse, &id);
    interpreter.wait_for(
        "window.careTeam.state().beds[0].meta.busy === true",
        Duration::from_secs(10),
    );
    interpreter.eval(&format!("window.careTeam.call({})", json!(id)));
    interpreter.wait_for(
        "window.careTeam.state().ended === 'The bed is busy on another call'",
        Duration::from_secs(10),
    );
    // The first call goes on.
    bed.headless.run_for(Duration::from_millis(300));
    assert!(live(&bed.app), "{:?}", bed.phase());
    assert_eq!(nurse.eval("window.careTeam.state().phase"), json!("live"));
}

#[test]
fn a_virtual_sitter_is_answered_by_policy_with_a_banner_and_anyone_else_still_rings() {
    let servers = Servers::start();
    let bed = Bed::start_with(
        &servers,
        "test",
        "observation_roles = [\"Virtual sitter\"]\n",
    );
    let mut sitter = servers.person("Sam Lee", "Virtual sitter");
    let id = bed_id(&mut sitter);
    // Night: the patient turned the screen off.
    bed.press(&[Button::Power]);
    sitter.eval(&format!("window.careTeam.call({})", json!(id)));
    // No button pressed.
    bed.until("the observation is live", Duration::from_secs(15), live);
    bed.until("the sitter's picture", Duration::from_secs(15), |app| {
        app.call_frames().0 >= 5
    });
    until_page_sees(&bed, &mut sitter, 5);
    // The screen stays dark but for the banner and the camera light.
    bed.headless.run_for(Duration::from_millis(200));
    let shot = bed.picture();
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-observation-dark.png"));
    let banner = shot.pixel(1000, 168);
    assert!(
        banner[0] > 230 && banner[1] > 160 && banner[2] < 110,
        "no observation banner on the dark screen: {banner:?}"
    );
    let light = shot.pixel(1920 - 60, 75);
    assert!(
        light[0] > 150 && light[1] < 80,
        "no camera light: {light:?}"
    );
    assert_eq!(shot.pixel(960, 700), [0, 0, 0], "the dark screen lit up");
    // Power: the call on screen, banner and all.
    bed.press(&[Button::Power]);
    bed.headless.run_for(Duration::from_millis(200));
    let shot = bed.picture();
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-observation.png"));
    let banner = shot.pixel(1000, 168);
    assert!(
        banner[0] > 230 && banner[1] > 160 && banner[2] < 110,
        "no observation banner: {banner:?}"
    );
    hang_up(&mut sitter);
    bed.until("ended", Duration::from_secs(10), |app| {
        matches!(app.call_phase(), Phase::Ended { .. })
    });
    // A nurse is not an observer: her call rings and waits.
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    bed_id(&mut nurse);
    bed.until("idle", Duration::from_secs(10), |app| {
        matches!(app.call_phase(), Phase::Idle)
    });
    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("ringing", Duration::from_secs(10), ringing);
    bed.headless.run_for(Duration::from_secs(2));
    assert!(ringing(&bed.app), "{:?}", bed.phase());
}

#[test]
fn a_far_end_that_goes_silent_shows_reconnecting_comes_back_or_is_cut_off() {
    let servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("ringing", Duration::from_secs(10), ringing);
    bed.press(&[Button::Ok]);
    bed.until("a picture", Duration::from_secs(15), |app| {
        live(app) && app.call_frames().0 >= 5
    });
    let interrupted = |app: &App| {
        matches!(
            app.call_phase(),
            Phase::Live {
                interrupted: Some(_),
                ..
            }
        )
    };
    // The browser freezes (its socket to the server stays open: only the media stops).
    nurse.signal_all(libc::SIGSTOP);
    bed.until("reconnecting", Duration::from_secs(10), interrupted);
    bed.headless.run_for(Duration::from_millis(100));
    bed.picture()
        .write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-reconnecting.png"));
    // It thaws within the grace time: the call goes on.
    nurse.signal_all(libc::SIGCONT);
    bed.until("recovered", Duration::from_secs(10), |app| {
        live(app) && !interrupted(app)
    });
    // It freezes for good: the call is cut off, the camera released.
    nurse.signal_all(libc::SIGSTOP);
    bed.until("cut off", Duration::from_secs(25), |app| {
        ended(app, EndReason::Lost)
    });
    nurse.signal_all(libc::SIGCONT);
}

#[test]
fn a_bed_without_a_camera_says_so_and_the_call_still_carries_sound_and_the_far_end_picture() {
    let servers = Servers::start();
    let bed = Bed::start_with(&servers, "none", "");
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("ringing", Duration::from_secs(10), ringing);
    bed.headless.run_for(Duration::from_millis(100));
    assert_golden("call-incoming-no-camera", &bed.picture());
    bed.press(&[Button::Ok]);
    bed.until("the nurse's picture", Duration::from_secs(15), |app| {
        live(app) && app.call_frames().0 >= 5
    });
    let started = Instant::now();
    while nurse
        .eval("window.careTeam.stats().then(s => s.audioPacketsReceived)")
        .as_u64()
        .unwrap_or(0)
        < 20
    {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no sound from the bed"
        );
        bed.headless.run_for(Duration::from_millis(50));
    }
    assert_eq!(
        page_frames(&mut nurse),
        0,
        "a bed without a camera sent pictures"
    );
    // No camera light without a camera.
    let light = bed.picture().pixel(1920 - 60, 75);
    assert!(
        light[0] < 150 || light[1] > 80,
        "a camera light without a camera: {light:?}"
    );
    hang_up(&mut nurse);
    bed.until("ended", Duration::from_secs(10), |app| {
        ended(app, EndReason::FarEndHungUp)
    });
}

/// Open file descriptors and threads of this process.
fn fds_and_threads() -> (usize, usize) {
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count();
    let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
    (fds, threads)
}

/// The descriptors and threads once the last call's teardown has finished: the same count for
/// a whole second (teardown runs on threads of its own, later on a loaded machine), or after
/// ten seconds the count then.
fn settled(bed: &Bed) -> (usize, usize) {
    let started = Instant::now();
    let mut last = fds_and_threads();
    let mut same_since = Instant::now();
    while same_since.elapsed() < Duration::from_secs(1)
        && started.elapsed() < Duration::from_secs(10)
    {
        bed.headless.run_for(Duration::from_millis(100));
        let now = fds_and_threads();
        if now != last {
            last = now;
            same_since = Instant::now();
        }
    }
    last
}

#[test]
fn calls_set_up_and_torn_down_again_and_again_leak_nothing() {
    let servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    let mut one_call = |n: usize| {
        call_and_accept(&bed, &mut nurse, &id);
        // Alternate who hangs up.
        if n.is_multiple_of(2) {
            hang_up(&mut nurse);
        } else {
            bed.press(&[Button::Right; 4]);
            bed.press(&[Button::Ok]);
        }
        bed.until("ended", Duration::from_secs(10), |app| {
            matches!(app.call_phase(), Phase::Ended { .. })
        });
        nurse.wait_for(
            "window.careTeam.state().phase === 'idle'",
            Duration::from_secs(10),
        );
        // Pipelines are torn down off the call thread: give them a moment.
        bed.headless.run_for(Duration::from_millis(500));
    };
    // The first call brings up GStreamer's own thread pools; count after it.
    one_call(0);
    let (fds, threads) = settled(&bed);
    for n in 1..=12 {
        one_call(n);
    }
    let (fds_after, threads_after) = settled(&bed);
    eprintln!(
        "after 1 call: {fds} fds, {threads} threads; after 13: {fds_after} fds, {threads_after} threads"
    );
    assert!(
        fds_after <= fds + 4,
        "file descriptors grew from {fds} to {fds_after} over 12 calls"
    );
    assert!(
        threads_after <= threads + 4,
        "threads grew from {threads} to {threads_after} over 12 calls"
    );
}

#[test]
fn the_far_end_vanishing_or_the_server_dying_ends_the_call_cleanly_and_the_bed_comes_back() {
    let mut servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    call_and_accept(&bed, &mut nurse, &id);
    // The nurse's browser crashes.
    drop(nurse);
    bed.until("the call ended", Duration::from_secs(15), |app| {
        matches!(app.call_phase(), Phase::Ended { .. } | Phase::Idle)
    });
    let shot = bed.picture();
    let light = shot.pixel(1920 - 60, 75);
    assert!(
        light[0] < 150 || light[1] > 80,
        "the camera light stayed on"
    );

    // Again, and this time the signalling server dies mid-call.
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    bed.until("idle", Duration::from_secs(10), |app| {
        matches!(app.call_phase(), Phase::Idle)
    });
    call_and_accept(&bed, &mut nurse, &id);
    let _ = servers.signalling.kill();
    let _ = servers.signalling.wait();
    bed.until("the call was cut off", Duration::from_secs(10), |app| {
        ended(app, EndReason::Lost)
    });
    // The server comes back on the same port: the bed registers again by itself.
    servers.restart();
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let started = Instant::now();
    while nurse.eval("window.careTeam.state().beds.length") != json!(1) {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the bed never came back"
        );
        bed.headless.run_for(Duration::from_millis(100));
    }
}

/// A server that speaks the protocol's envelope but sends everything wrong.
#[test]
fn garbage_and_out_of_order_signalling_is_refused_without_harm() {
    use tungstenite::Message;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<String>>();
    std::thread::spawn(move || {
        // First connection: junk, then something too big (the bed drops the link).
        let (stream, _) = listener.accept().unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        let mut said = Vec::new();
        let junk = [
            r#"{"type":"welcome","peerId":"bed-1"}"#.to_owned(),
            "not json at all".to_owned(),
            r#"{"type":"launchMissiles"}"#.to_owned(),
            r#"{"type":"peer","sessionId":"nope","sdp":{"type":"answer","sdp":"v=0"}}"#.to_owned(),
            r#"{"type":"peer","sessionId":"nope","ice":{"candidate":"x","sdpMLineIndex":9}}"#
                .to_owned(),
            r#"{"type":"sessionStarted","peerId":"ghost","sessionId":"s-ghost"}"#.to_owned(),
            r#"{"type":"endSession","sessionId":"never"}"#.to_owned(),
            r#"{"type":"startSession","peerId":"p","sessionId":"s-offer","offer":"v=0"}"#
                .to_owned(),
            r#"{"type":"list","producers":[{"id":"p-x","meta":{"name":7}},{"id":"p-y"}]}"#
                .to_owned(),
            r#"{"type":"peerStatusChanged","roles":[],"meta":null}"#.to_owned(),
        ];
        for j in &junk {
            ws.send(Message::text(j.clone())).unwrap();
        }
        ws.send(Message::binary(vec![0u8; 64])).unwrap();
        // Read what the bed says for a moment.
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok(Message::Text(t)) = ws.read() {
                said.push(t.to_string());
            }
        }
        let _ = ws.send(Message::text("x".repeat(600 << 10)));
        let _ = ws.flush();
        // Second connection (the bed came back): a proper call.
        let (stream, _) = listener.accept().unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        ws.send(Message::text(r#"{"type":"welcome","peerId":"bed-1"}"#))
            .unwrap();
        ws.send(Message::text(
            r#"{"type":"list","producers":[{"id":"p-n","meta":{"kind":"care-team","name":"Ana Ruiz","role":"Nurse","verified":"sign-in"}}]}"#,
        ))
        .unwrap();
        ws.send(Message::text(
            r#"{"type":"startSession","peerId":"p-n","sessionId":"s-real"}"#,
        ))
        .unwrap();
        tx.send(said).unwrap();
        // Keep the link open while the test looks.
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            let _ = ws.read();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(
        dir.path(),
        &format!(
            "[call]\nsignalling_url = \"ws://127.0.0.1:{port}\"\ncamera = \"test\"\nmicrophone = \"test\"\n"
        ),
    );
    let setup = Setup::load(Some(&config), false).expect("config");
    let (headless, app) =
        headless_app(setup, (1920, 1080), TimeSource::System).expect("headless bed");
    let bed = Bed {
        headless,
        app,
        _dir: dir,
    };
    bed.until("ringing after the junk", Duration::from_secs(20), ringing);
    let Phase::Ringing {
        caller, session, ..
    } = bed.phase()
    else {
        unreachable!()
    };
    assert_eq!(
        (caller.name.as_str(), session.as_str()),
        ("Ana Ruiz", "s-real")
    );
    let said = rx.recv().unwrap();
    // It registered, refused the session it never asked for and the caller's own offer.
    assert!(said.iter().any(|m| m.contains("setPeerStatus")), "{said:?}");
    assert!(
        said.iter()
            .any(|m| m.contains("endSession") && m.contains("s-ghost")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|m| m.contains("endSession") && m.contains("s-offer")),
        "{said:?}"
    );
    // Nobody named was listed from the junk list.
    assert_eq!(bed.app.call_people(), 1);
}

/// Clinician mode in a call: a nurse at the bedside signs in while the patient talks with an
/// interpreter, the staff screens move beside the call picture, and "Share My health in the
/// call" shows the interpreter, on the care-team page in Chromium, the very rows the TV shows.
/// Back on the clinician home stops it; signing out gives the call its buttons back.
#[test]
fn a_nurse_shares_my_health_in_a_call_and_the_far_end_sees_the_same_rows() {
    let slapd = common::slapd::Slapd::start();
    let servers = Servers::start();
    let (bed, _) = demo_bed_with_staff(&servers, &slapd);
    let mut page = servers.person("Lan Tran", "Interpreter");
    // The interpreter's camera is off: the bed shows black where her picture goes (a still
    // screen to compare with a golden picture).
    page.eval("window.careTeam.camera(false)");
    let id = bed_id(&mut page);
    call_and_accept(&bed, &mut page, &id);

    // A badge in the call: the pad opens beside the call; the digits are the nurse's.
    sign_in(&bed);
    assert!(live(&bed.app), "signing in left the call alone");
    let shot = beside_shot(&bed, "call-beside");
    assert_golden("call-beside-clinician-home", &shot);
    // Sign out is focused; Share in the call is five rows up.
    bed.press(&[
        Button::Up,
        Button::Up,
        Button::Up,
        Button::Up,
        Button::Up,
        Button::Ok,
    ]);
    assert_eq!(bed.app.screen(), Screen::MyHealth);
    page.wait_for(
        "window.careTeam.shared() && window.careTeam.shared().title === 'My health'",
        Duration::from_secs(10),
    );
    // Test results (third row of tiles, right), as the TV lists them.
    bed.press(&[Button::Down, Button::Down, Button::Right, Button::Ok]);
    page.wait_for(
        "window.careTeam.shared().title === 'Test results'",
        Duration::from_secs(10),
    );
    let shared = page.eval("window.careTeam.shared()");
    assert_eq!(
        shared["shownBy"],
        json!("Shared from the bed by Ana Ruiz (Nurse)")
    );
    let rows: Vec<String> = shared["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let sent: serde_json::Value =
        serde_json::from_str(&bed.app.call_shared().expect("shared")).unwrap();
    let titles: Vec<&str> = sent["view"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert!(titles.len() >= 2, "{sent}");
    assert_eq!(rows.len(), titles.len());
    for (row, title) in rows.iter().zip(&titles) {
        assert!(row.starts_with(title), "{row} is not {title}");
    }
    assert_eq!(shared["focused"], json!(0));
    // The focus moves on the TV: the far end's marked row follows.
    bed.press(&[Button::Down]);
    page.wait_for(
        "window.careTeam.shared().focused === 1",
        Duration::from_secs(5),
    );

    let shot = beside_shot(&bed, "call-share");
    assert_golden("call-share-results", &shot);
    page.screenshot(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-share-far-end-list.png"),
    );
    // A result's values over time: the far end gets them too.
    bed.press(&[Button::Ok]);
    page.wait_for(
        "window.careTeam.shared().kind === 'trend'",
        Duration::from_secs(5),
    );
    let trend = page.eval("window.careTeam.shared()");
    page.screenshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-share-far-end.png"));
    assert!(
        trend["title"].as_str().unwrap().ends_with(titles[1]),
        "{trend}"
    );

    // Back to the clinician home: the far end's view goes.
    bed.press(&[Button::Back, Button::Back, Button::Back]);
    assert_eq!(bed.app.screen(), Screen::Clinician);
    page.wait_for("window.careTeam.shared() === null", Duration::from_secs(5));
    assert_eq!(bed.app.call_shared(), None);
    // Sign out: the call has the screen and its buttons again (OK mutes).
    bed.press(&[Button::Back]);
    assert!(live(&bed.app));
    let before = bed.picture();
    bed.press(&[Button::Ok]);
    bed.headless.run_for(Duration::from_millis(200));
    assert!(
        bed.picture().pixels_differing(&before, common::TOLERANCE) > 1000,
        "OK did not work the call's Mute button after sign-out"
    );
    hang_up(&mut page);
    bed.until("the far end hung up", Duration::from_secs(10), |app| {
        ended(app, EndReason::FarEndHungUp)
    });
}

/// The demo patient's bed (the record names family: Jo Yundt, daughter; Marcus Hill, friend)
/// with calls on the test servers and staff sign-in against `slapd`.
/// The bed and its location id.
fn demo_bed_with_staff(servers: &Servers, slapd: &common::slapd::Slapd) -> (Bed, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(
        dir.path(),
        &format!(
            "[call]\n{}camera = \"test\"\nmicrophone = \"test\"\n\n{}",
            servers.bed_call(),
            slapd.section()
        ),
    );
    let setup = Setup::load(Some(&config), true).expect("config");
    let location = setup.config.bed.location.value.clone();
    let now = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", common::NOW).unwrap();
    let (headless, app) =
        headless_app(setup, (1920, 1080), TimeSource::Fixed(now)).expect("headless bed");
    (
        Bed {
            headless,
            app,
            _dir: dir,
        },
        location,
    )
}

/// The screen with staff beside a call, once the far end's (black) picture is on it, written to
/// `target/<name>.png` to look at; the call's clock, which ticks, is blanked out.
fn beside_shot(bed: &Bed, name: &str) -> Picture {
    bed.until(
        "the interpreter's (black) picture",
        Duration::from_secs(10),
        |app| app.call_frames().0 > 0,
    );
    bed.headless.run_for(Duration::from_millis(300));
    let mut shot = bed.picture();
    shot.blank(1320, 235, 600, 45);
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/{name}.png")));
    shot
}

/// From Sign out on the clinician home (where signing in leaves the focus), Family who may
/// call: two rows up, past "Test camera and sound".
fn open_family(bed: &Bed) {
    bed.press(&[Button::Up, Button::Up, Button::Ok]);
}

/// Ana's badge and PIN: the clinician home (wherever the patient was, a call included).
fn sign_in(bed: &Bed) {
    use bedside::input::badge::BadgeId;
    use bedside::input::engine::Output;
    bed.app.input(Output::Badge(BadgeId::new("0012345")));
    bed.headless.run_for(Duration::from_millis(100));
    assert_eq!(bed.app.screen(), Screen::StaffPin);
    bed.press(&[
        Button::Digit(Digit::new(2).unwrap()),
        Button::Digit(Digit::new(4).unwrap()),
        Button::Digit(Digit::new(6).unwrap()),
        Button::Digit(Digit::new(8).unwrap()),
        Button::Ok,
    ]);
    bed.until("the clinician home", Duration::from_secs(10), |app| {
        app.screen() == Screen::Clinician
    });
}

/// Family calls: a caller saying they are family rings the patient only if the record names
/// them and staff have not set them as not allowed; anyone else is refused unseen (their page
/// hears no answer), and is not listed on Call.
#[test]
fn only_family_the_record_names_and_staff_allow_can_call_as_family() {
    let slapd = common::slapd::Slapd::start();
    let servers = Servers::start();
    let (bed, bed_location) = demo_bed_with_staff(&servers, &slapd);
    // Both hold an invitation to this bed (a family token); only one is in the record.
    let mut stranger = servers.family("Sam Stone", "Family", &bed_location);
    let id = bed_id(&mut stranger);
    let mut marcus = servers.family("Marcus Hill", "Family", &bed_location);
    bed.until("the people online", Duration::from_secs(10), |app| {
        app.call_people() >= 1
    });
    bed.headless.run_for(Duration::from_millis(300));
    // Call lists Marcus (the record names him), never the stranger.
    assert_eq!(bed.app.call_people(), 1, "only Marcus is listed");

    stranger.eval(&format!("window.careTeam.call({})", json!(id)));
    stranger.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    bed.headless.run_for(Duration::from_millis(200));
    assert_eq!(bed.phase(), Phase::Idle, "the stranger rang the patient");

    // Marcus rings; the patient declines.
    marcus.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("Marcus rings", Duration::from_secs(10), ringing);
    bed.press(&[Button::Back]);
    bed.until("declined", Duration::from_secs(5), |app| {
        ended(app, EndReason::Declined)
    });
    bed.headless.run_for(Duration::from_secs(7));

    // The nurse sets Marcus as not allowed (Family who may call: two rows above Sign out;
    // Marcus is second).
    sign_in(&bed);
    open_family(&bed);
    bed.press(&[Button::Down, Button::Ok]);
    assert_eq!(bed.app.screen(), Screen::StaffFamily);
    bed.headless.run_for(Duration::from_millis(100));
    assert_golden("staff-family-marcus-not-allowed", &bed.picture());
    bed.press(&[Button::Back, Button::Back]);
    marcus.eval(&format!("window.careTeam.call({})", json!(id)));
    marcus.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    bed.headless.run_for(Duration::from_millis(200));
    assert_eq!(
        bed.phase(),
        Phase::Idle,
        "Marcus rang after staff set him as not allowed"
    );
    assert_eq!(bed.app.call_people(), 0, "Marcus is still listed");
}

/// The patient blocks a family caller from the ringing screen (Accept, Decline, Block): he is
/// refused unseen from then on, the family screen shows him as not allowed, and the nurse can
/// allow him again. The care team's calls have no Block.
#[test]
fn the_patient_blocks_a_family_caller_for_the_stay_and_a_nurse_can_undo_it() {
    let slapd = common::slapd::Slapd::start();
    let servers = Servers::start();
    let (bed, bed_location) = demo_bed_with_staff(&servers, &slapd);
    let mut marcus = servers.family("Marcus Hill", "Son", &bed_location);
    let id = bed_id(&mut marcus);

    marcus.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("Marcus rings", Duration::from_secs(10), ringing);
    bed.headless.run_for(Duration::from_millis(200));
    assert_golden("call-incoming-family", &bed.picture());
    bed.press(&[Button::Right, Button::Right, Button::Ok]);
    bed.until("blocked", Duration::from_secs(5), |app| {
        ended(app, EndReason::Blocked)
    });
    bed.headless.run_for(Duration::from_millis(200));
    assert_golden("call-blocked", &bed.picture());
    marcus.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    bed.headless.run_for(Duration::from_secs(7));
    assert_eq!(bed.app.call_people(), 0, "a blocked caller is not listed");

    // He calls again: the patient is not rung.
    marcus.eval(&format!("window.careTeam.call({})", json!(id)));
    marcus.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    bed.headless.run_for(Duration::from_millis(300));
    assert_eq!(
        bed.phase(),
        Phase::Idle,
        "a blocked caller rang the patient"
    );

    // The nurse allows him again (Family who may call; Marcus is second): he rings.
    sign_in(&bed);
    open_family(&bed);
    bed.press(&[Button::Down, Button::Ok]);
    bed.press(&[Button::Back, Button::Back]);
    bed.until("Marcus listed again", Duration::from_secs(10), |app| {
        app.call_people() == 1
    });
    marcus.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("Marcus rings again", Duration::from_secs(10), ringing);
}

/// Invitations: the nurse gives Marcus (named in the record) a code from the family screen; he
/// types it on the care-team page and his call rings the patient; Right again ends it, and his
/// page is cut off.
#[test]
fn a_nurse_invites_family_with_a_code_they_call_and_ending_it_cuts_them_off() {
    let slapd = common::slapd::Slapd::start();
    let servers = Servers::start();
    let (bed, _) = demo_bed_with_staff(&servers, &slapd);
    // Family who may call: two rows above Sign out (Test camera and sound between); Marcus
    // is second.
    sign_in(&bed);
    open_family(&bed);
    bed.press(&[Button::Down, Button::Right]);
    assert_eq!(bed.app.screen(), Screen::StaffFamily);
    bed.until("the call server's code", Duration::from_secs(10), |app| {
        app.family_invitation_code(1).is_some()
    });
    let code = bed.app.family_invitation_code(1).unwrap();
    bed.headless.run_for(Duration::from_millis(100));
    // To look at (the code is random, so no golden): target/staff-family-invited.png.
    bed.picture()
        .write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/staff-family-invited.png"));
    // Signed out, the patient's screen is back.
    bed.press(&[Button::Back, Button::Back]);

    let mut marcus = common::chromium::Chromium::open(&servers.page);
    marcus.wait_for(
        "document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    marcus.eval(&format!(
        "document.getElementById('code').value = {}; \
         document.getElementById('code-form').requestSubmit(); true",
        json!(code)
    ));
    let id = bed_id(&mut marcus);
    marcus.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.until("Marcus rings", Duration::from_secs(10), ringing);
    bed.press(&[Button::Back]);
    bed.until("declined", Duration::from_secs(5), |app| {
        ended(app, EndReason::Declined)
    });

    // The nurse ends the invitation: Marcus's page is cut off.
    sign_in(&bed);
    open_family(&bed);
    bed.press(&[Button::Down, Button::Right]);
    bed.until("the invitation ended", Duration::from_secs(10), |app| {
        app.family_invitation_code(1).is_none()
    });
    let started = Instant::now();
    while marcus.eval("window.careTeam.state().id") != serde_json::Value::Null {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Marcus stayed connected"
        );
        bed.headless.run_for(Duration::from_millis(100));
    }
}

/// "Test call with support": with the support desk online, Call has a row for it (the desk is
/// not listed among the people); one press calls it, the desk answers, and its page shows the
/// call's quality figures (the bed's picture size and frame rate, packets lost, the path).
#[test]
fn a_test_call_with_support_is_one_press_and_the_desk_sees_the_quality_figures() {
    let servers = Servers::start();
    let bed = Bed::start(&servers);
    let mut desk = servers.support("IT Help Desk", "");
    bed_id(&mut desk);
    open_call(&bed);
    bed.until("the support row", Duration::from_secs(10), |app| {
        app.screen() == Screen::Call && app.call_support_online()
    });
    assert_eq!(
        bed.app.call_people(),
        0,
        "the desk is not one of the people"
    );
    // Nobody to call: Test my camera and sound, then Test call with support.
    bed.press(&[Button::Down]);
    bed.headless.run_for(Duration::from_millis(100));
    assert_golden("call-support-row", &bed.picture());
    bed.press(&[Button::Ok]);
    desk.wait_for(
        "window.careTeam.state().phase === 'ringing'",
        Duration::from_secs(10),
    );
    desk.eval("window.careTeam.answer(); true");
    bed.until("live with the desk", Duration::from_secs(15), |app| {
        matches!(app.call_phase(), Phase::Live { .. })
    });
    // The desk's figures: the bed's test picture arrives at its size and a real frame rate,
    // nothing lost on loopback, a direct path; the panel shows them.
    let started = Instant::now();
    let quality = loop {
        let q = desk.eval("window.careTeam.quality()");
        if q["fps"].as_u64().unwrap_or(0) > 5 && q["rttMs"].is_number() {
            break q;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no quality figures: {q}"
        );
        bed.headless.run_for(Duration::from_millis(200));
    };
    assert!(quality["width"].as_u64().unwrap() >= 320, "{quality}");
    assert!(quality["videoLoss"].as_f64().unwrap() < 1.0, "{quality}");
    assert_eq!(quality["path"], "direct", "{quality}");
    // The panel shows them (it is refreshed every second).
    desk.wait_for(
        "document.getElementById('quality').style.display === 'block' && \
         document.getElementById('quality-figures').textContent.includes('frames a second')",
        Duration::from_secs(5),
    );
    bed.press(&[
        Button::Right,
        Button::Right,
        Button::Right,
        Button::Right,
        Button::Ok,
    ]);
    desk.wait_for(
        "window.careTeam.state().phase === 'idle'",
        Duration::from_secs(10),
    );
    let hidden = desk.eval("document.getElementById('quality').style.display");
    assert_eq!(hidden, "none");
}

/// From Home's first tile, Down and OK: Call, past "How video calls work" if it opened by
/// itself (the first Call of a stay).
fn open_call(bed: &Bed) {
    bed.press(&[Button::Down, Button::Ok]);
    if bed.app.screen() == Screen::CallGuide {
        bed.press(&[Button::Back]);
    }
}

/// Home → Call → "Test my camera and sound" (the last row), and the run's result.
fn rehearse(bed: &Bed) -> bedside::domain::call::rehearsal::Rehearsal {
    // Home's first tile, wherever the focus was.
    bed.press(&[Button::Home, Button::Up, Button::Left, Button::Left]);
    open_call(bed);
    assert_eq!(bed.app.screen(), Screen::Call);
    bed.press(&[Button::Up, Button::Up, Button::Up]);
    for _ in 0..bed.app.call_people() {
        bed.press(&[Button::Down]);
    }
    bed.press(&[Button::Ok]);
    assert_eq!(bed.app.screen(), Screen::CallTest);
    let pressed = Instant::now();
    bed.until("the self-test's result", Duration::from_secs(5), |app| {
        app.call_rehearsal().0.is_some_and(|r| r.done())
    });
    // The budget is 3 s from the press (the bench measures it); a loaded test machine gets
    // some slack here.
    assert!(
        pressed.elapsed() < Duration::from_secs(4),
        "{:?}",
        pressed.elapsed()
    );
    bed.headless.run_for(Duration::from_millis(300));
    bed.app.call_rehearsal().0.unwrap()
}

#[test]
fn test_my_camera_and_sound_checks_every_part_for_real_and_says_ready() {
    use bedside::domain::call::rehearsal::Check;
    let servers = Servers::start();
    let relay = common::calls::Relay::start();
    let bed = Bed::start_with(&servers, "test", &relay.ice_servers());
    let r = rehearse(&bed);
    assert_eq!(
        (r.camera, r.microphone, r.sound, r.service, r.network),
        (
            Check::Good,
            Check::Good,
            Check::Good,
            Check::Good,
            Check::Good
        ),
        "{r:?}"
    );
    assert!(r.ready());
    assert!((r.level - 0.8).abs() < 0.05, "a -12 dB tone: {}", r.level);
    let (_, picture) = bed.app.call_rehearsal();
    assert!(picture, "the patient's own picture is on the screen");
    let mut shot = bed.picture();
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/call-test-ready-picture.png"));
    // The camera's moving ball.
    shot.blank(96, 405, 720, 412);
    assert_golden("call-test-ready", &shot);
    // Back stops it: the camera and microphone are let go.
    bed.press(&[Button::Back]);
    bed.until("the self-test stopped", Duration::from_secs(5), |app| {
        app.call_rehearsal().0.is_none()
    });
    assert_eq!(bed.app.screen(), Screen::Call);
}

#[test]
fn test_my_camera_and_sound_says_what_to_ask_the_nurse_when_the_service_and_relay_are_gone() {
    use bedside::domain::call::rehearsal::{Check, Finding};
    let mut servers = Servers::start();
    let relay = common::calls::Relay::start();
    let ice = relay.ice_servers();
    drop(relay);
    let bed = Bed::start_with(&servers, "none", &ice);
    bed.until("connected", Duration::from_secs(10), |app| {
        app.call_rehearsal().0.is_none() && app.screen() == Screen::Home
    });
    // The call server goes away (its port stays closed).
    let _ = servers.signalling.kill();
    let _ = servers.signalling.wait();
    let r = rehearse(&bed);
    assert_eq!(r.camera, Check::Absent, "no camera is not a fault");
    assert_eq!(r.service, Check::Failed);
    assert_eq!(r.network, Check::Failed);
    assert_eq!(r.findings(), vec![Finding::Service, Finding::Network]);
    assert_golden("call-test-ask-the-nurse", &bed.picture());
    // Large text (the patient's choice on Settings): every check still fits.
    bed.press(&[Button::Home, Button::Up, Button::Left, Button::Left]);
    bed.press(&[Button::Down, Button::Right, Button::Right, Button::Ok]);
    bed.press(&[Button::Down, Button::Ok]);
    let r = rehearse(&bed);
    assert_eq!(r.findings(), vec![Finding::Service, Finding::Network]);
    assert_golden("call-test-large-text", &bed.picture());
    // Once the service is back, Test again says ready (minus the relay, still gone).
    servers.restart();
    bed.press(&[Button::Ok]);
    bed.until("the service answers again", Duration::from_secs(8), |app| {
        app.call_rehearsal()
            .0
            .is_some_and(|r| r.done() && r.service == Check::Good)
    });
}
