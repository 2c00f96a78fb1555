//! Sidecar captions for films: WebVTT (`.vtt`) and SubRip (`.srt`), read into cues the UI
//! draws itself (large, high contrast) rather than burning them into the picture.
//!
//! Tolerant: a cue with a broken timing line is skipped, styling tags (`<i>`, `<c.yellow>`,
//! `{\an8}`) are removed, and a file that is neither format gives no cues rather than an error
//! that would keep the film from playing.

use std::time::Duration;

/// Most cues kept (a feature film has one to two thousand).
pub const MAX_CUES: usize = 20_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    pub start: Duration,
    pub end: Duration,
    /// Lines of text, tags removed.
    pub text: String,
}

/// Cues in start order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captions {
    cues: Vec<Cue>,
}

/// `hh:mm:ss.mmm`, `mm:ss.mmm` (WebVTT) or `hh:mm:ss,mmm` (SRT).
fn parse_timestamp(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (clock, millis) = text.split_once(['.', ','])?;
    let millis: u64 = millis.get(..3)?.parse().ok()?;
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<_>>>()?;
    let seconds = match parts.as_slice() {
        [m, s] if *s < 60 => m * 60 + s,
        [h, m, s] if *m < 60 && *s < 60 => h * 3600 + m * 60 + s,
        _ => return None,
    };
    Some(Duration::from_millis(seconds * 1000 + millis))
}

/// Removes `<…>` tags and `{…}` SSA overrides, and decodes the few entities WebVTT allows.
fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skip: Option<char> = None;
    for c in text.chars() {
        match (skip, c) {
            (None, '<') => skip = Some('>'),
            (None, '{') => skip = Some('}'),
            (Some(end), c) if c == end => skip = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Captions {
    /// Reads WebVTT or SRT (told apart by the `WEBVTT` header; both share the cue shape).
    pub fn parse(text: &str) -> Captions {
        let text = text
            .strip_prefix('\u{feff}')
            .unwrap_or(text)
            .replace("\r\n", "\n");
        let mut cues = Vec::new();
        for block in text.split("\n\n") {
            let mut lines = block.lines().skip_while(|l| l.trim().is_empty());
            // An optional identifier (SRT's counter, WebVTT's cue id) before the timing line.
            let Some(first) = lines.next() else { continue };
            let timing = if first.contains("-->") {
                first
            } else {
                match lines.next() {
                    Some(l) if l.contains("-->") => l,
                    _ => continue,
                }
            };
            let Some((a, b)) = timing.split_once("-->") else {
                continue;
            };
            // WebVTT settings follow the end time ("00:01.000 line:0 align:start").
            let b = b.split_whitespace().next().unwrap_or("");
            let (Some(start), Some(end)) = (parse_timestamp(a), parse_timestamp(b)) else {
                continue;
            };
            if end <= start {
                continue;
            }
            let body = plain_text(&lines.collect::<Vec<_>>().join("\n"));
            if body.is_empty() {
                continue;
            }
            cues.push(Cue {
                start,
                end,
                text: body,
            });
            if cues.len() >= MAX_CUES {
                break;
            }
        }
        cues.sort_by_key(|c| c.start);
        Captions { cues }
    }

    /// The text on screen at `at` (cues that overlap are shown together), or None.
    pub fn at(&self, at: Duration) -> Option<String> {
        let i = self.cues.partition_point(|c| c.start <= at);
        let showing: Vec<&str> = self.cues[..i]
            .iter()
            .rev()
            .take(8)
            .filter(|c| c.end > at)
            .map(|c| c.text.as_str())
            .collect();
        if showing.is_empty() {
            return None;
        }
        Some(showing.into_iter().rev().collect::<Vec<_>>().join("\n"))
    }

    pub fn len(&self) -> usize {
        self.cues.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cues.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VTT: &str = "WEBVTT - a film\n\nNOTE made by hand\n\n1\n00:00:01.000 --> 00:00:03.500 line:90% align:center\n<v Narrator>Once upon a time</v>\n<i>in a forest</i>\n\nintro-2\n00:04.000 --> 00:06.000\nThe bunny &amp; friends\n\n00:00:05.000 --> 00:00:05.000\nzero length\n\nbroken --> timing\nskipped\n";

    const SRT: &str = "1\r\n00:00:01,000 --> 00:00:02,000\r\n{\\an8}Hello\r\n\r\n2\r\n00:00:02,500 --> 00:00:04,000\r\n<font color=\"#ffff00\">World</font>\r\n";

    #[test]
    fn webvtt_cues_read_without_tags_and_broken_ones_skipped() {
        let c = Captions::parse(VTT);
        assert_eq!(c.len(), 2);
        assert_eq!(c.at(Duration::from_millis(500)), None);
        assert_eq!(
            c.at(Duration::from_secs(2)).as_deref(),
            Some("Once upon a time\nin a forest")
        );
        assert_eq!(
            c.at(Duration::from_millis(3500)),
            None,
            "the end is exclusive"
        );
        assert_eq!(
            c.at(Duration::from_secs(5)).as_deref(),
            Some("The bunny & friends")
        );
    }

    #[test]
    fn srt_reads_too() {
        let c = Captions::parse(SRT);
        assert_eq!(c.at(Duration::from_millis(1500)).as_deref(), Some("Hello"));
        assert_eq!(c.at(Duration::from_secs(3)).as_deref(), Some("World"));
    }

    #[test]
    fn garbage_is_no_cues() {
        for text in [
            "",
            "WEBVTT",
            "\u{0}\u{1}-->",
            "99:99 --> 99:99\nx",
            "<html>",
        ] {
            assert!(Captions::parse(text).is_empty(), "{text:?}");
        }
    }
}
