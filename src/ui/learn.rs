//! Learn's controller: fills `LearnState` from the shell's Learn room (the list, the page, the
//! question, the end) and hands what the patient did to Learn's worker, which records it in the
//! outbox. Only Learn's screens are filled, and only what changed is set, so a press elsewhere
//! costs nothing here.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::Sender;

use slint::{ComponentHandle, Model, ModelRc, VecModel};

use super::generated::{self as ui, LearnState, MainWindow};
use crate::domain::clock::{self, ClockStyle};
use crate::domain::learn::{Block, Kind, Leaflet, Material, Progress, Recorded, Verdict};
use crate::domain::record::Record;
use crate::domain::shell::{LearnRow, Screen, Shell};
use crate::learn::Recorder;

pub struct LearnController {
    recorder: Recorder,
    items: Rc<VecModel<ui::LearnItem>>,
    blocks: Rc<VecModel<ui::LearnBlock>>,
    rows: Rc<VecModel<ui::LearnRow>>,
    staff_items: Rc<VecModel<ui::LearnStaffItem>>,
    catalogue: Rc<VecModel<ui::LearnOffer>>,
    answers: Rc<VecModel<ui::LearnAnswer>>,
    pictures: RefCell<Pictures>,
}

/// A leaflet's page pictures read from disk for the screen: the page shown and the ones either
/// side of it (each whole and wide), read ahead on a thread of their own so a page turn never
/// waits on a JPEG being decoded. Everything else is let go (a wide A4 page is 12 MB in memory).
struct Pictures {
    inbox: super::inbox::Inbox,
    reader: Option<Sender<PathBuf>>,
    /// Read, by path (None: it could not be read).
    read: HashMap<PathBuf, Option<slint::Image>>,
    /// Asked of the reader and not back yet.
    asked: HashSet<PathBuf>,
    /// What the screen wants now, shared with the reader: it skips what is no longer wanted
    /// (pages turned past quickly), so the page on screen is never queued behind them.
    wanted: std::sync::Arc<std::sync::Mutex<HashSet<PathBuf>>>,
}

/// A page picture read from disk, for the UI thread (None: unreadable).
pub type PagePicture = Option<slint::SharedPixelBuffer<slint::Rgb8Pixel>>;

impl Pictures {
    fn ask(&mut self, path: &Path) {
        if self.read.contains_key(path) || self.asked.contains(path) {
            return;
        }
        if self.reader.is_none() {
            let (tx, rx) = std::sync::mpsc::channel::<PathBuf>();
            let inbox = self.inbox.clone();
            let wanted = self.wanted.clone();
            let started = std::thread::Builder::new()
                .name("learn-pages".into())
                .spawn(move || {
                    while let Ok(path) = rx.recv() {
                        if !wanted.lock().is_ok_and(|w| w.contains(&path)) {
                            continue;
                        }
                        let picture = read_picture(&path);
                        inbox.send(super::inbox::Inbound::LeafletPage(path, picture));
                    }
                });
            if started.is_err() {
                tracing::error!("cannot start the leaflet page reader");
                return;
            }
            self.reader = Some(tx);
        }
        if let Some(tx) = &self.reader
            && tx.send(path.to_owned()).is_ok()
        {
            self.asked.insert(path.to_owned());
        }
    }

    /// Keeps only these; what was asked and is no longer wanted is not read.
    fn keep(&mut self, wanted: &[PathBuf]) {
        self.read.retain(|p, _| wanted.contains(p));
        self.asked.retain(|p| wanted.contains(p));
        if let Ok(mut shared) = self.wanted.lock() {
            shared.clear();
            shared.extend(wanted.iter().cloned());
        }
    }
}

/// Reads a page picture (a JPEG poppler drew), on the reader's thread.
fn read_picture(path: &Path) -> PagePicture {
    match image::open(path) {
        Ok(picture) => {
            let rgb = picture.into_rgb8();
            Some(slint::SharedPixelBuffer::clone_from_slice(
                rgb.as_raw(),
                rgb.width(),
                rgb.height(),
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "a leaflet page cannot be read");
            None
        }
    }
}

/// Sets a model's rows only when they differ (a repeater then rebuilds nothing).
fn set_if_changed<T: Clone + PartialEq + 'static>(model: &VecModel<T>, rows: Vec<T>) {
    let same = model.row_count() == rows.len()
        && rows
            .iter()
            .enumerate()
            .all(|(i, r)| model.row_data(i).as_ref() == Some(r));
    if !same {
        model.set_vec(rows);
    }
}

