//! Television and films: the channel lineup (M3U) and programme guide (XMLTV) from the
//! hospital's IPTV head-end, the film catalogue, sidecar captions, and the GStreamer player that
//! turns a stream into pictures for the UI and sound for the speakers.
//!
//! Everything here but [`player`] is plain parsing, tested against real-world-shaped files; the
//! player is tested against streams GStreamer itself makes on loopback (tests/watch.rs).

pub mod captions;
pub mod catalogue;
pub mod cea608;
pub mod cea708;
pub mod m3u;
pub mod player;
pub mod priority;
pub mod property;
pub mod service;
pub mod source;
pub mod tuner;
pub mod xmltv;
