//! The FHIR R4 REST client: blocking HTTP (ureq, rustls on ring) on the sync thread.
//!
//! Everything the backend says is checked before it is believed: the status, the size (20 MB of
//! JSON is refused while it is still arriving), the JSON itself, the `resourceType`, and where
//! paging links point. Redirects are never followed: a FHIR API has no reason to send the box
//! elsewhere, and following one could hand the box's token to another host. Logs name the
//! resource type and the status, never an id or a query value (they can identify a patient).

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::Value;
use ureq::Agent;
use ureq::tls::TlsConfig;

use super::SyncError;
use super::auth::SmartAuth;
use crate::config::Backend;

/// The most a single response may hold. Donnell Green's whole 307-observation chart is ~2 MB.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;
/// Results per page asked for.
pub const PAGE_SIZE: usize = 200;

/// A JSON answer and what came with it.
#[derive(Debug)]
pub struct Answer {
    pub json: Value,
    pub etag: Option<String>,
}

/// A GET with an ETag may come back unchanged.
#[derive(Debug)]
pub enum Fetched {
    Changed(Answer),
    NotModified,
}

/// What a download brought: its size, and what the server said identifies this version.
#[derive(Debug)]
pub struct Downloaded {
    pub bytes: u64,
    pub etag: Option<String>,
    pub modified: Option<String>,
}

pub struct Client {
    agent: Agent,
    /// For Learn's material (videos, leaflets): no time limit on the whole transfer (a video
    /// takes a while), the same limits on connecting and on the first answer; up to three
    /// redirects (a CDN's), which never carry the token (ureq drops it on a redirect).
    bulk: Agent,
    base: String,
    auth: Option<SmartAuth>,
    /// Server clock minus ours, in seconds, from the `Date` of the latest answer (None before
    /// the first): used to date the client assertion and the sync cursor in the server's time,
    /// so a box with a wrong clock still signs in and misses no change.
    pub skew: Option<i64>,
    /// Requests made since the counter was last taken (for the benchmark and the summary).
    requests: u64,
}

