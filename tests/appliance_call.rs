//! A call to the real appliance: the `bedside` binary as `make run` starts it, in a real window
//! (Xvfb), with its sound on through the real `autoaudiosink`/`autoaudiosrc` (a null sound
//! card: tests/common/sound.rs), keys typed into the window as a keyboard standing in for the
//! remote types them. The far end is a care-team member in Debian's headless Chromium.
//!
//! Calls once crashed on every accept on a real TV while every in-process call test passed:
//! those tests swapped the speaker for a silent test sink, which took a setting the real one
//! does not. This test builds exactly the pipeline the appliance builds.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::calls::{Servers, bed_id, page_frames};
use common::display::Display;
use common::sound::{self, SoundServer};
use serde_json::json;

/// The appliance process, killed when the test ends however it ends.
struct Appliance {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Appliance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Appliance {
    /// `bedside --config <config> <args>` as `make run` starts it, in `display`'s window, its
    /// sound through `sound`, its log in the config's directory.
    fn start(config: &Path, args: &[&str], display: &Display, sound: &SoundServer) -> Appliance {
        Appliance::start_in(None, config, args, display, sound)
    }

    /// [`Appliance::start`], in the network namespace `netns` if given (`ip netns exec`, which
    /// execs: the pid is the appliance's).
    fn start_in(
        netns: Option<&BoxNetwork>,
        config: &Path,
        args: &[&str],
        display: &Display,
        sound: &SoundServer,
    ) -> Appliance {
        let log = config.with_file_name("bedside.log");
        let mut command = match netns {
            Some(net) => {
                let mut c = std::process::Command::new("ip");
                c.args(["netns", "exec", &net.name])
                    .arg(env!("CARGO_BIN_EXE_bedside"));
                c
            }
            None => common::bedside(),
        };
        Appliance {
            child: command
                .arg("--config")
                .arg(config)
                .args(args)
                .env("DISPLAY", &display.name)
                .env_remove("WAYLAND_DISPLAY")
                .env("PULSE_SERVER", &sound.address)
                .env("BEDSIDE_LOG", "info")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("start bedside"),
            log,
        }
    }

    fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// Waits for a line of the appliance's log, failing with the log if it never comes or the
    /// appliance dies first.
    fn wait_for_log(&mut self, line: &str, timeout: Duration) {
        let started = Instant::now();
        while !self.log().contains(line) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("bedside exited ({status}) before `{line}`:\n{}", self.log());
            }
            assert!(
                started.elapsed() < timeout,
                "bedside never logged `{line}`:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A network of the box's own: a network namespace joined to this one by a veth pair, this
/// side `10.77.N.1/24`, the box's side an address the test changes (`.2`, then `.3`: a new
/// DHCP lease). Removed when dropped.
struct BoxNetwork {
    name: String,
    here: String,
    there: String,
    subnet: String,
}

fn ip(args: &[&str]) {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .expect("run ip (Debian's iproute2: scripts/setup.sh)");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl BoxNetwork {
    /// `None` where network namespaces cannot be made (not root) outside CI: said, and the
    /// test is skipped there. CI runs as root, where it must work.
    fn new() -> Option<BoxNetwork> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 && std::env::var_os("CI").is_none() {
            eprintln!("SKIPPED: a network namespace needs root (CI runs this test as root)");
            return None;
        }
        let pid = std::process::id();
        let net = BoxNetwork {
            name: format!("bedside-box-{pid}"),
            here: format!("bsh{pid}"),
            there: format!("bsb{pid}"),
            subnet: format!("10.77.{}", pid % 200 + 20),
        };
        ip(&["netns", "add", &net.name]);
        ip(&[
            "link", "add", &net.here, "type", "veth", "peer", "name", &net.there,
        ]);
        ip(&["link", "set", &net.there, "netns", &net.name]);
        ip(&["addr", "add", &net.host(1), "dev", &net.here]);
        ip(&["link", "set", &net.here, "up"]);
        ip(&["-n", &net.name, "link", "set", "lo", "up"]);
        ip(&[
            "-n",
            &net.name,
            "addr",
            "add",
            &net.host(2),
            "dev",
            &net.there,
        ]);
        ip(&["-n", &net.name, "link", "set", &net.there, "up"]);
        Some(net)
    }

    /// `host` in the subnet, with its prefix.
    fn host(&self, host: u8) -> String {
        format!("{}.{host}/24", self.subnet)
    }

    /// This side's address (where the box reaches the call server).
    fn server_address(&self) -> String {
        format!("{}.1", self.subnet)
    }

    /// The box's address changes from `.{from}` to `.{to}`: the old one goes, then the new one
    /// comes (as when a lease changes); connections from the old one are dead.
    fn move_box(&self, from: u8, to: u8) {
        ip(&[
            "-n",
            &self.name,
            "addr",
            "del",
            &self.host(from),
            "dev",
            &self.there,
        ]);
        ip(&[
            "-n",
            &self.name,
            "addr",
            "add",
            &self.host(to),
            "dev",
            &self.there,
        ]);
    }
}

impl Drop for BoxNetwork {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::process::Command::new("ip")
            .args(["link", "del", &self.here])
            .status();
    }
}

/// The ringing card's accent border crosses the screen's middle column above the buttons.
fn ringing_card(picture: &common::Picture) -> bool {
    (150..450).any(|y| picture.pixel(960, y) == [0x5a, 0xa9, 0xff])
}

#[test]
fn a_call_to_the_real_appliance_in_a_window_with_sound_goes_both_ways_and_hangs_up_cleanly() {
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let servers = Servers::start();
    let dir = tempfile::tempdir().unwrap();
    // The appliance's own microphone and speaker (`microphone` left at its default, auto); a
    // test picture stands in for the camera these machines lack.
    let config = common::empty_bed_config(
        dir.path(),
        &format!("[call]\n{}camera = \"test\"\n", servers.bed_call()),
    );
    let mut bed = Appliance::start(&config, &[], &display, &sound);

    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    // Home is on screen: the dark theme, the header's bed name.
    display.wait_for("Home", Duration::from_secs(20), |p| {
        p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
    });
    let pid = bed.child.id();
    assert_eq!(sound.playing_from(pid), 0, "a sound plays on an idle Home");
    display.focus("Bedside");

    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.wait_for_log("call ringing", Duration::from_secs(10));
    display.wait_for("the ringing card", Duration::from_secs(5), ringing_card);
    // It rings out loud, through the speaker.
    sound::wait_for(&sound, "the ring tone", Duration::from_secs(5), |s| {
        s.playing_from(pid) == 1
    });

    // OK on the remote (Enter on the keyboard) answers.
    display.keys(&["Return"]);
    bed.wait_for_log("call live", Duration::from_secs(15));
    bed.wait_for_log("first picture from the far end", Duration::from_secs(15));
    // The nurse sees and hears the bed.
    nurse.wait_for(
        "window.careTeam.state().phase === 'live'",
        Duration::from_secs(10),
    );
    let started = Instant::now();
    while page_frames(&mut nurse) < 10 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Chromium decoded fewer than 10 pictures from the bed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let started = Instant::now();
    while nurse
        .eval("window.careTeam.stats().then(s => s.audioPacketsReceived)")
        .as_u64()
        .unwrap_or(0)
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Chromium received no sound from the bed's microphone"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The bed sees the nurse, full screen, and plays her sound while its microphone records.
    let shot = display.wait_for("the nurse's picture", Duration::from_secs(10), |p| {
        p.colours(600, 300, 700, 400) > 20
    });
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/appliance-call-live.png"));
    sound::wait_for(
        &sound,
        "the call's speaker and microphone",
        Duration::from_secs(10),
        |s| s.playing_from(pid) == 1 && s.recording_from(pid) == 1,
    );

    // Right to Hang up, OK.
    display.keys(&["Right", "Right", "Right", "Right", "Return"]);
    bed.wait_for_log("call ended reason=HungUp", Duration::from_secs(10));
    nurse.wait_for(
        "window.careTeam.state().phase === 'idle' && window.careTeam.state().ended === 'The patient hung up'",
        Duration::from_secs(10),
    );
    // The microphone and speaker are let go, and the appliance is still there.
    sound::wait_for(
        &sound,
        "the microphone and speaker released",
        Duration::from_secs(10),
        |s| s.recording_from(pid) == 0 && s.playing_from(pid) == 0,
    );
    assert!(
        bed.child.try_wait().unwrap().is_none(),
        "bedside exited:\n{}",
        bed.log()
    );
    let log = bed.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains(" ERROR "), "{log}");
}

/// Clinician mode in a call on the real binary, in a window with sound: the nurse signs in
/// (staff number and PIN on the keyboard: no badge reader here), an interpreter calls, the
/// patient answers, and the nurse shares My health; Chromium at the far end shows the rows the
/// TV shows. Signing out gives the call its screen and buttons back.
#[test]
fn a_nurse_shares_my_health_in_a_call_on_the_real_appliance() {
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let servers = Servers::start();
    let slapd = common::slapd::Slapd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(
        dir.path(),
        &format!(
            "[call]\n{}camera = \"test\"\n\n{}sign_in_by_number = true\n",
            servers.bed_call(),
            slapd.section()
        ),
    );
    let mut bed = Appliance::start(&config, &["--demo"], &display, &sound);
    let mut interpreter = servers.person("Lan Tran", "Interpreter");
    let id = bed_id(&mut interpreter);
    display.wait_for("Home", Duration::from_secs(20), |p| {
        p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
    });
    display.focus("Bedside");
    let staff_frame = common::display::staff_frame;
    // The clinician home, on Sign out.
    display.sign_in_by_number();

    // The interpreter calls; OK answers (a ringing call takes OK even in staff mode).
    interpreter.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.wait_for_log("call ringing", Duration::from_secs(10));
    display.keys(&["Return"]);
    bed.wait_for_log("call live", Duration::from_secs(15));
    // The staff screens stay, the call in a column at the right (its near-black background).
    let beside = |p: &common::Picture| p.pixel(1900, 1000) == [0x05, 0x07, 0x0a];
    display.wait_for(
        "the call beside the staff screens",
        Duration::from_secs(10),
        |p| beside(p) && staff_frame(p),
    );
    bed.wait_for_log("shared-view channel open=true", Duration::from_secs(15));
    // Share in the call is five rows above Sign out; then Test results.
    display.keys(&["Up", "Up", "Up", "Up", "Up", "Return"]);
    interpreter.wait_for(
        "window.careTeam.shared() !== null && window.careTeam.shared().title === 'My health'",
        Duration::from_secs(10),
    );
    display.keys(&["Down", "Down", "Right", "Return"]);
    interpreter.wait_for(
        "window.careTeam.shared().title === 'Test results' && window.careTeam.shared().rows.length > 5",
        Duration::from_secs(10),
    );
    let shot = display.wait_for("the shared view", Duration::from_secs(5), |p| {
        beside(p) && staff_frame(p)
    });
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/appliance-call-share.png"));
    let first = interpreter.eval("window.careTeam.shared().rows[0]");
    assert!(
        first
            .as_str()
            .unwrap()
            .starts_with("Erythrocyte distribution width"),
        "{first}"
    );

    // Back twice: the clinician home, nothing shared; Back again signs out and the call has
    // the whole screen again.
    display.keys(&["Escape", "Escape"]);
    interpreter.wait_for("window.careTeam.shared() === null", Duration::from_secs(5));
    display.keys(&["Escape"]);
    display.wait_for("the call full screen", Duration::from_secs(5), |p| {
        !beside(p) && !staff_frame(p)
    });
    // Right to Hang up, OK: the call's buttons are the patient's again.
    display.keys(&["Right", "Right", "Right", "Right", "Return"]);
    bed.wait_for_log("call ended reason=HungUp", Duration::from_secs(10));
    let log = bed.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains(" ERROR "), "{log}");
    // Nothing of the record in the log.
    assert!(!log.contains("Erythrocyte"), "{log}");
    drop(sound);
}

