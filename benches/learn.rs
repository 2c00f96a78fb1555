//! Learn's speed (`cargo bench --bench learn`, release, software renderer, 1920x1080). The
//! appliance runs in-process on the headless platform with the demo patient, whose record is
//! given 50 assignments (the demo's, many times over) the way sync gives a record.
//!
//! - OK on Learn's tile → the list's first frame, with 50 assignments (budget 100 ms p95)
//! - a page turn → its frame, and a teach-back answer → its frame (budget 8 ms p99)
//! - OK on a video assignment → its first picture on screen, from a local file (budget 500 ms
//!   p95; the clip is made with GStreamer like `make run`'s)
//! - a PDF leaflet's page drawn by poppler, whole and wide, as Learn's cache draws it (the demo's
//!   A4 leaflet; budget 300 ms a page, p95)
//! - on a PDF leaflet read at the wide width: Up/Down → frame and a page turn → frame, with the
//!   pictures read ahead as the appliance reads them (budget 8 ms p99)
//!
//! Exits non-zero when a budget is broken.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedside::domain::button::Button;
use bedside::domain::shell::Screen;
use bedside::launch::Setup;
use bedside::sync::status::{Link, SyncStatus};
use bedside::ui::app::{App, TimeSource};
use bedside::ui::headless::Headless;

const RUNS: usize = 30;

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p / 100.0).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(name: &str, samples: &mut [Duration]) -> (Duration, Duration) {
    let (p50, p95, p99) = (pct(samples, 50.0), pct(samples, 95.0), pct(samples, 99.0));
    println!(
        "{name:<40} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  (n={})",
        ms(p50),
        ms(p95),
        ms(p99),
        samples.len()
    );
    (p95, p99)
}

