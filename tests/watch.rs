//! Watch against real streams: GStreamer's own `gst-launch-1.0` sends live MPEG-TS channels
//! over UDP on loopback and writes an HLS channel, Python's http.server is the head-end
//! (playlist, guide, film catalogue, posters, captions, HLS), and `bedside snapshot --wait`
//! takes the pictures while the video plays.
//!
//! Channels are solid colours (red, green, blue, yellow) so a picture says which channel is on
//! air without reading any text, and so pictures with video can still be goldens.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::fhir::{free_port, testdata};
use common::{Picture, assert_golden};

struct Headend {
    dir: tempfile::TempDir,
    children: Vec<Child>,
    base: String,
}

impl Drop for Headend {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn gst(pipeline: &str) -> Command {
    let mut c = Command::new("gst-launch-1.0");
    c.arg("-q")
        .args(pipeline.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Runs a pipeline that makes a file, giving it a minute.
fn run(mut command: Command) {
    let mut child = command.spawn().expect("gst-launch-1.0");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{command:?} failed");
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{command:?} did not finish in a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a datagram sent to a multicast group comes back to a member on this machine.
fn multicast_works() -> bool {
    let group = std::net::Ipv4Addr::new(239, 255, 77, 77);
    let Ok(member) = std::net::UdpSocket::bind("0.0.0.0:0") else {
        return false;
    };
    let port = member.local_addr().unwrap().port();
    if member
        .join_multicast_v4(&group, &std::net::Ipv4Addr::UNSPECIFIED)
        .is_err()
    {
        return false;
    }
    member
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let sender = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let _ = sender.set_multicast_ttl_v4(0);
    if sender.send_to(b"probe", (group, port)).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    member.recv(&mut buf).is_ok()
}

/// Solid-colour H.264 at 320x180, a key frame every 5 frames (a head-end sends one every half
/// second or so; zapping waits for the next).
fn encoded(pattern: &str) -> String {
    format!(
        "videotestsrc is-live=true pattern={pattern} ! video/x-raw,width=320,height=180,framerate=25/1 \
         ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=5 bitrate=200 ! h264parse config-interval=-1"
    )
}

impl Headend {
    fn start() -> Headend {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let http = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 http.server");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "http.server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Headend {
            dir,
            children: vec![http],
            base,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A live channel of `pattern` on a UDP port; returns its address.
    fn udp(&mut self, pattern: &str) -> String {
        let port = free_port();
        let child = gst(&format!(
            "{} ! mpegtsmux ! udpsink host=127.0.0.1 port={port}",
            encoded(pattern)
        ))
        .spawn()
        .expect("gst-launch-1.0 (make setup installs gstreamer1.0-tools)");
        self.children.push(child);
        format!("udp://127.0.0.1:{port}")
    }

    /// A live channel of `pattern` as a hospital head-end sends it: RTP to a multicast group
    /// (kept on this machine: TTL 0). Where this machine has no multicast route, RTP to a
    /// loopback port instead. Returns its address.
    fn rtp_multicast(&mut self, pattern: &str) -> String {
        let port = free_port();
        let group = format!("239.255.{}.{}", port % 250 + 1, port / 250 % 250 + 1);
        let host = if multicast_works() {
            group
        } else {
            eprintln!("no multicast route on this machine: the RTP channel is sent unicast");
            "127.0.0.1".to_owned()
        };
        self.rtp_to(pattern, &host, port);
        format!("rtp://{host}:{port}")
    }

    /// A live channel of `pattern` sent as RTP to `group` (a multicast group is kept on this
    /// machine: TTL/hops 0).
    fn rtp_to(&mut self, pattern: &str, group: &str, port: u16) {
        let child = gst(&format!(
            "{} ! mpegtsmux ! rtpmp2tpay ! udpsink host={group} port={port} ttl-mc=0 loop=true",
            encoded(pattern)
        ))
        .spawn()
        .expect("gst-launch-1.0");
        self.children.push(child);
    }

    /// An HLS channel of `pattern`: three 2-second MPEG-TS segments and their playlist,
    /// served by the head-end. (Each segment is encoded on its own, timestamps following on, so
    /// no splitting muxer is needed: hlssink2 was seen to hang at its end on a loaded machine.)
    fn hls(&mut self, pattern: &str) -> String {
        let dir = self.path("hls");
        std::fs::create_dir_all(&dir).unwrap();
        let mut playlist = String::from(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n",
        );
        for k in 0..3u64 {
            run(gst(&format!(
                "videotestsrc num-buffers=50 timestamp-offset={} {pattern} \
                 ! video/x-raw,width=320,height=180,framerate=25/1 ! x264enc key-int-max=25 bitrate=200 \
                 ! h264parse ! mpegtsmux ! filesink location={}/seg{k}.ts",
                k * 2_000_000_000,
                dir.display()
            )));
            playlist += &format!("#EXTINF:2.0,\nseg{k}.ts\n");
        }
        playlist += "#EXT-X-ENDLIST\n";
        std::fs::write(dir.join("index.m3u8"), playlist).unwrap();
        format!("{}/hls/index.m3u8", self.base)
    }

    /// A film file: `seconds` of `pattern` with a tone, MP4.
    fn film(&self, name: &str, pattern: &str, seconds: u32) -> String {
        run(gst(&format!(
            "videotestsrc num-buffers={} pattern={pattern} ! video/x-raw,width=320,height=180,framerate=25/1 \
             ! x264enc ! h264parse ! mp4mux faststart=true ! filesink location={}",
            seconds * 25,
            self.path(name).display()
        )));
        format!("{}/{name}", self.base)
    }

    /// A poster picture.
    /// A channel logo (wide, as logos are) at `logos/<name>.png`.
    fn logo(&self, name: &str, pattern: &str) {
        std::fs::create_dir_all(self.path("logos")).unwrap();
        run(gst(&format!(
            "videotestsrc num-buffers=1 pattern={pattern} ! video/x-raw,width=320,height=120 ! pngenc \
             ! filesink location={}",
            self.path(&format!("logos/{name}.png")).display()
        )));
    }

    fn poster(&self, name: &str, pattern: &str) {
        run(gst(&format!(
            "videotestsrc num-buffers=1 pattern={pattern} ! video/x-raw,width=200,height=300 ! pngenc \
             ! filesink location={}",
            self.path(name).display()
        )));
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).unwrap();
        format!("{}/{name}", self.base)
    }

    /// A bed whose `[tv]` reads this head-end.
    fn bed(&self, tv_extra: &str) -> PathBuf {
        let path = self.path("bedside.toml");
        std::fs::write(
            &path,
            format!(
                "[device]\nid = \"urn:example:device|TV-1\"\n[bed]\nlocation = \"urn:example:bed|B1\"\n\
                 name = \"3 West, Room 12, Bed A\"\n[store]\ndata_dir = \"{}\"\n\
                 [tv]\nplaylist = \"{}/lineup.m3u\"\n{tv_extra}",
                self.path("state").display(),
                self.base
            ),
        )
        .unwrap();
        path
    }
}

/// `bedside snapshot` of `config` after `keys`, `wait` ms of video after them.
fn shot(config: &Path, keys: &str, wait: u64) -> Picture {
    common::config_shot(config, keys, &["--wait", &wait.to_string()])
}

/// The average colour of a box.
fn colour_at(p: &Picture, x0: u32, y0: u32, w: u32, h: u32) -> [u8; 3] {
    let mut sum = [0u64; 3];
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let px = p.pixel(x, y);
            for c in 0..3 {
                sum[c] += u64::from(px[c]);
            }
        }
    }
    let n = u64::from(w * h);
    sum.map(|s| (s / n) as u8)
}

/// Which of the solid colours fills the top of a full-screen picture (above the banner).
fn channel_colour(p: &Picture) -> &'static str {
    let [r, g, b] = colour_at(p, 760, 200, 400, 200);
    match (r > 180, g > 180, b > 180) {
        (true, false, false) => "red",
        (false, true, false) => "green",
        (false, false, true) => "blue",
        (true, true, false) => "yellow",
        _ => panic!("no channel colour: {r} {g} {b}"),
    }
}

const LINEUP: &str = "#EXTM3U
#EXTINF:-1 tvg-id=\"red.example\" tvg-chno=\"1\" tvg-logo=\"logos/red.png\" group-title=\"News\",Red News
{red}
#EXTINF:-1 tvg-id=\"green.example\" tvg-chno=\"2\" tvg-logo=\"{base}/logos/green.png\",Green Sport
{green}
#EXTINF:-1 tvg-id=\"blue.example\" tvg-chno=\"30\" tvg-logo=\"logos/missing.png\",Blue Films
{blue}
#EXTINF:-1 tvg-chno=\"31\",Gone Away
{base}/no-such-stream.ts
#EXTINF:-1 this line is broken
#EXTINF:-1 tvg-chno=\"40\",Yellow Live
{hls}
";

fn guide_xml() -> String {
    let p = |ch: &str, start: &str, stop: &str, title: &str, desc: &str| {
        format!(
            "<programme start=\"20261125{start}00 +0000\" stop=\"20261125{stop}00 +0000\" channel=\"{ch}\">\
             <title>{title}</title><desc>{desc}</desc></programme>\n"
        )
    };
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<tv>\n");
    xml += &p(
        "red.example",
        "0900",
        "1000",
        "Morning News",
        "The day's news, weather and sport.",
    );
    xml += &p(
        "red.example",
        "1000",
        "1030",
        "Health Matters",
        "Staying well in winter.",
    );
    xml += &p(
        "red.example",
        "1030",
        "1200",
        "Garden Hour",
        "Roses &amp; bulbs.",
    );
    xml += &p(
        "green.example",
        "0830",
        "1100",
        "Cycling: Tour Highlights",
        "",
    );
    xml += &p("green.example", "1100", "1300", "Football", "");
    xml += &p(
        "blue.example",
        "0915",
        "1115",
        "Film: The Long Voyage Home",
        "A classic.",
    );
    xml += "<programme start=\"broken\" channel=\"blue.example\"><title>Bad</title></programme>\n</tv>\n";
    xml
}

/// Four live channels (three UDP, one HLS), a dead one and a guide.
fn headend() -> (Headend, PathBuf) {
    let mut h = Headend::start();
    let red = h.udp("red");
    let green = h.udp("green");
    // Channel 3 comes as RTP to a multicast group, as most hospital head-ends send.
    let blue = h.rtp_multicast("blue");
    let hls = h.hls("pattern=solid-color foreground-color=0xffffff00");
    // Logos for channels 1 and 2 (one relative to the playlist, one absolute); channel 3's is
    // missing on the server and it simply has none.
    h.logo("red", "smpte");
    h.logo("green", "checkers-8");
    let lineup = LINEUP
        .replace("{red}", &red)
        .replace("{green}", &green)
        .replace("{blue}", &blue)
        .replace("{hls}", &hls)
        .replace("{base}", &h.base);
    h.write("lineup.m3u", &lineup);
    let guide = h.write("guide.xml", &guide_xml());
    let config = h.bed(&format!("guide = \"{guide}\"\n"));
    (h, config)
}

#[test]
fn numbers_up_down_and_last_land_on_the_right_channel() {
    let (_h, bed) = headend();
    for (keys, colour) in [
        ("ok,ok", "red"),
        ("ok,ok,up", "green"),
        ("ok,ok,channelup,channelup", "blue"),
        ("ok,ok,3,0", "blue"),
        ("ok,ok,4,0", "yellow"),
        ("ok,ok,down", "yellow"),
        ("ok,ok,up,up,lastchannel", "green"),
        ("ok,ok,2,lastchannel,lastchannel", "green"),
    ] {
        assert_eq!(channel_colour(&shot(&bed, keys, 3000)), colour, "{keys}");
    }
}

#[test]
fn favourites_survive_a_restart() {
    let (h, bed) = headend();
    // Without a favourite, Green (next favourite) stays on channel 1.
    assert_eq!(channel_colour(&shot(&bed, "ok,ok,green", 3000)), "red");
    // Channel 2 marked as a favourite, then the TV restarts: Green goes to it.
    shot(&bed, "ok,ok,up,favourite", 0);
    let saved = std::fs::read_to_string(h.path("state/settings.toml")).unwrap();
    assert!(saved.contains("favourites"), "{saved}");
    assert_eq!(channel_colour(&shot(&bed, "ok,ok,green", 3000)), "green");
}

#[test]
fn tuning_shows_moving_video() {
    let mut h = Headend::start();
    let ball = h.udp("ball");
    h.write("lineup.m3u", &format!("#EXTM3U\n#EXTINF:-1,Ball\n{ball}\n"));
    let bed = h.bed("");
    let a = shot(&bed, "ok,ok", 2500);
    let b = shot(&bed, "ok,ok", 3600);
    // The ball is somewhere on the black: the picture is not blank...
    let bright = |p: &Picture| {
        p.rgb
            .chunks_exact(3)
            .filter(|c| c[0] > 200 && c[1] > 200)
            .count()
    };
    assert!(bright(&a) > 1000 && bright(&b) > 1000);
    // ...and it moved.
    assert!(
        a.pixels_differing(&b, 40) > 2000,
        "the two pictures are the same: the video is not moving"
    );
}

/// The address this machine sends to `group` from (None without a route to it).
fn own_source(group: &str) -> Option<std::net::IpAddr> {
    let group: std::net::SocketAddr = group.parse().ok()?;
    let any = if group.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let probe = std::net::UdpSocket::bind(any).ok()?;
    probe.connect(group).ok()?;
    Some(probe.local_addr().ok()?.ip())
}

/// Head-ends on IPv6 multicast, and source-specific multicast (SSM, which GStreamer 1.22's
/// own `udpsrc` cannot join): both play, and an SSM channel takes only the source its
/// address names.
#[test]
fn ipv6_and_source_specific_multicast_channels_play() {
    let port = free_port();
    let (v6, ssm) = (
        format!("ff15::b:{port:x}"),
        format!("232.9.{}.{}", port % 250 + 1, port / 250 % 250 + 1),
    );
    let (Some(_), Some(own)) = (
        own_source(&format!("[{v6}]:{port}")),
        own_source(&format!("{ssm}:{port}")),
    ) else {
        assert!(
            std::env::var_os("BEDSIDE_REQUIRE_SYSTEM_TESTS").is_none(),
            "no multicast route on this machine"
        );
        eprintln!("skipped: no multicast route on this machine");
        return;
    };
    let mut h = Headend::start();
    h.rtp_to("red", &v6, port);
    h.rtp_to("green", &ssm, port + 1);
    h.write(
        "lineup.m3u",
        &format!(
            "#EXTM3U\n#EXTINF:-1 tvg-chno=\"1\",Red over IPv6\nrtp://@[{v6}]:{port}\n\
             #EXTINF:-1 tvg-chno=\"2\",Green by SSM\nrtp://{own}@{ssm}:{}\n\
             #EXTINF:-1 tvg-chno=\"3\",Green from another source\nrtp://198.51.100.7@{ssm}:{}\n",
            port + 1,
            port + 1
        ),
    );
    let bed = h.bed("");
    assert_eq!(channel_colour(&shot(&bed, "ok,ok", 3000)), "red");
    assert_eq!(channel_colour(&shot(&bed, "ok,ok,2", 3000)), "green");
    // Another source's packets never reach the decoder: no green.
    let [_, g, _] = colour_at(&shot(&bed, "ok,ok,3", 3000), 760, 200, 400, 200);
    assert!(g < 100, "channel 3 shows the other source's picture");
}

#[test]
fn a_dead_channel_says_so_and_the_banner_shows_the_guide() {
    let (_h, bed) = headend();
    // The dead channel: a 404 from the head-end.
    assert_golden("tv-dead-channel", &shot(&bed, "ok,ok,3,1", 1500));
    // The banner: number, name, now and next from the guide, over the red channel.
    assert_golden("tv-banner", &shot(&bed, "ok,ok", 3000));
    // A number no channel has.
    assert_golden("tv-no-such-channel", &shot(&bed, "ok,ok,9", 3000));
}

#[test]
fn the_hub_and_the_guide() {
    let (_h, bed) = headend();
    assert_golden("watch-hub", &shot(&bed, "ok", 3000));
    assert_golden("watch-guide", &shot(&bed, "ok,down,ok,down,right", 3000));
    assert_golden(
        "watch-guide-later",
        &shot(&bed, "ok,down,ok,down,down,right,right,right,right", 3000),
    );
    // OK in the guide watches the focused channel.
    assert_eq!(
        channel_colour(&shot(&bed, "ok,down,ok,down,down,ok", 3000)),
        "blue"
    );
}

#[test]
fn a_missing_guide_shows_channel_names_and_a_missing_lineup_says_so() {
    let mut h = Headend::start();
    let red = h.udp("red");
    h.write(
        "lineup.m3u",
        &format!("#EXTM3U\n#EXTINF:-1 tvg-chno=\"5\",Red News\n{red}\n"),
    );
    let bed = h.bed(&format!("guide = \"{}/nothing-here.xml\"\n", h.base));
    assert_golden(
        "watch-guide-without-programmes",
        &shot(&bed, "ok,down,ok", 3000),
    );
    // The head-end goes down: the copy kept of its lineup still gives the channels.
    let bed = h.bed("");
    std::fs::remove_file(h.path("lineup.m3u")).unwrap();
    assert_golden("watch-hub-kept-lineup", &shot(&bed, "ok", 3000));
    // A box that never read the lineup says the channels cannot be reached.
    std::fs::remove_dir_all(h.path("state")).unwrap();
    assert_golden("watch-hub-no-lineup", &shot(&bed, "ok", 300));
    // The guide needs the channels too, and neither row offers an OK; pressing it anyway, or
    // typing a channel number on Home, says why.
    assert_golden("watch-hub-no-lineup-guide", &shot(&bed, "ok,down", 300));
    assert_golden("watch-hub-no-lineup-ok", &shot(&bed, "ok,ok", 300));
    assert_golden("home-digit-no-lineup", &shot(&bed, "5", 300));
}

fn films() -> (Headend, PathBuf) {
    let h = Headend::start();
    h.write("lineup.m3u", "#EXTM3U\n");
    let media = testdata("media/bigbuckbunny.mp4");
    std::fs::copy(&media, h.path("bigbuckbunny.mp4")).unwrap();
    h.film("green.mp4", "green", 6);
    h.film("calm.mp4", "blue", 2);
    h.poster("bbb.png", "smpte");
    h.poster("green.png", "circular");
    h.write(
        "green.vtt",
        "WEBVTT\n\n00:00.000 --> 00:05.500\nThe grass is very green\ntoday.\n",
    );
    let catalogue = h.write(
        "films.json",
        r#"{"items": [
          {"id": "bbb", "title": "Big Buck Bunny", "synopsis": "A giant rabbit", "rating": "U",
           "duration_minutes": 10, "poster": "bbb.png", "url": "bigbuckbunny.mp4"},
          {"id": "green", "title": "Green Fields", "rating": "U", "duration_minutes": 1,
           "poster": "green.png", "captions": [{"language": "en", "url": "green.vtt"}],
           "url": "green.mp4"},
          {"id": "calm", "kind": "relaxation", "title": "Calm Blue", "url": "CALM"},
          {"id": "", "title": "Broken", "url": "x.mp4"}
        ]}"#,
    );
    // The relaxation video from a local file (a hospital's own loop on the box): it goes round
    // by seeking back to its start.
    let text = std::fs::read_to_string(h.path("films.json"))
        .unwrap()
        .replace("CALM", &format!("file://{}", h.path("calm.mp4").display()));
    std::fs::write(h.path("films.json"), text).unwrap();
    let bed = h.bed(&format!("catalogue = \"{catalogue}\"\n"));
    (h, bed)
}

