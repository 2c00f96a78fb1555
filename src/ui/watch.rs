//! The Watch controller: makes the player follow what the shell says should play, carries the
//! player's frames to the screen, and fills the `WatchState` global from the listings (lineup,
//! guide, films) and the shell.
//!
//! Frames arrive on GStreamer's threads. Each is copied once into a pixel buffer and left in a
//! one-frame slot; the UI thread is woken only if it is not already due to take one, and takes
//! the newest. A slow UI thus drops frames instead of queueing them, and a frame of a channel
//! the patient already left (an older generation) is never shown.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp, Zoned};
use slint::{ComponentHandle, ModelRc, Rgb8Pixel, SharedPixelBuffer, VecModel};

use super::generated::{self as ui, MainWindow, WatchState};
use crate::config;
use crate::domain::clock::{self, ClockStyle};
use crate::domain::shell::{Screen, Shell};
use crate::domain::tv::{GUIDE_VISIBLE_SLOTS, Tv};
use crate::domain::watch::Media;
use crate::media::captions::Captions;
use crate::media::m3u::Channel;
use crate::media::player::{self, Event, Failure, FrameSink, Player, Request};
use crate::media::service::Listings;
use crate::media::xmltv::{Guide, Programme};

use super::convert::{clock_text, set_list};

mod frames;
pub use frames::frames_shown;
use frames::{event_sink, frame_sink};

/// Rows of the guide shown at once.
pub const GUIDE_ROWS: usize = 7;
/// The guide's time grid is in half hours.
const SLOT: SignedDuration = SignedDuration::from_mins(30);

/// One thing on the Relax wall: a relaxation video from the catalogue (looped) or a relaxation
/// channel from the lineup (live).
#[derive(Clone, Debug, PartialEq)]
pub struct RelaxItem {
    pub title: String,
    /// A relaxation video's synopsis (empty: none; the screen then says what it is).
    pub detail: String,
    /// A relaxation channel's number.
    pub channel: Option<u32>,
    pub uri: String,
    pub looping: bool,
    /// Catalogue id, for the poster.
    pub id: Option<String>,
}

/// The Relax wall's items: the catalogue's relaxation videos, then the lineup's relaxation
/// channels.
pub fn relax_items(listings: &Listings) -> Vec<RelaxItem> {
    let videos = listings.catalogue.relaxation().map(|i| RelaxItem {
        title: i.title.clone(),
        detail: i.synopsis.clone(),
        channel: None,
        uri: i.url.clone(),
        looping: true,
        id: Some(i.id.clone()),
    });
    let channels = listings
        .lineup
        .channels
        .iter()
        .filter(|c| c.is_relaxation())
        .map(|c| RelaxItem {
            title: c.name.clone(),
            detail: String::new(),
            channel: Some(c.number),
            uri: c.url.clone(),
            looping: c.url.starts_with("file://"),
            id: None,
        });
    videos.chain(channels).collect()
}

/// Where a screen shows the picture, and so the size frames are made at.
fn frame_size(screen: Screen, window: (u32, u32)) -> (u32, u32) {
    match screen {
        Screen::Tv | Screen::Player | Screen::LearnVideo => window,
        // The previews: about half the window's width, 16:9.
        _ => {
            let w = window.0 / 2;
            (w, w * 9 / 16)
        }
    }
}

/// Why a stream shows no picture, for the screen to say (its words are in watch.slint).
fn trouble(failure: Failure, live: bool) -> ui::Trouble {
    match (failure, live) {
        (Failure::Unreachable, true) => ui::Trouble::ChannelUnreachable,
        (Failure::NoPicture, true) => ui::Trouble::ChannelNoPicture,
        (Failure::Undecodable, true) => ui::Trouble::ChannelUndecodable,
        (_, false) => ui::Trouble::Video,
    }
}

