//! A box keeps its place on the call server across a new connection (`bedside-call-server`).
//!
//! When a box's address changes (a DHCP renewal with a new lease, a move from Wi-Fi to
//! Ethernet, a VLAN change), its TCP connection to the server is dead, and the server may not
//! notice for minutes (nothing answers; TCP retries). GStreamer's signalling handler ties a
//! call's session to the *connection*: a dropped connection ends the session for the far end
//! too. So the server sits between the connections and the handler:
//!
//! - the handler knows each box by one peer id, its *place*, for as long as the box is around;
//! - a new connection with the same box certificate that asks for that place (`?resume=<peer
//!   id>` on the WebSocket's address: a box that was in a call) takes it again (the old
//!   connection, if still open, is closed without ending anything), and is welcomed with the
//!   same peer id: that is how the box knows its sessions lived on. One that does not ask
//!   (a restarted program, an idle box) ends the earlier place at once and gets a new one;
//! - a box whose connection ended has its place held for [`HOLD`]: only if it does not come
//!   back in that time does the handler hear that it left (and end its sessions). What the
//!   handler says to a held place is dropped, except the end of a session, which is given on
//!   return (a care-team member who hung up meanwhile).
//!
//! People (care-team pages, family) are not held: a browser that loses its connection starts
//! again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use gst_plugin_webrtc_signalling_protocol as p;

/// How long a box's place is held after its connection ends. Longer than the box takes to
/// notice a dead link and connect again (`call::service`: a few seconds), shorter than the
/// far end waits for a call to come back.
pub const HOLD: Duration = Duration::from_secs(20);

/// How a box's connection came in.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrived {
    /// A new place: the connection's own id. `ended`: the box's earlier place, which the
    /// handler must now be told has left (ending its sessions), with the connection still
    /// serving it, if any, to close.
    New {
        ended: Option<(String, Option<String>)>,
    },
    /// The box is back in its place `peer`. `replaced`: its older connection, still open, to
    /// close.
    Back {
        peer: String,
        replaced: Option<String>,
    },
}

/// What became of a connection that ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Left {
    /// A box's place is held: if [`Places::expire`] with this `hold` still finds it held when
    /// [`HOLD`] is over, the box left.
    Held { peer: String, hold: u64 },
    /// An older connection of a box that is back on a newer one: nothing ended.
    Replaced,
    /// Gone now (the handler's id for it).
    Gone(String),
}

/// The boxes' places and which connection serves each.
#[derive(Debug, Default)]
pub struct Places {
    /// A box's key (its certificate's fingerprint) → its place.
    boxes: HashMap<String, String>,
    /// A place → the connection serving it, where that is not the first one.
    route: HashMap<String, String>,
    /// A connection → the place it serves, where that is not its own id.
    alias: HashMap<String, String>,
    /// Held places → which hold.
    held: HashMap<String, u64>,
    holds: u64,
    /// Session ends said to held places, given on return.
    kept: HashMap<String, Vec<p::OutgoingMessage>>,
    /// Connections of places already ended (their end changes nothing).
    ended: HashSet<String>,
}

impl Places {
    /// A box with this key connected as `connection`, asking to `resume` the place it had (a
    /// box that was in a call when its link dropped), or not (a box starting afresh: a
    /// restarted program, an idle box; its earlier place ends now, not when a hold runs out).
    pub fn arrive(&mut self, key: &str, connection: &str, resume: Option<&str>) -> Arrived {
        let earlier = self.boxes.get(key).cloned();
        let Some(peer) = earlier.filter(|p| Some(p.as_str()) == resume) else {
            let ended = self
                .boxes
                .insert(key.to_owned(), connection.to_owned())
                .map(|old| {
                    let open = match self.held.remove(&old) {
                        Some(_) => None,
                        None => Some(self.connection(&old)),
                    };
                    self.kept.remove(&old);
                    if let Some(c) = &open {
                        self.ended.insert(c.clone());
                    }
                    self.route.remove(&old);
                    (old, open)
                });
            return Arrived::New { ended };
        };
        let before = self.connection(&peer);
        let replaced = match self.held.remove(&peer) {
            Some(_) => None,
            None => Some(before),
        };
        if connection == peer {
            self.route.remove(&peer);
        } else {
            self.route.insert(peer.clone(), connection.to_owned());
            self.alias.insert(connection.to_owned(), peer.clone());
        }
        Arrived::Back { peer, replaced }
    }