impl LearnController {
    /// `store`: where the encrypted store is (data directory, key file), for recording.
    pub fn new(
        window: &MainWindow,
        store: Option<(PathBuf, PathBuf)>,
        inbox: super::inbox::Inbox,
    ) -> LearnController {
        let items = Rc::new(VecModel::default());
        let blocks = Rc::new(VecModel::default());
        let rows = Rc::new(VecModel::default());
        let g = window.global::<LearnState>();
        g.set_items(ModelRc::from(items.clone()));
        g.set_blocks(ModelRc::from(blocks.clone()));
        g.set_rows(ModelRc::from(rows.clone()));
        let staff_items = Rc::new(VecModel::default());
        let catalogue = Rc::new(VecModel::default());
        let answers = Rc::new(VecModel::default());
        g.set_staff_items(ModelRc::from(staff_items.clone()));
        g.set_catalogue(ModelRc::from(catalogue.clone()));
        g.set_answers(ModelRc::from(answers.clone()));
        LearnController {
            recorder: Recorder::spawn(store),
            items,
            blocks,
            rows,
            staff_items,
            catalogue,
            answers,
            pictures: RefCell::new(Pictures {
                inbox,
                reader: None,
                read: HashMap::new(),
                asked: HashSet::new(),
                wanted: Default::default(),
            }),
        }
    }

    /// A page picture the reader has read; true when it is one the screen is waiting for.
    pub fn picture_read(&self, path: PathBuf, picture: PagePicture) -> bool {
        let mut pictures = self.pictures.borrow_mut();
        if !pictures.asked.remove(&path) {
            return false;
        }
        pictures
            .read
            .insert(path, picture.map(slint::Image::from_rgb8));
        true
    }

    pub fn set_wake(&self, wake: Box<dyn Fn() + Send>) {
        self.recorder.set_wake(wake);
    }

    /// Something the patient did, for the record.
    pub fn record(&self, what: crate::domain::learn::Recorded, record: &Record) {
        let task = match &what {
            Recorded::Opened { task }
            | Recorded::Finished { task, .. }
            | Recorded::Unassigned { task, .. } => task.as_str(),
            Recorded::Assigned { .. } => "",
        };
        let item = record.learn().iter().find(|a| a.task == task).cloned();
        self.recorder.record(what, item, jiff::Timestamp::now());
    }

    pub fn show(&self, window: &MainWindow, shell: &Shell, now: &jiff::Zoned, style: ClockStyle) {
        let g = window.global::<LearnState>();
        match shell.screen() {
            Screen::Learn => self.show_list(&g, shell, now, style),
            Screen::LearnPage | Screen::LearnQuestion | Screen::LearnDone => {
                self.show_open(&g, shell)
            }
            Screen::StaffLearning => self.show_staff_list(&g, shell, now, style),
            Screen::StaffCatalogue => self.show_catalogue(&g, shell),
            Screen::StaffLearnItem => self.show_staff_item(&g, shell, now, style),
            _ => {}
        }
        if shell.learn_open().is_none() {
            let mut pictures = self.pictures.borrow_mut();
            if !pictures.read.is_empty() || !pictures.asked.is_empty() {
                pictures.keep(&[]);
                g.set_picture(slint::Image::default());
            }
        }
    }

    /// A leaflet's page: the picture to show, and those either side read ahead.
    fn show_leaflet(
        &self,
        g: &LearnState,
        leaflet: &Leaflet,
        (page, whole, step): (usize, bool, u32),
        view: u32,
    ) {
        let picture = |n: usize| {
            if whole {
                leaflet.whole(n)
            } else {
                leaflet.wide(n)
            }
        };
        // First what shows, then the whole page (it stands in while the wide one is read),
        // then the pages either side.
        let mut wanted = vec![picture(page), leaflet.whole(page)];
        for n in [page + 1, page.wrapping_sub(1)] {
            if n < leaflet.pages() {
                wanted.push(picture(n));
                wanted.push(leaflet.whole(n));
            }
        }
        let mut pictures = self.pictures.borrow_mut();
        pictures.keep(&wanted);
        for p in &wanted {
            pictures.ask(p);
        }
        let shown = [picture(page), leaflet.whole(page)]
            .iter()
            .find_map(|p| pictures.read.get(p).cloned().flatten())
            .unwrap_or_default();
        g.set_picture(shown);
        g.set_leaflet_ready(true);
        g.set_whole(whole);
        g.set_offset(leaflet.offset(page, step, view) as i32);
        g.set_offset_max(leaflet.offset(page, u32::MAX, view) as i32);
        g.set_wide_width(Leaflet::WIDE as i32);
        g.set_view_height(view as i32);
    }

    fn staff_item(
        shell: &Shell,
        a: &crate::domain::learn::Assignment,
        now: &jiff::Zoned,
        style: ClockStyle,
    ) -> ui::LearnStaffItem {
        let (due, due_text) = due_of(a.due, now, style);
        ui::LearnStaffItem {
            title: a.title.as_str().into(),
            progress: progress_of(shell.learn_progress(a)),
            due,
            due_text: due_text.into(),
            answered: shell.staff_answers(a).len() as i32,
            right: shell
                .staff_answers(a)
                .iter()
                .filter(|g| g.right == Some(true))
                .count() as i32,
            wrong: shell
                .staff_answers(a)
                .iter()
                .filter(|g| g.right == Some(false))
                .count() as i32,
        }
    }

