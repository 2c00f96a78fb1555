//! The call controller: starts the call thread, shows its [`CallView`] through the `CallState`
//! global, carries the call's pictures to the screen, and turns the shell's [`CallRequest`]s
//! into commands.
//!
//! Pictures arrive on GStreamer's threads and are handed over as Watch's are: one slot per
//! picture (the far end's, the patient's own), the UI woken only when it is not already due.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use slint::{ComponentHandle, Rgb8Pixel, SharedPixelBuffer};

use super::generated::{self as ui, CallState, MainWindow};
use crate::call::media::{MediaFrames, Picture};
use crate::call::service::{CallService, CallSetup, CallView, Command};
use crate::domain::call::{EndReason, Peer, Phase};
use crate::domain::record::{Record, Section};
use crate::domain::shell::{CallRequest, CallStage, Shell};
use crate::media::player::Frame;

/// The controller's state (inside the app's `State`).
pub struct CallController {
    configured: bool,
    service: Option<CallService>,
    view: Option<CallView>,
    /// The picture shown for the other person, by their name (made once per call).
    photo: std::cell::RefCell<Option<(String, Option<slint::Image>)>>,
    /// Who may call as family (and who not), as last sent to the call thread.
    family: std::cell::RefCell<Option<crate::call::service::FamilyList>>,
    /// The record view last sent to the far end (None: nothing shared).
    shared: std::cell::RefCell<Option<String>>,
    /// Family invitations: the call server's client (a `wss://` server and the box's
    /// certificate), this bed's location id, and each family member's invitation by their key.
    invitations: Option<std::sync::Arc<crate::call::invitation::Client>>,
    bed: String,
    invited: std::cell::RefCell<std::collections::HashMap<String, Invited>>,
    inbox: super::inbox::Inbox,
    /// Sync has told of the bed's occupant once since this start (a restart is not a
    /// discharge: the invitations stand).
    occupant_known: std::cell::Cell<bool>,
    /// "Test my camera and sound" was asked to run (its screen is on).
    rehearsing: std::cell::Cell<bool>,
}

/// Where a family member's invitation is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invited {
    /// Asked for; the server has not answered yet.
    Asking,
    Issued(crate::call::invitation::Issued),
    /// The server could not be asked, or said no (the log says why).
    Failed,
    /// Being ended.
    Ending,
}

/// How long an invitation lasts (a day: the next visit), ended sooner by staff or discharge.
pub const INVITATION_HOURS: u32 = 24;

thread_local! {
    /// Pictures of a call's far end shown in this process, and when the last one was.
    static REMOTE_SHOWN: std::cell::Cell<(u64, Option<Instant>)> =
        const { std::cell::Cell::new((0, None)) };
}

/// How many pictures of a call's far end have been shown, and when the last was (tests and
/// the benchmark).
pub fn remote_frames_shown() -> (u64, Option<Instant>) {
    REMOTE_SHOWN.with(|c| c.get())
}

impl CallController {
    /// Starts the call thread when calls are set up.
    pub fn new(
        window: &MainWindow,
        setup: Option<CallSetup>,
        inbox: super::inbox::Inbox,
    ) -> CallController {
        let globals = window.global::<CallState>();
        globals.set_configured(setup.is_some());
        globals.set_has_camera(
            setup
                .as_ref()
                .is_some_and(|s| s.media.camera != crate::call::media::Camera::None),
        );
        globals.set_observation_policy(
            setup
                .as_ref()
                .is_some_and(|s| !s.observation_roles.is_empty()),
        );
        let configured = setup.is_some();
        let bed = setup.as_ref().map(|s| s.bed_id.clone()).unwrap_or_default();
        let invitations = setup.as_ref().filter(|s| s.connect).and_then(|s| {
            crate::call::invitation::Client::new(&s.url, &s.tls)
                .map_err(|e| tracing::info!(reason = %e, "family invitations are not available"))
                .ok()
                .map(std::sync::Arc::new)
        });
        let answers = inbox.clone();
        let service = setup.filter(|s| s.connect).and_then(|setup| {
            let view = Arc::new(move |view: CallView| {
                inbox.send(super::inbox::Inbound::Call(view));
            });
            CallService::spawn(setup, view, frame_sink(window))
                .map_err(|e| tracing::error!(error = %e, "cannot start the call thread"))
                .ok()
        });
        CallController {
            configured,
            service,
            view: None,
            photo: std::cell::RefCell::default(),
            shared: std::cell::RefCell::default(),
            family: std::cell::RefCell::default(),
            invitations,
            bed,
            invited: std::cell::RefCell::default(),
            inbox: answers,
            occupant_known: std::cell::Cell::new(false),
            rehearsing: std::cell::Cell::new(false),
        }
    }

