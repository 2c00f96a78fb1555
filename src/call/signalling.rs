//! The link to the call signalling server: one WebSocket (`ws://` on a test bench, `wss://` in
//! a hospital), JSON messages of the GStreamer WebRTC signalling protocol
//! (`gst-plugin-webrtc-signalling-protocol`, the server's own types).
//!
//! Blocking, on the call thread: [`Link::receive`] waits at most the time it is given, so the
//! same thread also sends what the media and the patient produce. A message the server sends
//! that cannot be read is logged (its type only) and skipped; it never ends the link.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gst_plugin_webrtc_signalling_protocol as p;
use tungstenite::{Message, WebSocket};

/// How long connecting (TCP, TLS and the WebSocket handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest message taken from the server (an SDP is a few kilobytes).
const MESSAGE_MAX: usize = 256 << 10;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("the signalling address {0} is not a ws:// or wss:// URL with a host")]
    Address(String),
    #[error("cannot reach the signalling server: {0}")]
    Connect(String),
    /// Nothing listens there (the server is down): unlike an unreachable network, not
    /// something that mends itself in a second.
    #[error("the signalling server refused the connection: {0}")]
    Refused(String),
    #[error("TLS with the signalling server: {0}")]
    Tls(String),
    #[error("the signalling server refused the WebSocket: {0}")]
    Handshake(String),
    #[error("the signalling link closed: {0}")]
    Closed(String),
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

/// A connected link.
pub struct Link {
    socket: WebSocket<Stream>,
    /// When the server was last heard from (any frame, a pong included).
    heard: Instant,
    /// When we last asked it for a pong.
    pinged: Instant,
}

/// The TLS settings for `wss://`: the hospital's CA file (or the public web roots), and the
/// box's own certificate and key when the server asks for one.
#[derive(Clone, Debug, Default)]
pub struct TlsSetup {
    pub ca_file: Option<std::path::PathBuf>,
    pub client_cert: Option<std::path::PathBuf>,
    pub client_key: Option<std::path::PathBuf>,
}