/// The controller's state (inside the app's `State`).
pub struct WatchController {
    /// Where the player's events and a film's captions are sent, from their threads.
    inbox: super::inbox::Inbox,
    configured: bool,
    /// No sound (snapshots).
    silent: bool,
    listings: Arc<Listings>,
    relax: Vec<RelaxItem>,
    player: Option<Player>,
    /// What the player was last told to play, and its generation.
    playing: Media,
    generation: u64,
    /// Shared with the frame sink: frames of other generations are dropped.
    wanted: Arc<AtomicU64>,
    paused: bool,
    volume: Option<(u8, bool)>,
    size: (u32, u32),
    video: ui::VideoState,
    trouble: ui::Trouble,
    captions: Option<(u64, Captions)>,
    film_length: Option<Duration>,
    /// The Learn assignment (its Task id) whose video plays, while one does.
    lesson_task: Option<String>,
    /// The closed captions the live stream carries now.
    live_caption: String,
    /// Set when the player cannot start at all (GStreamer missing): said instead of pictures.
    broken: Option<String>,
    /// The posters as Slint images, made once per listings (catalogue id -> picture).
    posters: HashMap<String, slint::Image>,
    /// The channel logos likewise (channel key -> picture).
    logos: HashMap<String, slint::Image>,
    /// The channels the player was told to receive ahead, and how many each way it should.
    ahead: Vec<String>,
    reach: usize,
}

impl WatchController {
    /// `reach`: channels received ahead each way (the config's `receive_ahead`).
    pub fn new(
        inbox: super::inbox::Inbox,
        configured: bool,
        silent: bool,
        reach: usize,
    ) -> WatchController {
        WatchController {
            inbox,
            configured,
            silent,
            listings: Arc::default(),
            relax: Vec::new(),
            player: None,
            playing: Media::Nothing,
            generation: 0,
            wanted: Arc::new(AtomicU64::new(0)),
            paused: false,
            volume: None,
            size: (1920, 1080),
            video: ui::VideoState::Idle,
            trouble: ui::Trouble::None,
            captions: None,
            film_length: None,
            lesson_task: None,
            live_caption: String::new(),
            broken: None,
            posters: HashMap::new(),
            logos: HashMap::new(),
            ahead: Vec::new(),
            reach,
        }
    }

    pub fn listings(&self) -> &Listings {
        &self.listings
    }

