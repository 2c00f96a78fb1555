//! Video calls between the bed and the care team over WebRTC.
//!
//! - [`signalling`]: the WebSocket link to the signalling server (the GStreamer project's
//!   `gst-webrtc-signalling-server` and its protocol).
//! - [`media`]: one call's GStreamer pipeline around `webrtcbin`.
//! - [`service`]: the call thread that joins them to the rules in [`crate::domain::call`].
//! - [`rehearsal`]: "Test my camera and sound": the real parts the self-test checks.
//! - [`gate`]: who may be on the call server and as whom (`bedside-call-server`'s rules).
//! - [`invitation`]: family invitations (the server's book of codes, the box's client).
//! - [`places`]: a box keeps its place (and its calls) on the call server across a new
//!   connection.
//! - [`server_state`]: what the call server keeps across a restart (invitations, revoked
//!   sign-ins).
//!
//! The bed always makes the SDP offer: when it is called, once the patient accepts (the
//! protocol lets only a session's *producer* offer, and the bed registers as one); when it
//! calls, inside its `startSession`. The browser at the far end thus always answers, which
//! browsers do robustly, and the bed's pipeline never has to fit itself to a foreign offer.

pub mod gate;
pub mod invitation;
pub mod media;
pub mod places;
pub mod rehearsal;
pub mod server_state;
pub mod service;
pub mod signalling;