fn press(headless: &Headless, app: &App, button: Button) -> Duration {
    let start = Instant::now();
    app.press(button);
    headless.draw();
    start.elapsed()
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("bedside Learn benchmark: release, software renderer, 1920x1080, {cores} cores\n");
    // The demo video, made as `make run` makes it.
    let media = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("gst-launch-1.0")
        .args(["-q", "videotestsrc", "num-buffers=250", "pattern=ball"])
        .args(["!", "video/x-raw,width=1280,height=720,framerate=25/1"])
        .args(["!", "x264enc", "speed-preset=veryfast", "key-int-max=25"])
        .args([
            "!",
            "h264parse",
            "!",
            "mp4mux",
            "faststart=true",
            "!",
            "filesink",
        ])
        .arg(format!(
            "location={}",
            media.path().join("learn-walking.mp4").display()
        ))
        .status()
        .expect("gst-launch-1.0");
    assert!(made.success());
    // SAFETY: set before any other thread of this process starts.
    unsafe { std::env::set_var("BEDSIDE_DEMO_MEDIA", media.path()) };

    let setup = Setup::load(None, true).unwrap();
    let (headless, app) =
        bedside::launch::headless_app(setup, (1920, 1080), TimeSource::System).unwrap();
    headless.draw();
    // The demo's PDF leaflet drawn as Learn's cache draws it.
    let pdf =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/learn-hand-hygiene.pdf");
    let pictures = tempfile::tempdir().unwrap();
    let mut drawn = Vec::new();
    let mut heights = Vec::new();
    for i in 0..RUNS / 3 {
        let out = pictures.path().join(format!("run-{i}"));
        let start = Instant::now();
        heights = bedside::learn::cache::draw(&pdf, &out).expect("poppler draws the leaflet");
        drawn.push(start.elapsed() / heights.len() as u32);
    }
    let leaflet = bedside::domain::learn::Leaflet {
        dir: pictures.path().join("run-0"),
        heights,
    };

    // Fifty assignments: the demo's four, again and again, under other Task ids.
    let demo = bedside::demo::record().unwrap();
    let mut many = Vec::new();
    for i in 0..17 {
        for a in demo.learn() {
            let mut a = a.clone();
            if i > 0 {
                a.task = format!("{}-{i}", a.task);
            }
            many.push(a);
        }
    }
    many.truncate(50);
    for a in &mut many {
        if let bedside::domain::learn::Material::Pdf { leaflet: l, .. } = &mut a.material {
            *l = Some(leaflet.clone());
        }
    }
    bedside::domain::learn::sort(&mut many);
    let pdf_at = many
        .iter()
        .position(|a| matches!(a.material, bedside::domain::learn::Material::Pdf { .. }))
        .expect("the demo's PDF leaflet");
    let video_at = many
        .iter()
        .position(|a| matches!(a.material, bedside::domain::learn::Material::Video { .. }))
        .expect("the demo's video");
    let mut record = demo.clone();
    record.set_learn(many);
    app.sync_status(SyncStatus {
        occupant: Some(bedside::demo::patient().unwrap()),
        occupant_changed: false,
        link: Link::Demo,
        fresh_at: None,
        outbox_waiting: 0,
        record: Arc::new(record),
        after_pass: false,
    });
    headless.draw();

    // Home → Learn's tile.
    app.press(Button::Right);
    headless.draw();
    let mut open = Vec::new();
    for _ in 0..=RUNS {
        open.push(press(&headless, &app, Button::Ok));
        assert_eq!(app.screen(), Screen::Learn);
        press(&headless, &app, Button::Back);
    }
    open.remove(0); // the first builds the screen's items for the first time

    // The falls leaflet (first): pages back and forth, then its questions.
    press(&headless, &app, Button::Ok);
    press(&headless, &app, Button::Ok);
    assert_eq!(app.screen(), Screen::LearnPage);
    let mut turns = Vec::new();
    for i in 0..RUNS * 4 {
        let arrow = if i % 4 < 2 {
            Button::Right
        } else {
            Button::Left
        };
        turns.push(press(&headless, &app, arrow));
    }
    let mut answers = Vec::new();
    for _ in 0..RUNS {
        // To the questions, answer wrong (the verdict), try again, answer right, and back.
        while app.screen() == Screen::LearnPage {
            press(&headless, &app, Button::Ok);
        }
        answers.push(press(&headless, &app, Button::Ok));
        press(&headless, &app, Button::Down);
        answers.push(press(&headless, &app, Button::Ok));
        answers.push(press(&headless, &app, Button::Down));
        press(&headless, &app, Button::Back);
    }
    press(&headless, &app, Button::Back);
    assert_eq!(app.screen(), Screen::Learn);

    // The video: OK → its first picture, then Back.
    let mut firsts = Vec::new();
    for _ in 0..video_at {
        press(&headless, &app, Button::Down);
    }
    for _ in 0..RUNS / 3 {
        let start = Instant::now();
        app.press(Button::Ok);
        headless.draw();
        assert_eq!(app.screen(), Screen::LearnVideo);
        let shown = loop {
            headless.run_for(Duration::from_millis(1));
            if app.video().1 > 0 {
                headless.draw();
                break Some(start.elapsed());
            }
            if start.elapsed() > Duration::from_secs(5) {
                break None;
            }
        };
        firsts.push(shown.unwrap_or(Duration::from_secs(5)));
        press(&headless, &app, Button::Back);
        headless.run_for(Duration::from_millis(100));
    }

    // The PDF leaflet: down and up its first page, then pages turned, each press a moment
    // after the last (as a patient presses), so the pages either side are read ahead.
    for _ in video_at..pdf_at {
        press(&headless, &app, Button::Down);
    }
    press(&headless, &app, Button::Ok);
    assert_eq!(app.screen(), Screen::LearnPage);
    headless.run_for(Duration::from_millis(400));
    let mut scrolls = Vec::new();
    for i in 0..RUNS * 4 {
        let arrow = if i % 4 < 2 { Button::Down } else { Button::Up };
        scrolls.push(press(&headless, &app, arrow));
        headless.run_for(Duration::from_millis(30));
    }
    let mut pages = Vec::new();
    for i in 0..RUNS * 2 {
        let arrow = if i % 2 == 0 {
            Button::Right
        } else {
            Button::Left
        };
        pages.push(press(&headless, &app, arrow));
        headless.run_for(Duration::from_millis(250));
    }
    assert_eq!(app.screen(), Screen::LearnPage);

    let (open95, _) = line("OK → Learn's list (50 assignments)", &mut open);
    let (_, turn99) = line("page turn → frame", &mut turns);
    let (_, answer99) = line("teach-back answer → frame", &mut answers);
    let (first95, _) = line("OK → a video's first picture", &mut firsts);
    let (drawn95, _) = line("a PDF page drawn (whole and wide)", &mut drawn);
    let (_, scroll99) = line("PDF page Up/Down → frame", &mut scrolls);
    let (_, page99) = line("PDF page turn → frame", &mut pages);
    let checks = [
        (
            "list of 50 p95 < 100 ms",
            open95 < Duration::from_millis(100),
        ),
        ("page turn p99 < 8 ms", turn99 < Duration::from_millis(8)),
        ("answer p99 < 8 ms", answer99 < Duration::from_millis(8)),
        (
            "video first picture p95 < 500 ms",
            first95 < Duration::from_millis(500),
        ),
        (
            "PDF page drawn p95 < 300 ms",
            drawn95 < Duration::from_millis(300),
        ),
        (
            "PDF Up/Down p99 < 8 ms",
            scroll99 < Duration::from_millis(8),
        ),
        (
            "PDF page turn p99 < 8 ms",
            page99 < Duration::from_millis(8),
        ),
    ];
    println!();
    let mut ok = true;
    for (name, pass) in checks {
        println!("  {} {name}", if pass { "ok  " } else { "OVER" });
        ok &= pass;
    }
    if !ok {
        std::process::exit(1);
    }
}
