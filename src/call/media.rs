//! The media of one call: a GStreamer pipeline around `webrtcbin`.
//!
//! The box always makes the SDP offer (see [`super`] for why) with VP8 video and Opus sound,
//! both send-and-receive; without a camera the video is receive-only and the far end is told so
//! by the SDP itself. The microphone goes through `webrtcdsp` (echo cancellation, noise
//! suppression, gain control) whose far-end reference is a `webrtcechoprobe` on the speaker path.
//! Pictures leave through two `appsink`s as RGB already scaled for the screen: the far end's,
//! full screen, and the patient's own, small, for the corner.
//!
//! Everything here runs on GStreamer's threads and reports through [`MediaEvents`]; nothing
//! blocks the caller but [`Media::start`] (building the pipeline, a few milliseconds) and
//! [`Media::stop`] (which is handed to a thread of its own).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_sdp as gst_sdp;
use gstreamer_video as gst_video;
use gstreamer_webrtc as gst_webrtc;

use crate::media::player::Frame;
use crate::media::property::{self, PropertyError, set, set_str};

/// Where the picture sent to the far end comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Camera {
    /// A V4L2 capture device, e.g. `/dev/video0`.
    Device(String),
    /// A moving test picture (`videotestsrc`): tests, and boxes being set up.
    Test,
    /// No camera: the call is audio-only from this side.
    None,
}

/// Where the sound sent to the far end comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Microphone {
    /// GStreamer's `autoaudiosrc` (ALSA or PipeWire on the appliance).
    Auto,
    /// A tone (`audiotestsrc`): tests.
    Test,
}

/// How a call's media is made.
#[derive(Clone, Debug)]
pub struct MediaSetup {
    pub camera: Camera,
    pub microphone: Microphone,
    /// STUN and TURN servers, as `stun://host:port` and `turn://user:password@host:port`.
    pub stun: Option<String>,
    pub turn: Vec<String>,
    /// Only through the TURN servers (`ice-transport-policy` relay).
    pub relay_only: bool,
    /// The far end's picture is delivered at this size (the screen's).
    pub remote_size: (u32, u32),
    /// The patient's own picture is delivered at this size.
    pub own_size: (u32, u32),
    /// No sound to the speakers (headless runs); the sound is still decoded.
    pub silent: bool,
    /// The picture sent: width, height, frames per second, bit rate in kbit/s.
    pub send: (u32, u32, u32, u32),
}

/// What the media tells the call. Called on GStreamer's threads: keep it short.
#[derive(Clone, Debug, PartialEq)]
pub enum MediaEvent {
    /// The offer to send to the far end (SDP text).
    Offer(String),
    /// An ICE candidate of ours for the far end.
    Candidate { mline: u32, candidate: String },
    /// The peer connection is up (ICE and DTLS done).
    Connected,
    /// The connection was lost (ICE failed or disconnected for good).
    Lost(String),
    /// The first picture from the far end was delivered.
    FirstRemoteFrame,
    /// The shared-view channel opened (true) or closed (false): what the far end sees of a
    /// record view shared in the call goes through it.
    ShareChannel(bool),
    /// Something in the pipeline failed (the message is for the log).
    Failed(String),
}

