//! Watch's keys and what should be playing: live TV, the guide, channel numbers, films and
//! relaxation in the player.

use super::*;

impl Shell {
    pub fn watch(&self) -> &Watch {
        &self.watch
    }

    /// How Watch's screens are arranged: the hub's rows, and a grid as long as the films or
    /// the relaxation videos (one tile when there are none). Full-screen pictures and the guide
    /// move by their own rules, not by focus.
    pub(super) fn watch_layout(&self, screen: Screen) -> Layout {
        match screen {
            Screen::Watch => Layout::Column {
                count: HubRow::ALL.len(),
            },
            Screen::Films => Layout::Grid {
                columns: FILM_COLUMNS,
                count: self.watch.films.max(1),
            },
            Screen::Relax => Layout::Grid {
                columns: RELAX_COLUMNS,
                count: self.watch.relax.max(1),
            },
            _ => Layout::Column { count: 1 },
        }
    }

    /// New listings: the lineup as (number, key) per channel, the films' ids, how many
    /// relaxation items. Focus stays on an item that exists.
    pub fn set_listings(
        &mut self,
        channels: &[(u32, String)],
        film_ids: Vec<String>,
        relax: usize,
    ) {
        self.watch.tv.set_lineup(channels);
        self.watch.set_films(film_ids);
        self.watch.relax = relax;
        self.clamp_focus();
    }

    /// The ward's loudest allowed now (its maximum, or its quiet hours); a louder volume comes
    /// down to it.
    pub fn set_volume_cap(&mut self, cap: u8) {
        self.watch.volume_cap = Some(cap);
        self.volume = self.volume.min(self.volume_cap());
    }

    /// The time of day and the ward's quiet volume, for the patient's own quiet hours (the
    /// controller gives them every minute); a louder volume comes down.
    pub fn set_local_time(&mut self, at: jiff::civil::Time, quiet_volume: u8) {
        self.local_time = Some(at);
        self.quiet_volume = quiet_volume;
        self.volume = self.volume.min(self.volume_cap());
    }

    /// The loudest allowed now: the ward's cap, the patient's maximum set by staff, and in the
    /// patient's own quiet hours the quiet volume.
    pub fn volume_cap(&self) -> u8 {
        let ward = self.watch.volume_cap.unwrap_or(super::MAX_VOLUME);
        let patient = self.settings.max_volume.unwrap_or(super::MAX_VOLUME);
        let quiet = match self.local_time {
            Some(at) if self.settings.quiet_at(at) => self.quiet_volume,
            _ => super::MAX_VOLUME,
        };
        ward.min(patient).min(quiet)
    }

    /// A call or an alert takes (or gives back) the screen and the sound: nothing plays under
    /// it. The hook for calls and alerts.
    pub fn set_interrupted(&mut self, interrupted: bool) {
        self.watch.interrupted = interrupted;
    }

    /// What should be playing now.
    pub fn media(&self) -> Media {
        if self.standby || self.watch.interrupted {
            return Media::Nothing;
        }
        match self.screen() {
            Screen::Watch | Screen::Tv | Screen::Guide => self
                .watch
                .tv
                .current()
                .map_or(Media::Nothing, Media::Channel),
            Screen::Player => match self.watch.opened {
                Some(Opened::Film { index, from }) => Media::Film { index, from },
                Some(Opened::Relax(i)) => Media::Relax(i),
                None => Media::Nothing,
            },
            Screen::LearnVideo => self.lesson_media(),
            _ => Media::Nothing,
        }
    }

    /// The player says where a film was left (when the patient leaves it).
    pub fn left_film_at(
        &mut self,
        index: usize,
        at: std::time::Duration,
        length: Option<std::time::Duration>,
    ) {
        self.watch.left_film_at(index, at, length);
    }

    /// The film ended: back to the films, and next time it starts from the beginning.
    pub fn film_ended(&mut self) -> Outcome {
        if self.screen() == Screen::LearnVideo {
            return self.lesson_ended();
        }
        if self.screen() != Screen::Player {
            return Outcome::ignored();
        }
        self.stack.pop();
        self.watch.opened = None;
        Outcome::handled()
    }

    /// The time to type more digits ran out: tune to the number typed.
    pub fn channel_entry_timeout(&mut self, seq: u64) -> Outcome {
        match self.watch.tv.entry_timeout(seq) {
            Some(entry) => self.entry_done(entry),
            None => Outcome::ignored(),
        }
    }

