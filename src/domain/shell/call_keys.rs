//! The keys while a call rings or is on: Accept and Decline, the in-call controls.

use super::*;

/// The pages of "How video calls work".
pub const CALL_GUIDE_PAGES: usize = 4;

/// Where a call is, as far as buttons are concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallStage {
    /// No call: Call lists who can be called.
    #[default]
    None,
    /// A call is coming in: Accept and Decline take the buttons.
    Ringing,
    /// Calling out, connecting or talking: the in-call controls take the buttons.
    InCall,
    /// A call just ended (its reason shows for a moment); buttons work as usual.
    Ended,
}

/// What a press asks of the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallRequest {
    Accept,
    Decline,
    /// Decline, and refuse the caller's calls for the rest of the stay (the shell has already
    /// set them as not allowed in the settings; the call controller ends their invitation).
    Block,
    HangUp,
    MuteMic(bool),
    CameraOff(bool),
    /// Call the n-th person Call lists.
    Dial(usize),
    /// Call the n-th person of My care team, if they are online for calls.
    DialCareTeam(usize),
    /// An invitation code for the n-th person of the family list (staff), or, if they have
    /// one, its end.
    Invite(usize),
    /// Run "Test my camera and sound" again, from the start.
    Rehearse,
    /// "Test call with support": call the support desk online now.
    DialSupport,
}

/// A row of the Call screen, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallRow {
    /// The n-th person who can be called.
    Person(usize),
    /// "Test my camera and sound".
    Test,
    /// "Test call with support" (while a support desk is online).
    Support,
    /// "How video calls work".
    Guide,
}

/// The in-call controls, left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallControl {
    Microphone,
    Camera,
    Quieter,
    Louder,
    HangUp,
}

impl CallControl {
    pub const ALL: [CallControl; 5] = [
        CallControl::Microphone,
        CallControl::Camera,
        CallControl::Quieter,
        CallControl::Louder,
        CallControl::HangUp,
    ];
}

/// The shell's side of calls: the stage, the focus among Accept/Decline or the controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CallButtons {
    pub(super) configured: bool,
    pub(super) stage: CallStage,
    pub(super) focus: usize,
    /// People Call lists.
    pub(super) people: usize,
    pub(super) mic_muted: bool,
    pub(super) camera_off: bool,
    /// Talking (not calling out or connecting): what staff share reaches someone.
    pub(super) live: bool,
    /// A support desk is online for a test call.
    pub(super) support: bool,
}

impl CallButtons {
    /// A call can be made now: calls are set up and none is ringing or on.
    pub(super) fn may_dial(&self) -> bool {
        self.configured && matches!(self.stage, CallStage::None | CallStage::Ended)
    }
}

impl Shell {
    /// Calls are set up on this box (the Call screen lists people instead of saying calls
    /// are not available).
    pub fn set_calls_configured(&mut self, configured: bool) {
        // The clinician home gains or loses "Test camera and sound": the focus stays on its row.
        let focused_row = self.clinician_row_focused();
        self.call.configured = configured;
        self.keep_clinician_row(focused_row);
    }

    /// Where the call is now, how many people Call lists, and the patient's in-call choices.
    /// A call coming in wakes the screen and takes it over whatever was on; nothing plays
    /// under a call.
    pub fn set_call(&mut self, stage: CallStage, people: usize, mic_muted: bool, camera_off: bool) {
        let before = self.call.stage;
        // The clinician home gains or loses "Share in the call" as a call starts or ends: the
        // nurse's focus stays on the row it was on (or the nearest one: Show My health).
        let focused_row = self.clinician_row_focused();
        // On Call, the focus stays on its row while the list changes under it.
        let row = self.call_row_focused();
        self.call.people = people;
        self.keep_call_row(row);
        self.call.mic_muted = mic_muted;
        self.call.camera_off = camera_off;
        if stage != before {
            self.call.stage = stage;
            self.call.focus = 0;
            if stage != CallStage::InCall {
                // A share ends with its call: the next call is shared only if staff choose it
                // again (and it is audited again). What was shared stays on the TV, as shown.
                self.share_chosen = false;
                self.call.live = false;
            }
            if stage == CallStage::Ringing {
                self.standby = false;
            }
        }
        self.set_interrupted(matches!(stage, CallStage::Ringing | CallStage::InCall));
        self.keep_clinician_row(focused_row);
    }