pub type MediaEvents = Arc<dyn Fn(MediaEvent) + Send + Sync>;
/// Which picture a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picture {
    Remote,
    Own,
}
pub type MediaFrames = Arc<dyn Fn(Picture, Frame<'_>) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    #[error("GStreamer cannot start: {0}")]
    Init(String),
    /// A GStreamer element is not installed.
    #[error(
        "the GStreamer element `{0}` is missing (install gstreamer1.0-plugins-bad and gstreamer1.0-nice)"
    )]
    Missing(&'static str),
    #[error("the pipeline does not start: {0}")]
    State(String),
    #[error("the far end's description cannot be used: {0}")]
    Sdp(String),
    /// An element does not take a setting the call gives it (a wrong element in a slot).
    #[error("a call element cannot be set up: {0}")]
    Property(#[from] PropertyError),
}

pub(super) fn make(name: &'static str) -> Result<gst::Element, MediaError> {
    gst::ElementFactory::make(name)
        .build()
        .map_err(|_| MediaError::Missing(name))
}

fn init(e: impl std::fmt::Display) -> MediaError {
    MediaError::Init(e.to_string())
}

/// Every element a call needs, checked at once so a missing plugin is one clear error.
fn check_elements() -> Result<(), MediaError> {
    gst::init().map_err(init)?;
    for name in [
        "webrtcbin",
        "nicesrc",
        "vp8enc",
        "vp8dec",
        "rtpvp8pay",
        "opusenc",
        "rtpopuspay",
        "webrtcdsp",
        "webrtcechoprobe",
        "decodebin",
        "videoconvertscale",
        "appsink",
    ] {
        make(name)?;
    }
    Ok(())
}

/// Names echo probes uniquely in the process (webrtcdsp finds its probe by name).
static PROBES: AtomicU64 = AtomicU64::new(0);

/// One call's media. Dropping it tears the pipeline down (off the caller's thread).
pub struct Media {
    pipeline: gst::Pipeline,
    webrtc: gst::Element,
    mic: gst::Element,
    /// Set: the camera's frames are sent black.
    camera: Option<Arc<AtomicBool>>,
    speaker: gst::Element,
    stopped: Arc<AtomicBool>,
    /// When the pipeline started, and when the far end's media last arrived (milliseconds
    /// after `started`; 0: not yet).
    started: std::time::Instant,
    heard: Arc<AtomicU64>,
    share: Arc<std::sync::Mutex<Share>>,
}

/// What the far end is told when nothing is shared any more.
pub const STOP_SHARING: &str = r#"{"v":1,"view":null}"#;

/// The label of the data channel a shared record view travels on (the care-team page reads it).
pub const SHARE_CHANNEL: &str = "bedside-share";

/// The shared-view data channel, and the latest view to keep the far end showing: sent when
/// it changes, and again when the channel (re)opens.
#[derive(Default)]
struct Share {
    channel: Option<gst_webrtc::WebRTCDataChannel>,
    open: bool,
    latest: Option<String>,
}

/// The most a shared view may weigh: browsers take SCTP messages up to 256 KiB; a view is a
/// few KiB (100 rows at most).
const SHARE_MAX_BYTES: usize = 64 * 1024;

impl Share {
    fn send(&mut self) {
        let (Some(channel), true, Some(text)) = (&self.channel, self.open, &self.latest) else {
            return;
        };
        let sent = if text.len() > SHARE_MAX_BYTES {
            Err(format!("{} bytes is over the limit", text.len()))
        } else {
            channel
                .send_string_full(Some(text))
                .map_err(|e| e.to_string())
        };
        if let Err(e) = sent {
            // Never the text: it is the patient's record. The far end must not go on showing
            // an older view as if it were this one: it is told that nothing is shared.
            tracing::warn!(error = %e, bytes = text.len(), "the shared view cannot be sent");
            let _ = channel.send_string_full(Some(STOP_SHARING));
            self.latest = Some(STOP_SHARING.to_owned());
        }
    }
}

impl Media {
    /// Builds the pipeline this setup makes, without starting it, and drops it: every element
    /// and every setting a call will use, checked when the call thread starts, so a box that
    /// cannot carry a call says so then and is never rung (not when a patient presses OK).
    /// Opens no device.
    pub fn check(setup: &MediaSetup) -> Result<(), MediaError> {
        check_elements()?;
        Self::build(setup, Arc::new(|_| {}), Arc::new(|_, _| {})).map(drop)
    }

    /// Builds and starts the pipeline; the offer follows as [`MediaEvent::Offer`].
    pub fn start(
        setup: &MediaSetup,
        events: MediaEvents,
        frames: MediaFrames,
    ) -> Result<Media, MediaError> {
        let media = Self::build(setup, events.clone(), frames)?;
        // The data channel must exist before the offer is made (webrtcbin makes it once
        // playing), so that the offer carries it: READY first, as GStreamer's own examples do.
        media
            .pipeline
            .set_state(gst::State::Ready)
            .map_err(|e| MediaError::State(e.to_string()))?;
        media.open_share_channel(events);
        media
            .pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| MediaError::State(e.to_string()))?;
        Ok(media)
    }

    /// The channel a shared record view goes through (ordered, reliable SCTP inside the
    /// call's DTLS). A box whose GStreamer cannot make one still carries calls; sharing then
    /// never reaches the far end, and the screen says it is waiting for the link.
    fn open_share_channel(&self, events: MediaEvents) {
        // webrtcbin posts a pipeline error (which would end the call) when it has no SCTP
        // elements to make a channel with: look first.
        if ["sctpenc", "sctpdec"]
            .iter()
            .any(|name| gst::ElementFactory::find(name).is_none())
        {
            tracing::warn!("no SCTP elements: record views cannot be shared in calls");
            return;
        }
        let channel = self
            .webrtc
            .emit_by_name::<Option<gst_webrtc::WebRTCDataChannel>>(
                "create-data-channel",
                &[&SHARE_CHANNEL, &None::<gst::Structure>],
            );
        let Some(channel) = channel else {
            tracing::warn!("no data channel: record views cannot be shared in calls");
            return;
        };
        // Weak: the channel holds these closures and the share state holds the channel.
        let share = Arc::downgrade(&self.share);
        let ev = events.clone();
        channel.connect_on_open(move |_| {
            let Some(share) = share.upgrade() else {
                return;
            };
            let mut share = share.lock().unwrap_or_else(|e| e.into_inner());
            share.open = true;
            share.send();
            ev(MediaEvent::ShareChannel(true));
        });
        let share = Arc::downgrade(&self.share);
        let ev = events;
        channel.connect_on_close(move |_| {
            if let Some(share) = share.upgrade() {
                share.lock().unwrap_or_else(|e| e.into_inner()).open = false;
            }
            ev(MediaEvent::ShareChannel(false));
        });
        self.share.lock().unwrap_or_else(|e| e.into_inner()).channel = Some(channel);
    }

    /// What the far end is shown of the patient's record (a JSON message the care-team page
    /// draws; see docs/calls.md), or that nothing is shared any more (`None`). Sent at once if
    /// the channel is open, else when it opens.
    pub fn set_shared(&self, view: Option<&str>) {
        let mut share = self.share.lock().unwrap_or_else(|e| e.into_inner());
        let text = view.map_or_else(|| STOP_SHARING.to_owned(), str::to_owned);
        if share.latest.as_deref() == Some(text.as_str()) {
            return;
        }
        share.latest = Some(text);
        share.send();
    }

    fn build(
        setup: &MediaSetup,
        events: MediaEvents,
        frames: MediaFrames,
    ) -> Result<Media, MediaError> {
        // The elements were checked when the call thread started ([`Media::check`]); a missing
        // one is still a `Missing` error from `make` here.
        gst::init().map_err(init)?;
        let pipeline = gst::Pipeline::with_name("bedside-call");
        let webrtc = make("webrtcbin")?;
        set_str(&webrtc, "bundle-policy", "max-bundle")?;
        // No STUN server named: none at all (libnice would otherwise try a public one).
        set(&webrtc, "stun-server", setup.stun.as_deref())?;
        // No UPnP: libnice would otherwise search the ward's network for a home router to open
        // ports on (SSDP multicast from every TV, an HTTP server per call) for nothing.
        if let Some(agent) = webrtc
            .property::<Option<gst::glib::Object>>("ice-agent")
            .filter(|ice| ice.find_property("agent").is_some())
            .and_then(|ice| ice.property::<Option<gst::glib::Object>>("agent"))
            .filter(|agent| agent.find_property("upnp").is_some())
        {
            set(&agent, "upnp", false)?;
        }
        if setup.relay_only {
            set_str(&webrtc, "ice-transport-policy", "relay")?;
        }
        pipeline.add(&webrtc).map_err(init)?;
        for turn in &setup.turn {
            let _: bool = webrtc.emit_by_name("add-turn-server", &[turn]);
        }
        let stopped = Arc::new(AtomicBool::new(false));
        let probe_name = format!(
            "bedside-echo-{}",
            PROBES.fetch_add(1, Ordering::Relaxed) + 1
        );

        // The speaker path exists from the start: the echo canceller needs its probe.
        let speaker = make("volume")?;
        let probe = gst::ElementFactory::make("webrtcechoprobe")
            .name(probe_name.as_str())
            .build()
            .map_err(|_| MediaError::Missing("webrtcechoprobe"))?;
        let out_convert = make("audioconvert")?;
        let out = if setup.silent {
            make("fakesink")?
        } else {
            make("autoaudiosink")?
        };
        // Nothing reaches the speaker until the far end's sound does: do not wait for it. The
        // appliance's `autoaudiosink` is a bin without `async`: the sink it picks gets it.
        property::set_where_present(&out, "async", false.to_send_value());
        if setup.silent {
            set(&out, "sync", false)?;
        }
        pipeline
            .add_many([&speaker, &probe, &out_convert, &out])
            .map_err(init)?;
        gst::Element::link_many([&speaker, &probe, &out_convert, &out]).map_err(init)?;

        // The microphone: cleaned up, then Opus.
        let mic_src = match setup.microphone {
            Microphone::Auto => make("autoaudiosrc")?,
            Microphone::Test => {
                let s = make("audiotestsrc")?;
                set(&s, "is-live", true)?;
                set_str(&s, "wave", "ticks")?;
                s
            }
        };
        let mic_convert = make("audioconvert")?;
        let mic_resample = make("audioresample")?;
        let mic_caps = make("capsfilter")?;
        set(&mic_caps, "caps", dsp_caps(Some(1)))?;
        let dsp = make("webrtcdsp")?;
        set(&dsp, "probe", probe_name.as_str())?;
        let mic = make("volume")?;
        let opus = make("opusenc")?;
        let opus_pay = make("rtpopuspay")?;
        let opus_caps = make("capsfilter")?;
        set(
            &opus_caps,
            "caps",
            rtp_caps("audio", "OPUS", OPUS_PAYLOAD).build(),
        )?;
        let audio_chain = [
            &mic_src,
            &mic_convert,
            &mic_resample,
            &mic_caps,
            &dsp,
            &mic,
            &opus,
            &opus_pay,
            &opus_caps,
        ];
        pipeline.add_many(audio_chain).map_err(init)?;
        gst::Element::link_many(audio_chain).map_err(init)?;

        // The camera: VP8 to the far end, and a small copy for the corner.
        let camera = match &setup.camera {
            Camera::None => None,
            source => Some(Self::camera(&pipeline, source, setup, &frames)?),
        };

        let link_to_webrtc = |from: &gst::Element| -> Result<(), MediaError> {
            let src = from.static_pad("src").ok_or_else(|| init("no src pad"))?;
            let sink = webrtc
                .request_pad_simple("sink_%u")
                .ok_or_else(|| init("webrtcbin gave no sink pad"))?;
            src.link(&sink).map_err(init)?;
            Ok(())
        };
        if let Some((_, pay_caps)) = &camera {
            link_to_webrtc(pay_caps)?;
        } else {
            // Still see the far end: a receive-only video transceiver.
            let caps = rtp_caps("video", "VP8", VP8_PAYLOAD)
                .field("clock-rate", 90000i32)
                .build();
            let _: gst_webrtc::WebRTCRTPTransceiver = webrtc.emit_by_name(
                "add-transceiver",
                &[&gst_webrtc::WebRTCRTPTransceiverDirection::Recvonly, &caps],
            );
        }
        link_to_webrtc(&opus_caps)?;

        let started = std::time::Instant::now();
        let heard = Arc::new(AtomicU64::new(0));
        Self::connect_signals(
            &pipeline,
            &webrtc,
            &speaker,
            setup,
            &events,
            &frames,
            (started, heard.clone()),
        )?;
        Self::watch_bus(&pipeline, &events, &stopped)?;
        Ok(Media {
            pipeline,
            webrtc,
            mic,
            camera: camera.map(|(blank, _)| blank),
            speaker,
            stopped,
            started,
            heard,
            share: Arc::default(),
        })
    }

    /// How long nothing has arrived from the far end (None before anything has): a peer that
    /// went silent without ICE noticing (a frozen browser, a cut cable) shows here first.
    pub fn silent_for(&self) -> Option<std::time::Duration> {
        let heard = self.heard.load(Ordering::Relaxed);
        (heard > 0).then(|| {
            self.started
                .elapsed()
                .saturating_sub(std::time::Duration::from_millis(heard))
        })
    }

    /// The camera branch; returns the switch that blanks it and the end to link to
    /// webrtcbin.
    fn camera(
        pipeline: &gst::Pipeline,
        source: &Camera,
        setup: &MediaSetup,
        frames: &MediaFrames,
    ) -> Result<(Arc<AtomicBool>, gst::Element), MediaError> {
        let src = camera_source(source)?;
        let (w, h, fps, kbps) = setup.send;
        let convert = make("videoconvertscale")?;
        let rate = make("videorate")?;
        set(&rate, "drop-only", true)?;
        let caps = make("capsfilter")?;
        set(
            &caps,
            "caps",
            gst_video::VideoCapsBuilder::new()
                .format(gst_video::VideoFormat::I420)
                .width(w as i32)
                .height(h as i32)
                .framerate(gst::Fraction::new(fps as i32, 1))
                .build(),
        )?;
        let tee = make("tee")?;
        let send_queue = make("queue")?;
        set_str(&send_queue, "leaky", "downstream")?;
        set(&send_queue, "max-size-buffers", 2u32)?;
        // Camera off: from here on every frame is painted black before the encoder, so the far
        // end sees black (not the last picture frozen) and the call's timing goes on unchanged.
        // The device itself is released when the call ends.
        let valve = make("identity")?;
        let blank = Arc::new(AtomicBool::new(false));
        if let Some(pad) = valve.static_pad("src") {
            let blank = blank.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |pad, probe| {
                if !blank.load(Ordering::Relaxed) {
                    return gst::PadProbeReturn::Ok;
                }
                let info = pad
                    .current_caps()
                    .and_then(|c| gst_video::VideoInfo::from_caps(&c).ok());
                if let (Some(info), Some(gst::PadProbeData::Buffer(buffer))) =
                    (info, probe.data.as_mut())
                    && let Ok(mut frame) =
                        gst_video::VideoFrameRef::from_buffer_ref_writable(buffer.make_mut(), &info)
                {
                    // I420 black: luma 16, chroma 128.
                    for (plane, value) in [(0u32, 16u8), (1, 128), (2, 128)] {
                        if let Ok(data) = frame.plane_data_mut(plane) {
                            data.fill(value);
                        }
                    }
                }
                gst::PadProbeReturn::Ok
            });
        }
        let vp8 = make("vp8enc")?;
        set(&vp8, "deadline", 1i64)?;
        set(&vp8, "cpu-used", 8i32)?;
        set(&vp8, "threads", 2i32)?;
        set(&vp8, "target-bitrate", (kbps * 1000) as i32)?;
        set_str(&vp8, "end-usage", "cbr")?;
        set(&vp8, "keyframe-max-dist", (fps * 3) as i32)?;
        set_str(&vp8, "error-resilient", "default")?;
        set(&vp8, "lag-in-frames", 0i32)?;
        let pay = make("rtpvp8pay")?;
        set_str(&pay, "picture-id-mode", "15-bit")?;
        let pay_caps = make("capsfilter")?;
        set(
            &pay_caps,
            "caps",
            rtp_caps("video", "VP8", VP8_PAYLOAD).build(),
        )?;
        let own_queue = make("queue")?;
        set_str(&own_queue, "leaky", "downstream")?;
        set(&own_queue, "max-size-buffers", 1u32)?;
        let (own_convert, own_caps, own_sink) = picture_sink(setup.own_size, {
            let frames = frames.clone();
            move |frame| frames(Picture::Own, frame)
        })?;
        let elements = [
            &src,
            &convert,
            &rate,
            &caps,
            &tee,
            &send_queue,
            &valve,
            &vp8,
            &pay,
            &pay_caps,
            &own_queue,
            &own_convert,
            &own_caps,
            own_sink.upcast_ref(),
        ];
        pipeline.add_many(elements).map_err(init)?;
        gst::Element::link_many([&src, &convert, &rate, &caps, &tee]).map_err(init)?;
        gst::Element::link_many([&tee, &send_queue, &valve, &vp8, &pay, &pay_caps])
            .map_err(init)?;
        gst::Element::link_many([
            &tee,
            &own_queue,
            &own_convert,
            &own_caps,
            own_sink.upcast_ref(),
        ])
        .map_err(init)?;
        Ok((blank, pay_caps))
    }

    fn connect_signals(
        pipeline: &gst::Pipeline,
        webrtc: &gst::Element,
        speaker: &gst::Element,
        setup: &MediaSetup,
        events: &MediaEvents,
        frames: &MediaFrames,
        (started, heard): (std::time::Instant, Arc<AtomicU64>),
    ) -> Result<(), MediaError> {
        let ev = events.clone();
        webrtc.connect("on-negotiation-needed", false, move |values| {
            let webrtc = values[0].get::<gst::Element>().expect("webrtcbin");
            let ev = ev.clone();
            let to = webrtc.clone();
            let promise = gst::Promise::with_change_func(move |reply| {
                let offer = match reply {
                    Ok(Some(reply)) => reply
                        .value("offer")
                        .ok()
                        .and_then(|v| v.get::<gst_webrtc::WebRTCSessionDescription>().ok()),
                    _ => None,
                };
                let Some(offer) = offer else {
                    ev(MediaEvent::Failed("webrtcbin made no offer".into()));
                    return;
                };
                to.emit_by_name::<()>("set-local-description", &[&offer, &None::<gst::Promise>]);
                match offer.sdp().as_text() {
                    Ok(text) => ev(MediaEvent::Offer(text)),
                    Err(e) => ev(MediaEvent::Failed(format!(
                        "the offer cannot be written: {e}"
                    ))),
                }
            });
            webrtc.emit_by_name::<()>("create-offer", &[&None::<gst::Structure>, &promise]);
            None
        });
        let ev = events.clone();
        webrtc.connect("on-ice-candidate", false, move |values| {
            let mline = values[1].get::<u32>().unwrap_or(0);
            if let Ok(candidate) = values[2].get::<String>() {
                ev(MediaEvent::Candidate { mline, candidate });
            }
            None
        });
        let ev = events.clone();
        webrtc.connect_notify(Some("connection-state"), move |webrtc, _| {
            let state =
                webrtc.property::<gst_webrtc::WebRTCPeerConnectionState>("connection-state");
            match state {
                gst_webrtc::WebRTCPeerConnectionState::Connected => ev(MediaEvent::Connected),
                // Each drop is reported; the call decides how long to wait for a return.
                gst_webrtc::WebRTCPeerConnectionState::Failed
                | gst_webrtc::WebRTCPeerConnectionState::Disconnected => {
                    ev(MediaEvent::Lost(format!("peer connection {state:?}")))
                }
                _ => {}
            }
        });
        // What the far end sends: decoded, then to the screen or the speaker.
        let pipeline_weak = pipeline.downgrade();
        let speaker = speaker.clone();
        let remote_size = setup.remote_size;
        let ev = events.clone();
        let frames = frames.clone();
        webrtc.connect_pad_added(move |_, pad| {
            if pad.direction() != gst::PadDirection::Src {
                return;
            }
            // Everything the far end sends passes here: note when it last did.
            let heard = heard.clone();
            pad.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
                let ms = started.elapsed().as_millis().max(1) as u64;
                heard.store(ms, Ordering::Relaxed);
                gst::PadProbeReturn::Ok
            });
            let Some(pipeline) = pipeline_weak.upgrade() else {
                return;
            };
            let Ok(decode) = make("decodebin") else {
                ev(MediaEvent::Failed("decodebin is missing".into()));
                return;
            };
            let _ = pipeline.add(&decode);
            let _ = decode.sync_state_with_parent();
            if let Some(sink) = decode.static_pad("sink") {
                let _ = pad.link(&sink);
            }
            let pipeline_weak = pipeline.downgrade();
            let speaker = speaker.clone();
            let ev = ev.clone();
            let frames = frames.clone();
            let first = Arc::new(AtomicBool::new(false));
            decode.connect_pad_added(move |_, pad| {
                let Some(pipeline) = pipeline_weak.upgrade() else {
                    return;
                };
                let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
                let kind = caps
                    .structure(0)
                    .map(|s| s.name().to_string())
                    .unwrap_or_default();
                let linked = if kind.starts_with("video/") {
                    let frames = frames.clone();
                    let ev = ev.clone();
                    let first = first.clone();
                    link_remote_video(&pipeline, pad, remote_size, move |frame| {
                        frames(Picture::Remote, frame);
                        if !first.swap(true, Ordering::SeqCst) {
                            ev(MediaEvent::FirstRemoteFrame);
                        }
                    })
                } else if kind.starts_with("audio/") {
                    link_remote_audio(&pipeline, pad, &speaker)
                } else {
                    Ok(())
                };
                if let Err(e) = linked {
                    ev(MediaEvent::Failed(format!(
                        "the far end's {kind} cannot be played: {e}"
                    )));
                }
            });
        });
        Ok(())
    }

    fn watch_bus(
        pipeline: &gst::Pipeline,
        events: &MediaEvents,
        stopped: &Arc<AtomicBool>,
    ) -> Result<(), MediaError> {
        let bus = pipeline.bus().ok_or_else(|| init("no bus"))?;
        let ev = events.clone();
        let stopped = stopped.clone();
        // A sync handler: no main loop runs on this thread.
        bus.set_sync_handler(move |_, message| {
            // Streaming threads below the UI thread, as the player's.
            crate::media::priority::on_message(message);
            if let gst::MessageView::Error(err) = message.view()
                && !stopped.load(Ordering::SeqCst)
            {
                let from = message
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                ev(MediaEvent::Failed(format!("{from}: {}", err.error())));
            }
            gst::BusSyncReply::Drop
        });
        Ok(())
    }

    /// The far end's answer.
    pub fn set_answer(&self, sdp: &str) -> Result<(), MediaError> {
        let message = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes())
            .map_err(|e| MediaError::Sdp(e.to_string()))?;
        if message.medias_len() == 0 {
            return Err(MediaError::Sdp("no media in the answer".into()));
        }
        let answer =
            gst_webrtc::WebRTCSessionDescription::new(gst_webrtc::WebRTCSDPType::Answer, message);
        self.webrtc
            .emit_by_name::<()>("set-remote-description", &[&answer, &None::<gst::Promise>]);
        Ok(())
    }

    /// One ICE candidate of the far end's.
    pub fn add_candidate(&self, mline: u32, candidate: &str) {
        if candidate.is_empty() {
            // End of candidates: webrtcbin 1.22 wants nothing for it.
            return;
        }
        self.webrtc
            .emit_by_name::<()>("add-ice-candidate", &[&mline, &candidate]);
    }

    /// The patient's microphone: silent or not.
    pub fn set_mic_muted(&self, muted: bool) {
        if let Err(e) = set(&self.mic, "mute", muted) {
            tracing::error!(error = %e, "the microphone cannot be muted");
        }
    }

    /// The patient's camera: off sends black (and the corner shows nothing).
    pub fn set_camera_off(&self, off: bool) {
        if let Some(blank) = &self.camera {
            blank.store(off, Ordering::Relaxed);
        }
    }

    /// Whether a camera is in use at all.
    pub fn has_camera(&self) -> bool {
        self.camera.is_some()
    }

    /// The far end's loudness, linear (see [`crate::media::player::linear_volume`]).
    pub fn set_volume(&self, linear: f64, muted: bool) {
        if let Err(e) = set(&self.speaker, "volume", linear).and(set(&self.speaker, "mute", muted))
        {
            tracing::error!(error = %e, "the call's loudness cannot be set");
        }
    }

    /// Stops everything and releases the camera and microphone. The teardown runs on a thread
    /// of its own and is done when the returned handle joins.
    pub fn stop(self) -> std::thread::JoinHandle<()> {
        self.stopped.store(true, Ordering::SeqCst);
        self.share.lock().unwrap_or_else(|e| e.into_inner()).channel = None;
        let pipeline = self.pipeline.clone();
        drop(self);
        std::thread::spawn(move || {
            let _ = pipeline.set_state(gst::State::Null);
            drop(pipeline);
            // A call's buffers (decoded 1080p pictures, encoder state) were spread over the
            // threads' malloc arenas: hand the freed pages back rather than keep them forever.
            #[cfg(target_env = "gnu")]
            // SAFETY: malloc_trim only releases free memory; no pointer is involved.
            unsafe {
                libc::malloc_trim(0);
            }
        })
    }
}