    /// The self-test runs while its screen is on (and the TV is not in standby): started as
    /// the screen opens, stopped however it is left (Back, Home, a staff sign-out, Power).
    pub fn follow_screen(&self, shell: &Shell) {
        let want = shell.screen() == crate::domain::shell::Screen::CallTest && !shell.standby();
        if want != self.rehearsing.replace(want)
            && let Some(service) = &self.service
        {
            service.send(Command::Rehearse(want));
        }
    }

    /// Sync says the bed has another occupant (or none): after the first news since this
    /// start, that is a discharge or a transfer, and the family invitations end.
    pub fn occupant_changed(&self) {
        if self.occupant_known.replace(true) {
            self.end_invitations();
        }
    }

    /// Whether this box can invite family (a `wss://` call server and its certificate).
    pub fn can_invite(&self) -> bool {
        self.invitations.is_some()
    }

    /// Where the invitation of the family member `key` is.
    pub fn invited(&self, key: &str) -> Option<Invited> {
        self.invited.borrow().get(key).cloned()
    }

    /// Asks the call server for an invitation for the `i`-th family member, or ends theirs,
    /// off the UI thread; the answer comes back as [`super::inbox::Inbound::Invitation`].
    fn invite(&self, i: usize, record: &Record) {
        let (Some(client), Some(member)) = (&self.invitations, record.family().get(i)) else {
            return;
        };
        let key = member.key.clone();
        let standing = self.invited.borrow().get(&key).cloned();
        let client = client.clone();
        let inbox = self.inbox.clone();
        match standing {
            Some(Invited::Asking | Invited::Ending) => {}
            Some(Invited::Issued(_)) => self.end_invitation(&key),
            None | Some(Invited::Failed) => {
                self.invited
                    .borrow_mut()
                    .insert(key.clone(), Invited::Asking);
                let request = crate::call::invitation::Request {
                    name: member.name.clone(),
                    role: if member.relationship.trim().is_empty() {
                        "Family".into()
                    } else {
                        member.relationship.clone()
                    },
                    bed: self.bed.clone(),
                    hours: INVITATION_HOURS,
                };
                std::thread::spawn(move || {
                    let result = client.invite(&request).map(Some);
                    inbox.send(super::inbox::Inbound::Invitation(key, result));
                });
            }
        }
    }

    /// Ends `key`'s invitation if one stands: staff ended it, or the member is not allowed to
    /// call any more (blocked by the patient, or set as not allowed by staff).
    pub fn end_invitation(&self, key: &str) {
        let Some(client) = &self.invitations else {
            return;
        };
        let mut invited = self.invited.borrow_mut();
        let Some(Invited::Issued(issued)) = invited.get(key) else {
            return;
        };
        let id = issued.id.clone();
        invited.insert(key.to_owned(), Invited::Ending);
        let (client, inbox, key) = (client.clone(), self.inbox.clone(), key.to_owned());
        std::thread::spawn(move || {
            let result = client.revoke(Some(&id), None).map(|_| None);
            inbox.send(super::inbox::Inbound::Invitation(key, result));
        });
    }

    /// The call server's answer about `key`'s invitation (`None`: it has ended).
    pub fn invitation_answered(
        &self,
        key: String,
        result: Result<Option<crate::call::invitation::Issued>, String>,
    ) {
        let mut invited = self.invited.borrow_mut();
        match result {
            Ok(Some(issued)) => {
                invited.insert(key, Invited::Issued(issued));
            }
            Ok(None) => {
                invited.remove(&key);
            }
            Err(e) => {
                // Never who: the log names no one.
                tracing::warn!(error = %e, "a family invitation failed");
                let was = invited.get(&key).cloned();
                match was {
                    // Ending failed: it still stands (it ends by itself, or at discharge).
                    Some(Invited::Ending) => {}
                    _ => {
                        invited.insert(key, Invited::Failed);
                    }
                }
            }
        }
    }

