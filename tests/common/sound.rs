//! A sound card for tests that play sound through the appliance's real path.
//!
//! The appliance plays and records through `autoaudiosink`/`autoaudiosrc`: bins that pick the
//! best sink or source that answers when they start (PulseAudio's when a server runs, else
//! ALSA's default device, else a fake one). These machines have no sound card. ALSA's own
//! `null` device is no stand-in: it takes samples as fast as they come (100 buffers "played" in
//! 2 ms here), so an audio sink on it, which is also the pipeline's clock, would race. A private
//! PulseAudio server with a null sink keeps real time; `autoaudiosink` picks `pulsesink` for it
//! (and ALSA clients reach it too, through Debian's `/etc/alsa/conf.d/99-pulse.conf`). What the
//! tests exercise is the appliance's own element, the bin, with a real sink inside: the bin is
//! where calls once crashed on accept. `PULSE_SERVER` names the server.
//!
//! In-process tests call [`install`] first thing: it starts one server for the test process and
//! sets `PULSE_SERVER` in this process's environment. Every test runs in a process of its own
//! under nextest (`make test`); under `cargo test` the tests of one binary share the server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct SoundServer {
    child: Child,
    /// For `PULSE_SERVER`.
    pub address: String,
    dir: tempfile::TempDir,
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SoundServer {
    /// A PulseAudio server of its own with one null sink, `speaker` (its monitor is the default
    /// source, so a microphone records silence).
    pub fn start() -> SoundServer {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("native");
        let mut child = Command::new("pulseaudio");
        child
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disallow-module-loading",
                "--log-target=stderr",
                "--log-level=error",
                "-L",
                "module-null-sink sink_name=speaker",
            ])
            .arg("-L")
            .arg(format!(
                "module-native-protocol-unix auth-anonymous=1 socket={}",
                socket.display()
            ))
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env_remove("DISPLAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // The server ends with the thread that started it, even when nothing drops it (the
        // process-wide server of `install`, or a test that panicked and aborted).
        // SAFETY: prctl is async-signal-safe and touches nothing of the parent.
        unsafe {
            use std::os::unix::process::CommandExt;
            child.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = child
            .spawn()
            .expect("start pulseaudio (Debian's pulseaudio: run scripts/setup.sh)");
        let address = format!("unix:{}", socket.display());
        let server = SoundServer {
            child,
            address,
            dir,
        };
        let started = Instant::now();
        while server.pactl(&["info"]).is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the test sound server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `pactl` against this server: its output, or None when it failed.
    pub fn pactl(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("pactl")
            .args(args)
            .env("PULSE_SERVER", &self.address)
            .env("HOME", self.dir.path())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Streams process `pid` plays into the speaker now (other processes, such as the
    /// browser at the far end of a call, may play here too).
    pub fn playing_from(&self, pid: u32) -> usize {
        self.streams_of("sink-inputs", pid)
    }

    /// Streams process `pid` records now (a microphone in use).
    pub fn recording_from(&self, pid: u32) -> usize {
        self.streams_of("source-outputs", pid)
    }

    /// Streams this test process plays now.
    pub fn playing(&self) -> usize {
        self.playing_from(std::process::id())
    }

    fn streams_of(&self, what: &str, pid: u32) -> usize {
        let owner = format!("application.process.id = \"{pid}\"");
        self.pactl(&["list", what])
            .map_or(0, |s| s.lines().filter(|l| l.trim() == owner).count())
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("native")
    }
}

/// Starts this process's sound server once and points this process's ALSA and PulseAudio
/// clients at it. Call it before anything opens a sound device.
pub fn install() -> &'static SoundServer {
    static SERVER: OnceLock<SoundServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        // Started from a thread that lives as long as the process: the server is never dropped,
        // and ends with that thread (see `start`), so it never outlives the test process.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("sound-server".into())
            .spawn(move || {
                tx.send(SoundServer::start())
                    .expect("install waits for the server");
                loop {
                    std::thread::park();
                }
            })
            .expect("spawn the sound server's thread");
        let server = rx.recv().expect("the sound server started");
        // SAFETY: called at the start of a test, before the test starts threads that read the
        // environment (GStreamer, ALSA); under nextest each test is a process of its own.
        unsafe { std::env::set_var("PULSE_SERVER", &server.address) };
        server
    })
}

/// Waits until `done` holds for the server, or panics saying `what`.
pub fn wait_for(
    server: &SoundServer,
    what: &str,
    timeout: Duration,
    done: impl Fn(&SoundServer) -> bool,
) {
    let started = Instant::now();
    while !done(server) {
        assert!(
            started.elapsed() < timeout,
            "the sound server never saw: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
