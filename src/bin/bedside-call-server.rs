//! `bedside-call-server`: the call signalling server the boxes and the care-team pages use.
//!
//! It is the GStreamer project's own signalling server (`gst-plugin-webrtc-signalling`, its
//! `Server` and `Handler`, the very code `gst-webrtc-signalling-server` runs) with an
//! authentication step in front and a gate on what peers say (`bedside::call::gate`):
//!
//! - boxes connect over TLS with a client certificate the hospital's box CA signed;
//! - people connect with a token this server signed: after signing in on the care-team page
//!   against the staff directory clinician mode uses (`POST /sign-in`), or from an invitation;
//! - nobody else gets past the WebSocket handshake (401), and a peer claiming a name, role or
//!   kind other than the one proven is told why and disconnected.
//!
//! One port serves the care-team page (`GET /`), the sign-in and the signalling WebSocket.
//! Config: docs/calls.md, "The call server".

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bedside::call::gate::{self, Gate, Identity, Tokens, Verdict};
use bedside::call::invitation;
use bedside::call::places::{self, Arrived, Left, Places};
use bedside::call::server_state::{self, Revoked};
use clap::Parser;
use futures::StreamExt;
use futures::task::AtomicWaker;
use gst_plugin_webrtc_signalling::handlers::Handler;
use gst_plugin_webrtc_signalling::server::Server;
use gst_plugin_webrtc_signalling::server::async_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request, Response,
};
use gst_plugin_webrtc_signalling_protocol as p;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;

/// The care-team page, built in (one binary, always the page this server speaks to).
const PAGE: &str = include_str!("../../assets/care-team/index.html");
/// The WebSocket subprotocol pages ask for; a token rides beside it as `bearer.<token>`.
const SUBPROTOCOL: &str = "bedside-call";
/// The largest HTTP request head read.
const HEAD_MAX: usize = 16 << 10;
/// The largest sign-in body read.
const BODY_MAX: usize = 4 << 10;
/// How long a client has to send its request (and finish TLS).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Wrong passwords for one staff number before it waits [`LOCKOUT`].
const WRONG_MAX: u32 = 5;
const LOCKOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Bedside's call signalling server (GStreamer's, with sign-in)"
)]
struct Args {
    /// The server's config file (TOML; docs/calls.md, "The call server").
    #[arg(long)]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Prints a token signed with the server's key, for a person who cannot sign in against the
    /// directory (a support desk's account, the demo): the page takes it as `/#token=...`.
    Token {
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// care-team, support or family.
        #[arg(long, default_value = "care-team")]
        kind: String,
        /// For family: the bed (its location id) they may call.
        #[arg(long)]
        bed: Option<String>,
        /// How long it lasts.
        #[arg(long, default_value_t = 720)]
        minutes: u32,
    },
    /// Ends every token of a person issued up to now (a lost laptop, someone who left): their
    /// pages are cut off within seconds and cannot connect again until they sign in anew.
    /// `sub` is their directory reference (`Practitioner/...`), or the `sub` that `token`
    /// printed. Needs `[state] dir`.
    Revoke {
        #[arg(long)]
        sub: String,
    },
}

/// `revoke`: adds the subject to the state directory's revoked sign-ins (the running server
/// reads it within seconds).
fn revoke(config: &Config, sub: &str) -> Result<(), String> {
    let sub = sub.trim();
    if sub.is_empty() {
        return Err("--sub is empty".into());
    }
    let dir = config
        .state
        .as_ref()
        .ok_or("revoking needs [state] dir (where the running server reads it)")?;
    let path = dir.dir.join(server_state::REVOKED);
    let mut revoked: Revoked = server_state::load(&path)?;
    let now = now();
    revoked.revoke(sub, now);
    revoked.prune(now, config.longest_token());
    server_state::save(&path, &revoked).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("revoked: every token of {sub} issued up to now");
    Ok(())
}

