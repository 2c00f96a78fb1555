//! The shell's speed and weight, against the budgets (release build, Slint's software renderer,
//! 1920x1080, this machine's cores):
//!
//! - process start to first rendered frame: < 150 ms
//! - button press to the next rendered frame, p99 over many presses across screens: < 8 ms
//! - full-frame render time (reported; the partial renderer usually draws much less)
//! - idle memory < 60 MB PSS, idle CPU < 1 % (nothing redraws when nothing changes)
//!
//! Run: `cargo bench --bench shell` (or `make bench`). Exits non-zero when a budget is broken.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bedside::domain::button::Button;
use bedside::ui::app::{App, TimeSource};
use bedside::ui::headless::Headless;

const BIN: &str = env!("CARGO_BIN_EXE_bedside");

struct Stats {
    samples: Vec<Duration>,
}

impl Stats {
    fn new(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        Stats { samples }
    }

    fn pct(&self, p: f64) -> Duration {
        let i = ((self.samples.len() as f64 - 1.0) * p / 100.0).round() as usize;
        self.samples[i]
    }

    fn line(&self) -> String {
        format!(
            "p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  (n={})",
            ms(self.pct(50.0)),
            ms(self.pct(95.0)),
            ms(self.pct(99.0)),
            ms(*self.samples.last().unwrap()),
            self.samples.len()
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn spawn_child(what: &str) -> (Child, Instant, Duration) {
    let start = Instant::now();
    let mut child = Command::new(BIN)
        .args(["bench-child", what])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn bedside");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let first_frame = start.elapsed();
    assert_eq!(line.trim(), "frame", "child did not draw");
    (child, start, first_frame)
}

fn first_frame() -> Stats {
    // Warm the page cache once, as a booted appliance would have it.
    let (mut c, _, _) = spawn_child("first-frame");
    c.wait().unwrap();
    Stats::new(
        (0..30)
            .map(|_| {
                let (mut c, _, t) = spawn_child("first-frame");
                c.wait().unwrap();
                t
            })
            .collect(),
    )
}

/// A patient's wander through every screen, without touching the language row (its notice
/// would stay up and hide what the other presses draw).
const TOUR: &str = "right,right,down,left,left,up,ok,back,right,ok,home,right,ok,down,up,\
                    back,down,ok,home,down,right,ok,back,right,ok,down,ok,ok,down,right,left,\
                    down,ok,ok,up,up,back,mute,mute,volumeup,volumedown,captions,captions,left,\
                    left,up";

struct PressTimes {
    all: Stats,
    /// Presses that opened another screen.
    screen_changes: Stats,
    /// Presses that stayed on the screen (focus moves, value changes, status).
    same_screen: Stats,
    not_drawn: u64,
}

fn press_to_frame(headless: &Headless, app: &App) -> PressTimes {
    let tour = bedside::domain::button::parse_list(TOUR).unwrap();
    let (mut all, mut changes, mut same) = (Vec::new(), Vec::new(), Vec::new());
    let mut not_drawn = 0;
    for _ in 0..60 {
        for &button in &tour {
            let before = app.screen();
            let start = Instant::now();
            app.press(button);
            let drew = headless.draw();
            let took = start.elapsed();
            all.push(took);
            if app.screen() != before {
                changes.push(took);
            } else {
                same.push(took);
            }
            if !drew {
                not_drawn += 1;
            }
        }
    }
    PressTimes {
        all: Stats::new(all),
        screen_changes: Stats::new(changes),
        same_screen: Stats::new(same),
        not_drawn,
    }
}

fn full_frame(headless: &Headless) -> Stats {
    Stats::new(
        (0..200)
            .map(|_| {
                let start = Instant::now();
                headless.draw_full();
                start.elapsed()
            })
            .collect(),
    )
}

fn proc_field(path: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{key} in {path}"))
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

struct Idle {
    pss_kb: u64,
    rss_kb: u64,
    cpu_percent: f64,
    wakeups: u64,
    window: Duration,
}

fn idle() -> Idle {
    let (mut child, _, _) = spawn_child("idle");
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(2));
    let window = Duration::from_secs(15);
    let status = format!("/proc/{pid}/status");
    let ticks0 = cpu_ticks(pid);
    let switches0 = proc_field(&status, "voluntary_ctxt_switches:")
        + proc_field(&status, "nonvoluntary_ctxt_switches:");
    std::thread::sleep(window);
    let ticks1 = cpu_ticks(pid);
    let switches1 = proc_field(&status, "voluntary_ctxt_switches:")
        + proc_field(&status, "nonvoluntary_ctxt_switches:");
    let rollup = format!("/proc/{pid}/smaps_rollup");
    let idle = Idle {
        pss_kb: proc_field(&rollup, "Pss:"),
        rss_kb: proc_field(&rollup, "Rss:"),
        cpu_percent: (ticks1 - ticks0) as f64 / 100.0 / window.as_secs_f64() * 100.0,
        wakeups: switches1 - switches0,
        window,
    };
    child.kill().unwrap();
    child.wait().unwrap();
    idle
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("bedside shell benchmark: release, software renderer, 1920x1080, {cores} cores\n");

    let ff = first_frame();
    println!("process start to first frame   {}", ff.line());

    let at = "2026-11-25T09:41".parse().unwrap();
    let (headless, app) =
        bedside::launch::headless_demo((1920, 1080), TimeSource::Fixed(at)).unwrap();
    headless.draw();
    let presses = press_to_frame(&headless, &app);
    let ptf = &presses.all;
    println!("button press to next frame     {}", ptf.line());
    println!(
        "  opening a screen             {}",
        presses.screen_changes.line()
    );
    println!(
        "  on the same screen           {}",
        presses.same_screen.line()
    );
    println!(
        "  presses that changed nothing on screen (at an edge): {}",
        presses.not_drawn
    );
    app.press(Button::Home);
    headless.draw();
    let full = full_frame(&headless);
    println!("full 1920x1080 frame render    {}", full.line());

    let idle = idle();
    println!(
        "idle on Home ({} s)            PSS {:.1} MB  RSS {:.1} MB  CPU {:.2} %  wake-ups {}",
        idle.window.as_secs(),
        idle.pss_kb as f64 / 1024.0,
        idle.rss_kb as f64 / 1024.0,
        idle.cpu_percent,
        idle.wakeups
    );

    let checks = [
        ("first frame p95 < 150 ms", ms(ff.pct(95.0)) < 150.0),
        ("press to frame p99 < 8 ms", ms(ptf.pct(99.0)) < 8.0),
        ("idle PSS < 60 MB", idle.pss_kb < 60 * 1024),
        ("idle CPU < 1 %", idle.cpu_percent < 1.0),
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
