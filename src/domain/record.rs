//! The patient's own record as the My health screens show it: sections of plain rows, built
//! from the store by `fhir::record` after every sync pass.

use jiff::civil::Date;
use jiff::{Timestamp, Zoned};

use super::clock::ClockStyle;
use super::plain::{self, Flag};

/// The sections of My health, in the order of its menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    CareTeam,
    Today,
    Medications,
    Allergies,
    Problems,
    Results,
    Vitals,
    DietAndGoals,
}

impl Section {
    pub const ALL: [Section; 8] = [
        Section::CareTeam,
        Section::Today,
        Section::Medications,
        Section::Allergies,
        Section::Problems,
        Section::Results,
        Section::Vitals,
        Section::DietAndGoals,
    ];

    pub fn index(self) -> usize {
        Section::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// One line of a section: what it is, more about it, a value, a flag and when.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub title: String,
    pub detail: String,
    pub value: String,
    pub flag: Flag,
    pub when: When,
    /// For results and vital signs: every value of this test, for the trend screen.
    pub trend: Option<Trend>,
    /// A picture of the person (care team), as the backend sent it.
    pub photo: Option<Photo>,
}

/// A picture, decoded and made small enough for the screen: RGBA pixels, row by row.
#[derive(Clone, PartialEq)]
pub struct Photo {
    pub width: u32,
    pub height: u32,
    pub rgba: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({}x{})", self.width, self.height)
    }
}

/// A test's values over time, oldest first, with the normal range of the latest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trend {
    pub unit: String,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub points: Vec<Point>,
}

/// One value of a test.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub at: Timestamp,
    /// The number, when the value is one (a blood pressure's is the systolic).
    pub value: Option<f64>,
    /// A second number measured with it: a blood pressure's diastolic.
    pub second: Option<f64>,
    /// The value as the patient reads it: "7.2 mmol/L", "128/82 mmHg", "Positive".
    pub text: String,
    pub flag: Flag,
}

/// Where a trend's numbers sit on a chart: every coordinate a fraction 0..1 of the chart's
/// width (oldest left) and height (0 at the bottom), with the range of values the height spans.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// One per numeric value, oldest first.
    pub points: Vec<ChartPoint>,
    /// The normal range as fractions of the height, when the test has one.
    pub band: Option<(f64, f64)>,
    /// The values at the bottom and the top of the chart.
    pub bottom: f64,
    pub top: f64,
}

/// Where one value sits on a chart (fractions; `y2` for a blood pressure's second number),
/// with when it was measured and whether it was out of range, for the dot's label and colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChartPoint {
    pub x: f64,
    pub y: f64,
    pub y2: Option<f64>,
    pub at: Timestamp,
    pub flag: Flag,
}

/// Most points a chart draws: the newest ones. More would be a smear on a TV across a room.
pub const CHART_POINTS: usize = 40;

impl Trend {
    /// The chart of the numeric values, or None when fewer than two values are numbers.
    /// Points are spaced by time, the value axis spans the values and the normal range with a
    /// margin, rounded outwards to readable numbers.
    pub fn chart(&self) -> Option<Chart> {
        let numeric: Vec<&Point> = self.points.iter().filter(|p| p.value.is_some()).collect();
        let numeric = &numeric[numeric.len().saturating_sub(CHART_POINTS)..];
        if numeric.len() < 2 {
            return None;
        }
        let values = numeric
            .iter()
            .flat_map(|p| p.value.into_iter().chain(p.second))
            .chain(self.low)
            .chain(self.high);
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
        let (bottom, top) = nice_bounds(lo - span * 0.1, hi + span * 0.1);
        let bottom = if lo >= 0.0 { bottom.max(0.0) } else { bottom };
        let y = |v: f64| ((v - bottom) / (top - bottom)).clamp(0.0, 1.0);
        let first = numeric[0].at.as_second() as f64;
        let last = numeric[numeric.len() - 1].at.as_second() as f64;
        let x = |p: &Point| {
            if last > first {
                (p.at.as_second() as f64 - first) / (last - first)
            } else {
                0.5
            }
        };
        let band = match (self.low, self.high) {
            (None, None) => None,
            (low, high) => Some((y(low.unwrap_or(bottom)), y(high.unwrap_or(top)))),
        };
        Some(Chart {
            points: numeric
                .iter()
                .map(|p| ChartPoint {
                    x: x(p),
                    y: y(p.value.unwrap_or(bottom)),
                    y2: p.second.map(y),
                    at: p.at,
                    flag: p.flag,
                })
                .collect(),
            band,
            bottom,
            top,
        })
    }
}

