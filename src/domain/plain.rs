//! Plain-language rules: how a result is flagged, how a time is said, what a care-team role is
//! called. Written for a patient reading from the bed, not for a clinician.

use jiff::civil::Date;
use jiff::{Timestamp, Zoned};

use super::clock::{self, ClockStyle};

/// How a result compares with its reference range (the screen says it in words).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Flag {
    /// No range or interpretation to compare with.
    #[default]
    None,
    Normal,
    High,
    Low,
    /// Far outside the range, or flagged critical by the laboratory.
    Critical,
}

impl Flag {
    /// The flag for a value: the laboratory's own interpretation code wins (v3
    /// ObservationInterpretation: N, H, L, HH, LL, HU, LU, A, AA); otherwise the value against
    /// the reference range, critical when beyond the range by more than its own width.
    pub fn of(value: Option<f64>, low: Option<f64>, high: Option<f64>, code: Option<&str>) -> Flag {
        match code {
            Some("N") => return Flag::Normal,
            Some("H" | "HU" | ">") => return Flag::High,
            Some("L" | "LU" | "<") => return Flag::Low,
            Some("HH" | "LL" | "AA" | "CR") => return Flag::Critical,
            _ => {}
        }
        let Some(v) = value else {
            return Flag::None;
        };
        let width = match (low, high) {
            (Some(l), Some(h)) if h > l => Some(h - l),
            _ => None,
        };
        let far = |by: f64| width.is_some_and(|w| by > w);
        match (low, high) {
            (_, Some(h)) if v > h => {
                if far(v - h) {
                    Flag::Critical
                } else {
                    Flag::High
                }
            }
            (Some(l), _) if v < l => {
                if far(l - v) {
                    Flag::Critical
                } else {
                    Flag::Low
                }
            }
            (None, None) => Flag::None,
            _ => Flag::Normal,
        }
    }
}

/// A moment said the way a person would: "in 40 minutes", "2 hours ago", "today at 14:05",
/// "tomorrow at 09:00", "yesterday", "3 days ago", "12 March 2021".
pub fn when(at: Timestamp, now: &Zoned, style: ClockStyle) -> String {
    let local = at.to_zoned(now.time_zone().clone());
    let minutes = (at.as_second() - now.timestamp().as_second()) / 60;
    let day_diff = days_between(now.date(), local.date());
    let time = clock::format_time(local.time(), style);
    match minutes {
        0 => "now".into(),
        1..=59 => plural(minutes, "in 1 minute", "in {} minutes"),
        -59..=-1 => plural(-minutes, "1 minute ago", "{} minutes ago"),
        _ if day_diff == 0 && minutes.abs() < 180 => {
            let h = minutes.abs() / 60;
            if minutes > 0 {
                plural(h, "in 1 hour", "in {} hours")
            } else {
                plural(h, "1 hour ago", "{} hours ago")
            }
        }
        _ => match day_diff {
            0 => format!("today at {time}"),
            1 => format!("tomorrow at {time}"),
            -1 => format!("yesterday at {time}"),
            -6..=-2 => format!("{} days ago", -day_diff),
            2..=6 => format!("in {day_diff} days"),
            _ => long_date(local.date()),
        },
    }
}

/// A moment said as a clock time, for sentences about a time of day ("until 19:00"): "19:00"
/// today, "tomorrow at 07:00", "yesterday at 19:00", else "on 12 March at 07:00".
pub fn clock_when(at: Timestamp, now: &Zoned, style: ClockStyle) -> String {
    clock_words(at, now, style).1
}

/// [`clock_when`] after a verb in the past: "at 19:00" today ("Shift ended at 19:00").
pub fn clock_when_past(at: Timestamp, now: &Zoned, style: ClockStyle) -> String {
    match clock_words(at, now, style) {
        (true, time) => format!("at {time}"),
        (false, said) => said,
    }
}

/// Whether `at` is today, and the words for it ("19:00", "tomorrow at 07:00", ...).
fn clock_words(at: Timestamp, now: &Zoned, style: ClockStyle) -> (bool, String) {
    let local = at.to_zoned(now.time_zone().clone());
    let time = clock::format_time(local.time(), style);
    match days_between(now.date(), local.date()) {
        0 => (true, time),
        1 => (false, format!("tomorrow at {time}")),
        -1 => (false, format!("yesterday at {time}")),
        _ => (false, format!("on {} at {time}", long_date(local.date()))),
    }
}

/// "12 March 2021".
pub fn long_date(d: Date) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "{} {} {}",
        d.day(),
        MONTHS[d.month() as usize - 1],
        d.year()
    )
}

fn days_between(a: Date, b: Date) -> i64 {
    // A Date span's largest unit is days by default.
    a.until(b).map_or(0, |span| i64::from(span.get_days()))
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        many.replace("{}", &n.to_string())
    }
}

