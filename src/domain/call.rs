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
pub const RECOVER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a dropped connection is given to come back by itself before the bed starts it
/// afresh (a new `webrtcbin` and a new offer in the same session: GStreamer 1.22 has no ICE
/// restart): a changed network path, a relay that restarted.
pub const RESTART_AFTER: Duration = Duration::from_secs(2);
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
    /// Family by the call server's word (an invitation's token): checked against the family
    /// list whatever their role says.
    pub family: bool,
    /// The support desk (a token of kind `support`): reached by "Test call with support",
    /// not listed among the people to call.
    pub support: bool,
    /// In a call now.
    pub busy: bool,
}

impl Peer {
    /// Reads a peer from the signalling server's `meta` (see docs/calls.md). A peer without
    /// a name is not callable and not listed, nor is one the server did not vouch for
    /// (`verified`: `bedside-call-server` sets it from a token or a box certificate and
    /// overwrites whatever a peer says; a server that does not check who connects never sets
    /// it, so nobody on it can ring or be rung by the bed).
    pub fn from_meta(id: &str, meta: Option<&serde_json::Value>) -> Option<Peer> {
        let meta = meta?;
        let verified = meta
            .get("verified")
            .and_then(|v| v.as_str())
            .is_some_and(|v| !v.trim().is_empty());
        if !verified {
            return None;
        }
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
            family: text("kind") == "family",
            support: text("kind") == "support",
            busy: meta.get("busy").and_then(|v| v.as_bool()).unwrap_or(false),
        })
    }
}

/// Why a call ended, in the words the screen uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The patient declined.
    Declined,
    /// The patient declined and blocked the caller for the rest of the stay.
    Blocked,
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
        /// The connection was started afresh during this interruption.
        restarted: bool,
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
    /// Decline, and refuse this caller's calls from now on (the patient blocked them for the
    /// stay: the family list that comes next names them as not allowed, and until then this
    /// machine does).
    Block,
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
    /// The box's own network path changed under a live call whose media went quiet (its
    /// link to the call server had to be made again): the connection is started afresh now,
    /// not after [`RESTART_AFTER`].
    PathChanged,
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
    /// The connection dropped and did not come back: stop the media and start it afresh (a
    /// new offer follows as [`Input::LocalOffer`] and goes to the far end in the same session).
    RestartMedia,
    /// End this session unseen (the patient is not rung; the server tells the caller the call
    /// ended), for this reason.
    Refuse {
        session: String,
        why: Refusal,
    },
}

/// Why a call was refused without ringing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The caller says they are family and is not on the bed's family list (or staff set them
    /// as not allowed).
    NotOnFamilyList,
    /// The caller never told the server who they are (no name): nobody to show the patient.
    Anonymous,
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
    /// The family and caregivers who may call (see `domain::family`), and those staff set as
    /// not allowed; a caller claiming to be family under any name but the allowed ones is
    /// refused.
    family: Vec<super::family::Member>,
    family_blocked: Vec<super::family::Member>,
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
            family: Vec::new(),
            family_blocked: Vec::new(),
        }
    }

    /// Who may call as family now (the record's family less those staff set as not allowed),
    /// and those set as not allowed (a name that answers to one of them is refused even if
    /// another entry of the record allows it).
    pub fn set_family(
        &mut self,
        allowed: Vec<super::family::Member>,
        blocked: Vec<super::family::Member>,
    ) {
        self.family = allowed;
        self.family_blocked = blocked;
    }

    /// Someone who says they are family (whatever else their page says they are) but is not on
    /// the family list, or answers to someone staff set as not allowed.
    fn unknown_family(&self, peer: &Peer) -> bool {
        Call::family_caller(peer)
            && (self.family_blocked.iter().any(|m| m.answers_to(&peer.name))
                || !self.family.iter().any(|m| m.answers_to(&peer.name)))
    }

    /// A caller held to the family list: family by the call server's word, or by their role.
    pub fn family_caller(peer: &Peer) -> bool {
        peer.family || super::family::claims_family(&peer.role)
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
        // Nobody the patient could mistake for family who is not on the family list.
        let mut people: Vec<Peer> = self
            .directory
            .iter()
            .filter(|p| !p.bed && !p.support && !self.unknown_family(p))
            .cloned()
            .collect();
        people.sort_by(|a, b| (a.busy, &a.role, &a.name).cmp(&(b.busy, &b.role, &b.name)));
        people
    }

    /// The support desk to call for a test call: one online, a free one first.
    pub fn support_desk(&self) -> Option<Peer> {
        self.directory
            .iter()
            .filter(|p| p.support && !p.bed)
            .min_by(|a, b| (a.busy, &a.name, &a.id).cmp(&(b.busy, &b.name, &b.id)))
            .cloned()
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
                family: false,
                support: false,
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
                // Only callers who told the server their name (a page that registered) ring.
                let Some(caller) = self.directory.iter().find(|p| p.id == from).cloned() else {
                    return vec![Action::Refuse {
                        session,
                        why: Refusal::Anonymous,
                    }];
                };
                if self.unknown_family(&caller) {
                    return vec![Action::Refuse {
                        session,
                        why: Refusal::NotOnFamilyList,
                    }];
                }
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
                    // A connection started afresh: the far end's answer to the new offer.
                    Phase::Connecting { .. } | Phase::Live { .. } => {
                        vec![Action::SetAnswer(sdp)]
                    }
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
            Input::Block => match &self.phase {
                // Only a caller held to the family list can be blocked by the patient: the
                // care team must always be able to reach the bed (decline them, or tell the
                // nurse).
                Phase::Ringing { caller, .. } if Call::family_caller(caller) => {
                    let name = caller.name.clone();
                    self.family_blocked.push(super::family::Member::new(
                        String::new(),
                        name,
                        &[],
                        None,
                    ));
                    self.end(EndReason::Blocked, now, true)
                }
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
                            family: false,
                            support: false,
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
                Phase::Connecting { session, .. } | Phase::Live { session, .. } => {
                    vec![Action::SendOffer {
                        session: session.clone(),
                        sdp,
                    }]
                }
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
                            restarted: false,
                        };
                        if self.observation {
                            return vec![Action::Chime];
                        }
                    }
                    Phase::Live {
                        interrupted,
                        restarted,
                        ..
                    } => {
                        *interrupted = None;
                        *restarted = false;
                    }
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
            Input::PathChanged => match &mut self.phase {
                Phase::Live {
                    interrupted,
                    restarted,
                    ..
                } if !*restarted => {
                    interrupted.get_or_insert(now);
                    *restarted = true;
                    vec![Action::RestartMedia]
                }
                _ => Vec::new(),
            },
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
            Phase::Live {
                interrupted: Some(at),
                restarted: false,
                ..
            } if over(*at, RESTART_AFTER) => {
                if let Phase::Live { restarted, .. } = &mut self.phase {
                    *restarted = true;
                }
                vec![Action::RestartMedia]
            }
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
                restarted: false,
                ..
            } => Some(*at + RESTART_AFTER),
            Phase::Live {
                interrupted: Some(at),
                ..
            } => Some(*at + RECOVER_TIMEOUT),
            Phase::Ended { until, .. } => Some(*until),
            _ => None,
        }
    }
}

pub mod rehearsal;

#[cfg(test)]
mod tests;
