//! The far end of calls for tests: `bedside-call-server` (GStreamer's signalling server with
//! our sign-in, the binary `make run` and a hospital run) on loopback, with a hospital CA of the
//! test's own: beds connect over TLS with a box certificate, care-team pages over plain
//! loopback HTTP (a secure context for the camera) with a token the server's key signed, served
//! by the server itself and opened by Debian's headless Chromium with a fake camera and
//! microphone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bedside::call::gate::{Claims, Tokens, claims};

use super::chromium::Chromium;
use super::fhir::free_port;
use super::openssl;

/// The token key of every test server (32 bytes, the least taken).
pub const TOKEN_KEY: &[u8] = b"test token key, never a real one";

/// The call server, its files, and its two ports.
pub struct Servers {
    pub signalling: Child,
    /// The address beds connect to.
    pub host: String,
    /// TLS: beds (and pages that sign in over HTTPS).
    pub port: u16,
    /// Plain: the page and its WebSocket, on loopback.
    pub plain: u16,
    pub page: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.signalling.kill();
        let _ = self.signalling.wait();
    }
}

pub fn signalling_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bedside-call-server"))
}

/// A CA called `name` (`name.pem`, `name.key`) in `dir`.
pub fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
        ],
    );
}

/// A certificate and key `name` that `ca` signed for `subject` (`ext`: its extensions).
pub fn issue(dir: &Path, ca: &str, name: &str, subject: &str, ext: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            subject,
        ],
    );
    std::fs::write(dir.join(format!("{name}.cnf")), ext).unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-extfile",
            &format!("{name}.cnf"),
        ],
    );
}

/// The hospital CA (`ca`), the server's certificate for 127.0.0.1 (`server`) and a box's
/// (`box`), all in `d`.
pub fn pki(d: &Path) {
    pki_for(d, "127.0.0.1");
}

