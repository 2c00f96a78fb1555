//! A real FHIR R4 server for sync tests (sekmet-fhir, installed by `make setup` into
//! `target/test-env`), seeded through `scripts/fhir_seed.py`, and a bed configured against it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BED: &str = "urn:example:bed|3W-12A";
pub const OTHER_BED: &str = "urn:example:bed|3W-14B";
pub const DEVICE: &str = "urn:example:device|TV-3W-12A";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the shared test data is (see src/testdata.rs).
pub fn testdata(rel: &str) -> PathBuf {
    let root = std::env::var_os("BEDSIDE_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/testdata"));
    assert!(
        root.is_dir(),
        "shared test data missing at {}",
        root.display()
    );
    root.join(rel)
}

/// A Synthea patient's transaction bundle by first name.
pub fn synthea(first: &str) -> PathBuf {
    let dir = testdata("synthea");
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(first))
        .unwrap_or_else(|| panic!("no Synthea bundle for {first} in {}", dir.display()))
}

fn sekmet_bin() -> PathBuf {
    let bin = std::env::var_os("BEDSIDE_SEKMET")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/test-env/bin/sekmet"));
    assert!(
        bin.exists(),
        "the FHIR test server is not installed at {} (run `make setup`, or set BEDSIDE_SEKMET)",
        bin.display()
    );
    bin
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct FhirServer {
    child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FhirServer {
    /// sekmet-fhir with no authentication.
    pub fn start() -> FhirServer {
        FhirServer::start_with("")
    }

    /// A second engine: Medplum's FHIR router over its in-memory repository (tests/medplum).
    pub fn medplum() -> FhirServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let script = root().join("tests/medplum/server.mjs");
        assert!(
            root()
                .join("tests/medplum/node_modules/@medplum/fhir-router")
                .is_dir(),
            "the Medplum test server is not installed (run `make setup`)"
        );
        let child = Command::new("node")
            .arg("--experimental-websocket")
            .arg(&script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap())
            .spawn()
            .expect("node starts");
        let server = FhirServer {
            child,
            base: format!("http://127.0.0.1:{port}/fhir"),
            dir,
        };
        server.wait_ready(|| {
            ureq::get(&format!("{}/metadata", server.base))
                .call()
                .is_ok()
                || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        server
    }

    /// Either engine, by name: `sekmet` or `medplum`.
    pub fn engine(name: &str) -> FhirServer {
        match name {
            "sekmet" => FhirServer::start(),
            "medplum" => FhirServer::medplum(),
            other => panic!("no FHIR engine {other}"),
        }
    }

    fn wait_ready(&self, ready: impl Fn() -> bool) {
        let started = Instant::now();
        while !ready() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the FHIR server did not come up: {}",
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// sekmet-fhir with these lines of its YAML settings (e.g. `server_auth:`).
    pub fn start_with(settings: &str) -> FhirServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let scheme = if settings.contains("tls_certfile") {
            "https"
        } else {
            "http"
        };
        let base = format!("{scheme}://127.0.0.1:{port}/fhir");
        std::fs::write(dir.path().join("settings.yaml"), settings).unwrap();
        let child = Command::new(sekmet_bin())
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(dir.path())
            .env("SEKMET_CONFIG", dir.path().join("settings.yaml"))
            .env("SEKMET_BASE_URL", &base)
            .env("SEKMET_DB", dir.path().join("sekmet.db"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap())
            .spawn()
            .expect("sekmet starts");
        let server = FhirServer { child, base, dir };
        server.wait_ready(|| {
            if scheme == "https" {
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            } else {
                ureq::get(&format!("{}/metadata", server.base))
                    .call()
                    .is_ok()
            }
        });
        server
    }

    /// Runs `scripts/fhir_seed.py BASE args...` and returns the JSON it printed.
    pub fn seed(&self, args: &[&str]) -> Value {
        let out = Command::new("python3")
            .arg(root().join("scripts/fhir_seed.py"))
            .arg(&self.base)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "fhir_seed {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A bed, this box's Device, and `first` admitted to the bed. Returns (patient, encounter,
    /// location).
    pub fn admit_synthea(&self, first: &str) -> (String, String, String) {
        let v = self.seed(&[
            "demo",
            "--bundle",
            synthea(first).to_str().unwrap(),
            "--bed",
            BED,
            "--device",
            DEVICE,
        ]);
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        (s("patient"), s("encounter"), s("location"))
    }

    pub fn get(&self, path: &str) -> Value {
        let mut r = ureq::get(&format!("{}/{path}", self.base))
            .header("Accept", "application/fhir+json")
            .call()
            .unwrap();
        let text = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Writes a resource with the id it carries (an update, or a create with that id).
    #[allow(dead_code)]
    pub fn put(&self, resource: &Value) {
        let path = format!(
            "{}/{}/{}",
            self.base,
            resource["resourceType"].as_str().unwrap(),
            resource["id"].as_str().unwrap()
        );
        let put = ureq::put(&path)
            .header("Content-Type", "application/fhir+json")
            .send(resource.to_string())
            .unwrap();
        assert!(put.status().is_success(), "PUT {path}");
    }

    /// The server's own count for a search.
    pub fn count(&self, search: &str) -> u64 {
        let sep = if search.contains('?') { '&' } else { '?' };
        self.get(&format!("{search}{sep}_count=0&_total=accurate"))["total"]
            .as_u64()
            .unwrap()
    }
}

/// A bedside box configured against a server: config, key and data directory in a temp dir.
pub struct Bed {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Bed {
    pub fn new(base: &str) -> Bed {
        Bed::with(base, "", BED)
    }

    /// `backend_extra` goes into `[backend]` (e.g. an `[backend.auth]` table after it).
    pub fn with(base: &str, backend_extra: &str, bed: &str) -> Bed {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("db-key");
        std::fs::write(&key, format!("{}\n", "3c".repeat(32))).unwrap();
        let config = dir.path().join("bedside.toml");
        std::fs::write(
            &config,
            format!(
                "[device]\nid = \"{DEVICE}\"\n[bed]\nlocation = \"{bed}\"\nname = \"3 West, Room 12, Bed A\"\n\
                 [store]\ndata_dir = \"{data}\"\nkey_file = \"{key}\"\n\
                 [backend]\nurl = \"{base}\"\npoll_seconds = 2\ntimeout_seconds = 5\n{backend_extra}\n",
                data = dir.path().join("data").display(),
                key = key.display(),
            ),
        )
        .unwrap();
        Bed { dir, config }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `bedside sync --once`: (exit code, the summary line, stderr).
    pub fn sync_once(&self) -> (i32, Value, String) {
        self.sync_once_faked(&[])
    }

    /// `bedside sync --once` under `faketime` with `faketime_args` (a date, or `-f +2h`) when
    /// they are given: the box's wall clock moved, its monotonic clock left alone.
    pub fn sync_once_faked(&self, faketime_args: &[&str]) -> (i32, Value, String) {
        let mut command = if faketime_args.is_empty() {
            super::bedside()
        } else {
            let mut c = std::process::Command::new("faketime");
            c.args(faketime_args)
                .arg(env!("CARGO_BIN_EXE_bedside"))
                .env("TZ", "UTC")
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
            c
        };
        let out = command
            .args(["sync", "--once", "--config"])
            .arg(&self.config)
            .env("BEDSIDE_LOG", "info")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let summary = stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), summary, stderr)
    }

    /// `bedside sync --once` that must succeed; returns the summary.
    pub fn sync_ok(&self) -> Value {
        let (code, summary, stderr) = self.sync_once();
        assert_eq!(code, 0, "sync failed: {summary}\n{stderr}");
        summary
    }

    pub fn status(&self) -> Value {
        let out = super::bedside()
            .args(["status", "--config"])
            .arg(&self.config)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Does any file under `dir` hold `needle` in its raw bytes?
pub fn any_file_contains(dir: &Path, needle: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(p) = any_file_contains(&path, needle) {
                return Some(p);
            }
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            return Some(path);
        }
    }
    None
}

/// Checks resources against the official FHIR R4 JSON schema (Python `jsonschema`, installed
/// with the test server). Panics with the validator's message when one does not conform.
pub fn assert_valid_fhir(resources: &[Value]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("resources.json");
    std::fs::write(&file, serde_json::to_string(resources).unwrap()).unwrap();
    let python = root().join("target/test-env/bin/python3");
    let out = Command::new(python)
        .arg(root().join("scripts/fhir_validate.py"))
        .arg(testdata("fhir-r4/fhir.schema.json"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not valid FHIR R4: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `tests/hostile_fhir.py` in front of `upstream`: `http://127.0.0.1:{port}/{mode}/fhir` is
/// `upstream` with the fault `mode` names. Stopped when dropped.
pub struct Proxy(Child, pub u16);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn proxy(upstream: &str) -> Proxy {
    let port = free_port();
    let child = Command::new("python3")
        .arg(root().join("tests/hostile_fhir.py"))
        .arg(port.to_string())
        .arg(upstream)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "proxy did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Proxy(child, port)
}
