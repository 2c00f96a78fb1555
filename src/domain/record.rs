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

    pub fn title(self) -> &'static str {
        match self {
            Section::CareTeam => "My care team",
            Section::Today => "Today and tomorrow",
            Section::Medications => "Medicines",
            Section::Allergies => "Allergies",
            Section::Problems => "Health problems",
            Section::Results => "Test results",
            Section::Vitals => "Vital signs",
            Section::DietAndGoals => "Diet and goals",
        }
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
        }
    }

    /// For sorting: newest first needs a key.
    pub fn key(&self) -> i64 {
        match self {
            When::Unknown => i64::MIN,
            When::At(_, t) => t.as_second(),
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
}

impl Record {
    pub fn rows(&self, section: Section) -> &[Row] {
        &self.sections[section.index()]
    }

    pub fn set(&mut self, section: Section, rows: Vec<Row>) {
        self.sections[section.index()] = rows;
    }

    /// How many rows each section has, in menu order.
    pub fn counts(&self) -> [usize; 8] {
        std::array::from_fn(|i| self.sections[i].len())
    }
}
