//! A real X display for tests that run the `bedside` binary in a window, as `make run` does on
//! a desktop: Xvfb (Debian's `xvfb`), keys typed into the window with `xdotool` (XTEST, the
//! way a keyboard's keys arrive), and pictures of the screen read from Xvfb's own frame buffer
//! (`-fbdir`: the screen as an XWD file, always current), so no screenshot tool is needed.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Picture;

pub struct Display {
    xvfb: Child,
    /// `:N`, for `DISPLAY`.
    pub name: String,
    frame_buffer: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

impl Display {
    /// An X server with one screen of this size, on a display number it picks itself.
    pub fn start(width: u32, height: u32) -> Display {
        let dir = tempfile::tempdir().unwrap();
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .arg("-fbdir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (Debian's xvfb: run scripts/setup.sh)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().expect("Xvfb's stdout"))
            .read_line(&mut line)
            .expect("Xvfb says its display");
        let number: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb said {line:?}, not a display number"));
        Display {
            xvfb,
            name: format!(":{number}"),
            frame_buffer: dir.path().join("Xvfb_screen0"),
            _dir: dir,
        }
    }

    /// Gives the keyboard to the window titled `title`, as clicking on it would (there is no
    /// window manager to do it).
    pub fn focus(&self, title: &str) {
        let status = Command::new("xdotool")
            .args([
                "search",
                "--sync",
                "--name",
                &format!("^{title}$"),
                "windowfocus",
                "--sync",
            ])
            .env("DISPLAY", &self.name)
            .status()
            .expect("run xdotool (Debian's xdotool: run scripts/setup.sh)");
        assert!(status.success(), "xdotool could not focus {title}");
    }

    /// Types keys as a keyboard would (`xdotool key` names: `Return`, `Escape`, `Left`...)
    /// into the window under the pointer, one at a time.
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("xdotool")
                .args(["key", "--delay", "0", key])
                .env("DISPLAY", &self.name)
                .status()
                .expect("run xdotool (Debian's xdotool: run scripts/setup.sh)");
            assert!(status.success(), "xdotool key {key}");
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// The screen as it is now.
    pub fn picture(&self) -> Picture {
        let bytes = std::fs::read(&self.frame_buffer).expect("Xvfb's frame buffer");
        picture_of_xwd(&bytes)
    }

    /// Waits until the screen shows what `done` looks for, returning that picture.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Picture) -> bool,
    ) -> Picture {
        let started = Instant::now();
        loop {
            let picture = self.picture();
            if done(&picture) {
                return picture;
            }
            if started.elapsed() > timeout {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("target/display-failures")
                    .join(format!("{}.png", what.replace(' ', "-")));
                picture.write(&path);
                panic!("the screen never showed {what} (last: {})", path.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ana (tests/common/slapd.rs) signs in as on a box without a badge reader, from Home:
    /// Settings, her staff number, OK, her PIN, OK; returns once the staff frame shows.
    pub fn sign_in_by_number(&self) {
        self.keys(&["Down", "Right", "Right", "Return"]);
        self.keys(&["0", "0", "1", "2", "3", "4", "5", "Return"]);
        self.keys(&["2", "4", "6", "8", "Return"]);
        self.wait_for("the staff frame", Duration::from_secs(10), staff_frame);
    }
}

/// The `bedside` binary running in a [`Display`]'s window; killed when dropped.
pub struct Appliance(pub Child);

impl Drop for Appliance {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Display {
    /// Runs the appliance on `config` in a window here, as `make run` does on a desktop: sound
    /// on through the PulseAudio server at `pulse`, its journal (at info) in `log`.
    pub fn run_bedside(
        &self,
        config: &std::path::Path,
        pulse: &str,
        log: &std::path::Path,
    ) -> Appliance {
        let child = super::bedside()
            .arg("--config")
            .arg(config)
            .env("DISPLAY", &self.name)
            .env_remove("WAYLAND_DISPLAY")
            .env("PULSE_SERVER", pulse)
            .env("BEDSIDE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start bedside");
        Appliance(child)
    }
}

/// The staff frame (its lilac border) is on screen.
pub fn staff_frame(picture: &Picture) -> bool {
    picture.pixel(3, 540) == [0xc0, 0x8c, 0xff]
}

/// Reads Xvfb's XWD frame buffer (ZPixmap, 32 bits a pixel, as Xvfb writes a 24-bit screen).
fn picture_of_xwd(bytes: &[u8]) -> Picture {
    let field = |i: usize| u32::from_be_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
    let (header, version, format, width, height) =
        (field(0), field(1), field(2), field(4), field(5));
    let (byte_order, bits_per_pixel, bytes_per_line, colours) =
        (field(7), field(11), field(12), field(19));
    assert_eq!(
        (version, format, bits_per_pixel),
        (7, 2, 32),
        "an XWD ZPixmap of 32 bits a pixel"
    );
    let start = header as usize + colours as usize * 12;
    let mut rgb = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height as usize {
        let row = &bytes[start + y * bytes_per_line as usize..];
        for x in 0..width as usize {
            let p = &row[x * 4..x * 4 + 4];
            // Masks are 0xff0000, 0xff00, 0xff: red is the third byte of a little-endian pixel.
            let [r, g, b] = if byte_order == 0 {
                [p[2], p[1], p[0]]
            } else {
                [p[1], p[2], p[3]]
            };
            rgb.extend_from_slice(&[r, g, b]);
        }
    }
    Picture { width, height, rgb }
}
