//! Sync benchmark (`cargo bench --bench sync`, release): Donnell Green's chart (Synthea's elderly
//! man with the long chart) from a FHIR server on loopback into the encrypted store, end to end
//! through the real `bedside sync --once` (process start, sign-in-free HTTP, parsing, checks,
//! one SQLCipher transaction); then the cost of an idle incremental poll; then how long until
//! the greeting is on screen from that store (`bedside snapshot`). Budget: chart in under 1 s.
//!
//! Needs the test servers `make setup` installs (target/test-env).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bedside");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const RUNS: usize = 15;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn donnell() -> PathBuf {
    let dir = std::env::var_os("BEDSIDE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join("../shared/testdata"))
        .join("synthea");
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("Donnell")
        })
        .expect("Donnell Green's bundle")
}

fn sync_once(config: &Path) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["sync", "--once", "--config"])
        .arg(config)
        .env("BEDSIDE_LOG", "warn")
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, serde_json::from_slice(&out.stdout).unwrap())
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/fhir");
    let _server = Server(
        Command::new(Path::new(ROOT).join("target/test-env/bin/sekmet"))
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(work.path())
            .env("SEKMET_BASE_URL", &base)
            .env("SEKMET_DB", work.path().join("sekmet.db"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sekmet (run `make setup`)"),
    );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let seeded = Command::new("python3")
        .arg(Path::new(ROOT).join("scripts/fhir_seed.py"))
        .arg(&base)
        .args(["demo", "--bundle"])
        .arg(donnell())
        .args([
            "--bed",
            "urn:example:bed|3W-12A",
            "--device",
            "urn:example:device|TV-3W-12A",
        ])
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );

    std::fs::write(work.path().join("key"), "ab".repeat(32)).unwrap();
    let config_for = |name: &str| {
        let path = work.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!(
                "[device]\nid = \"urn:example:device|TV-3W-12A\"\n[bed]\nlocation = \"urn:example:bed|3W-12A\"\n\
                 name = \"Bed\"\n[backend]\nurl = \"{base}\"\n[store]\ndata_dir = \"{}\"\nkey_file = \"{}\"\n",
                work.path().join(name).display(),
                work.path().join("key").display()
            ),
        )
        .unwrap();
        path
    };

    // First load, each into an empty store.
    let mut first = Vec::new();
    let mut summary = serde_json::Value::Null;
    for i in 0..RUNS {
        let (took, s) = sync_once(&config_for(&format!("first{i}")));
        first.push(took);
        summary = s;
    }
    let resources: u64 = summary["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    let p50 = pct(&mut first, 0.5);
    println!(
        "sync first load (Donnell Green, {resources} resources, {} requests), end to end: p50 {:.0} ms  p95 {:.0} ms  max {:.0} ms  ({:.0} resources/s at p50)  [budget 1000 ms]",
        summary["requests"],
        ms(p50),
        ms(pct(&mut first, 0.95)),
        ms(pct(&mut first, 1.0)),
        resources as f64 / p50.as_secs_f64()
    );

    // Idle incremental polls: nothing changed on the server.
    let config = config_for("first0");
    let mut idle = Vec::new();
    let mut requests = serde_json::Value::Null;
    for _ in 0..RUNS {
        let (took, s) = sync_once(&config);
        idle.push(took);
        requests = s["requests"].clone();
    }
    println!(
        "idle incremental poll: {requests} requests, p50 {:.0} ms  p95 {:.0} ms (process start included)",
        ms(pct(&mut idle, 0.5)),
        ms(pct(&mut idle, 0.95))
    );

    // From the store to the screen: the greeting rendered from what was just loaded.
    let mut shown = Vec::new();
    for _ in 0..RUNS {
        let out = work.path().join("home.png");
        let started = Instant::now();
        let status = Command::new(BIN)
            .args(["snapshot", "--config"])
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        shown.push(started.elapsed());
    }
    println!(
        "store → Home on screen (bedside snapshot: start, open store, render, write PNG): p50 {:.0} ms  p95 {:.0} ms",
        ms(pct(&mut shown, 0.5)),
        ms(pct(&mut shown, 0.95))
    );
    let total = p50 + pct(&mut shown, 0.5);
    println!(
        "chart from server to screen, end to end: {:.0} ms [budget 1000 ms]",
        ms(total)
    );
}
