//! The channel lineup: an M3U playlist as IPTV head-ends write it.
//!
//! ```text
//! #EXTM3U x-tvg-url="http://iptv.example.org/guide.xml"
//! #EXTINF:-1 tvg-id="bbc1.uk" tvg-name="BBC One" tvg-logo="http://…/bbc1.png" tvg-chno="1" group-title="News",BBC One HD
//! udp://@239.1.1.1:1234
//! ```
//!
//! A tolerant reader: a broken line costs that channel only, and every problem is reported with
//! its line number so the head-end's people can fix it. Quotes may be double, single or missing;
//! `#EXTGRP` sets a group; lines it does not know (`#EXTVLCOPT`, `#KODIPROP`) are skipped.
//! Channel numbers come from `tvg-chno` (or `channel-number`, `tvg-num`); channels without one
//! are numbered after the highest number in the list, in order.

use std::collections::HashSet;

/// Most channels a lineup keeps: a hospital head-end has tens to a few hundred.
pub const MAX_CHANNELS: usize = 2000;

/// One channel of the lineup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// The number the patient types.
    pub number: u32,
    pub name: String,
    /// `tvg-id`: the channel's id in the XMLTV guide.
    pub guide_id: Option<String>,
    /// `tvg-name`: another name the guide may know it by.
    pub guide_name: Option<String>,
    pub logo: Option<String>,
    pub group: Option<String>,
    /// Where the stream is: `udp://`, `rtp://`, `http(s)://` (progressive or HLS), `file://`.
    pub url: String,
}

impl Channel {
    /// A stable key for the patient's favourites: the guide id, else the address.
    pub fn key(&self) -> &str {
        self.guide_id.as_deref().unwrap_or(&self.url)
    }

    /// Channels of calm pictures and sound, listed under Relax (a group named like "Relax…").
    pub fn is_relaxation(&self) -> bool {
        self.group
            .as_deref()
            .is_some_and(|g| g.to_ascii_lowercase().starts_with("relax"))
    }
}

/// A line of the playlist that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based.
    pub line: usize,
    pub what: String,
}

/// The channels of a playlist, in number order, and what was wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lineup {
    pub channels: Vec<Channel>,
    pub problems: Vec<Problem>,
    /// The guide's address the playlist names (`x-tvg-url` / `url-tvg`), if any.
    pub guide_url: Option<String>,
}

impl Lineup {
    /// The index of the channel with this number.
    pub fn by_number(&self, number: u32) -> Option<usize> {
        self.channels.iter().position(|c| c.number == number)
    }
}

/// Attributes of an `#EXTINF` or `#EXTM3U` line: `key="value"` pairs, quotes optional.
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let key = key.rsplit(char::is_whitespace).next().unwrap_or(key);
        let after = &rest[eq + 1..];
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                Some(end) => (&after[1..1 + end], &after[end + 2..]),
                None => (&after[1..], ""),
            },
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if !key.is_empty() {
            out.push((key.to_ascii_lowercase(), value.trim().to_owned()));
        }
        rest = next;
    }
    out
}

/// Splits `#EXTINF:-1 attrs,Name` into (attrs, name): the name follows the first comma that is
/// not inside quotes.
fn split_extinf(body: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    for (i, c) in body.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ',') => return (&body[..i], &body[i + 1..]),
            _ => {}
        }
    }
    (body, "")
}

const SCHEMES: [&str; 7] = [
    "udp://", "rtp://", "http://", "https://", "file://", "rtsp://", "srt://",
];

/// The stream address as a URI, relative paths resolved against the playlist's location.
fn resolve(url: &str, base: Option<&str>) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    if SCHEMES.iter().any(|s| lower.starts_with(s)) {
        return Ok(url.to_owned());
    }
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(format!("unsupported stream address scheme `{scheme}`"));
    }
    match base {
        Some(base) => Ok(super::source::resolve(url, base)),
        None if url.starts_with('/') => Ok(format!("file://{url}")),
        None => Err("a relative stream address with no playlist location".into()),
    }
}

/// An `#EXTINF` waiting for its address: its line, its attributes, its name.
type Extinf = (usize, Vec<(String, String)>, String);

