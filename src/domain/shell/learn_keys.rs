//! Learn's keys: the list opens an assignment; its document pages turn with Left/Right (or OK,
//! which goes on to the questions after the last page); a question is answered with OK on an
//! option; a wrong answer offers to look at the material again, to try again or to go on; the
//! end says it is done. What reaches the record leaves as [`Effect::Learn`].
//!
//! Where the patient was in each assignment is kept for the run: opening it again goes back to
//! that page or question. A new occupant starts with none of it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::domain::learn::pages::{Fit, paginate};
use crate::domain::learn::{
    Answer, Answered, Assignment, CatalogueItem, Kind, Leaflet, Material, Page, Progress, Reading,
    Recorded, Verdict,
};

/// Learn's part of the shell.
#[derive(Clone, Debug, Default)]
pub(super) struct LearnRoom {
    /// The assignments, in list order.
    pub(super) items: Arc<Vec<Assignment>>,
    /// Progress made here that the record may not show yet.
    pub(super) progress: HashMap<String, Progress>,
    /// Where the patient is in each assignment opened this run.
    pub(super) readings: HashMap<String, Reading>,
    /// The assignment open now, and its pages at the text size it was opened at.
    pub(super) open: Option<(String, Arc<Vec<Page>>)>,
    /// The page (or the moment of the video) asked for by "Look again", while it shows.
    pub(super) reviewing: bool,
    /// Where each video was left, by Task id (kept across restarts in the settings).
    pub(super) video_at: HashMap<String, Duration>,
    /// Where the video open now started playing.
    pub(super) video_from: Duration,
    /// When the patient was last reminded of something overdue.
    pub(super) reminded_at: Option<jiff::Timestamp>,
    /// What the catalogue offers staff.
    pub(super) catalogue: Arc<Vec<CatalogueItem>>,
    /// Tasks staff took back here, hidden until the record drops them.
    pub(super) withdrawn: std::collections::HashSet<String>,
    /// Catalogue documents staff assigned here, not offered again until the record has them.
    pub(super) assigned_here: std::collections::HashSet<String>,
    /// The assignment (its Task id) on staff's item screen.
    pub(super) staff_item: Option<String>,
    /// OK was pressed once on "Take it back": the next OK takes it back.
    pub(super) confirming: bool,
    /// Teach-back answers given here, for staff until the record has them.
    pub(super) answered: HashMap<String, Vec<crate::domain::learn::Given>>,
}

impl LearnRoom {
    /// Learn with the video places kept from before a restart.
    pub(super) fn remembering(places: std::collections::BTreeMap<String, u64>) -> LearnRoom {
        LearnRoom {
            video_at: places
                .into_iter()
                .map(|(task, s)| (task, Duration::from_secs(s)))
                .collect(),
            ..LearnRoom::default()
        }
    }

    /// The video places to keep.
    pub(super) fn remembered(&self) -> std::collections::BTreeMap<String, u64> {
        self.video_at
            .iter()
            .map(|(task, at)| (task.clone(), at.as_secs()))
            .collect()
    }
}

/// A video left this close to its end starts from the beginning next time.
const NEAR_THE_END: Duration = Duration::from_secs(15);

/// A row of a question screen, in order from the top.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnRow {
    /// An option of a choice, by index.
    Option(usize),
    Yes,
    No,
    /// The number of an integer question (Left/Right change it).
    Number,
    Skip,
    /// Go on (after a right answer, or on a text to read).
    Next,
    /// Open the part of the material the question is about.
    LookAgain,
    TryAgain,
    /// Go on after a wrong answer, keeping it.
    GoOn,
}

impl Shell {
    /// New assignments from the record (after a sync pass).
    pub fn set_learn(&mut self, items: Arc<Vec<Assignment>>) {
        let room = &mut self.learn;
        room.withdrawn
            .retain(|task| items.iter().any(|a| &a.task == task));
        room.assigned_here
            .retain(|doc| !items.iter().any(|a| a.source.as_ref() == Some(doc)));
        self.learn.items = if self.learn.withdrawn.is_empty() {
            items
        } else {
            Arc::new(
                items
                    .iter()
                    .filter(|a| !self.learn.withdrawn.contains(&a.task))
                    .cloned()
                    .collect(),
            )
        };
        // A reading made for another version of the questions starts again (its answers and
        // its question index belong to the old one).
        let items = self.learn.items.clone();
        let mut changed = Vec::new();
        self.learn.readings.retain(|task, reading| {
            let questions = items
                .iter()
                .find(|a| &a.task == task)
                .map(|a| a.quiz.as_ref().map_or(0, |q| q.items.len()));
            match questions {
                Some(n) if n == reading.answers.len() => true,
                _ => {
                    changed.push(task.clone());
                    false
                }
            }
        });
        // A leaflet's pages may have arrived, or changed, while it was open: stay within them.
        let view = self.leaflet_view();
        for reading in self.learn.readings.values_mut() {
            let Some(item) = items.iter().find(|a| a.task == reading.task) else {
                continue;
            };
            if let Some(leaflet) = leaflet_of(item) {
                reading.page = reading.page.min(leaflet.pages() - 1);
                reading.step = reading.step.min(leaflet.steps(reading.page, view));
            } else if matches!(item.material, Material::Pdf { .. }) {
                (reading.page, reading.step, reading.whole) = (0, 0, false);
            }
        }
        // What was open closes if it went away (taken back) or its questions changed.
        if let Some((task, _)) = &self.learn.open
            && (changed.contains(task) || !items.iter().any(|a| &a.task == task))
        {
            self.close_learning_screens();
        }
        self.clamp_focus();
    }