impl Client {
    pub fn new(config: &Backend) -> Result<Client, SyncError> {
        let roots = crate::tls::root_certs(config.ca_file.as_deref()).map_err(SyncError::Config)?;
        let timeout = Duration::from_secs(config.timeout_seconds.0);
        let agent = Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(roots.clone()).build())
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(5).min(timeout)))
            .user_agent(concat!("bedside/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let bulk = Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .http_status_as_error(false)
            .max_redirects(3)
            .timeout_connect(Some(Duration::from_secs(5).min(timeout)))
            .timeout_recv_response(Some(timeout))
            .timeout_recv_body(Some(Duration::from_secs(1800)))
            .user_agent(concat!("bedside/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let auth = match &config.auth {
            Some(a) => Some(SmartAuth::new(a)?),
            None => None,
        };
        Ok(Client {
            agent,
            bulk,
            base: config.url.as_str().to_owned(),
            auth,
            skew: None,
            requests: 0,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Requests made since the last call.
    pub fn take_request_count(&mut self) -> u64 {
        std::mem::take(&mut self.requests)
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("https://") || path.starts_with("http://") {
            path.to_owned()
        } else {
            format!("{}/{}", self.base, path.trim_start_matches('/'))
        }
    }

    /// GET a path under the base (or a full URL on the same server, e.g. a `next` link).
    pub fn get(&mut self, path: &str, etag: Option<&str>) -> Result<Fetched, SyncError> {
        let url = self.url(path);
        let under_base = url
            .strip_prefix(&self.base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
        if !under_base {
            return Err(SyncError::Lying(
                "a link points outside the configured FHIR base URL".into(),
            ));
        }
        let what = what_of(url.strip_prefix(&self.base).unwrap_or(""));
        let mut retried_auth = false;
        loop {
            let token = self.token()?;
            let mut req = self
                .agent
                .get(&url)
                .header("Accept", "application/fhir+json");
            if let Some(t) = &token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            if let Some(e) = etag {
                req = req.header("If-None-Match", e);
            }
            self.requests += 1;
            let response = req.call().map_err(|e| transport(&what, e))?;
            self.note_date(response.headers());
            match response.status().as_u16() {
                304 if etag.is_some() => return Ok(Fetched::NotModified),
                401 if token.is_some() && !retried_auth => {
                    // The token expired early or was revoked: fetch a new one, once.
                    retried_auth = true;
                    if let Some(a) = &mut self.auth {
                        a.forget();
                    }
                    continue;
                }
                _ => {}
            }
            return read_answer(&what, response).map(Fetched::Changed);
        }
    }

    /// Downloads a file (Learn's material) into `out`, at most `limit` bytes: with the box's
    /// token when it is on the FHIR server, without one anywhere else. Returns its size. The
    /// journal names neither the address nor what it is.
    ///
    /// With `known` (the ETag and Last-Modified of the copy the box has), the request is
    /// conditional: Ok(None) when the server says it has not changed.
    pub fn download(
        &mut self,
        url: &str,
        limit: u64,
        out: &mut dyn std::io::Write,
        known: (Option<&str>, Option<&str>),
    ) -> Result<Option<Downloaded>, SyncError> {
        let what = "learning material".to_owned();
        // A relative reference (`Binary/123`) is on the FHIR server.
        let absolute;
        let url = if url.contains("://") {
            url
        } else {
            absolute = format!("{}/{}", self.base, url.trim_start_matches('/'));
            absolute.as_str()
        };
        let on_server = url
            .strip_prefix(&self.base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
        let token = if on_server { self.token()? } else { None };
        let mut req = self.bulk.get(url);
        if let Some(t) = &token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(etag) = known.0 {
            req = req.header("If-None-Match", etag);
        }
        if let Some(modified) = known.1 {
            req = req.header("If-Modified-Since", modified);
        }
        self.requests += 1;
        let mut response = req.call().map_err(|e| transport(&what, e))?;
        let status = response.status().as_u16();
        if status == 304 && (known.0.is_some() || known.1.is_some()) {
            return Ok(None);
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty() && v.len() < 512)
                .map(str::to_owned)
        };
        let (etag, modified) = (header("etag"), header("last-modified"));
        if status == 401
            && token.is_some()
            && let Some(a) = &mut self.auth
        {
            // Expired early or revoked: the next try signs in afresh.
            a.forget();
        }
        if !(200..300).contains(&status) {
            return Err(SyncError::Status { what, status });
        }
        let mut body = response
            .body_mut()
            .as_reader()
            .take(limit.saturating_add(1));
        let copied = std::io::copy(&mut body, out).map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => SyncError::Timeout(what.clone()),
            _ => SyncError::Unreachable(e.to_string()),
        })?;
        if copied > limit {
            return Err(SyncError::TooLarge { what, limit });
        }
        Ok(Some(Downloaded {
            bytes: copied,
            etag,
            modified,
        }))
    }

    /// GET that must answer with JSON.
    pub fn get_json(&mut self, path: &str) -> Result<Answer, SyncError> {
        match self.get(path, None)? {
            Fetched::Changed(a) => Ok(a),
            Fetched::NotModified => unreachable!("no ETag was sent"),
        }
    }

    /// PUT a resource to its client-assigned id (create-or-update: idempotent, so a retry can
    /// never make a second copy). Returns the status.
    pub fn put(&mut self, kind: &str, id: &str, body: &str) -> Result<u16, SyncError> {
        self.put_if_match(kind, id, body, None)
    }

    /// PUT that replaces only the version `if_match` names (an ETag, `W/"3"`): a resource
    /// changed since it was read is refused with 412 (`SyncError::Status`).
    pub fn put_if_match(
        &mut self,
        kind: &str,
        id: &str,
        body: &str,
        if_match: Option<&str>,
    ) -> Result<u16, SyncError> {
        let url = format!("{}/{kind}/{id}", self.base);
        let mut retried_auth = false;
        loop {
            let token = self.token()?;
            let mut req = self
                .agent
                .put(&url)
                .header("Accept", "application/fhir+json")
                .header("Content-Type", "application/fhir+json")
                .header("Prefer", "return=minimal");
            if let Some(t) = &token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            if let Some(e) = if_match {
                req = req.header("If-Match", e);
            }
            self.requests += 1;
            let mut response = req.send(body).map_err(|e| transport(kind, e))?;
            self.note_date(response.headers());
            let status = response.status().as_u16();
            if status == 401 && token.is_some() && !retried_auth {
                retried_auth = true;
                if let Some(a) = &mut self.auth {
                    a.forget();
                }
                continue;
            }
            // Drain (bounded) so the connection can be reused.
            let _ = response
                .body_mut()
                .with_config()
                .limit(1024 * 1024)
                .read_to_vec();
            return match status {
                200..=299 => Ok(status),
                429 | 503 => Err(SyncError::RateLimited {
                    what: kind.to_owned(),
                    retry_after: retry_after(response.headers()),
                }),
                _ => Err(SyncError::Status {
                    what: kind.to_owned(),
                    status,
                }),
            };
        }
    }

    /// DELETE a resource; a resource already gone (404/410) is not an error.
    pub fn delete(&mut self, kind: &str, id: &str) -> Result<u16, SyncError> {
        let url = format!("{}/{kind}/{id}", self.base);
        let token = self.token()?;
        let mut req = self
            .agent
            .delete(&url)
            .header("Accept", "application/fhir+json");
        if let Some(t) = &token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.requests += 1;
        let response = req.call().map_err(|e| transport(kind, e))?;
        match response.status().as_u16() {
            s @ (200..=299 | 404 | 410) => Ok(s),
            status => Err(SyncError::Status {
                what: kind.to_owned(),
                status,
            }),
        }
    }

    fn token(&mut self) -> Result<Option<String>, SyncError> {
        let Some(auth) = &mut self.auth else {
            return Ok(None);
        };
        auth.token(&self.agent, &self.base, self.skew).map(Some)
    }

    fn note_date(&mut self, headers: &ureq::http::HeaderMap) {
        if let Some(skew) = skew_of(headers) {
            self.skew = Some(skew);
        }
    }
}

/// Server clock minus ours (seconds), from an answer's `Date` header.
pub(super) fn skew_of(headers: &ureq::http::HeaderMap) -> Option<i64> {
    let date = headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())?;
    Some(date.timestamp().as_second() - jiff::Timestamp::now().as_second())
}

/// The resource type a path under the base is about, for messages ("Observation"); never an
/// id or a query value.
fn what_of(path: &str) -> String {
    path.trim_start_matches('/')
        .split(['?', '/'])
        .next()
        .unwrap_or("")
        .to_owned()
}

fn transport(what: &str, e: ureq::Error) -> SyncError {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => SyncError::Timeout(what.to_owned()),
        E::HostNotFound | E::ConnectionFailed => SyncError::Unreachable(e.to_string()),
        // rustls reports handshake failures through the I/O error.
        E::Io(io) if is_tls_failure(&io.to_string()) => SyncError::Tls(io.to_string()),
        E::Io(io) => SyncError::Unreachable(io.to_string()),
        E::Tls(_) | E::Rustls(_) | E::Pem(_) => SyncError::Tls(e.to_string()),
        E::BodyExceedsLimit(limit) => SyncError::TooLarge {
            what: what.to_owned(),
            limit,
        },
        // Its message holds the address (and a search's values): never passed on.
        E::BadUri(_) => SyncError::Protocol("an address that is not a valid URL".into()),
        other => SyncError::Protocol(other.to_string()),
    }
}

fn is_tls_failure(text: &str) -> bool {
    ["certificate", "handshake", "tls", "TLS", "alert"]
        .iter()
        .any(|w| text.contains(w))
}

fn retry_after(headers: &ureq::http::HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(30), |s| {
            Duration::from_secs(s.min(3600))
        })
}