    /// The place a connection serves (its own id unless it is a box back in its place).
    pub fn peer(&self, connection: &str) -> String {
        self.alias
            .get(connection)
            .cloned()
            .unwrap_or_else(|| connection.to_owned())
    }

    /// Whether this connection took a box's earlier place.
    pub fn is_back(&self, connection: &str) -> bool {
        self.alias.contains_key(connection)
    }

    /// The connection serving a place now.
    pub fn connection(&self, peer: &str) -> String {
        self.route
            .get(peer)
            .cloned()
            .unwrap_or_else(|| peer.to_owned())
    }

    /// A connection ended.
    pub fn leave(&mut self, connection: &str) -> Left {
        let peer = self.peer(connection);
        self.alias.remove(connection);
        if self.ended.remove(connection) || self.connection(&peer) != connection {
            return Left::Replaced;
        }
        if !self.boxes.values().any(|p| *p == peer) {
            return Left::Gone(peer);
        }
        self.route.remove(&peer);
        self.holds += 1;
        self.held.insert(peer.clone(), self.holds);
        Left::Held {
            peer,
            hold: self.holds,
        }
    }

    /// The hold's time is up: `true` if the box did not come back (its place is gone now).
    pub fn expire(&mut self, peer: &str, hold: u64) -> bool {
        if self.held.get(peer) != Some(&hold) {
            return false;
        }
        self.held.remove(peer);
        self.kept.remove(peer);
        self.boxes.retain(|_, p| p != peer);
        true
    }

    /// Where a message the handler says to `peer` goes: to its connection now, or nowhere
    /// while its place is held (the end of a session is kept for its return).
    pub fn deliver(
        &mut self,
        peer: String,
        message: p::OutgoingMessage,
    ) -> Option<(String, p::OutgoingMessage)> {
        if self.held.contains_key(&peer) {
            if matches!(message, p::OutgoingMessage::EndSession(_)) {
                self.kept.entry(peer).or_default().push(message);
            }
            return None;
        }
        Some((self.connection(&peer), message))
    }