    /// The assignments, in list order.
    pub fn learn_items(&self) -> &[Assignment] {
        &self.learn.items
    }

    /// Where the patient is with an assignment: the record's word or what was done here, the
    /// further of the two.
    pub fn learn_progress(&self, item: &Assignment) -> Progress {
        self.learn
            .progress
            .get(&item.task)
            .map_or(item.progress, |p| (*p).max(item.progress))
    }

    /// The assignment open now, its pages, and where the patient is in it.
    pub fn learn_open(&self) -> Option<(&Assignment, &[Page], &Reading)> {
        let (task, pages) = self.learn.open.as_ref()?;
        let item = self.learn.items.iter().find(|a| &a.task == task)?;
        Some((item, pages, self.learn.readings.get(task)?))
    }

    fn reading_mut(&mut self) -> Option<&mut Reading> {
        let (task, _) = self.learn.open.as_ref()?;
        self.learn.readings.get_mut(task)
    }

    pub(super) fn learn_layout(&self, screen: Screen) -> Layout {
        match screen {
            Screen::Learn => Layout::Column {
                count: self.learn.items.len().max(1),
            },
            Screen::LearnQuestion => Layout::Column {
                count: self.learn_rows().len().max(1),
            },
            _ => Layout::Column { count: 1 },
        }
    }

    /// The rows of the question screen as it is now.
    pub fn learn_rows(&self) -> Vec<LearnRow> {
        let Some((item, pages, reading)) = self.learn_open() else {
            return Vec::new();
        };
        let (Some(quiz), Some(q)) = (&item.quiz, reading.question) else {
            return Vec::new();
        };
        if q >= quiz.items.len() || reading.answers.len() != quiz.items.len() {
            return Vec::new();
        }
        match reading.verdict {
            Some(Verdict::Right) => return vec![LearnRow::Next],
            Some(Verdict::Wrong) => {
                let mut rows = Vec::new();
                let video = matches!(item.material, Material::Video { .. });
                if (video && quiz.items[q].review.is_some())
                    || review_target(item, pages, quiz.items[q].review).is_some()
                {
                    rows.push(LearnRow::LookAgain);
                }
                rows.extend([LearnRow::TryAgain, LearnRow::GoOn]);
                return rows;
            }
            None => {}
        }
        let mut rows: Vec<LearnRow> = match &quiz.items[q].kind {
            Kind::Choice { options, .. } => (0..options.len()).map(LearnRow::Option).collect(),
            Kind::Boolean { .. } => vec![LearnRow::Yes, LearnRow::No],
            Kind::Integer { .. } => vec![LearnRow::Number],
            Kind::Display | Kind::Unsupported(_) => return vec![LearnRow::Next],
        };
        rows.push(LearnRow::Skip);
        rows
    }

    /// OK on one of Learn's screens.
    pub(super) fn learn_ok(&mut self, place: Place) -> Outcome {
        match place.screen {
            Screen::Learn if self.learn.items.is_empty() => {
                self.stack.truncate(1);
                Outcome::handled()
            }
            Screen::Learn => self.open_assignment(place.focus),
            Screen::LearnPage => {
                if self.learn.reviewing {
                    // Looked again: back to the question, to try again.
                    self.learn.reviewing = false;
                    self.stack.pop();
                    return Outcome::handled();
                }
                let view = self.leaflet_view();
                let Some((item, pages, reading)) = self.learn_open() else {
                    return Outcome::ignored();
                };
                if let Some(leaflet) = leaflet_of(item) {
                    if reading.whole {
                        // Read the page shown whole at the wide width, from its top.
                        let reading = self.reading_mut().expect("open");
                        reading.whole = false;
                        reading.step = 0;
                        return Outcome::handled();
                    }
                    if reading.step < leaflet.steps(reading.page, view) {
                        return self.scroll(1);
                    }
                }
                if reading.page + 1 < page_count(item, pages) {
                    self.turn(1)
                } else if !shown(item) && item.quiz.is_none() {
                    // Nothing was shown (a PDF, material this TV cannot read) and there is
                    // nothing to answer: it is not done; back to the list.
                    self.close_to_list();
                    Outcome::handled()
                } else {
                    self.after_material()
                }
            }
            Screen::LearnQuestion => self.question_ok(place.focus),
            Screen::LearnDone => {
                self.close_to_list();
                Outcome::handled()
            }
            _ => Outcome::ignored(),
        }
    }