/// "Test my camera and sound" on the real binary, in a window with sound: the first Call opens
/// the guide (Back leaves it), OK on the self-test row shows the patient's own picture, opens
/// the microphone and plays the test tone through the speaker, and says ready; Back lets the
/// camera, microphone and speaker go.
#[test]
fn test_my_camera_and_sound_on_the_real_appliance_uses_the_real_microphone_and_speaker() {
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let servers = Servers::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(
        dir.path(),
        &format!("[call]\n{}camera = \"test\"\n", servers.bed_call()),
    );
    let mut bed = Appliance::start(&config, &[], &display, &sound);
    display.wait_for("Home", Duration::from_secs(20), |p| {
        p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
    });
    bed.wait_for_log(
        "connected to the call signalling server",
        Duration::from_secs(20),
    );
    let pid = bed.child.id();
    display.focus("Bedside");

    // Down to Call, OK: the guide, the first time; Back (Escape) to Call; OK on its first row
    // (nobody is online to call): the self-test.
    display.keys(&["Down", "Return", "Escape", "Return"]);
    // The microphone opens and the tone plays, through the real sound server.
    sound::wait_for(
        &sound,
        "the microphone and the test tone",
        Duration::from_secs(10),
        |s| s.recording_from(pid) == 1 && s.playing_from(pid) == 1,
    );
    bed.wait_for_log("self-test: camera and sound ready", Duration::from_secs(10));
    // The patient's own picture (the test picture: a ball moving over grey) fills the left of
    // the screen, and the result band turns the ready green (the window may show the picture
    // a frame before the result the log already has).
    let shot = display.wait_for(
        "the own picture and the ready band",
        Duration::from_secs(10),
        |p| {
            let [r, g, _] = p.pixel(104, 300);
            p.pixel(400, 700) != [0x0c, 0x10, 0x16]
                && p.colours(96, 410, 720, 400) >= 2
                && g > r + 20
        },
    );
    shot.write(&Path::new(env!("CARGO_MANIFEST_DIR")).join("target/appliance-call-test.png"));

    // Back: everything is let go, and the appliance is still there.
    display.keys(&["Escape"]);
    sound::wait_for(
        &sound,
        "the microphone and speaker released",
        Duration::from_secs(10),
        |s| s.recording_from(pid) == 0 && s.playing_from(pid) == 0,
    );
    assert!(
        bed.child.try_wait().unwrap().is_none(),
        "bedside exited:\n{}",
        bed.log()
    );
    let log = bed.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains(" ERROR "), "{log}");
}