#[test]
fn films_play_with_captions_and_relaxation_loops() {
    let (_h, bed) = films();
    assert_golden("watch-films", &shot(&bed, "ok,down,down,ok", 300));
    assert_golden("watch-relax", &shot(&bed, "ok,down,down,down,ok", 300));
    // Big Buck Bunny plays (CC-BY 3.0, Blender Foundation): a picture that is not black.
    let bunny = shot(&bed, "ok,down,down,ok,ok", 3000);
    let [r, g, b] = colour_at(&bunny, 200, 100, 1520, 500);
    assert!(
        u32::from(r) + u32::from(g) + u32::from(b) > 150,
        "{r} {g} {b}"
    );
    // Captions from the WebVTT file, drawn large on a dark box over the green film; none when
    // captions are off.
    let band = |p: &Picture| {
        let mut not_green = 0;
        for y in 560..800 {
            for x in 460..1460 {
                let [r, g, b] = p.pixel(x, y);
                if !(g > 150 && r < 100 && b < 100) {
                    not_green += 1;
                }
            }
        }
        not_green
    };
    // (Off first: the Captions key's choice is saved, as the patient's choices are.)
    let without = shot(&bed, "ok,down,down,ok,right,ok", 3000);
    let with = shot(&bed, "ok,down,down,ok,right,ok,captions", 3000);
    assert!(band(&with) > 40_000, "no caption box: {}", band(&with));
    assert!(
        band(&without) < 5_000,
        "a caption box with captions off: {}",
        band(&without)
    );
    // Relaxation goes round: still playing after its two seconds.
    let calm = shot(&bed, "ok,down,down,down,ok,ok", 3500);
    let [r, g, b] = colour_at(&calm, 760, 200, 400, 200);
    assert!(b > 180 && r < 80 && g < 80, "{r} {g} {b}");
}

