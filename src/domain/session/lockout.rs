//! How often the PIN may be wrong. Per badge: [`BADGE_TRIES`] wrong PINs in a row lock that
//! badge on this box for [`LOCK_TIME`]. Per box: [`BOX_TRIES`] wrong PINs within [`BOX_WINDOW`],
//! whatever the badges, lock the box's staff sign-in for [`LOCK_TIME`] (someone trying badge
//! after badge). The patient's screens keep working through either.

use std::collections::{HashMap, VecDeque};

use jiff::{SignedDuration, Timestamp};

use super::badge::BadgeKey;

pub const BADGE_TRIES: u8 = 5;
pub const BOX_TRIES: usize = 10;
pub const BOX_WINDOW: SignedDuration = SignedDuration::from_mins(10);
pub const LOCK_TIME: SignedDuration = SignedDuration::from_mins(5);

/// Sign-in is locked until a time, for one badge or for the whole box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locked {
    Badge { until: Timestamp },
    Box { until: Timestamp },
}

impl Locked {
    pub fn until(self) -> Timestamp {
        match self {
            Locked::Badge { until } | Locked::Box { until } => until,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct BadgeTries {
    wrong: u8,
    until: Option<Timestamp>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    badges: Vec<KeptBadge>,
    recent: Vec<i64>,
    box_until: Option<i64>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct KeptBadge {
    key: String,
    wrong: u8,
    until: Option<i64>,
}

/// Wrong PINs on this box, by badge and in all.
#[derive(Clone, Debug, Default)]
pub struct Lockouts {
    badges: HashMap<BadgeKey, BadgeTries>,
    recent: VecDeque<Timestamp>,
    box_until: Option<Timestamp>,
}

impl Lockouts {
    /// Whether this badge may try a PIN now. A lock whose time is over is lifted (and the
    /// badge's count starts again).
    pub fn check(&mut self, badge: &BadgeKey, now: Timestamp) -> Result<(), Locked> {
        if let Some(until) = self.box_until {
            if now < until {
                return Err(Locked::Box { until });
            }
            self.box_until = None;
        }
        if let Some(tries) = self.badges.get_mut(badge)
            && let Some(until) = tries.until
        {
            if now < until {
                return Err(Locked::Badge { until });
            }
            *tries = BadgeTries::default();
        }
        Ok(())
    }

    /// A wrong PIN for this badge. Returns the lock it brought on, if any (the box's first: it
    /// is the wider one).
    pub fn wrong(&mut self, badge: &BadgeKey, now: Timestamp) -> Option<Locked> {
        self.recent.push_back(now);
        while self
            .recent
            .front()
            .is_some_and(|&t| now.duration_since(t) >= BOX_WINDOW)
        {
            self.recent.pop_front();
        }
        let tries = self.badges.entry(*badge).or_default();
        tries.wrong += 1;
        if tries.wrong >= BADGE_TRIES {
            tries.until = Some(now + LOCK_TIME);
        }
        let badge_lock = tries.until.map(|until| Locked::Badge { until });
        if self.recent.len() >= BOX_TRIES {
            let until = now + LOCK_TIME;
            self.box_until = Some(until);
            self.recent.clear();
            return Some(Locked::Box { until });
        }
        badge_lock
    }

    /// The right PIN: this badge starts again from no wrong tries. (The box's count stays: a
    /// right PIN between guesses does not hide them.)
    pub fn right(&mut self, badge: &BadgeKey) {
        self.badges.remove(badge);
    }

    /// What the store keeps, so a restart (or a pulled plug) does not wipe the count: badge keys
    /// (never numbers) in base64, times in Unix seconds.
    pub fn to_json(&self) -> String {
        use base64::Engine as _;
        let kept = Kept {
            badges: self
                .badges
                .iter()
                .map(|(key, t)| KeptBadge {
                    key: base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
                    wrong: t.wrong,
                    until: t.until.map(Timestamp::as_second),
                })
                .collect(),
            recent: self.recent.iter().map(|t| t.as_second()).collect(),
            box_until: self.box_until.map(Timestamp::as_second),
        };
        serde_json::to_string(&kept).expect("lockouts serialise")
    }

    /// Read back from [`Self::to_json`]; None for anything else (a damaged value starts over,
    /// which is what a lockout kept only in memory did).
    pub fn from_json(json: &str) -> Option<Lockouts> {
        use base64::Engine as _;
        let kept: Kept = serde_json::from_str(json).ok()?;
        let time = |s: i64| Timestamp::from_second(s).ok();
        let mut badges = HashMap::new();
        for b in kept.badges {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b.key)
                .ok()?;
            let key = BadgeKey::from_bytes(bytes.try_into().ok()?);
            let until = match b.until {
                Some(s) => Some(time(s)?),
                None => None,
            };
            badges.insert(
                key,
                BadgeTries {
                    wrong: b.wrong,
                    until,
                },
            );
        }
        Some(Lockouts {
            badges,
            recent: kept.recent.into_iter().filter_map(time).collect(),
            box_until: kept.box_until.and_then(time),
        })
    }

    /// Adds what was kept from before a restart to what happened since (the worse of each); a
    /// count that reaches a lock in the sum locks from `now`.
    pub fn merge(&mut self, kept: Lockouts, now: Timestamp) {
        for (key, old) in kept.badges {
            let tries = self.badges.entry(key).or_default();
            tries.wrong = tries.wrong.saturating_add(old.wrong).min(BADGE_TRIES);
            tries.until = tries.until.max(old.until);
            if tries.wrong >= BADGE_TRIES && tries.until.is_none() {
                tries.until = Some(now + LOCK_TIME);
            }
        }
        let mut recent: Vec<Timestamp> = kept
            .recent
            .into_iter()
            .chain(self.recent.drain(..))
            .filter(|&t| now.duration_since(t) < BOX_WINDOW)
            .collect();
        recent.sort();
        self.recent = recent.into();
        self.box_until = self.box_until.max(kept.box_until);
        if self.recent.len() >= BOX_TRIES && self.box_until.is_none_or(|u| u <= now) {
            self.box_until = Some(now + LOCK_TIME);
            self.recent.clear();
        }
    }

    /// The larger of each count and the later of each lock, from two views of the same tries
    /// (what the UI holds, which may or may not have merged `other` yet, and what the store
    /// kept): nothing counted twice, nothing lost.
    pub fn union_max(&mut self, other: Lockouts) {
        for (key, theirs) in other.badges {
            let ours = self.badges.entry(key).or_default();
            ours.wrong = ours.wrong.max(theirs.wrong);
            ours.until = ours.until.max(theirs.until);
        }
        let mut recent: Vec<Timestamp> = self.recent.drain(..).chain(other.recent).collect();
        recent.sort();
        recent.dedup();
        self.recent = recent.into();
        self.box_until = self.box_until.max(other.box_until);
    }

    /// Wrong tries left for this badge before it locks.
    pub fn tries_left(&self, badge: &BadgeKey) -> u8 {
        BADGE_TRIES
            - self
                .badges
                .get(badge)
                .map_or(0, |t| t.wrong.min(BADGE_TRIES))
    }
}

#[cfg(test)]
mod tests {
    use super::super::badge::BadgeSecret;
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_secs(minutes * 60)
    }

    #[test]
    fn lockouts_survive_a_restart_and_add_to_what_happened_since() {
        let secret = BadgeSecret::random();
        let (ana, ben) = (secret.key_of("1"), secret.key_of("2"));
        let mut locks = Lockouts::default();
        for _ in 0..BADGE_TRIES {
            locks.wrong(&ana, at(0));
        }
        locks.wrong(&ben, at(1));
        let kept = locks.to_json();
        assert!(
            !kept.contains("\"1\""),
            "no badge number in what is kept: {kept}"
        );
        let mut back = Lockouts::from_json(&kept).expect("read back");
        assert_eq!(
            back.check(&ana, at(2)),
            Err(Locked::Badge { until: at(5) }),
            "still locked after the restart"
        );
        assert_eq!(back.tries_left(&ben), BADGE_TRIES - 1);
        // Three wrong tries after the restart, before the kept count was read back: the box's
        // ten are reached with the six from before.
        let mut since = Lockouts::default();
        for _ in 0..3 {
            since.wrong(&ben, at(3));
        }
        since.merge(Lockouts::from_json(&kept).unwrap(), at(3));
        assert_eq!(since.tries_left(&ben), 1);
        assert_eq!(since.wrong(&ben, at(3)), Some(Locked::Box { until: at(8) }));
        // Two halves of five wrong PINs, before and after a restart: locked on reading back.
        let mut before = Lockouts::default();
        for _ in 0..3 {
            before.wrong(&ben, at(10));
        }
        let mut after = Lockouts::default();
        after.wrong(&ben, at(11));
        after.wrong(&ben, at(11));
        after.merge(Lockouts::from_json(&before.to_json()).unwrap(), at(12));
        assert_eq!(
            after.check(&ben, at(12)),
            Err(Locked::Badge { until: at(17) })
        );
        assert!(Lockouts::from_json("not json").is_none());
        // The keeper's view: the UI's snapshot, merged or not yet, with what the store kept.
        let mut ui = Lockouts::from_json(&kept).unwrap();
        ui.union_max(Lockouts::from_json(&kept).unwrap());
        assert_eq!(ui.tries_left(&ben), BADGE_TRIES - 1, "not counted twice");
    }

    #[test]
    fn five_wrong_pins_lock_that_badge_for_five_minutes_and_not_another() {
        let secret = BadgeSecret::random();
        let (ana, ben) = (secret.key_of("1"), secret.key_of("2"));
        let mut locks = Lockouts::default();
        for i in 0..4 {
            assert_eq!(locks.check(&ana, at(0)), Ok(()));
            assert_eq!(locks.wrong(&ana, at(0)), None, "try {i}");
        }
        assert_eq!(locks.tries_left(&ana), 1);
        assert_eq!(
            locks.wrong(&ana, at(0)),
            Some(Locked::Badge { until: at(5) })
        );
        assert_eq!(
            locks.check(&ana, at(4)),
            Err(Locked::Badge { until: at(5) })
        );
        assert_eq!(
            locks.check(&ben, at(4)),
            Ok(()),
            "another badge is not locked"
        );
        assert_eq!(locks.check(&ana, at(5)), Ok(()), "five minutes later");
        assert_eq!(locks.tries_left(&ana), BADGE_TRIES, "and it starts again");
    }

    #[test]
    fn ten_wrong_pins_within_ten_minutes_lock_the_box_whatever_the_badges() {
        let secret = BadgeSecret::random();
        let mut locks = Lockouts::default();
        for i in 0..9 {
            let badge = secret.key_of(&i.to_string());
            assert_eq!(locks.wrong(&badge, at(i)), None, "try {i}");
        }
        let tenth = secret.key_of("10");
        assert_eq!(
            locks.wrong(&tenth, at(9)),
            Some(Locked::Box { until: at(14) })
        );
        let anyone = secret.key_of("someone new");
        assert_eq!(
            locks.check(&anyone, at(13)),
            Err(Locked::Box { until: at(14) })
        );
        assert_eq!(locks.check(&anyone, at(14)), Ok(()));
    }

    #[test]
    fn wrong_pins_spread_over_more_than_ten_minutes_do_not_lock_the_box() {
        let secret = BadgeSecret::random();
        let mut locks = Lockouts::default();
        for i in 0..20 {
            let badge = secret.key_of(&i.to_string());
            assert_eq!(locks.wrong(&badge, at(i * 2)), None, "try {i}");
        }
    }

    #[test]
    fn the_right_pin_clears_the_badge_count() {
        let secret = BadgeSecret::random();
        let ana = secret.key_of("1");
        let mut locks = Lockouts::default();
        for _ in 0..4 {
            locks.wrong(&ana, at(0));
        }
        locks.right(&ana);
        assert_eq!(locks.tries_left(&ana), BADGE_TRIES);
        assert_eq!(locks.wrong(&ana, at(1)), None);
    }
}
