//! Fast channel change for multicast and UDP television.
//!
//! A digital channel can only be shown from a key frame, and head-ends send one every half second
//! to two seconds: a set-top box that joins a channel only when asked waits on average half that
//! before the first picture, and up to all of it. Hospital head-ends send every channel all the
//! time; so, as IPTV boxes do, the box keeps receiving the channels a patient is likely to go to
//! next (one up, one down, the last one) and keeps each one's latest group of pictures, from
//! its last key frame on. Tuning to one of them starts the decoder on that key frame at once and
//! carries on with the live packets, without a gap or a repeat.
//!
//! The receiving is plain sockets ([`socket2`] for multicast with shared ports): GStreamer gets
//! the packets through an `appsrc`. Costs: a thread and one channel's bandwidth per kept channel
//! (typically 3-15 Mbit/s each, three at most), no decoding.
//!
//! Understood addresses: `udp://` and `rtp://` with a numeric host (unicast or a multicast
//! group, IPv4 or IPv6, VLC's `@group` spelling too) and a port; a source before the `@`
//! (`rtp://10.1.1.5@232.1.1.1:5000`, `udp://[2001:db8::5]@[ff3e::1:1]:5000`) asks for that
//! source only (source-specific multicast, RFC 4607, as SSM head-ends require: GStreamer 1.22's
//! `udpsrc` cannot, so these play only through here). RTP headers are removed, also from RTP
//! sent to a `udp://` address. Anything else plays the ordinary way.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer_app as gst_app;

/// The size of a transport stream packet.
const TS: usize = 188;
/// The most a kept group of pictures may hold (a 2 s GOP at 30 Mbit/s); a longer one is not a
/// stream to start from and is dropped.
const MAX_GOP_BYTES: usize = 8 << 20;

/// Where a channel is sent: parsed from its `udp://` or `rtp://` address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    pub socket: SocketAddr,
    /// Source-specific multicast: the one sender taken (the group is then an SSM group).
    pub source: Option<IpAddr>,
}

impl Address {
    /// The address of `uri`, or None when it is not a UDP/RTP stream address this understands
    /// (a source given for a unicast address, or of the other IP version, is not understood).
    pub fn parse(uri: &str) -> Option<Address> {
        let (scheme, rest) = uri.split_once("://")?;
        if !matches!(scheme.to_ascii_lowercase().as_str(), "udp" | "rtp") {
            return None;
        }
        let rest = rest.split(['?', '/']).next()?;
        let (source, rest) = match rest.split_once('@') {
            None | Some(("", _)) => (None, rest.trim_start_matches('@')),
            Some((source, rest)) => {
                let source = source.trim_start_matches('[').trim_end_matches(']');
                (Some(source.parse::<IpAddr>().ok()?), rest)
            }
        };
        let socket = if let Ok(s) = rest.parse::<SocketAddr>() {
            s
        } else {
            // `@:1234` (any address) is VLC's way of saying "unicast to me on this port".
            let port: u16 = rest.strip_prefix(':')?.parse().ok()?;
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
        };
        if let Some(source) = source
            && (!socket.ip().is_multicast() || source.is_ipv4() != socket.is_ipv4())
        {
            return None;
        }
        (socket.port() != 0).then_some(Address { socket, source })
    }

    /// A socket receiving this address: bound to the group (so only its packets arrive) with the
    /// port shared, as every channel of a head-end often uses the same one.
    fn open(&self) -> std::io::Result<UdpSocket> {
        use socket2::{Domain, Protocol, SockAddr, Socket, Type};
        let ip = self.socket.ip();
        let socket = Socket::new(
            Domain::for_address(self.socket),
            Type::DGRAM,
            Some(Protocol::UDP),
        )?;
        socket.set_reuse_address(true)?;
        // A second of a 15 Mbit/s channel, if the kernel allows that much.
        let _ = socket.set_recv_buffer_size(2 << 20);
        socket.set_read_timeout(Some(Duration::from_millis(200)))?;
        socket.bind(&SockAddr::from(self.socket))?;
        match (ip, self.source) {
            // `parse` takes a source only for a multicast group of its own IP version.
            (group, Some(source)) => join_source_group(&socket, group, source)?,
            (IpAddr::V4(group), None) if group.is_multicast() => {
                socket.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)?
            }
            (IpAddr::V6(group), None) if group.is_multicast() => {
                socket.join_multicast_v6(&group, 0)?
            }
            _ => {}
        }
        Ok(socket.into())
    }
}

