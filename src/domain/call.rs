//! The rules of a video call, as a state machine with no I/O: what the bed does when a call
//! comes in, when the patient accepts or declines, when the far end answers or hangs up, when
//! the network goes. [`Call::input`] takes one thing that happened and returns what to do
//! ([`Action`]s); the call thread (`crate::call::service`) carries them out. Everything a
//! patient relies on is tested here.
//!
//! Wire words are those of the GStreamer WebRTC signalling protocol (docs/calls.md): a
//! *session* joins two peers; the bed always makes the SDP offer, in the session's first
//! message when it calls, or once the patient accepts when it is called.

use std::time::{Duration, Instant};

/// How long an incoming call rings before it is declined for the patient.
pub const RING_TIMEOUT: Duration = Duration::from_secs(45);
/// How long a call the patient makes waits for the far end to answer.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an accepted call may take to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a connection that dropped may take to come back before the call ends.
pub const RECOVER_TIMEOUT: Duration = Duration::from_secs(8);
/// How long the reason a call ended stays on screen.
pub const ENDED_SHOWN: Duration = Duration::from_secs(6);
/// Candidates held for a session not yet started, at most.
const HELD_MAX: usize = 64;

/// Someone who can be called or who calls: a care-team member at a browser, or a bed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The signalling server's id for the connection.
    pub id: String,
    pub name: String,
    /// "Nurse", "Doctor", "Interpreter", "Family"... as the far end says.
    pub role: String,
    /// A bed (another box), not a person at a browser.
    pub bed: bool,
    /// In a call now.
    pub busy: bool,
}

impl Peer {
    /// Reads a peer from the signalling server's `meta` (see docs/calls.md). A peer without
    /// a name is not callable and not listed.
    pub fn from_meta(id: &str, meta: Option<&serde_json::Value>) -> Option<Peer> {
        let meta = meta?;
        let text = |key: &str| {
            meta.get(key)
                .and_then(|v| v.as_str())
                .map(|s| s.trim().chars().take(80).collect::<String>())
                .unwrap_or_default()
        };
        let name = text("name");
        if name.is_empty() {
            return None;
        }
        Some(Peer {
            id: id.to_owned(),
            name,
            role: text("role"),
            bed: text("kind") == "bed",
            busy: meta.get("busy").and_then(|v| v.as_bool()).unwrap_or(false),
        })
    }
}

/// Why a call ended, in the words the screen uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The patient declined.
    Declined,
    /// Nobody answered the bed in time.
    Missed,
    /// The far end gave up before the patient answered.
    CallerGaveUp,
    /// The patient hung up.
    HungUp,
    /// The far end hung up.
    FarEndHungUp,
    /// The far end declined the patient's call (or did not answer in time).
    NoAnswer,
    /// The far end is in another call.
    Busy,
    /// The network went and did not come back.
    Lost,
    /// The call could not be set up (media or signalling failure).
    Failed,
    /// The person called is not online now.
    Unavailable,
}

/// Where a call is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    /// A call is coming in; nothing is sent or shown to the far end until the patient accepts.
    Ringing {
        session: String,
        caller: Peer,
        since: Instant,
    },
    /// The patient called `callee`; the session id comes with `sessionStarted`.
    Dialling {
        session: Option<String>,
        callee: Peer,
        since: Instant,
    },
    /// Accepted (or answered); media is being connected.
    Connecting {
        session: String,
        peer: Peer,
        since: Instant,
    },
    /// Talking since `since`. `interrupted`: the connection dropped at that moment and may
    /// come back.
    Live {
        session: String,
        peer: Peer,
        since: Instant,
        interrupted: Option<Instant>,
    },
    /// Over; the reason stays on screen until `until`.
    Ended {
        reason: EndReason,
        peer: Option<Peer>,
        until: Instant,
    },
}

impl Phase {
    /// A call is ringing, being set up or on.
    pub fn in_progress(&self) -> bool {
        !matches!(self, Phase::Idle | Phase::Ended { .. })
    }

