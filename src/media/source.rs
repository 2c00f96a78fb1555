//! Reading the head-end's files (playlist, guide, film catalogue, posters) by URL or path, with
//! the last good copy of each kept on disk so TV keeps working while the head-end is down.
//!
//! These files are about channels and films, never about the patient: caching them is safe and
//! they are not erased at discharge. Sizes are capped; a copy is replaced only by a complete
//! download (written aside, then renamed).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ureq::Agent;
use ureq::tls::TlsConfig;

/// `url` resolved against `base` (where the list naming it came from: a URL or a file path)
/// when it is relative; absolute paths become `file://` URIs.
pub fn resolve(url: &str, base: &str) -> String {
    if url.contains("://") {
        return url.to_owned();
    }
    if url.starts_with('/') {
        return format!("file://{url}");
    }
    if base.contains("://") {
        let dir = &base[..base.rfind('/').map_or(base.len(), |i| i + 1)];
        return format!("{dir}{url}");
    }
    let dir = Path::new(base).parent().unwrap_or(Path::new("/"));
    let path = std::fs::canonicalize(dir.join(url)).unwrap_or_else(|_| {
        std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_owned())
            .join(url)
    });
    format!("file://{}", path.display())
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("cannot read {0}: {1}")]
    File(String, std::io::Error),
    /// The server could not be reached or the transfer failed.
    #[error("cannot fetch {0}: {1}")]
    Http(String, String),
    /// The server answered, but not with the file.
    #[error("cannot fetch {0}: HTTP {1}")]
    Status(String, u16),
    #[error("{0} is larger than {1} bytes")]
    TooLarge(String, u64),
    #[error("{0}")]
    Ca(String),
}

impl SourceError {
    /// Why, without the address (a Learn video's captions are named after what the patient is
    /// being taught: no address goes into the journal).
    pub fn reason(&self) -> String {
        match self {
            SourceError::File(_, e) => format!("cannot read the file: {e}"),
            SourceError::Http(_, e) => format!("cannot fetch it: {e}"),
            SourceError::Status(_, status) => format!("the server answered HTTP {status}"),
            SourceError::TooLarge(_, limit) => format!("larger than {limit} bytes"),
            SourceError::Ca(e) => e.clone(),
        }
    }
}

/// What was read, and whether it is the kept copy because the source could not be reached.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub stale: bool,
}

/// Fetches http(s) sources, trusting the hospital's CA when one is given.
#[derive(Clone)]
pub struct Fetcher {
    agent: Agent,
    cache: Option<PathBuf>,
}

impl Fetcher {
    /// `cache`: the folder for last good copies (None: keep nothing).
    pub fn new(ca_file: Option<&Path>, cache: Option<PathBuf>) -> Result<Fetcher, SourceError> {
        let roots = crate::tls::root_certs(ca_file).map_err(SourceError::Ca)?;
        let agent = Agent::config_builder()
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .user_agent(concat!("bedside/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(Fetcher { agent, cache })
    }

    /// Reads `source` (a URL or a path), at most `limit` bytes. For a URL, a good answer
    /// replaces the kept copy named `name`; a failed one falls back to it.
    pub fn fetch(&self, source: &str, name: &str, limit: u64) -> Result<Fetched, SourceError> {
        if !(source.starts_with("http://") || source.starts_with("https://")) {
            let path = source.strip_prefix("file://").unwrap_or(source);
            let mut bytes = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
                .map_err(|e| SourceError::File(path.to_owned(), e))?;
            if bytes.len() as u64 > limit {
                return Err(SourceError::TooLarge(path.to_owned(), limit));
            }
            return Ok(Fetched {
                bytes,
                stale: false,
            });
        }
        match self.download(source, limit) {
            Ok(bytes) => {
                if let Some(dir) = &self.cache {
                    keep(dir, name, &bytes);
                }
                Ok(Fetched {
                    bytes,
                    stale: false,
                })
            }
            Err(e) => {
                let kept = self
                    .cache
                    .as_ref()
                    .and_then(|dir| std::fs::read(dir.join(name)).ok());
                match kept {
                    Some(bytes) => {
                        tracing::warn!(error = %e, "using the kept copy");
                        Ok(Fetched { bytes, stale: true })
                    }
                    None => Err(e),
                }
            }
        }
    }

    /// Like [`Self::fetch`], but a kept copy is used as it is, without asking the head-end: for
    /// things that do not change under the same `name` (logos, named by their address).
    pub fn fetch_kept(&self, source: &str, name: &str, limit: u64) -> Result<Fetched, SourceError> {
        if let Some(bytes) = self.kept(name, limit) {
            return Ok(Fetched {
                bytes,
                stale: false,
            });
        }
        self.fetch(source, name, limit)
    }

    /// The kept copy named `name`, if there is one no bigger than `limit`.
    pub fn kept(&self, name: &str, limit: u64) -> Option<Vec<u8>> {
        self.cache
            .as_ref()
            .and_then(|dir| std::fs::read(dir.join(name)).ok())
            .filter(|b| b.len() as u64 <= limit)
    }

    fn download(&self, url: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
        let http = |e: String| SourceError::Http(url.to_owned(), e);
        let mut answer = self
            .agent
            .get(url)
            .call()
            .map_err(|e| http(e.to_string()))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(SourceError::Status(url.to_owned(), status.as_u16()));
        }
        let mut bytes = Vec::new();
        answer
            .body_mut()
            .as_reader()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| http(e.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(SourceError::TooLarge(url.to_owned(), limit));
        }
        Ok(bytes)
    }
}

/// Writes the kept copy: aside first, then renamed over the old one.
fn keep(dir: &Path, name: &str, bytes: &[u8]) {
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, dir.join(name))
    };
    if let Err(e) = write() {
        tracing::warn!(error = %e, file = name, "cannot keep a copy of a TV source");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_and_sizes_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lineup.m3u");
        std::fs::write(&path, "#EXTM3U\n").unwrap();
        let f = Fetcher::new(None, None).unwrap();
        let got = f.fetch(path.to_str().unwrap(), "lineup", 100).unwrap();
        assert_eq!(got.bytes, b"#EXTM3U\n");
        assert!(matches!(
            f.fetch(path.to_str().unwrap(), "lineup", 3),
            Err(SourceError::TooLarge(..))
        ));
        assert!(matches!(
            f.fetch("/nonexistent/lineup.m3u", "lineup", 100),
            Err(SourceError::File(..))
        ));
    }

    #[test]
    fn an_unreachable_url_falls_back_to_the_kept_copy() {
        let dir = tempfile::tempdir().unwrap();
        let f = Fetcher::new(None, Some(dir.path().to_owned())).unwrap();
        // Nothing listens on port 9 of loopback (discard is not served here).
        let url = "http://127.0.0.1:9/lineup.m3u";
        assert!(matches!(
            f.fetch(url, "lineup", 100),
            Err(SourceError::Http(..))
        ));
        keep(dir.path(), "lineup", b"#EXTM3U kept\n");
        let got = f.fetch(url, "lineup", 100).unwrap();
        assert!(got.stale);
        assert_eq!(got.bytes, b"#EXTM3U kept\n");
    }
}
