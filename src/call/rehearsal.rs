//! The real parts of "Test my camera and sound" ([`crate::domain::call::rehearsal`] has the
//! rules): the camera shown to the patient large, the microphone through GStreamer's `level`
//! meter, a short test tone at the TV's volume through the speaker a call uses, and each STUN or
//! TURN server asked for a binding (RFC 8489) the way ICE will ask it in a call. The signalling
//! server is checked by the call thread itself (a `list` it answers).
//!
//! Three small pipelines, so a camera that fails never hides what the microphone does. All of
//! it reports through one callback on GStreamer's (or the probe's) threads; dropping the
//! [`Running`] releases the camera and microphone (on a thread of its own).

use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;

use super::media::{Camera, MediaError, MediaFrames, MediaSetup, Microphone, Picture};
use crate::domain::call::rehearsal::Event;
use crate::media::property::set;

/// The patient's own picture on the self-test screen: large, to judge framing and light.
pub const PICTURE_SIZE: (u32, u32) = (960, 540);
/// How long a STUN or TURN server may take to answer.
const RELAY_WAIT: Duration = Duration::from_millis(1500);

pub type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// A self-test under way.
pub struct Running {
    pipelines: Vec<gst::Pipeline>,
    stopped: Arc<AtomicBool>,
}

impl Running {
    /// Starts every part. `volume`: the TV's loudness, linear (the test tone plays at it);
    /// `silent`: no sound to the speakers (headless runs: the tone still runs to its end).
    pub fn start(
        setup: &MediaSetup,
        volume: f64,
        frames: MediaFrames,
        events: Events,
    ) -> Result<Running, MediaError> {
        gst::init().map_err(|e| MediaError::Init(e.to_string()))?;
        let stopped = Arc::new(AtomicBool::new(false));
        let mut pipelines = Vec::new();
        if setup.camera != Camera::None {
            match camera(&setup.camera, frames, &events) {
                Ok(p) => pipelines.push(p),
                Err(e) => {
                    tracing::warn!(error = %e, "self-test: the camera cannot start");
                    events(Event::CameraFailed);
                }
            }
        }
        match microphone(&setup.microphone) {
            Ok(p) => pipelines.push(p),
            Err(e) => {
                tracing::warn!(error = %e, "self-test: the microphone cannot start");
                events(Event::MicFailed);
            }
        }
        match tone(volume, setup.silent) {
            Ok(p) => pipelines.push(p),
            Err(e) => {
                tracing::warn!(error = %e, "self-test: the test sound cannot start");
                events(Event::SoundFailed);
            }
        }
        for pipeline in &pipelines {
            watch(pipeline, &events, &stopped);
            if pipeline.set_state(gst::State::Playing).is_err() {
                // The bus says which part failed (an error message follows).
                tracing::warn!(pipeline = %pipeline.name(), "self-test: a part does not start");
            }
        }
        let servers: Vec<String> = setup
            .stun
            .iter()
            .chain(setup.turn.iter())
            .cloned()
            .collect();
        if !servers.is_empty() {
            let events = events.clone();
            std::thread::Builder::new()
                .name("bedside-relay-check".into())
                .spawn(move || {
                    let all = servers.iter().all(|s| relay_answers(s));
                    events(Event::Network(all));
                })
                .map_err(|e| MediaError::Init(e.to_string()))?;
        }
        Ok(Running { pipelines, stopped })
    }

    /// STUN or TURN servers are configured (the network check runs).
    pub fn has_relays(setup: &MediaSetup) -> bool {
        setup.stun.is_some() || !setup.turn.is_empty()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let pipelines = std::mem::take(&mut self.pipelines);
        // The camera's and microphone's devices are released off the call thread; a call
        // starting right after joins nothing (its own devices open once these close, as
        // V4L2 and ALSA hand them over).
        let _ = std::thread::Builder::new()
            .name("bedside-selftest-stop".into())
            .spawn(move || {
                for p in pipelines {
                    let _ = p.set_state(gst::State::Null);
                }
            });
    }
}

fn launch(description: &str, name: &str) -> Result<gst::Pipeline, MediaError> {
    let element =
        gst::parse::launch(description).map_err(|e| MediaError::State(format!("{name}: {e}")))?;
    let pipeline = element
        .downcast::<gst::Pipeline>()
        .map_err(|_| MediaError::State(format!("{name}: not a pipeline")))?;
    pipeline.set_property("name", name);
    Ok(pipeline)
}