    /// A digit of a channel number. Without channels, the patient is told why at once.
    pub(super) fn channel_digit(&mut self, digit: u8) -> Outcome {
        if self.watch.tv.is_empty() {
            return self.show_notice(NoticeKind::NoChannels);
        }
        let (seq, decided) = self.watch.tv.digit(digit);
        match decided {
            Some(entry) => self.entry_done(entry),
            None => Outcome::with(Effect::Start(Timeout::ChannelEntry(seq))),
        }
    }

    pub(super) fn entry_done(&mut self, entry: Entry) -> Outcome {
        match entry {
            Entry::Channel(_) => {
                self.show_tv();
                Outcome::with(Effect::Banner)
            }
            Entry::NoSuchChannel(n) => {
                self.watch.missing_channel = Some(n);
                self.show_notice(NoticeKind::NoSuchChannel)
            }
        }
    }

    /// Live TV full screen: back down to it when it is under the guide, else on top.
    pub(super) fn show_tv(&mut self) {
        match self.screen() {
            Screen::Tv => {}
            Screen::Guide if self.below() == Some(Screen::Tv) => {
                self.stack.pop();
            }
            _ => self.stack.push(Place {
                screen: Screen::Tv,
                focus: 0,
            }),
        }
    }

    /// Buttons with a meaning of their own on Watch's screens; None: the usual meaning.
    pub(super) fn watch_press(&mut self, button: Button) -> Option<Outcome> {
        let screen = self.screen();
        let live = matches!(screen, Screen::Watch | Screen::Tv | Screen::Guide);
        let tuned = |shell: &mut Shell, done: Option<usize>| {
            if done.is_some() && shell.screen() == Screen::Tv {
                Outcome::with(Effect::Banner)
            } else {
                Outcome::handled_if(done.is_some())
            }
        };
        match (screen, button) {
            (_, Button::Digit(d)) if live => Some(self.channel_digit(d.value())),
            (Screen::Watch | Screen::Tv, Button::ChannelUp | Button::ChannelDown) => {
                let done = self.watch.tv.step(button == Button::ChannelUp);
                Some(tuned(self, done))
            }
            (Screen::Tv, Button::Up | Button::Down) => {
                let done = self.watch.tv.step(button == Button::Up);
                Some(tuned(self, done))
            }
            (Screen::Watch | Screen::Tv, Button::LastChannel) => {
                let done = self.watch.tv.last();
                Some(tuned(self, done))
            }
            (Screen::Tv, Button::Favourite | Button::Yellow) => {
                let current = self.watch.tv.current()?;
                self.watch.tv.toggle_favourite(current);
                Some(Outcome::with(Effect::Banner))
            }
            (Screen::Tv, Button::Green) => {
                let done = self.watch.tv.next_favourite();
                Some(tuned(self, done))
            }
            (Screen::Tv, Button::Ok | Button::Info) => Some(Outcome::with(Effect::Banner)),
            (Screen::Watch | Screen::Tv, Button::Guide) if !self.watch.tv.is_empty() => {
                self.watch.tv.open_guide();
                // Live TV opened from the guide goes back to it rather than stacking another.
                if self.below() == Some(Screen::Guide) {
                    self.stack.pop();
                } else {
                    self.stack.push(Place {
                        screen: Screen::Guide,
                        focus: 0,
                    });
                }
                Some(Outcome::handled())
            }
            (Screen::Guide, Button::Guide) => {
                // Guide again: back to watching, full screen.
                self.stack.pop();
                self.show_tv();
                Some(Outcome::handled())
            }
            (Screen::Guide, arrow) if arrow.is_arrow() => {
                let (rows, slots) = match arrow {
                    Button::Up => (-1, 0),
                    Button::Down => (1, 0),
                    Button::Left => (0, -1),
                    _ => (0, 1),
                };
                Some(Outcome::handled_if(self.watch.tv.guide_move(rows, slots)))
            }
            (Screen::Guide, Button::ChannelUp | Button::ChannelDown) => {
                // A page of rows at a time.
                let step: isize = if button == Button::ChannelUp { -6 } else { 6 };
                let rows = self.watch.tv.len() as isize;
                let target = (self.watch.tv.guide_row as isize + step).clamp(0, (rows - 1).max(0));
                let moved = self
                    .watch
                    .tv
                    .guide_move(target - self.watch.tv.guide_row as isize, 0);
                Some(Outcome::handled_if(moved))
            }
            (Screen::Guide, Button::Ok) => {
                let row = self.watch.tv.guide_row;
                self.watch.tv.tune(row);
                self.show_tv();
                Some(Outcome::with(Effect::Banner))
            }
            (Screen::Guide, Button::Favourite | Button::Yellow) => {
                let row = self.watch.tv.guide_row;
                self.watch.tv.toggle_favourite(row);
                Some(Outcome::handled())
            }
            (Screen::Player, Button::PlayPause | Button::Ok | Button::Play | Button::Pause) => {
                Some(self.play_pause(button))
            }
            (
                Screen::Player,
                Button::Left | Button::Right | Button::Rewind | Button::FastForward,
            ) if matches!(self.watch.opened, Some(Opened::Film { .. })) => {
                Some(Self::step_through(button))
            }
            (Screen::Player, Button::Stop) => {
                self.stack.pop();
                self.watch.opened = None;
                Some(Outcome::handled())
            }
            (Screen::Player, Button::Up | Button::Down | Button::Info) => {
                Some(Outcome::with(Effect::Controls))
            }
            _ => None,
        }
    }