    /// Left/Right (and Up/Down) on a page turn it; Left/Right on a number change it.
    pub(super) fn learn_arrow(&mut self, place: Place, arrow: Button) -> Option<Outcome> {
        match place.screen {
            Screen::LearnPage
                if self
                    .learn_open()
                    .is_some_and(|(item, _, _)| leaflet_of(item).is_some()) =>
            {
                Some(self.leaflet_arrow(arrow))
            }
            Screen::LearnPage if !self.learn.reviewing => Some(match arrow {
                Button::Right | Button::Down => self.turn(1),
                Button::Left | Button::Up => self.turn(-1),
                _ => Outcome::ignored(),
            }),
            Screen::LearnQuestion
                if matches!(arrow, Button::Left | Button::Right)
                    && self.learn_rows().get(place.focus) == Some(&LearnRow::Number) =>
            {
                let (min, max) = self.number_bounds();
                let reading = self.reading_mut()?;
                let before = reading.number;
                reading.number =
                    (reading.number + if arrow == Button::Right { 1 } else { -1 }).clamp(min, max);
                Some(Outcome::handled_if(reading.number != before))
            }
            _ => None,
        }
    }

    fn number_bounds(&self) -> (i64, i64) {
        let Some((item, _, reading)) = self.learn_open() else {
            return (0, 0);
        };
        match (&item.quiz, reading.question) {
            (Some(quiz), Some(q)) => match quiz.items.get(q).map(|i| &i.kind) {
                Some(Kind::Integer { min, max, .. }) => (min.unwrap_or(0), max.unwrap_or(999)),
                _ => (0, 0),
            },
            _ => (0, 0),
        }
    }

    fn open_assignment(&mut self, index: usize) -> Outcome {
        let view = self.leaflet_view();
        let Some(item) = self.learn.items.get(index).cloned() else {
            return Outcome::ignored();
        };
        let fit = if self.settings.text_size == crate::domain::settings::TextSize::Large {
            Fit::LARGE
        } else {
            Fit::NORMAL
        };
        let pages = match &item.material {
            Material::Document(blocks) => paginate(blocks, fit),
            _ => Vec::new(),
        };
        let questions = item.quiz.as_ref().map_or(0, |q| q.items.len());
        let reading = self
            .learn
            .readings
            .entry(item.task.clone())
            .or_insert_with(|| Reading::new(&item.task, questions));
        if reading.answers.len() != questions {
            *reading = Reading::new(&item.task, questions);
        }
        // Pages may have changed with the text size: stay within them.
        let count = page_count(&item, &pages);
        reading.page = reading.page.min(count.saturating_sub(1));
        if let Some(leaflet) = leaflet_of(&item) {
            reading.step = reading.step.min(leaflet.steps(reading.page, view));
        }
        reading.verdict = None;
        let question = reading.question;
        self.learn.open = Some((item.task.clone(), Arc::new(pages)));
        self.learn.reviewing = false;
        let mut outcome = Outcome::handled();
        if self.learn_progress(&item) == Progress::New {
            self.learn
                .progress
                .insert(item.task.clone(), Progress::Started);
            outcome = outcome.and(Effect::Learn(Recorded::Opened {
                task: item.task.clone(),
            }));
        }
        let done = self.learn_progress(&item) == Progress::Done;
        match question {
            // Back where they were in the questions, over the last page.
            Some(_) if !done => {
                self.push_material();
                self.stack.push(Place {
                    screen: Screen::LearnQuestion,
                    focus: 0,
                });
            }
            _ => {
                if !self.push_material() {
                    // Nothing to read here: straight to the questions, or done.
                    return self.after_material_with(outcome);
                }
            }
        }
        outcome
    }

    /// Pushes the page screen when there is material to show; false when there is none.
    fn push_material(&mut self) -> bool {
        let Some((item, pages, _)) = self.learn_open() else {
            return false;
        };
        // Nothing to show and nothing to ask still opens a page: it says to ask the nurse.
        let has =
            !pages.is_empty() || !matches!(item.material, Material::None) || item.quiz.is_none();
        let video = matches!(item.material, Material::Video { .. });
        let task = item.task.clone();
        if video {
            self.learn.video_from = self.learn.video_at.get(&task).copied().unwrap_or_default();
            self.watch.paused = false;
        }
        if has {
            self.stack.push(Place {
                screen: if video {
                    Screen::LearnVideo
                } else {
                    Screen::LearnPage
                },
                focus: 0,
            });
        }
        has
    }

    fn turn(&mut self, by: i64) -> Outcome {
        let count = self
            .learn_open()
            .map_or(0, |(item, pages, _)| page_count(item, pages));
        let Some(reading) = self.reading_mut() else {
            return Outcome::ignored();
        };
        let next = (reading.page as i64 + by).clamp(0, count.saturating_sub(1) as i64) as usize;
        let moved = next != reading.page;
        reading.page = next;
        if moved {
            reading.step = 0;
        }
        Outcome::handled_if(moved)
    }