    /// The other person, while there is one.
    pub fn peer(&self) -> Option<&Peer> {
        match self {
            Phase::Ringing { caller: p, .. }
            | Phase::Dialling { callee: p, .. }
            | Phase::Connecting { peer: p, .. }
            | Phase::Live { peer: p, .. } => Some(p),
            Phase::Ended { peer, .. } => peer.as_ref(),
            Phase::Idle => None,
        }
    }
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The server knows us; registration goes out.
    Welcome,
    /// The people and beds online now (a `list` answer).
    Directory(Vec<(String, Option<serde_json::Value>)>),
    /// One peer came, changed or (with no roles) went.
    PeerStatus {
        id: String,
        meta: Option<serde_json::Value>,
        gone: bool,
    },
    /// Someone calls us.
    Incoming {
        session: String,
        from: String,
    },
    /// The session we asked for has this id.
    SessionStarted {
        session: String,
        with: String,
    },
    Answer {
        session: String,
        sdp: String,
    },
    /// An offer from the far end: the bed makes offers, it never takes one.
    Offer {
        session: String,
    },
    RemoteCandidate {
        session: String,
        mline: u32,
        candidate: String,
    },
    SessionEnded {
        session: String,
    },
    /// The server says our last request failed.
    ServerError(String),
    /// The link to the signalling server was lost.
    Disconnected,
    Accept,
    Decline,
    HangUp,
    Dial(String),
    /// The patient asked to call someone who is not online for calls.
    Unreachable(String),
    LocalOffer(String),
    LocalCandidate {
        mline: u32,
        candidate: String,
    },
    Connected,
    /// The connection dropped (it may come back).
    Interrupted,
    /// The media failed for good.
    MediaFailed,
    Tick,
}

/// What the call thread must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Register with this meta: roles producer and listener (`busy` while in a call).
    Register {
        busy: bool,
    },
    /// Ask for the list of peers online.
    List,
    /// Start a session with `peer`, carrying our offer.
    StartSession {
        peer: String,
        offer: String,
    },
    EndSession {
        session: String,
    },
    SendOffer {
        session: String,
        sdp: String,
    },
    SendCandidate {
        session: String,
        mline: u32,
        candidate: String,
    },
    StartMedia,
    StopMedia,
    SetAnswer(String),
    AddCandidate {
        mline: u32,
        candidate: String,
    },
    /// Start or stop the ring tone.
    Ring(bool),
    /// Play the chime that says an observation call has just connected.
    Chime,
}

/// The call state machine.
#[derive(Debug)]
pub struct Call {
    phase: Phase,
    /// People and beds online, by id.
    directory: Vec<Peer>,
    /// Our candidates made before the session id was known.
    held: Vec<(u32, String)>,
    /// What the server was last told of `busy` (None: not registered).
    registered_busy: Option<bool>,
    /// The patient's choices in a call.
    pub mic_muted: bool,
    pub camera_off: bool,
    /// Roles whose calls are answered without a press (virtual observation), lower case.
    observation_roles: Vec<String>,
    /// The call now is such an observation: the screen says so for as long as it lasts.
    observation: bool,
}

impl Default for Call {
    fn default() -> Self {
        Call::new()
    }
}

impl Call {
    pub fn new() -> Call {
        Call::with_observation(&[])
    }

    /// A call whose peers with one of `roles` (as their `meta` says, any case) are answered
    /// at once, as virtual observation: the screen shows a banner for the whole call and a
    /// chime sounds when it connects. Nothing else ever answers without the patient.
    pub fn with_observation(roles: &[String]) -> Call {
        Call {
            phase: Phase::Idle,
            directory: Vec::new(),
            held: Vec::new(),
            registered_busy: None,
            mic_muted: false,
            camera_off: false,
            observation_roles: roles
                .iter()
                .map(|r| r.trim().to_lowercase())
                .filter(|r| !r.is_empty())
                .collect(),
            observation: false,
        }
    }