/// Widens `lo..hi` to multiples of a round step (1, 2 or 5 times a power of ten) so the axis
/// reads "60 … 120", not "57.3 … 118.9".
fn nice_bounds(lo: f64, hi: f64) -> (f64, f64) {
    let raw = (hi - lo) / 4.0;
    if !(raw.is_finite() && raw > 0.0) {
        return (lo, hi);
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// When something happened or will, kept as a time so the screen can say it relative to the
/// clock it shows ("in 40 minutes" stays true as the minutes pass).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum When {
    #[default]
    Unknown,
    /// "Last given 2 hours ago": a prefix and a moment said relative to now.
    At(&'static str, Timestamp),
    /// "Since 12 March 2021": a prefix and a calendar date.
    On(&'static str, Date),
    /// Something planned for a time (an appointment): "In 40 minutes", "Tomorrow at 09:00";
    /// once it has passed, "Earlier today at 14:00".
    Planned(Timestamp),
    /// The end of a care-team member's shift, said as a clock time: "On shift until 19:00",
    /// "On shift until tomorrow at 07:00"; once it has passed, "Shift ended at 19:00".
    ShiftEnds(Timestamp),
}

impl When {
    pub fn text(&self, now: &Zoned, style: ClockStyle) -> String {
        let join = |prefix: &str, rest: String| {
            if prefix.is_empty() {
                let mut c = rest.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            } else {
                format!("{prefix} {rest}")
            }
        };
        match self {
            When::Unknown => String::new(),
            When::At(prefix, t) => join(prefix, plain::when(*t, now, style)),
            When::On(prefix, d) => join(prefix, plain::long_date(*d)),
            When::Planned(t) if *t >= now.timestamp() => join("", plain::when(*t, now, style)),
            When::Planned(t) => {
                let local = t.to_zoned(now.time_zone().clone());
                let time = super::clock::format_time(local.time(), style);
                if local.date() == now.date() {
                    format!("Earlier today at {time}")
                } else {
                    join("", plain::when(*t, now, style))
                }
            }
            When::ShiftEnds(t) if *t > now.timestamp() => {
                format!("On shift until {}", plain::clock_when(*t, now, style))
            }
            When::ShiftEnds(t) => format!("Shift ended {}", plain::clock_when_past(*t, now, style)),
        }
    }

    /// For sorting: newest first needs a key.
    pub fn key(&self) -> i64 {
        match self {
            When::Unknown => i64::MIN,
            When::At(_, t) | When::Planned(t) | When::ShiftEnds(t) => t.as_second(),
            When::On(_, d) => d
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_or(i64::MIN, |z| z.timestamp().as_second()),
        }
    }
}

/// Every section's rows. Empty sections say "Nothing here yet" on screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    sections: [Vec<Row>; 8],
    /// The Practitioner ids on the patient's care team now (CareTeam members whose period has
    /// not ended, directly or through a PractitionerRole; else the current encounter's
    /// participants): who among signed-in staff may open this record.
    care_team: Vec<String>,
    /// Family and caregivers the record names (Patient.contact, RelatedPerson): who may call
    /// the bed as family, unless staff set them as not allowed.
    family: Vec<super::family::Member>,
    /// What the care team assigned the patient to learn, in the order of what to do next.
    learn: Vec<super::learn::Assignment>,
    /// What staff can assign from the hospital's catalogue.
    catalogue: Vec<super::learn::CatalogueItem>,
}

impl Record {
    pub fn rows(&self, section: Section) -> &[Row] {
        &self.sections[section.index()]
    }

    pub fn set(&mut self, section: Section, rows: Vec<Row>) {
        self.sections[section.index()] = rows;
    }

    /// Whether `practitioner` ("Practitioner/123", or a longer URL ending so) is on the
    /// patient's care team now.
    pub fn on_care_team(&self, practitioner: &str) -> bool {
        let id = practitioner
            .rsplit_once("Practitioner/")
            .map_or(practitioner, |(_, id)| id);
        !id.is_empty() && self.care_team.iter().any(|m| m == id)
    }

    pub fn set_care_team(&mut self, ids: Vec<String>) {
        self.care_team = ids;
    }

    pub fn family(&self) -> &[super::family::Member] {
        &self.family
    }

    pub fn set_family(&mut self, family: Vec<super::family::Member>) {
        self.family = family;
    }

    pub fn learn(&self) -> &[super::learn::Assignment] {
        &self.learn
    }

    pub fn set_learn(&mut self, learn: Vec<super::learn::Assignment>) {
        self.learn = learn;
    }

    pub fn catalogue(&self) -> &[super::learn::CatalogueItem] {
        &self.catalogue
    }

    pub fn set_catalogue(&mut self, catalogue: Vec<super::learn::CatalogueItem>) {
        self.catalogue = catalogue;
    }

    /// How many rows each section has, in menu order.
    pub fn counts(&self) -> [usize; 8] {
        std::array::from_fn(|i| self.sections[i].len())
    }

    /// What of "Today and tomorrow" is still ahead at `now`: planned things not yet started and
    /// the day home.
    pub fn ahead(&self, now: Timestamp) -> usize {
        self.rows(Section::Today)
            .iter()
            .filter(|r| !matches!(r.when, When::Planned(t) if t < now))
            .count()
    }

    /// Puts "Today and tomorrow" in the order a patient reads it at `now`: what is still ahead,
    /// soonest first, then the rest (the day home), then what has passed, latest first. Returns
    /// whether anything moved.
    pub fn arrange_today(&mut self, now: Timestamp) -> bool {
        let rows = &mut self.sections[Section::Today.index()];
        let before: Vec<i64> = rows.iter().map(|r| r.when.key()).collect();
        rows.sort_by_key(|r| match r.when {
            When::Planned(t) if t >= now => (0, t.as_second()),
            When::Planned(t) => (2, -t.as_second()),
            _ => (1, 0),
        });
        rows.iter().map(|r| r.when.key()).ne(before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(day: i64, value: f64) -> Point {
        Point {
            at: Timestamp::from_second(1_700_000_000 + day * 86_400).unwrap(),
            value: Some(value),
            second: None,
            text: String::new(),
            flag: Flag::None,
        }
    }

    #[test]
    fn what_has_passed_today_goes_below_and_is_not_counted_ahead() {
        let now: Zoned = "2026-11-25T18:19:00+00:00[UTC]".parse().unwrap();
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let planned = |title: &str, at: &str| Row {
            title: title.into(),
            when: When::Planned(t(at)),
            ..Row::default()
        };
        let mut record = Record::default();
        record.set(
            Section::Today,
            vec![
                planned("Physiotherapy", "2026-11-25T14:00:00Z"),
                planned("Blood test", "2026-11-25T08:00:00Z"),
                planned("Scan", "2026-11-26T09:30:00Z"),
                planned("Medicines round", "2026-11-25T20:00:00Z"),
                Row {
                    title: "Expected to go home".into(),
                    when: When::On("", now.date().tomorrow().unwrap()),
                    ..Row::default()
                },
            ],
        );
        assert_eq!(record.ahead(now.timestamp()), 3);
        assert!(record.arrange_today(now.timestamp()));
        let order: Vec<&str> = record
            .rows(Section::Today)
            .iter()
            .map(|r| r.title.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "Medicines round",
                "Scan",
                "Expected to go home",
                "Physiotherapy",
                "Blood test"
            ]
        );
        assert!(!record.arrange_today(now.timestamp()), "already in order");
        let said = |i: usize| {
            record.rows(Section::Today)[i]
                .when
                .text(&now, ClockStyle::TwentyFourHour)
        };
        assert_eq!(said(3), "Earlier today at 14:00");
        assert_eq!(said(0), "In 1 hour");
        assert_eq!(said(1), "Tomorrow at 09:30");
    }

    #[test]
    fn a_shift_ends_at_a_clock_time() {
        let now: Zoned = "2026-11-25T18:19:00+00:00[UTC]".parse().unwrap();
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let say = |w: When| w.text(&now, ClockStyle::TwentyFourHour);
        assert_eq!(
            say(When::ShiftEnds(t("2026-11-25T19:00:00Z"))),
            "On shift until 19:00"
        );
        assert_eq!(
            say(When::ShiftEnds(t("2026-11-26T07:00:00Z"))),
            "On shift until tomorrow at 07:00"
        );
        assert_eq!(
            say(When::ShiftEnds(t("2026-11-25T17:00:00Z"))),
            "Shift ended at 17:00"
        );
    }

    #[test]
    fn a_chart_spaces_points_by_time_and_spans_values_and_the_normal_range() {
        let trend = Trend {
            unit: "mg/dL".into(),
            low: Some(70.0),
            high: Some(99.0),
            points: vec![point(0, 90.0), point(1, 130.0), point(4, 110.0)],
        };
        let chart = trend.chart().unwrap();
        assert_eq!((chart.bottom, chart.top), (60.0, 140.0));
        let xs: Vec<f64> = chart.points.iter().map(|p| p.x).collect();
        assert_eq!(xs, [0.0, 0.25, 1.0], "by time, not by index");
        let (lo, hi) = chart.band.unwrap();
        assert!((lo - 0.125).abs() < 1e-9 && (hi - 0.4875).abs() < 1e-9);
        assert!(chart.points.iter().all(|p| (0.0..=1.0).contains(&p.y)));
    }

    #[test]
    fn one_value_or_words_make_no_chart() {
        let mut trend = Trend {
            points: vec![point(0, 5.0)],
            ..Trend::default()
        };
        assert_eq!(trend.chart(), None);
        trend.points.push(Point {
            value: None,
            text: "Positive".into(),
            ..point(1, 0.0)
        });
        assert_eq!(trend.chart(), None);
    }

    #[test]
    fn the_same_value_every_time_still_draws_a_flat_line_inside_the_chart() {
        let trend = Trend {
            points: (0..30).map(|d| point(d, 37.0)).collect(),
            ..Trend::default()
        };
        let chart = trend.chart().unwrap();
        assert!(chart.bottom < 37.0 && chart.top > 37.0);
        assert!(chart.points.iter().all(|p| p.y > 0.0 && p.y < 1.0));
        assert_eq!(chart.band, None);
    }

    #[test]
    fn a_chart_keeps_the_newest_points_only() {
        let trend = Trend {
            points: (0..300).map(|d| point(d, d as f64)).collect(),
            ..Trend::default()
        };
        let chart = trend.chart().unwrap();
        assert_eq!(chart.points.len(), CHART_POINTS);
        assert!(
            chart.bottom >= 200.0,
            "only the newest values set the scale: {}",
            chart.bottom
        );
    }
}