    /// Moves a leaflet page read at the wide width up or down by a step; false at its end.
    fn scroll(&mut self, by: i64) -> Outcome {
        let view = self.leaflet_view();
        let Some(steps) = self
            .learn_open()
            .and_then(|(item, _, r)| Some(leaflet_of(item)?.steps(r.page, view)))
        else {
            return Outcome::ignored();
        };
        let Some(reading) = self.reading_mut() else {
            return Outcome::ignored();
        };
        let next = (i64::from(reading.step) + by).clamp(0, i64::from(steps)) as u32;
        let moved = next != reading.step;
        reading.step = next;
        Outcome::handled_if(moved)
    }

    /// The arrows on a PDF leaflet. Read at the wide width: Up/Down move the page (Down at its
    /// foot goes on to the next page's top; Up at its top shows the page whole), Left/Right
    /// turn pages. Shown whole: all four turn pages (OK reads it closer). "Look again" keeps
    /// to its page: the arrows only move it.
    fn leaflet_arrow(&mut self, arrow: Button) -> Outcome {
        let view = self.leaflet_view();
        let Some((item, pages, reading)) = self.learn_open() else {
            return Outcome::ignored();
        };
        let Some(leaflet) = leaflet_of(item) else {
            return Outcome::ignored();
        };
        let (whole, step, page) = (reading.whole, reading.step, reading.page);
        let last = page + 1 >= page_count(item, pages);
        let at_foot = step >= leaflet.steps(page, view);
        let reviewing = self.learn.reviewing;
        match (whole, arrow) {
            (true, Button::Right | Button::Down) if !reviewing => self.turn(1),
            (true, Button::Left | Button::Up) if !reviewing => self.turn(-1),
            (true, _) => Outcome::ignored(),
            (false, Button::Down) if at_foot && !last && !reviewing => self.turn(1),
            (false, Button::Down) => self.scroll(1),
            (false, Button::Up) if step == 0 && !reviewing => {
                if let Some(r) = self.reading_mut() {
                    r.whole = true;
                }
                Outcome::handled()
            }
            (false, Button::Up) => self.scroll(-1),
            (false, Button::Right) if !reviewing => self.turn(1),
            (false, Button::Left) if !reviewing => self.turn(-1),
            _ => Outcome::ignored(),
        }
    }

    fn after_material(&mut self) -> Outcome {
        self.after_material_with(Outcome::handled())
    }

    /// The material is read: the first question, or the end.
    fn after_material_with(&mut self, outcome: Outcome) -> Outcome {
        let first = self.learn_open().and_then(|(item, _, reading)| {
            item.quiz
                .as_ref()
                .and_then(|q| q.next(reading.question.unwrap_or(0), &reading.answers))
        });
        match first {
            Some(q) => {
                if let Some(r) = self.reading_mut() {
                    r.question = Some(q);
                    r.verdict = None;
                }
                self.stack.push(Place {
                    screen: Screen::LearnQuestion,
                    focus: 0,
                });
                outcome.and_handled()
            }
            None => self.finish(outcome),
        }
    }

    fn question_ok(&mut self, focus: usize) -> Outcome {
        let Some(row) = self.learn_rows().get(focus).copied() else {
            return Outcome::ignored();
        };
        let Some((item, pages, reading)) = self.learn_open() else {
            return Outcome::ignored();
        };
        let Some(quiz) = item.quiz.clone() else {
            return Outcome::ignored();
        };
        let Some(q) = reading.question.filter(|q| *q < quiz.items.len()) else {
            return Outcome::ignored();
        };
        if reading.answers.len() != quiz.items.len() {
            return Outcome::ignored();
        }
        let number = reading.number;
        let review = review_target(item, pages, quiz.items[q].review);
        let answer = match row {
            LearnRow::Option(i) => Some(Answer::Choice(i)),
            LearnRow::Yes => Some(Answer::Boolean(true)),
            LearnRow::No => Some(Answer::Boolean(false)),
            LearnRow::Number => Some(Answer::Integer(number)),
            LearnRow::Skip => Some(Answer::Skipped),
            LearnRow::Next | LearnRow::GoOn => None,
            LearnRow::TryAgain => {
                if let Some(r) = self.reading_mut() {
                    r.verdict = None;
                    r.answers[q] = None;
                }
                self.top_mut().focus = 0;
                return Outcome::handled();
            }
            LearnRow::LookAgain if matches!(item.material, Material::Video { .. }) => {
                let at = Duration::from_secs(u64::from(quiz.items[q].review.unwrap_or(0)));
                if let Some(r) = self.reading_mut() {
                    r.verdict = None;
                    r.answers[q] = None;
                }
                self.learn.reviewing = true;
                self.learn.video_from = at;
                self.watch.paused = false;
                self.top_mut().focus = 0;
                self.stack.push(Place {
                    screen: Screen::LearnVideo,
                    focus: 0,
                });
                return Outcome::handled();
            }
            LearnRow::LookAgain => {
                let Some(page) = review else {
                    return Outcome::ignored();
                };
                if let Some(r) = self.reading_mut() {
                    r.page = page;
                    r.whole = false;
                    r.step = 0;
                    r.verdict = None;
                    r.answers[q] = None;
                }
                self.learn.reviewing = true;
                self.top_mut().focus = 0;
                self.stack.push(Place {
                    screen: Screen::LearnPage,
                    focus: 0,
                });
                return Outcome::handled();
            }
        };
        if let Some(answer) = answer {
            let display = matches!(quiz.items[q].kind, Kind::Display | Kind::Unsupported(_));
            let verdict = quiz.check(q, &answer);
            if let Some(r) = self.reading_mut() {
                r.answers[q] = Some(if display { Answer::Read } else { answer });
                r.verdict = verdict.map(|right| {
                    if right {
                        Verdict::Right
                    } else {
                        Verdict::Wrong
                    }
                });
            }
            if verdict.is_some() {
                self.top_mut().focus = 0;
                return Outcome::handled();
            }
        } else if row == LearnRow::Next
            && let Some(r) = self.reading_mut()
            && r.answers[q].is_none()
        {
            r.answers[q] = Some(Answer::Read);
        }
        self.next_question(q + 1)
    }

