//! Who may be on the call server, and as whom: the rules of `bedside-call-server` (the
//! GStreamer signalling server with an authentication step, `src/bin/bedside-call-server/`).
//!
//! A connection is let in as one [`Identity`]: a box, proven by a client certificate the
//! hospital's box CA signed (mutual TLS), or a person, proven by a [`Claims`] token this server
//! signed (after a sign-in against the staff directory, or an invitation). What a peer then says
//! about itself (`setPeerStatus`'s `meta`) is replaced by what was proven: a person's name, role
//! and kind come from the token (a peer claiming another is refused and disconnected), a box
//! may only be a bed. Every meta the server passes on carries `verified` (how it was proven),
//! which boxes require before they list or ring anyone (a peer cannot set it: it is always
//! overwritten). Sessions are checked too: people call beds, beds call people, family only the
//! bed their invitation names.
//!
//! Pure: the server feeds it each message and does what the [`Verdict`] says.

use std::collections::HashMap;

use gst_plugin_webrtc_signalling_protocol as p;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `iss` of the tokens this server signs.
pub const ISSUER: &str = "bedside-call-server";
/// The `aud` they are for.
pub const AUDIENCE: &str = "bedside-call";
/// The shortest token key taken (HS256 wants at least the hash's length).
pub const KEY_MIN: usize = 32;

/// What a person's token says, signed by the server (HS256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who in the directory (their Practitioner reference), or the invitation's id.
    pub sub: String,
    /// The name beds show.
    pub name: String,
    /// The directory's title ("Nurse"), or the relationship of someone invited ("Daughter").
    pub role: String,
    /// `care-team`, `support` or `family`.
    pub kind: String,
    /// For family: the one bed (its location id, as the box registers it) they may call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bed: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// The kinds of person a token may name.
pub const KINDS: [&str; 3] = ["care-team", "support", "family"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("no token")]
    Missing,
    #[error("the token has expired")]
    Expired,
    #[error("the token was not signed by this server")]
    Signature,
    #[error("the token cannot be read: {0}")]
    Invalid(String),
}

/// Signs and checks person tokens with one secret key.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

impl Tokens {
    /// From the secret key's bytes (a file of at least [`KEY_MIN`] bytes).
    pub fn new(key: &[u8]) -> Result<Tokens, String> {
        if key.len() < KEY_MIN {
            return Err(format!(
                "the token key is {} bytes; it must be at least {KEY_MIN} random bytes",
                key.len()
            ));
        }
        Ok(Tokens {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
        })
    }

    /// A token for `claims` (whose `iss`, `aud`, `iat` and `exp` the caller set: see [`claims`]).
    pub fn issue(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 with a secret key always signs")
    }

    /// The claims of a token this server signed, still valid at `now` (Unix seconds).
    pub fn check(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the caller's clock (testable, and no leeway).
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::Signature,
                other => TokenError::Invalid(format!("{other:?}")),
            },
        )?;
        let claims = data.claims;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if !KINDS.contains(&claims.kind.as_str()) {
            return Err(TokenError::Invalid(format!("kind {}", claims.kind)));
        }
        if claims.name.trim().is_empty() {
            return Err(TokenError::Invalid("no name".into()));
        }
        if claims.kind == "family" && claims.bed.as_deref().is_none_or(str::is_empty) {
            return Err(TokenError::Invalid("family without a bed".into()));
        }
        Ok(claims)
    }
}

/// Claims for a person, valid from `now` for `seconds`.
pub fn claims(sub: &str, name: &str, role: &str, kind: &str, now: i64, seconds: i64) -> Claims {
    Claims {
        sub: sub.to_owned(),
        name: name.to_owned(),
        role: role.to_owned(),
        kind: kind.to_owned(),
        bed: None,
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        exp: now + seconds,
    }
}

/// How a connection was let in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// A box, by a client certificate the box CA signed (`subject` as the certificate gives it,
    /// for the log and the meta). `bed`: the one bed it serves, where the server's `[boxes]`
    /// table ties its certificate to one (it may register as no other).
    Box {
        subject: String,
        bed: Option<String>,
    },
    /// A person, by a token.
    Person(Claims),
}

