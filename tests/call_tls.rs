//! The signalling link over TLS as a hospital runs it: `wss://` to a server whose certificate a
//! hospital CA signed, and the box proving which box it is with its own certificate (mutual
//! TLS, as a proxy in front of the signalling server asks). The server here is the test's own
//! (rustls, requiring a client certificate from the same CA), speaking just enough of the
//! protocol to welcome the bed and call it.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bedside::domain::call::Phase;
use bedside::launch::{Setup, headless_app};
use bedside::ui::app::TimeSource;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tungstenite::Message;

use common::calls::make_ca;

/// What the server saw of one connection attempt.
#[derive(Debug)]
enum Seen {
    /// The TLS handshake failed (the error says why).
    Refused(String),
    /// A client certificate was shown and verified; the bed then said these messages.
    Bed { cert: Vec<u8>, said: Vec<String> },
}

/// A wss:// server on 127.0.0.1 that requires a client certificate from `ca.pem`; it welcomes
/// each bed and calls it.
fn server(dir: &Path) -> (u16, mpsc::Receiver<Seen>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let config = config.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let conn = rustls::ServerConnection::new(config).unwrap();
                let tls = rustls::StreamOwned::new(conn, tcp);
                let mut ws = match tungstenite::accept(tls) {
                    Ok(ws) => ws,
                    Err(e) => {
                        let _ = tx.send(Seen::Refused(e.to_string()));
                        return;
                    }
                };
                let cert = ws
                    .get_ref()
                    .conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec())
                    .unwrap_or_default();
                ws.send(Message::text(r#"{"type":"welcome","peerId":"bed-1"}"#))
                    .unwrap();
                ws.send(Message::text(
                    r#"{"type":"list","producers":[{"id":"p-n","meta":{"kind":"care-team","name":"Ana Ruiz","role":"Nurse","verified":"sign-in"}}]}"#,
                ))
                .unwrap();
                ws.send(Message::text(
                    r#"{"type":"startSession","peerId":"p-n","sessionId":"s-tls"}"#,
                ))
                .unwrap();
                let mut said = Vec::new();
                ws.get_ref()
                    .get_ref()
                    .set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let until = Instant::now() + Duration::from_secs(2);
                while Instant::now() < until {
                    if let Ok(Message::Text(t)) = ws.read() {
                        said.push(t.to_string());
                    }
                }
                let _ = tx.send(Seen::Bed { cert, said });
                // Keep the link up while the test looks at the bed.
                let until = Instant::now() + Duration::from_secs(20);
                while Instant::now() < until {
                    let _ = ws.read();
                }
            });
        }
    });
    (port, rx)
}

/// The hospital CA, a server certificate it signed for 127.0.0.1, the box's own certificate
/// (`common::calls::pki`), and another CA that signed none of them.
fn pki(d: &Path) {
    common::calls::pki(d);
    make_ca(d, "other-ca");
}

fn bed_config(dir: &Path, port: u16, extra: &str) -> std::path::PathBuf {
    let state = tempfile::tempdir_in(dir).unwrap().keep();
    common::empty_bed_config(
        &state,
        &format!(
            "[call]\nsignalling_url = \"wss://127.0.0.1:{port}/signalling\"\ncamera = \"test\"\nmicrophone = \"test\"\n{extra}"
        ),
    )
}

#[test]
fn a_box_proves_itself_with_its_certificate_and_checks_the_servers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    let (port, seen) = server(d);
    let ca = d.join("ca.pem").display().to_string();
    let cert = d.join("box.pem").display().to_string();
    let key = d.join("box.key").display().to_string();

    // The box with its certificate: welcomed, registered, and the call rings.
    let config = bed_config(
        d,
        port,
        &format!("ca_file = \"{ca}\"\nclient_cert = \"{cert}\"\nclient_key = \"{key}\"\n"),
    );
    let setup = Setup::load(Some(&config), false).unwrap();
    let (headless, app) = headless_app(setup, (1920, 1080), TimeSource::System).unwrap();
    let started = Instant::now();
    while !matches!(app.call_phase(), Phase::Ringing { .. }) {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the box never rang over TLS: {:?}",
            app.call_phase()
        );
        headless.run_for(Duration::from_millis(20));
    }
    let Seen::Bed { cert: shown, said } = seen.recv_timeout(Duration::from_secs(10)).unwrap()
    else {
        panic!("the server refused the box");
    };
    let expected = CertificateDer::pem_file_iter(d.join("box.pem"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        shown,
        expected.to_vec(),
        "the box showed another certificate"
    );
    assert!(said.iter().any(|m| m.contains("setPeerStatus")), "{said:?}");
    drop(app);
    drop(headless);
}

#[test]
fn without_its_certificate_or_with_the_wrong_ca_the_box_gets_no_calls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    let (port, seen) = server(d);
    // No client certificate: the server refuses the box.
    let ca = d.join("ca.pem").display().to_string();
    let config = bed_config(d, port, &format!("ca_file = \"{ca}\"\n"));
    let setup = Setup::load(Some(&config), false).unwrap();
    let (headless, app) = headless_app(setup, (1920, 1080), TimeSource::System).unwrap();
    match seen.recv_timeout(Duration::from_secs(10)).unwrap() {
        Seen::Refused(why) => assert!(why.to_lowercase().contains("certificate"), "{why}"),
        other => panic!("a box without a certificate got in: {other:?}"),
    }
    headless.run_for(Duration::from_secs(1));
    assert_eq!(app.call_phase(), Phase::Idle);
    drop(app);
    drop(headless);
}

#[test]
fn a_server_the_hospital_ca_did_not_sign_is_never_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    pki(d);
    let (port, seen) = server(d);
    let other = d.join("other-ca.pem").display().to_string();
    let cert = d.join("box.pem").display().to_string();
    let key = d.join("box.key").display().to_string();
    let config = bed_config(
        d,
        port,
        &format!("ca_file = \"{other}\"\nclient_cert = \"{cert}\"\nclient_key = \"{key}\"\n"),
    );
    let setup = Setup::load(Some(&config), false).unwrap();
    let (headless, app) = headless_app(setup, (1920, 1080), TimeSource::System).unwrap();
    // The box hangs up in the handshake: the server sees it fail, the box never rings.
    assert!(matches!(
        seen.recv_timeout(Duration::from_secs(10)).unwrap(),
        Seen::Refused(_)
    ));
    headless.run_for(Duration::from_secs(1));
    assert_eq!(app.call_phase(), Phase::Idle);
    drop(app);
    drop(headless);
}
