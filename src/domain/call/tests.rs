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
        Some(
            serde_json::json!({"verified": "sign-in", "kind": "care-team", "name": "Ana Ruiz", "role": "Nurse"}),
        ),
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
fn a_blocked_family_caller_never_rings_again_and_the_care_team_cannot_be_blocked() {
    use crate::domain::family::Member;
    let t0 = Instant::now();
    let jo = Member::new(
        "RelatedPerson/jo".into(),
        "Jo Yundt".into(),
        &["Jo"],
        Some("Yundt"),
    );
    let mut call = Call::new();
    online(&mut call, t0);
    call.set_family(vec![jo.clone()], Vec::new());
    call.input(
        Input::PeerStatus {
            id: "p-jo".into(),
            meta: Some(
                serde_json::json!({"verified": "invitation", "kind": "family", "name": "Jo Yundt", "role": "Daughter"}),
            ),
            gone: false,
        },
        t0,
    );
    let from = |call: &mut Call, id: &str, session: &str| {
        call.input(
            Input::Incoming {
                session: session.into(),
                from: id.into(),
            },
            t0,
        )
    };
    assert!(from(&mut call, "p-jo", "s1").contains(&Action::Ring(true)));
    let actions = call.input(Input::Block, t0);
    assert!(actions.contains(&Action::EndSession {
        session: "s1".into()
    }));
    assert!(actions.contains(&Action::Ring(false)));
    assert!(matches!(
        call.phase(),
        Phase::Ended {
            reason: EndReason::Blocked,
            ..
        }
    ));
    // She calls again at once (before the family list that names her as not allowed comes):
    // refused unseen, and not listed to be called.
    call.input(Input::Tick, t0 + ENDED_SHOWN);
    assert_eq!(
        from(&mut call, "p-jo", "s2"),
        vec![Action::Refuse {
            session: "s2".into(),
            why: Refusal::NotOnFamilyList,
        }]
    );
    assert!(call.callable().iter().all(|p| p.name != "Jo Yundt"));
    // The list then comes from the settings (she is among those not allowed): still refused.
    call.set_family(Vec::new(), vec![jo]);
    assert!(matches!(
        from(&mut call, "p-jo", "s3").as_slice(),
        [Action::Refuse { .. }]
    ));

    // The nurse cannot be blocked: Block declines the call, and she can call again.
    let mut call = ringing(t0);
    call.input(Input::Block, t0);
    assert!(matches!(
        call.phase(),
        Phase::Ended {
            reason: EndReason::Declined,
            ..
        }
    ));
    call.input(Input::Tick, t0 + ENDED_SHOWN);
    assert!(from(&mut call, "p-nurse", "s4").contains(&Action::Ring(true)));
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
            meta: Some(serde_json::json!({"verified": "sign-in", "name": "Ana Ruiz", "role": "Nurse", "busy": true})),
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
        Peer::from_meta(
            "a",
            Some(&serde_json::json!({"verified": "sign-in", "role": "Nurse"}))
        ),
        None
    );
    // Named, but not vouched for by the server: nobody.
    assert_eq!(
        Peer::from_meta(
            "a",
            Some(&serde_json::json!({"name": "Ana Ruiz", "role": "Nurse"}))
        ),
        None
    );
    let long = "x".repeat(500);
    let p = Peer::from_meta(
        "a",
        Some(&serde_json::json!({"verified": "sign-in", "name": long, "kind": "bed"})),
    )
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
            meta: Some(serde_json::json!({"verified": "sign-in", "name": "Sam Lee", "role": "virtual sitter"})),
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
            meta: Some(serde_json::json!({"verified": "sign-in", "name": "Sam Lee", "role": "Virtual sitter"})),
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