    /// New listings: the shell learns the lineup and the counts.
    pub fn set_listings(&mut self, shell: &mut Shell, listings: Listings) {
        let channels: Vec<(u32, String)> = listings
            .lineup
            .channels
            .iter()
            .map(|c| (c.number, c.key().to_owned()))
            .collect();
        let films: Vec<String> = listings.catalogue.films().map(|f| f.id.clone()).collect();
        self.relax = relax_items(&listings);
        self.posters = images(&listings.posters);
        self.logos = images(&listings.logos);
        self.listings = Arc::new(listings);
        shell.set_listings(&channels, films, self.relax.len());
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The stream of `media`, as a player request (`lesson`: the Learn video's URL).
    fn request(&self, media: Media, lesson: Option<&str>) -> Option<Request> {
        match media {
            Media::Lesson { from } => Some(Request {
                uri: lesson?.to_owned(),
                looping: false,
                live: false,
                start_at: Some(from),
            }),
            Media::Nothing => None,
            Media::Channel(i) => {
                let c: &Channel = self.listings.lineup.channels.get(i)?;
                Some(Request {
                    uri: c.url.clone(),
                    // A channel played from a file (a demo, a looping info channel) goes round.
                    looping: c.url.starts_with("file://"),
                    live: true,
                    start_at: None,
                })
            }
            Media::Film { index, from } => {
                let f = self.listings.catalogue.films().nth(index)?;
                Some(Request {
                    uri: f.url.clone(),
                    looping: false,
                    live: false,
                    start_at: Some(from),
                })
            }
            Media::Relax(i) => {
                let r = self.relax.get(i)?;
                Some(Request {
                    uri: r.uri.clone(),
                    looping: r.looping,
                    live: !r.looping,
                    start_at: None,
                })
            }
        }
    }

    fn player(&mut self, window: &MainWindow) -> Option<&Player> {
        if self.player.is_none() && self.broken.is_none() {
            match Player::new(
                frame_sink(window, self.wanted.clone()),
                event_sink(&self.inbox),
                self.silent,
            ) {
                Ok(p) => self.player = Some(p),
                Err(e) => {
                    tracing::error!(error = %e, "no player: TV and films cannot play");
                    self.broken = Some(e.to_string());
                }
            }
        }
        self.player.as_ref()
    }

    /// Makes the player follow the shell: what plays, paused or not, how loud, how big.
    pub fn follow(&mut self, window: &MainWindow, shell: &mut Shell) {
        let want = shell.media();
        let window_size = {
            let s = window.window().size();
            (s.width.max(2), s.height.max(2))
        };
        let size = frame_size(shell.screen(), window_size);
        // The channels a zap most likely goes to next are received ahead (fast channel change);
        // told before the new channel plays, so the one left stays received.
        // In the guide, the channel under the cursor too: OK is likely to watch it.
        let ahead: Vec<String> = match want {
            Media::Channel(i) if self.reach > 0 => {
                let tv = &shell.watch().tv;
                let mut near = tv.neighbours(i, self.reach);
                if shell.screen() == Screen::Guide
                    && tv.guide_row != i
                    && !near.contains(&tv.guide_row)
                {
                    near.push(tv.guide_row);
                }
                // While a number is typed, the channels it can end on.
                for c in tv.entry_candidates() {
                    if c != i && !near.contains(&c) {
                        near.push(c);
                    }
                }
                near.into_iter()
                    .filter_map(|n| self.listings.lineup.channels.get(n))
                    .map(|c| c.url.clone())
                    .collect()
            }
            _ => Vec::new(),
        };
        if ahead != self.ahead
            && let Some(p) = &self.player
        {
            p.receive_ahead(ahead.clone());
            self.ahead = ahead;
        }
        if want != self.playing {
            // Leaving a film or a Learn video: remember where, for Resume (the player is asked
            // only then: a channel change never waits on it).
            let lesson_task = self.lesson_task.take();
            if matches!(self.playing, Media::Film { .. } | Media::Lesson { .. })
                && let Some(p) = &self.player
            {
                let (at, length) = p.position();
                match (self.playing, at, lesson_task) {
                    (Media::Film { index, .. }, Some(at), _) => {
                        shell.left_film_at(index, at, length.or(self.film_length))
                    }
                    (Media::Lesson { .. }, Some(at), Some(task)) => {
                        shell.left_lesson_at(&task, at, length.or(self.film_length))
                    }
                    _ => {}
                }
            }
            self.playing = want;
            self.captions = None;
            self.live_caption.clear();
            self.film_length = None;
            let lesson = shell
                .learn_video()
                .map(|(url, captions)| (url.to_owned(), captions.map(str::to_owned)));
            match self.request(want, lesson.as_ref().map(|(url, _)| url.as_str())) {
                Some(request) => {
                    if let Some(p) = self.player(window) {
                        p.set_size(size.0, size.1);
                        self.generation = p.play(request.clone());
                        self.wanted.store(self.generation, Ordering::SeqCst);
                        self.size = size;
                        self.video = ui::VideoState::Loading;
                        self.paused = false;
                        if let Media::Film { index, .. } = want {
                            self.load_captions(index);
                        }
                        if let (Media::Lesson { .. }, Some((_, captions))) = (want, &lesson) {
                            self.lesson_task =
                                shell.learn_open().map(|(item, _, _)| item.task.clone());
                            if let Some(url) = captions {
                                self.load_captions_from(url.clone());
                            }
                        }
                    } else {
                        self.video = ui::VideoState::Trouble;
                        self.trouble = ui::Trouble::NoPlayer;
                    }
                }
                None => {
                    if let Some(p) = &self.player {
                        p.stop();
                        self.generation = p.generation();
                        self.wanted.store(self.generation, Ordering::SeqCst);
                    }
                    self.video = ui::VideoState::Idle;
                }
            }
        }
        let Some(player) = &self.player else { return };
        if size != self.size {
            player.set_size(size.0, size.1);
            self.size = size;
        }
        let paused =
            shell.watch().paused && matches!(want, Media::Film { .. } | Media::Lesson { .. });
        if paused != self.paused {
            player.pause(paused);
            self.paused = paused;
        }
        let volume = (shell.volume(), !shell.audible());
        if self.volume != Some(volume) {
            player.set_volume(volume.0, volume.1);
            self.volume = Some(volume);
        }
    }

    /// Reads the film's first caption file on a thread of its own.
    fn load_captions(&mut self, index: usize) {
        let Some(track) = self
            .listings
            .catalogue
            .films()
            .nth(index)
            .and_then(|f| f.captions.first().cloned())
        else {
            return;
        };
        self.load_captions_from(track.url);
    }

    /// Reads a caption file (WebVTT or SRT) on a thread of its own, for what plays now.
    fn load_captions_from(&mut self, url: String) {
        let generation = self.generation;
        let inbox = self.inbox.clone();
        std::thread::spawn(move || {
            let fetcher = match crate::media::source::Fetcher::new(None, None) {
                Ok(f) => f,
                Err(_) => return,
            };
            match fetcher.fetch(&url, "captions", 8 << 20) {
                Ok(got) => {
                    let captions = Captions::parse(&String::from_utf8_lossy(&got.bytes));
                    inbox.send(super::inbox::Inbound::Captions(generation, captions));
                }
                Err(e) => tracing::warn!(error = %e.reason(), "the captions cannot be read"),
            }
        });
    }

    pub fn set_captions(&mut self, generation: u64, captions: Captions) {
        if generation == self.generation {
            self.captions = Some((generation, captions));
        }
    }

    /// Test only: see [`Player::fail`].
    pub fn fail(&self) {
        if let Some(player) = &self.player {
            player.fail();
        }
    }

    /// A player event for the UI thread. Returns whether the film ended (the shell should
    /// close the player).
    pub fn event(&mut self, event: &Event) -> bool {
        match event {
            Event::FirstFrame { generation } if *generation == self.generation => {
                self.video = ui::VideoState::Playing;
                false
            }
            Event::Failed {
                generation,
                failure,
                // The wait is not said: it changes while the words stay on screen.
                retry_in: _,
                detail,
            } if *generation == self.generation => {
                tracing::warn!(%detail, ?failure, "stream trouble; trying again");
                self.video = ui::VideoState::Trouble;
                self.trouble = trouble(*failure, matches!(self.playing, Media::Channel(_)));
                false
            }
            Event::Ended { generation } => *generation == self.generation,
            Event::Caption { generation, text } if *generation == self.generation => {
                self.live_caption = text.clone();
                false
            }
            _ => false,
        }
    }

    /// Where the film is now, how long it is, and the caption on screen.
    pub fn position(&mut self) -> (Option<Duration>, Option<Duration>) {
        let Some(p) = &self.player else {
            return (None, None);
        };
        let (at, length) = p.position();
        if length.is_some() {
            self.film_length = length;
        }
        (at, length.or(self.film_length))
    }

    /// Moves the film by `seconds`.
    pub fn seek(&mut self, seconds: i64) {
        let (at, length) = self.position();
        let Some(p) = &self.player else { return };
        let at = at.unwrap_or_default().as_secs() as i64 + seconds;
        let end = length.map_or(i64::MAX, |l| l.as_secs() as i64 - 1);
        p.seek(Duration::from_secs(at.clamp(0, end.max(0)) as u64));
    }

    /// The caption for `at`, when captions are wanted and the film has them.
    pub fn caption_at(&self, at: Duration) -> String {
        self.captions
            .as_ref()
            .filter(|(g, _)| *g == self.generation)
            .and_then(|(_, c)| c.at(at))
            .unwrap_or_default()
    }

    /// Fills `WatchState` for the shell's current screen.
    pub fn show(&self, window: &MainWindow, shell: &Shell, now: &Zoned, style: ClockStyle) {
        let w = window.global::<WatchState>();
        let listings = &self.listings;
        let tv = &shell.watch().tv;
        let loaded = !listings.lineup.channels.is_empty() || listings.lineup_error.is_some();
        w.set_configured(self.configured);
        w.set_loaded(loaded);
        let channels = listings.lineup.channels.len();
        let films = shell.watch().films;
        let relax = shell.watch().relax;
        w.set_hub_channels(channels as i32);
        w.set_hub_unreachable(listings.lineup_error.is_some());
        w.set_hub_guide(listings.guide.is_some());
        w.set_hub_films(films as i32);
        w.set_hub_relax(relax as i32);
        let open = [channels > 0, channels > 0, films > 0, relax > 0];
        set_list(&w.get_hub_open(), &open, |m| w.set_hub_open(m));

        // The channel on air.
        let at = now.timestamp();
        let info = tv
            .current()
            .and_then(|i| listings.lineup.channels.get(i).map(|c| (i, c)))
            .map(|(i, c)| {
                let mut info =
                    channel_info(c, tv.is_favourite(i), listings.guide.as_deref(), at, style);
                if let Some(logo) = self.logos.get(c.key()) {
                    info.logo = logo.clone();
                    info.has_logo = true;
                }
                info
            })
            .unwrap_or_default();
        if w.get_on_air() != info {
            w.set_on_air(info);
        }
        w.set_entry(tv.entry_text().into());
        if self.broken.is_some() && shell.media() != Media::Nothing {
            w.set_video(ui::VideoState::Trouble);
            w.set_trouble(ui::Trouble::NoPlayer);
        } else {
            w.set_video(self.video);
            w.set_trouble(self.trouble);
        }

        // Live TV's captions come with its frames; the player's by its position (app.rs).
        if shell.screen() != Screen::Player {
            let caption = if shell.screen() == Screen::Tv && shell.settings().captions {
                self.live_caption.as_str()
            } else {
                ""
            };
            if w.get_caption() != caption {
                w.set_caption(caption.into());
            }
        }
        match shell.screen() {
            Screen::Guide => self.show_guide(&w, tv, now, style),
            Screen::Films => {
                let tiles: Vec<ui::MediaTile> = listings
                    .catalogue
                    .films()
                    .enumerate()
                    .map(|(i, f)| {
                        let resume = shell.watch().start_of(i, None);
                        ui::MediaTile {
                            minutes: f.duration_minutes.map_or(0, |m| m as i32),
                            rating: f.rating.clone().unwrap_or_default().into(),
                            captions: !f.captions.is_empty(),
                            resume: if resume > Duration::ZERO {
                                clock_text(resume).into()
                            } else {
                                Default::default()
                            },
                            ..tile(&f.title, self.posters.get(&f.id))
                        }
                    })
                    .collect();
                set_list(&w.get_films(), &tiles, |m| w.set_films(m));
            }
            Screen::Relax => {
                let tiles: Vec<ui::MediaTile> = self
                    .relax
                    .iter()
                    .map(|r| ui::MediaTile {
                        detail: r.detail.as_str().into(),
                        channel: r.channel.map_or(0, |n| n as i32),
                        ..tile(&r.title, r.id.as_ref().and_then(|id| self.posters.get(id)))
                    })
                    .collect();
                set_list(&w.get_relax(), &tiles, |m| w.set_relax(m));
            }
            Screen::Player => {
                let title = match shell.media() {
                    Media::Film { index, .. } => listings
                        .catalogue
                        .films()
                        .nth(index)
                        .map(|f| f.title.clone()),
                    Media::Relax(i) => self.relax.get(i).map(|r| r.title.clone()),
                    _ => None,
                };
                w.set_player_title(title.unwrap_or_default().into());
                w.set_player_film(matches!(shell.media(), Media::Film { .. }));
                w.set_player_paused(shell.watch().paused);
            }
            Screen::LearnVideo => {
                let title = shell.learn_open().map(|(item, _, _)| item.title.clone());
                w.set_player_title(title.unwrap_or_default().into());
                w.set_player_film(true);
                w.set_player_paused(shell.watch().paused);
            }
            _ => {}
        }
    }

    fn show_guide(&self, w: &WatchState, tv: &Tv, now: &Zoned, style: ClockStyle) {
        let listings = &self.listings;
        let guide = listings.guide.as_deref();
        // Slot 0 is the current half hour.
        let base = now
            .with()
            .minute(if now.minute() >= 30 { 30 } else { 0 })
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .unwrap_or_else(|_| now.clone());
        let first_slot = tv.guide_slot.saturating_sub(1);
        let from = base.timestamp() + SLOT * first_slot as i32;
        let until = from + SLOT * GUIDE_VISIBLE_SLOTS as i32;
        let span = until.duration_since(from).as_secs_f64();
        let cursor = base.timestamp() + SLOT * tv.guide_slot as i32 + SignedDuration::from_mins(15);
        let times: Vec<slint::SharedString> = (0..GUIDE_VISIBLE_SLOTS)
            .map(|k| {
                let t = (from + SLOT * k as i32).to_zoned(now.time_zone().clone());
                clock::format_time(t.time(), style).into()
            })
            .collect();
        w.set_guide_times(ModelRc::from(Rc::new(VecModel::from(times))));
        let day = (from.to_zoned(now.time_zone().clone())).date();
        // 0 today, 1 tomorrow (the guide says those in words), else the date.
        let ahead = if day == now.date() {
            0
        } else if Some(day) == now.date().tomorrow().ok() {
            1
        } else {
            2
        };
        w.set_guide_day(ahead);
        w.set_guide_date(crate::domain::plain::long_date(day).into());
        let now_x = now.timestamp().duration_since(from).as_secs_f64() / span;
        w.set_guide_now(if (0.0..=1.0).contains(&now_x) {
            now_x as f32
        } else {
            -1.0
        });
        let n = listings.lineup.channels.len();
        // A window of rows from just above the cursor; near the end of the list the grid
        // scrolls within it to keep the cursor in view.
        let top = tv
            .guide_row
            .saturating_sub(1)
            .min(n.saturating_sub(GUIDE_ROWS));
        let mut focused: Option<(&Channel, Option<&Programme>)> = None;
        let rows: Vec<ui::GuideRow> = (top..(top + GUIDE_ROWS).min(n))
            .map(|i| {
                let c = &listings.lineup.channels[i];
                let id = guide.and_then(|g| {
                    g.channel_id(
                        c.guide_id.as_deref(),
                        &[c.guide_name.as_deref().unwrap_or(""), &c.name],
                    )
                });
                let programmes: &[Programme] = match (guide, &id) {
                    (Some(g), Some(id)) => g.between(id, from, until),
                    _ => &[],
                };
                let row_focused = i == tv.guide_row;
                let cells: Vec<ui::GuideCell> = programmes
                    .iter()
                    .map(|p| {
                        let start =
                            (p.start.max(from).duration_since(from).as_secs_f64() / span) as f32;
                        let end =
                            (p.stop.min(until).duration_since(from).as_secs_f64() / span) as f32;
                        let on = row_focused && p.start <= cursor && cursor < p.stop;
                        if on {
                            focused = Some((c, Some(p)));
                        }
                        ui::GuideCell {
                            title: p.title.as_str().into(),
                            start,
                            width: end - start,
                            focused: on,
                        }
                    })
                    .collect();
                if row_focused && focused.is_none() {
                    focused = Some((c, None));
                }
                let logo = self.logos.get(c.key());
                ui::GuideRow {
                    number: c.number as i32,
                    name: c.name.as_str().into(),
                    logo: logo.cloned().unwrap_or_default(),
                    has_logo: logo.is_some(),
                    favourite: tv.is_favourite(i),
                    focused: row_focused,
                    cells: ModelRc::from(Rc::new(VecModel::from(cells))),
                }
            })
            .collect();
        w.set_guide_rows(ModelRc::from(Rc::new(VecModel::from(rows))));
        w.set_guide_focus((tv.guide_row - top) as i32);
        let (title, when, about) = match focused {
            Some((_, Some(p))) => (
                p.title.clone(),
                format!(
                    "{}–{}{}",
                    hh_mm(p.start, now, style),
                    hh_mm(p.stop, now, style),
                    p.sub_title
                        .as_ref()
                        .map(|s| format!(" · {s}"))
                        .unwrap_or_default()
                ),
                p.description.clone().unwrap_or_default(),
            ),
            // The screen says there is no programme information.
            Some((c, None)) => (
                format!("{} {}", c.number, c.name),
                String::new(),
                String::new(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        w.set_guide_title(title.into());
        w.set_guide_when(when.into());
        w.set_guide_about(about.into());
        w.set_guide_unknown(matches!(focused, Some((_, None))));
    }
}

fn hh_mm(t: Timestamp, now: &Zoned, style: ClockStyle) -> String {
    clock::format_time(t.to_zoned(now.time_zone().clone()).time(), style)
}

/// Pictures decoded on the listings thread, as Slint images (made once per listings, not on
/// every press).
fn images(photos: &HashMap<String, crate::domain::record::Photo>) -> HashMap<String, slint::Image> {
    photos
        .iter()
        .map(|(k, p)| (k.clone(), super::convert::photo_image(p)))
        .collect()
}

/// A tile with its title and poster; what is said under the title is filled by its wall.
fn tile(title: &str, poster: Option<&slint::Image>) -> ui::MediaTile {
    ui::MediaTile {
        title: title.into(),
        poster: poster.cloned().unwrap_or_default(),
        has_poster: poster.is_some(),
        ..Default::default()
    }
}

/// A channel with what is on now and next.
pub fn channel_info(
    c: &Channel,
    favourite: bool,
    guide: Option<&Guide>,
    at: Timestamp,
    style: ClockStyle,
) -> ui::ChannelInfo {
    let mut info = ui::ChannelInfo {
        number: c.number as i32,
        name: c.name.as_str().into(),
        favourite,
        progress: -1.0,
        ..Default::default()
    };
    let Some(guide) = guide else { return info };
    let Some(id) = guide.channel_id(
        c.guide_id.as_deref(),
        &[c.guide_name.as_deref().unwrap_or(""), &c.name],
    ) else {
        return info;
    };
    let tz = jiff::tz::TimeZone::system();
    let span = |p: &Programme| {
        format!(
            "{}–{}",
            clock::format_time(p.start.to_zoned(tz.clone()).time(), style),
            clock::format_time(p.stop.to_zoned(tz.clone()).time(), style)
        )
    };
    let (now, next) = guide.now_next(&id, at);
    if let Some(p) = now {
        info.now = p.title.as_str().into();
        info.now_time = span(p).into();
        let length = p.stop.duration_since(p.start).as_secs_f64();
        info.progress = if length > 0.0 {
            (at.duration_since(p.start).as_secs_f64() / length) as f32
        } else {
            -1.0
        };
    }
    if let Some(p) = next {
        info.next = p.title.as_str().into();
        info.next_time = span(p).into();
    }
    info
}

/// The volume cap now: the configured maximum, lower in quiet hours.
pub fn volume_cap(tv: &config::Tv, at: jiff::civil::Time) -> u8 {
    let max = tv.max_volume.0;
    match &tv.quiet_hours {
        Some(q) if q.contains(at) => max.min(tv.quiet_volume.0),
        _ => max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_text_reads_like_a_player() {
        assert_eq!(clock_text(Duration::from_secs(5)), "0:05");
        assert_eq!(clock_text(Duration::from_secs(754)), "12:34");
        assert_eq!(clock_text(Duration::from_secs(3723)), "1:02:03");
    }

    #[test]
    fn trouble_says_whether_the_channel_or_the_video_fails() {
        assert_eq!(
            trouble(Failure::NoPicture, true),
            ui::Trouble::ChannelNoPicture
        );
        assert_eq!(trouble(Failure::NoPicture, false), ui::Trouble::Video);
    }
}