    /// After the clinician home's rows changed: the focus stays on the row it was on (or the
    /// nearest one: Show My health).
    fn keep_clinician_row(&mut self, focused_row: Option<(usize, super::ClinicianRow)>) {
        if let Some((at, row)) = focused_row {
            let rows = self.clinician_rows();
            let found = rows.iter().position(|r| *r == row).or_else(|| {
                rows.iter()
                    .position(|r| *r == super::ClinicianRow::ShowMyHealth)
            });
            if let Some(n) = found {
                self.stack[at].focus = n;
            }
        }
        self.clamp_focus();
    }

    /// The caller ringing now is this member of the record's family list (by key), or not
    /// family: a family caller can be blocked for the stay from the ringing screen.
    pub fn set_caller_family(&mut self, key: Option<String>) {
        if self.caller_family != key {
            self.caller_family = key;
            if self.call.stage == CallStage::Ringing {
                self.call.focus = self.call.focus.min(1);
            }
        }
    }

    /// The ringing caller can be blocked (a family member): the ringing screen shows Block.
    pub fn caller_blockable(&self) -> bool {
        self.call.stage == CallStage::Ringing && self.caller_family.is_some()
    }

    /// Block on the ringing screen: the caller is set as not allowed to call as family (the
    /// same list staff keep on the family screen, where a nurse can allow them again), saved,
    /// and the call declined.
    fn block_caller(&mut self) -> Outcome {
        let Some(key) = self.caller_family.clone() else {
            return Outcome::with(Effect::Call(CallRequest::Decline));
        };
        let tag = self.pin_key.tag(&key);
        if !self.settings.family_blocked.contains(&tag) {
            self.settings.family_blocked.push(tag);
        }
        Outcome::with(Effect::Call(CallRequest::Block)).and(Effect::Save)
    }

    /// Call lists the people who can be called, then "Test my camera and sound", "Test call
    /// with support" (while a support desk is online) and "How video calls work"; without
    /// calls set up it holds one button, back to Home.
    pub(super) fn call_layout(&self) -> Layout {
        Layout::Column {
            count: if self.call.configured {
                self.call_rows().len()
            } else {
                1
            },
        }
    }

    /// The Call screen's rows (calls set up).
    pub fn call_rows(&self) -> Vec<CallRow> {
        let mut rows: Vec<CallRow> = (0..self.call.people).map(CallRow::Person).collect();
        rows.push(CallRow::Test);
        if self.call.support {
            rows.push(CallRow::Support);
        }
        rows.push(CallRow::Guide);
        rows
    }

    /// The row focused on the Call screen, when it is on (calls set up).
    pub fn call_row_focused(&self) -> Option<CallRow> {
        if self.screen() != Screen::Call || !self.call.configured {
            return None;
        }
        self.call_rows().get(self.focus()).copied()
    }

    /// After Call's rows changed: the focus stays on the row it was on; on a person who went,
    /// the nearest person (never slipping onto a test), or the first row after the people.
    fn keep_call_row(&mut self, row: Option<CallRow>) {
        let Some(row) = row.filter(|_| self.screen() == Screen::Call) else {
            return;
        };
        let rows = self.call_rows();
        let at = match row {
            CallRow::Person(i) if self.call.people > 0 => i.min(self.call.people - 1),
            CallRow::Person(_) => self.call.people,
            CallRow::Support => rows
                .iter()
                .position(|r| *r == CallRow::Support)
                .unwrap_or(self.call.people),
            other => rows.iter().position(|r| *r == other).unwrap_or(0),
        };
        self.top_mut().focus = at;
    }

    /// A support desk is online (or not) for "Test call with support".
    pub fn set_call_support(&mut self, online: bool) {
        if online != self.call.support {
            let row = self.call_row_focused();
            self.call.support = online;
            self.keep_call_row(row);
        }
    }

    /// The Call screen's focus is on "How video calls work" (its last row).
    pub fn call_guide_focused(&self) -> bool {
        self.call_row_focused() == Some(CallRow::Guide)
    }

    /// The Call screen's focus is on "Test call with support".
    pub fn call_support_focused(&self) -> bool {
        self.call_row_focused() == Some(CallRow::Support)
    }

    /// Call just opened: the first time in a stay (calls set up), "How video calls work"
    /// opens over it; it is not shown again by itself (the patient may have read it, or
    /// not wanted to: Call's last row opens it again).
    pub(super) fn first_call_guide(&mut self) -> Outcome {
        if !self.call.configured || self.settings.call_guide_seen {
            return Outcome::handled();
        }
        self.settings.call_guide_seen = true;
        self.stack.push(Place {
            screen: Screen::CallGuide,
            focus: 0,
        });
        Outcome::with(Effect::Save)
    }