    /// The patient left (or another came): every invitation to this bed ends, on the server
    /// too, and none is shown any more.
    pub fn end_invitations(&self) {
        self.invited.borrow_mut().clear();
        let Some(client) = self.invitations.clone() else {
            return;
        };
        let bed = self.bed.clone();
        std::thread::spawn(move || match client.revoke(None, Some(&bed)) {
            Ok(n) => tracing::info!(count = n, "the bed's family invitations ended"),
            Err(e) => tracing::warn!(error = %e, "cannot end the bed's family invitations"),
        });
    }

    pub fn configured(&self) -> bool {
        self.configured
    }

    /// What the shell learns from a new view.
    /// The self-test as last told (None: not running, or stopped by a call).
    pub fn rehearsal(&self) -> Option<crate::domain::call::rehearsal::Rehearsal> {
        self.view.as_ref().and_then(|v| v.rehearsal.clone())
    }

    pub fn set_view(&mut self, shell: &mut Shell, view: CallView, record: &Record) {
        let stage = stage_of(&view.phase);
        shell.set_call(stage, view.callable.len(), view.mic_muted, view.camera_off);
        shell.set_call_support(view.support.is_some());
        // A family caller (on the record's list: no other family caller rings) can be blocked.
        shell.set_caller_family(match &view.phase {
            Phase::Ringing { caller, .. } if crate::domain::call::Call::family_caller(caller) => {
                family_member(record, &caller.name).map(|m| m.key.clone())
            }
            _ => None,
        });
        shell.set_call_live(matches!(view.phase, Phase::Live { .. }));
        self.view = Some(view);
    }

    /// Who is at the other end of the call now, as their page names them ("Dr Kim
    /// (Interpreter)"), for the audit trail of a shared view.
    pub fn far_end(&self) -> Option<String> {
        let peer = self.view.as_ref()?.phase.peer()?;
        Some(if peer.role.is_empty() {
            peer.name.clone()
        } else {
            format!("{} ({})", peer.name, peer.role)
        })
    }

    /// Shows the far end this record view (see `app/share.rs`), or stops (`None`): sent only
    /// when it changed.
    pub fn share(&self, view: Option<String>) {
        let mut last = self.shared.borrow_mut();
        if *last == view {
            return;
        }
        if let Some(service) = &self.service {
            service.send(Command::Share(view.clone()));
        }
        *last = view;
    }

    /// Who may call as family now, and who staff set as not allowed: sent to the call thread
    /// when it changed.
    pub fn set_family(&self, family: crate::call::service::FamilyList) {
        let mut last = self.family.borrow_mut();
        if last.as_ref() == Some(&family) {
            return;
        }
        if let Some(service) = &self.service {
            service.send(Command::Family(family.clone()));
        }
        *last = Some(family);
    }

    /// The far end is being shown a record view (for tests).
    pub fn shared(&self) -> Option<String> {
        self.shared.borrow().clone()
    }