/// Reads a playlist. `base` is where it came from (a URL or a file path), for relative
/// addresses.
pub fn parse(text: &str, base: Option<&str>) -> Lineup {
    let mut lineup = Lineup::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut pending: Option<Extinf> = None;
    let mut group: Option<String> = None;
    let mut found: Vec<(Option<u32>, usize, Channel)> = Vec::new();
    let mut saw_header = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("#EXTM3U") {
            saw_header = true;
            for (k, v) in attributes(rest) {
                if matches!(k.as_str(), "x-tvg-url" | "url-tvg") && !v.is_empty() {
                    lineup.guide_url = v.split(',').next().map(str::to_owned);
                }
            }
            continue;
        }
        if let Some(body) = line.strip_prefix("#EXTINF:") {
            if let Some((at, _, name)) = pending.take() {
                lineup.problems.push(Problem {
                    line: at,
                    what: format!("channel `{name}` has no stream address"),
                });
            }
            let (attrs, name) = split_extinf(body);
            // The duration before the attributes ("-1 tvg-id=…").
            let attrs =
                attrs.trim_start_matches(|c: char| c == '-' || c.is_ascii_digit() || c == '.');
            pending = Some((n, attributes(attrs), name.trim().to_owned()));
            continue;
        }
        if let Some(g) = line.strip_prefix("#EXTGRP:") {
            group = Some(g.trim().to_owned()).filter(|g| !g.is_empty());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        // An address.
        let (at, attrs, name) = pending
            .take()
            .unwrap_or_else(|| (n, Vec::new(), String::new()));
        let url = match resolve(line, base) {
            Ok(url) => url,
            Err(what) => {
                lineup.problems.push(Problem { line: n, what });
                group = None;
                continue;
            }
        };
        let get = |k: &str| {
            attrs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let number = ["tvg-chno", "channel-number", "tvg-num"]
            .iter()
            .find_map(|k| get(k))
            .map(|v| v.parse::<u32>().map_err(|_| v));
        let number = match number {
            Some(Ok(0)) | None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(v)) => {
                lineup.problems.push(Problem {
                    line: at,
                    what: format!(
                        "channel number `{v}` is not a number; numbered after the others"
                    ),
                });
                None
            }
        };
        let name = Some(name)
            .filter(|s| !s.is_empty())
            .or_else(|| get("tvg-name"))
            .unwrap_or_else(|| {
                line.rsplit('/')
                    .find(|s| !s.is_empty())
                    .unwrap_or(line)
                    .to_owned()
            });
        if found.len() >= MAX_CHANNELS {
            lineup.problems.push(Problem {
                line: n,
                what: format!("more than {MAX_CHANNELS} channels; the rest are left out"),
            });
            break;
        }
        found.push((
            number,
            at,
            Channel {
                number: 0,
                name,
                guide_id: get("tvg-id"),
                guide_name: get("tvg-name"),
                logo: get("tvg-logo"),
                group: get("group-title").or_else(|| group.clone()),
                url,
            },
        ));
        group = None;
    }
    if let Some((at, _, name)) = pending {
        lineup.problems.push(Problem {
            line: at,
            what: format!("channel `{name}` has no stream address"),
        });
    }
    if !saw_header && !found.is_empty() {
        lineup.problems.push(Problem {
            line: 1,
            what: "no #EXTM3U header (read anyway)".into(),
        });
    }
    // Numbers: the playlist's own first, a repeated number goes to the later channel's turn.
    let mut used: HashSet<u32> = HashSet::new();
    let mut next = found.iter().filter_map(|(n, _, _)| *n).max().unwrap_or(0);
    let mut numbered = Vec::with_capacity(found.len());
    let mut later = Vec::new();
    for (number, at, channel) in found {
        match number {
            Some(n) if used.insert(n) => numbered.push(Channel {
                number: n,
                ..channel
            }),
            Some(n) => {
                lineup.problems.push(Problem {
                    line: at,
                    what: format!(
                        "channel number {n} is used twice; `{}` numbered after the others",
                        channel.name
                    ),
                });
                later.push(channel);
            }
            None => later.push(channel),
        }
    }
    for channel in later {
        next += 1;
        numbered.push(Channel {
            number: next,
            ..channel
        });
    }
    numbered.sort_by_key(|c| c.number);
    lineup.channels = numbered;
    lineup
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADEND: &str = "\u{feff}#EXTM3U x-tvg-url=\"http://iptv.example.org/guide.xml.gz\"
#EXTINF:-1 tvg-id=\"news.example\" tvg-name=\"News 24\" tvg-logo=\"http://iptv.example.org/logos/news.png\" tvg-chno=\"3\" group-title=\"News\",News 24 HD
udp://@239.1.1.3:1234
#EXTINF:-1 tvg-id='kids.example' tvg-chno=1 group-title=Kids,Kids, Fun & Games
rtp://239.1.1.1:5000

#EXTINF:0,Relax: Ocean waves
#EXTGRP:Relaxation
http://media.example.org/relax/ocean/index.m3u8
#EXTVLCOPT:network-caching=1000
#EXTINF:-1 tvg-chno=\"3\",Duplicate three
udp://@239.1.1.9:1234
#EXTINF:-1 tvg-chno=\"seven\",Bad number
http://media.example.org/seven.ts
#EXTINF:-1,Lost channel
#EXTINF:-1,Odd scheme
mms://old.example.org/stream
movies/feature.mp4
#EXTINF:-1 tvg-chno=\"12\",Last one without address
";

    #[test]
    fn a_headend_playlist_reads_with_its_problems_reported() {
        let l = parse(HEADEND, Some("http://iptv.example.org/lists/lineup.m3u"));
        let names: Vec<(u32, &str)> = l
            .channels
            .iter()
            .map(|c| (c.number, c.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (1, "Kids, Fun & Games"),
                (3, "News 24 HD"),
                (4, "Relax: Ocean waves"),
                (5, "Duplicate three"),
                (6, "Bad number"),
                (7, "feature.mp4"),
            ]
        );
        assert_eq!(
            l.guide_url.as_deref(),
            Some("http://iptv.example.org/guide.xml.gz")
        );
        let news = &l.channels[1];
        assert_eq!(news.guide_id.as_deref(), Some("news.example"));
        assert_eq!(news.guide_name.as_deref(), Some("News 24"));
        assert_eq!(news.group.as_deref(), Some("News"));
        assert_eq!(news.url, "udp://@239.1.1.3:1234");
        assert_eq!(l.channels[0].guide_id.as_deref(), Some("kids.example"));
        assert_eq!(l.channels[0].group.as_deref(), Some("Kids"));
        assert!(l.channels[2].is_relaxation(), "#EXTGRP sets the group");
        assert_eq!(
            l.channels[5].url, "http://iptv.example.org/lists/movies/feature.mp4",
            "relative to the playlist"
        );
        let lines: Vec<usize> = l.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [13, 15, 17, 19, 11], "{:?}", l.problems);
        assert!(l.problems.iter().any(|p| p.what.contains("`mms`")));
        assert!(l.problems.iter().any(|p| p.what.contains("used twice")));
    }

    #[test]
    fn a_bare_list_of_addresses_is_a_lineup_too() {
        let l = parse("udp://@239.0.0.1:1234\n/srv/tv/two.ts\n", None);
        assert_eq!(l.channels.len(), 2);
        assert_eq!(l.channels[1].url, "file:///srv/tv/two.ts");
        assert_eq!((l.channels[0].number, l.channels[1].number), (1, 2));
        assert_eq!(l.problems[0].what, "no #EXTM3U header (read anyway)");
    }

    #[test]
    fn garbage_gives_no_channels_and_no_panic() {
        for text in [
            "",
            "\0\0\0",
            "#EXTINF:",
            "#EXTINF:-1 tvg-id=\"unterminated,x\nhttp://a/b",
            "=====\n#EXTM3U ===\n",
        ] {
            let l = parse(text, None);
            assert!(l.channels.len() <= 1, "{text:?}");
        }
        let many: String = (0..3000)
            .map(|i| format!("udp://@239.0.0.1:{i}\n"))
            .collect();
        assert_eq!(parse(&many, None).channels.len(), MAX_CHANNELS);
    }

    #[test]
    fn attributes_take_any_quotes() {
        assert_eq!(
            attributes(" a=\"1 2\" b='x' c=3 d="),
            [
                ("a".into(), "1 2".into()),
                ("b".into(), "x".into()),
                ("c".into(), "3".into()),
                ("d".into(), "".into())
            ]
        );
    }
}