    fn show_staff_list(&self, g: &LearnState, shell: &Shell, now: &jiff::Zoned, style: ClockStyle) {
        let all = shell.learn_items();
        let fit = 5;
        let rows = 1 + all.len();
        let first = shell
            .focus()
            .saturating_sub(fit - 1)
            .min(rows.saturating_sub(fit));
        let skip = first.saturating_sub(1);
        let take = if first == 0 { fit - 1 } else { fit };
        let items: Vec<ui::LearnStaffItem> = all
            .iter()
            .skip(skip)
            .take(take)
            .map(|a| Self::staff_item(shell, a, now, style))
            .collect();
        set_if_changed(&self.staff_items, items);
        g.set_staff_first(skip as i32);
        g.set_assign_shown(first == 0);
        g.set_can_assign(!shell.staff_catalogue().is_empty());
    }

    fn show_catalogue(&self, g: &LearnState, shell: &Shell) {
        let all = shell.staff_catalogue();
        let fit = 5;
        let first = shell
            .focus()
            .saturating_sub(fit - 1)
            .min(all.len().saturating_sub(fit));
        let offers: Vec<ui::LearnOffer> = all
            .iter()
            .skip(first)
            .take(fit)
            .map(|c| ui::LearnOffer {
                title: c.title.as_str().into(),
                detail: c.description.as_str().into(),
                kind: match c.kind {
                    crate::domain::learn::CatalogueKind::Video => ui::LearnKind::Video,
                    crate::domain::learn::CatalogueKind::Leaflet => ui::LearnKind::Leaflet,
                    crate::domain::learn::CatalogueKind::Document => ui::LearnKind::Document,
                },
                minutes: c.minutes.unwrap_or(0) as i32,
                questions: c.questionnaire.is_some(),
            })
            .collect();
        set_if_changed(&self.catalogue, offers);
        g.set_catalogue_first(first as i32);
        g.set_catalogue_total(all.len() as i32);
    }

    fn show_staff_item(&self, g: &LearnState, shell: &Shell, now: &jiff::Zoned, style: ClockStyle) {
        let Some(a) = shell.staff_learn_item() else {
            return;
        };
        g.set_detail(Self::staff_item(shell, a, now, style));
        g.set_detail_by(a.assigned_by.as_str().into());
        let answers: Vec<ui::LearnAnswer> = shell
            .staff_answers(a)
            .iter()
            .map(|given| ui::LearnAnswer {
                question: given.question.as_str().into(),
                answer: given.answer.as_str().into(),
                mark: match given.right {
                    None => 0,
                    Some(true) => 1,
                    Some(false) => 2,
                },
            })
            .collect();
        set_if_changed(&self.answers, answers);
    }

    fn show_list(&self, g: &LearnState, shell: &Shell, now: &jiff::Zoned, style: ClockStyle) {
        let all = shell.learn_items();
        // As many as fit whole (three, in either text size), the focused one among them.
        let fit = 3;
        let first = shell
            .focus()
            .saturating_sub(fit - 1)
            .min(all.len().saturating_sub(fit));
        let rows: Vec<ui::LearnItem> = all
            .iter()
            .skip(first)
            .take(fit)
            .map(|a| {
                let progress = shell.learn_progress(a);
                let (due, due_text) = due_of(a.due, now, style);
                ui::LearnItem {
                    title: a.title.as_str().into(),
                    description: a.description.as_str().into(),
                    progress: progress_of(progress),
                    due,
                    due_text: due_text.into(),
                    by: a.assigned_by.as_str().into(),
                    minutes: a.minutes.unwrap_or(0) as i32,
                    kind: kind_of(&a.material),
                    questions: a.quiz.is_some(),
                }
            })
            .collect();
        set_if_changed(&self.items, rows);
        g.set_first(first as i32);
        g.set_total(all.len() as i32);
        g.set_to_do(
            all.iter()
                .filter(|a| shell.learn_progress(a) != Progress::Done)
                .count() as i32,
        );
    }

