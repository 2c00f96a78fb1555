//! Learn: what the care team assigned the patient to read, watch and answer, and the rules of
//! going through it with a remote. Pure: `fhir::learn` builds the [`Assignment`]s from the
//! store, the shell walks them ([`Reading`]), and what must reach the record leaves as a
//! [`Recorded`] effect that `learn::recorder` turns into FHIR through the outbox.
//!
//! The order of the list is the order of what to do next: what is not done yet first, the one
//! due soonest first (overdue at the top), what has no due date after those; started before
//! new when they are due alike; done last.

pub mod pages;
pub mod quiz;

use jiff::Timestamp;

pub use pages::{Block, Page};
pub use quiz::{Answer, Item, Kind, Quiz, Verdict};

/// Where the patient is with an assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Progress {
    New,
    Started,
    Done,
}

/// What an assignment asks the patient to take in.
#[derive(Clone, Debug, PartialEq)]
pub enum Material {
    /// Readable text, as blocks, paged for the screen by [`pages::paginate`].
    Document(Vec<Block>),
    /// A video (a URL the player can open; captions beside it when the record gives them).
    Video {
        url: String,
        captions: Option<String>,
    },
    /// A PDF leaflet: its URL, and its pages as pictures once the box has made them (the
    /// screen says it is getting it ready until then).
    Pdf {
        url: String,
        leaflet: Option<Leaflet>,
    },
    /// A leaflet of text at an address (Markdown, HTML or plain text), not at hand yet: the
    /// cache fetches it, and it then comes as a [`Material::Document`] (the screen says it is
    /// not ready until then).
    Text { url: String, format: TextFormat },
    /// Nothing the box can show: only the questions, or content not fetched yet / not readable
    /// here (the screen says to ask the nurse).
    None,
}

/// How a leaflet's text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    Markdown,
    Html,
    Plain,
}

impl TextFormat {
    /// The format of a MIME type (parameters and case ignored), if it is text a leaflet can be.
    pub fn of(content_type: &str) -> Option<TextFormat> {
        let t = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match t.as_str() {
            "text/markdown" => Some(TextFormat::Markdown),
            "text/html" | "application/xhtml+xml" => Some(TextFormat::Html),
            "text/plain" => Some(TextFormat::Plain),
            _ => None,
        }
    }

    /// The text, read into blocks.
    pub fn read(self, text: &str) -> Vec<Block> {
        match self {
            TextFormat::Markdown => pages::from_markdown(text),
            TextFormat::Html => pages::from_html(text),
            TextFormat::Plain => pages::from_plain_text(text),
        }
    }
}

/// A PDF leaflet's pages, drawn as pictures ahead of time by `learn::cache`: each page whole
/// (to fit the screen's height) and at the wide width (to read it, scrolled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaflet {
    /// The folder that holds the pictures.
    pub dir: std::path::PathBuf,
    /// Each page's height in the wide picture, in pixels.
    pub heights: Vec<u32>,
}

impl Leaflet {
    /// How wide the wide pictures are: the content area's width on a 1920x1080 screen (pixels).
    pub const WIDE: u32 = 1720;
    /// How much of a page shows at once: the content area's height below the title (at 1080
    /// lines), at the normal text size and at the large one (a taller header and footer). A
    /// whole page is drawn the normal height (and shown a little smaller in large text).
    pub const VIEW: u32 = 620;
    pub const VIEW_LARGE: u32 = 540;
    pub const WHOLE: u32 = Self::VIEW;
    /// How far Up and Down move a wide page: two thirds of what shows, so the line being read
    /// stays in sight.
    pub const STEP: u32 = Self::VIEW * 2 / 3;

    /// How far Up and Down move a wide page when `view` pixels of it show.
    pub fn step_for(view: u32) -> u32 {
        (view * 2 / 3).max(1)
    }

    pub fn pages(&self) -> usize {
        self.heights.len()
    }

    /// The picture of page `n` (0-based), whole.
    pub fn whole(&self, n: usize) -> std::path::PathBuf {
        self.dir.join(format!("whole-{:03}.jpg", n + 1))
    }

    /// The picture of page `n` (0-based), wide.
    pub fn wide(&self, n: usize) -> std::path::PathBuf {
        self.dir.join(format!("wide-{:03}.jpg", n + 1))
    }

    /// How many steps down page `n` scrolls when `view` pixels show (0: it fits).
    pub fn steps(&self, n: usize, view: u32) -> u32 {
        let h = self.heights.get(n).copied().unwrap_or(0);
        h.saturating_sub(view).div_ceil(Self::step_for(view))
    }

    /// How far down page `n` is shown, in pixels of the wide picture, at `step`.
    pub fn offset(&self, n: usize, step: u32, view: u32) -> u32 {
        let h = self.heights.get(n).copied().unwrap_or(0);
        step.saturating_mul(Self::step_for(view))
            .min(h.saturating_sub(view))
    }
}

/// One assignment, as the list and the reader show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The Task's id on the backend: the key everything else uses.
    pub task: String,
    pub title: String,
    /// A sentence or two about it.
    pub description: String,
    /// Where the record says the patient is (the Task's status).
    pub progress: Progress,
    pub due: Option<Timestamp>,
    /// Who assigned it (the requester's name), empty when the record does not say.
    pub assigned_by: String,
    /// About how long it takes, in minutes.
    pub minutes: Option<u32>,
    pub material: Material,
    pub quiz: Option<Quiz>,
    /// The material is in the patient's language (or their language is not known); false
    /// means it is in the default language and the screen says so.
    pub in_language: bool,
    /// The topic as the record codes it (system, code, display), for the Procedure that
    /// records the teaching.
    pub topic: Vec<(String, String, String)>,
    /// The ServiceRequest the Task fulfils, if any ("ServiceRequest/123").
    pub based_on: Option<String>,
    /// The teach-back answers the record holds (the latest QuestionnaireResponse for this
    /// Task), for staff.
    pub answers: Vec<Given>,
    /// What was assigned, as the catalogue keys it ([`CatalogueItem::key`]), so the catalogue
    /// can leave out what the patient has.
    pub source: Option<String>,
    /// The record holds no Task for this yet, only the ServiceRequest in `based_on`: the box
    /// creates the Task (id `task`, see `fhir::learn::request_task`) once the patient opens it.
    pub from_request: bool,
}

