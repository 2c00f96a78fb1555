//! The programme guide: XMLTV, as head-ends and EPG grabbers write it.
//!
//! ```xml
//! <tv>
//!   <channel id="news.example"><display-name>News 24</display-name></channel>
//!   <programme start="20261125090000 +0000" stop="20261125100000 +0000" channel="news.example">
//!     <title lang="en">Morning News</title><sub-title>…</sub-title><desc>…</desc>
//!   </programme>
//! </tv>
//! ```
//!
//! Streamed with quick-xml (a week of a hundred channels is tens of megabytes): only programmes
//! that touch the window the TV shows (from a few hours ago to two days ahead) are kept. A
//! programme without a channel, a start or a title is skipped and counted, never fatal; a file
//! that is not XMLTV at all is an error, and the TV shows channel names only.

use std::collections::HashMap;
use std::io::BufRead;

use jiff::{SignedDuration, Timestamp};
use quick_xml::events::{BytesStart, Event};

/// Programmes kept per channel, at most.
pub const MAX_PER_CHANNEL: usize = 400;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Programme {
    pub start: Timestamp,
    pub stop: Timestamp,
    pub title: String,
    pub sub_title: Option<String>,
    pub description: Option<String>,
}

/// A guide: programmes by channel id, each list in start order without overlaps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guide {
    programmes: HashMap<String, Vec<Programme>>,
    /// Display names of channel ids, lower-cased, for lineups without `tvg-id`.
    names: HashMap<String, String>,
    /// Programmes skipped because they were incomplete or broken.
    pub skipped: usize,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuideError {
    #[error("the guide is not XML: {0}")]
    Xml(String),
    #[error("the guide is not XMLTV (no <tv> element)")]
    NotXmltv,
}

