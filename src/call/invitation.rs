//! Family invitations: a nurse, in clinician mode, invites someone the record names; the box
//! asks the call server (over its mutual-TLS identity) for a one-time code; the person types
//! the code on the care-team page and gets a family token for this bed only, until the
//! invitation ends, the nurse revokes it, or the patient leaves (the box revokes all of its
//! bed's invitations at discharge).
//!
//! - [`Book`]: the server's invitations (pure; `bedside-call-server` keeps one, and writes it
//!   to its state directory after every change: `super::server_state`).
//! - [`Client`]: the box's side, HTTPS with the box certificate (`POST /invitations`,
//!   `POST /invitations/revoke`).

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::gate::{Claims, claims};
use super::signalling::TlsSetup;

/// The longest an invitation may last.
pub const HOURS_MAX: u32 = 72;
/// Digits in a code (read out over the phone, typed on a page).
pub const CODE_DIGITS: usize = 8;

/// What the box asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub name: String,
    /// Their relationship ("Daughter", "Caregiver").
    pub role: String,
    /// The bed's location id (as the box registers it).
    pub bed: String,
    pub hours: u32,
}

/// What the server answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub id: String,
    /// The one-time code, digits only.
    pub code: String,
    /// Unix seconds.
    pub expires: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Entry {
    request: Request,
    /// The code's keyed hash ([`Book::digest`]), never the code.
    code: String,
    expires: i64,
    used: bool,
    revoked: bool,
}

/// Why a code gives no token.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    #[error("that code is not known, or was already used")]
    Unknown,
    #[error("that invitation has ended")]
    Ended,
}

/// The invitations a server issued. Serialised whole into the server's state file (see
/// `super::server_state`): the codes in it are keyed hashes.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Book {
    entries: HashMap<String, Entry>,
    /// The key codes are hashed under (the server's token key); not written out.
    #[serde(skip)]
    key: Vec<u8>,
}

/// The `sub` of tokens an invitation gives.
pub fn subject(id: &str) -> String {
    format!("invitation/{id}")
}

impl Book {
    /// An empty book whose codes are hashed under `key`.
    pub fn with_key(key: &[u8]) -> Book {
        Book {
            entries: HashMap::new(),
            key: key.to_vec(),
        }
    }

    /// This book (read from the state file) with its key, less what has expired.
    pub fn keyed(mut self, key: &[u8], now: i64) -> Book {
        self.key = key.to_vec();
        self.entries.retain(|_, e| e.expires > now);
        self
    }

    /// A code as the book keeps it: HMAC-SHA256 under the key, in hex.
    fn digest(&self, code: &str) -> String {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.key);
        ring::hmac::sign(&key, code.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The bed an invitation is for.
    pub fn bed_of(&self, id: &str) -> Option<&str> {
        self.entries.get(id).map(|e| e.request.bed.trim())
    }

    /// Issues an invitation; `code` and `id` come from the caller's random source.
    pub fn issue(
        &mut self,
        request: Request,
        id: String,
        code: String,
        now: i64,
    ) -> Result<Issued, String> {
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err("an invitation needs a name (at most 80 characters)".into());
        }
        if request.bed.trim().is_empty() {
            return Err("an invitation needs the bed".into());
        }
        if request.hours == 0 || request.hours > HOURS_MAX {
            return Err(format!("an invitation lasts 1 to {HOURS_MAX} hours"));
        }
        if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("bad code".into());
        }
        self.entries.retain(|_, e| e.expires > now);
        let digest = self.digest(&code);
        if self.entries.values().any(|e| e.code == digest) {
            return Err("code in use; ask again".into());
        }
        let expires = now + i64::from(request.hours) * 3600;
        self.entries.insert(
            id.clone(),
            Entry {
                request,
                code: digest,
                expires,
                used: false,
                revoked: false,
            },
        );
        Ok(Issued { id, code, expires })
    }

    /// The family claims for a code, once: the code is used up.
    pub fn redeem(&mut self, code: &str, now: i64) -> Result<Claims, RedeemError> {
        let code: String = code.chars().filter(char::is_ascii_digit).collect();
        let code = self.digest(&code);
        let (id, entry) = self
            .entries
            .iter_mut()
            .find(|(_, e)| e.code == code && !e.used)
            .ok_or(RedeemError::Unknown)?;
        if entry.revoked || entry.expires <= now {
            return Err(RedeemError::Ended);
        }
        entry.used = true;
        let r = &entry.request;
        let mut c = claims(
            &subject(id),
            r.name.trim(),
            r.role.trim(),
            "family",
            now,
            entry.expires - now,
        );
        c.bed = Some(r.bed.trim().to_owned());
        Ok(c)
    }

    /// Revokes one invitation (`id`) or every one for a bed; returns the subjects revoked.
    pub fn revoke(&mut self, id: Option<&str>, bed: Option<&str>) -> Vec<String> {
        let mut gone = Vec::new();
        for (key, e) in &mut self.entries {
            let hit = id.is_some_and(|id| id == key)
                || bed.is_some_and(|b| b.trim() == e.request.bed.trim());
            if hit && !e.revoked {
                e.revoked = true;
                gone.push(subject(key));
            }
        }
        gone
    }

    /// Whether tokens with this `sub` are no longer good (their invitation was revoked).
    pub fn revoked(&self, sub: &str) -> bool {
        sub.strip_prefix("invitation/")
            .and_then(|id| self.entries.get(id))
            .is_some_and(|e| e.revoked)
    }
}