/// A care-team role in plain words. Known clinical role names are rewritten ("RN" → "Your
/// nurse"); an unknown one is shown as written, never dropped.
pub fn role_name(role: &str) -> String {
    let r = role.trim().to_ascii_lowercase();
    let has = |w: &str| {
        r.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|t| t == w)
    };
    if r.is_empty() {
        "Care team".into()
    } else if r.contains("attending")
        || has("atnd")
        || r.contains("primary performer")
        || has("pprf")
    {
        "Attending doctor".into()
    } else if r.contains("nurse practitioner") || has("np") {
        "Nurse practitioner".into()
    } else if r.contains("nurse") || has("rn") || has("lpn") {
        "Your nurse".into()
    } else if r.contains("physical therap") || has("pt") {
        "Physical therapist".into()
    } else if r.contains("occupational therap") || has("ot") {
        "Occupational therapist".into()
    } else if r.contains("pharmac") {
        "Pharmacist".into()
    } else if r.contains("dietit") || r.contains("nutrition") {
        "Dietitian".into()
    } else if r.contains("social work") {
        "Social worker".into()
    } else if r.contains("resident") || r.contains("intern") {
        "Doctor in training".into()
    } else if r.contains("physician") || r.contains("doctor") || has("md") || has("consultant") {
        "Doctor".into()
    } else {
        let mut c = role.trim().chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    }
}