/// [`pki`], the server's certificate also for the address `host`.
fn pki_for(d: &Path, host: &str) {
    make_ca(d, "ca");
    issue(
        d,
        "ca",
        "server",
        "/CN=127.0.0.1",
        &format!("subjectAltName=IP:127.0.0.1,IP:{host}\nbasicConstraints=CA:FALSE\n"),
    );
    issue(
        d,
        "ca",
        "box",
        "/CN=TV-4N-07B",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
}

impl Servers {
    pub fn start() -> Servers {
        Servers::start_with("")
    }

    /// With `extra` TOML at the end of the server's config (a `[staff]` section).
    pub fn start_with(extra: &str) -> Servers {
        Servers::start_on("127.0.0.1", extra)
    }

    /// Beds connect to `host` (an address of this machine other than loopback: a box in a
    /// network namespace of its own reaches this one there).
    pub fn start_on(host: &str, extra: &str) -> Servers {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        pki_for(d, host);
        std::fs::write(d.join("token.key"), TOKEN_KEY).unwrap();
        let port = free_port();
        let plain = free_port();
        std::fs::write(
            d.join("call-server.toml"),
            format!(
                "[listen]\ntls = \"{host}:{port}\"\nplain = \"127.0.0.1:{plain}\"\n\n\
                 [tls]\ncertificate = \"{0}/server.pem\"\nkey = \"{0}/server.key\"\nbox_ca = \"{0}/ca.pem\"\n\n\
                 [tokens]\nkey_file = \"{0}/token.key\"\n\n{extra}",
                d.display()
            ),
        )
        .unwrap();
        let mut servers = Servers {
            signalling: spawn(d),
            host: host.to_owned(),
            port,
            plain,
            page: format!("http://127.0.0.1:{plain}/"),
            dir,
        };
        servers.wait_listening();
        servers
    }

    fn wait_listening(&mut self) {
        let started = Instant::now();
        for (host, port) in [(self.host.as_str(), self.port), ("127.0.0.1", self.plain)] {
            while std::net::TcpStream::connect((host, port)).is_err() {
                if let Ok(Some(status)) = self.signalling.try_wait() {
                    panic!("bedside-call-server exited: {status}");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "bedside-call-server did not listen"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Starts the server again (same config, same ports) after it was killed.
    pub fn restart(&mut self) {
        self.signalling = spawn(self.dir.path());
        self.wait_listening();
    }

    /// Where beds connect.
    pub fn url(&self) -> String {
        format!("wss://{}:{}/signalling", self.host, self.port)
    }

    /// The box's `[call]` lines that reach this server: the address, the hospital CA and the
    /// box's certificate (other `[call]` keys may follow).
    pub fn bed_call(&self) -> String {
        let d = self.dir.path().display();
        format!(
            "signalling_url = \"{}\"\nca_file = \"{d}/ca.pem\"\nclient_cert = \"{d}/box.pem\"\nclient_key = \"{d}/box.key\"\n",
            self.url()
        )
    }

    /// A token this server accepts for `claims`.
    pub fn token(&self, claims: &Claims) -> String {
        Tokens::new(TOKEN_KEY).unwrap().issue(claims)
    }

    /// Claims for a care-team member, valid for an hour from now.
    pub fn care_team(name: &str, role: &str) -> Claims {
        let now = jiff::Timestamp::now().as_second();
        claims("Practitioner/test", name, role, "care-team", now, 3600)
    }

    /// A care-team member at a browser, signed in (as a sign-in would give), connected.
    pub fn person(&self, name: &str, role: &str) -> Chromium {
        self.open(&Servers::care_team(name, role))
    }

    /// Someone invited to call the bed at `bed` (its location id) as family.
    pub fn family(&self, name: &str, role: &str, bed: &str) -> Chromium {
        let mut c = Servers::care_team(name, role);
        c.kind = "family".into();
        c.sub = "invitation/test".into();
        c.bed = Some(bed.into());
        self.open(&c)
    }

    /// A care-team member at a browser with `query` added to the page's address
    /// ("&relay=1&ice=...").
    pub fn person_with(&self, name: &str, role: &str, query: &str) -> Chromium {
        self.open_with(&Servers::care_team(name, role), query)
    }

    /// The support desk (a token of kind `support`) at a browser, connected; `query` is
    /// added to the page's address ("&autoanswer=1").
    pub fn support(&self, name: &str, query: &str) -> Chromium {
        let mut c = Servers::care_team(name, "Support");
        c.kind = "support".into();
        self.open_with(&c, query)
    }

    /// The page with `claims`' token (as an invitation's link carries it), connected.
    pub fn open(&self, claims: &Claims) -> Chromium {
        self.open_with(claims, "")
    }

    fn open_with(&self, claims: &Claims, query: &str) -> Chromium {
        let mut page = Chromium::open(&format!(
            "{}?autoconnect=1{query}#token={}",
            self.page,
            self.token(claims)
        ));
        page.wait_for(
            "window.careTeam.state().id !== null",
            Duration::from_secs(20),
        );
        page
    }
}

fn spawn(d: &Path) -> Child {
    Command::new(signalling_bin())
        .arg("--config")
        .arg(d.join("call-server.toml"))
        .env("BEDSIDE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start bedside-call-server")
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

/// coturn's `turnserver` on a loopback UDP port of its own: the STUN and TURN server the
/// self-test asks for a binding, as ICE asks it in a call.
pub struct Relay {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Relay {
    pub fn start() -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Relay::spawn(dir.path(), port);
        let relay = Relay { child, port, dir };
        relay.wait_answering();
        relay
    }

    /// Kills the relay (every allocation on it is gone) and starts it again on the same port.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Relay::spawn(self.dir.path(), self.port);
        self.wait_answering();
    }

    fn spawn(d: &Path, port: u16) -> Child {
        Command::new("turnserver")
            .args([
                "-n",
                "--listening-ip",
                "127.0.0.1",
                "--relay-ip",
                "127.0.0.1",
            ])
            .args(["--listening-port", &port.to_string()])
            .args(["--no-tls", "--no-dtls", "--no-cli", "--no-tcp-relay"])
            .args([
                "--lt-cred-mech",
                "--user",
                "bed:relay-secret",
                "--realm",
                "bedside",
            ])
            // Loopback peers (the tests' far end is on 127.0.0.1 too).
            .arg("--allow-loopback-peers")
            .arg("--userdb")
            .arg(d.join("turndb"))
            .arg("--pidfile")
            .arg(d.join("turnserver.pid"))
            .args(["--log-file", "stdout", "--simple-log"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("coturn's turnserver (scripts/setup.sh installs coturn)")
    }

    fn wait_answering(&self) {
        let started = Instant::now();
        while !bedside::call::rehearsal::relay_answers(&self.stun()) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "turnserver never answered on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The care-team page's `ice` parameter for this relay (TURN only).
    pub fn page_ice(&self) -> String {
        format!("turn://bed:relay-secret@127.0.0.1:{}", self.port)
    }

    pub fn stun(&self) -> String {
        format!("stun://127.0.0.1:{}", self.port)
    }

    /// The box's `ice_servers` line for this relay: STUN and TURN.
    pub fn ice_servers(&self) -> String {
        format!(
            "ice_servers = [\"stun:127.0.0.1:{p}\", \"turn://bed:relay-secret@127.0.0.1:{p}\"]\n",
            p = self.port
        )
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