    /// Play/Pause (or OK) on a full-screen film or Learn video: pauses or plays, controls shown.
    pub(super) fn play_pause(&mut self, button: Button) -> Outcome {
        self.watch.paused = match button {
            Button::Play => false,
            Button::Pause => true,
            _ => !self.watch.paused,
        };
        Outcome::with(Effect::Controls)
    }

    /// Left/Right step a film or a Learn video by [`SKIP`], Rewind/Fast-forward by [`JUMP`].
    pub(super) fn step_through(button: Button) -> Outcome {
        let by = match button {
            Button::Left => -(SKIP.as_secs() as i64),
            Button::Right => SKIP.as_secs() as i64,
            Button::Rewind => -(JUMP.as_secs() as i64),
            _ => JUMP.as_secs() as i64,
        };
        Outcome::with(Effect::Seek(by)).and(Effect::Controls)
    }

    /// OK on Watch's screens (those that did not take it in [`Self::watch_press`]): the hub
    /// opens a row, a film or a relaxation tile plays.
    pub(super) fn watch_ok(&mut self, place: Place) -> Outcome {
        match place.screen {
            Screen::Watch => {
                let (screen, available) = match HubRow::ALL[place.focus] {
                    HubRow::LiveTv => (Screen::Tv, !self.watch.tv.is_empty()),
                    HubRow::Guide => {
                        self.watch.tv.open_guide();
                        (Screen::Guide, !self.watch.tv.is_empty())
                    }
                    HubRow::Films => (Screen::Films, self.watch.films > 0),
                    HubRow::Relax => (Screen::Relax, self.watch.relax > 0),
                };
                if !available {
                    // No channels: say why where the patient pressed. No films or relaxation
                    // videos: the row already says so, and OK was never offered.
                    return if matches!(screen, Screen::Tv | Screen::Guide) {
                        self.show_notice(NoticeKind::NoChannels)
                    } else {
                        Outcome::ignored()
                    };
                }
                self.watch.tv.current_or_first();
                self.stack.push(Place { screen, focus: 0 });
                if screen == Screen::Tv {
                    Outcome::with(Effect::Banner)
                } else {
                    Outcome::handled()
                }
            }
            Screen::Films if self.watch.films > 0 => {
                let from = self.watch.start_of(place.focus, None);
                self.open_player(Opened::Film {
                    index: place.focus,
                    from,
                })
            }
            Screen::Relax if self.watch.relax > 0 => self.open_player(Opened::Relax(place.focus)),
            _ => Outcome::ignored(),
        }
    }

    pub(super) fn open_player(&mut self, opened: Opened) -> Outcome {
        self.watch.opened = Some(opened);
        self.watch.paused = false;
        self.stack.push(Place {
            screen: Screen::Player,
            focus: 0,
        });
        Outcome::with(Effect::Controls)
    }

    /// Leaving the player by Home: what it played is closed.
    pub(super) fn leave_player(&mut self) {
        if self.stack.iter().any(|p| p.screen == Screen::Player) {
            self.watch.opened = None;
        }
    }
}
