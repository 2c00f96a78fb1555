//! `bedside-call-server`, the call signalling server boxes and care-team pages use: nobody gets
//! in without proof (a token it signed, or a box certificate the hospital CA signed), and what
//! a peer says of itself never overrides what was proven. The real server binary on loopback,
//! the box's own signalling link as the box, a plain WebSocket client as a page, and Chromium
//! on the real page for the sign-in against a real staff directory (slapd).

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use bedside::call::gate::{Tokens, claims};
use bedside::call::signalling::{Link, LinkError, TlsSetup};
use common::calls::Servers;
use gst_plugin_webrtc_signalling_protocol as p;
use serde_json::json;
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

/// The box's link to the server, with the box certificate (or without, `certificate: false`).
fn as_box(servers: &Servers, certificate: bool) -> Result<Link, LinkError> {
    let d = servers.dir.path();
    Link::connect(
        &servers.url(),
        &TlsSetup {
            ca_file: Some(d.join("ca.pem")),
            client_cert: certificate.then(|| d.join("box.pem")),
            client_key: certificate.then(|| d.join("box.key")),
        },
    )
}

/// A page's WebSocket on the plain port, showing `token` as the page does (a subprotocol).
fn as_page(servers: &Servers, token: Option<&str>) -> Result<WebSocket<TcpStream>, String> {
    let url = format!("ws://127.0.0.1:{}/signalling", servers.plain);
    let mut request = url.as_str().into_client_request().unwrap();
    if let Some(token) = token {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            format!("bedside-call, bearer.{token}").parse().unwrap(),
        );
    }
    let tcp = TcpStream::connect(("127.0.0.1", servers.plain)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    match tungstenite::client(request, tcp) {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(response))) => {
            Err(format!("HTTP {}", response.status().as_u16()))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The next protocol message a page receives (None: the connection ended).
fn next(socket: &mut WebSocket<TcpStream>) -> Option<serde_json::Value> {
    loop {
        match socket.read() {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

fn send(socket: &mut WebSocket<TcpStream>, message: serde_json::Value) {
    socket.send(Message::text(message.to_string())).unwrap();
}

/// What the box hears within `wait`, as messages.
fn heard(link: &mut Link, wait: Duration) -> Vec<p::OutgoingMessage> {
    let started = Instant::now();
    let mut all = Vec::new();
    while started.elapsed() < wait {
        if let Some(m) = link.receive(Duration::from_millis(100)).unwrap() {
            all.push(m);
        }
    }
    all
}

/// The `meta` of the first person (not a bed) the box hears arrive within 800 ms.
fn person_arrived(bed: &mut Link) -> Option<serde_json::Value> {
    heard(bed, Duration::from_millis(800))
        .into_iter()
        .find_map(|m| match m {
            p::OutgoingMessage::PeerStatusChanged(s) => s.meta.filter(|m| m["kind"] != "bed"),
            _ => None,
        })
}

fn register_box(link: &mut Link) {
    link.send(&p::IncomingMessage::SetPeerStatus(p::PeerStatus {
        roles: vec![p::PeerRole::Producer, p::PeerRole::Listener],
        meta: Some(json!({"kind": "bed", "name": "Bed 7B", "bed": "urn:bed|7B", "busy": false, "verified": "by me"})),
        peer_id: None,
    }))
    .unwrap();
}

#[test]
fn nobody_gets_in_without_a_token_this_server_signed_or_a_box_certificate() {
    let servers = Servers::start();
    let now = jiff::Timestamp::now().as_second();
    let nurse = Servers::care_team("Ana Ruiz", "Nurse");

    // No token; an expired one; one signed by another key; garbage: refused at the door.
    assert_eq!(as_page(&servers, None).err().as_deref(), Some("HTTP 401"));
    let expired = claims(
        "Practitioner/1",
        "Ana Ruiz",
        "Nurse",
        "care-team",
        now - 7200,
        3600,
    );
    assert_eq!(
        as_page(&servers, Some(&servers.token(&expired)))
            .err()
            .as_deref(),
        Some("HTTP 401")
    );
    let foreign = Tokens::new(b"a key the hospital never gave us!")
        .unwrap()
        .issue(&nurse);
    assert_eq!(
        as_page(&servers, Some(&foreign)).err().as_deref(),
        Some("HTTP 401")
    );
    assert_eq!(
        as_page(&servers, Some("not-a-token")).err().as_deref(),
        Some("HTTP 401")
    );

    // A box without its certificate: refused; with it: welcomed.
    match as_box(&servers, false) {
        Err(LinkError::Handshake(e)) => assert!(e.contains("401"), "{e}"),
        other => panic!("a box without a certificate got in: {:?}", other.is_ok()),
    }
    let mut bed = as_box(&servers, true).expect("the box with its certificate");
    assert!(
        heard(&mut bed, Duration::from_millis(500))
            .iter()
            .any(|m| matches!(m, p::OutgoingMessage::Welcome { .. })),
        "the box was not welcomed"
    );
    register_box(&mut bed);

    // A page with a good token, saying nothing of itself: the box sees the proven name.
    let mut page = as_page(&servers, Some(&servers.token(&nurse))).expect("a good token");
    assert_eq!(next(&mut page).unwrap()["type"], "welcome");
    send(
        &mut page,
        json!({"type": "setPeerStatus", "roles": ["producer", "listener"], "meta": {"verified": "trust me"}}),
    );
    let meta = person_arrived(&mut bed).expect("the box heard the nurse arrive");
    assert_eq!(
        meta,
        json!({"kind": "care-team", "name": "Ana Ruiz", "role": "Nurse", "verified": "sign-in"})
    );

    // The page sees the bed as its certificate proved it, whatever the box said of `verified`.
    send(&mut page, json!({"type": "list"}));
    let list = loop {
        let m = next(&mut page).expect("a list");
        if m["type"] == "list" {
            break m;
        }
    };
    let bed_meta = list["producers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["meta"]["kind"] == "bed")
        .expect("the bed is listed")["meta"]
        .clone();
    assert_eq!(bed_meta["verified"], "certificate");
    assert_eq!(bed_meta["name"], "Bed 7B");

    // A page that says it is someone else (here, a doctor) is told why and disconnected, and
    // never listed.
    let mut forger = as_page(&servers, Some(&servers.token(&nurse))).unwrap();
    assert_eq!(next(&mut forger).unwrap()["type"], "welcome");
    send(
        &mut forger,
        json!({"type": "setPeerStatus", "roles": ["producer", "listener"], "meta": {"kind": "care-team", "name": "Ana Ruiz", "role": "Doctor"}}),
    );
    let said = next(&mut forger).expect("told why");
    assert_eq!(said["type"], "error");
    assert!(said["details"].as_str().unwrap().contains("role"), "{said}");
    assert_eq!(next(&mut forger), None, "the forger stayed connected");
    let seen = heard(&mut bed, Duration::from_millis(500));
    assert!(
        !seen.iter().any(|m| matches!(
            m,
            p::OutgoingMessage::PeerStatusChanged(s) if s.meta.as_ref().is_some_and(|m| m["role"] == "Doctor")
        )),
        "the forged role reached the bed: {seen:?}"
    );

    // A token cannot make a page a bed either.
    let mut fake_bed = as_page(&servers, Some(&servers.token(&nurse))).unwrap();
    next(&mut fake_bed);
    send(
        &mut fake_bed,
        json!({"type": "setPeerStatus", "roles": ["producer"], "meta": {"kind": "bed", "name": "Bed 7B"}}),
    );
    assert_eq!(next(&mut fake_bed).unwrap()["type"], "error");
    assert_eq!(next(&mut fake_bed), None);
}

#[test]
fn family_reach_only_the_bed_their_invitation_names() {
    let servers = Servers::start();
    let mut bed = as_box(&servers, true).unwrap();
    register_box(&mut bed);
    heard(&mut bed, Duration::from_millis(300));
    let mut invited = Servers::care_team("Lan Tran", "Daughter");
    invited.kind = "family".into();
    invited.bed = Some("urn:bed|9C".into());
    let mut page = as_page(&servers, Some(&servers.token(&invited))).unwrap();
    next(&mut page);
    send(
        &mut page,
        json!({"type": "setPeerStatus", "roles": ["producer", "listener"], "meta": {}}),
    );
    send(&mut page, json!({"type": "list"}));
    let bed_id = loop {
        let m = next(&mut page).expect("a list");
        if m["type"] == "list" {
            break m["producers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["meta"]["kind"] == "bed")
                .unwrap()["id"]
                .clone();
        }
    };
    // Bed 7B is not the bed the invitation names: the call never reaches it.
    send(&mut page, json!({"type": "startSession", "peerId": bed_id}));
    let answer = next(&mut page).unwrap();
    assert_eq!(answer["type"], "error", "{answer}");
    assert!(
        !heard(&mut bed, Duration::from_millis(500))
            .iter()
            .any(|m| matches!(m, p::OutgoingMessage::StartSession { .. })),
        "the bed rang for someone invited to another bed"
    );
}

#[test]
fn a_nurse_signs_in_on_the_page_with_the_staff_directory_and_beds_see_who_she_is() {
    let slapd = common::slapd::Slapd::start();
    let servers = Servers::start_with(&slapd.section());
    let mut bed = as_box(&servers, true).unwrap();
    register_box(&mut bed);
    heard(&mut bed, Duration::from_millis(300));

    let mut page = common::chromium::Chromium::open(&servers.page);
    page.wait_for(
        "document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    let sign_in = |page: &mut common::chromium::Chromium, number: &str, password: &str| {
        page.eval(&format!(
            "document.getElementById('number').value = {}; document.getElementById('password').value = {}; \
             document.getElementById('signin-form').requestSubmit(); true",
            json!(number),
            json!(password)
        ));
    };
    // A wrong password: told so, not connected.
    sign_in(&mut page, "0012345", "1111");
    page.wait_for(
        "document.getElementById('signin-error').textContent.includes('do not match')",
        Duration::from_secs(10),
    );
    assert_eq!(
        page.eval("window.careTeam.state().id"),
        serde_json::Value::Null
    );
    // The right one: connected as the directory names her, and the bed sees that.
    sign_in(&mut page, "0012345", "2468");
    page.wait_for(
        "window.careTeam.state().beds.length > 0",
        Duration::from_secs(15),
    );
    let meta = person_arrived(&mut bed).expect("the bed heard the nurse");
    assert_eq!(meta["name"], "Ana Ruiz");
    assert_eq!(meta["role"], "Nurse");
    assert_eq!(meta["verified"], "sign-in");
    assert_eq!(
        page.eval("document.getElementById('who').textContent"),
        json!("Ana Ruiz · Nurse")
    );
}

#[test]
fn a_box_invites_family_with_a_one_time_code_and_revoking_ends_their_connection() {
    use bedside::call::invitation::{Client, Request};
    let servers = Servers::start();
    let d = servers.dir.path();
    let tls = TlsSetup {
        ca_file: Some(d.join("ca.pem")),
        client_cert: Some(d.join("box.pem")),
        client_key: Some(d.join("box.key")),
    };
    let mut bed = as_box(&servers, true).unwrap();
    register_box(&mut bed);
    heard(&mut bed, Duration::from_millis(300));
    let client = Client::new(&servers.url(), &tls).expect("the box's invitation client");
    let request = Request {
        name: "Marcus Hill".into(),
        role: "Son".into(),
        bed: "urn:bed|7B".into(),
        hours: 24,
    };
    let issued = client.invite(&request).expect("an invitation");
    assert_eq!(issued.code.len(), 8);

    // Only a box may invite: a page (no certificate) is refused.
    let plain = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let status = plain
        .post(&format!("{}invitations", servers.page))
        .header("Content-Type", "application/json")
        .send(serde_json::to_string(&request).unwrap())
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 403);

    // Marcus types the code on the page: he is on as family, for this bed.
    let mut page = common::chromium::Chromium::open(&servers.page);
    page.wait_for(
        "document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    let join = |page: &mut common::chromium::Chromium, code: &str| {
        page.eval(&format!(
            "document.getElementById('code').value = {}; \
             document.getElementById('code-form').requestSubmit(); true",
            json!(code)
        ));
    };
    join(
        &mut page,
        &format!("{} {}", &issued.code[..4], &issued.code[4..]),
    );
    page.wait_for(
        "window.careTeam.state().beds.length > 0",
        Duration::from_secs(15),
    );
    let meta = person_arrived(&mut bed).expect("the bed heard Marcus");
    assert_eq!(
        meta,
        json!({"kind": "family", "name": "Marcus Hill", "role": "Son", "verified": "invitation", "bed": "urn:bed|7B"})
    );
    // The code was for one use.
    let mut other = common::chromium::Chromium::open(&servers.page);
    other.wait_for(
        "document.readyState === 'complete'",
        Duration::from_secs(10),
    );
    join(&mut other, &issued.code);
    other.wait_for(
        "document.getElementById('code-error').textContent.includes('already used')",
        Duration::from_secs(10),
    );

    // The nurse revokes it: Marcus is cut off, and his token no longer gets in.
    assert_eq!(client.revoke(Some(&issued.id), None), Ok(1));
    page.wait_for(
        "window.careTeam.state().id === null",
        Duration::from_secs(10),
    );
    page.eval("window.careTeam.connect(); true");
    page.wait_for(
        "document.getElementById('status').textContent === 'Please sign in again'",
        Duration::from_secs(10),
    );

    // At discharge the box ends every invitation of its bed.
    client.invite(&request).unwrap();
    client.invite(&request).unwrap();
    assert_eq!(client.revoke(None, Some("urn:bed|7B")), Ok(2));
}

/// The box's invitation client, with the box certificate.
fn invitation_client(servers: &Servers) -> bedside::call::invitation::Client {
    let d = servers.dir.path();
    bedside::call::invitation::Client::new(
        &servers.url(),
        &TlsSetup {
            ca_file: Some(d.join("ca.pem")),
            client_cert: Some(d.join("box.pem")),
            client_key: Some(d.join("box.key")),
        },
    )
    .unwrap()
}

fn invitation(bed: &str) -> bedside::call::invitation::Request {
    bedside::call::invitation::Request {
        name: "Marcus Hill".into(),
        role: "Son".into(),
        bed: bed.into(),
        hours: 24,
    }
}

/// With a `[boxes]` table, a box certificate is tied to the one bed it serves: it registers as
/// that bed only, invites family to it and ends its invitations only; a box the table does not
/// list is not let in at all.
#[test]
fn a_box_is_tied_to_its_bed_by_its_certificate() {
    // The test box's certificate says CN=TV-4N-07B.
    let servers = Servers::start_with("[boxes]\n\"TV-4N-07B\" = \"urn:bed|7B\"\n");
    let mut bed = as_box(&servers, true).expect("the listed box");
    register_box(&mut bed);
    let mut page = as_page(
        &servers,
        Some(&servers.token(&Servers::care_team("Ana Ruiz", "Nurse"))),
    )
    .unwrap();
    assert_eq!(next(&mut page).unwrap()["type"], "welcome");
    send(&mut page, json!({"type": "list"}));
    let listed = loop {
        let m = next(&mut page).expect("a list");
        if m["type"] == "list" {
            break m;
        }
    };
    assert_eq!(listed["producers"][0]["meta"]["bed"], "urn:bed|7B");

    // The same box saying it is another bed is told why and cut off.
    let mut liar = as_box(&servers, true).unwrap();
    liar.send(&p::IncomingMessage::SetPeerStatus(p::PeerStatus {
        roles: vec![p::PeerRole::Producer, p::PeerRole::Listener],
        meta: Some(json!({"kind": "bed", "name": "Bed 9C", "bed": "urn:bed|9C"})),
        peer_id: None,
    }))
    .unwrap();
    // What it hears until it is cut off.
    let mut said = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        match liar.receive(Duration::from_millis(100)) {
            Ok(Some(m)) => said.push(m),
            Ok(None) => {}
            Err(_) => break,
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the liar stayed on"
    );
    assert!(
        said.iter().any(|m| matches!(
            m,
            p::OutgoingMessage::Error { details } if details.contains("another bed")
        )),
        "{said:?}"
    );

    // Invitations: its own bed only, both ways.
    let client = invitation_client(&servers);
    assert!(client.invite(&invitation("urn:bed|7B")).is_ok());
    let foreign = client.invite(&invitation("urn:bed|9C"));
    assert!(
        foreign.as_ref().is_err_and(|e| e.contains("own bed")),
        "{foreign:?}"
    );
    assert!(client.revoke(None, Some("urn:bed|9C")).is_err());
    assert_eq!(client.revoke(None, Some("urn:bed|7B")), Ok(1));

    // A server whose table does not list this box lets it in nowhere.
    let other = Servers::start_with("[boxes]\n\"TV-1A\" = \"urn:bed|1A\"\n");
    match as_box(&other, true) {
        Err(LinkError::Handshake(e)) => assert!(e.contains("403"), "{e}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("an unlisted box got in"),
    }
    assert!(
        invitation_client(&other)
            .invite(&invitation("urn:bed|7B"))
            .is_err()
    );
}

/// With a state directory, invitations outlive a restart of the server (the file holds no
/// code), and an administrator can end a person's sign-in: their page is cut off within
/// seconds and their token no longer gets in.
#[test]
fn invitations_outlive_a_restart_and_a_revoked_sign_in_is_cut_off() {
    let state = tempfile::tempdir().unwrap();
    let mut servers =
        Servers::start_with(&format!("[state]\ndir = \"{}\"\n", state.path().display()));
    let client = invitation_client(&servers);
    let issued = client.invite(&invitation("urn:bed|7B")).unwrap();
    let file = std::fs::read_to_string(state.path().join("invitations.json")).unwrap();
    assert!(!file.contains(&issued.code), "the code is in the file");

    let _ = servers.signalling.kill();
    let _ = servers.signalling.wait();
    servers.restart();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut redeemed = agent
        .post(&format!("{}redeem", servers.page))
        .header("Content-Type", "application/json")
        .send(json!({"code": issued.code}).to_string())
        .unwrap();
    assert_eq!(redeemed.status().as_u16(), 200, "the invitation was lost");
    let body: serde_json::Value =
        serde_json::from_str(&redeemed.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["name"], "Marcus Hill");

    // Ana's laptop is lost: biomedical IT revokes her sign-in.
    let ana = servers.token(&Servers::care_team("Ana Ruiz", "Nurse"));
    let mut page = as_page(&servers, Some(&ana)).unwrap();
    assert_eq!(next(&mut page).unwrap()["type"], "welcome");
    let revoked = std::process::Command::new(common::calls::signalling_bin())
        .arg("--config")
        .arg(servers.dir.path().join("call-server.toml"))
        .args(["revoke", "--sub", "Practitioner/test"])
        .output()
        .unwrap();
    assert!(revoked.status.success(), "{revoked:?}");
    let started = Instant::now();
    loop {
        match page.read() {
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "the revoked page stayed connected"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        as_page(&servers, Some(&ana)).err().as_deref(),
        Some("HTTP 401")
    );
    // Others are not touched.
    let lan = servers.token(&{
        let mut c = Servers::care_team("Omar Haddad", "Doctor");
        c.sub = "Practitioner/other".into();
        c
    });
    assert!(as_page(&servers, Some(&lan)).is_ok());
}