    /// A support desk is online for a test call.
    pub fn support_online(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.support.is_some())
    }

    /// How many people can be called now.
    pub fn people(&self) -> usize {
        self.view.as_ref().map_or(0, |v| v.callable.len())
    }

    pub fn stage(&self) -> CallStage {
        self.view
            .as_ref()
            .map_or(CallStage::None, |v| stage_of(&v.phase))
    }

    /// The call's phase, for tests.
    pub fn phase(&self) -> Phase {
        self.view.as_ref().map_or(Phase::Idle, |v| v.phase.clone())
    }

    /// Carries out what a press asked of the call (`record`: My care team's rows).
    pub fn request(&self, request: CallRequest, record: &Record) {
        if let CallRequest::Invite(i) = request {
            self.invite(i, record);
            return;
        }
        let Some(service) = &self.service else {
            return;
        };
        let command = match request {
            CallRequest::Accept => Command::Accept,
            CallRequest::Decline => Command::Decline,
            CallRequest::Block => {
                tracing::info!("the patient blocked a caller for the stay");
                Command::Block
            }
            CallRequest::HangUp => Command::HangUp,
            CallRequest::MuteMic(m) => Command::MuteMic(m),
            CallRequest::CameraOff(c) => Command::CameraOff(c),
            CallRequest::Dial(i) => {
                let Some(peer) = self.view.as_ref().and_then(|v| v.callable.get(i)) else {
                    return;
                };
                Command::Dial(peer.id.clone())
            }
            CallRequest::DialCareTeam(row) => {
                let Some(row) = record.rows(Section::CareTeam).get(row) else {
                    return;
                };
                let online = self
                    .view
                    .as_ref()
                    .and_then(|v| v.callable.iter().find(|p| same_person(&row.title, &p.name)));
                match online {
                    Some(peer) => Command::Dial(peer.id.clone()),
                    None => Command::Unreachable(row.title.clone()),
                }
            }
            CallRequest::Invite(_) => return,
            CallRequest::Rehearse => Command::Rehearse(true),
            CallRequest::DialSupport => match self.view.as_ref().and_then(|v| v.support.as_ref()) {
                Some(desk) => {
                    tracing::info!("a test call with support");
                    Command::Dial(desk.id.clone())
                }
                None => Command::Unreachable("Support".into()),
            },
        };
        service.send(command);
    }

    /// Test only: see [`CallService::fail`].
    pub fn fail(&self) {
        if let Some(service) = &self.service {
            service.fail();
        }
    }

    /// The speaker's loudness as the patient set it.
    pub fn set_volume(&self, percent: u8, muted: bool) {
        if let Some(service) = &self.service {
            service.send(Command::Volume(
                crate::media::player::linear_volume(percent),
                muted,
            ));
        }
    }

    /// Fills `CallState`. `focus` is the shell's call focus, `list_focus` the Call screen's.
    pub fn show(&self, window: &MainWindow, shell: &Shell, record: &Record, now: Instant) {
        let g = window.global::<CallState>();
        g.set_test_focused(shell.call_test_focused());
        g.set_guide_focused(shell.call_guide_focused());
        g.set_support_focused(shell.call_support_focused());
        let Some(view) = &self.view else {
            g.set_online(false);
            return;
        };
        if view.phase == Phase::Idle {
            // The next call looks its caller up afresh (the record may have changed).
            self.photo.borrow_mut().take();
        }
        g.set_online(view.online);
        g.set_stage(match &view.phase {
            Phase::Idle => ui::CallStage::None,
            Phase::Ringing { .. } => ui::CallStage::Ringing,
            Phase::Dialling { .. } => ui::CallStage::Dialling,
            Phase::Connecting { .. } => ui::CallStage::Connecting,
            Phase::Live { .. } => ui::CallStage::Live,
            Phase::Ended { .. } => ui::CallStage::Ended,
        });
        g.set_focus(shell.call_focus() as i32);
        g.set_can_block(shell.caller_blockable());
        g.set_mic_muted(view.mic_muted);
        g.set_camera_off(view.camera_off);
        g.set_camera_live(view.camera_live);
        g.set_observation(view.observation);
        g.set_has_camera(view.has_camera);
        g.set_beside(shell.call_beside());
        g.set_sharing(shell.sharing());
        g.set_share_open(view.share_open);
        if let Some(p) = view.phase.peer() {
            g.set_name(p.name.as_str().into());
            g.set_role(p.role.as_str().into());
            g.set_initials(initials(&p.name).into());
            let mut cached = self.photo.borrow_mut();
            if cached.as_ref().is_none_or(|(name, _)| *name != p.name) {
                let photo = photo_of(record, p);
                if let Some(image) = &photo {
                    g.set_photo(image.clone());
                }
                g.set_has_photo(photo.is_some());
                *cached = Some((p.name.clone(), photo));
            }
        }
        g.set_interrupted(matches!(
            view.phase,
            Phase::Live {
                interrupted: Some(_),
                ..
            }
        ));
        if let Phase::Live { since, .. } = view.phase {
            g.set_timer(super::convert::clock_text(now.saturating_duration_since(since)).into());
        }
        if let Phase::Ended { reason, peer, .. } = &view.phase {
            g.set_ended(call_end(*reason));
            g.set_ended_name(peer.as_ref().map_or("", |p| p.name.as_str()).into());
        }
        let rehearsing = self.rehearsing.get() && view.rehearsal.is_some();
        g.set_rehearsing(rehearsing);
        show_rehearsal(&g, view.rehearsal.as_ref());
        if !rehearsing
            && !matches!(
                view.phase,
                Phase::Dialling { .. } | Phase::Connecting { .. } | Phase::Live { .. }
            )
        {
            // The last pictures go with the call (6 MB for a full-screen one).
            if g.get_has_remote() || g.get_has_own() {
                g.set_remote(slint::Image::default());
                g.set_own(slint::Image::default());
            }
            g.set_has_remote(false);
            g.set_has_own(false);
        }
        let focus = shell.focus();
        let on_call_screen = shell.screen() == crate::domain::shell::Screen::Call;
        let rows: Vec<ui::CallPerson> = view
            .callable
            .iter()
            .enumerate()
            .map(|(i, p)| ui::CallPerson {
                name: p.name.as_str().into(),
                role: p.role.as_str().into(),
                busy: p.busy,
                focused: on_call_screen && i == focus,
            })
            .collect();
        super::convert::set_list(&g.get_people(), &rows, |m| g.set_people(m));
        g.set_support_online(view.support.is_some());
        g.set_support_busy(view.support.as_ref().is_some_and(|p| p.busy));
    }
}