    fn show_open(&self, g: &LearnState, shell: &Shell) {
        let Some((item, pages, reading)) = shell.learn_open() else {
            return;
        };
        g.set_title(item.title.as_str().into());
        g.set_kind(kind_of(&item.material));
        g.set_other_language(!item.in_language);
        g.set_reviewing(shell.learn_reviewing());
        g.set_had_questions(item.quiz.is_some());
        match crate::domain::shell::leaflet_of(item) {
            Some(leaflet) => {
                g.set_pages(leaflet.pages() as i32);
                if shell.screen() == Screen::LearnPage {
                    self.show_leaflet(
                        g,
                        leaflet,
                        (reading.page, reading.whole, reading.step),
                        shell.leaflet_view(),
                    );
                }
            }
            None => {
                g.set_pages(pages.len() as i32);
                g.set_leaflet_ready(false);
            }
        }
        g.set_page(reading.page as i32);
        let blocks: Vec<ui::LearnBlock> = pages
            .get(reading.page)
            .into_iter()
            .flatten()
            .map(|b| {
                let (kind, text) = match b {
                    Block::Heading(t) => (ui::LearnBlockKind::Heading, t),
                    Block::Paragraph(t) => (ui::LearnBlockKind::Paragraph, t),
                    Block::Bullet(t) => (ui::LearnBlockKind::Bullet, t),
                };
                ui::LearnBlock {
                    kind,
                    text: text.as_str().into(),
                }
            })
            .collect();
        set_if_changed(&self.blocks, blocks);
        let (Some(quiz), Some(q)) = (&item.quiz, reading.question) else {
            set_if_changed(&self.rows, Vec::new());
            return;
        };
        let Some(question) = quiz.items.get(q) else {
            set_if_changed(&self.rows, Vec::new());
            return;
        };
        g.set_group(question.group.as_deref().unwrap_or_default().into());
        g.set_question(question.text.as_str().into());
        g.set_number(quiz.position(q, &reading.answers) as i32 + 1);
        g.set_count(quiz.count(&reading.answers) as i32);
        g.set_value(reading.number as i32);
        g.set_verdict(match reading.verdict {
            None => ui::LearnVerdict::None,
            Some(Verdict::Right) => ui::LearnVerdict::Right,
            Some(Verdict::Wrong) => ui::LearnVerdict::Wrong,
        });
        g.set_why(question.why.as_deref().unwrap_or_default().into());
        let rows: Vec<ui::LearnRow> = shell
            .learn_rows()
            .into_iter()
            .map(|row| {
                let (kind, label) = match row {
                    LearnRow::Option(i) => (
                        ui::LearnRowKind::Option,
                        match &question.kind {
                            Kind::Choice { options, .. } => {
                                options.get(i).map(|o| o.label.clone()).unwrap_or_default()
                            }
                            _ => String::new(),
                        },
                    ),
                    LearnRow::Yes => (ui::LearnRowKind::Yes, String::new()),
                    LearnRow::No => (ui::LearnRowKind::No, String::new()),
                    LearnRow::Number => (ui::LearnRowKind::Number, String::new()),
                    LearnRow::Skip => (ui::LearnRowKind::Skip, String::new()),
                    LearnRow::Next => (ui::LearnRowKind::Next, String::new()),
                    LearnRow::LookAgain => (ui::LearnRowKind::LookAgain, String::new()),
                    LearnRow::TryAgain => (ui::LearnRowKind::TryAgain, String::new()),
                    LearnRow::GoOn => (ui::LearnRowKind::GoOn, String::new()),
                };
                ui::LearnRow {
                    kind,
                    label: label.into(),
                }
            })
            .collect();
        set_if_changed(&self.rows, rows);
    }
}

fn progress_of(progress: Progress) -> ui::LearnProgress {
    match progress {
        Progress::New => ui::LearnProgress::New,
        Progress::Started => ui::LearnProgress::Started,
        Progress::Done => ui::LearnProgress::Done,
    }
}

/// When something is due, as the lists say it: overdue (the time today, else the day), today,
/// tomorrow (the time), later (the day).
fn due_of(
    due: Option<jiff::Timestamp>,
    now: &jiff::Zoned,
    style: ClockStyle,
) -> (ui::LearnDue, String) {
    let today = now.date();
    match due {
        None => (ui::LearnDue::None, String::new()),
        Some(t) => {
            let local = t.to_zoned(now.time_zone().clone());
            let time = clock::format_time(local.time(), style);
            let day = || local.date().strftime("%a %-d %b").to_string();
            if t < now.timestamp() {
                let text = if local.date() == today { time } else { day() };
                (ui::LearnDue::Overdue, text)
            } else if local.date() == today {
                (ui::LearnDue::Today, time)
            } else if today.tomorrow().is_ok_and(|d| d == local.date()) {
                (ui::LearnDue::Tomorrow, time)
            } else {
                (ui::LearnDue::Later, day())
            }
        }
    }
}

fn kind_of(material: &Material) -> ui::LearnKind {
    match material {
        Material::Document(_) => ui::LearnKind::Document,
        Material::Video { .. } => ui::LearnKind::Video,
        // A text leaflet not fetched yet says it is not ready, as a PDF does.
        Material::Pdf { .. } | Material::Text { .. } => ui::LearnKind::Leaflet,
        Material::None => ui::LearnKind::Questions,
    }
}
