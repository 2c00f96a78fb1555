//! SMART Backend Services: the box signs in as itself.
//!
//! The token endpoint is found through `{base}/.well-known/smart-configuration`; the box proves
//! who it is with a short-lived JWT signed by its private key (`private_key_jwt`, RS384 or
//! ES384), gets an access token, keeps it until a minute before it expires, and fetches a new
//! one when the server says 401. The JWT's times follow the server's clock (the skew is measured
//! from each answer's `Date`), so a box whose clock drifted still signs in.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use ureq::Agent;

use super::SyncError;
use crate::config::Auth;

pub struct SmartAuth {
    client_id: String,
    key: EncodingKey,
    alg: Algorithm,
    key_id: Option<String>,
    scope: String,
    token_url: Option<String>,
    token: Option<(String, Instant)>,
    /// The server's clock offset seen on the discovery answer, for the very first assertion.
    discovered_skew: Option<i64>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct SmartConfiguration {
    token_endpoint: String,
}

impl SmartAuth {
    pub fn new(config: &Auth) -> Result<SmartAuth, SyncError> {
        let pem = std::fs::read(&config.key_file).map_err(|e| {
            SyncError::Config(format!(
                "cannot read backend.auth.key_file {}: {e}",
                config.key_file.display()
            ))
        })?;
        let (key, alg) = load_key(&pem).ok_or_else(|| {
            SyncError::Config(format!(
                "backend.auth.key_file {} is not a PKCS#8 P-384 EC or RSA private key in PEM",
                config.key_file.display()
            ))
        })?;
        Ok(SmartAuth {
            client_id: config.client_id.as_str().to_owned(),
            key,
            alg,
            key_id: config.key_id.clone(),
            scope: config.scope.clone(),
            token_url: None,
            token: None,
            discovered_skew: None,
        })
    }

    /// Drops the cached token (the server refused it).
    pub fn forget(&mut self) {
        self.token = None;
    }

    /// A valid access token, from the cache or freshly fetched.
    pub fn token(
        &mut self,
        agent: &Agent,
        base: &str,
        skew: Option<i64>,
    ) -> Result<String, SyncError> {
        if let Some((token, until)) = &self.token
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let token_url = match &self.token_url {
            Some(u) => u.clone(),
            None => {
                let (u, seen) = discover(agent, base)?;
                self.token_url = Some(u.clone());
                self.discovered_skew = seen;
                u
            }
        };
        let skew = skew.or(self.discovered_skew).unwrap_or(0);
        if skew.abs() > 60 {
            tracing::warn!(
                skew_s = skew,
                "this box's clock differs from the backend's; signing with the backend's time"
            );
        }
        let now = jiff::Timestamp::now().as_second() + skew;
        let claims = Claims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: &token_url,
            // SMART: no more than five minutes ahead.
            exp: now + 240,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(self.alg);
        header.kid = self.key_id.clone();
        header.typ = Some("JWT".into());
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| SyncError::Auth(format!("cannot sign the client assertion: {e}")))?;
        let mut response = agent
            .post(&token_url)
            .header("Accept", "application/json")
            .send_form([
                ("grant_type", "client_credentials"),
                ("scope", self.scope.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ])
            .map_err(|e| SyncError::Auth(format!("token endpoint: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .map_err(|e| SyncError::Auth(format!("token endpoint: {e}")))?;
        if status != 200 {
            // The OAuth error code says why (invalid_client, invalid_scope); it holds no secrets.
            let code = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or_default();
            return Err(SyncError::Auth(format!(
                "the token endpoint refused the box's credentials: HTTP {status} {code}"
            )));
        }
        let answer: TokenAnswer = serde_json::from_str(&body)
            .map_err(|e| SyncError::Auth(format!("token endpoint answer: {e}")))?;
        // Renew a minute early (or halfway, for very short tokens).
        let life = answer.expires_in.unwrap_or(300);
        let margin = 60.min(life / 2);
        let until = Instant::now() + Duration::from_secs(life - margin);
        self.token = Some((answer.access_token.clone(), until));
        tracing::info!(
            valid_s = life,
            "signed in to the backend (SMART backend services)"
        );
        Ok(answer.access_token)
    }
}

fn discover(agent: &Agent, base: &str) -> Result<(String, Option<i64>), SyncError> {
    let url = format!("{base}/.well-known/smart-configuration");
    let mut response = agent
        .get(&url)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| SyncError::Auth(format!("smart-configuration: {e}")))?;
    if response.status().as_u16() != 200 {
        return Err(SyncError::Auth(format!(
            "smart-configuration: HTTP {}",
            response.status().as_u16()
        )));
    }
    let skew = super::client::skew_of(response.headers());
    let body = response
        .body_mut()
        .with_config()
        .limit(256 * 1024)
        .read_to_string()
        .map_err(|e| SyncError::Auth(format!("smart-configuration: {e}")))?;
    let config: SmartConfiguration = serde_json::from_str(&body)
        .map_err(|e| SyncError::Auth(format!("smart-configuration: {e}")))?;
    // The smart-configuration came from the verified FHIR server; the token endpoint may be
    // another host (many hospitals run a separate authorisation server), but never plain HTTP.
    let e = &config.token_endpoint;
    let loopback = e.starts_with("http://127.") || e.starts_with("http://localhost");
    if !e.starts_with("https://") && !loopback {
        return Err(SyncError::Auth(
            "smart-configuration names a token endpoint without TLS".into(),
        ));
    }
    Ok((config.token_endpoint, skew))
}

/// The key and the algorithm it signs with: P-384 EC (ES384) or RSA (RS384).
fn load_key(pem: &[u8]) -> Option<(EncodingKey, Algorithm)> {
    let probe = |key: &EncodingKey, alg| {
        jsonwebtoken::encode(&Header::new(alg), &serde_json::json!({}), key).is_ok()
    };
    if let Ok(key) = EncodingKey::from_ec_pem(pem)
        && probe(&key, Algorithm::ES384)
    {
        return Some((key, Algorithm::ES384));
    }
    if let Ok(key) = EncodingKey::from_rsa_pem(pem)
        && probe(&key, Algorithm::RS384)
    {
        return Some((key, Algorithm::RS384));
    }
    None
}
