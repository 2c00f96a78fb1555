//! My health's keys: the menu opens a section, a result or a vital sign opens its values over
//! time, and a care-team row calls the person.

use super::*;

impl Shell {
    /// OK on one of My health's screens.
    pub(super) fn health_ok(&mut self, place: Place) -> Outcome {
        match place.screen {
            Screen::MyHealth => {
                self.stack.push(Place {
                    screen: Screen::Record(Section::ALL[place.focus]),
                    focus: 0,
                });
                Outcome::handled()
            }
            // A result or a vital sign opens its values over time.
            Screen::Record(section @ (Section::Results | Section::Vitals))
                if self.record_counts[section.index()] > 0 =>
            {
                self.stack.push(Place {
                    screen: Screen::Trend(section),
                    focus: place.focus,
                });
                Outcome::handled()
            }
            // My care team: OK calls the person (when calls are set up).
            // (Not while a call is on: one call at a time.)
            Screen::Record(Section::CareTeam)
                if self.call.may_dial() && self.record_counts[Section::CareTeam.index()] > 0 =>
            {
                Outcome::with(Effect::Call(CallRequest::DialCareTeam(place.focus)))
            }
            // Reading only: OK has nothing to do on other rows.
            _ => Outcome::ignored(),
        }
    }
}