/// What the server does with one message.
#[derive(Debug)]
pub enum Verdict {
    /// Hand it (perhaps rewritten) to the signalling handler.
    Pass(p::IncomingMessage),
    /// Drop it and tell the peer why.
    Drop(String),
    /// Tell the peer why and disconnect it.
    Refuse(String),
}

#[derive(Debug)]
struct Known {
    identity: Identity,
    /// The bed a box registered (its location id).
    bed: Option<String>,
    /// Registered (a `setPeerStatus` passed).
    registered: bool,
}

/// The peers on the server and what was proven of each.
#[derive(Debug, Default)]
pub struct Gate {
    peers: HashMap<String, Known>,
}

fn text(meta: &serde_json::Value, key: &str) -> Option<String> {
    meta.get(key)
        .and_then(|v| v.as_str())
        .map(|s| s.trim().to_owned())
}

impl Gate {
    /// A connection was let in as `identity`.
    pub fn admit(&mut self, peer: &str, identity: Identity) {
        self.peers.insert(
            peer.to_owned(),
            Known {
                identity,
                bed: None,
                registered: false,
            },
        );
    }

    /// Whether the peer was let in (its messages can be judged).
    pub fn knows(&self, peer: &str) -> bool {
        self.peers.contains_key(peer)
    }