fn camera(
    source: &Camera,
    frames: MediaFrames,
    events: &Events,
) -> Result<gst::Pipeline, MediaError> {
    let src = super::media::camera_source(source)?;
    let pipeline = gst::Pipeline::with_name("bedside-selftest-camera");
    let rate = super::media::make("videorate")?;
    set(&rate, "drop-only", true)?;
    set(&rate, "max-rate", 15i32)?;
    let first = Arc::new(AtomicBool::new(false));
    let (convert, caps, sink) = super::media::picture_sink(PICTURE_SIZE, {
        let events = events.clone();
        move |frame| {
            frames(Picture::Own, frame);
            if !first.swap(true, Ordering::Relaxed) {
                events(Event::CameraPicture);
            }
        }
    })?;
    let init = |e: gst::glib::BoolError| MediaError::Init(e.to_string());
    pipeline
        .add_many([&src, &rate, &convert, &caps, sink.upcast_ref()])
        .map_err(init)?;
    gst::Element::link_many([&src, &rate, &convert, &caps, sink.upcast_ref()]).map_err(init)?;
    Ok(pipeline)
}

fn microphone(source: &Microphone) -> Result<gst::Pipeline, MediaError> {
    let src = match source {
        Microphone::Auto => "autoaudiosrc",
        // A steady tone (-12 dB): the meter stands still at 0.8, for tests and pictures.
        Microphone::Test => "audiotestsrc is-live=true wave=sine freq=440 volume=0.25",
    };
    launch(
        &format!(
            "{src} ! audioconvert ! level interval=100000000 post-messages=true ! fakesink sync=false"
        ),
        "bedside-selftest-microphone",
    )
}

fn tone(volume: f64, silent: bool) -> Result<gst::Pipeline, MediaError> {
    let sink = if silent {
        "fakesink sync=true"
    } else {
        "autoaudiosink"
    };
    // About a second of a two-note chime (C5 then E5 would need two sources; one clear 660 Hz
    // tone is what hearing aids pass best), at the TV's loudness.
    launch(
        &format!(
            "audiotestsrc wave=sine freq=660 volume=0.3 num-buffers=43 ! audioconvert ! volume volume={volume:.3} ! {sink}"
        ),
        "bedside-selftest-tone",
    )
}

/// Reports each pipeline's failures, the meter, and the tone's end.
fn watch(pipeline: &gst::Pipeline, events: &Events, stopped: &Arc<AtomicBool>) {
    let Some(bus) = pipeline.bus() else {
        return;
    };
    let name = pipeline.name().to_string();
    let events = events.clone();
    let stopped = stopped.clone();
    bus.set_sync_handler(move |_, message| {
        if stopped.load(Ordering::SeqCst) {
            return gst::BusSyncReply::Drop;
        }
        match message.view() {
            gst::MessageView::Error(err) => {
                tracing::warn!(part = %name, error = %err.error(), "self-test part failed");
                events(match name.as_str() {
                    "bedside-selftest-camera" => Event::CameraFailed,
                    "bedside-selftest-microphone" => Event::MicFailed,
                    _ => Event::SoundFailed,
                });
            }
            // The tone plays: its sink took it and runs (the sound server accepted the stream).
            // Not its end: a sound server's buffer can hold the last second back, and the
            // patient hears the tone either way.
            gst::MessageView::StateChanged(change)
                if name == "bedside-selftest-tone"
                    && change.current() == gst::State::Playing
                    && change
                        .src()
                        .is_some_and(|src| src.name() == "bedside-selftest-tone") =>
            {
                events(Event::SoundPlayed)
            }
            gst::MessageView::Eos(_) if name == "bedside-selftest-tone" => {
                events(Event::SoundPlayed)
            }
            gst::MessageView::Element(e) => {
                if let Some(s) = e.structure()
                    && s.name() == "level"
                    && let Ok(peaks) = s.get::<gst::glib::ValueArray>("peak")
                {
                    let loudest = peaks
                        .iter()
                        .filter_map(|v| v.get::<f64>().ok())
                        .fold(f64::NEG_INFINITY, f64::max);
                    events(Event::MicLevel(loudest));
                }
            }
            _ => {}
        }
        gst::BusSyncReply::Drop
    });
}

