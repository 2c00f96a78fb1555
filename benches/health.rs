//! My health's speed (`cargo bench --bench health`, release, software renderer, 1920x1080):
//! opening Test results on the biggest chart and scrolling through every row and back with the
//! arrows, press → rendered frame, p50/p99 (budget p99 < 8 ms); then opening a test's trend
//! (chart and latest values) and stepping through the tests' trends with Down. Two records: Donnell Green's
//! (Synthea's long chart, as sync selects it) and 300 tests × 4 results. Exits non-zero when the
//! budget is broken.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedside::domain::button::{Button, parse_list};
use bedside::domain::record::{Record, Section};
use bedside::ui::app::{Link, SyncStatus, TimeSource};
use serde_json::json;

const BUDGET: Duration = Duration::from_millis(8);

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn donnell() -> Record {
    let dir = std::env::var_os("BEDSIDE_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        })
        .join("synthea");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("Donnell")
        })
        .expect("Donnell Green's bundle");
    bedside::demo::record_from_bundle(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn three_hundred_tests() -> Record {
    let mut list = Vec::new();
    for t in 0..300 {
        for k in 0..4 {
            list.push(json!({"resourceType": "Observation", "status": "final",
                "category": [{"coding": [{"code": "laboratory"}]}],
                "code": {"coding": [{"code": format!("T{t:03}"), "display": format!("Test number {t:03}")}]},
                "effectiveDateTime": format!("2026-11-{:02}T0{k}:00:00Z", 20 + k),
                "valueQuantity": {"value": 10.0 + t as f64, "unit": "mmol/L"},
                "referenceRange": [{"low": {"value": 12}, "high": {"value": 200}}]}));
        }
    }
    bedside::fhir::record::build(
        |kind| {
            if kind == "Observation" {
                list.clone()
            } else {
                Vec::new()
            }
        },
        &jiff::Zoned::now(),
    )
}

fn main() {
    // As the appliance runs (see `launch::tune_memory`).
    bedside::launch::tune_memory();
    let at = "2026-11-25T09:41".parse().unwrap();
    let (headless, app) =
        bedside::launch::headless_demo((1920, 1080), TimeSource::Fixed(at)).unwrap();
    headless.draw();
    let mut failed = false;
    for (name, record) in [
        ("Donnell Green", donnell()),
        ("300 tests", three_hundred_tests()),
    ] {
        let rows = record.rows(Section::Results).len();
        app.sync_status(SyncStatus {
            occupant: None,
            occupant_changed: false,
            link: Link::Demo,
            fresh_at: None,
            outbox_waiting: 0,
            record: Arc::new(record),
            after_pass: false,
        });
        headless.draw();
        let (mut open, mut scroll, mut trend) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..10 {
            app.press(Button::Home);
            for b in parse_list("right,right,ok,down,down,right").unwrap() {
                app.press(b);
                headless.draw();
            }
            let start = Instant::now();
            app.press(Button::Ok);
            headless.draw();
            open.push(start.elapsed());
            for arrow in [Button::Down, Button::Up] {
                for _ in 0..rows {
                    let start = Instant::now();
                    app.press(arrow);
                    headless.draw();
                    scroll.push(start.elapsed());
                }
            }
            // A trend opens with OK; Down shows the next test's.
            for b in [Button::Ok].into_iter().chain([Button::Down; 40]) {
                let start = Instant::now();
                app.press(b);
                headless.draw();
                trend.push(start.elapsed());
            }
            app.press(Button::Home);
            headless.draw();
        }
        let trend_p99 = pct(&mut trend, 0.99);
        println!(
            "{name}: open a trend and step through trends, {} presses: p50 {:.2} ms  p99 {:.2} ms  [budget p99 8 ms]",
            trend.len(),
            ms(pct(&mut trend, 0.5)),
            ms(trend_p99)
        );
        let p99 = pct(&mut scroll, 0.99);
        println!(
            "{name}: open Test results ({rows} rows): p50 {:.2} ms  p99 {:.2} ms",
            ms(pct(&mut open, 0.5)),
            ms(pct(&mut open, 0.99))
        );
        println!(
            "{name}: scroll press → frame over {} presses: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  [budget p99 8 ms]",
            scroll.len(),
            ms(pct(&mut scroll, 0.5)),
            ms(p99),
            ms(pct(&mut scroll, 1.0))
        );
        if p99 > BUDGET || trend_p99 > BUDGET || pct(&mut open, 0.99) > BUDGET * 4 {
            failed = true;
        }
    }
    if failed {
        eprintln!("budget broken");
        std::process::exit(1);
    }
}
