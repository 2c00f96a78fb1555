//! Helpers for tests that run the real `bedside` binary and look at its pictures.

#![allow(dead_code)]

pub mod calls;
pub mod chromium;
pub mod display;
pub mod fhir;
pub mod slapd;
pub mod sound;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `openssl` with `args` in `dir` (test keys and certificates), failing loudly.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fixed moment every picture is taken at, so the clock never changes a golden.
pub const NOW: &str = "2026-11-25T09:41";

pub fn bedside() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bedside"))
}

/// A decoded RGB picture.
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Picture({}x{})", self.width, self.height)
    }
}

impl Picture {
    pub fn read(path: &Path) -> Picture {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        ));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut rgb = vec![0; reader.output_buffer_size().expect("fits in memory")];
        let info = reader.next_frame(&mut rgb).expect("PNG data");
        assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
        rgb.truncate(info.buffer_size());
        Picture {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    pub fn write(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut encoder = png::Encoder::new(file, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&self.rgb).unwrap();
    }

    /// Paints a rectangle black: a part of the screen that changes by itself (a call's clock)
    /// left out of a comparison.
    pub fn blank(&mut self, x0: u32, y0: u32, w: u32, h: u32) {
        for y in y0..(y0 + h).min(self.height) {
            for x in x0..(x0 + w).min(self.width) {
                let i = ((y * self.width + x) * 3) as usize;
                self.rgb[i..i + 3].copy_from_slice(&[0, 0, 0]);
            }
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The centre of all pixels of exactly this colour, or `None` if there are none.
    pub fn centre_of(&self, colour: [u8; 3]) -> Option<(f64, f64)> {
        let (mut n, mut sx, mut sy) = (0u64, 0u64, 0u64);
        for y in 0..self.height {
            for x in 0..self.width {
                if self.pixel(x, y) == colour {
                    n += 1;
                    sx += u64::from(x);
                    sy += u64::from(y);
                }
            }
        }
        (n > 0).then(|| (sx as f64 / n as f64, sy as f64 / n as f64))
    }

    /// How many pixels differ by more than `tolerance` in any channel.
    /// How many distinct colours a region has (5 bits a channel, every 4th pixel): a real
    /// picture has many, a flat background a few.
    pub fn colours(&self, x0: u32, y0: u32, w: u32, h: u32) -> usize {
        let mut seen = std::collections::HashSet::new();
        for y in (y0..y0 + h).step_by(4) {
            for x in (x0..x0 + w).step_by(4) {
                let [r, g, b] = self.pixel(x, y);
                seen.insert((r >> 3, g >> 3, b >> 3));
            }
        }
        seen.len()
    }

    pub fn pixels_differing(&self, other: &Picture, tolerance: u8) -> usize {
        assert_eq!((self.width, self.height), (other.width, other.height));
        self.rgb
            .chunks_exact(3)
            .zip(other.rgb.chunks_exact(3))
            .filter(|(a, b)| {
                a.iter()
                    .zip(b.iter())
                    .any(|(p, q)| p.abs_diff(*q) > tolerance)
            })
            .count()
    }

    /// Differing pixels in red over a dimmed copy of `self`.
    pub fn diff_image(&self, other: &Picture, tolerance: u8) -> Picture {
        let mut rgb = Vec::with_capacity(self.rgb.len());
        for (a, b) in self.rgb.chunks_exact(3).zip(other.rgb.chunks_exact(3)) {
            if a.iter()
                .zip(b.iter())
                .any(|(p, q)| p.abs_diff(*q) > tolerance)
            {
                rgb.extend_from_slice(&[255, 0, 0]);
            } else {
                rgb.extend(a.iter().map(|c| c / 3));
            }
        }
        Picture {
            width: self.width,
            height: self.height,
            rgb,
        }
    }
}

/// `bedside snapshot ARGS --now NOW --keys KEYS --out OUT`: the one way the tests take a
/// picture (the helpers below only fill in its arguments).
pub fn run_snapshot_at(args: &[&str], now: &str, keys: &str, out: &Path) -> Output {
    bedside()
        .arg("snapshot")
        .args(args)
        .args(["--now", now, "--keys", keys, "--out"])
        .arg(out)
        .env_remove("BEDSIDE_LOG")
        .output()
        .expect("run bedside")
}

pub fn run_snapshot(args: &[&str], keys: &str, out: &Path) -> Output {
    run_snapshot_at(args, NOW, keys, out)
}

/// The picture after `keys`, at `now`. `quiet`: the snapshot must print nothing at all.
fn picture(args: &[&str], now: &str, keys: &str, quiet: bool) -> Picture {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shot.png");
    let output = run_snapshot_at(args, now, keys, &out);
    assert!(
        output.status.success(),
        "bedside snapshot {args:?} --keys {keys:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !quiet || (output.stdout.is_empty() && output.stderr.is_empty()),
        "a snapshot prints nothing but errors; it printed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Picture::read(&out)
}

pub fn snapshot(args: &[&str], keys: &str) -> Picture {
    picture(args, NOW, keys, true)
}

pub fn demo(keys: &str) -> Picture {
    snapshot(&["--demo"], keys)
}

/// A config file for an empty bed, keeping its state in `dir`.
pub fn empty_bed_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("bedside.toml");
    std::fs::write(
        &path,
        format!(
            "[device]\nid = \"urn:example:device|TV-4N-07B\"\n\
             [bed]\nlocation = \"urn:example:bed|4N-07B\"\nname = \"4 North · Room 7 · Bed B\"\n\
             [store]\ndata_dir = \"{}\"\n{extra}",
            dir.join("state").display()
        ),
    )
    .unwrap();
    path
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Pixels may differ by this much per channel (rounding in anti-aliasing) ...
pub const TOLERANCE: u8 = 24;
/// ... and this many pixels may differ beyond it. A moved focus ring, a changed word or a wrong
/// colour changes thousands.
pub const MAX_DIFFERING: usize = 200;

/// Compares `picture` with `tests/golden/<name>.png`; with `BEDSIDE_UPDATE_GOLDEN=1` writes it
/// instead. On a mismatch the actual picture and a diff go to `target/golden-failures/`.
pub fn assert_golden(name: &str, picture: &Picture) {
    let golden = golden_dir().join(format!("{name}.png"));
    if std::env::var_os("BEDSIDE_UPDATE_GOLDEN").is_some() {
        picture.write(&golden);
        return;
    }
    assert!(
        golden.exists(),
        "no golden {} yet: run with BEDSIDE_UPDATE_GOLDEN=1, then look at it",
        golden.display()
    );
    let expected = Picture::read(&golden);
    let differing = expected.pixels_differing(picture, TOLERANCE);
    if differing > MAX_DIFFERING {
        let failures = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/golden-failures");
        picture.write(&failures.join(format!("{name}.actual.png")));
        expected
            .diff_image(picture, TOLERANCE)
            .write(&failures.join(format!("{name}.diff.png")));
        panic!(
            "{name}: {differing} pixels differ from {} (see target/golden-failures/{name}.*.png)",
            golden.display()
        );
    }
}

/// `bedside snapshot` of the bed of `config` at [`NOW`] after `keys`, with `extra` arguments
/// (`--wait MS`). Panics with the program's errors if it fails.
pub fn config_shot(config: &Path, keys: &str, extra: &[&str]) -> Picture {
    config_shot_at(config, NOW, keys, extra)
}

/// [`config_shot`] with the clock at `now` ("2026-11-25T18:19").
pub fn config_shot_at(config: &Path, now: &str, keys: &str, extra: &[&str]) -> Picture {
    let config = config.to_str().expect("a UTF-8 path");
    let mut args = vec!["--config", config];
    args.extend_from_slice(extra);
    picture(&args, now, keys, false)
}

/// Home for the bed of `config` at a given local time (printing nothing).
pub fn bedside_at(config: &Path, now: &str) -> Picture {
    let config = config.to_str().expect("a UTF-8 path");
    picture(&["--config", config], now, "", true)
}
