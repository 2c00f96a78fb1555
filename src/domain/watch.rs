//! What Watch holds besides live TV's channels (`tv`): how many films and relaxation videos
//! there are, what the full-screen player plays and where each film was left, and the volume
//! cap. The shell ([`super::shell::Shell`]) moves between Watch's screens and asks
//! [`Watch::media`]-style questions; the controller makes the player follow.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::tv::Tv;

/// The hub's rows, top to bottom; the focus index on the hub is the index into this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HubRow {
    LiveTv,
    Guide,
    Films,
    Relax,
}

impl HubRow {
    pub const ALL: [HubRow; 4] = [HubRow::LiveTv, HubRow::Guide, HubRow::Films, HubRow::Relax];
}

/// Films are resumed from where they were left unless that was in the first or last minute.
pub const RESUME_MARGIN: Duration = Duration::from_secs(60);
/// Left/Right in the player jump this far; Rewind/FastForward twice as far.
pub const SKIP: Duration = Duration::from_secs(10);
pub const JUMP: Duration = Duration::from_secs(30);

/// Most favourites and film places remembered: far more than any stay needs, and a bound on
/// what a damaged or hostile settings file can make the TV hold.
pub const REMEMBERED_MAX: usize = 500;

/// What Watch remembers for the patient in the bed across restarts: favourite channels (by
/// channel key, in the order marked) and where each film was left (seconds, by catalogue id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Remembered {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub favourites: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub resume: BTreeMap<String, u64>,
}

impl Remembered {
    pub fn is_empty(&self) -> bool {
        self.favourites.is_empty() && self.resume.is_empty()
    }
}

/// What should be coming out of the player.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Media {
    #[default]
    Nothing,
    /// A live channel (index in the lineup).
    Channel(usize),
    /// A film (index in the catalogue's films), from this far in.
    Film { index: usize, from: Duration },
    /// A relaxation video or channel (index in the Relax list), looping.
    Relax(usize),
    /// Learn: the open assignment's video (the shell knows which), from this far in.
    Lesson { from: Duration },
}

