//! The appliance as a system service, tested on the real binary in a real window (Xvfb) with
//! its sound on (a null PulseAudio sink):
//! - systemd's notify protocol, read from a `NOTIFY_SOCKET` of the test's own, as systemd would
//!   read it: READY once Home is on screen, WATCHDOG pings at half the timeout from the UI
//!   thread (none while that one thread is stopped, the others running), STOPPING on SIGTERM;
//! - our D-Bus service on a real `dbus-daemon` running Debian's own system-bus policy with ours
//!   (systemd/io.github.bedside.Bedside1.conf) added, asked with `busctl` and `gdbus` as a
//!   stranger would ask it.
//!
//! There is no systemd (as pid 1) here to restart a hung service: these tests read what the
//! appliance tells it, which is all systemd acts on.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::display::Display;
use common::fhir::{Bed, FhirServer};
use common::sound;

/// The appliance process, killed when the test ends however it ends.
struct Appliance {
    child: Child,
    log: PathBuf,
}

impl Drop for Appliance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Appliance {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// `bedside <args>` in `display`'s window with sound on, as systemd starts it: `env` added
/// (NOTIFY_SOCKET, WATCHDOG_USEC...), WATCHDOG_PID set to its own pid when `watchdog` (systemd
/// sets it to the main pid; a shell that execs keeps its pid).
fn start(
    args: &[&str],
    display: &Display,
    env: &[(&str, &str)],
    watchdog: bool,
    log: &Path,
) -> Appliance {
    let sound = sound::install();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(if watchdog {
            "WATCHDOG_PID=$$ exec \"$0\" \"$@\""
        } else {
            "exec \"$0\" \"$@\""
        })
        .arg(env!("CARGO_BIN_EXE_bedside"))
        .args(args)
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .env("PULSE_SERVER", &sound.address)
        .env("BEDSIDE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    for (k, v) in env {
        command.env(k, v);
    }
    Appliance {
        child: command.spawn().expect("start bedside"),
        log: log.to_owned(),
    }
}

/// The socket systemd would listen on, and what arrives on it.
struct NotifySocket {
    socket: UnixDatagram,
    path: PathBuf,
}

impl NotifySocket {
    fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify");
        let socket = UnixDatagram::bind(&path).unwrap();
        NotifySocket { socket, path }
    }

    /// The next message within `timeout`.
    fn next(&self, timeout: Duration) -> Option<String> {
        self.socket.set_read_timeout(Some(timeout)).unwrap();
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Waits for a message holding `line`; panics after `timeout`.
    fn wait_for(&self, line: &str, timeout: Duration, app: &Appliance) -> String {
        let started = Instant::now();
        while let Some(left) = timeout.checked_sub(started.elapsed()) {
            if let Some(m) = self.next(left.max(Duration::from_millis(1)))
                && m.lines().any(|l| l == line)
            {
                return m;
            }
        }
        panic!("no {line} within {timeout:?}; the log:\n{}", app.log());
    }

    /// How many WATCHDOG=1 pings arrive during `span`.
    fn pings_during(&self, span: Duration) -> usize {
        let until = Instant::now() + span;
        let mut pings = 0;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            match self.next(left.max(Duration::from_millis(1))) {
                Some(m) if m.lines().any(|l| l == "WATCHDOG=1") => pings += 1,
                Some(_) => {}
                None => {}
            }
        }
        pings
    }

    /// Throws away what is waiting.
    fn drain(&self) {
        while self.next(Duration::from_millis(1)).is_some() {}
    }
}

/// Home is on screen: its big tiles make a picture of many colours (Xvfb starts all black).
fn home_drawn(picture: &common::Picture) -> bool {
    picture.colours(0, 0, picture.width, picture.height) > 50
}

/// Stops one thread (`tid`) of a process while its others run on: ptrace's seize and interrupt
/// (SIGSTOP would stop every thread). The thread runs again when this is dropped.
struct Stalled(libc::pid_t);