    fn next_question(&mut self, from: usize) -> Outcome {
        let next = self.learn_open().and_then(|(item, _, reading)| {
            item.quiz
                .as_ref()
                .and_then(|quiz| quiz.next(from, &reading.answers))
        });
        match next {
            Some(q) => {
                if let Some(r) = self.reading_mut() {
                    r.question = Some(q);
                    r.verdict = None;
                    r.number = 0;
                }
                self.top_mut().focus = 0;
                Outcome::handled()
            }
            None => self.finish(Outcome::handled()),
        }
    }

    /// The end of an assignment: recorded, and the done screen over the list.
    fn finish(&mut self, outcome: Outcome) -> Outcome {
        let Some((item, _, reading)) = self.learn_open() else {
            return outcome;
        };
        let task = item.task.clone();
        let answers: Vec<Answered> = match &item.quiz {
            Some(quiz) => (0..quiz.items.len())
                .filter_map(|i| {
                    let answer = reading.answers.get(i).cloned().flatten()?;
                    quiz.enabled(i, &reading.answers).then(|| Answered {
                        link_id: quiz.items[i].link_id.clone(),
                        correct: quiz.check(i, &answer),
                        answer,
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let questions = item.quiz.as_ref().map_or(0, |q| q.items.len());
        let given: Vec<crate::domain::learn::Given> = match &item.quiz {
            Some(quiz) => answers
                .iter()
                .filter_map(|a| {
                    let q = quiz.items.iter().find(|i| i.link_id == a.link_id)?;
                    let answer = match (&q.kind, &a.answer) {
                        (Kind::Choice { options, .. }, Answer::Choice(i)) => {
                            options.get(*i).map(|o| o.label.clone()).unwrap_or_default()
                        }
                        (_, Answer::Boolean(true)) => "Yes".to_owned(),
                        (_, Answer::Boolean(false)) => "No".to_owned(),
                        (_, Answer::Integer(n)) => n.to_string(),
                        (_, Answer::Read) => return None,
                        _ => String::new(),
                    };
                    Some(crate::domain::learn::Given {
                        question: q.text.clone(),
                        answer,
                        right: a.correct,
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let already = self.learn_progress(item) == Progress::Done;
        self.learn.progress.insert(task.clone(), Progress::Done);
        if !already {
            self.learn.answered.insert(task.clone(), given);
        }
        // Opened again later, it starts from the beginning.
        self.learn
            .readings
            .insert(task.clone(), Reading::new(&task, questions));
        let list = self.stack.iter().position(|p| p.screen == Screen::Learn);
        self.stack.truncate(list.map_or(1, |i| i + 1));
        self.stack.push(Place {
            screen: Screen::LearnDone,
            focus: 0,
        });
        if already {
            // Read again for their own sake: the record has it already.
            return outcome.and_handled();
        }
        outcome
            .and_handled()
            .and(Effect::Learn(Recorded::Finished { task, answers }))
    }

    /// Takes the open assignment's screens (page, question, video, end) off the stack, wherever
    /// they are (under staff screens too), and closes it.
    fn close_learning_screens(&mut self) {
        self.stack.retain(|p| {
            !matches!(
                p.screen,
                Screen::LearnPage | Screen::LearnQuestion | Screen::LearnVideo | Screen::LearnDone
            )
        });
        self.learn.open = None;
        self.learn.reviewing = false;
        self.clamp_focus();
    }

    fn close_to_list(&mut self) {
        self.learn.open = None;
        self.learn.reviewing = false;
        let list = self.stack.iter().position(|p| p.screen == Screen::Learn);
        self.stack.truncate(list.map_or(1, |i| i + 1));
    }

    /// Back (or Home) left `left`: what was open stays where it was for next time, and is
    /// closed once the patient is off its pages.
    pub(super) fn learn_back(&mut self, left: Screen) {
        if matches!(left, Screen::LearnPage | Screen::LearnVideo) && self.learn.reviewing {
            self.learn.reviewing = false;
            return;
        }
        if !matches!(
            self.screen(),
            Screen::LearnPage | Screen::LearnQuestion | Screen::LearnVideo
        ) {
            self.learn.open = None;
            self.learn.reviewing = false;
        }
    }

    /// What OK does on Learn's screens now.
    pub(super) fn learn_ok_hint(&self, place: Place) -> OkHint {
        match place.screen {
            Screen::Learn if self.learn.items.is_empty() => OkHint::BackToHome,
            Screen::Learn => OkHint::Open,
            Screen::LearnPage if self.learn.reviewing => OkHint::BackToQuestion,
            Screen::LearnPage => match self.learn_open() {
                Some((item, _, reading)) if reading.whole && leaflet_of(item).is_some() => {
                    OkHint::ReadCloser
                }
                Some((item, _, reading))
                    if leaflet_of(item).is_some_and(|l| {
                        reading.step < l.steps(reading.page, self.leaflet_view())
                    }) =>
                {
                    OkHint::Next
                }
                Some((item, pages, reading)) if reading.page + 1 < page_count(item, pages) => {
                    OkHint::Next
                }
                Some((item, _, _)) if !shown(item) && item.quiz.is_none() => OkHint::Done,
                Some((item, _, reading))
                    if item.quiz.as_ref().is_some_and(|q| {
                        q.next(reading.question.unwrap_or(0), &reading.answers)
                            .is_some()
                    }) =>
                {
                    OkHint::Next
                }
                Some(_) => OkHint::Finish,
                None => OkHint::Nothing,
            },
            Screen::LearnQuestion => match self.learn_rows().get(place.focus) {
                None => OkHint::Nothing,
                Some(LearnRow::Next | LearnRow::GoOn) => OkHint::Next,
                Some(_) => OkHint::Choose,
            },
            Screen::LearnDone => OkHint::Done,
            _ => OkHint::Nothing,
        }
    }

    /// Forgets every trace of the patient's learning (a new occupant).
    pub(super) fn forget_learning(&mut self) {
        self.learn.reminded_at = None;
        self.learn.answered.clear();
        self.learn.withdrawn.clear();
        self.learn.assigned_here.clear();
        self.learn.video_at.clear();
        self.learn.progress.clear();
        self.learn.readings.clear();
        self.learn.open = None;
        self.learn.reviewing = false;
    }

    /// Staff pressed "Take it back" once: the screen asks to press OK again.
    pub fn learn_confirming(&self) -> bool {
        self.learn.confirming && self.screen() == Screen::StaffLearnItem
    }

    /// How much of a PDF page shows at once at the patient's text size (pixels at 1080 lines).
    pub fn leaflet_view(&self) -> u32 {
        if self.settings.text_size == crate::domain::settings::TextSize::Large {
            Leaflet::VIEW_LARGE
        } else {
            Leaflet::VIEW
        }
    }

    /// Whether the page shown is one "Look again" opened (OK goes back to the question).
    pub fn learn_reviewing(&self) -> bool {
        self.learn.reviewing
    }
}

impl Shell {
    /// The open assignment's video and its captions, while it is on screen.
    pub fn learn_video(&self) -> Option<(&str, Option<&str>)> {
        if self.screen() != Screen::LearnVideo {
            return None;
        }
        match &self.learn_open()?.0.material {
            Material::Video { url, captions } => Some((url, captions.as_deref())),
            _ => None,
        }
    }

    pub(super) fn lesson_media(&self) -> crate::domain::watch::Media {
        match self.learn_video() {
            Some(_) => crate::domain::watch::Media::Lesson {
                from: self.learn.video_from,
            },
            None => crate::domain::watch::Media::Nothing,
        }
    }

    /// The player says where the video of `task` was left (as the patient leaves it, and
    /// every half minute while it plays): where it resumes next time.
    pub fn left_lesson_at(&mut self, task: &str, at: Duration, length: Option<Duration>) {
        let task = task.to_owned();
        // Stopped under a dark screen or a call, the video starts again from here when it comes
        // back (while it plays, where it started stays: changing it would restart it).
        if (self.standby || self.watch.interrupted)
            && self.learn.open.as_ref().is_some_and(|(t, _)| *t == task)
        {
            self.learn.video_from = at;
        }
        if length.is_some_and(|l| at + NEAR_THE_END >= l) || at.is_zero() {
            self.learn.video_at.remove(&task);
        } else {
            self.learn.video_at.insert(task, at);
        }
    }

    /// The video ended: on to the questions (or done); after "look again", back to the
    /// question. Next time it starts from the beginning.
    pub fn lesson_ended(&mut self) -> Outcome {
        if let Some((task, _)) = &self.learn.open {
            let task = task.clone();
            self.learn.video_at.remove(&task);
        }
        self.stack.pop();
        if self.learn.reviewing {
            self.learn.reviewing = false;
            return Outcome::handled();
        }
        self.after_material()
    }

    /// Keys on the full-screen video: OK (or Play/Pause) pauses and plays, Left/Right step
    /// back and on, the rest shows the controls. Back leaves (the place is kept).
    pub(super) fn lesson_press(&mut self, button: Button) -> Option<Outcome> {
        match button {
            Button::PlayPause | Button::Ok | Button::Play | Button::Pause => {
                Some(self.play_pause(button))
            }
            Button::Left | Button::Right | Button::Rewind | Button::FastForward => {
                Some(Self::step_through(button))
            }
            Button::Up | Button::Down | Button::Info => Some(Outcome::with(Effect::Controls)),
            Button::Stop => {
                self.stack.pop();
                self.learn_back(Screen::LearnVideo);
                Some(Outcome::handled())
            }
            _ => None,
        }
    }
}

impl Shell {
    /// What the hospital's catalogue offers staff to assign.
    pub fn set_learn_catalogue(&mut self, catalogue: Arc<Vec<CatalogueItem>>) {
        self.learn.catalogue = catalogue;
        self.clamp_focus();
    }

    /// The catalogue as staff see it: without what the patient has open now (or was just
    /// assigned here).
    pub fn staff_catalogue(&self) -> Vec<&CatalogueItem> {
        self.learn
            .catalogue
            .iter()
            .filter(|c| {
                !self.learn.assigned_here.contains(&c.key)
                    && !self.learn.items.iter().any(|a| {
                        a.source.as_ref() == Some(&c.key)
                            && self.learn_progress(a) != Progress::Done
                    })
            })
            .collect()
    }

    /// The teach-back answers staff see for an assignment: the record's, else those given on
    /// this TV since it was last synced.
    pub fn staff_answers<'a>(&'a self, item: &'a Assignment) -> &'a [crate::domain::learn::Given] {
        if item.answers.is_empty() {
            self.learn
                .answered
                .get(&item.task)
                .map_or(&[][..], Vec::as_slice)
        } else {
            &item.answers
        }
    }

    /// The assignment staff opened (on the item screen): kept by its Task, so a sync pass that
    /// reorders the list never changes which one it is.
    pub fn staff_learn_item(&self) -> Option<&Assignment> {
        let task = self.learn.staff_item.as_ref()?;
        self.learn.items.iter().find(|a| &a.task == task)
    }

    pub(super) fn staff_learning_layout(&self, screen: Screen) -> Layout {
        let count = match screen {
            // "Assign something", then every assignment.
            Screen::StaffLearning => 1 + self.learn.items.len(),
            Screen::StaffCatalogue => self.staff_catalogue().len(),
            _ => 1,
        };
        Layout::Column {
            count: count.max(1),
        }
    }

    /// OK on Learn's staff screens.
    pub(super) fn staff_learning_ok(&mut self) -> Outcome {
        let by = self
            .staff
            .session()
            .map(|s| s.staff.practitioner.clone())
            .unwrap_or_default();
        match self.screen() {
            Screen::StaffLearning if self.focus() == 0 => {
                if self.staff_catalogue().is_empty() {
                    return Outcome::ignored();
                }
                self.stack.push(Place {
                    screen: Screen::StaffCatalogue,
                    focus: 0,
                });
                Outcome::handled()
            }
            Screen::StaffLearning => {
                let Some(item) = self.learn.items.get(self.focus() - 1) else {
                    return Outcome::ignored();
                };
                self.learn.staff_item = Some(item.task.clone());
                self.learn.confirming = false;
                self.stack.push(Place {
                    screen: Screen::StaffLearnItem,
                    focus: 0,
                });
                Outcome::handled()
            }
            Screen::StaffCatalogue => {
                let Some(item) = self
                    .staff_catalogue()
                    .get(self.focus())
                    .map(|c| (*c).clone())
                else {
                    return Outcome::ignored();
                };
                self.learn.assigned_here.insert(item.key.clone());
                self.stack.pop();
                Outcome::with(Effect::Learn(Recorded::Assigned { item, by }))
                    .and(self.audit(Audited::LearningAssigned))
            }
            Screen::StaffLearnItem => {
                let Some(item) = self.staff_learn_item().cloned() else {
                    return Outcome::ignored();
                };
                if self.learn_progress(&item) == Progress::Done {
                    return Outcome::ignored();
                }
                // A nurse in a hurry asks twice: the first OK asks, the second takes it back.
                if !self.learn.confirming {
                    self.learn.confirming = true;
                    return Outcome::handled();
                }
                self.learn.confirming = false;
                self.learn.withdrawn.insert(item.task.clone());
                let left: Vec<Assignment> = self
                    .learn
                    .items
                    .iter()
                    .filter(|a| a.task != item.task)
                    .cloned()
                    .collect();
                self.learn.items = Arc::new(left);
                self.stack.pop();
                if self
                    .learn
                    .open
                    .as_ref()
                    .is_some_and(|(t, _)| *t == item.task)
                {
                    // The patient's screens of it, under the staff screens, go.
                    self.close_learning_screens();
                }
                self.clamp_focus();
                Outcome::with(Effect::Learn(Recorded::Unassigned {
                    task: item.task,
                    by,
                }))
                .and(self.audit(Audited::LearningUnassigned))
            }
            _ => Outcome::ignored(),
        }
    }

    /// What OK does on Learn's staff screens.
    pub(super) fn staff_learning_hint(&self) -> OkHint {
        if !self.may_open_record() {
            return OkHint::Nothing;
        }
        match self.screen() {
            Screen::StaffLearning if self.focus() == 0 && self.staff_catalogue().is_empty() => {
                OkHint::Nothing
            }
            Screen::StaffLearning => OkHint::Open,
            Screen::StaffCatalogue if !self.staff_catalogue().is_empty() => OkHint::Assign,
            Screen::StaffLearnItem
                if self
                    .staff_learn_item()
                    .is_some_and(|a| self.learn_progress(a) != Progress::Done) =>
            {
                if self.learn.confirming {
                    OkHint::ConfirmUnassign
                } else {
                    OkHint::Unassign
                }
            }
            _ => OkHint::Nothing,
        }
    }
}

/// A reminder of something overdue in Learn is not repeated within this long.
pub const REMIND_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

impl Shell {
    /// Whether a reminder of overdue learning would show now: something assigned is past its
    /// due time and not done, the patient is on Home with nothing else over it (no call, no
    /// staff, no other notice, not a dark screen), it is not `quiet` (the ward's or the
    /// patient's quiet hours), and the last reminder was an hour ago or more.
    pub fn learning_reminder_due(&self, now: jiff::Timestamp, quiet: bool) -> bool {
        !quiet
            && !self.standby
            && self.screen() == Screen::Home
            && self.stack.len() == 1
            && self.notice.is_none()
            && self.call.stage == CallStage::None
            && self.staff.stage() == &crate::domain::session::staff::Stage::Closed
            && self
                .learn
                .reminded_at
                .is_none_or(|at| now.duration_since(at) >= REMIND_EVERY)
            && self
                .learn
                .items
                .iter()
                .any(|a| self.learn_progress(a) != Progress::Done && a.due.is_some_and(|d| d < now))
    }

    /// The gentle reminder on Home, when [`Self::learning_reminder_due`]. Any press dismisses
    /// it (as every notice).
    pub fn remind_learning(&mut self, now: jiff::Timestamp, quiet: bool) -> Outcome {
        if !self.learning_reminder_due(now, quiet) {
            return Outcome::ignored();
        }
        self.learn.reminded_at = Some(now);
        self.show_notice(NoticeKind::LearnDue)
    }
}

/// Whether the assignment's material is something this TV shows (a document, a video, a PDF
/// whose pages are ready).
fn shown(item: &Assignment) -> bool {
    matches!(
        item.material,
        Material::Document(_) | Material::Video { .. }
    ) || leaflet_of(item).is_some()
}

/// The open PDF leaflet's pages, when they are ready.
pub fn leaflet_of(item: &Assignment) -> Option<&Leaflet> {
    match &item.material {
        Material::Pdf {
            leaflet: Some(l), ..
        } if l.pages() > 0 => Some(l),
        _ => None,
    }
}

/// How many pages the open material has: a document's pages at the text size, a leaflet's.
fn page_count(item: &Assignment, pages: &[Page]) -> usize {
    leaflet_of(item).map_or(pages.len(), Leaflet::pages)
}

/// The page a question's "Look again" opens: for a document the page with its section (the
/// nth heading), for a PDF leaflet its nth page.
pub fn review_target(item: &Assignment, pages: &[Page], review: Option<u32>) -> Option<usize> {
    match leaflet_of(item) {
        Some(l) => review
            .filter(|&n| n >= 1 && n as usize <= l.pages())
            .map(|n| n as usize - 1),
        None => review_page(pages, review),
    }
}

/// The page that holds section `review` (from 1: the nth heading) of a document.
pub fn review_page(pages: &[Page], review: Option<u32>) -> Option<usize> {
    let nth = review? as usize;
    if nth == 0 || pages.is_empty() {
        return None;
    }
    let mut seen = 0;
    let mut last_heading: Option<&str> = None;
    for (i, page) in pages.iter().enumerate() {
        for block in page {
            if let crate::domain::learn::Block::Heading(text) = block {
                // A heading is never split over pages; count each once.
                if last_heading != Some(text.as_str()) {
                    seen += 1;
                    last_heading = Some(text.as_str());
                }
                if seen == nth {
                    return Some(i);
                }
            }
        }
    }
    None
}