/// What the full-screen player was opened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    Film { index: usize, from: Duration },
    Relax(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Watch {
    pub tv: Tv,
    pub films: usize,
    pub relax: usize,
    /// Where each film (by catalogue id) was left.
    resume: HashMap<String, Duration>,
    /// Ids of the films, in order, so resume points follow a catalogue that changes.
    film_ids: Vec<String>,
    pub opened: Option<Opened>,
    pub paused: bool,
    /// A number was typed that no channel has.
    pub missing_channel: Option<u32>,
    /// The loudest allowed now (the configured maximum, lower in quiet hours).
    pub volume_cap: Option<u8>,
    /// A call or an alert has the screen and the sound: nothing plays (the hook for them).
    pub interrupted: bool,
}

impl Watch {
    pub fn set_films(&mut self, ids: Vec<String>) {
        self.films = ids.len();
        self.film_ids = ids;
    }

    /// Where film `index` would start: where it was left, unless that was near either end.
    pub fn start_of(&self, index: usize, length: Option<Duration>) -> Duration {
        let Some(at) = self
            .film_ids
            .get(index)
            .and_then(|id| self.resume.get(id))
            .copied()
        else {
            return Duration::ZERO;
        };
        let near_end = length.is_some_and(|l| at + RESUME_MARGIN >= l);
        if at < RESUME_MARGIN || near_end {
            Duration::ZERO
        } else {
            at
        }
    }

    /// The player says where film `index` was when the patient left it.
    pub fn left_film_at(&mut self, index: usize, at: Duration, length: Option<Duration>) {
        let Some(id) = self.film_ids.get(index).cloned() else {
            return;
        };
        if length.is_some_and(|l| at + RESUME_MARGIN >= l) {
            // Watched to the end: next time from the start.
            self.resume.remove(&id);
        } else {
            self.resume.insert(id, at);
            // Still open (a call or standby stopped it): it goes on from here afterwards.
            if let Some(Opened::Film { index: open, from }) = &mut self.opened
                && *open == index
            {
                *from = at;
            }
        }
    }

    /// Whether film `index` has a place to resume from.
    pub fn resumes(&self, index: usize) -> bool {
        self.start_of(index, None) > Duration::ZERO
    }

    /// What to keep across a restart.
    pub fn remembered(&self) -> Remembered {
        Remembered {
            favourites: self.tv.favourites().to_vec(),
            resume: self
                .resume
                .iter()
                .map(|(id, at)| (id.clone(), at.as_secs()))
                .collect(),
        }
    }

    /// Takes back what was kept (at most [`REMEMBERED_MAX`] of each).
    pub fn remember(&mut self, kept: Remembered) {
        let mut favourites = kept.favourites;
        favourites.truncate(REMEMBERED_MAX);
        self.tv.set_favourites(favourites);
        self.resume = kept
            .resume
            .into_iter()
            .take(REMEMBERED_MAX)
            .map(|(id, secs)| (id, Duration::from_secs(secs)))
            .collect();
    }

    /// Forgets every film's place (a new patient).
    pub fn forget_patient(&mut self) {
        self.resume.clear();
        self.tv.set_favourites(Vec::new());
        self.opened = None;
        self.paused = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn favourites_and_places_are_remembered_in_the_settings_and_forgotten_at_discharge() {
        use crate::domain::settings::Settings;
        use crate::domain::shell::Shell;
        let mut w = Watch::default();
        w.set_films(vec!["a".into(), "b".into()]);
        w.tv.set_lineup(&[(1, "bbc".into()), (2, "itv".into())]);
        w.tv.toggle_favourite(1);
        w.left_film_at(1, Duration::from_secs(754), Some(Duration::from_secs(3600)));
        let kept = w.remembered();
        assert_eq!(kept.favourites, vec!["itv".to_owned()]);
        assert_eq!(kept.resume.get("b"), Some(&754));
        // Through the settings file's TOML and back into a new shell.
        let text = toml::to_string(&Settings {
            watch: kept.clone(),
            ..Settings::default()
        })
        .unwrap();
        assert!(text.contains("[watch]") && text.contains("itv"), "{text}");
        let read: Settings = toml::from_str(&text).unwrap();
        let mut shell = Shell::with_pin_key(read, crate::domain::privacy::PinKey::random());
        assert_eq!(shell.saved().watch, kept);
        assert_eq!(shell.settings().watch, Remembered::default());
        // A new patient: nothing of it is kept.
        shell.new_occupant();
        assert!(shell.saved().watch.is_empty());
        // A hostile file cannot make the TV hold more than the bound.
        let many = Remembered {
            favourites: (0..10_000).map(|i| i.to_string()).collect(),
            resume: (0..10_000).map(|i| (i.to_string(), 100)).collect(),
        };
        let mut w = Watch::default();
        w.remember(many);
        let kept = w.remembered();
        assert_eq!(kept.favourites.len(), REMEMBERED_MAX);
        assert_eq!(kept.resume.len(), REMEMBERED_MAX);
    }

    #[test]
    fn films_resume_where_they_were_left_but_not_near_either_end() {
        let mut w = Watch::default();
        w.set_films(vec!["a".into(), "b".into()]);
        let hour = Some(Duration::from_secs(3600));
        assert_eq!(w.start_of(0, hour), Duration::ZERO);
        w.left_film_at(0, Duration::from_secs(754), hour);
        assert_eq!(w.start_of(0, hour), Duration::from_secs(754));
        assert!(w.resumes(0) && !w.resumes(1));
        w.left_film_at(1, Duration::from_secs(30), hour);
        assert!(!w.resumes(1), "the first minute is not worth resuming");
        w.left_film_at(0, Duration::from_secs(3590), hour);
        assert!(!w.resumes(0), "watched to the end");
        w.left_film_at(1, Duration::from_secs(900), hour);
        w.set_films(vec!["new".into(), "b".into(), "a".into()]);
        assert!(
            w.resumes(1),
            "the place follows the film, not its position in the list"
        );
        w.forget_patient();
        assert!(!w.resumes(1));
    }
}