/// The box's side: asks the call server for invitations over HTTPS with the box certificate.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    /// For the server of `signalling_url` (`wss://host:port/...`: `https://host:port`).
    pub fn new(signalling_url: &str, tls: &TlsSetup) -> Result<Client, String> {
        use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
        let rest = signalling_url
            .strip_prefix("wss://")
            .ok_or("invitations need a wss:// call server")?;
        let authority = rest.split('/').next().unwrap_or_default();
        let base = format!("https://{authority}");
        let read = |p: &std::path::Path| {
            std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        let roots = match &tls.ca_file {
            Some(ca) => {
                let pem = read(ca)?;
                let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                    .filter_map(|i| match i {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                RootCerts::new_with_certs(&certs)
            }
            None => RootCerts::WebPki,
        };
        let (Some(cert), Some(key)) = (&tls.client_cert, &tls.client_key) else {
            return Err("invitations need the box's certificate ([call] client_cert)".into());
        };
        let chain: Vec<Certificate<'static>> = ureq::tls::parse_pem(&read(cert)?)
            .filter_map(|i| match i {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        let key = PrivateKey::from_pem(&read(key)?).map_err(|e| e.to_string())?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .tls_config(
                TlsConfig::builder()
                    .root_certs(roots)
                    .client_cert(Some(ClientCert::new_with_certs(&chain, key)))
                    .build(),
            )
            .build()
            .new_agent();
        Ok(Client { agent, base })
    }

    fn post(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value, String> {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| format!("the call server cannot be reached: {e}"))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 10)
            .read_to_string()
            .map_err(|e| format!("the call server answered {status}: {e}"))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("the call server answered {status}: {e}"))?;
        if status != 200 {
            return Err(value["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("the call server answered {status}")));
        }
        Ok(value)
    }

    /// A new invitation.
    pub fn invite(&self, request: &Request) -> Result<Issued, String> {
        let value = self.post("/invitations", serde_json::to_value(request).unwrap())?;
        serde_json::from_value(value).map_err(|e| format!("the call server's answer: {e}"))
    }

    /// Revokes one invitation, or (with `bed`) all of a bed's: how many ended.
    pub fn revoke(&self, id: Option<&str>, bed: Option<&str>) -> Result<u64, String> {
        let value = self.post(
            "/invitations/revoke",
            serde_json::json!({"id": id, "bed": bed}),
        )?;
        Ok(value["revoked"].as_u64().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            name: "Marcus Hill".into(),
            role: "Son".into(),
            bed: "urn:bed|12A".into(),
            hours: 24,
        }
    }

    #[test]
    fn a_book_written_out_keeps_its_invitations_but_never_a_code() {
        let key = b"0123456789abcdef0123456789abcdef";
        let mut book = Book::with_key(key);
        book.issue(request(), "i1".into(), "48219930".into(), 1000)
            .unwrap();
        book.issue(request(), "i2".into(), "11112222".into(), 1000)
            .unwrap();
        book.revoke(Some("i2"), None);
        let text = serde_json::to_string(&book).unwrap();
        assert!(!text.contains("48219930"), "a code in the file: {text}");
        assert!(!text.contains("0123456789abcdef"), "the key in the file");
        // Read back after a restart: the code still works once, the revoked one stays ended.
        let mut again = serde_json::from_str::<Book>(&text)
            .unwrap()
            .keyed(key, 2000);
        assert_eq!(again.bed_of("i1"), Some("urn:bed|12A"));
        assert!(again.revoked("invitation/i2"));
        assert!(again.redeem("48219930", 2000).is_ok());
        assert_eq!(again.redeem("48219930", 2001), Err(RedeemError::Unknown));
        // Under another key, the codes are nobody's.
        let mut other = serde_json::from_str::<Book>(&text)
            .unwrap()
            .keyed(b"another key of thirty-two bytes!", 2000);
        assert_eq!(other.redeem("48219930", 2000), Err(RedeemError::Unknown));
        // Expired invitations are dropped on reading.
        let late = serde_json::from_str::<Book>(&text)
            .unwrap()
            .keyed(key, 1000 + 24 * 3600);
        assert_eq!(late.bed_of("i1"), None);
    }

    #[test]
    fn a_code_gives_one_family_token_for_its_bed_until_it_ends() {
        let mut book = Book::default();
        let issued = book
            .issue(request(), "i1".into(), "48219930".into(), 1000)
            .unwrap();
        assert_eq!(issued.expires, 1000 + 24 * 3600);
        // Typed with a space, as read out.
        let claims = book.redeem("4821 9930", 2000).unwrap();
        assert_eq!(claims.kind, "family");
        assert_eq!(claims.bed.as_deref(), Some("urn:bed|12A"));
        assert_eq!(claims.sub, "invitation/i1");
        assert_eq!(claims.exp, issued.expires);
        // Once only.
        assert_eq!(book.redeem("48219930", 2001), Err(RedeemError::Unknown));
        assert_eq!(book.redeem("00000000", 2001), Err(RedeemError::Unknown));
        // Ended: by time, or revoked.
        book.issue(request(), "i2".into(), "11112222".into(), 1000)
            .unwrap();
        assert_eq!(
            book.redeem("11112222", 1000 + 24 * 3600),
            Err(RedeemError::Ended)
        );
        book.issue(request(), "i3".into(), "33334444".into(), 1000)
            .unwrap();
        assert_eq!(book.revoke(Some("i3"), None), vec!["invitation/i3"]);
        assert_eq!(book.redeem("33334444", 2000), Err(RedeemError::Ended));
        assert!(book.revoked("invitation/i3"));
        assert!(!book.revoked("invitation/i1"));
        // Discharge: every invitation of the bed.
        let mut all = book.revoke(None, Some("urn:bed|12A"));
        all.sort();
        assert_eq!(all, vec!["invitation/i1", "invitation/i2"]);
        assert!(book.revoked("invitation/i1"));
    }

    #[test]
    fn a_bad_request_issues_nothing() {
        let mut book = Book::default();
        for (r, code) in [
            (
                Request {
                    name: " ".into(),
                    ..request()
                },
                "12345678",
            ),
            (
                Request {
                    bed: "".into(),
                    ..request()
                },
                "12345678",
            ),
            (
                Request {
                    hours: 0,
                    ..request()
                },
                "12345678",
            ),
            (
                Request {
                    hours: HOURS_MAX + 1,
                    ..request()
                },
                "12345678",
            ),
            (request(), "1234"),
            (request(), "1234567x"),
        ] {
            assert!(book.issue(r, "x".into(), code.into(), 0).is_err());
        }
        book.issue(request(), "a".into(), "12345678".into(), 0)
            .unwrap();
        assert!(
            book.issue(request(), "b".into(), "12345678".into(), 0)
                .is_err(),
            "two live invitations with one code"
        );
    }
}