    /// What was kept for a place while it was held.
    pub fn take_kept(&mut self, peer: &str) -> Vec<p::OutgoingMessage> {
        self.kept.remove(peer).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(session: &str) -> p::OutgoingMessage {
        p::OutgoingMessage::EndSession(p::EndSessionMessage {
            session_id: session.into(),
        })
    }

    #[test]
    fn a_box_that_drops_and_comes_back_keeps_its_place_and_hears_what_ended_meanwhile() {
        let mut places = Places::default();
        assert_eq!(
            places.arrive("box-a", "c1", None),
            Arrived::New { ended: None }
        );
        assert_eq!(places.peer("c1"), "c1");
        let Left::Held { peer, hold } = places.leave("c1") else {
            panic!("not held")
        };
        assert_eq!(peer, "c1");
        // Meanwhile: a session ends, a list answer is dropped.
        assert_eq!(places.deliver("c1".into(), end("s1")), None);
        assert_eq!(
            places.deliver("c1".into(), p::OutgoingMessage::List { producers: vec![] }),
            None
        );
        assert_eq!(
            places.arrive("box-a", "c2", Some("c1")),
            Arrived::Back {
                peer: "c1".into(),
                replaced: None
            }
        );
        assert!(places.is_back("c2"));
        assert_eq!(places.peer("c2"), "c1");
        assert_eq!(places.take_kept("c1"), vec![end("s1")]);
        // The place is served by the new connection now.
        assert_eq!(
            places.deliver("c1".into(), end("s2")),
            Some(("c2".into(), end("s2")))
        );
        // The old hold's time runs out after the return: nothing happens.
        assert!(!places.expire("c1", hold));
        // A second drop and return works the same way.
        let Left::Held { hold, .. } = places.leave("c2") else {
            panic!("not held")
        };
        assert!(matches!(
            places.arrive("box-a", "c3", Some("c1")),
            Arrived::Back { replaced: None, .. }
        ));
        assert!(!places.expire("c1", hold));
        assert_eq!(places.connection("c1"), "c3");
    }

    #[test]
    fn a_new_connection_while_the_old_one_still_seems_open_replaces_it_quietly() {
        let mut places = Places::default();
        places.arrive("box-a", "c1", None);
        assert_eq!(
            places.arrive("box-a", "c2", Some("c1")),
            Arrived::Back {
                peer: "c1".into(),
                replaced: Some("c1".into())
            }
        );
        // The old connection's end, when the server finally sees it, ends nothing.
        assert_eq!(places.leave("c1"), Left::Replaced);
        assert_eq!(places.connection("c1"), "c2");
        // Nor does a third connection's replacing the second.
        assert!(matches!(
            places.arrive("box-a", "c3", Some("c1")),
            Arrived::Back { replaced: Some(ref c), .. } if c == "c2"
        ));
        assert_eq!(places.leave("c2"), Left::Replaced);
        assert_eq!(places.peer("c3"), "c1");
    }

    #[test]
    fn a_box_that_does_not_come_back_in_time_is_gone_and_a_later_return_is_new() {
        let mut places = Places::default();
        places.arrive("box-a", "c1", None);
        let Left::Held { peer, hold } = places.leave("c1") else {
            panic!("not held")
        };
        places.deliver(peer.clone(), end("s1"));
        assert!(places.expire(&peer, hold));
        assert!(places.take_kept(&peer).is_empty());
        assert_eq!(
            places.arrive("box-a", "c2", Some("c1")),
            Arrived::New { ended: None }
        );
        assert_eq!(places.peer("c2"), "c2");
    }

    #[test]
    fn people_and_other_boxes_are_not_held() {
        let mut places = Places::default();
        places.arrive("box-a", "c1", None);
        assert_eq!(places.leave("page"), Left::Gone("page".into()));
        assert_eq!(
            places.arrive("box-b", "c2", Some("c1")),
            Arrived::New { ended: None }
        );
        assert_eq!(
            places.deliver("page".into(), end("s")),
            Some(("page".into(), end("s")))
        );
    }

    #[test]
    fn a_box_that_does_not_ask_for_its_place_starts_afresh_and_its_old_place_ends_now() {
        let mut places = Places::default();
        places.arrive("box-a", "c1", None);
        // Its program restarted while the old connection still seemed open.
        assert_eq!(
            places.arrive("box-a", "c2", None),
            Arrived::New {
                ended: Some(("c1".into(), Some("c1".into())))
            }
        );
        assert_eq!(places.leave("c1"), Left::Replaced);
        // Its link dropped while idle (held), then it came back without asking.
        let Left::Held { hold, .. } = places.leave("c2") else {
            panic!("not held")
        };
        assert_eq!(
            places.arrive("box-a", "c3", None),
            Arrived::New {
                ended: Some(("c2".into(), None))
            }
        );
        assert!(!places.expire("c2", hold));
        // Asking for a place that is not its own (another box's, an old one) gets a new one.
        places.arrive("box-b", "d1", None);
        assert!(matches!(
            places.arrive("box-a", "c4", Some("d1")),
            Arrived::New { ended: Some(_) }
        ));
        assert_eq!(places.peer("c4"), "c4");
        assert_eq!(places.connection("d1"), "d1");
    }
}