/// A live channel whose pictures carry CEA-608 closed captions (pop-on "HELLO FROM THE NEWS",
/// sent again every two seconds), as broadcast and IPTV channels carry them: a pipeline in this
/// process feeds caption data through `cccombiner` into the H.264 stream.
struct Captioned {
    pipeline: gstreamer::Element,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    feeder: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Captioned {
    fn drop(&mut self) {
        use gstreamer::prelude::*;
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(f) = self.feeder.take() {
            let _ = f.join();
        }
        let _ = self.pipeline.set_state(gstreamer::State::Null);
    }
}

/// A live black channel on `port` whose pictures carry `cc_data`: frame k of every 50 (two
/// seconds) carries `cc[k]`, the others padding.
fn captioned_channel(port: u16, cc: Vec<Vec<u8>>) -> Captioned {
    use gstreamer::prelude::*;
    gstreamer::init().unwrap();
    let pipeline = gstreamer::parse::launch(&format!(
        "videotestsrc is-live=true pattern=black ! video/x-raw,width=320,height=180,framerate=25/1 \
         ! cccombiner name=c ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=5 bitrate=200 \
         ! h264parse config-interval=-1 ! mpegtsmux ! udpsink host=127.0.0.1 port={port} \
         appsrc name=cc is-live=true do-timestamp=true format=time \
         caps=closedcaption/x-cea-708,format=cc_data,framerate=25/1 ! c.caption"
    ))
    .unwrap();
    let bin = pipeline.clone().downcast::<gstreamer::Bin>().unwrap();
    let src = bin
        .by_name("cc")
        .unwrap()
        .downcast::<gstreamer_app::AppSrc>()
        .unwrap();
    pipeline.set_state(gstreamer::State::Playing).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let feeder = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let data = cc.get(i % 50).cloned().unwrap_or_else(|| vec![0xfa, 0, 0]);
                let _ = src.push_buffer(gstreamer::Buffer::from_slice(data));
                i += 1;
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    Captioned {
        pipeline,
        stop,
        feeder: Some(feeder),
    }
}

/// A bed whose lineup is one live channel (7, "Captioned News") carrying `cc`.
fn captioned_bed(cc: Vec<Vec<u8>>) -> (Headend, Captioned, PathBuf) {
    let h = Headend::start();
    let port = free_port();
    let channel = captioned_channel(port, cc);
    h.write(
        "lineup.m3u",
        &format!("#EXTM3U\n#EXTINF:-1 tvg-chno=\"7\",Captioned News\nudp://127.0.0.1:{port}\n"),
    );
    let bed = h.bed("");
    (h, channel, bed)
}

/// White pixels near the bottom of a picture of a black channel: caption letters (the pictures
/// are taken after the channel banner has gone, so the captions sit at the bottom).
fn letters(p: &Picture) -> usize {
    let mut n = 0;
    for y in 820..1060 {
        for x in 200..1720 {
            let [r, g, b] = p.pixel(x, y);
            if r > 200 && g > 200 && b > 200 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_channel_with_only_cea708_captions_shows_them() {
    let (_h, _channel, bed) = captioned_bed(cea708_caption("Hello from the ward"));
    let on = shot(&bed, "ok,ok,captions", 6000);
    assert!(letters(&on) > 3000, "no 708 captions: {}", letters(&on));
    assert_golden("tv-closed-captions-708", &on);
}

/// CEA-608 CC1 in `cc_data`, a pair a frame: Resume Caption Loading, erase the hidden memory,
/// row 15, the words, End Of Caption; control codes twice, as line 21 sends them.
fn cea608_caption(text: &str) -> Vec<Vec<u8>> {
    let parity = |b: u8| {
        if b.count_ones().is_multiple_of(2) {
            b | 0x80
        } else {
            b
        }
    };
    let mut pairs: Vec<(u8, u8)> = vec![
        (0x14, 0x20),
        (0x14, 0x20),
        (0x14, 0x2e),
        (0x14, 0x2e),
        (0x14, 0x70),
        (0x14, 0x70),
    ];
    pairs.extend(
        text.as_bytes()
            .chunks(2)
            .map(|c| (c[0], c.get(1).copied().unwrap_or(b' '))),
    );
    pairs.extend([(0x14, 0x2f), (0x14, 0x2f)]);
    pairs
        .into_iter()
        .map(|(a, b)| vec![0xfc, parity(a), parity(b)])
        .collect()
}

/// CEA-708 service 1 only, as a caption encoder sends a caption: a two-row window defined
/// hidden, cleared, the words, then shown; ten triplets a frame.
fn cea708_caption(text: &str) -> Vec<Vec<u8>> {
    let mut data = vec![0x98, 0x00, 0x00, 0x00, 0x01, 0x1f, 0x00, 0x88, 0x01];
    data.extend_from_slice(text.as_bytes());
    data.extend_from_slice(&[0x89, 0x01]);
    let mut sequence = 0;
    let cc = bedside::media::cea708::encode_service1(&data, &mut sequence);
    cc.chunks(30).map(<[u8]>::to_vec).collect()
}

#[test]
fn a_channels_own_captions_show_large_when_captions_are_on() {
    let (_h, _channel, bed) = captioned_bed(cea608_caption("HELLO FROM THE NEWS "));
    // Off first: the Captions key's choice is saved.
    let off = shot(&bed, "ok,ok", 6000);
    assert!(
        letters(&off) < 100,
        "captions with captions off: {}",
        letters(&off)
    );
    let on = shot(&bed, "ok,ok,captions", 6000);
    assert!(letters(&on) > 3000, "no captions: {}", letters(&on));
    assert_golden("tv-closed-captions", &on);
}

/// A live channel of `pattern` with a steady tone, as most channels have sound.
fn udp_with_sound(h: &mut Headend, pattern: &str) -> String {
    let port = free_port();
    let child = gst(&format!(
        "{} ! mux. audiotestsrc is-live=true freq=440 volume=0.2 ! audioconvert \
         ! avenc_aac ! aacparse ! mux. mpegtsmux name=mux ! udpsink host=127.0.0.1 port={port}",
        encoded(pattern)
    ))
    .spawn()
    .expect("gst-launch-1.0");
    h.children.push(child);
    format!("udp://127.0.0.1:{port}")
}

/// The appliance's sound on, in this process (the real `autoaudiosink` into the test sound card):
/// a channel is heard while it is on and not after. Then the player's thread fails (a test-only
/// switch standing in for a bug): the screen says the picture cannot be shown, and the channel
/// comes back by itself, picture and sound.
#[test]
fn a_channel_is_heard_through_the_speaker_and_comes_back_after_the_player_fails() {
    use bedside::domain::button::Button;
    use bedside::launch::{Setup, headless_app_sounding};
    use bedside::ui::app::TimeSource;

    let sound = common::sound::install();
    let mut h = Headend::start();
    let red = udp_with_sound(&mut h, "red");
    h.write(
        "lineup.m3u",
        &format!("#EXTM3U\n#EXTINF:-1 tvg-chno=\"1\",Red News\n{red}\n"),
    );
    let config = h.bed("");
    let setup = Setup::load(Some(&config), false).expect("config");
    let now = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", common::NOW).unwrap();
    let (headless, app) = headless_app_sounding(setup, (1920, 1080), TimeSource::Fixed(now), true)
        .expect("headless bed");
    let until = |what: &str, done: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "never got to: {what}"
            );
            headless.run_for(Duration::from_millis(20));
        }
    };
    let listings = bedside::media::service::load(
        Setup::load(Some(&config), false)
            .unwrap()
            .config
            .tv
            .as_ref()
            .unwrap(),
        None,
        jiff::Timestamp::now(),
    );
    app.set_listings(listings);
    assert_eq!(sound.playing(), 0, "a sound plays on Home");
    app.press(Button::Ok);
    headless.run_for(Duration::from_millis(100));
    app.press(Button::Ok);
    until("the channel's pictures", &|| app.video().1 >= 10);
    until("the channel's sound", &|| sound.playing() == 1);
    let tuned = app.video().0;

    app.fail_thread(false);
    // The picture stopped with the thread: the screen says so at once...
    until("the trouble message", &|| {
        app.video_trouble() == Some(bedside::ui::generated::Trouble::ChannelUndecodable)
    });
    headless.run_for(Duration::from_millis(100));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/watch-player-failed.png");
    headless.write_png(&path).unwrap();
    // ...and the same channel comes back, picture and sound, with no key pressed.
    let before = app.video().1;
    until("the channel back", &|| {
        app.video_trouble().is_none() && app.video().1 >= before + 10
    });
    assert_eq!(app.video().0, tuned, "another stream than the one tuned");
    until("the channel's sound back", &|| sound.playing() == 1);

    // Home stops the TV and its sound.
    app.press(Button::Home);
    until("silence on Home", &|| sound.playing() == 0);
}
