//! Debian's Chromium, headless, as the far end of a call: it loads the care-team page with a
//! fake camera and microphone (`--use-fake-device-for-media-stream`, which paints a moving test
//! picture and beeps), and the test drives the page through the DevTools protocol
//! (`Runtime.evaluate` of the page's `careTeam` functions).

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub fn chromium_bin() -> PathBuf {
    std::env::var_os("BEDSIDE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

pub struct Chromium {
    child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chromium {
    /// Starts Chromium on `url` and connects to its page.
    pub fn open(url: &str) -> Chromium {
        let bin = chromium_bin();
        assert!(
            bin.exists(),
            "{} is missing: run scripts/setup.sh (Debian package chromium)",
            bin.display()
        );
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(&bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-crash-reporter",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--autoplay-policy=no-user-gesture-required",
                // Real host addresses in ICE candidates (not mDNS names nobody here resolves).
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromium");
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Some(port) = text
                    .lines()
                    .next()
                    .and_then(|l| l.trim().parse::<u16>().ok())
            {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let page_ws = loop {
            let list: Value = ureq::get(&format!("http://127.0.0.1:{port}/json/list"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or(Value::Null);
            let page = list.as_array().and_then(|a| {
                a.iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_owned))
            });
            if let Some(ws) = page {
                break ws;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromium has no page"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let (socket, _) = tungstenite::connect(page_ws.as_str()).expect("DevTools socket");
        let mut chromium = Chromium {
            child,
            _profile: profile,
            socket,
            next: 0,
        };
        // Wait for the page's script.
        chromium.wait_for(
            "typeof window.careTeam === 'object'",
            Duration::from_secs(20),
        );
        chromium
    }

    /// Sends `signal` to every process of this browser (found by its profile directory on
    /// their command lines): SIGSTOP freezes it as a hung machine or a cut cable would.
    pub fn signal_all(&self, signal: i32) {
        let profile = self._profile.path().to_string_lossy().into_owned();
        let mut sent = 0;
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&profile) {
                // SAFETY: kill(2) on a pid; no memory is involved.
                unsafe { libc::kill(pid, signal) };
                sent += 1;
            }
        }
        assert!(sent > 0, "no chromium process found");
    }

    /// What the page looks like now (a PNG), for a person to look at.
    pub fn screenshot(&mut self, path: &std::path::Path) {
        use base64::Engine;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1600, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
        );
        let reply = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(reply["data"].as_str().expect("screenshot data"))
            .expect("base64");
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = result.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        result["result"]["value"].clone()
    }

    /// A DevTools method's result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let request = json!({"id": id, "method": method, "params": params});
        self.socket
            .send(Message::text(request.to_string()))
            .expect("DevTools send");
        loop {
            let message = self.socket.read().expect("DevTools read");
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(&text).expect("DevTools JSON");
            if reply["id"] != json!(id) {
                continue;
            }
            if let Some(e) = reply.get("error") {
                panic!("{method}: {e}");
            }
            return reply["result"].clone();
        }
    }

    /// Waits until `expression` is true in the page.
    pub fn wait_for(&mut self, expression: &str, timeout: Duration) {
        let started = Instant::now();
        while self.eval(expression) != json!(true) {
            assert!(
                started.elapsed() < timeout,
                "the page never got to `{expression}`"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