/// An XMLTV time: `YYYYMMDDhhmmss ±hhmm` (seconds, minutes and the offset may be missing; no
/// offset means UTC).
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (digits, offset) = match text.split_once(' ') {
        Some((d, o)) => (d, o.trim()),
        None => (text, ""),
    };
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i32> {
        digits
            .get(from..from + len)
            .map_or(Some(0), |s| s.parse().ok())
    };
    let date =
        jiff::civil::Date::new(num(0, 4)? as i16, num(4, 2)? as i8, num(6, 2)? as i8).ok()?;
    let time =
        jiff::civil::Time::new(num(8, 2)? as i8, num(10, 2)? as i8, num(12, 2)? as i8, 0).ok()?;
    let local = date.to_datetime(time);
    let offset_seconds = if offset.is_empty() || offset.eq_ignore_ascii_case("z") || offset == "UTC"
    {
        0
    } else {
        let (sign, rest) = match offset.as_bytes().first()? {
            b'+' => (1, &offset[1..]),
            b'-' => (-1, &offset[1..]),
            _ => return None,
        };
        let rest = rest.replace(':', "");
        if rest.len() != 4 || !rest.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let h: i32 = rest[..2].parse().ok()?;
        let m: i32 = rest[2..].parse().ok()?;
        sign * (h * 3600 + m * 60)
    };
    let offset = jiff::tz::Offset::from_seconds(offset_seconds).ok()?;
    offset.to_timestamp(local).ok()
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Guide {
    /// Reads a guide, keeping programmes that end after `from` and start before `until`.
    pub fn parse(
        input: impl BufRead,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Guide, GuideError> {
        let mut reader = quick_xml::Reader::from_reader(input);
        // Text is kept as it is (spaces around an `&amp;` matter); fields are trimmed at the end.
        reader.config_mut().trim_text(false);
        let mut guide = Guide::default();
        let mut buf = Vec::new();
        let mut saw_tv = false;
        // What is being read: a programme's fields, or a channel's id.
        let mut programme: Option<(Option<String>, Option<Timestamp>, Option<Timestamp>)> = None;
        let mut fields: HashMap<&'static str, String> = HashMap::new();
        let mut channel: Option<String> = None;
        let mut field: Option<&'static str> = None;
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| GuideError::Xml(e.to_string()))?;
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.local_name();
                    match name.as_ref() {
                        b"tv" => saw_tv = true,
                        b"programme" => {
                            programme = Some((
                                attr(&e, "channel"),
                                attr(&e, "start").and_then(|t| parse_time(&t)),
                                attr(&e, "stop").and_then(|t| parse_time(&t)),
                            ));
                            fields.clear();
                        }
                        b"channel" if programme.is_none() => channel = attr(&e, "id"),
                        b"title" if programme.is_some() => field = Some("title"),
                        b"sub-title" if programme.is_some() => field = Some("sub-title"),
                        b"desc" if programme.is_some() => field = Some("desc"),
                        b"display-name" if channel.is_some() => field = Some("display-name"),
                        _ => field = None,
                    }
                }
                Event::Text(t) => {
                    if let Some(f) = field {
                        let text = t
                            .xml10_content()
                            .map_err(|e| GuideError::Xml(e.to_string()))?;
                        let text = quick_xml::escape::unescape(&text)
                            .map(|c| c.into_owned())
                            .unwrap_or_else(|_| text.into_owned());
                        fields.entry(f).or_default().push_str(&text);
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(f) = field {
                        let c = match r.resolve_char_ref() {
                            Ok(Some(c)) => Some(c),
                            _ => match &*r as &[u8] {
                                b"amp" => Some('&'),
                                b"lt" => Some('<'),
                                b"gt" => Some('>'),
                                b"quot" => Some('"'),
                                b"apos" => Some('\''),
                                _ => None,
                            },
                        };
                        if let Some(c) = c {
                            fields.entry(f).or_default().push(c);
                        }
                    }
                }
                Event::End(e) => {
                    let name = e.local_name();
                    match name.as_ref() {
                        b"programme" => {
                            if let Some(p) = programme.take() {
                                guide.finish_programme(p, &mut fields, from, until);
                            }
                        }
                        b"channel" => {
                            if let (Some(id), Some(name)) =
                                (channel.take(), fields.remove("display-name"))
                            {
                                guide.names.entry(name.trim().to_lowercase()).or_insert(id);
                            }
                            fields.clear();
                        }
                        _ => {}
                    }
                    // A field's text ends with its element; another may follow.
                    if name.as_ref() != b"programme" {
                        field = None;
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        if !saw_tv {
            return Err(GuideError::NotXmltv);
        }
        for list in guide.programmes.values_mut() {
            list.sort_by_key(|p| p.start);
            // Overlaps (a grabber's mistake): a programme ends where the next begins.
            for i in 1..list.len() {
                if list[i - 1].stop > list[i].start {
                    list[i - 1].stop = list[i].start;
                }
            }
            list.retain(|p| p.stop > p.start);
            list.truncate(MAX_PER_CHANNEL);
        }
        Ok(guide)
    }

    fn finish_programme(
        &mut self,
        (channel, start, stop): (Option<String>, Option<Timestamp>, Option<Timestamp>),
        fields: &mut HashMap<&'static str, String>,
        from: Timestamp,
        until: Timestamp,
    ) {
        let title = fields
            .remove("title")
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        let (Some(channel), Some(start), Some(title)) = (channel, start, title) else {
            self.skipped += 1;
            fields.clear();
            return;
        };
        // No stop: until the next programme (fixed after sorting), at most four hours.
        let stop = stop
            .filter(|s| *s > start)
            .unwrap_or(start + SignedDuration::from_hours(4));
        if stop <= from || start >= until {
            fields.clear();
            return;
        }
        let text = |f: &mut HashMap<&'static str, String>, k| {
            f.remove(k)
                .map(|t: String| t.trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        let programme = Programme {
            start,
            stop,
            title,
            sub_title: text(fields, "sub-title"),
            description: text(fields, "desc"),
        };
        fields.clear();
        self.programmes.entry(channel).or_default().push(programme);
    }

    /// The guide's channel id for a lineup channel: its `tvg-id` when the guide has it, else a
    /// channel whose display name is its `tvg-name` or its name.
    pub fn channel_id(&self, guide_id: Option<&str>, names: &[&str]) -> Option<String> {
        if let Some(id) = guide_id
            && self.programmes.contains_key(id)
        {
            return Some(id.to_owned());
        }
        names
            .iter()
            .find_map(|n| self.names.get(&n.trim().to_lowercase()).cloned())
            .or_else(|| guide_id.map(str::to_owned))
    }

    /// Every programme of a channel, in order.
    pub fn programmes(&self, channel_id: &str) -> &[Programme] {
        self.programmes.get(channel_id).map_or(&[], Vec::as_slice)
    }

    /// What is on now and what comes next.
    pub fn now_next(
        &self,
        channel_id: &str,
        at: Timestamp,
    ) -> (Option<&Programme>, Option<&Programme>) {
        let list = self.programmes(channel_id);
        let i = list.partition_point(|p| p.stop <= at);
        match list.get(i) {
            Some(p) if p.start <= at => (Some(p), list.get(i + 1)),
            next => (None, next),
        }
    }

    /// Programmes overlapping `from..until`.
    pub fn between(&self, channel_id: &str, from: Timestamp, until: Timestamp) -> &[Programme] {
        let list = self.programmes(channel_id);
        let a = list.partition_point(|p| p.stop <= from);
        let b = list.partition_point(|p| p.start < until);
        &list[a..b.max(a)]
    }

    pub fn is_empty(&self) -> bool {
        self.programmes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const GUIDE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "xmltv.dtd">
<tv generator-info-name="head-end">
  <channel id="news.example"><display-name lang="en">News 24</display-name><icon src="http://x/n.png"/></channel>
  <channel id="kids.example"><display-name>Kids &amp; Fun</display-name></channel>
  <programme start="20261125090000 +0000" stop="20261125100000 +0000" channel="news.example">
    <title lang="en">Morning News</title><sub-title>Headlines &amp; weather</sub-title>
    <desc lang="en">The day&#8217;s news.</desc><category>News</category>
  </programme>
  <programme start="20261125100000 +0000" stop="20261125103000 +0000" channel="news.example">
    <title>Health Matters</title>
  </programme>
  <programme start="202611251030 +0000" channel="news.example"><title>Open-ended</title></programme>
  <programme start="20261125120000 +0100" stop="20261125130000 +0100" channel="news.example"><title>Offset hour</title></programme>
  <programme start="garbage" stop="20261125120000 +0000" channel="news.example"><title>Bad start</title></programme>
  <programme start="20261125090000 +0000" stop="20261125100000 +0000"><title>No channel</title></programme>
  <programme start="20261125090000 +0000" stop="20261125100000 +0000" channel="kids.example"><desc>No title</desc></programme>
  <programme start="20261201090000 +0000" stop="20261201100000 +0000" channel="kids.example"><title>Next week</title></programme>
  <programme start="20261125083000 +0000" stop="20261125093000 +0000" channel="kids.example"><title>Cartoons</title></programme>
</tv>"#;

    fn guide() -> Guide {
        Guide::parse(
            GUIDE.as_bytes(),
            t("2026-11-25T06:00:00Z"),
            t("2026-11-27T06:00:00Z"),
        )
        .unwrap()
    }

    #[test]
    fn times_read_in_every_shape() {
        assert_eq!(
            parse_time("20261125093000 +0000"),
            Some(t("2026-11-25T09:30:00Z"))
        );
        assert_eq!(
            parse_time("20261125093000 -0500"),
            Some(t("2026-11-25T14:30:00Z"))
        );
        assert_eq!(parse_time("202611250930"), Some(t("2026-11-25T09:30:00Z")));
        assert_eq!(parse_time("20261125"), Some(t("2026-11-25T00:00:00Z")));
        assert_eq!(
            parse_time("20261125093000 +01:00"),
            Some(t("2026-11-25T08:30:00Z"))
        );
        for bad in [
            "",
            "2026",
            "2026112a",
            "20261325093000",
            "20261125093000 0100",
            "20261125253000",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn programmes_read_with_text_entities_and_skips_counted() {
        let g = guide();
        let news = g.programmes("news.example");
        let titles: Vec<&str> = news.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Morning News",
                "Health Matters",
                "Open-ended",
                "Offset hour"
            ]
        );
        assert_eq!(news[0].sub_title.as_deref(), Some("Headlines & weather"));
        assert_eq!(
            news[0].description.as_deref(),
            Some("The day\u{2019}s news.")
        );
        assert_eq!(
            news[2].stop,
            t("2026-11-25T11:00:00Z"),
            "an open end stops at the next start"
        );
        assert_eq!(news[3].start, t("2026-11-25T11:00:00Z"), "12:00 at +01:00");
        assert_eq!(g.skipped, 3, "bad start, no channel, no title");
        assert_eq!(
            g.programmes("kids.example").len(),
            1,
            "next week is outside the window"
        );
    }

    #[test]
    fn now_and_next_and_a_window() {
        let g = guide();
        let (now, next) = g.now_next("news.example", t("2026-11-25T09:41:00Z"));
        assert_eq!(now.unwrap().title, "Morning News");
        assert_eq!(next.unwrap().title, "Health Matters");
        let (now, next) = g.now_next("news.example", t("2026-11-25T08:00:00Z"));
        assert!(now.is_none());
        assert_eq!(next.unwrap().title, "Morning News");
        assert_eq!(
            g.now_next("nobody", t("2026-11-25T08:00:00Z")),
            (None, None)
        );
        let between = g.between(
            "news.example",
            t("2026-11-25T09:50:00Z"),
            t("2026-11-25T10:20:00Z"),
        );
        assert_eq!(between.len(), 2);
    }

    #[test]
    fn channels_match_by_id_or_by_name() {
        let g = guide();
        assert_eq!(
            g.channel_id(Some("news.example"), &[]).as_deref(),
            Some("news.example")
        );
        assert_eq!(
            g.channel_id(None, &["KIDS & FUN"]).as_deref(),
            Some("kids.example")
        );
        assert_eq!(g.channel_id(None, &["Nope"]), None);
    }

    #[test]
    fn what_is_not_xmltv_is_an_error() {
        let w = (t("2026-11-25T06:00:00Z"), t("2026-11-27T06:00:00Z"));
        assert!(matches!(
            Guide::parse(&b"<html><body/></html>"[..], w.0, w.1),
            Err(GuideError::NotXmltv)
        ));
        assert!(matches!(
            Guide::parse(&b"<tv><programme></tv>"[..], w.0, w.1),
            Err(GuideError::Xml(_))
        ));
        assert!(Guide::parse(&b"<tv/>"[..], w.0, w.1).unwrap().is_empty());
    }
}
