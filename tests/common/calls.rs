//! The far end of calls for tests: the GStreamer project's `gst-webrtc-signalling-server` on
//! loopback (built by scripts/setup.sh into target/test-env) and the care-team page served
//! beside it, opened by Debian's headless Chromium with a fake camera and microphone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::chromium::Chromium;
use super::fhir::free_port;

/// The signalling server and the web server for the care-team page.
pub struct Servers {
    pub signalling: Child,
    pub port: u16,
    pub page: String,
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.signalling.kill();
        let _ = self.signalling.wait();
    }
}

pub fn signalling_bin() -> PathBuf {
    std::env::var_os("BEDSIDE_SIGNALLING_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/test-env/bin/gst-webrtc-signalling-server")
        })
}

impl Servers {
    pub fn start() -> Servers {
        let bin = signalling_bin();
        assert!(
            bin.exists(),
            "{} is missing: run scripts/setup.sh",
            bin.display()
        );
        let port = free_port();
        let signalling = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("WEBRTCSINK_SIGNALLING_SERVER_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the signalling server");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "signalling server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The page, from the repository, on loopback (a secure context for the camera).
        let server = tiny_http::Server::http("127.0.0.1:0").expect("page server");
        let page_port = server.server_addr().to_ip().expect("ip").port();
        std::thread::spawn(move || {
            let html = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/care-team/index.html");
            for request in server.incoming_requests() {
                let body = std::fs::read(&html).expect("care-team page");
                let header =
                    tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
                        .unwrap();
                let _ = request.respond(tiny_http::Response::from_data(body).with_header(header));
            }
        });
        Servers {
            signalling,
            port,
            page: format!("http://127.0.0.1:{page_port}/"),
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// A care-team member at a browser, connected.
    pub fn person(&self, name: &str, role: &str) -> Chromium {
        let mut page = Chromium::open(&format!(
            "{}?signalling={}&name={}&role={role}&autoconnect=1",
            self.page,
            self.url(),
            name.replace(' ', "%20")
        ));
        page.wait_for(
            "window.careTeam.state().id !== null",
            Duration::from_secs(20),
        );
        page
    }
}

/// The page's id for the bed, once the bed is online.
pub fn bed_id(page: &mut Chromium) -> String {
    page.wait_for(
        "window.careTeam.state().beds.length > 0",
        Duration::from_secs(20),
    );
    page.eval("window.careTeam.state().beds[0].id")
        .as_str()
        .expect("bed id")
        .to_owned()
}

/// Frames the page decoded from the bed.
pub fn page_frames(page: &mut Chromium) -> u64 {
    page.eval("window.careTeam.stats().then(s => s.framesDecoded)")
        .as_u64()
        .unwrap_or(0)
}