fn tls_config(setup: &TlsSetup) -> Result<rustls::ClientConfig, LinkError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let roots = crate::tls::rustls_roots(setup.ca_file.as_deref()).map_err(LinkError::Tls)?;
    let builder = crate::tls::rustls_builder(roots).map_err(LinkError::Tls)?;
    match (&setup.client_cert, &setup.client_key) {
        (Some(cert), Some(key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .map_err(|e| LinkError::Tls(format!("client_cert {}: {e}", cert.display())))?
                .filter_map(Result::ok)
                .collect();
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| LinkError::Tls(format!("client_key {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| LinkError::Tls(e.to_string()))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

impl Link {
    /// Connects to `url` (`ws://host:port/path` or `wss://...`).
    pub fn connect(url: &str, tls: &TlsSetup) -> Result<Link, LinkError> {
        let bad = || LinkError::Address(url.to_owned());
        let (secure, rest) = if let Some(rest) = url.strip_prefix("wss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("ws://") {
            (false, rest)
        } else {
            return Err(bad());
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                (h, p.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (authority, if secure { 443 } else { 80 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addr = (host, port)
            .to_socket_addrs()
            .map_err(|e| LinkError::Connect(format!("{host}: {e}")))?
            .next()
            .ok_or_else(|| LinkError::Connect(format!("{host}: no address")))?;
        let tcp = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| {
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                LinkError::Refused(format!("{addr}: {e}"))
            } else {
                LinkError::Connect(format!("{addr}: {e}"))
            }
        })?;
        let _ = tcp.set_nodelay(true);
        tcp.set_read_timeout(Some(CONNECT_TIMEOUT))
            .map_err(|e| LinkError::Connect(e.to_string()))?;
        tcp.set_write_timeout(Some(CONNECT_TIMEOUT))
            .map_err(|e| LinkError::Connect(e.to_string()))?;
        let stream = if secure {
            let name =
                rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| bad())?;
            let conn = rustls::ClientConnection::new(Arc::new(tls_config(tls)?), name)
                .map_err(|e| LinkError::Tls(e.to_string()))?;
            Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
        } else {
            Stream::Plain(tcp)
        };
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MESSAGE_MAX))
            .max_frame_size(Some(MESSAGE_MAX));
        let (socket, _) = tungstenite::client::client_with_config(url, stream, Some(config))
            .map_err(|e| match e {
                tungstenite::HandshakeError::Failure(tungstenite::Error::Io(io))
                    if io
                        .get_ref()
                        .is_some_and(|inner| inner.is::<rustls::Error>()) =>
                {
                    LinkError::Tls(io.to_string())
                }
                tungstenite::HandshakeError::Failure(e) => LinkError::Handshake(e.to_string()),
                tungstenite::HandshakeError::Interrupted(_) => {
                    LinkError::Handshake("timed out".into())
                }
            })?;
        Ok(Link {
            socket,
            heard: Instant::now(),
            pinged: Instant::now(),
        })
    }

    /// Sends one message.
    pub fn send(&mut self, message: &p::IncomingMessage) -> Result<(), LinkError> {
        let text = serde_json::to_string(message).expect("protocol messages serialize");
        self.socket
            .send(Message::text(text))
            .map_err(|e| LinkError::Closed(e.to_string()))
    }

    /// Waits up to `wait` for a message. `Ok(None)`: nothing arrived (or something that is not
    /// a message of the protocol, which is logged and dropped).
    pub fn receive(&mut self, wait: Duration) -> Result<Option<p::OutgoingMessage>, LinkError> {
        let wait = wait.max(Duration::from_millis(1));
        self.socket
            .get_ref()
            .tcp()
            .set_read_timeout(Some(wait))
            .map_err(|e| LinkError::Closed(e.to_string()))?;
        let read = self.socket.read();
        if read.is_ok() {
            self.heard = Instant::now();
        }
        match read {
            Ok(Message::Text(text)) => match serde_json::from_str::<p::OutgoingMessage>(&text) {
                Ok(m) => Ok(Some(m)),
                Err(e) => {
                    // Never the message itself: it may carry names.
                    tracing::warn!(error = %e, bytes = text.len(), "signalling message not understood; skipped");
                    Ok(None)
                }
            },
            Ok(Message::Close(_)) => Err(LinkError::Closed("the server closed it".into())),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                // Anything queued (a pong) goes out now.
                let _ = self.socket.flush();
                Ok(None)
            }
            Err(tungstenite::Error::Capacity(e)) => {
                tracing::warn!(error = %e, "signalling message too large; link dropped");
                Err(LinkError::Closed(e.to_string()))
            }
            Err(e) => Err(LinkError::Closed(e.to_string())),
        }
    }

    /// Keeps the link honest: a ping when the server has been quiet for `every`, and an
    /// error once it has been quiet for three times that. A link whose far side vanished (the
    /// box's address changed, a cable was pulled, a switch rebooted) looks open for minutes
    /// to TCP; this notices within `3 × every`.
    pub fn keep_alive(&mut self, every: Duration) -> Result<(), LinkError> {
        let quiet = self.heard.elapsed();
        if quiet >= every * 3 {
            return Err(LinkError::Closed(format!(
                "no answer from the server for {} s",
                quiet.as_secs()
            )));
        }
        if quiet >= every && self.pinged.elapsed() >= every {
            self.pinged = Instant::now();
            self.socket
                .send(Message::Ping(Default::default()))
                .map_err(|e| LinkError::Closed(e.to_string()))?;
        }
        Ok(())
    }

    /// Says goodbye (best effort).
    pub fn close(mut self) {
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_cannot_work_are_refused_before_connecting() {
        for url in [
            "http://host/x",
            "ws://",
            "ws:///path",
            "wss://user:pw@host/x",
            "ws://host:notaport/",
        ] {
            assert!(
                matches!(
                    Link::connect(url, &TlsSetup::default()),
                    Err(LinkError::Address(_))
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn a_closed_port_is_refused() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = Link::connect(&format!("ws://127.0.0.1:{port}/"), &TlsSetup::default());
        assert!(matches!(e, Err(LinkError::Refused(_))));
    }
}