/// `token`: prints a token for the person described.
fn print_token(config: &Config, command: Command) -> Result<(), String> {
    let Command::Token {
        name,
        role,
        kind,
        bed,
        minutes,
    } = command
    else {
        unreachable!("only token commands come here");
    };
    let tokens = Tokens::new(&read_file(&config.tokens.key_file, "tokens.key_file")?)?;
    let now = now();
    let mut claims = gate::claims(
        &format!("issued/{}", uuid::Uuid::new_v4()),
        &name,
        &role,
        &kind,
        now,
        i64::from(minutes.max(1)) * 60,
    );
    claims.bed = bed;
    let token = tokens.issue(&claims);
    // Checked as a connection would check it: a kind or bed that cannot work says so now.
    tokens.check(&token, now).map_err(|e| e.to_string())?;
    println!("{token}");
    // To end it early: `revoke --sub` with this.
    eprintln!("sub: {}", claims.sub);
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    listen: Listen,
    tls: Option<TlsFiles>,
    tokens: TokenConfig,
    /// The staff directory, in the same shape as the box's `[staff]`: care-team pages sign in
    /// against it. Without it, only invitation tokens get in.
    staff: Option<bedside::config::Staff>,
    /// Which bed each box serves, by the common name (CN) of its certificate:
    /// `"TV-4N-07B" = "urn:hospital:bed|4N-07B"`. With it, a box not listed is refused, and a
    /// box may register as, invite family to and end invitations of its own bed only. Without
    /// it any box the box CA signed may say it is any bed (a warning at start says so).
    #[serde(default)]
    boxes: Option<HashMap<String, String>>,
    /// Where what must outlive a restart is kept: the family invitations and the revoked
    /// sign-ins (`bedside::call::server_state`). Without it invitations end with a restart
    /// and sign-ins cannot be revoked.
    state: Option<StateConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateConfig {
    dir: PathBuf,
}

impl Config {
    /// The longest a token this server signs may live, in seconds (a sign-in, an invitation,
    /// or `token --minutes`' default).
    fn longest_token(&self) -> i64 {
        let hours = i64::from(self.tokens.hours.max(1))
            .max(i64::from(invitation::HOURS_MAX))
            .max(12);
        hours * 3600
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Listen {
    /// HTTPS and WSS (`host:port`): boxes with their certificate, pages with a token.
    tls: Option<String>,
    /// Plain HTTP and WS (`host:port`), for loopback or behind a TLS proxy: pages only, never
    /// boxes (they have no certificate to show here).
    plain: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFiles {
    certificate: PathBuf,
    key: PathBuf,
    /// The CA that signs the boxes' client certificates. Without it no box gets in.
    box_ca: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenConfig {
    /// A file of at least 32 random bytes (a systemd credential in production).
    key_file: PathBuf,
    /// How long a sign-in lasts (default 12 hours: a shift).
    #[serde(default = "TokenConfig::default_hours")]
    hours: u32,
}

impl TokenConfig {
    fn default_hours() -> u32 {
        12
    }
}

/// Makes a connection end: reads see the end of the stream, writes fail.
#[derive(Default)]
struct Kill {
    killed: AtomicBool,
    waker: AtomicWaker,
}

impl Kill {
    fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

/// A connection whose first bytes (the request head) were already read, and that can be ended.
struct Conn<S> {
    head: Vec<u8>,
    at: usize,
    inner: S,
    kill: Arc<Kill>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Conn<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.kill.waker.register(cx.waker());
        if self.kill.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        if self.at < self.head.len() {
            let n = (self.head.len() - self.at).min(buf.remaining());
            buf.put_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Conn<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What every connection shares.
struct Shared {
    tokens: Tokens,
    token_seconds: i64,
    directory: Option<Arc<bedside::staff::directory::Directory>>,
    gate: Mutex<Gate>,
    kills: Mutex<HashMap<String, Arc<Kill>>>,
    /// Messages of our own to peers (why something was refused).
    say: futures::channel::mpsc::UnboundedSender<(String, p::OutgoingMessage)>,
    /// Messages of our own to the handler (a held box that did not come back left).
    tell: futures::channel::mpsc::UnboundedSender<(String, Option<p::IncomingMessage>)>,
    /// Boxes' places, held across a new connection (`bedside::call::places`).
    places: Mutex<Places>,
    /// Wrong passwords per staff number, and wrong invitation codes per address: (count, last).
    wrong: Mutex<HashMap<String, (u32, std::time::Instant)>>,
    /// Family invitations, written to `state` after every change (without a state directory
    /// a restart ends them; the box can invite again).
    book: Mutex<invitation::Book>,
    /// The state directory.
    state: Option<PathBuf>,
    /// Sign-ins revoked before their time (read from the state directory when it changes).
    revoked: Mutex<Revoked>,
    /// Which bed each box serves, by its certificate's CN (the config's `[boxes]`).
    boxes: Option<HashMap<String, String>>,
}

impl Shared {
    /// Whether `key` (a staff number, an address) has had too many wrong tries lately.
    fn locked_out(&self, key: &str) -> bool {
        let wrong = self.wrong.lock().unwrap().get(key).copied();
        wrong.is_some_and(|(count, last)| count >= WRONG_MAX && last.elapsed() < LOCKOUT)
    }

    fn wrong_try(&self, key: String) {
        let mut wrong = self.wrong.lock().unwrap();
        let entry = wrong.entry(key).or_insert((0, std::time::Instant::now()));
        entry.0 += 1;
        entry.1 = std::time::Instant::now();
    }

    /// Writes the invitations to the state directory (if there is one). Called with the book
    /// locked, so writes never interleave; a failure is logged, the invitation still stands
    /// (it then ends with a restart).
    fn keep(&self, book: &invitation::Book) {
        if let Some(dir) = &self.state {
            let path = dir.join(server_state::INVITATIONS);
            if let Err(e) = server_state::save(&path, book) {
                tracing::error!(error = %e, "the invitations cannot be written");
            }
        }
    }

    /// The bed a box with this certificate may act for: `Ok(None)` where boxes are not tied to
    /// beds, `Err` for a box the `[boxes]` table does not list.
    fn bed_of_box(&self, cert: &BoxCert) -> Result<Option<String>, ()> {
        match &self.boxes {
            None => Ok(None),
            Some(boxes) => cert
                .name
                .as_ref()
                .and_then(|cn| boxes.get(cn))
                .map(|bed| Some(bed.trim().to_owned()))
                .ok_or(()),
        }
    }

    /// Closes the connection serving a peer now.
    fn kill(&self, peer: &str) {
        let connection = self.places.lock().unwrap().connection(peer);
        if let Some(kill) = self.kills.lock().unwrap().get(&connection) {
            kill.kill();
        }
    }

    /// Ends the live connections of tokens with these subjects.
    fn end_subjects(&self, subjects: &[String]) {
        let peers: Vec<String> = {
            let gate = self.gate.lock().unwrap();
            subjects.iter().flat_map(|s| gate.peers_of(s)).collect()
        };
        let kills = self.kills.lock().unwrap();
        for peer in peers {
            if let Some(kill) = kills.get(&peer) {
                kill.kill();
            }
        }
    }
}

/// Random bytes from the system's source.
fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source");
    bytes
}

/// An invitation's code: each digit from 16 random bits (a bias under 1 in 6,000).
fn random_code() -> String {
    random_bytes::<{ 2 * invitation::CODE_DIGITS }>()
        .chunks(2)
        .map(|b| char::from(b'0' + (u16::from_le_bytes([b[0], b[1]]) % 10) as u8))
        .collect()
}

fn random_id() -> String {
    random_bytes::<12>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.certificate)
        .map_err(|e| format!("tls.certificate {}: {e}", files.certificate.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("tls.certificate {}: {e}", files.certificate.display()))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("tls.key {}: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &files.box_ca {
        Some(ca) => {
            let roots = bedside::tls::rustls_roots(Some(ca)).map_err(|e| format!("tls.box_{e}"))?;
            // Optional at the TLS layer: pages have no certificate and show a token instead.
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| format!("tls.box_ca: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("tls: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A box's certificate as the server knows it: a short fingerprint (for the log and the meta)
/// and its subject's common name (what `[boxes]` lists).
#[derive(Clone, Debug)]
struct BoxCert {
    fingerprint: String,
    name: Option<String>,
}

impl BoxCert {
    fn of(der: &[u8]) -> BoxCert {
        let name = x509_parser::parse_x509_certificate(der)
            .ok()
            .and_then(|(_, cert)| {
                cert.subject()
                    .iter_common_name()
                    .next()
                    .and_then(|cn| cn.as_str().ok())
                    .map(|cn| cn.trim().to_owned())
            });
        BoxCert {
            fingerprint: fingerprint(der),
            name,
        }
    }
}

/// A short, stable name for a box's certificate (never its contents in the log).
fn fingerprint(cert: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert);
    let hex: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: &str,
    kind: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    stream.shutdown().await
}

async fn json<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: &str,
    body: serde_json::Value,
) -> io::Result<()> {
    respond(
        stream,
        status,
        "application/json",
        body.to_string().as_bytes(),
    )
    .await
}

/// Reads the request head (and returns it with whatever came after it).
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(buf);
        }
        if buf.len() > HEAD_MAX {
            return Err(io::Error::other("request head too large"));
        }
    }
}

/// The token a WebSocket request carries: `Authorization: Bearer`, or the subprotocol
/// `bearer.<token>` (a browser cannot set headers on a WebSocket).
fn token_of(headers: &[httparse::Header<'_>]) -> Option<String> {
    for h in headers {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("authorization") {
            if let Some(t) = value.trim().strip_prefix("Bearer ") {
                return Some(t.trim().to_owned());
            }
        } else if h.name.eq_ignore_ascii_case("sec-websocket-protocol") {
            for proto in value.split(',') {
                if let Some(t) = proto.trim().strip_prefix("bearer.") {
                    return Some(t.to_owned());
                }
            }
        }
    }
    None
}

fn header<'a>(
    headers: &'a [httparse::Header<'_>],
    name: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8_lossy(h.value))
}

#[derive(Deserialize)]
struct SignIn {
    number: String,
    password: String,
}

/// Reads a request body of `length` bytes, of which `body` came with the head (None: too large).
async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut body: Vec<u8>,
    length: usize,
) -> io::Result<Option<Vec<u8>>> {
    if length > BODY_MAX {
        return Ok(None);
    }
    while body.len() < length {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.read(&mut chunk))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some(body))
}

/// `POST /redeem {"code"}`: an invitation's one-time code for a family token.
async fn redeem<S: AsyncWrite + Unpin>(
    shared: &Arc<Shared>,
    stream: &mut S,
    body: &[u8],
    from: SocketAddr,
) -> io::Result<()> {
    #[derive(Deserialize)]
    struct Redeem {
        code: String,
    }
    let address = from.ip().to_string();
    if shared.locked_out(&address) {
        return json(
            stream,
            "429 Too Many Requests",
            serde_json::json!({"error": "too many wrong codes: wait 15 minutes"}),
        )
        .await;
    }
    let Ok(request) = serde_json::from_slice::<Redeem>(body) else {
        return json(
            stream,
            "400 Bad Request",
            serde_json::json!({"error": "send {\"code\": ...}"}),
        )
        .await;
    };
    let result = {
        let mut book = shared.book.lock().unwrap();
        let result = book.redeem(&request.code, now());
        if result.is_ok() {
            // Used up: a restart must not make the code good again.
            shared.keep(&book);
        }
        result
    };
    match result {
        Ok(claims) => {
            tracing::info!(kind = "family", "an invitation was used");
            json(
                stream,
                "200 OK",
                serde_json::json!({
                    "token": shared.tokens.issue(&claims),
                    "name": claims.name,
                    "role": claims.role,
                    "expires": claims.exp,
                }),
            )
            .await
        }
        Err(e) => {
            shared.wrong_try(address);
            json(
                stream,
                "401 Unauthorized",
                serde_json::json!({"error": e.to_string()}),
            )
            .await
        }
    }
}

/// `POST /invitations` and `POST /invitations/revoke`: boxes only (their certificate).
async fn invitations<S: AsyncWrite + Unpin>(
    shared: &Arc<Shared>,
    stream: &mut S,
    route: &str,
    body: &[u8],
    certificate: Option<&BoxCert>,
) -> io::Result<()> {
    let Some(certificate) = certificate else {
        return json(
            stream,
            "403 Forbidden",
            serde_json::json!({"error": "only a box (with its certificate) may do that"}),
        )
        .await;
    };
    // Where boxes are tied to beds, a box acts for its own bed only.
    let Ok(own) = shared.bed_of_box(certificate) else {
        return json(
            stream,
            "403 Forbidden",
            serde_json::json!({"error": "this box is not assigned to a bed on this call server"}),
        )
        .await;
    };
    let not_own = |bed: Option<&str>| own.as_deref().is_some_and(|own| bed != Some(own));
    if route == "/invitations" {
        let Ok(request) = serde_json::from_slice::<invitation::Request>(body) else {
            return json(
                stream,
                "400 Bad Request",
                serde_json::json!({"error": "not an invitation request"}),
            )
            .await;
        };
        if not_own(Some(request.bed.trim())) {
            return json(
                stream,
                "403 Forbidden",
                serde_json::json!({"error": "a box invites to its own bed only"}),
            )
            .await;
        }
        let issued = {
            let mut book = shared.book.lock().unwrap();
            let issued = book.issue(request, random_id(), random_code(), now());
            if issued.is_ok() {
                shared.keep(&book);
            }
            issued
        };
        return match issued {
            Ok(issued) => {
                tracing::info!(id = %issued.id, "an invitation was issued");
                json(stream, "200 OK", serde_json::to_value(&issued).unwrap()).await
            }
            Err(e) => json(stream, "400 Bad Request", serde_json::json!({"error": e})).await,
        };
    }
    #[derive(Deserialize)]
    struct Revoke {
        id: Option<String>,
        bed: Option<String>,
    }
    let Ok(revoke) = serde_json::from_slice::<Revoke>(body) else {
        return json(
            stream,
            "400 Bad Request",
            serde_json::json!({"error": "send {\"id\": ...} or {\"bed\": ...}"}),
        )
        .await;
    };
    let gone = {
        let mut book = shared.book.lock().unwrap();
        let of_id = revoke.id.as_deref().and_then(|id| book.bed_of(id));
        let foreign = (revoke.id.is_some() && of_id.is_some() && not_own(of_id))
            || (revoke.bed.is_some() && not_own(revoke.bed.as_deref().map(str::trim)));
        if foreign {
            None
        } else {
            let gone = book.revoke(revoke.id.as_deref(), revoke.bed.as_deref());
            shared.keep(&book);
            Some(gone)
        }
    };
    let Some(gone) = gone else {
        return json(
            stream,
            "403 Forbidden",
            serde_json::json!({"error": "a box ends its own bed's invitations only"}),
        )
        .await;
    };
    shared.end_subjects(&gone);
    tracing::info!(count = gone.len(), "invitations were revoked");
    json(stream, "200 OK", serde_json::json!({"revoked": gone.len()})).await
}

/// `POST /sign-in {"number", "password"}`: a care-team token from the staff directory.
async fn sign_in<S: AsyncWrite + Unpin>(
    shared: &Arc<Shared>,
    stream: &mut S,
    body: &[u8],
) -> io::Result<()> {
    let Some(directory) = &shared.directory else {
        return json(
            stream,
            "404 Not Found",
            serde_json::json!({"error": "sign-in is not set up on this server"}),
        )
        .await;
    };
    let Ok(request) = serde_json::from_slice::<SignIn>(body) else {
        return json(
            stream,
            "400 Bad Request",
            serde_json::json!({"error": "send {\"number\": ..., \"password\": ...}"}),
        )
        .await;
    };
    let number = request.number.trim().to_owned();
    if shared.locked_out(&number) {
        return json(
            stream,
            "429 Too Many Requests",
            serde_json::json!({"error": "too many wrong passwords: wait 15 minutes"}),
        )
        .await;
    }
    let pin = bedside::domain::session::pad::StaffPin::from_secret(request.password.as_bytes());
    // The directory is blocking (LDAP over TLS, with its own timeouts): off the event loop.
    let verdict = {
        let number = number.clone();
        let directory = directory.clone();
        tokio::task::spawn_blocking(move || directory.verify(&number, &pin))
            .await
            .map_err(io::Error::other)?
    };
    use bedside::domain::session::staff::Verdict as V;
    match verdict {
        V::Accepted(staff) => {
            shared.wrong.lock().unwrap().remove(&number);
            let now = now();
            let claims = gate::claims(
                &staff.practitioner,
                &staff.name,
                &staff.role,
                "care-team",
                now,
                shared.token_seconds,
            );
            tracing::info!(kind = "care-team", "signed in");
            json(
                stream,
                "200 OK",
                serde_json::json!({
                    "token": shared.tokens.issue(&claims),
                    "name": claims.name,
                    "role": claims.role,
                    "expires": claims.exp,
                }),
            )
            .await
        }
        V::WrongPin | V::Refused => {
            shared.wrong_try(number);
            tracing::info!("a sign-in was refused");
            json(
                stream,
                "401 Unauthorized",
                serde_json::json!({"error": "that staff number and password do not match"}),
            )
            .await
        }
        V::Unreachable => {
            json(
                stream,
                "503 Service Unavailable",
                serde_json::json!({"error": "the staff directory cannot be reached"}),
            )
            .await
        }
    }
}

/// One connection, after TLS (if any): a page, a sign-in, or a peer.
async fn connection<S>(
    shared: Arc<Shared>,
    server: Server,
    mut stream: S,
    certificate: Option<BoxCert>,
    from: SocketAddr,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_head(&mut stream))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    let mut headers = [httparse::EMPTY_HEADER; 48];
    let mut request = httparse::Request::new(&mut headers);
    let Ok(httparse::Status::Complete(head_len)) = request.parse(&head) else {
        return respond(&mut stream, "400 Bad Request", "text/plain", b"bad request").await;
    };
    let method = request.method.unwrap_or_default().to_owned();
    let path = request.path.unwrap_or_default().to_owned();
    let upgrade = header(request.headers, "upgrade")
        .is_some_and(|u| u.trim().eq_ignore_ascii_case("websocket"));
    if !upgrade {
        let route = path.split('?').next().unwrap_or_default();
        return match (method.as_str(), route) {
            ("GET", "/" | "/index.html") => {
                respond(
                    &mut stream,
                    "200 OK",
                    "text/html; charset=utf-8",
                    PAGE.as_bytes(),
                )
                .await
            }
            ("POST", "/sign-in" | "/redeem" | "/invitations" | "/invitations/revoke") => {
                let length = header(request.headers, "content-length")
                    .and_then(|l| l.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                let Some(body) = read_body(&mut stream, head[head_len..].to_vec(), length).await?
                else {
                    return json(
                        &mut stream,
                        "413 Payload Too Large",
                        serde_json::json!({"error": "too large"}),
                    )
                    .await;
                };
                match route {
                    "/sign-in" => sign_in(&shared, &mut stream, &body).await,
                    "/redeem" => redeem(&shared, &mut stream, &body, from).await,
                    _ => {
                        invitations(&shared, &mut stream, route, &body, certificate.as_ref()).await
                    }
                }
            }
            _ => respond(&mut stream, "404 Not Found", "text/plain", b"not found").await,
        };
    }
    // A WebSocket: who is it?
    let identity = match token_of(request.headers) {
        Some(token) => match shared.tokens.check(&token, now()) {
            Ok(claims)
                if shared
                    .revoked
                    .lock()
                    .unwrap()
                    .is_revoked(&claims.sub, claims.iat) =>
            {
                tracing::info!(%from, "a revoked sign-in was refused");
                return respond(
                    &mut stream,
                    "401 Unauthorized",
                    "text/plain",
                    b"this sign-in was ended: sign in again",
                )
                .await;
            }
            Ok(claims) if shared.book.lock().unwrap().revoked(&claims.sub) => {
                tracing::info!(%from, "a revoked invitation was refused");
                return respond(
                    &mut stream,
                    "401 Unauthorized",
                    "text/plain",
                    b"this invitation has ended",
                )
                .await;
            }
            Ok(claims) => Identity::Person(claims),
            Err(e) => {
                tracing::info!(%from, error = %e, "a connection was refused");
                return respond(
                    &mut stream,
                    "401 Unauthorized",
                    "text/plain",
                    e.to_string().as_bytes(),
                )
                .await;
            }
        },
        None => match certificate {
            Some(cert) => match shared.bed_of_box(&cert) {
                Ok(bed) => Identity::Box {
                    subject: cert.fingerprint,
                    bed,
                },
                Err(()) => {
                    tracing::warn!(%from, certificate = %cert.fingerprint, "a box no bed is assigned to was refused");
                    return respond(
                        &mut stream,
                        "403 Forbidden",
                        "text/plain",
                        b"this box is not assigned to a bed on this call server",
                    )
                    .await;
                }
            },
            None => {
                tracing::info!(%from, "a connection without a token or a certificate was refused");
                return respond(
                    &mut stream,
                    "401 Unauthorized",
                    "text/plain",
                    b"sign in first (a token), or connect with a box certificate",
                )
                .await;
            }
        },
    };
    // A box that was in a call when its link dropped asks for its place back.
    let resume = path
        .split_once('?')
        .and_then(|(_, query)| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("resume="))
        })
        .map(str::to_owned);
    let wants_subprotocol = header(request.headers, "sec-websocket-protocol")
        .is_some_and(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL));
    let kill = Arc::new(Kill::default());
    let conn = Conn {
        head,
        at: 0,
        inner: stream,
        kill: kill.clone(),
    };
    // The signature is tungstenite's `Callback`; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = move |_: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        if wants_subprotocol {
            response.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                SUBPROTOCOL.parse().expect("a valid header value"),
            );
        }
        Ok(response)
    };
    let mut server = server;
    let peer = server
        .accept_hdr_async(conn, callback)
        .await
        .map_err(io::Error::other)?;
    let expires = match &identity {
        Identity::Person(claims) => Some(claims.exp),
        Identity::Box { .. } => None,
    };
    tracing::info!(
        peer = %peer,
        kind = match &identity { Identity::Person(c) => c.kind.as_str(), Identity::Box { .. } => "bed" },
        "a peer connected"
    );
    shared
        .kills
        .lock()
        .unwrap()
        .insert(peer.clone(), kill.clone());
    let arrived = match &identity {
        Identity::Box { subject, .. } => {
            shared
                .places
                .lock()
                .unwrap()
                .arrive(subject, &peer, resume.as_deref())
        }
        Identity::Person(_) => Arrived::New { ended: None },
    };
    match arrived {
        Arrived::New { ended } => {
            if let Some((old, open)) = ended {
                // The box started afresh: its earlier place ends now.
                tracing::info!(peer = %old, "a box started afresh; its earlier place ends");
                shared.gate.lock().unwrap().leave(&old);
                let _ = shared.tell.unbounded_send((old, None));
                if let Some(open) = open
                    && let Some(kill) = shared.kills.lock().unwrap().get(&open)
                {
                    kill.kill();
                }
            }
            shared.gate.lock().unwrap().admit(&peer, identity)
        }
        // The gate knows the box by its place already.
        Arrived::Back {
            peer: place,
            replaced,
        } => {
            tracing::info!(peer = %place, connection = %peer, "a box is back in its place");
            if let Some(old) = replaced
                && let Some(kill) = shared.kills.lock().unwrap().get(&old)
            {
                kill.kill();
            }
        }
    }
    if let Some(exp) = expires {
        // The token's end is the connection's end.
        let left = u64::try_from(exp - now()).unwrap_or(0);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(left)).await;
            kill.kill();
        });
    }
    Ok(())
}