impl Stalled {
    fn thread(tid: libc::pid_t) -> Stalled {
        // SAFETY: ptrace on a thread of our own child; the status pointer is a local.
        unsafe {
            let seized = libc::ptrace(libc::PTRACE_SEIZE, tid, 0, 0);
            assert_eq!(
                seized,
                0,
                "ptrace(PTRACE_SEIZE): {}",
                std::io::Error::last_os_error()
            );
            assert_eq!(libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0), 0);
            let mut status = 0;
            let waited = libc::waitpid(tid, &mut status, libc::__WALL);
            assert_eq!(waited, tid, "the thread stopped");
        }
        Stalled(tid)
    }
}

impl Drop for Stalled {
    fn drop(&mut self) {
        // SAFETY: detaching a thread this test seized.
        unsafe {
            libc::ptrace(libc::PTRACE_DETACH, self.0, 0, 0);
        }
    }
}

/// The state letter of each thread of `pid` (`R`, `S`, `t` for stopped by a tracer...).
fn thread_states(pid: u32) -> Vec<(String, char)> {
    let mut states = vec![];
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let state = stat[close + 2..].chars().next().unwrap_or('?');
        states.push((name, state));
    }
    states
}

#[test]
fn systemd_hears_ready_then_watchdog_pings_from_the_ui_thread_then_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let display = Display::start(1920, 1080);
    let notify = NotifySocket::bind(dir.path());
    let started = Instant::now();
    let mut app = start(
        &["--demo"],
        &display,
        &[
            ("NOTIFY_SOCKET", notify.path.to_str().unwrap()),
            // WatchdogSec=1s: a ping every half second.
            ("WATCHDOG_USEC", "1000000"),
        ],
        true,
        &dir.path().join("bedside.log"),
    );
    let pid = app.child.id();

    let ready = notify.wait_for("READY=1", Duration::from_secs(20), &app);
    let ready_after = started.elapsed();
    assert!(
        ready.contains("STATUS="),
        "READY comes with a status line: {ready:?}"
    );
    // READY means the first frame has been drawn and handed to the display: Home is on screen
    // at once (the X server shows it a few milliseconds after the window presents it).
    let shown = Instant::now();
    display.wait_for("Home at READY", Duration::from_millis(500), home_drawn);
    eprintln!(
        "READY {} ms after the start; Home on screen {} ms after READY",
        ready_after.as_millis(),
        shown.elapsed().as_millis()
    );

    // Pings at half the timeout: about 6 in 3 s.
    notify.drain();
    let pings = notify.pings_during(Duration::from_secs(3));
    assert!(
        (4..=8).contains(&pings),
        "{pings} watchdog pings in 3 s with WatchdogSec=1s (expected about 6)"
    );

    // The UI thread (the main thread: its tid is the pid) stops; every other thread runs on.
    // systemd would kill the service after WatchdogSec: the pings must stop.
    {
        let _stalled = Stalled::thread(pid as libc::pid_t);
        let states = thread_states(pid);
        assert!(
            states.iter().any(|(_, s)| *s == 't'),
            "the UI thread is stopped: {states:?}"
        );
        assert!(
            states.iter().filter(|(_, s)| *s != 't').count() >= 2,
            "the other threads run on: {states:?}"
        );
        notify.drain();
        let pings = notify.pings_during(Duration::from_secs(2));
        assert_eq!(pings, 0, "pings went on with the UI thread stopped");
    }
    // Running again, it pings again.
    let pings = notify.pings_during(Duration::from_secs(2));
    assert!(
        pings >= 2,
        "{pings} pings in 2 s after the UI thread ran again"
    );

    // SIGTERM: STOPPING, and a clean exit (0).
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    notify.wait_for("STOPPING=1", Duration::from_secs(5), &app);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = app.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "a SIGTERM stop exits 0: {status:?}\n{}",
        app.log()
    );
    assert!(
        app.log().contains("stopped cleanly"),
        "the log says the stop was clean:\n{}",
        app.log()
    );
}