/// A call survives the box's address changing under it (issue 20, "Recovery"): the real
/// binary in a network namespace of its own, the call server and the nurse's Chromium outside
/// it. Mid-call the box's address is taken away and a new one given: its connection to the
/// call server is dead (TCP would not say so for minutes), so the box notices the silent link
/// within seconds, connects again from the new address, takes its place on the server again
/// (the server held it), and starts the call's connection afresh in the same call; the nurse's
/// page answers the new offer and the pictures flow again, nobody having pressed anything.
#[test]
fn a_call_goes_on_when_the_box_gets_a_new_address_mid_call() {
    let Some(net) = BoxNetwork::new() else {
        return;
    };
    let sound = SoundServer::start();
    let display = Display::start(1920, 1080);
    let servers = Servers::start_on(&net.server_address(), "");
    let dir = tempfile::tempdir().unwrap();
    let config = common::empty_bed_config(
        dir.path(),
        &format!("[call]\n{}camera = \"test\"\n", servers.bed_call()),
    );
    let mut bed = Appliance::start_in(Some(&net), &config, &[], &display, &sound);
    let mut nurse = servers.person("Ana Ruiz", "Nurse");
    let id = bed_id(&mut nurse);
    display.wait_for("Home", Duration::from_secs(20), |p| {
        p.pixel(960, 1000) == [0x0c, 0x10, 0x16]
    });
    display.focus("Bedside");
    nurse.eval(&format!("window.careTeam.call({})", json!(id)));
    bed.wait_for_log("call ringing", Duration::from_secs(10));
    display.keys(&["Return"]);
    bed.wait_for_log("call live", Duration::from_secs(15));
    nurse.wait_for(
        "window.careTeam.state().phase === 'live'",
        Duration::from_secs(10),
    );
    let wait_frames = |nurse: &mut common::chromium::Chromium, more: u64, what: &str| {
        let from = page_frames(nurse);
        let started = Instant::now();
        while page_frames(nurse) < from + more {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: Chromium decoded fewer than {more} new pictures from the bed"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_frames(&mut nurse, 10, "before the move");

    // A new lease: the old address goes, a new one comes.
    let moved = Instant::now();
    net.move_box(2, 3);
    bed.wait_for_log(
        "back in the call server's place: the call goes on",
        Duration::from_secs(15),
    );
    nurse.wait_for(
        "window.careTeam.state().restarts >= 1",
        Duration::from_secs(20),
    );
    // Pictures from the bed's new address reach the nurse again, in the same call.
    wait_frames(&mut nurse, 20, "after the move");
    let back = moved.elapsed();
    assert_eq!(
        nurse.eval("window.careTeam.state().phase"),
        json!("live"),
        "the nurse's call did not go on"
    );
    // The bed's picture of the nurse moves again too.
    let before = display.picture();
    display.wait_for("the nurse's picture moving", Duration::from_secs(10), |p| {
        p.pixels_differing(&before, 24) > 1000
    });
    eprintln!(
        "the call was back {} ms after the address changed",
        back.as_millis()
    );
    let log = bed.log();
    assert!(!log.contains("call ended"), "the bed's call ended:\n{log}");

    // It still hangs up as usual, over the new connection.
    display.keys(&["Right", "Right", "Right", "Right", "Return"]);
    bed.wait_for_log("call ended reason=HungUp", Duration::from_secs(10));
    nurse.wait_for(
        "window.careTeam.state().phase === 'idle' && window.careTeam.state().ended === 'The patient hung up'",
        Duration::from_secs(10),
    );
    let log = bed.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains(" ERROR "), "{log}");
}