/// Judges one message on its way to the signalling handler.
async fn judge(
    shared: Arc<Shared>,
    peer: String,
    message: Option<p::IncomingMessage>,
) -> Option<(String, Option<p::IncomingMessage>)> {
    // `peer` is the connection's id; the handler and the gate know a box back on a new
    // connection by its first one (its place).
    let connection = peer;
    let Some(message) = message else {
        shared.kills.lock().unwrap().remove(&connection);
        let left = shared.places.lock().unwrap().leave(&connection);
        return match left {
            Left::Gone(peer) => {
                shared.gate.lock().unwrap().leave(&peer);
                Some((peer, None))
            }
            Left::Replaced => None,
            Left::Held { peer, hold } => {
                tracing::info!(peer = %peer, "a box's connection ended; its place is held");
                tokio::spawn(async move {
                    tokio::time::sleep(places::HOLD).await;
                    if shared.places.lock().unwrap().expire(&peer, hold) {
                        tracing::info!(peer = %peer, "a box did not come back");
                        shared.gate.lock().unwrap().leave(&peer);
                        let _ = shared.tell.unbounded_send((peer, None));
                    }
                });
                None
            }
        };
    };
    // The peer is admitted (or put back in its place) right after its handshake; its first
    // message (the server's own `newPeer`) races that.
    for _ in 0..100 {
        let peer = shared.places.lock().unwrap().peer(&connection);
        if shared.gate.lock().unwrap().knows(&peer) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let peer = shared.places.lock().unwrap().peer(&connection);
    let message = match message {
        p::IncomingMessage::NewPeer if shared.places.lock().unwrap().is_back(&connection) => {
            // Welcomed as the place it had: the box's sessions lived on. Then what ended
            // while it was away.
            let kept = shared.places.lock().unwrap().take_kept(&peer);
            let welcome = p::OutgoingMessage::Welcome {
                peer_id: peer.clone(),
            };
            for message in std::iter::once(welcome).chain(kept) {
                let _ = shared.say.unbounded_send((peer.clone(), message));
            }
            return None;
        }
        p::IncomingMessage::NewPeer => {
            return Some((peer, Some(p::IncomingMessage::NewPeer)));
        }
        m => m,
    };
    let verdict = shared.gate.lock().unwrap().check(&peer, message);
    match verdict {
        Verdict::Pass(m) => Some((peer, Some(m))),
        Verdict::Drop(why) => {
            tracing::info!(peer = %peer, %why, "a message was refused");
            let _ = shared
                .say
                .unbounded_send((peer, p::OutgoingMessage::Error { details: why }));
            None
        }
        Verdict::Refuse(why) => {
            tracing::warn!(peer = %peer, %why, "a peer was disconnected");
            let _ = shared
                .say
                .unbounded_send((peer.clone(), p::OutgoingMessage::Error { details: why }));
            // Time for the error to go out first.
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                shared.kill(&peer);
            });
            None
        }
    }
}