/// The self-test's checks and result, for its screen.
fn show_rehearsal(
    g: &CallState<'_>,
    rehearsal: Option<&crate::domain::call::rehearsal::Rehearsal>,
) {
    use crate::domain::call::rehearsal::{Check, Finding};
    let check = |c: Check| match c {
        Check::Checking => ui::TestCheck::Checking,
        Check::Good => ui::TestCheck::Good,
        Check::Absent => ui::TestCheck::Absent,
        Check::Failed => ui::TestCheck::Failed,
    };
    g.set_test_started(rehearsal.is_some());
    let Some(r) = rehearsal else {
        g.set_test_level(0.0);
        return;
    };
    g.set_test_camera(check(r.camera));
    g.set_test_microphone(check(r.microphone));
    g.set_test_sound(check(r.sound));
    g.set_test_service(check(r.service));
    g.set_test_network(check(r.network));
    g.set_test_level(r.level);
    g.set_test_done(r.done());
    g.set_test_finding(match r.findings().first() {
        None => ui::TestFinding::None,
        Some(Finding::Service) => ui::TestFinding::Service,
        Some(Finding::Camera) => ui::TestFinding::Camera,
        Some(Finding::Microphone) => ui::TestFinding::Microphone,
        Some(Finding::Sound) => ui::TestFinding::Sound,
        Some(Finding::SoundMuted) => ui::TestFinding::SoundMuted,
        Some(Finding::Network) => ui::TestFinding::Network,
    });
}

fn stage_of(phase: &Phase) -> CallStage {
    match phase {
        Phase::Idle => CallStage::None,
        Phase::Ringing { .. } => CallStage::Ringing,
        Phase::Dialling { .. } | Phase::Connecting { .. } | Phase::Live { .. } => CallStage::InCall,
        Phase::Ended { .. } => CallStage::Ended,
    }
}

/// The member of the record's family list a caller's name answers to.
fn family_member<'r>(record: &'r Record, name: &str) -> Option<&'r crate::domain::family::Member> {
    record.family().iter().find(|m| m.answers_to(name))
}

/// "Ana Ruiz" → "AR".
fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let pick = |w: &&str| w.chars().next().map(|c| c.to_uppercase().to_string());
    match words.as_slice() {
        [] => String::new(),
        [one] => pick(one).unwrap_or_default(),
        [first, .., last] => format!(
            "{}{}",
            pick(first).unwrap_or_default(),
            pick(last).unwrap_or_default()
        ),
    }
}

/// The caller's photo from My care team, when a care-team row carries their name.
fn photo_of(record: &Record, peer: &Peer) -> Option<slint::Image> {
    record
        .rows(Section::CareTeam)
        .iter()
        .find(|row| same_person(&row.title, &peer.name))
        .and_then(|row| row.photo.as_ref())
        .map(super::convert::photo_image)
}

/// Whether a caller's name (as their page gives it) is the person of a care-team row ("Dr
/// Anne Langeveld"): the whole name, or its last words after a title, at least two words (a
/// caller named "Ruiz" or "a" is nobody's doctor).
fn same_person(row_title: &str, name: &str) -> bool {
    use crate::domain::family::normalize;
    let name = normalize(name);
    let title = normalize(row_title);
    if name.split(' ').count() < 2 {
        return !name.is_empty() && name == title;
    }
    title == name || title.ends_with(&format!(" {name}"))
}

/// Why a call ended, for the screen to say (its words are in call.slint).
pub fn call_end(reason: EndReason) -> ui::CallEnd {
    match reason {
        EndReason::Declined => ui::CallEnd::Declined,
        EndReason::Blocked => ui::CallEnd::Blocked,
        EndReason::Missed | EndReason::CallerGaveUp => ui::CallEnd::Missed,
        EndReason::HungUp => ui::CallEnd::HungUp,
        EndReason::FarEndHungUp => ui::CallEnd::FarEndHungUp,
        EndReason::NoAnswer => ui::CallEnd::NoAnswer,
        EndReason::Busy => ui::CallEnd::Busy,
        EndReason::Lost => ui::CallEnd::Lost,
        EndReason::Failed => ui::CallEnd::Failed,
        EndReason::Unavailable => ui::CallEnd::Unavailable,
    }
}

