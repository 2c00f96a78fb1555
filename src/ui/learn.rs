//! Learn's controller: fills `LearnState` from the shell's Learn room (the list, the page, the
//! question, the end) and hands what the patient did to Learn's worker, which records it in the
//! outbox. Only Learn's screens are filled, and only what changed is set, so a press elsewhere
//! costs nothing here.

use std::path::PathBuf;
use std::rc::Rc;

use slint::{ComponentHandle, Model, ModelRc, VecModel};

use super::generated::{self as ui, LearnState, MainWindow};
use crate::domain::clock::{self, ClockStyle};
use crate::domain::learn::{Block, Kind, Material, Progress, Recorded, Verdict};
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
    pub fn new(window: &MainWindow, store: Option<(PathBuf, PathBuf)>) -> LearnController {
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
        }
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
        g.set_pages(pages.len() as i32);
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
        Material::Pdf { .. } => ui::LearnKind::Leaflet,
        Material::None => ui::LearnKind::Questions,
    }
}