impl Drop for Media {
    fn drop(&mut self) {
        self.share.lock().unwrap_or_else(|e| e.into_inner()).channel = None;
        if !self.stopped.swap(true, Ordering::SeqCst) {
            let _ = self.pipeline.set_state(gst::State::Null);
        }
    }
}

/// `videoconvertscale ! capsfilter(RGB, size, borders) ! appsink` calling `deliver` per frame.
/// The camera's source element, as a call and the self-test both open it: the V4L2 device,
/// or (`Camera::Test`) a moving test picture.
pub(super) fn camera_source(source: &Camera) -> Result<gst::Element, MediaError> {
    Ok(match source {
        Camera::Device(path) => {
            let s = make("v4l2src")?;
            set(&s, "device", path.as_str())?;
            s
        }
        _ => {
            let s = make("videotestsrc")?;
            set(&s, "is-live", true)?;
            set_str(&s, "pattern", "ball")?;
            // A light ball on slate, so a test picture never looks like a dead camera.
            set(&s, "background-color", 0xff30_3a48u32)?;
            s
        }
    })
}

pub(super) fn picture_sink(
    size: (u32, u32),
    deliver: impl Fn(Frame<'_>) + Send + Sync + 'static,
) -> Result<(gst::Element, gst::Element, gst_app::AppSink), MediaError> {
    let convert = make("videoconvertscale")?;
    set(&convert, "add-borders", true)?;
    let caps = make("capsfilter")?;
    set(
        &caps,
        "caps",
        gst_video::VideoCapsBuilder::new()
            .format(gst_video::VideoFormat::Rgb)
            .width(size.0 as i32)
            .height(size.1 as i32)
            .pixel_aspect_ratio(gst::Fraction::new(1, 1))
            .build(),
    )?;
    let sink = gst_app::AppSink::builder()
        .max_buffers(1)
        .drop(true)
        .sync(false)
        .build();
    set(&sink, "async", false)?;
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let (Some(buffer), Some(caps)) = (sample.buffer(), sample.caps()) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let Ok(info) = gst_video::VideoInfo::from_caps(caps) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let Ok(frame) = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
                else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                if let Ok(data) = frame.plane_data(0) {
                    deliver(Frame {
                        generation: 0,
                        width: info.width(),
                        height: info.height(),
                        stride: info.stride()[0] as usize,
                        data,
                    });
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    Ok((convert, caps, sink))
}

fn link_remote_video(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    size: (u32, u32),
    deliver: impl Fn(Frame<'_>) + Send + Sync + 'static,
) -> Result<(), MediaError> {
    let queue = make("queue")?;
    set_str(&queue, "leaky", "downstream")?;
    set(&queue, "max-size-buffers", 2u32)?;
    let (convert, caps, sink) = picture_sink(size, deliver)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    set(&convert, "n-threads", threads)?;
    let elements = [&queue, &convert, &caps, sink.upcast_ref()];
    pipeline.add_many(elements).map_err(init)?;
    gst::Element::link_many(elements).map_err(init)?;
    for e in elements {
        e.sync_state_with_parent().map_err(init)?;
    }
    let sink_pad = queue
        .static_pad("sink")
        .ok_or_else(|| init("no sink pad"))?;
    pad.link(&sink_pad).map_err(init)?;
    Ok(())
}

/// The RTP payload types the bed offers.
const VP8_PAYLOAD: i32 = 96;
const OPUS_PAYLOAD: i32 = 111;

/// RTP of one codec with its payload type, as webrtcbin's sink pads and transceivers take it.
fn rtp_caps(media: &str, encoding: &str, payload: i32) -> gst::caps::Builder<gst::caps::NoFeature> {
    gst::Caps::builder("application/x-rtp")
        .field("media", media)
        .field("encoding-name", encoding)
        .field("payload", payload)
}

/// Sound as webrtcdsp and its echo probe take it: 16-bit, 48 kHz, interleaved.
fn dsp_caps(channels: Option<i32>) -> gst::Caps {
    let caps = gst::Caps::builder("audio/x-raw")
        .field("format", "S16LE")
        .field("rate", 48000i32)
        .field("layout", "interleaved");
    match channels {
        Some(n) => caps.field("channels", n).build(),
        None => caps.build(),
    }
}

fn link_remote_audio(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    speaker: &gst::Element,
) -> Result<(), MediaError> {
    let queue = make("queue")?;
    let convert = make("audioconvert")?;
    let resample = make("audioresample")?;
    let caps = make("capsfilter")?;
    // What the echo probe takes.
    set(&caps, "caps", dsp_caps(None))?;
    let elements = [&queue, &convert, &resample, &caps];
    pipeline.add_many(elements).map_err(init)?;
    gst::Element::link_many(elements).map_err(init)?;
    caps.link(speaker).map_err(init)?;
    for e in elements {
        e.sync_state_with_parent().map_err(init)?;
    }
    let sink_pad = queue
        .static_pad("sink")
        .ok_or_else(|| init("no sink pad"))?;
    pad.link(&sink_pad).map_err(init)?;
    Ok(())
}