#[test]
fn a_caller_saying_they_are_family_rings_only_from_the_family_list() {
    use crate::domain::family::Member;
    let t0 = Instant::now();
    let person = |id: &str, name: &str, role: &str| {
        (
            id.to_owned(),
            Some(
                serde_json::json!({"verified": "sign-in", "kind": "care-team", "name": name, "role": role}),
            ),
        )
    };
    let refused = |id: &str| {
        vec![Action::Refuse {
            session: format!("s-{id}"),
            why: Refusal::NotOnFamilyList,
        }]
    };
    let rings = vec![Action::Ring(true), Action::Register { busy: true }];
    let from = |call: &mut Call, id: &str| {
        call.input(
            Input::Incoming {
                session: format!("s-{id}"),
                from: id.into(),
            },
            t0,
        )
    };
    let names =
        |call: &Call| -> Vec<String> { call.callable().into_iter().map(|p| p.name).collect() };
    let jo = || {
        Member::new(
            "RelatedPerson/jo".into(),
            "Jo Yundt".into(),
            &["Jo"],
            Some("Yundt"),
        )
    };
    let mut call = Call::new();
    online(&mut call, t0);
    call.input(
        Input::Directory(vec![
            nurse(),
            person("p-jo", "Jo Yundt", "Family"),
            person("p-stranger", "Sam Stone", "Family"),
            person("p-kin", "Sam Stone", "Next of kin"),
            person("p-slash", "Sam Stone", "Carer/Family"),
            person("p-son", "Sam Stone", "Son"),
            // Family by invitation, whatever word their relationship is.
            (
                "p-neighbour".into(),
                Some(serde_json::json!({"verified": "invitation", "kind": "family", "name": "Sam Stone", "role": "Neighbour", "bed": "b"})),
            ),
            (
                "p-bed".into(),
                Some(serde_json::json!({"verified": "sign-in", "kind": "bed", "name": "Sam Stone", "role": "Family"})),
            ),
        ]),
        t0,
    );
    // Nobody on the list yet: no family caller is listed, and none rings.
    assert_eq!(names(&call), ["Ana Ruiz"]);
    assert_eq!(from(&mut call, "p-jo"), refused("p-jo"));
    assert_eq!(call.phase(), &Phase::Idle, "the patient was not rung");

    // Jo is on the record's family list: listed and rung; the stranger still is not, however
    // his page words the claim (or if it says it is a bed).
    call.set_family(vec![jo()], Vec::new());
    assert_eq!(names(&call), ["Jo Yundt", "Ana Ruiz"]);
    for id in [
        "p-stranger",
        "p-kin",
        "p-slash",
        "p-son",
        "p-neighbour",
        "p-bed",
    ] {
        assert_eq!(from(&mut call, id), refused(id), "{id}");
    }
    assert_eq!(from(&mut call, "p-jo"), rings);

    // Staff set Jo as not allowed: refused even if another entry of the record (the same
    // person twice) allows the name.
    let mut call = Call::new();
    online(&mut call, t0);
    call.input(
        Input::Directory(vec![person("p-jo", "Jo Yundt", "Family")]),
        t0,
    );
    call.set_family(vec![jo()], vec![jo()]);
    assert_eq!(from(&mut call, "p-jo"), refused("p-jo"));

    // A care-team member (the server proved it) is not held to the family list.
    let mut call = Call::new();
    online(&mut call, t0);
    call.input(
        Input::Directory(vec![person("p-x", "Sam Stone", "Nurse")]),
        t0,
    );
    assert_eq!(from(&mut call, "p-x"), rings);
}

#[test]
fn a_caller_who_never_gave_a_name_is_refused_without_ringing() {
    let t0 = Instant::now();
    let mut call = Call::new();
    online(&mut call, t0);
    assert_eq!(
        call.input(
            Input::Incoming {
                session: "s9".into(),
                from: "p-nobody".into(),
            },
            t0,
        ),
        vec![Action::Refuse {
            session: "s9".into(),
            why: Refusal::Anonymous,
        }]
    );
    assert_eq!(call.phase(), &Phase::Idle);
}

#[test]
fn the_support_desk_is_not_listed_but_found_for_a_test_call_a_free_one_first() {
    let t0 = Instant::now();
    let mut call = Call::new();
    online(&mut call, t0);
    let desk = |id: &str, name: &str, busy: bool| {
        (
            id.to_owned(),
            Some(
                serde_json::json!({"verified": "sign-in", "kind": "support", "name": name, "role": "Support", "busy": busy}),
            ),
        )
    };
    assert_eq!(call.support_desk(), None);
    call.input(
        Input::Directory(vec![
            nurse(),
            desk("p-a", "Alpha Desk", true),
            desk("p-b", "Beta Desk", false),
        ]),
        t0,
    );
    let names: Vec<String> = call.callable().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Ana Ruiz"], "support is not among the people");
    assert_eq!(
        call.support_desk().unwrap().id,
        "p-b",
        "the free desk first"
    );
    // A test call is an ordinary call to the desk.
    assert_eq!(
        call.input(Input::Dial("p-b".into()), t0),
        vec![Action::StartMedia, Action::Register { busy: true }]
    );
}