    /// OK in the guide: the next page; on the last, back to Call with the focus on "Test my
    /// camera and sound" (the guide's last page suggests it).
    pub(super) fn call_guide_ok(&mut self, place: Place) -> Outcome {
        if place.focus + 1 < CALL_GUIDE_PAGES {
            self.top_mut().focus = place.focus + 1;
            return Outcome::handled();
        }
        self.stack.pop();
        if self.screen() == Screen::Call && self.call.configured {
            self.top_mut().focus = self.call.people;
        }
        Outcome::handled()
    }

    /// The Call screen's focus is on "Test my camera and sound" (after the people).
    pub fn call_test_focused(&self) -> bool {
        self.call_row_focused() == Some(CallRow::Test)
    }

    /// OK on Call: call the focused person, or open what the row says. Without calls set up,
    /// its one button goes back to Home.
    pub(super) fn call_ok(&mut self, place: Place) -> Outcome {
        if !self.call.configured {
            self.stack.truncate(1);
            return Outcome::handled();
        }
        match self.call_rows().get(place.focus) {
            Some(CallRow::Person(i)) => Outcome::with(Effect::Call(CallRequest::Dial(*i))),
            Some(CallRow::Test) => self.open_call_test(),
            Some(CallRow::Support) if self.call.may_dial() => {
                Outcome::with(Effect::Call(CallRequest::DialSupport))
            }
            Some(CallRow::Guide) => {
                self.stack.push(Place {
                    screen: Screen::CallGuide,
                    focus: 0,
                });
                Outcome::handled()
            }
            Some(CallRow::Support) | None => Outcome::ignored(),
        }
    }

    /// Opens "Test my camera and sound" (the call controller starts it as the screen shows and
    /// stops it as the screen goes).
    pub(super) fn open_call_test(&mut self) -> Outcome {
        if !self.call.may_dial() {
            return Outcome::ignored();
        }
        self.stack.push(Place {
            screen: Screen::CallTest,
            focus: 0,
        });
        Outcome::handled()
    }

    /// The call is live (the far end answered and media flows), not still connecting.
    pub fn set_call_live(&mut self, live: bool) {
        let focused_row = self.clinician_row_focused();
        self.call.live = live && self.call.stage == CallStage::InCall;
        self.keep_clinician_row(focused_row);
    }

    pub fn call_stage(&self) -> CallStage {
        self.call.stage
    }

    /// The focused button: 0 Accept / 1 Decline while ringing; the index into
    /// [`CallControl::ALL`] in a call.
    pub fn call_focus(&self) -> usize {
        self.call.focus
    }

    /// Buttons while a call rings or is on. `None`: the button means what it always does
    /// (volume, mute, captions...).
    pub(super) fn call_press(&mut self, button: Button) -> Option<Outcome> {
        let ask = |request| Outcome::with(Effect::Call(request));
        let count = match self.call.stage {
            // Accept, Decline, and Block for a family caller.
            CallStage::Ringing if self.caller_family.is_some() => 3,
            CallStage::Ringing => 2,
            CallStage::InCall => CallControl::ALL.len(),
            _ => return None,
        };
        match button {
            Button::Left | Button::Right => {
                let focus = if button == Button::Left {
                    self.call.focus.saturating_sub(1)
                } else {
                    (self.call.focus + 1).min(count - 1)
                };
                let moved = focus != self.call.focus;
                self.call.focus = focus;
                Some(Outcome::handled_if(moved))
            }
            Button::Ok if self.call.stage == CallStage::Ringing => Some(match self.call.focus {
                0 => ask(CallRequest::Accept),
                2 => self.block_caller(),
                _ => ask(CallRequest::Decline),
            }),
            Button::Back if self.call.stage == CallStage::Ringing => {
                Some(ask(CallRequest::Decline))
            }
            Button::Ok => match CallControl::ALL[self.call.focus] {
                CallControl::Microphone => Some(ask(CallRequest::MuteMic(!self.call.mic_muted))),
                CallControl::Camera => Some(ask(CallRequest::CameraOff(!self.call.camera_off))),
                CallControl::Quieter => Some(self.press_awake(Button::VolumeDown)),
                CallControl::Louder => Some(self.press_awake(Button::VolumeUp)),
                CallControl::HangUp => Some(ask(CallRequest::HangUp)),
            },
            // Power darkens the screen: never with a camera live or a call waiting unseen, so
            // it ends (or declines) the call first.
            Button::Power => {
                self.standby = true;
                Some(ask(if self.call.stage == CallStage::Ringing {
                    CallRequest::Decline
                } else {
                    CallRequest::HangUp
                }))
            }
            // Sound works as always; nothing else leaves the call.
            Button::VolumeUp | Button::VolumeDown | Button::Mute => None,
            _ => Some(Outcome::ignored()),
        }
    }
}