/// The frame sink for both pictures: newest only, the UI woken when not already due.
fn frame_sink(window: &MainWindow) -> MediaFrames {
    type Slot = Arc<Mutex<[Option<SharedPixelBuffer<Rgb8Pixel>>; 2]>>;
    let slot: Slot = Arc::default();
    let due = Arc::new(AtomicBool::new(false));
    let weak = window.as_weak();
    Arc::new(move |picture: Picture, frame: Frame<'_>| {
        let buffer = super::convert::pixels(&frame);
        let index = match picture {
            Picture::Remote => 0,
            Picture::Own => 1,
        };
        slot.lock().expect("call frame slot")[index] = Some(buffer);
        if !due.swap(true, Ordering::SeqCst) {
            let (slot, due) = (slot.clone(), due.clone());
            let _ = weak.upgrade_in_event_loop(move |window| {
                due.store(false, Ordering::SeqCst);
                let [remote, own] = std::mem::take(&mut *slot.lock().expect("call frame slot"));
                let g = window.global::<CallState>();
                // Pictures of a call that has ended since (or of a self-test left) are dropped.
                let in_call = matches!(
                    g.get_stage(),
                    ui::CallStage::Dialling | ui::CallStage::Connecting | ui::CallStage::Live
                );
                if !in_call && !g.get_rehearsing() {
                    return;
                }
                if let Some(b) = remote {
                    g.set_remote(slint::Image::from_rgb8(b));
                    g.set_has_remote(true);
                    REMOTE_SHOWN.with(|c| c.set((c.get().0 + 1, Some(Instant::now()))));
                }
                if let Some(b) = own {
                    g.set_own(slint::Image::from_rgb8(b));
                    g.set_has_own(true);
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_and_last_names() {
        assert_eq!(initials("Ana Ruiz"), "AR");
        assert_eq!(initials("Dr. Maria de la Cruz"), "DC");
        assert_eq!(initials("émile"), "É");
        assert_eq!(initials("  "), "");
    }

    #[test]
    fn the_callers_photo_comes_from_my_care_team_by_name() {
        use crate::domain::record::{Photo, Row};
        let mut record = Record::default();
        let photo = Photo {
            width: 2,
            height: 2,
            rgba: std::sync::Arc::from(vec![200u8; 16]),
        };
        record.set(
            Section::CareTeam,
            vec![
                Row {
                    title: "Dr. Omar Haddad".into(),
                    ..Row::default()
                },
                Row {
                    title: "Ana Ruiz".into(),
                    photo: Some(photo),
                    ..Row::default()
                },
            ],
        );
        let peer = |name: &str| Peer {
            id: "p".into(),
            name: name.into(),
            role: "Nurse".into(),
            bed: false,
            family: false,
            support: false,
            busy: false,
        };
        let found = photo_of(&record, &peer("ana ruiz")).expect("a photo");
        assert_eq!((found.size().width, found.size().height), (2, 2));
        assert!(
            photo_of(&record, &peer("Omar Haddad")).is_none(),
            "no photo in the record"
        );
        assert!(
            photo_of(&record, &peer("Li Wei")).is_none(),
            "not on the care team"
        );
        // A stranger whose name is part of the nurse's is not the nurse.
        assert!(photo_of(&record, &peer("Ruiz")).is_none());
        assert!(photo_of(&record, &peer("a")).is_none());
        assert!(same_person("Dr. Omar Haddad", "Omar Haddad"));
        assert!(!same_person("Dr. Omar Haddad", "mar Haddad"));
    }

    #[test]
    fn every_ending_has_its_own_words_except_the_two_missed_calls() {
        use EndReason::*;
        let all = [
            Declined,
            Blocked,
            Missed,
            CallerGaveUp,
            HungUp,
            FarEndHungUp,
            NoAnswer,
            Busy,
            Lost,
            Failed,
            Unavailable,
        ];
        let said: Vec<ui::CallEnd> = all.iter().map(|r| call_end(*r)).collect();
        assert_eq!(call_end(CallerGaveUp), ui::CallEnd::Missed);
        let distinct = (0..said.len())
            .filter(|&i| !said[..i].contains(&said[i]))
            .count();
        assert_eq!(distinct, all.len() - 1);
    }
}