/// Reads the revoked sign-ins again whenever `bedside-call-server revoke` changed them, and
/// cuts off the pages of tokens now revoked.
async fn watch_revoked(shared: Arc<Shared>, path: PathBuf) {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut seen = modified(&path);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now_modified = modified(&path);
        if now_modified == seen {
            continue;
        }
        seen = now_modified;
        match server_state::load::<Revoked>(&path) {
            Ok(revoked) => {
                let peers = shared.gate.lock().unwrap().peers_revoked(&revoked);
                *shared.revoked.lock().unwrap() = revoked;
                let kills = shared.kills.lock().unwrap();
                for peer in &peers {
                    if let Some(kill) = kills.get(peer) {
                        kill.kill();
                    }
                }
                tracing::info!(cut = peers.len(), "revoked sign-ins read again");
            }
            // The last good list stays in force.
            Err(e) => tracing::error!(error = %e, "the revoked sign-ins cannot be read"),
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    server: Server,
) {
    loop {
        let (tcp, from) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let server = server.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let result = match tls {
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let certificate = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .map(|c| BoxCert::of(c.as_ref()));
                            connection(shared, server, stream, certificate, from).await
                        }
                        Ok(Err(e)) => Err(e),
                        Err(_) => Err(io::ErrorKind::TimedOut.into()),
                    }
                }
                None => connection(shared, server, tcp, None, from).await,
            };
            if let Err(e) = result {
                tracing::debug!(%from, error = %e, "connection ended");
            }
        });
    }
}