#[test]
fn ready_waits_for_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let display = Display::start(1920, 1080);
    // A backend nobody answers at: the store opens without it, and READY follows.
    let port = common::fhir::free_port();
    let bed = Bed::new(&format!("http://127.0.0.1:{port}/fhir"));
    let notify = NotifySocket::bind(dir.path());
    let app = start(
        &["--config", bed.config.to_str().unwrap()],
        &display,
        &[("NOTIFY_SOCKET", notify.path.to_str().unwrap())],
        false,
        &dir.path().join("with-key.log"),
    );
    notify.wait_for("READY=1", Duration::from_secs(20), &app);
    drop(app);

    // The store's key is missing: Home shows, but the store cannot open, and the box does not
    // say at once that it is ready...
    std::fs::remove_file(bed.dir.path().join("db-key")).unwrap();
    let notify = NotifySocket {
        socket: {
            std::fs::remove_file(&notify.path).unwrap();
            UnixDatagram::bind(&notify.path).unwrap()
        },
        path: notify.path.clone(),
    };
    let app = start(
        &["--config", bed.config.to_str().unwrap()],
        &display,
        &[("NOTIFY_SOCKET", notify.path.to_str().unwrap())],
        false,
        &dir.path().join("without-key.log"),
    );
    display.wait_for("Home without a store", Duration::from_secs(20), home_drawn);
    let until = Instant::now() + Duration::from_secs(4);
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if let Some(m) = notify.next(left.max(Duration::from_millis(1))) {
            assert!(
                !m.lines().any(|l| l == "READY=1"),
                "READY without a store:\n{}",
                app.log()
            );
        }
    }
    assert!(
        app.log().contains("sync cannot start"),
        "the log says why:\n{}",
        app.log()
    );
    // ...but not for ever: 20 s after the first frame READY comes all the same, saying the
    // store is not open (no restart loop, no reboot, the TV still works).
    let ready = notify.wait_for("READY=1", Duration::from_secs(25), &app);
    assert!(
        ready.contains("store is NOT open"),
        "READY without a store says so: {ready:?}"
    );
}

/// A private system bus: Debian's own default system-bus policy (read from
/// /usr/share/dbus-1/system.conf), plus ours, on a socket every user can reach.
struct SystemBus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl Drop for SystemBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl SystemBus {
    fn start() -> SystemBus {
        SystemBus::with("")
    }

    /// With `extra` bus configuration after ours (policies for the services a test stands up).
    fn with(extra: &str) -> SystemBus {
        let dir = tempfile::tempdir().unwrap();
        // An unprivileged caller must reach the socket.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let system = std::fs::read_to_string("/usr/share/dbus-1/system.conf")
            .expect("Debian's system bus policy (dbus-daemon: run scripts/setup.sh)");
        let start = system
            .find("<policy context=\"default\">")
            .expect("a default policy");
        let end = start + system[start..].find("</policy>").unwrap() + "</policy>".len();
        let socket = dir.path().join("system_bus_socket");
        let ours =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/io.github.bedside.Bedside1.conf");
        let config = dir.path().join("system.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>system</type><auth>EXTERNAL</auth>\
                 <listen>unix:path={}</listen>{}<include>{}</include>{extra}</busconfig>\n",
                socket.display(),
                &system[start..end],
                ours.display()
            ),
        )
        .unwrap();
        let daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (run scripts/setup.sh)");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "dbus-daemon never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        SystemBus {
            daemon,
            address: format!("unix:path={}", socket.display()),
            _dir: dir,
        }
    }

    /// `busctl --address=<bus> <args>`, as `as_nobody` or root: (success, stdout, stderr).
    fn busctl(&self, as_nobody: bool, args: &[&str]) -> (bool, String, String) {
        let mut command = if as_nobody {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "busctl"]);
            c
        } else {
            Command::new("busctl")
        };
        let out = command
            .arg(format!("--address={}", self.address))
            .args(args)
            .output()
            .expect("run busctl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        )
    }

    /// A property as a stranger (nobody) reads it: busctl's `TYPE VALUE`.
    fn property(&self, name: &str) -> String {
        let (ok, out, err) = self.busctl(
            true,
            &[
                "get-property",
                NAME,
                OBJECT,
                NAME, // the interface is named as the service
                name,
            ],
        );
        assert!(ok, "busctl get-property {name}: {err}");
        out
    }

    fn wait_property(&self, name: &str, want: &str, timeout: Duration, app: &Appliance) {
        let deadline = Instant::now() + timeout;
        loop {
            let (ok, out, _) = self.busctl(true, &["get-property", NAME, OBJECT, NAME, name]);
            if ok && out == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} never became {want} (last: {out}); the log:\n{}",
                app.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Whether this test runs as root; if not, it fails saying `required` where the system tests
/// are required (CI), and otherwise prints `skipped` and is skipped.
fn as_root(required: &str, skipped: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("BEDSIDE_REQUIRE_SYSTEM_TESTS").is_none(),
        "{required}"
    );
    eprintln!("{skipped}");
    false
}