/// Joins `group` for the datagrams of `source` only, IPv4 or IPv6, on the interface the
/// routing table picks: `MCAST_JOIN_SOURCE_GROUP` (RFC 3678's call for both versions; socket2
/// has only the IPv4 one). The kernel then sends an IGMPv3/MLDv2 source-specific report.
fn join_source_group(
    socket: &socket2::Socket,
    group: IpAddr,
    source: IpAddr,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    fn storage(ip: IpAddr) -> libc::sockaddr_storage {
        let address = socket2::SockAddr::from(SocketAddr::new(ip, 0));
        // SAFETY: an all-zero sockaddr_storage is valid; the copy is the sockaddr's own
        // length, which fits in a sockaddr_storage by definition.
        unsafe {
            let mut out: libc::sockaddr_storage = std::mem::zeroed();
            std::ptr::copy_nonoverlapping(
                address.as_ptr().cast::<u8>(),
                (&raw mut out).cast::<u8>(),
                address.len() as usize,
            );
            out
        }
    }
    let request = libc::group_source_req {
        gsr_interface: 0,
        gsr_group: storage(group),
        gsr_source: storage(source),
    };
    let level = if group.is_ipv4() {
        libc::IPPROTO_IP
    } else {
        libc::IPPROTO_IPV6
    };
    // SAFETY: the option value is a complete group_source_req of the size given, alive for
    // the call.
    let done = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            libc::MCAST_JOIN_SOURCE_GROUP,
            (&raw const request).cast::<libc::c_void>(),
            std::mem::size_of::<libc::group_source_req>() as libc::socklen_t,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The transport stream packets of a datagram: as they are, or with the RTP header taken off
/// (RTP version 2 starts 0x80-0xBF, a TS packet 0x47). Anything else is no packets.
pub fn ts_payload(datagram: &[u8]) -> &[u8] {
    if datagram.first() == Some(&0x47) {
        return datagram;
    }
    if datagram.len() < 12 || datagram[0] >> 6 != 2 {
        return &[];
    }
    let mut start = 12 + 4 * usize::from(datagram[0] & 0x0f);
    if datagram[0] & 0x10 != 0 {
        let Some(ext) = datagram.get(start + 2..start + 4) else {
            return &[];
        };
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    let mut end = datagram.len();
    if datagram[0] & 0x20 != 0 {
        end = end.saturating_sub(usize::from(*datagram.last().unwrap_or(&0)));
    }
    datagram.get(start..end).unwrap_or(&[])
}

/// The latest group of pictures of a transport stream, from its last video key frame, with the
/// tables (PAT, PMT) a demuxer needs to read it.
#[derive(Default)]
pub struct GopCache {
    pat: Option<[u8; TS]>,
    pmt_pid: Option<u16>,
    pmt: Option<[u8; TS]>,
    /// The video's PID and stream type.
    video: Option<(u16, u8)>,
    gop: Vec<u8>,
    keyed: bool,
}

fn pid(packet: &[u8]) -> u16 {
    (u16::from(packet[1] & 0x1f) << 8) | u16::from(packet[2])
}

/// The payload of a TS packet (after the adaptation field), if it has one.
fn payload(packet: &[u8]) -> &[u8] {
    let control = packet[3] >> 4 & 0x3;
    match control {
        1 => &packet[4..],
        3 => packet.get(5 + usize::from(packet[4])..).unwrap_or(&[]),
        _ => &[],
    }
}

/// The section a PSI packet starts (after its pointer field), when it starts one.
fn section(packet: &[u8]) -> Option<&[u8]> {
    if packet[1] & 0x40 == 0 {
        return None;
    }
    let p = payload(packet);
    let pointer = usize::from(*p.first()?);
    let s = p.get(1 + pointer..)?;
    let length = (usize::from(s.get(1)? & 0x0f) << 8) | usize::from(*s.get(2)?);
    // Without the CRC; a section longer than the packet is read as far as it goes.
    Some(&s[..(3 + length).saturating_sub(4).min(s.len())])
}

/// Does this packet start a key frame of a video stream of `stream_type`? The random access
/// flag says so when the head-end sets it; otherwise the start of the picture is looked at
/// (H.264 IDR/SPS, H.265 IRAP/VPS/SPS, MPEG-2 sequence header).
fn starts_key_frame(packet: &[u8], stream_type: u8) -> bool {
    if packet[1] & 0x40 == 0 {
        return false;
    }
    if packet[3] >> 5 & 1 == 1 && packet[4] > 0 && packet[5] & 0x40 != 0 {
        return true;
    }
    let data = payload(packet);
    // Past the PES header.
    let Some(start) = data
        .get(8)
        .map(|h| 9 + usize::from(*h))
        .filter(|s| *s < data.len())
    else {
        return false;
    };
    let es = &data[start..];
    es.windows(4).any(|w| {
        if w[..3] != [0, 0, 1] {
            return false;
        }
        match stream_type {
            0x1b => matches!(w[3] & 0x1f, 5 | 7),
            0x24 => matches!(w[3] >> 1 & 0x3f, 16..=21 | 32 | 33),
            0x01 | 0x02 => w[3] == 0xb3,
            _ => false,
        }
    })
}

impl GopCache {
    pub fn push(&mut self, packet: &[u8]) {
        if packet.len() != TS || packet[0] != 0x47 {
            return;
        }
        let pid = pid(packet);
        if pid == 0 {
            if let Some(s) = section(packet).filter(|s| s.first() == Some(&0)) {
                self.pat = packet.try_into().ok();
                // Entries after the 8-byte header: program number, then PID; 0 is the NIT.
                self.pmt_pid = s.get(8..).and_then(|e| {
                    e.chunks_exact(4)
                        .find(|c| u16::from_be_bytes([c[0], c[1]]) != 0)
                        .map(|c| (u16::from(c[2] & 0x1f) << 8) | u16::from(c[3]))
                });
            }
        } else if Some(pid) == self.pmt_pid
            && let Some(s) = section(packet).filter(|s| s.first() == Some(&2))
        {
            self.pmt = packet.try_into().ok();
            self.video = video_stream(s);
        }
        if let Some((video, kind)) = self.video
            && pid == video
            && starts_key_frame(packet, kind)
        {
            self.gop.clear();
            self.keyed = true;
        }
        if self.keyed {
            self.gop.extend_from_slice(packet);
            if self.gop.len() > MAX_GOP_BYTES {
                self.gop = Vec::new();
                self.keyed = false;
            }
        }
    }

    /// Whether the last packet pushed started a key frame.
    pub fn at_key_frame(&self) -> bool {
        self.keyed && self.gop.len() == TS
    }

    /// What a decoder starting now needs: the tables, then the group of pictures from its key
    /// frame. Empty until one has been seen.
    pub fn start(&self) -> Vec<u8> {
        match (&self.pat, &self.pmt, self.keyed) {
            (Some(pat), Some(pmt), true) => {
                let mut out = Vec::with_capacity(2 * TS + self.gop.len());
                out.extend_from_slice(pat);
                out.extend_from_slice(pmt);
                out.extend_from_slice(&self.gop);
                out
            }
            _ => Vec::new(),
        }
    }
}

/// The first video stream a PMT section lists: its PID and stream type.
fn video_stream(s: &[u8]) -> Option<(u16, u8)> {
    let info = (usize::from(*s.get(10)? & 0x0f) << 8) | usize::from(*s.get(11)?);
    let mut es = s.get(12 + info..)?;
    while es.len() >= 5 {
        let kind = es[0];
        let pid = (u16::from(es[1] & 0x1f) << 8) | u16::from(es[2]);
        let skip = (usize::from(es[3] & 0x0f) << 8) | usize::from(es[4]);
        if matches!(kind, 0x01 | 0x02 | 0x1b | 0x24) {
            return Some((pid, kind));
        }
        es = es.get(5 + skip..)?;
    }
    None
}

/// One channel being received: its cache, and the decoder it feeds when it is on air.
struct Feed {
    cache: GopCache,
    sink: Option<Sink>,
}

/// The decoder a channel feeds, and whether it has had its start yet.
struct Sink {
    appsrc: gst_app::AppSrc,
    started: bool,
    since: Instant,
}

/// A channel tuned before any key frame was kept is held back this long at most for one (then
/// it goes through as it comes: a radio channel has none).
const KEY_FRAME_WAIT: Duration = Duration::from_millis(1500);

struct Receiver {
    feed: Arc<Mutex<Feed>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // The thread sees this within its read timeout and leaves the group.
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The channels being received, by address.
#[derive(Default)]
pub struct Tuner {
    receivers: Mutex<HashMap<String, Receiver>>,
}

impl Tuner {
    /// Receives `uris` (those it handles) from now on; with `only`, stops the others.
    pub fn keep(&self, uris: &[String], only: bool) {
        let mut receivers = self.receivers.lock().expect("tuner lock");
        if only {
            receivers.retain(|uri, _| uris.contains(uri));
        }
        for uri in uris {
            receiving(&mut receivers, uri);
        }
    }

    /// Feeds `sink` with `uri`: its kept group of pictures at once, then the live packets. With
    /// nothing kept yet (a channel just joined), the packets wait for the next key frame and go
    /// with the tables in front, so the decoder starts on the first picture it can. False when
    /// it cannot be received here (the caller plays it the ordinary way).
    pub fn attach(&self, uri: &str, sink: gst_app::AppSrc) -> bool {
        let mut receivers = self.receivers.lock().expect("tuner lock");
        let Some(receiver) = receiving(&mut receivers, uri) else {
            return false;
        };
        let mut feed = receiver.feed.lock().expect("feed lock");
        let start = feed.cache.start();
        let started = !start.is_empty();
        if started {
            let _ = sink.push_buffer(gst::Buffer::from_mut_slice(start));
        }
        feed.sink = Some(Sink {
            appsrc: sink,
            started,
            since: Instant::now(),
        });
        true
    }

    /// Whether `uri` is being received.
    pub fn receives(&self, uri: &str) -> bool {
        self.receivers.lock().expect("tuner lock").contains_key(uri)
    }

    /// How many channels are being received (for tests and the log).
    pub fn receiving(&self) -> usize {
        self.receivers.lock().expect("tuner lock").len()
    }
}

/// The receiver of `uri`, started if it is not yet; None when `uri` is not a UDP/RTP address or
/// its socket cannot be opened (it then plays the ordinary way).
fn receiving<'a>(receivers: &'a mut HashMap<String, Receiver>, uri: &str) -> Option<&'a Receiver> {
    if !receivers.contains_key(uri) {
        let address = Address::parse(uri)?;
        match spawn(address) {
            Ok(r) => {
                receivers.insert(uri.to_owned(), r);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot receive a channel: it will tune the ordinary way");
                return None;
            }
        }
    }
    receivers.get(uri)
}

fn spawn(address: Address) -> std::io::Result<Receiver> {
    let socket = address.open()?;
    let feed = Arc::new(Mutex::new(Feed {
        cache: GopCache::default(),
        sink: None,
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let (f, s) = (feed.clone(), stop.clone());
    std::thread::Builder::new()
        .name("tv-receiver".into())
        .spawn(move || receive(socket, &f, &s))?;
    Ok(Receiver { feed, stop })
}

fn receive(socket: UdpSocket, feed: &Mutex<Feed>, stop: &AtomicBool) {
    let mut datagram = vec![0u8; 65536];
    while !stop.load(Ordering::SeqCst) {
        let n = match socket.recv(&mut datagram) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "receiving a channel failed");
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
        };
        let data = ts_payload(&datagram[..n]);
        let whole = data.len() / TS * TS;
        if whole == 0 {
            continue;
        }
        let data = &data[..whole];
        let mut feed = feed.lock().expect("feed lock");
        let Feed { cache, sink } = &mut *feed;
        let mut keyed_here = false;
        for packet in data.chunks_exact(TS) {
            cache.push(packet);
            keyed_here |= cache.at_key_frame();
        }
        let Some(s) = sink else { continue };
        let pushed = if s.started {
            s.appsrc.push_buffer(gst::Buffer::from_slice(data.to_vec()))
        } else if keyed_here {
            // The first key frame since tuning: tables and all from it (this datagram's
            // packets after it are in the cache already).
            s.started = true;
            s.appsrc
                .push_buffer(gst::Buffer::from_mut_slice(cache.start()))
        } else if s.since.elapsed() >= KEY_FRAME_WAIT {
            s.started = true;
            s.appsrc.push_buffer(gst::Buffer::from_slice(data.to_vec()))
        } else {
            Ok(gst::FlowSuccess::Ok)
        };
        if pushed.is_err() {
            // The pipeline is gone (another channel, or stopped): keep only the cache.
            *sink = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = Address::parse("udp://239.1.2.3:1234").unwrap();
        assert_eq!(a.socket, "239.1.2.3:1234".parse().unwrap());
        let a = Address::parse("rtp://@239.1.2.3:5000?ttl=3").unwrap();
        assert_eq!(a.socket, "239.1.2.3:5000".parse().unwrap());
        assert_eq!(
            Address::parse("udp://@:1234").unwrap().socket,
            "0.0.0.0:1234".parse().unwrap()
        );
        assert_eq!(
            Address::parse("udp://[ff15::1]:1234").unwrap().socket,
            "[ff15::1]:1234".parse().unwrap()
        );
        assert_eq!(a.source, None);
        let a = Address::parse("rtp://10.1.1.5@232.1.1.1:5000").unwrap();
        assert_eq!(a.socket, "232.1.1.1:5000".parse().unwrap());
        assert_eq!(a.source, Some("10.1.1.5".parse().unwrap()));
        let a = Address::parse("udp://[2001:db8::5]@[ff3e::8000:1]:5000").unwrap();
        assert_eq!(a.socket, "[ff3e::8000:1]:5000".parse().unwrap());
        assert_eq!(a.source, Some("2001:db8::5".parse().unwrap()));
        for bad in [
            "http://239.1.2.3:1234",
            "udp://239.1.2.3",
            "udp://239.1.2.3:0",
            "udp://host.example:1234",
            "file:///x.ts",
            // A source for a unicast address, of the other IP version, or not an address.
            "udp://10.1.1.5@10.1.1.6:5000",
            "udp://[2001:db8::5]@232.1.1.1:5000",
            "udp://10.1.1.5@[ff3e::1]:5000",
            "udp://head-end@232.1.1.1:5000",
        ] {
            assert_eq!(Address::parse(bad), None, "{bad}");
        }
    }

    /// The address this machine sends multicast to `group` from, when it can send there at
    /// all (a route for it exists).
    fn own_source(group: SocketAddr) -> Option<IpAddr> {
        let any: SocketAddr = if group.is_ipv4() {
            "0.0.0.0:0".parse().unwrap()
        } else {
            "[::]:0".parse().unwrap()
        };
        let probe = UdpSocket::bind(any).ok()?;
        probe.connect(group).ok()?;
        Some(probe.local_addr().ok()?.ip())
    }

    /// Sends a datagram to `group` kept on this machine (TTL/hops 0, looped back).
    fn send_here(group: SocketAddr) {
        use socket2::{Domain, Socket, Type};
        let s = Socket::new(Domain::for_address(group), Type::DGRAM, None).unwrap();
        if group.is_ipv4() {
            s.set_multicast_ttl_v4(0).unwrap();
        } else {
            s.set_multicast_hops_v6(0).unwrap();
        }
        s.send_to(b"\x47datagram", &group.into()).unwrap();
    }

    /// Real sockets: an SSM channel receives its own source and nothing from another; an IPv6
    /// group is received. Needs a multicast route (CI has one; elsewhere it says it skipped).
    #[test]
    fn source_specific_and_ipv6_groups_are_joined() {
        let port = UdpSocket::bind("0.0.0.0:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let group4: SocketAddr = format!("232.7.7.{}:{port}", port % 200 + 1)
            .parse()
            .unwrap();
        let group6: SocketAddr = format!("[ff15::7:{port:x}]:{port}").parse().unwrap();
        let ssm6: SocketAddr = format!("[ff35::7:{port:x}]:{port}").parse().unwrap();
        let (Some(own4), Some(own6)) = (own_source(group4), own_source(ssm6)) else {
            assert!(
                std::env::var_os("BEDSIDE_REQUIRE_SYSTEM_TESTS").is_none(),
                "no multicast route on this machine"
            );
            eprintln!("skipped: no multicast route on this machine");
            return;
        };
        let got = |uri: &str, to: SocketAddr| {
            let socket = Address::parse(uri).unwrap().open().unwrap();
            send_here(to);
            let mut buf = [0u8; 64];
            socket.recv(&mut buf).is_ok()
        };
        let (other4, other6) = ("198.51.100.7", "2001:db8::7");
        assert!(own4.to_string() != other4 && own6.to_string() != other6);
        assert!(got(&format!("rtp://{own4}@{group4}"), group4), "own source");
        assert!(
            !got(&format!("rtp://{other4}@{group4}"), group4),
            "another source's datagram came through"
        );
        assert!(got(&format!("udp://{group4}"), group4), "any source");
        assert!(got(&format!("udp://@{group6}"), group6), "IPv6 group");
        assert!(
            got(&format!("udp://[{own6}]@{ssm6}"), ssm6),
            "IPv6 own source"
        );
        assert!(
            !got(&format!("udp://[{other6}]@{ssm6}"), ssm6),
            "another IPv6 source's datagram came through"
        );
    }

    #[test]
    fn rtp_headers_come_off() {
        let ts = [0x47u8; 188];
        // Plain TS.
        assert_eq!(ts_payload(&ts), &ts[..]);
        // RTP v2, payload type 33, no CSRC, no extension.
        let mut d = vec![0x80, 33, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        d.extend_from_slice(&ts);
        assert_eq!(ts_payload(&d), &ts[..]);
        // Two CSRCs and a one-word extension.
        let mut d = vec![0x92, 33, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        d.extend_from_slice(&[0; 8]);
        d.extend_from_slice(&[0xbe, 0xde, 0, 1, 9, 9, 9, 9]);
        d.extend_from_slice(&ts);
        assert_eq!(ts_payload(&d), &ts[..]);
        // Garbage is no packets, never a panic.
        assert!(ts_payload(&[0x80, 1, 2]).is_empty());
        assert!(ts_payload(&[0x90; 14]).is_empty());
        assert!(ts_payload(&[0x00; 200]).is_empty());
    }

    /// A transport stream made by GStreamer itself: the cache starts at a key frame, holds
    /// the tables, and what it holds decodes to a picture at once.
    #[test]
    fn the_cache_starts_at_a_key_frame_that_decodes() {
        gst::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        let launch = |pipeline: String| {
            let status = std::process::Command::new("gst-launch-1.0")
                .arg("-q")
                .args(pipeline.split_whitespace())
                .status()
                .unwrap();
            assert!(status.success(), "{pipeline}");
        };
        launch(format!(
            "videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240,framerate=25/1 \
             ! x264enc key-int-max=10 ! h264parse ! mpegtsmux ! filesink location={}",
            file.display()
        ));
        let bytes = std::fs::read(&file).unwrap();
        let mut cache = GopCache::default();
        let mut keys = 0;
        let mut last_len = 0;
        for packet in bytes.chunks_exact(TS) {
            cache.push(packet);
            if cache.gop.len() < last_len {
                keys += 1;
            }
            last_len = cache.gop.len();
        }
        assert!(cache.video.is_some_and(|(_, kind)| kind == 0x1b));
        assert!(
            keys >= 2,
            "three key frames in 30 frames at one every 10: {keys}"
        );
        let start = cache.start();
        assert!(!start.is_empty());
        assert!(start.len() < bytes.len() / 2);
        // The kept bytes alone decode to a picture.
        let kept = dir.path().join("kept.ts");
        let picture = dir.path().join("kept.png");
        std::fs::write(&kept, &start).unwrap();
        launch(format!(
            "filesrc location={} ! tsdemux ! h264parse ! avdec_h264 ! videoconvert \
             ! pngenc snapshot=true ! filesink location={}",
            kept.display(),
            picture.display()
        ));
        let png = image::open(&picture).expect("a picture decoded from the kept group");
        assert_eq!((png.width(), png.height()), (320, 240));
        // Garbage does not disturb it.
        let before = cache.start();
        cache.push(&[0u8; 188]);
        cache.push(&[0x47u8; 100]);
        assert_eq!(cache.start(), before);
    }
}