/// A laboratory test's name without the laboratory's qualifiers: LOINC's long names say how and
/// in what it was measured ("Albumin [Mass/volume] in Serum or Plasma"); the patient needs
/// "Albumin".
pub fn lab_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0;
    for c in name.chars() {
        match c {
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let mut short = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for cut in [" in ", " by ", " of Blood", " of Serum", " of Urine"] {
        if let Some(at) = short.find(cut)
            && at > 0
        {
            short.truncate(at);
        }
    }
    if short.trim().is_empty() {
        name.trim().to_owned()
    } else {
        short.trim().to_owned()
    }
}

/// How often, from a FHIR Timing.repeat: "once a day", "twice a day", "every 8 hours".
pub fn how_often(
    frequency: Option<u64>,
    period: Option<f64>,
    unit: Option<&str>,
) -> Option<String> {
    let f = frequency.unwrap_or(1);
    let p = period?;
    let unit_word = match unit? {
        "h" => "hour",
        "d" => "day",
        "wk" => "week",
        "mo" => "month",
        "min" => "minute",
        _ => return None,
    };
    let times = match f {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    };
    Some(if (p - 1.0).abs() < f64::EPSILON {
        format!("{times} a {unit_word}")
    } else if f == 1 {
        format!("every {} {unit_word}s", trim_number(p))
    } else {
        format!("{times} every {} {unit_word}s", trim_number(p))
    })
}

/// SNOMED CT displays end in a semantic tag for terminologists ("Hypertension (disorder)",
/// "Care plan (record artifact)"); patients read the words without it. Other brackets stay.
pub fn without_semantic_tag(text: &str) -> &str {
    const TAGS: [&str; 14] = [
        "disorder",
        "finding",
        "procedure",
        "record artifact",
        "regime/therapy",
        "situation",
        "observable entity",
        "substance",
        "product",
        "medicinal product",
        "qualifier value",
        "morphologic abnormality",
        "person",
        "body structure",
    ];
    let trimmed = text.trim_end();
    if let Some(open) = trimmed.rfind(" (")
        && trimmed.ends_with(')')
        && TAGS.contains(&&trimmed[open + 2..trimmed.len() - 1])
    {
        return trimmed[..open].trim_end();
    }
    trimmed
}

/// 7.0 → "7", 7.25 → "7.25", never more than 2 decimals.
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_lab_then_the_range() {
        assert_eq!(
            Flag::of(Some(5.0), Some(3.0), Some(7.0), None),
            Flag::Normal
        );
        assert_eq!(Flag::of(Some(8.0), Some(3.0), Some(7.0), None), Flag::High);
        assert_eq!(Flag::of(Some(2.0), Some(3.0), Some(7.0), None), Flag::Low);
        assert_eq!(
            Flag::of(Some(12.0), Some(3.0), Some(7.0), None),
            Flag::Critical
        );
        assert_eq!(
            Flag::of(Some(100.0), None, Some(7.0), None),
            Flag::High,
            "no width: not critical"
        );
        assert_eq!(
            Flag::of(Some(5.0), None, None, None),
            Flag::None,
            "no range"
        );
        assert_eq!(Flag::of(None, Some(3.0), Some(7.0), None), Flag::None);
        assert_eq!(
            Flag::of(Some(5.0), Some(3.0), Some(7.0), Some("HH")),
            Flag::Critical
        );
        assert_eq!(Flag::of(Some(5.0), None, None, Some("L")), Flag::Low);
    }

    fn at(s: &str) -> Zoned {
        s.parse().unwrap()
    }

    #[test]
    fn times_are_said_plainly() {
        let now = at("2026-11-25T09:41:00+00:00[UTC]");
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let say = |s: &str| when(t(s), &now, ClockStyle::TwentyFourHour);
        assert_eq!(say("2026-11-25T09:41:20Z"), "now");
        assert_eq!(say("2026-11-25T10:21:00Z"), "in 40 minutes");
        assert_eq!(say("2026-11-25T09:40:00Z"), "1 minute ago");
        assert_eq!(say("2026-11-25T07:30:00Z"), "2 hours ago");
        assert_eq!(say("2026-11-25T16:00:00Z"), "today at 16:00");
        assert_eq!(say("2026-11-26T09:00:00Z"), "tomorrow at 09:00");
        assert_eq!(say("2026-11-24T14:05:00Z"), "yesterday at 14:05");
        assert_eq!(say("2026-11-21T08:00:00Z"), "4 days ago");
        assert_eq!(say("2021-03-12T08:00:00Z"), "12 March 2021");
        assert_eq!(
            when(t("2026-11-25T16:00:00Z"), &now, ClockStyle::TwelveHour),
            "today at 4:00 PM"
        );
    }

    #[test]
    fn clock_times_in_sentences_are_clock_times() {
        let now = at("2026-11-25T18:19:00+00:00[UTC]");
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let say = |s: &str| clock_when(t(s), &now, ClockStyle::TwentyFourHour);
        assert_eq!(say("2026-11-25T19:00:00Z"), "19:00", "not 'in 41 minutes'");
        assert_eq!(say("2026-11-26T07:00:00Z"), "tomorrow at 07:00");
        assert_eq!(say("2026-11-24T19:00:00Z"), "yesterday at 19:00");
        assert_eq!(say("2026-11-28T07:00:00Z"), "on 28 November 2026 at 07:00");
        assert_eq!(
            clock_when_past(t("2026-11-25T17:00:00Z"), &now, ClockStyle::TwentyFourHour),
            "at 17:00"
        );
    }

    #[test]
    fn roles_in_plain_words() {
        assert_eq!(role_name("RN"), "Your nurse");
        assert_eq!(role_name("Registered nurse"), "Your nurse");
        assert_eq!(role_name("attender"), "Attender", "unknown: as written");
        assert_eq!(role_name("Attending physician"), "Attending doctor");
        assert_eq!(role_name("primary performer"), "Attending doctor");
        assert_eq!(role_name("Physical therapist"), "Physical therapist");
        assert_eq!(role_name("Nurse practitioner"), "Nurse practitioner");
        assert_eq!(role_name("chaplain"), "Chaplain");
        assert_eq!(role_name(""), "Care team");
    }

    #[test]
    fn lab_names_lose_the_laboratory_qualifiers() {
        assert_eq!(
            lab_name("Albumin [Mass/volume] in Serum or Plasma"),
            "Albumin"
        );
        assert_eq!(
            lab_name("Hematocrit [Volume Fraction] of Blood by Automated count"),
            "Hematocrit"
        );
        assert_eq!(lab_name("Glucose"), "Glucose");
        assert_eq!(lab_name("[weird]"), "[weird]", "never empty");
        assert_eq!(
            lab_name("Hemoglobin A1c/Hemoglobin.total in Blood"),
            "Hemoglobin A1c/Hemoglobin.total"
        );
    }

    #[test]
    fn how_often_in_words() {
        assert_eq!(
            how_often(Some(1), Some(1.0), Some("d")).unwrap(),
            "once a day"
        );
        assert_eq!(
            how_often(Some(2), Some(1.0), Some("d")).unwrap(),
            "twice a day"
        );
        assert_eq!(
            how_often(Some(1), Some(8.0), Some("h")).unwrap(),
            "every 8 hours"
        );
        assert_eq!(
            how_often(Some(3), Some(1.0), Some("d")).unwrap(),
            "3 times a day"
        );
        assert_eq!(how_often(None, None, Some("d")), None);
        assert_eq!(trim_number(7.0), "7");
        assert_eq!(trim_number(7.256), "7.26");
    }

    #[test]
    fn snomed_semantic_tags_are_dropped_and_other_brackets_kept() {
        assert_eq!(
            without_semantic_tag("Hypertension (disorder)"),
            "Hypertension"
        );
        assert_eq!(
            without_semantic_tag("Care plan (record artifact)"),
            "Care plan"
        );
        assert_eq!(
            without_semantic_tag("Hypertension (high blood pressure)"),
            "Hypertension (high blood pressure)"
        );
        assert_eq!(without_semantic_tag("(finding)"), "(finding)");
        assert_eq!(
            without_semantic_tag("Body mass index 30+ - obesity (finding)"),
            "Body mass index 30+ - obesity"
        );
    }
}
