//! What the far end of a call sees of a record view a member of staff shares ("Share in the
//! call" on the clinician home): the view on the TV, as data the care-team page draws, sent
//! on the call's data channel. Data rather than a second video track: the text stays sharp
//! and readable at any size on the far end (an interpreter can read it out, a doctor can zoom
//! it), it costs the box no second encoder on its two cores, and it needs no renegotiation.
//! The page draws the same rows the TV shows, in the same order, with the focused row marked.
//!
//! The message (version 1; docs/calls.md):
//! `{"v":1,"view":{"shownBy":"Ana Ruiz (Nurse)","kind":"list"|"trend"|"hidden","title":..,
//! "focus":n,"rows":[{"title","detail","value","when","flag"}], "unit","low","high",
//! "points":[{"at","text","value","flag"}]}}`, or `{"v":1,"view":null}` when sharing stops.

use serde_json::{Value, json};

use super::State;
use crate::domain::plain::Flag;
use crate::domain::record::{CHART_POINTS, Row, Section, When};
use crate::domain::shell::Screen;

/// Rows sent at most (a long list of results: the newest first, as the TV lists them).
const MOST_ROWS: usize = 100;

/// The section's title as the TV shows it (my-health.slint's `Sections.titles`).
fn title(section: Section) -> &'static str {
    match section {
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

fn flag(flag: Flag) -> &'static str {
    match flag {
        Flag::None => "",
        Flag::Normal => "normal",
        Flag::High => "high",
        Flag::Low => "low",
        Flag::Critical => "critical",
    }
}

/// The view on screen as the far end is to see it, or None when nothing is shared.
pub(super) fn shared_view(state: &State) -> Option<String> {
    let shell = &state.shell;
    if !shell.sharing() {
        return None;
    }
    let by = shell
        .staff()
        .session()
        .map(|s| format!("{} ({})", s.staff.name, s.staff.role))
        .unwrap_or_default();
    let zoned = state
        .time
        .now()
        .to_zoned(jiff::tz::TimeZone::system())
        .unwrap_or_else(|_| jiff::Zoned::now());
    let when = |w: &When| w.text(&zoned, state.clock_style);
    let row = |r: &Row| {
        json!({
            "title": r.title, "detail": r.detail, "value": r.value,
            "when": when(&r.when), "flag": flag(r.flag),
        })
    };
    let record = &state.record;
    let mut view = if shell.private() {
        // The patient hid their record on the TV: the far end sees it hidden too.
        json!({"kind": "hidden", "title": "Hidden on the TV by the patient"})
    } else {
        match shell.screen() {
            Screen::MyHealth => json!({
                "kind": "list",
                "title": "My health",
                "focus": shell.focus(),
                "rows": Section::ALL.iter().map(|s| json!({
                    "title": title(*s),
                    "detail": "",
                    "value": record.rows(*s).len().to_string(),
                    "when": "", "flag": "",
                })).collect::<Vec<Value>>(),
            }),
            Screen::Record(section) => json!({
                "kind": "list",
                "title": title(section),
                "focus": shell.focus(),
                "rows": record.rows(section).iter().take(MOST_ROWS).map(row).collect::<Vec<_>>(),
            }),
            Screen::Trend(section) => {
                let Some(r) = record.rows(section).get(shell.focus()) else {
                    return Some(json!({"v": 1, "view": null}).to_string());
                };
                let trend = r.trend.clone().unwrap_or_default();
                let points = &trend.points[trend.points.len().saturating_sub(CHART_POINTS)..];
                json!({
                    "kind": "trend",
                    "title": r.title,
                    "section": title(section),
                    "unit": trend.unit,
                    "low": trend.low,
                    "high": trend.high,
                    "points": points.iter().map(|p| json!({
                        "at": p.at.to_string(), "text": p.text,
                        "when": when(&When::At("", p.at)),
                        "value": p.value, "flag": flag(p.flag),
                    })).collect::<Vec<_>>(),
                })
            }
            // Nothing else is opened from My health.
            _ => return None,
        }
    };
    view["shownBy"] = json!(by);
    Some(json!({"v": 1, "view": view}).to_string())
}