    /// The peers let in with a token whose `sub` is this (to end them when it is revoked).
    pub fn peers_of(&self, sub: &str) -> Vec<String> {
        self.peers
            .iter()
            .filter(|(_, k)| matches!(&k.identity, Identity::Person(c) if c.sub == sub))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The people let in with a token `revoked` now refuses (to end them).
    pub fn peers_revoked(&self, revoked: &super::server_state::Revoked) -> Vec<String> {
        self.peers
            .iter()
            .filter(|(_, k)| {
                matches!(&k.identity, Identity::Person(c) if revoked.is_revoked(&c.sub, c.iat))
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The peer left.
    pub fn leave(&mut self, peer: &str) {
        self.peers.remove(peer);
    }

    /// Judges one message from `peer`.
    pub fn check(&mut self, peer: &str, message: p::IncomingMessage) -> Verdict {
        use p::IncomingMessage as I;
        let Some(known) = self.peers.get(peer) else {
            return Verdict::Refuse("not signed in".into());
        };
        match message {
            I::SetPeerStatus(status) => self.status(peer, status),
            I::StartSession(start) => {
                let Some(callee) = self.peers.get(&start.peer_id) else {
                    return Verdict::Drop(format!("no peer {}", start.peer_id));
                };
                if !known.registered || !callee.registered {
                    return Verdict::Drop("only registered peers can be called".into());
                }
                let allowed = match (&known.identity, &callee.identity) {
                    (Identity::Person(c), Identity::Box { .. }) if c.kind == "family" => {
                        callee.bed.is_some() && callee.bed == c.bed
                    }
                    (Identity::Person(_), Identity::Box { .. }) => true,
                    (Identity::Box { .. }, Identity::Person(c)) if c.kind == "family" => {
                        known.bed.is_some() && known.bed == c.bed
                    }
                    (Identity::Box { .. }, Identity::Person(_)) => true,
                    _ => false,
                };
                if allowed {
                    Verdict::Pass(I::StartSession(start))
                } else {
                    Verdict::Drop("this call is not allowed".into())
                }
            }
            other => Verdict::Pass(other),
        }
    }

    fn status(&mut self, peer: &str, mut status: p::PeerStatus) -> Verdict {
        let known = self.peers.get_mut(peer).expect("checked by the caller");
        let said = status.meta.take().unwrap_or(serde_json::Value::Null);
        let meta = match &known.identity {
            Identity::Person(claims) => {
                for (key, proven) in [
                    ("kind", &claims.kind),
                    ("name", &claims.name),
                    ("role", &claims.role),
                ] {
                    if let Some(claimed) = text(&said, key)
                        && claimed != proven.trim()
                    {
                        return Verdict::Refuse(format!(
                            "the {key} given is not the one signed in"
                        ));
                    }
                }
                let mut meta = serde_json::json!({
                    "kind": claims.kind,
                    "name": claims.name.trim(),
                    "role": claims.role.trim(),
                    "verified": if claims.kind == "family" { "invitation" } else { "sign-in" },
                });
                if let Some(bed) = &claims.bed {
                    meta["bed"] = bed.clone().into();
                }
                meta
            }
            Identity::Box { subject, bed: tied } => {
                if text(&said, "kind").is_some_and(|k| k != "bed") {
                    return Verdict::Refuse("a box may only register as a bed".into());
                }
                if let Some(tied) = tied
                    && text(&said, "bed").as_deref() != Some(tied.trim())
                {
                    return Verdict::Refuse("this box serves another bed".into());
                }
                let name = text(&said, "name").unwrap_or_default();
                if name.is_empty() {
                    return Verdict::Drop("a bed needs a name".into());
                }
                let bed = text(&said, "bed").filter(|b| !b.is_empty());
                known.bed = bed.clone();
                serde_json::json!({
                    "kind": "bed",
                    "name": name,
                    "bed": bed,
                    "busy": said.get("busy").and_then(|b| b.as_bool()).unwrap_or(false),
                    "verified": "certificate",
                    "certificate": subject,
                })
            }
        };
        known.registered = !status.roles.is_empty();
        status.meta = Some(meta);
        status.peer_id = None;
        Verdict::Pass(p::IncomingMessage::SetPeerStatus(status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p::IncomingMessage as I;
    use serde_json::json;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn nurse() -> Claims {
        claims(
            "Practitioner/1",
            "Ana Ruiz",
            "Nurse",
            "care-team",
            1000,
            3600,
        )
    }

    fn status(meta: serde_json::Value) -> I {
        I::SetPeerStatus(p::PeerStatus {
            roles: vec![p::PeerRole::Producer, p::PeerRole::Listener],
            meta: Some(meta),
            peer_id: None,
        })
    }

    fn start(to: &str) -> I {
        I::StartSession(p::StartSessionMessage {
            peer_id: to.into(),
            offer: None,
        })
    }

    fn meta_of(v: Verdict) -> serde_json::Value {
        match v {
            Verdict::Pass(I::SetPeerStatus(s)) => s.meta.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_token_is_good_only_from_this_key_before_it_expires() {
        let tokens = Tokens::new(KEY).unwrap();
        let token = tokens.issue(&nurse());
        assert_eq!(tokens.check(&token, 2000).unwrap(), nurse());
        assert_eq!(tokens.check(&token, 4600), Err(TokenError::Expired));
        let other = Tokens::new(b"another key of thirty-two bytes!").unwrap();
        assert_eq!(other.check(&token, 2000), Err(TokenError::Signature));
        assert_eq!(tokens.check("", 2000), Err(TokenError::Missing));
        assert!(matches!(
            tokens.check("not.a.token", 2000),
            Err(TokenError::Invalid(_))
        ));
        // A payload edited to another role no longer matches its signature.
        let parts: Vec<&str> = token.split('.').collect();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        payload["role"] = "Doctor".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            b64.encode(payload.to_string()),
            parts[2]
        );
        assert_eq!(tokens.check(&forged, 2000), Err(TokenError::Signature));
        assert!(Tokens::new(b"short").is_err());
        // Family without a bed, or an unknown kind, is not a usable token.
        let mut family = claims("inv/1", "Lan Tran", "Daughter", "family", 1000, 60);
        assert!(matches!(
            tokens.check(&tokens.issue(&family), 1001),
            Err(TokenError::Invalid(_))
        ));
        family.bed = Some("Location/bed-12".into());
        assert!(tokens.check(&tokens.issue(&family), 1001).is_ok());
        let odd = claims("x", "X", "Nurse", "admin", 1000, 60);
        assert!(tokens.check(&tokens.issue(&odd), 1001).is_err());
    }

    #[test]
    fn what_a_person_says_of_themselves_is_replaced_by_their_token() {
        let mut gate = Gate::default();
        gate.admit("page", Identity::Person(nurse()));
        let meta = meta_of(gate.check(
            "page",
            status(json!({"name": "Ana Ruiz", "verified": "yes", "extra": 1})),
        ));
        assert_eq!(
            meta,
            json!({"kind": "care-team", "name": "Ana Ruiz", "role": "Nurse", "verified": "sign-in"})
        );
        // Saying nothing gives the same.
        let meta = meta_of(gate.check("page", status(json!({}))));
        assert_eq!(meta["name"], "Ana Ruiz");
        for forged in [
            json!({"role": "Doctor"}),
            json!({"name": "Dr. Who"}),
            json!({"kind": "bed"}),
        ] {
            assert!(
                matches!(
                    gate.check("page", status(forged.clone())),
                    Verdict::Refuse(_)
                ),
                "{forged}"
            );
        }
    }

    #[test]
    fn a_box_is_only_ever_a_bed_and_marked_by_its_certificate() {
        let mut gate = Gate::default();
        gate.admit(
            "box",
            Identity::Box {
                subject: "CN=bedside-12".into(),
                bed: None,
            },
        );
        let meta = meta_of(gate.check(
            "box",
            status(json!({"kind": "bed", "name": "Bed 12", "bed": "Location/12", "busy": true, "verified": "forged"})),
        ));
        assert_eq!(meta["verified"], "certificate");
        assert_eq!(meta["certificate"], "CN=bedside-12");
        assert_eq!(meta["busy"], true);
        assert!(matches!(
            gate.check(
                "box",
                status(json!({"kind": "care-team", "name": "Dr. Box"}))
            ),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            gate.check("box", status(json!({"kind": "bed"}))),
            Verdict::Drop(_)
        ));
        assert!(matches!(
            gate.check("stranger", I::List),
            Verdict::Refuse(_)
        ));
        // A box tied to its bed (the server's [boxes] table) registers as that bed only.
        gate.admit(
            "tied",
            Identity::Box {
                subject: "sha256:01".into(),
                bed: Some("Location/12".into()),
            },
        );
        assert!(matches!(
            gate.check(
                "tied",
                status(json!({"kind": "bed", "name": "Bed 14", "bed": "Location/14"}))
            ),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            gate.check("tied", status(json!({"kind": "bed", "name": "Bed 14"}))),
            Verdict::Refuse(_)
        ));
        let meta = meta_of(gate.check(
            "tied",
            status(json!({"kind": "bed", "name": "Bed 12", "bed": "Location/12"})),
        ));
        assert_eq!(meta["bed"], "Location/12");
    }

    #[test]
    fn people_call_beds_beds_call_people_and_family_only_their_bed() {
        let mut gate = Gate::default();
        gate.admit("nurse", Identity::Person(nurse()));
        let mut family = claims("inv/1", "Lan Tran", "Daughter", "family", 1000, 60);
        family.bed = Some("Location/12".into());
        gate.admit("family", Identity::Person(family));
        for (id, bed) in [("bed12", "Location/12"), ("bed14", "Location/14")] {
            gate.admit(
                id,
                Identity::Box {
                    subject: id.into(),
                    bed: None,
                },
            );
            gate.check(id, status(json!({"name": id, "bed": bed})));
        }
        // Nobody is called before registering.
        assert!(matches!(
            gate.check("nurse", start("bed12")),
            Verdict::Drop(_)
        ));
        gate.check("nurse", status(json!({})));
        gate.check("family", status(json!({})));
        assert!(matches!(
            gate.check("nurse", start("bed14")),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            gate.check("family", start("bed12")),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            gate.check("family", start("bed14")),
            Verdict::Drop(_)
        ));
        assert!(matches!(
            gate.check("bed12", start("family")),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            gate.check("bed14", start("family")),
            Verdict::Drop(_)
        ));
        assert!(matches!(
            gate.check("bed12", start("nurse")),
            Verdict::Pass(_)
        ));
        assert!(matches!(
            gate.check("bed12", start("bed14")),
            Verdict::Drop(_)
        ));
        assert!(matches!(
            gate.check("nurse", start("family")),
            Verdict::Drop(_)
        ));
        gate.leave("bed12");
        assert!(matches!(
            gate.check("family", start("bed12")),
            Verdict::Drop(_)
        ));
    }
}
