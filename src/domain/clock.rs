//! What the header says about the time: the clock, the date and the greeting.

use jiff::civil::{Date, Time};
use serde::Deserialize;

/// The part of the day, for the greeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayPart {
    Morning,
    Afternoon,
    Evening,
    /// Midnight to five: "Hello", not "Good evening" to someone awake at 3 a.m.
    Night,
}

pub fn day_part(time: Time) -> DayPart {
    match time.hour() {
        5..=11 => DayPart::Morning,
        12..=17 => DayPart::Afternoon,
        18..=23 => DayPart::Evening,
        _ => DayPart::Night,
    }
}

/// How the clock is written. Hospitals differ (US wards read 12-hour time), so it is configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum ClockStyle {
    #[default]
    #[serde(rename = "24h")]
    TwentyFourHour,
    #[serde(rename = "12h")]
    TwelveHour,
}

pub fn format_time(time: Time, style: ClockStyle) -> String {
    match style {
        ClockStyle::TwentyFourHour => time.strftime("%H:%M").to_string(),
        ClockStyle::TwelveHour => time.strftime("%-I:%M %p").to_string(),
    }
}

/// "Wednesday 25 November": the day of the week first, because in hospital that is the part
/// people lose track of.
pub fn format_date(date: Date) -> String {
    date.strftime("%A %-d %B").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn greetings_follow_the_hour() {
        assert_eq!(day_part(time(4, 59, 0, 0)), DayPart::Night);
        assert_eq!(day_part(time(5, 0, 0, 0)), DayPart::Morning);
        assert_eq!(day_part(time(11, 59, 0, 0)), DayPart::Morning);
        assert_eq!(day_part(time(12, 0, 0, 0)), DayPart::Afternoon);
        assert_eq!(day_part(time(18, 0, 0, 0)), DayPart::Evening);
        assert_eq!(day_part(time(0, 0, 0, 0)), DayPart::Night);
    }

    #[test]
    fn clock_styles() {
        let t = time(21, 5, 0, 0);
        assert_eq!(format_time(t, ClockStyle::TwentyFourHour), "21:05");
        assert_eq!(format_time(t, ClockStyle::TwelveHour), "9:05 PM");
        assert_eq!(
            format_time(time(0, 30, 0, 0), ClockStyle::TwelveHour),
            "12:30 AM"
        );
        assert_eq!(
            format_time(time(7, 0, 0, 0), ClockStyle::TwentyFourHour),
            "07:00"
        );
    }

    #[test]
    fn date_reads_weekday_day_month() {
        assert_eq!(format_date(date(2026, 11, 25)), "Wednesday 25 November");
        assert_eq!(format_date(date(2027, 1, 3)), "Sunday 3 January");
    }
}