const NAME: &str = "io.github.bedside.Bedside1";
const OBJECT: &str = "/io/github/bedside/Bedside1";

#[test]
fn the_bus_shows_anyone_what_the_box_does_and_lets_only_root_purge_or_reload() {
    if !as_root(
        "this test calls as another user (setpriv): it needs root",
        "skipped: calling as an unprivileged user needs root",
    ) {
        return;
    }
    let server = FhirServer::start();
    server.admit_synthea("Versie");
    let bed = Bed::new(&server.base);
    // One pass at the start, then none for the length of the test: after Purge the backend
    // (which still has Versie in the bed) would give her chart back at the next pass.
    let config = std::fs::read_to_string(&bed.config).unwrap();
    std::fs::write(
        &bed.config,
        config.replace("poll_seconds = 2", "poll_seconds = 600"),
    )
    .unwrap();
    let bus = SystemBus::start();
    let display = Display::start(1920, 1080);
    let dir = tempfile::tempdir().unwrap();
    let notify = NotifySocket::bind(dir.path());
    let mut app = start(
        &["--config", bed.config.to_str().unwrap()],
        &display,
        &[
            ("DBUS_SYSTEM_BUS_ADDRESS", &bus.address),
            ("NOTIFY_SOCKET", notify.path.to_str().unwrap()),
        ],
        false,
        &dir.path().join("bedside.log"),
    );
    let pid = app.child.id();

    // Anyone may read what the box is doing, never who is in the bed.
    bus.wait_property("PatientPresent", "b true", Duration::from_secs(30), &app);
    assert_eq!(bus.property("State"), "s \"on\"");
    assert_eq!(bus.property("Bed"), format!("s \"{}\"", common::fhir::BED));
    assert_eq!(bus.property("BackendLink"), "s \"online\"");
    let last_sync: i64 = bus
        .property("LastSync")
        .trim_start_matches("x ")
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - 60..=now + 5).contains(&last_sync),
        "LastSync {last_sync} is about now ({now})"
    );
    assert_eq!(bus.property("InCall"), "b false");
    assert_eq!(
        bus.property("Version"),
        format!("s \"{}\"", env!("CARGO_PKG_VERSION"))
    );
    let (_, everything, _) = bus.busctl(true, &["introspect", NAME, OBJECT, NAME]);
    for name in ["Versie", "Botsford"] {
        assert!(
            !everything.contains(name),
            "the bus shows the patient's name: {everything}"
        );
    }

    // A change is signalled: the patient puts the TV in standby.
    let mut monitor = Command::new("gdbus")
        .args(["monitor", "--address", &bus.address, "--dest", NAME])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gdbus (libglib2.0-bin: run scripts/setup.sh)");
    std::thread::sleep(Duration::from_millis(500));
    display.focus("Bedside");
    display.keys(&["F12"]);
    bus.wait_property("State", "s \"standby\"", Duration::from_secs(5), &app);
    std::thread::sleep(Duration::from_millis(300));
    let _ = monitor.kill();
    let mut heard = String::new();
    std::io::Read::read_to_string(monitor.stdout.as_mut().unwrap(), &mut heard).unwrap();
    let _ = monitor.wait();
    assert!(
        heard.contains("org.freedesktop.DBus.Properties.PropertiesChanged")
            && heard.contains("'State': <'standby'>"),
        "gdbus heard no State change: {heard}"
    );
    display.keys(&["F12"]);
    bus.wait_property("State", "s \"on\"", Duration::from_secs(5), &app);

    // A stranger may not purge or reload: the bus refuses them before the box hears it.
    for method in ["Purge", "Reload"] {
        let (ok, _, err) = bus.busctl(true, &["call", NAME, OBJECT, NAME, method]);
        assert!(!ok, "nobody could call {method}");
        assert!(
            err.contains("Access denied") || err.contains("AccessDenied"),
            "{method} refused for the wrong reason: {err}"
        );
    }
    assert_eq!(bus.property("PatientPresent"), "b true");
    assert!(bed.status()["patient_present"].as_bool().unwrap());

    // Root purges: the chart is gone from the store and the screen now.
    let (ok, out, err) = bus.busctl(false, &["call", NAME, OBJECT, NAME, "Purge"]);
    assert!(ok, "root's Purge failed: {err}\n{}", app.log());
    assert_eq!(out, "b true", "Purge says there was data");
    let status = bed.status();
    assert!(
        !status["patient_present"].as_bool().unwrap(),
        "the store still has a patient after Purge: {status}"
    );
    assert!(
        status["counts"].as_object().is_none_or(|c| c.is_empty()),
        "chart rows left after Purge: {status}"
    );
    bus.wait_property("PatientPresent", "b false", Duration::from_secs(5), &app);

    // Reload: a broken file is refused with its error and nothing changes...
    let good = std::fs::read_to_string(&bed.config).unwrap();
    std::fs::write(&bed.config, format!("{good}\n[bed]\nsurprise = 1\n")).unwrap();
    let (ok, _, err) = bus.busctl(false, &["call", NAME, OBJECT, NAME, "Reload"]);
    assert!(!ok, "a broken configuration was taken");
    assert!(
        err.contains("bed") || err.contains("surprise"),
        "the refusal says what is wrong: {err}"
    );
    assert_eq!(bus.property("State"), "s \"on\"");

    // ...a good one starts the appliance afresh in the same process, and READY follows again.
    std::fs::write(&bed.config, &good).unwrap();
    notify.drain();
    let (ok, _, err) = bus.busctl(false, &["call", NAME, OBJECT, NAME, "Reload"]);
    assert!(ok, "Reload failed: {err}");
    notify.wait_for("RELOADING=1", Duration::from_secs(5), &app);
    notify.wait_for("READY=1", Duration::from_secs(20), &app);
    bus.wait_property("BackendLink", "s \"online\"", Duration::from_secs(20), &app);
    // The same process (still our child, not reaped: it never exited) runs bedside afresh.
    assert!(
        app.child.try_wait().unwrap().is_none(),
        "the process exited on reload:\n{}",
        app.log()
    );
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    assert!(
        stat.contains("(bedside) S") || stat.contains("(bedside) R"),
        "the same process runs bedside again: {stat}"
    );
    assert_eq!(
        app.log().matches("showing the bedside UI").count(),
        2,
        "it started twice in one process:\n{}",
        app.log()
    );
}