/// One teach-back answer as the record holds it, for staff to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Given {
    pub question: String,
    /// The answer in words; empty when skipped.
    pub answer: String,
    /// Whether it was the answer the care team wanted (None: no right answer, or skipped).
    pub right: Option<bool>,
}

/// Something the hospital's catalogue offers to assign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueItem {
    /// What it is: `DocumentReference/<id>`, or the canonical URL of the ActivityDefinition
    /// or PlanDefinition action that defines it (`fhir::catalogue` says more).
    pub key: String,
    pub title: String,
    pub description: String,
    /// "video", "leaflet", "document" (what the material is, for the list's icon).
    pub kind: CatalogueKind,
    /// The teach-back that comes with it, if any: `Questionnaire/<id>` or a canonical URL.
    pub questionnaire: Option<String>,
    pub minutes: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogueKind {
    Document,
    Video,
    Leaflet,
}

impl Assignment {
    /// Whether it is past its due time at `now` and not done.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.progress != Progress::Done && self.due.is_some_and(|d| d < now)
    }
}

/// Sorts assignments into the order of what to do next (see the module documentation).
pub fn sort(items: &mut [Assignment]) {
    items.sort_by(|a, b| {
        let done = |x: &Assignment| x.progress == Progress::Done;
        done(a)
            .cmp(&done(b))
            .then_with(|| match (a.due, b.due) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| b.progress.cmp(&a.progress))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.task.cmp(&b.task))
    });
}

/// What the record is told about the patient's learning. Each becomes FHIR in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The patient opened the assignment: its Task goes to in-progress.
    Opened { task: String },
    /// The patient finished it: the answers (if it had questions) as a QuestionnaireResponse,
    /// the teaching as a Procedure, and the Task completed.
    Finished {
        task: String,
        answers: Vec<Answered>,
    },
    /// Staff assigned this catalogue item: a new Task, requested by them (`by`: their
    /// Practitioner reference).
    Assigned { item: CatalogueItem, by: String },
    /// Staff took this assignment back: its Task cancelled (unless the patient finished it).
    Unassigned { task: String, by: String },
}

/// One answer of the teach-back, as it goes into the QuestionnaireResponse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub link_id: String,
    pub answer: Answer,
    /// It was the answer the care team marked right (None: no right answer was given).
    pub correct: Option<bool>,
}

/// The assignment open now and how far the patient is in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub task: String,
    /// The page of the document shown (0-based).
    pub page: usize,
    /// The question shown (an index into the quiz's items), when on the questions.
    pub question: Option<usize>,
    /// Answers given so far, by item index.
    pub answers: Vec<Option<Answer>>,
    /// The verdict on the answer just given, while it shows.
    pub verdict: Option<Verdict>,
    /// The value being set on an integer question.
    pub number: i64,
    /// A PDF leaflet: the page is shown whole (else at the wide width, to read).
    pub whole: bool,
    /// A PDF leaflet read at the wide width: how far down the page (in [`Leaflet::STEP`]s).
    pub step: u32,
}

impl Reading {
    pub fn new(task: &str, questions: usize) -> Reading {
        Reading {
            task: task.to_owned(),
            page: 0,
            question: None,
            answers: vec![None; questions],
            verdict: None,
            number: 0,
            whole: false,
            step: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(task: &str, progress: Progress, due: Option<&str>) -> Assignment {
        Assignment {
            task: task.into(),
            title: task.into(),
            description: String::new(),
            progress,
            due: due.map(|d| d.parse().unwrap()),
            assigned_by: String::new(),
            minutes: None,
            material: Material::None,
            quiz: None,
            in_language: true,
            topic: Vec::new(),
            based_on: None,
            answers: Vec::new(),
            source: None,
            from_request: false,
        }
    }

    #[test]
    fn the_next_thing_to_do_comes_first() {
        let mut items = vec![
            item("done", Progress::Done, Some("2026-01-01T00:00:00Z")),
            item("later", Progress::New, Some("2026-01-03T00:00:00Z")),
            item("whenever", Progress::New, None),
            item("soon-new", Progress::New, Some("2026-01-02T00:00:00Z")),
            item(
                "soon-started",
                Progress::Started,
                Some("2026-01-02T00:00:00Z"),
            ),
        ];
        sort(&mut items);
        let order: Vec<&str> = items.iter().map(|i| i.task.as_str()).collect();
        assert_eq!(
            order,
            ["soon-started", "soon-new", "later", "whenever", "done"]
        );
    }

    #[test]
    fn overdue_is_past_due_and_not_done() {
        let now: Timestamp = "2026-01-02T12:00:00Z".parse().unwrap();
        assert!(item("a", Progress::New, Some("2026-01-02T00:00:00Z")).overdue(now));
        assert!(!item("a", Progress::Done, Some("2026-01-02T00:00:00Z")).overdue(now));
        assert!(!item("a", Progress::New, Some("2026-01-03T00:00:00Z")).overdue(now));
        assert!(!item("a", Progress::New, None).overdue(now));
    }
}