#[test]
fn a_connection_that_does_not_come_back_is_started_afresh_in_the_same_session() {
    let t0 = Instant::now();
    let mut call = ringing(t0);
    call.input(Input::Accept, t0);
    call.input(Input::Connected, t0);
    assert!(matches!(call.phase(), Phase::Live { .. }));
    let at = |s: u64| t0 + Duration::from_secs(s);
    // The path drops at 10 s: nothing at once (it may come back by itself)...
    assert!(call.input(Input::Interrupted, at(10)).is_empty());
    assert_eq!(call.next_due(), Some(at(10) + RESTART_AFTER));
    assert!(call.input(Input::Tick, at(11)).is_empty());
    // ...then a fresh connection, once.
    assert_eq!(
        call.input(Input::Tick, at(10) + RESTART_AFTER),
        vec![Action::RestartMedia]
    );
    assert!(call.input(Input::Tick, at(13)).is_empty());
    assert_eq!(call.next_due(), Some(at(10) + RECOVER_TIMEOUT));
    // Its offer goes to the far end in the same session; its answer is taken.
    assert_eq!(
        call.input(Input::LocalOffer("v=0 again".into()), at(13)),
        vec![Action::SendOffer {
            session: "s1".into(),
            sdp: "v=0 again".into()
        }]
    );
    assert_eq!(
        call.input(
            Input::LocalCandidate {
                mline: 0,
                candidate: "new".into()
            },
            at(13)
        ),
        vec![Action::SendCandidate {
            session: "s1".into(),
            mline: 0,
            candidate: "new".into()
        }]
    );
    assert_eq!(
        call.input(
            Input::Answer {
                session: "s1".into(),
                sdp: "answer again".into()
            },
            at(13)
        ),
        vec![Action::SetAnswer("answer again".into())]
    );
    // Connected again: the same call goes on (its clock too), and a later drop gets its own
    // fresh start.
    call.input(Input::Connected, at(14));
    match call.phase() {
        Phase::Live {
            session,
            since,
            interrupted,
            restarted,
            ..
        } => {
            assert_eq!(session, "s1");
            assert_eq!(*since, t0);
            assert_eq!(*interrupted, None);
            assert!(!restarted);
        }
        other => panic!("{other:?}"),
    }
    call.input(Input::Interrupted, at(30));
    assert_eq!(
        call.input(Input::Tick, at(30) + RESTART_AFTER),
        vec![Action::RestartMedia]
    );
    // A far end that cannot take a new offer: the call ends as lost when the time is up.
    let ended = call.input(Input::Tick, at(30) + RECOVER_TIMEOUT);
    assert!(ended.contains(&Action::StopMedia), "{ended:?}");
    assert!(matches!(
        call.phase(),
        Phase::Ended {
            reason: EndReason::Lost,
            ..
        }
    ));
}

#[test]
fn a_changed_path_starts_the_connection_afresh_at_once_and_only_once() {
    let t0 = Instant::now();
    let mut call = ringing(t0);
    call.input(Input::Accept, t0);
    call.input(Input::Connected, t0);
    let at = |s: u64| t0 + Duration::from_secs(s);
    assert_eq!(
        call.input(Input::PathChanged, at(10)),
        vec![Action::RestartMedia]
    );
    // The drop the media reports next changes nothing; nor does a second path change.
    assert!(call.input(Input::Interrupted, at(11)).is_empty());
    assert!(call.input(Input::PathChanged, at(11)).is_empty());
    assert!(call.input(Input::Tick, at(10) + RESTART_AFTER).is_empty());
    // The time to come back counts from the change.
    assert_eq!(call.next_due(), Some(at(10) + RECOVER_TIMEOUT));
    call.input(Input::Connected, at(12));
    assert!(matches!(
        call.phase(),
        Phase::Live {
            interrupted: None,
            restarted: false,
            ..
        }
    ));
    // Not a call: nothing.
    let mut idle = ringing(t0);
    assert!(idle.input(Input::PathChanged, t0).is_empty());
}
