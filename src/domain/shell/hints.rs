//! What the footer says the keys do here and now: OK, Back, the digits, Left on the PIN pad.

use super::*;

/// What OK does on the screen as it is now (the footer's "OK …"). See [`Shell::hints`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OkHint {
    /// OK does nothing here: the footer does not mention it.
    Nothing,
    /// Opens the focused Home tile (the footer names it).
    OpenTile,
    /// Opens the focused item (a My health section, a Watch way in).
    Open,
    /// Changes the focused setting.
    Change,
    SetPin,
    TurnOffPin,
    /// The focused care-team member, by video.
    VideoCall,
    /// The focused result's values over time.
    ShowOverTime,
    /// Calls the focused person on the Call screen.
    Call,
    /// Runs "Test my camera and sound" again.
    TestAgain,
    /// The guide's last page: back to Call.
    BackToCall,
    /// Watches the guide's focused channel.
    WatchChannel,
    /// Plays the focused film or relaxation video.
    Play,
    /// Goes back to Home (the one button of a screen whose feature is not on this TV).
    BackToHome,
    /// Sends the staff PIN to be checked.
    SignIn,
    /// Signs the member of staff out.
    SignOut,
    /// Turns the patient's privacy PIN off (clinician mode).
    ClearPin,
    /// Goes on to the PIN (after the staff number).
    Continue,
    /// Learn: the next page, or on to the questions; the next question.
    Next,
    /// Learn: the last page of something without questions: finish it.
    Finish,
    /// Learn: answer with the focused row (an option, yes or no, the number, skip, look again,
    /// try again).
    Choose,
    /// Learn: the end screen, back to the list.
    Done,
    /// Learn: the page "Look again" opened, back to the question.
    BackToQuestion,
    /// Learn: a PDF page shown whole: read it at the wide width.
    ReadCloser,
    /// Staff: assign the focused catalogue item.
    Assign,
    /// Staff: take the assignment back (asks once more first).
    Unassign,
    /// Staff: yes, take it back.
    ConfirmUnassign,
}

/// What Back does (the footer's "Back …").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackHint {
    /// At Home: Back does nothing.
    Nothing,
    GoBack,
    /// Leaves the digit pad without a PIN.
    Cancel,
    /// Signs the member of staff out (Back on the clinician home).
    SignOut,
}

/// What the digit keys do (the footer's "0–9 …").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigitsHint {
    Nothing,
    /// A digit of the PIN.
    Pin,
    /// A channel number.
    Channel,
    /// Starts staff sign-in by staff number (Settings, on a box without a badge reader).
    StaffNumber,
}

/// What the keys the footer speaks of do on the screen as it is now: the footer shows these and
/// nothing else. Read from the same state [`Shell::press`] reads; the test
/// `every_footer_promise_is_kept` presses each key on a copy of the shell in every state a walk
/// of the screens reaches, and checks the footer never promises what does not happen nor
/// leaves out what does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hints {
    pub ok: OkHint,
    pub back: BackHint,
    pub digits: DigitsHint,
    /// Left takes back the last digit typed on the pad.
    pub delete_digit: bool,
}