fn read_answer(
    what: &str,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<Answer, SyncError> {
    let status = response.status().as_u16();
    match status {
        200..=299 => {}
        300..=399 => {
            let host = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|l| l.split("://").nth(1))
                .and_then(|r| r.split('/').next())
                .unwrap_or("?")
                .to_owned();
            return Err(SyncError::Redirect { status, host });
        }
        429 | 503 => {
            return Err(SyncError::RateLimited {
                what: what.to_owned(),
                retry_after: retry_after(response.headers()),
            });
        }
        _ => {
            return Err(SyncError::Status {
                what: what.to_owned(),
                status,
            });
        }
    }
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if response
        .body()
        .content_length()
        .is_some_and(|n| n > MAX_BODY)
    {
        return Err(SyncError::TooLarge {
            what: what.to_owned(),
            limit: MAX_BODY,
        });
    }
    let started = Instant::now();
    let mut bytes = Vec::new();
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .reader()
        .read_to_end(&mut bytes)
        .map_err(|e| {
            // ureq reports its own errors (limit, timeout) through io::Error.
            let text = e.to_string();
            if text.contains("limit") {
                SyncError::TooLarge {
                    what: what.to_owned(),
                    limit: MAX_BODY,
                }
            } else if text.contains("imeout") {
                SyncError::Timeout(what.to_owned())
            } else {
                SyncError::Unreachable(text)
            }
        })?;
    tracing::trace!(
        what,
        bytes = bytes.len(),
        ms = started.elapsed().as_millis() as u64,
        "read"
    );
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|e| SyncError::Malformed(format!("{what}: not JSON: {e}")))?;
    if json.get("resourceType").and_then(Value::as_str).is_none() {
        return Err(SyncError::Malformed(format!(
            "{what}: the answer has no resourceType"
        )));
    }
    Ok(Answer { json, etag })
}

#[cfg(test)]
mod tests {
    use super::what_of;

    #[test]
    fn messages_name_the_type_not_the_query() {
        assert_eq!(what_of("Observation?patient=Patient/123"), "Observation");
        assert_eq!(what_of("/Patient/123"), "Patient");
        assert_eq!(what_of("/Observation?patient=x&_offset=200"), "Observation");
    }
}