/// A STUN or TURN server answers a binding request (UDP), or takes a connection (TCP and TLS
/// relays: `turns:` or `?transport=tcp`), within [`RELAY_WAIT`].
pub fn relay_answers(url: &str) -> bool {
    let Some((address, tcp)) = relay_address(url) else {
        tracing::warn!("self-test: a relay server's address cannot be read");
        return false;
    };
    let Some(to) = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut all| all.next())
    else {
        tracing::warn!("self-test: a relay server's name does not resolve");
        return false;
    };
    if tcp {
        return TcpStream::connect_timeout(&to, RELAY_WAIT).is_ok();
    }
    let bind = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let Ok(socket) = UdpSocket::bind(bind) else {
        return false;
    };
    if socket.connect(to).is_err() || socket.set_read_timeout(Some(RELAY_WAIT)).is_err() {
        return false;
    }
    let request = binding_request();
    // Twice, as ICE retransmits: one lost datagram is not a broken network.
    let deadline = std::time::Instant::now() + RELAY_WAIT;
    let mut sent = 0;
    let mut answer = [0u8; 548];
    while std::time::Instant::now() < deadline {
        if sent < 2 {
            let _ = socket.send(&request);
            sent += 1;
            let _ = socket.set_read_timeout(Some(RELAY_WAIT / 2));
        }
        match socket.recv(&mut answer) {
            Ok(n) if is_binding_answer(&answer[..n], &request) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            // Refused (nothing on the port) and other errors: no server there.
            Err(_) => return false,
        }
    }
    false
}

/// `stun://host:port`, `turn://user:password@host:port?transport=udp`: the host and port, and
/// whether it is reached over TCP.
fn relay_address(url: &str) -> Option<(String, bool)> {
    let (scheme, rest) = url.split_once("://").or_else(|| url.split_once(':'))?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let tcp = scheme.eq_ignore_ascii_case("turns") || query.contains("transport=tcp");
    let default = if scheme.eq_ignore_ascii_case("turns") {
        5349
    } else {
        3478
    };
    let has_port = if host.starts_with('[') {
        host.contains("]:")
    } else {
        host.contains(':')
    };
    let address = if has_port {
        host.to_owned()
    } else {
        format!("{host}:{default}")
    };
    (!host.is_empty()).then_some((address, tcp))
}

const MAGIC: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];

/// A STUN Binding Request with no attributes and a fresh transaction id.
fn binding_request() -> [u8; 20] {
    let mut m = [0u8; 20];
    m[1] = 0x01; // Binding, class Request: 0x0001; length 0
    m[4..8].copy_from_slice(&MAGIC);
    // A v4 UUID's random bytes (the OS's generator): only this answer matches it.
    let id = uuid::Uuid::new_v4();
    m[8..20].copy_from_slice(&id.as_bytes()[..12]);
    m
}

/// A Binding success (0x0101) or error (0x0111) answer to `request`: either way the server is
/// there and speaks STUN.
fn is_binding_answer(answer: &[u8], request: &[u8; 20]) -> bool {
    answer.len() >= 20
        && (answer[0..2] == [0x01, 0x01] || answer[0..2] == [0x01, 0x11])
        && answer[4..8] == MAGIC
        && answer[8..20] == request[8..20]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_addresses_are_read_as_ice_reads_them() {
        assert_eq!(
            relay_address("stun://stun.example.org:3478"),
            Some(("stun.example.org:3478".into(), false))
        );
        assert_eq!(
            relay_address("turn://u:p@turn.example.org:3479"),
            Some(("turn.example.org:3479".into(), false))
        );
        assert_eq!(
            relay_address("turn://u:p@turn.example.org?transport=tcp"),
            Some(("turn.example.org:3478".into(), true))
        );
        assert_eq!(
            relay_address("turns://u:p@turn.example.org"),
            Some(("turn.example.org:5349".into(), true))
        );
        assert_eq!(
            relay_address("stun://[::1]:3478"),
            Some(("[::1]:3478".into(), false))
        );
        assert_eq!(relay_address("stun://"), None);
    }

    #[test]
    fn only_an_answer_to_our_own_request_counts() {
        let request = binding_request();
        let mut answer = [0u8; 32];
        answer[0..2].copy_from_slice(&[0x01, 0x01]);
        answer[4..8].copy_from_slice(&MAGIC);
        answer[8..20].copy_from_slice(&request[8..20]);
        assert!(is_binding_answer(&answer, &request));
        answer[19] ^= 1;
        assert!(!is_binding_answer(&answer, &request), "another transaction");
        assert!(!is_binding_answer(&answer[..10], &request), "too short");
    }

    #[test]
    fn a_port_with_no_server_does_not_answer() {
        // A UDP port nothing listens on: refused (or silent) either way, never "answers".
        let free = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        assert!(!relay_answers(&format!("stun://127.0.0.1:{port}")));
    }
}
