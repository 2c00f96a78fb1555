//! Input: from an `input_event` record written to a pipe (standing in for /dev/input/eventN,
//! which these machines lack) to the button arriving on the UI thread, through the same reader,
//! channel and engine threads as a live device. Then throughput under a flood, with memory.
//!
//! Run: `cargo bench --bench input` (or `make bench`).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bedside::input::device::{DeviceClass, DeviceInfo};
use bedside::input::event::{RawEvent, SYN_REPORT};
use bedside::input::keymap::Keymap;
use bedside::input::linux;
use bedside::ui::app::TimeSource;
use bedside::ui::inbox::Inbound;

const KEY_LEFT: u16 = 105;
const KEY_RIGHT: u16 = 106;

fn tap(code: u16, bytes: &mut Vec<u8>) {
    for value in [1, 0] {
        bytes.extend_from_slice(&RawEvent::key(code, value, Duration::ZERO).to_bytes());
        bytes.extend_from_slice(&RawEvent::syn(SYN_REPORT, Duration::ZERO).to_bytes());
    }
}

fn remote() -> DeviceInfo {
    DeviceInfo {
        name: "bench remote".into(),
        ..DeviceInfo::default()
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Key record written → button handed to the shell on the UI thread (which also draws).
fn latency() {
    const PRESSES: usize = 2000;
    let at = "2026-11-25T09:41".parse().unwrap();
    let (headless, app) =
        bedside::launch::headless_demo((1920, 1080), TimeSource::Fixed(at)).unwrap();
    headless.draw();
    let inbox = app.inbox();

    let (reader, mut writer) = std::io::pipe().unwrap();
    let received = Arc::new(Mutex::new(Vec::with_capacity(PRESSES)));
    let arrived = received.clone();
    linux::start_stream(
        reader,
        remote(),
        DeviceClass::Remote,
        Keymap::builtin(),
        move |output| {
            let arrived = arrived.clone();
            // Stamped on the UI thread in its turn, just before the input is handled.
            inbox.send(Inbound::Run(Box::new(move || {
                arrived.lock().unwrap().push(Instant::now())
            })));
            assert!(inbox.send(Inbound::Input(output)));
        },
    )
    .unwrap();

    let sent = std::thread::spawn(move || {
        let mut sent = Vec::with_capacity(PRESSES);
        let mut bytes = Vec::new();
        for i in 0..PRESSES {
            bytes.clear();
            // Right, Left, Right...: the focus moves and the screen redraws each time.
            tap(if i % 2 == 0 { KEY_RIGHT } else { KEY_LEFT }, &mut bytes);
            sent.push(Instant::now());
            writer.write_all(&bytes).unwrap();
            std::thread::sleep(Duration::from_millis(3));
        }
        std::thread::sleep(Duration::from_millis(300));
        slint::quit_event_loop().unwrap();
        sent
    });
    slint::run_event_loop().unwrap();
    let sent = sent.join().unwrap();
    let received = received.lock().unwrap();
    assert_eq!(received.len(), PRESSES, "every press arrived");
    let mut lat: Vec<Duration> = sent
        .iter()
        .zip(received.iter())
        .map(|(s, r)| *r - *s)
        .collect();
    lat.sort();
    println!(
        "event written to button on the UI thread   p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  (n={PRESSES}, UI drawing each)",
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        pct(&lat, 100.0)
    );
    println!("  frames drawn meanwhile: {}", headless.frames_drawn());
}

/// A device sending as fast as the pipe takes: events per second through reader and engine,
/// and what it costs in memory.
fn flood() {
    const TAPS: usize = 250_000; // a million records
    let before = peak_rss_kb();
    let (reader, mut writer) = std::io::pipe().unwrap();
    let buttons = Arc::new(AtomicU64::new(0));
    let counted = buttons.clone();
    let engine = linux::start_stream(
        reader,
        remote(),
        DeviceClass::Remote,
        Keymap::builtin(),
        move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
        },
    )
    .unwrap();
    let mut bytes = Vec::new();
    for _ in 0..1000 {
        tap(KEY_RIGHT, &mut bytes);
    }
    let start = Instant::now();
    for _ in 0..TAPS / 1000 {
        writer.write_all(&bytes).unwrap();
    }
    drop(writer);
    engine.join().unwrap();
    let took = start.elapsed();
    let records = TAPS * 4;
    println!(
        "flood: {records} records in {:.0} ms = {:.1} M events/s, {} buttons; peak RSS {} -> {} KB",
        took.as_secs_f64() * 1e3,
        records as f64 / took.as_secs_f64() / 1e6,
        buttons.load(Ordering::Relaxed),
        before,
        peak_rss_kb()
    );
    assert_eq!(
        buttons.load(Ordering::Relaxed),
        TAPS as u64,
        "no press lost or invented"
    );
}

fn main() {
    // As the appliance runs (see `launch::tune_memory`).
    bedside::launch::tune_memory();
    println!("bedside input benchmark (release)\n");
    flood();
    latency();
}