impl Shell {
    /// What OK, Back, the digits and Left do here and now, for the footer. Mirrors
    /// [`Self::press`]; a notice that only explains why nothing can happen (no channels, one
    /// language) is not promised.
    pub fn hints(&self) -> Hints {
        let place = *self.top();
        let counted = |section: Section| self.record_counts[section.index()] > 0;
        let ok = match place.screen {
            Screen::Home => OkHint::OpenTile,
            Screen::Settings => match SettingRow::ALL[place.focus] {
                SettingRow::PrivacyPin if self.pin_set() => OkHint::TurnOffPin,
                SettingRow::PrivacyPin => OkHint::SetPin,
                row if self.settings.has_choice(row) => OkHint::Change,
                _ => OkHint::Nothing,
            },
            Screen::MyHealth => OkHint::Open,
            Screen::Record(section @ (Section::Results | Section::Vitals)) if counted(section) => {
                OkHint::ShowOverTime
            }
            Screen::Record(Section::CareTeam)
                if self.call.may_dial() && counted(Section::CareTeam) =>
            {
                OkHint::VideoCall
            }
            Screen::Call if self.call.configured => match self.call_row_focused() {
                Some(CallRow::Person(_)) => OkHint::Call,
                Some(CallRow::Support) if self.call.may_dial() => OkHint::Call,
                Some(CallRow::Test | CallRow::Guide) => OkHint::Open,
                _ => OkHint::Nothing,
            },
            Screen::CallTest => OkHint::TestAgain,
            Screen::CallGuide if place.focus + 1 < CALL_GUIDE_PAGES => OkHint::Next,
            Screen::CallGuide => OkHint::BackToCall,
            Screen::Learn | Screen::LearnPage | Screen::LearnQuestion | Screen::LearnDone => {
                self.learn_ok_hint(place)
            }
            Screen::Call | Screen::Ask => OkHint::BackToHome,
            Screen::Watch => {
                let available = match HubRow::ALL[place.focus] {
                    HubRow::LiveTv | HubRow::Guide => !self.watch.tv.is_empty(),
                    HubRow::Films => self.watch.films > 0,
                    HubRow::Relax => self.watch.relax > 0,
                };
                if available {
                    OkHint::Open
                } else {
                    OkHint::Nothing
                }
            }
            Screen::Guide if !self.watch.tv.is_empty() => OkHint::WatchChannel,
            Screen::Films if self.watch.films > 0 => OkHint::Play,
            Screen::Relax if self.watch.relax > 0 => OkHint::Play,
            Screen::StaffPin => match self.staff.stage() {
                crate::domain::session::staff::Stage::Pin { pad, says, .. }
                    if pad.complete()
                        && !matches!(says, crate::domain::session::staff::PadSays::Locked(_)) =>
                {
                    OkHint::SignIn
                }
                _ => OkHint::Nothing,
            },
            Screen::StaffNumber if self.staff_number.complete() => OkHint::Continue,
            Screen::StaffLimits => match crate::domain::settings::LimitRow::ALL[place.focus] {
                crate::domain::settings::LimitRow::PrivacyPin
                    if self.pin_set() && self.may_open_record() =>
                {
                    OkHint::ClearPin
                }
                crate::domain::settings::LimitRow::PrivacyPin => OkHint::Nothing,
                row => {
                    let mut copy = self.settings.clone();
                    if copy.step_limit(row, true) {
                        OkHint::Change
                    } else {
                        OkHint::Nothing
                    }
                }
            },
            Screen::StaffFamily if !self.family.is_empty() => OkHint::Change,
            Screen::StaffLearning | Screen::StaffCatalogue | Screen::StaffLearnItem => {
                self.staff_learning_hint()
            }
            Screen::Clinician => match self.clinician_rows().get(place.focus) {
                None => OkHint::Nothing,
                Some(ClinicianRow::SignOut) => OkHint::SignOut,
                Some(_) => OkHint::Open,
            },
            _ => OkHint::Nothing,
        };
        let back = match place.screen {
            _ if self.stack.len() == 1 => BackHint::Nothing,
            Screen::Pin | Screen::StaffPin | Screen::StaffNumber => BackHint::Cancel,
            Screen::Clinician => BackHint::SignOut,
            _ => BackHint::GoBack,
        };
        let pad = self.pin_pad.filter(|_| place.screen == Screen::Pin);
        let digits = match place.screen {
            Screen::Pin => match pad {
                Some(pad)
                    if !(self.pin_locked
                        && matches!(pad.purpose, PinPurpose::Unlock | PinPurpose::Remove)) =>
                {
                    DigitsHint::Pin
                }
                _ => DigitsHint::Nothing,
            },
            Screen::StaffPin => match self.staff.stage() {
                crate::domain::session::staff::Stage::Pin { says, .. }
                    if !matches!(says, crate::domain::session::staff::PadSays::Locked(_)) =>
                {
                    DigitsHint::Pin
                }
                _ => DigitsHint::Nothing,
            },
            Screen::StaffNumber
                if self.staff_number.len() < crate::domain::session::badge::StaffNumber::MAX =>
            {
                DigitsHint::Pin
            }
            Screen::Settings if self.staff_number_starts() => DigitsHint::StaffNumber,
            Screen::Home | Screen::Watch | Screen::Tv | Screen::Guide
                if !self.watch.tv.is_empty() =>
            {
                DigitsHint::Channel
            }
            _ => DigitsHint::Nothing,
        };
        Hints {
            ok,
            back,
            digits,
            delete_digit: pad.is_some_and(|p| p.typed() > 0)
                || (place.screen == Screen::StaffNumber && !self.staff_number.is_empty())
                || (place.screen == Screen::StaffPin
                    && matches!(self.staff.stage(),
                        crate::domain::session::staff::Stage::Pin { pad, .. } if !pad.is_empty())),
        }
    }
}