fn start(config: Config) -> Result<(), String> {
    let key = read_file(&config.tokens.key_file, "tokens.key_file")?;
    let tokens = Tokens::new(&key)?;
    let directory = config
        .staff
        .as_ref()
        .map(bedside::staff::directory::Directory::new)
        .transpose()?
        .map(Arc::new);
    let tls = config.tls.as_ref().map(tls_acceptor).transpose()?;
    if config.listen.tls.is_some() && tls.is_none() {
        return Err("listen.tls needs a [tls] section (certificate and key)".into());
    }
    if config.listen.tls.is_none() && config.listen.plain.is_none() {
        return Err("[listen] needs tls or plain (or both)".into());
    }
    let state = config.state.as_ref().map(|s| s.dir.clone());
    let (book, revoked) = match &state {
        Some(dir) => {
            let book: invitation::Book = server_state::load(&dir.join(server_state::INVITATIONS))?;
            let revoked: Revoked = server_state::load(&dir.join(server_state::REVOKED))?;
            (book.keyed(&key, now()), revoked)
        }
        None => {
            tracing::warn!(
                "no [state] dir: invitations end when the server restarts, and sign-ins cannot be revoked"
            );
            (invitation::Book::with_key(&key), Revoked::default())
        }
    };
    match &config.boxes {
        None => {
            tracing::warn!("no [boxes] table: any box the box CA signed may register as any bed")
        }
        Some(boxes) => tracing::info!(boxes = boxes.len(), "boxes are tied to their beds"),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let (say, said) = futures::channel::mpsc::unbounded();
        let (tell, told) = futures::channel::mpsc::unbounded();
        let shared = Arc::new(Shared {
            tokens,
            token_seconds: i64::from(config.tokens.hours.max(1)) * 3600,
            directory,
            gate: Mutex::new(Gate::default()),
            kills: Mutex::new(HashMap::new()),
            say,
            tell,
            places: Mutex::new(Places::default()),
            wrong: Mutex::new(HashMap::new()),
            book: Mutex::new(book),
            state: state.clone(),
            revoked: Mutex::new(revoked),
            boxes: config.boxes.clone(),
        });
        if let Some(dir) = state {
            tokio::spawn(watch_revoked(
                shared.clone(),
                dir.join(server_state::REVOKED),
            ));
        }
        let judged = shared.clone();
        let placed = shared.clone();
        let server = Server::spawn(move |incoming| {
            let checked =
                incoming.filter_map(move |(peer, message)| judge(judged.clone(), peer, message));
            let checked = futures::stream::select(checked, told);
            futures::stream::select(Handler::new(Box::pin(checked)), said).filter_map(
                move |(peer, message)| {
                    futures::future::ready(placed.places.lock().unwrap().deliver(peer, message))
                },
            )
        });
        let mut tasks = Vec::new();
        for (addr, acceptor) in [
            (config.listen.tls.as_deref(), tls),
            (config.listen.plain.as_deref(), None),
        ] {
            let Some(addr) = addr else { continue };
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            tracing::info!(
                address = %listener.local_addr().map_err(|e| e.to_string())?,
                tls = acceptor.is_some(),
                "listening"
            );
            tasks.push(tokio::spawn(accept_loop(
                listener,
                acceptor,
                shared.clone(),
                server.clone(),
            )));
        }
        // Runs until it is stopped (SIGTERM from systemd, or a kill).
        for task in tasks {
            let _ = task.await;
        }
        Ok::<(), String>(())
    })
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BEDSIDE_LOG")
                // GStreamer's handler logs every message at info (names and addresses in
                // them) and a box's keep-alive pings as warnings: its errors only.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("info,gst_plugin_webrtc_signalling=error")
                }),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config.display()))
        .and_then(|text| {
            toml::from_str::<Config>(&text).map_err(|e| format!("{}: {e}", args.config.display()))
        });
    let run = config.and_then(|config| match args.command {
        Some(Command::Revoke { sub }) => revoke(&config, &sub),
        Some(command) => print_token(&config, command),
        None => start(config),
    });
    match run {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bedside-call-server: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