/// RAUC's real service (Debian's rauc 1.8) on `bus`, with two slots of plain files and a
/// bootloader backend that writes each call down in `calls` (and says slot A is booted and
/// good). Killed when dropped.
struct Rauc {
    service: Child,
    calls: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Rauc {
    fn drop(&mut self) {
        let _ = self.service.kill();
        let _ = self.service.wait();
    }
}

impl Rauc {
    fn start(bus: &SystemBus) -> Rauc {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let calls = d.join("calls");
        for slot in ["rootfs0.img", "rootfs1.img"] {
            std::fs::write(d.join(slot), vec![0u8; 4096]).unwrap();
        }
        let backend = d.join("backend.sh");
        std::fs::write(
            &backend,
            format!(
                "#!/bin/sh\necho \"$@\" >> {}\ncase \"$1\" in get-primary|get-current) echo A ;; get-state) echo good ;; esac\n",
                calls.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(
            &backend,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let conf = d.join("system.conf");
        std::fs::write(
            &conf,
            format!(
                "[system]\ncompatible=bedside-test\nbootloader=custom\nstatusfile={d}/status.raucs\n\
                 [handlers]\nbootloader-custom-backend={b}\n\
                 [slot.rootfs.0]\ndevice={d}/rootfs0.img\ntype=raw\nbootname=A\n\
                 [slot.rootfs.1]\ndevice={d}/rootfs1.img\ntype=raw\nbootname=B\n",
                d = d.display(),
                b = backend.display()
            ),
        )
        .unwrap();
        std::fs::create_dir(d.join("mnt")).unwrap();
        let service = Command::new("rauc")
            .arg(format!("--conf={}", conf.display()))
            .arg(format!("--mount={}", d.join("mnt").display()))
            .args(["service", "--override-boot-slot=A"])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("rauc.log")).unwrap())
            .spawn()
            .expect("start rauc (rauc-service: run scripts/setup.sh)");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (ok, out, _) = bus.busctl(
                false,
                &[
                    "get-property",
                    "de.pengutronix.rauc",
                    "/",
                    "de.pengutronix.rauc.Installer",
                    "BootSlot",
                ],
            );
            if ok && out == "s \"A\"" {
                break;
            }
            assert!(Instant::now() < deadline, "RAUC never came on the bus");
            std::thread::sleep(Duration::from_millis(50));
        }
        Rauc {
            service,
            calls,
            _dir: dir,
        }
    }