    /// The call on now is a virtual observation (answered by policy, not by the patient).
    pub fn observation(&self) -> bool {
        self.observation && self.media_running()
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Who can be called now: people (not beds), not in a call, by name.
    pub fn callable(&self) -> Vec<Peer> {
        let mut people: Vec<Peer> = self.directory.iter().filter(|p| !p.bed).cloned().collect();
        people.sort_by(|a, b| (a.busy, &a.role, &a.name).cmp(&(b.busy, &b.role, &b.name)));
        people
    }

    /// The camera is live (sending or about to): the indicator must show.
    pub fn media_running(&self) -> bool {
        matches!(
            self.phase,
            Phase::Dialling { .. } | Phase::Connecting { .. } | Phase::Live { .. }
        )
    }

    fn session(&self) -> Option<&str> {
        match &self.phase {
            Phase::Ringing { session, .. }
            | Phase::Connecting { session, .. }
            | Phase::Live { session, .. } => Some(session),
            Phase::Dialling { session, .. } => session.as_deref(),
            _ => None,
        }
    }

    fn peer(&self) -> Option<Peer> {
        self.phase.peer().cloned()
    }

    /// A fresh machine for a call thread that failed during a call with `peer`: it starts by
    /// showing that the call could not be connected (the failed run took the session and the
    /// media with it; the far end was told by the link closing).
    pub fn fail(&mut self, peer: Option<Peer>, now: Instant) {
        self.phase = Phase::Ended {
            reason: EndReason::Failed,
            peer,
            until: now + ENDED_SHOWN,
        };
    }

    fn lookup(&self, id: &str) -> Peer {
        self.directory
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .unwrap_or_else(|| Peer {
                id: id.to_owned(),
                name: "Unknown caller".into(),
                role: String::new(),
                bed: false,
                busy: false,
            })
    }

    /// Ends the call: media off, the session closed (unless the far end closed it), the
    /// reason shown.
    fn end(&mut self, reason: EndReason, now: Instant, tell_far_end: bool) -> Vec<Action> {
        let mut actions = Vec::new();
        if tell_far_end && let Some(session) = self.session() {
            actions.push(Action::EndSession {
                session: session.to_owned(),
            });
        }
        if matches!(self.phase, Phase::Ringing { .. }) {
            actions.push(Action::Ring(false));
        }
        if self.media_running() {
            actions.push(Action::StopMedia);
        }
        let peer = self.peer();
        self.phase = Phase::Ended {
            reason,
            peer,
            until: now + ENDED_SHOWN,
        };
        self.observation = false;
        self.held.clear();
        self.mic_muted = false;
        self.camera_off = false;
        actions
    }

    /// Keeps the server's `busy` flag in step with the phase. Becoming free is said before
    /// anything else (a caller told "ended" then reads the flag to say busy or declined);
    /// becoming busy after.
    fn registration(&mut self, actions: &mut Vec<Action>) {
        let busy = !matches!(self.phase, Phase::Idle | Phase::Ended { .. });
        if self.registered_busy.is_some() && self.registered_busy != Some(busy) {
            self.registered_busy = Some(busy);
            if busy {
                actions.push(Action::Register { busy });
            } else {
                actions.insert(0, Action::Register { busy });
            }
        }
    }

    /// Takes one input at `now`; returns what to do, in order.
    pub fn input(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let mut actions = self.step(input, now);
        self.registration(&mut actions);
        actions
    }

    fn step(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let ours = |s: &str, this: &Call| this.session() == Some(s);
        match input {
            Input::Welcome => {
                let busy = !matches!(self.phase, Phase::Idle | Phase::Ended { .. });
                self.registered_busy = Some(busy);
                vec![Action::Register { busy }, Action::List]
            }
            Input::Directory(peers) => {
                self.directory = peers
                    .iter()
                    .filter_map(|(id, meta)| Peer::from_meta(id, meta.as_ref()))
                    .collect();
                Vec::new()
            }
            Input::PeerStatus { id, meta, gone } => {
                self.directory.retain(|p| p.id != id);
                if !gone && let Some(p) = Peer::from_meta(&id, meta.as_ref()) {
                    self.directory.push(p);
                }
                Vec::new()
            }
            Input::Incoming { session, from } => {
                if !matches!(self.phase, Phase::Idle | Phase::Ended { .. }) {
                    // One call at a time: the second caller is told at once (the server ends
                    // their session; our `busy` flag says why).
                    return vec![Action::EndSession { session }];
                }
                let caller = self.lookup(&from);
                let observe = !caller.bed
                    && self
                        .observation_roles
                        .contains(&caller.role.trim().to_lowercase());
                if observe {
                    self.observation = true;
                    self.phase = Phase::Connecting {
                        session,
                        peer: caller,
                        since: now,
                    };
                    return vec![Action::StartMedia];
                }
                self.phase = Phase::Ringing {
                    session,
                    caller,
                    since: now,
                };
                vec![Action::Ring(true)]
            }
            Input::SessionStarted { session, with } => match &mut self.phase {
                Phase::Dialling {
                    session: s @ None,
                    callee,
                    ..
                } if callee.id == with => {
                    *s = Some(session.clone());
                    std::mem::take(&mut self.held)
                        .into_iter()
                        .map(|(mline, candidate)| Action::SendCandidate {
                            session: session.clone(),
                            mline,
                            candidate,
                        })
                        .collect()
                }
                // A session we did not ask for (or asked for and gave up on): close it.
                _ => vec![Action::EndSession { session }],
            },
            Input::Answer { session, sdp } => {
                if !ours(&session, self) {
                    return Vec::new();
                }
                match &self.phase {
                    Phase::Dialling {
                        session: Some(s),
                        callee,
                        ..
                    } => {
                        self.phase = Phase::Connecting {
                            session: s.clone(),
                            peer: callee.clone(),
                            since: now,
                        };
                        vec![Action::SetAnswer(sdp)]
                    }
                    Phase::Connecting { .. } => vec![Action::SetAnswer(sdp)],
                    _ => Vec::new(),
                }
            }
            Input::Offer { session } => {
                if ours(&session, self) {
                    // The far end broke the protocol: a call that cannot be set up.
                    return self.end(EndReason::Failed, now, true);
                }
                Vec::new()
            }
            Input::RemoteCandidate {
                session,
                mline,
                candidate,
            } => {
                if ours(&session, self) && self.media_running() {
                    vec![Action::AddCandidate { mline, candidate }]
                } else {
                    Vec::new()
                }
            }
            Input::SessionEnded { session } => {
                if !ours(&session, self) {
                    return Vec::new();
                }
                let reason = match &self.phase {
                    Phase::Ringing { .. } => EndReason::CallerGaveUp,
                    Phase::Dialling { callee, .. } => {
                        let busy = self.directory.iter().any(|p| p.id == callee.id && p.busy);
                        if busy {
                            EndReason::Busy
                        } else {
                            EndReason::NoAnswer
                        }
                    }
                    _ => EndReason::FarEndHungUp,
                };
                self.end(reason, now, false)
            }
            Input::ServerError(_) => match &self.phase {
                // The peer we dialled is gone (or never was).
                Phase::Dialling { session: None, .. } => {
                    self.end(EndReason::Unavailable, now, false)
                }
                _ => Vec::new(),
            },
            Input::Disconnected => {
                self.directory.clear();
                self.registered_busy = None;
                match self.phase {
                    Phase::Idle | Phase::Ended { .. } => Vec::new(),
                    // The server ended the session for the far end too.
                    _ => self.end(EndReason::Lost, now, false),
                }
            }
            Input::Accept => match &self.phase {
                Phase::Ringing {
                    session, caller, ..
                } => {
                    self.phase = Phase::Connecting {
                        session: session.clone(),
                        peer: caller.clone(),
                        since: now,
                    };
                    vec![Action::Ring(false), Action::StartMedia]
                }
                _ => Vec::new(),
            },
            Input::Decline => match self.phase {
                Phase::Ringing { .. } => self.end(EndReason::Declined, now, true),
                _ => Vec::new(),
            },
            Input::HangUp => match self.phase {
                Phase::Dialling { .. } | Phase::Connecting { .. } | Phase::Live { .. } => {
                    self.end(EndReason::HungUp, now, true)
                }
                Phase::Ended { .. } => {
                    self.phase = Phase::Idle;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Input::Dial(id) => {
                if !matches!(self.phase, Phase::Idle | Phase::Ended { .. }) {
                    return Vec::new();
                }
                let Some(callee) = self.directory.iter().find(|p| p.id == id).cloned() else {
                    let peer = self.lookup(&id);
                    self.phase = Phase::Ended {
                        reason: EndReason::Unavailable,
                        peer: Some(peer),
                        until: now + ENDED_SHOWN,
                    };
                    return Vec::new();
                };
                self.phase = Phase::Dialling {
                    session: None,
                    callee,
                    since: now,
                };
                vec![Action::StartMedia]
            }
            Input::Unreachable(name) => {
                if matches!(self.phase, Phase::Idle | Phase::Ended { .. }) {
                    self.phase = Phase::Ended {
                        reason: EndReason::Unavailable,
                        peer: Some(Peer {
                            id: String::new(),
                            name,
                            role: String::new(),
                            bed: false,
                            busy: false,
                        }),
                        until: now + ENDED_SHOWN,
                    };
                }
                Vec::new()
            }
            Input::LocalOffer(sdp) => match &self.phase {
                Phase::Dialling {
                    session: None,
                    callee,
                    ..
                } => vec![Action::StartSession {
                    peer: callee.id.clone(),
                    offer: sdp,
                }],
                Phase::Connecting { session, .. } => vec![Action::SendOffer {
                    session: session.clone(),
                    sdp,
                }],
                _ => Vec::new(),
            },
            Input::LocalCandidate { mline, candidate } => match self.session() {
                Some(session) if self.media_running() => vec![Action::SendCandidate {
                    session: session.to_owned(),
                    mline,
                    candidate,
                }],
                None if matches!(self.phase, Phase::Dialling { .. }) => {
                    if self.held.len() < HELD_MAX {
                        self.held.push((mline, candidate));
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Input::Connected => {
                match &mut self.phase {
                    Phase::Connecting { session, peer, .. } => {
                        self.phase = Phase::Live {
                            session: session.clone(),
                            peer: peer.clone(),
                            since: now,
                            interrupted: None,
                        };
                        if self.observation {
                            return vec![Action::Chime];
                        }
                    }
                    Phase::Live { interrupted, .. } => *interrupted = None,
                    _ => {}
                }
                Vec::new()
            }
            Input::Interrupted => {
                if let Phase::Live { interrupted, .. } = &mut self.phase {
                    interrupted.get_or_insert(now);
                    return Vec::new();
                }
                match self.phase {
                    Phase::Connecting { .. } => self.end(EndReason::Lost, now, true),
                    _ => Vec::new(),
                }
            }
            Input::MediaFailed => {
                if self.media_running() {
                    let reason = if matches!(self.phase, Phase::Live { .. }) {
                        EndReason::Lost
                    } else {
                        EndReason::Failed
                    };
                    self.end(reason, now, true)
                } else {
                    Vec::new()
                }
            }
            Input::Tick => self.tick(now),
        }
    }

    fn tick(&mut self, now: Instant) -> Vec<Action> {
        let over = |since: Instant, limit: Duration| now.saturating_duration_since(since) >= limit;
        match &self.phase {
            Phase::Ringing { since, .. } if over(*since, RING_TIMEOUT) => {
                self.end(EndReason::Missed, now, true)
            }
            Phase::Dialling { since, .. } if over(*since, DIAL_TIMEOUT) => {
                self.end(EndReason::NoAnswer, now, true)
            }
            Phase::Connecting { since, .. } if over(*since, CONNECT_TIMEOUT) => {
                self.end(EndReason::Failed, now, true)
            }
            Phase::Live {
                interrupted: Some(at),
                ..
            } if over(*at, RECOVER_TIMEOUT) => self.end(EndReason::Lost, now, true),
            Phase::Ended { until, .. } if now >= *until => {
                self.phase = Phase::Idle;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// When something is next due (a timeout), for the call thread's wait.
    pub fn next_due(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Ringing { since, .. } => Some(*since + RING_TIMEOUT),
            Phase::Dialling { since, .. } => Some(*since + DIAL_TIMEOUT),
            Phase::Connecting { since, .. } => Some(*since + CONNECT_TIMEOUT),
            Phase::Live {
                interrupted: Some(at),
                ..
            } => Some(*at + RECOVER_TIMEOUT),
            Phase::Ended { until, .. } => Some(*until),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_thread_started_again_after_a_failure_says_the_call_failed_and_is_free() {
        let t0 = Instant::now();
        let caller = ringing(t0).peer();
        assert!(ringing(t0).phase().in_progress());
        let mut fresh = Call::new();
        fresh.fail(caller.clone(), t0);
        assert!(!fresh.phase().in_progress());
        assert_eq!(
            fresh.phase(),
            &Phase::Ended {
                reason: EndReason::Failed,
                peer: caller,
                until: t0 + ENDED_SHOWN
            }
        );
        // It registers as free for calls again, and the reason goes after its time.
        assert_eq!(
            fresh.input(Input::Welcome, t0),
            vec![Action::Register { busy: false }, Action::List]
        );
        fresh.input(Input::Tick, t0 + ENDED_SHOWN);
        assert_eq!(fresh.phase(), &Phase::Idle);
    }

    fn nurse() -> (String, Option<serde_json::Value>) {
        (
            "p-nurse".into(),
            Some(serde_json::json!({"kind": "care-team", "name": "Ana Ruiz", "role": "Nurse"})),
        )
    }

    fn online(call: &mut Call, now: Instant) {
        assert_eq!(
            call.input(Input::Welcome, now),
            vec![Action::Register { busy: false }, Action::List]
        );
        call.input(Input::Directory(vec![nurse()]), now);
    }

    fn ringing(now: Instant) -> Call {
        let mut call = Call::new();
        online(&mut call, now);
        let actions = call.input(
            Input::Incoming {
                session: "s1".into(),
                from: "p-nurse".into(),
            },
            now,
        );
        assert_eq!(
            actions,
            vec![Action::Ring(true), Action::Register { busy: true }]
        );
        call
    }

    #[test]
    fn an_incoming_call_rings_with_the_callers_name_and_never_answers_itself() {
        let t0 = Instant::now();
        let mut call = ringing(t0);
        let Phase::Ringing { caller, .. } = call.phase() else {
            panic!("not ringing: {:?}", call.phase());
        };
        assert_eq!(
            (caller.name.as_str(), caller.role.as_str()),
            ("Ana Ruiz", "Nurse")
        );
        // Nothing but time passes: no media, ever; after the timeout it is declined for us.
        assert!(call.input(Input::Tick, t0 + RING_TIMEOUT / 2).is_empty());
        assert!(!call.media_running());
        let actions = call.input(Input::Tick, t0 + RING_TIMEOUT);
        assert_eq!(
            actions,
            vec![
                Action::Register { busy: false },
                Action::EndSession {
                    session: "s1".into()
                },
                Action::Ring(false),
            ]
        );
        assert!(matches!(
            call.phase(),
            Phase::Ended {
                reason: EndReason::Missed,
                ..
            }
        ));
        assert_eq!(
            call.input(Input::Tick, t0 + RING_TIMEOUT + ENDED_SHOWN),
            vec![]
        );
        assert_eq!(call.phase(), &Phase::Idle);
    }

    #[test]
    fn accepting_offers_media_and_the_call_goes_live_when_connected() {
        let t0 = Instant::now();
        let mut call = ringing(t0);
        assert_eq!(
            call.input(Input::Accept, t0),
            vec![Action::Ring(false), Action::StartMedia]
        );
        assert!(call.media_running());
        // Our candidates and offer go to the session.
        assert_eq!(
            call.input(
                Input::LocalCandidate {
                    mline: 0,
                    candidate: "c0".into()
                },
                t0
            ),
            vec![Action::SendCandidate {
                session: "s1".into(),
                mline: 0,
                candidate: "c0".into()
            }]
        );
        assert_eq!(
            call.input(Input::LocalOffer("v=0".into()), t0),
            vec![Action::SendOffer {
                session: "s1".into(),
                sdp: "v=0".into()
            }]
        );
        // Messages for another session are ignored.
        assert!(
            call.input(
                Input::Answer {
                    session: "other".into(),
                    sdp: "x".into()
                },
                t0
            )
            .is_empty()
        );
        assert_eq!(
            call.input(
                Input::Answer {
                    session: "s1".into(),
                    sdp: "v=0 answer".into()
                },
                t0
            ),
            vec![Action::SetAnswer("v=0 answer".into())]
        );
        call.input(Input::Connected, t0 + Duration::from_millis(300));
        assert!(matches!(call.phase(), Phase::Live { .. }));
        // The far end hangs up: media stops, nothing is sent back.
        let actions = call.input(
            Input::SessionEnded {
                session: "s1".into(),
            },
            t0 + Duration::from_secs(60),
        );
        assert_eq!(
            actions,
            vec![Action::Register { busy: false }, Action::StopMedia]
        );
        assert!(matches!(
            call.phase(),
            Phase::Ended {
                reason: EndReason::FarEndHungUp,
                ..
            }
        ));
    }

    #[test]
    fn a_second_call_is_told_busy_and_the_first_goes_on() {
        let t0 = Instant::now();
        let mut call = ringing(t0);
        call.input(Input::Accept, t0);
        let actions = call.input(
            Input::Incoming {
                session: "s2".into(),
                from: "p-other".into(),
            },
            t0,
        );
        assert_eq!(
            actions,
            vec![Action::EndSession {
                session: "s2".into()
            }]
        );
        assert!(matches!(call.phase(), Phase::Connecting { session, .. } if session == "s1"));
    }

    #[test]
    fn declining_ends_the_session_without_media() {
        let t0 = Instant::now();
        let mut call = ringing(t0);
        let actions = call.input(Input::Decline, t0);
        assert_eq!(
            actions,
            vec![
                Action::Register { busy: false },
                Action::EndSession {
                    session: "s1".into()
                },
                Action::Ring(false),
            ]
        );
        // A late answer or candidate for the declined session does nothing.
        assert!(
            call.input(
                Input::RemoteCandidate {
                    session: "s1".into(),
                    mline: 0,
                    candidate: "c".into()
                },
                t0
            )
            .is_empty()
        );
    }

    #[test]
    fn dialling_holds_candidates_until_the_session_has_an_id() {
        let t0 = Instant::now();
        let mut call = Call::new();
        online(&mut call, t0);
        assert_eq!(call.callable().len(), 1);
        assert_eq!(
            call.input(Input::Dial("p-nurse".into()), t0),
            vec![Action::StartMedia, Action::Register { busy: true }]
        );
        call.input(
            Input::LocalCandidate {
                mline: 0,
                candidate: "early".into(),
            },
            t0,
        );
        assert_eq!(
            call.input(Input::LocalOffer("v=0".into()), t0),
            vec![Action::StartSession {
                peer: "p-nurse".into(),
                offer: "v=0".into()
            }]
        );
        assert_eq!(
            call.input(
                Input::SessionStarted {
                    session: "s9".into(),
                    with: "p-nurse".into()
                },
                t0
            ),
            vec![Action::SendCandidate {
                session: "s9".into(),
                mline: 0,
                candidate: "early".into()
            }]
        );
        assert_eq!(
            call.input(
                Input::Answer {
                    session: "s9".into(),
                    sdp: "a".into()
                },
                t0
            ),
            vec![Action::SetAnswer("a".into())]
        );
        assert!(matches!(call.phase(), Phase::Connecting { .. }));
    }

    #[test]
    fn a_busy_far_end_and_an_unknown_one_say_so() {
        let t0 = Instant::now();
        let mut call = Call::new();
        online(&mut call, t0);
        call.input(Input::Dial("p-nurse".into()), t0);
        call.input(
            Input::SessionStarted {
                session: "s".into(),
                with: "p-nurse".into(),
            },
            t0,
        );
        call.input(
            Input::PeerStatus {
                id: "p-nurse".into(),
                meta: Some(serde_json::json!({"name": "Ana Ruiz", "role": "Nurse", "busy": true})),
                gone: false,
            },
            t0,
        );
        call.input(
            Input::SessionEnded {
                session: "s".into(),
            },
            t0,
        );
        assert!(matches!(
            call.phase(),
            Phase::Ended {
                reason: EndReason::Busy,
                ..
            }
        ));
        let mut call = Call::new();
        online(&mut call, t0);
        assert!(call.input(Input::Dial("p-gone".into()), t0).is_empty());
        assert!(matches!(
            call.phase(),
            Phase::Ended {
                reason: EndReason::Unavailable,
                ..
            }
        ));
    }

    #[test]
    fn a_dropped_connection_ends_the_call_unless_it_comes_back() {
        let t0 = Instant::now();
        let mut call = ringing(t0);
        call.input(Input::Accept, t0);
        call.input(Input::Connected, t0);
        call.input(Input::Interrupted, t0 + Duration::from_secs(10));
        call.input(Input::Connected, t0 + Duration::from_secs(12));
        assert!(
            call.input(Input::Tick, t0 + Duration::from_secs(30))
                .is_empty()
        );
        call.input(Input::Interrupted, t0 + Duration::from_secs(40));
        let actions = call.input(Input::Tick, t0 + Duration::from_secs(40) + RECOVER_TIMEOUT);
        assert!(actions.contains(&Action::StopMedia));
        assert!(actions.contains(&Action::EndSession {
            session: "s1".into()
        }));
        assert!(matches!(
            call.phase(),
            Phase::Ended {
                reason: EndReason::Lost,
                ..
            }
        ));
    }

    #[test]
    fn losing_the_server_mid_call_ends_it_and_forgets_who_is_online() {
        let t0 = Instant::now();
        let mut call = ringing(t0);
        call.input(Input::Accept, t0);
        let actions = call.input(Input::Disconnected, t0);
        assert!(actions.contains(&Action::StopMedia));
        assert!(call.callable().is_empty());
        // Back online: registered again, not busy.
        assert_eq!(
            call.input(Input::Welcome, t0),
            vec![Action::Register { busy: false }, Action::List]
        );
    }

    #[test]
    fn an_offer_from_the_far_end_fails_the_call_and_stray_messages_do_nothing() {
        let t0 = Instant::now();
        let mut call = Call::new();
        online(&mut call, t0);
        for input in [
            Input::Accept,
            Input::Decline,
            Input::HangUp,
            Input::Connected,
            Input::Interrupted,
            Input::MediaFailed,
            Input::LocalOffer("x".into()),
            Input::Answer {
                session: "s".into(),
                sdp: "x".into(),
            },
            Input::SessionEnded {
                session: "s".into(),
            },
        ] {
            assert!(call.input(input, t0).is_empty());
            assert_eq!(call.phase(), &Phase::Idle);
        }
        // A session started that we never asked for is closed.
        assert_eq!(
            call.input(
                Input::SessionStarted {
                    session: "x".into(),
                    with: "y".into()
                },
                t0
            ),
            vec![Action::EndSession {
                session: "x".into()
            }]
        );
        let mut call = ringing(t0);
        call.input(Input::Accept, t0);
        let actions = call.input(
            Input::Offer {
                session: "s1".into(),
            },
            t0,
        );
        assert!(actions.contains(&Action::StopMedia));
    }

    #[test]
    fn peers_without_a_name_are_not_listed_and_names_are_bounded() {
        assert_eq!(Peer::from_meta("a", None), None);
        assert_eq!(
            Peer::from_meta("a", Some(&serde_json::json!({"role": "Nurse"}))),
            None
        );
        let long = "x".repeat(500);
        let p = Peer::from_meta("a", Some(&serde_json::json!({"name": long, "kind": "bed"})))
            .expect("named");
        assert_eq!(p.name.len(), 80);
        assert!(p.bed);
    }

    #[test]
    fn only_a_configured_observation_role_is_answered_without_a_press_and_it_chimes() {
        let t0 = Instant::now();
        let mut call = Call::with_observation(&["Virtual Sitter".into()]);
        online(&mut call, t0);
        call.input(
            Input::PeerStatus {
                id: "p-sitter".into(),
                meta: Some(serde_json::json!({"name": "Sam Lee", "role": "virtual sitter"})),
                gone: false,
            },
            t0,
        );
        // The nurse is not an observer: her call rings as usual.
        let actions = call.input(
            Input::Incoming {
                session: "s1".into(),
                from: "p-nurse".into(),
            },
            t0,
        );
        assert!(actions.contains(&Action::Ring(true)));
        assert!(!call.observation());
        call.input(Input::Decline, t0);
        // The sitter's call starts media at once, never rings, and chimes when connected.
        let actions = call.input(
            Input::Incoming {
                session: "s2".into(),
                from: "p-sitter".into(),
            },
            t0,
        );
        assert_eq!(
            actions,
            vec![Action::StartMedia, Action::Register { busy: true }]
        );
        assert!(call.observation());
        assert_eq!(call.input(Input::Connected, t0), vec![Action::Chime]);
        assert!(call.observation());
        call.input(
            Input::SessionEnded {
                session: "s2".into(),
            },
            t0,
        );
        assert!(!call.observation());
        // Without the policy nobody is answered for the patient.
        let mut call = Call::new();
        online(&mut call, t0);
        call.input(
            Input::PeerStatus {
                id: "p-sitter".into(),
                meta: Some(serde_json::json!({"name": "Sam Lee", "role": "Virtual sitter"})),
                gone: false,
            },
            t0,
        );
        let actions = call.input(
            Input::Incoming {
                session: "s3".into(),
                from: "p-sitter".into(),
            },
            t0,
        );
        assert!(actions.contains(&Action::Ring(true)));
    }
}