    fn calls(&self) -> String {
        std::fs::read_to_string(&self.calls).unwrap_or_default()
    }
}

/// RAUC's own bus policy (it lets root own its name and anyone call it), as Debian installs it.
const RAUC_POLICY: &str = "<include>/usr/share/dbus-1/system.d/de.pengutronix.rauc.conf</include>";

#[test]
fn a_healthy_start_marks_the_booted_slot_good_with_the_real_rauc() {
    if !as_root(
        "RAUC's policy lets only root own its name: this test needs root",
        "skipped: RAUC's service needs root to own its name",
    ) {
        return;
    }
    let server = FhirServer::start();
    server.admit_synthea("Versie");
    let bed = Bed::new(&server.base);
    let bus = SystemBus::with(RAUC_POLICY);
    let rauc = Rauc::start(&bus);
    let display = Display::start(1920, 1080);
    let dir = tempfile::tempdir().unwrap();

    // Not healthy: the store cannot open (its key is gone). The slot is left unmarked, so a
    // reboot would fall back to the other one.
    let key = bed.dir.path().join("db-key");
    let kept = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let app = start(
        &["--config", bed.config.to_str().unwrap()],
        &display,
        &[("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)],
        false,
        &dir.path().join("sick.log"),
    );
    bus.wait_property("BootSlot", "s \"A\"", Duration::from_secs(20), &app);
    assert_eq!(bus.property("UpdateState"), "s \"idle\"");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !rauc.calls().contains("set-state"),
        "a box without its store marked its slot: {}",
        rauc.calls()
    );
    assert_eq!(bus.property("BootedSlotGood"), "b false");
    drop(app);

    // Healthy: Home on screen, the store open, one sync pass: the booted slot is marked good.
    std::fs::write(&key, kept).unwrap();
    let app = start(
        &["--config", bed.config.to_str().unwrap()],
        &display,
        &[("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)],
        false,
        &dir.path().join("healthy.log"),
    );
    bus.wait_property("BootedSlotGood", "b true", Duration::from_secs(30), &app);
    assert_eq!(
        rauc.calls()
            .lines()
            .filter(|l| l.starts_with("set-state"))
            .collect::<Vec<_>>(),
        ["set-state A good"],
        "RAUC told the bootloader once that slot A is good"
    );
    assert!(bus.property("BootSlot") == "s \"A\"");
    assert!(
        app.log().contains("the booted slot is marked good"),
        "the log says so:\n{}",
        app.log()
    );
}

/// NetworkManager's main object as the appliance reads it (its `State`, an `NMState`, from
/// NetworkManager's published org.freedesktop.NetworkManager.xml). A stand-in: the real daemon
/// manages the machine's own interfaces and would take over the test machine's network.
struct NetworkManagerStandIn {
    state: u32,
}

#[zbus::interface(name = "org.freedesktop.NetworkManager")]
impl NetworkManagerStandIn {
    #[zbus(property)]
    fn state(&self) -> u32 {
        self.state
    }
}

#[test]
fn the_header_says_no_network_when_network_manager_says_it_is_down() {
    if !as_root(
        "the stand-in owns NetworkManager's name as root: this test needs root",
        "skipped: owning NetworkManager's name needs root",
    ) {
        return;
    }
    // A backend nobody answers at: the header says Offline, until the network itself is down.
    let port = common::fhir::free_port();
    let bed = Bed::new(&format!("http://127.0.0.1:{port}/fhir"));
    let bus = SystemBus::with(
        // As NetworkManager's own policy: root owns the name, anyone may read its properties.
        "<policy user=\"root\"><allow own=\"org.freedesktop.NetworkManager\"/></policy>\
         <policy context=\"default\"><allow send_destination=\"org.freedesktop.NetworkManager\" \
         send_interface=\"org.freedesktop.DBus.Properties\"/></policy>",
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let nm_path = "/org/freedesktop/NetworkManager";
    let nm = runtime
        .block_on(async {
            zbus::connection::Builder::address(bus.address.as_str())?
                .name("org.freedesktop.NetworkManager")?
                .serve_at(nm_path, NetworkManagerStandIn { state: 70 })?
                .build()
                .await
        })
        .expect("the NetworkManager stand-in on the bus");
    let set_state = |state: u32| {
        runtime.block_on(async {
            let iface = nm
                .object_server()
                .interface::<_, NetworkManagerStandIn>(nm_path)
                .await
                .unwrap();
            iface.get_mut().await.state = state;
            iface
                .get()
                .await
                .state_changed(iface.signal_emitter())
                .await
                .unwrap();
        })
    };

    let display = Display::start(1920, 1080);
    let dir = tempfile::tempdir().unwrap();
    let app = start(
        &["--config", bed.config.to_str().unwrap()],
        &display,
        &[("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)],
        false,
        &dir.path().join("bedside.log"),
    );
    bus.wait_property("Network", "s \"up\"", Duration::from_secs(20), &app);
    assert_eq!(bus.property("BackendLink"), "s \"offline\"");
    std::thread::sleep(Duration::from_millis(500));
    let header = |p: &common::Picture| {
        let mut h = p.clone();
        // The clock and date move: only the status area at the right is compared.
        h.blank(0, 0, 1100, 1080);
        h.blank(1100, 140, 820, 940);
        h
    };
    let offline = header(&display.picture());

    // The cable is pulled: NM says disconnected (20).
    set_state(20);
    bus.wait_property("Network", "s \"down\"", Duration::from_secs(5), &app);
    let down = display.wait_for("No network", Duration::from_secs(5), |p| {
        header(p).pixels_differing(&offline, 16) > 200
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/system-no-network.png");
    down.write(&path);

    // Back (70, connected globally): Offline again, exactly as before.
    set_state(70);
    bus.wait_property("Network", "s \"up\"", Duration::from_secs(5), &app);
    display.wait_for("Offline again", Duration::from_secs(5), |p| {
        header(p).pixels_differing(&offline, 16) < 50
    });
}

#[test]
fn the_service_refuses_a_stranger_itself_where_the_bus_policy_would_let_them_through() {
    if !as_root(
        "this test calls as another user (setpriv): it needs root",
        "skipped: calling as an unprivileged user needs root",
    ) {
        return;
    }
    // A bus whose policy lets anybody call anything (ours missing, or broken by a site's own
    // file): the method's own check is then all that stands between a stranger and Purge.
    let bus = SystemBus::with(
        "<policy context=\"mandatory\"><allow send_destination=\"io.github.bedside.Bedside1\"/></policy>",
    );
    let display = Display::start(1920, 1080);
    let dir = tempfile::tempdir().unwrap();
    let app = start(
        &["--demo"],
        &display,
        &[("DBUS_SYSTEM_BUS_ADDRESS", &bus.address)],
        false,
        &dir.path().join("bedside.log"),
    );
    bus.wait_property("State", "s \"on\"", Duration::from_secs(20), &app);
    for method in ["Purge", "Reload"] {
        let (ok, _, err) = bus.busctl(true, &["call", NAME, OBJECT, NAME, method]);
        assert!(!ok, "nobody could call {method}");
        assert!(
            err.contains("Access denied"),
            "{method} refused for the wrong reason: {err}"
        );
    }
    // busctl shows only "Access denied" for that error name: the service's log tells whose
    // refusal it was (nobody's uid, both times).
    let deadline = Instant::now() + Duration::from_secs(5);
    while app
        .log()
        .matches("a privileged D-Bus method was refused")
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "the service itself did not refuse them:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(app.log().contains("uid=65534"), "{}", app.log());
    // Root gets past the check (the demo keeps no data to purge, and says so).
    let (ok, _, err) = bus.busctl(false, &["call", NAME, OBJECT, NAME, "Purge"]);
    assert!(!ok && err.contains("keeps no patient data"), "{err}");
}
