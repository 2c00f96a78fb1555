//! Learn through the remote: the demo's assignments (a leaflet with teach-back, a leaflet
//! without), as `bedside --demo` shows them.

use super::*;
use crate::domain::learn::{Answer, Progress, Recorded, Verdict};

pub(super) fn learning() -> Shell {
    let mut shell = Shell::new(Settings::default());
    let record = crate::demo::record().unwrap();
    shell.set_learn(std::sync::Arc::new(record.learn().to_vec()));
    shell
}

fn press(shell: &mut Shell, keys: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for b in parse_list(keys).unwrap() {
        effects.extend(shell.press(b).effects);
    }
    effects
}

fn rows(shell: &Shell) -> Vec<LearnRow> {
    shell.learn_rows()
}

#[test]
fn the_list_puts_the_next_thing_to_do_first_and_opens_it_as_started() {
    let mut shell = learning();
    press(&mut shell, "right,ok");
    assert_eq!(shell.screen(), Screen::Learn);
    let titles: Vec<&str> = shell
        .learn_items()
        .iter()
        .map(|a| a.title.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Staying safe from falls",
            "Walking after your operation",
            "Your medicines at home",
            "Clean hands stop infections"
        ]
    );
    let effects = press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnPage);
    assert!(
        effects.contains(&Effect::Learn(Recorded::Opened {
            task: "demo-task-falls".into()
        })),
        "{effects:?}"
    );
    let item = shell.learn_items()[0].clone();
    assert_eq!(shell.learn_progress(&item), Progress::Started);
    // Opened again: nothing more to record about opening it.
    press(&mut shell, "back");
    assert_eq!(shell.screen(), Screen::Learn);
    let effects = press(&mut shell, "ok");
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Learn(_))),
        "{effects:?}"
    );
}

#[test]
fn pages_turn_with_left_and_right_and_ok_goes_on_to_the_questions() {
    let mut shell = learning();
    press(&mut shell, "right,ok,ok");
    let pages = shell.learn_open().unwrap().1.len();
    assert!(pages >= 2, "the leaflet is more than a page: {pages}");
    assert_eq!(shell.hints().ok, OkHint::Next);
    press(&mut shell, "left");
    assert_eq!(
        shell.learn_open().unwrap().2.page,
        0,
        "no page before the first"
    );
    press(&mut shell, "right");
    assert_eq!(shell.learn_open().unwrap().2.page, 1);
    press(&mut shell, "left");
    assert_eq!(shell.learn_open().unwrap().2.page, 0);
    for _ in 0..pages {
        press(&mut shell, "ok");
    }
    assert_eq!(shell.screen(), Screen::LearnQuestion);
    assert_eq!(
        rows(&shell),
        [
            LearnRow::Option(0),
            LearnRow::Option(1),
            LearnRow::Option(2),
            LearnRow::Skip
        ]
    );
    // Back returns to the last page, and opening it again later returns to the question.
    press(&mut shell, "back");
    assert_eq!(shell.screen(), Screen::LearnPage);
    press(&mut shell, "back,ok");
    assert_eq!(shell.screen(), Screen::LearnQuestion);
}

#[test]
fn a_wrong_answer_shows_why_and_offers_the_page_again() {
    let mut shell = learning();
    press(&mut shell, "right,ok,ok");
    let pages = shell.learn_open().unwrap().1.len();
    for _ in 0..pages {
        press(&mut shell, "ok");
    }
    // "Stand up quickly": wrong.
    press(&mut shell, "ok");
    assert_eq!(shell.learn_open().unwrap().2.verdict, Some(Verdict::Wrong));
    assert_eq!(
        rows(&shell),
        [LearnRow::LookAgain, LearnRow::TryAgain, LearnRow::GoOn]
    );
    // Look again: the page with "Before you get up", then OK back to the question.
    press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnPage);
    assert!(shell.learn_reviewing());
    let (_, pages, reading) = shell.learn_open().unwrap();
    assert!(
        pages[reading.page]
            .iter()
            .any(|b| b.text() == "Before you get up"),
        "{:?}",
        pages[reading.page]
    );
    assert_eq!(shell.hints().ok, OkHint::BackToQuestion);
    press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnQuestion);
    assert_eq!(shell.learn_open().unwrap().2.verdict, None, "to try again");
    // The right answer this time.
    press(&mut shell, "down,ok");
    assert_eq!(shell.learn_open().unwrap().2.verdict, Some(Verdict::Right));
    assert_eq!(rows(&shell), [LearnRow::Next]);
    press(&mut shell, "ok");
    assert_eq!(shell.learn_open().unwrap().2.question, Some(1));
}

#[test]
fn finishing_records_the_answers_once_and_says_done() {
    let mut shell = learning();
    press(&mut shell, "right,ok,ok");
    let pages = shell.learn_open().unwrap().1.len();
    for _ in 0..pages {
        press(&mut shell, "ok");
    }
    // Right, then skip, then yes (right), then the closing text.
    let mut effects = press(&mut shell, "down,ok,ok");
    effects.extend(press(&mut shell, "down,down,down,ok"));
    assert_eq!(rows(&shell), [LearnRow::Yes, LearnRow::No, LearnRow::Skip]);
    effects.extend(press(&mut shell, "ok,ok"));
    assert_eq!(rows(&shell), [LearnRow::Next]);
    effects.extend(press(&mut shell, "ok"));
    assert_eq!(shell.screen(), Screen::LearnDone);
    let finished: Vec<&Recorded> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Learn(r @ Recorded::Finished { .. }) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 1, "{effects:?}");
    let Recorded::Finished { task, answers } = finished[0] else {
        unreachable!()
    };
    assert_eq!(task, "demo-task-falls");
    let given: Vec<(&str, &Answer, Option<bool>)> = answers
        .iter()
        .map(|a| (a.link_id.as_str(), &a.answer, a.correct))
        .collect();
    assert_eq!(
        given,
        [
            ("before-standing", &Answer::Choice(1), Some(true)),
            ("glasses", &Answer::Skipped, None),
            ("first-time", &Answer::Boolean(true), Some(true)),
            ("thanks", &Answer::Read, None),
        ]
    );
    // OK: back to the list, where it is done and last.
    press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::Learn);
    let item = shell.learn_items()[0].clone();
    assert_eq!(shell.learn_progress(&item), Progress::Done);
    // Read again for the patient's own sake: nothing recorded twice.
    press(&mut shell, "ok");
    let pages = shell.learn_open().unwrap().1.len();
    let mut again = Vec::new();
    for _ in 0..pages {
        again.extend(press(&mut shell, "ok"));
    }
    again.extend(press(&mut shell, "down,ok,ok,ok,ok,ok,ok,ok,ok"));
    assert!(
        !again.iter().any(|e| matches!(e, Effect::Learn(_))),
        "{again:?}"
    );
}

#[test]
fn something_without_questions_finishes_after_its_last_page() {
    let mut shell = learning();
    press(&mut shell, "right,ok,down,down,ok");
    assert_eq!(shell.screen(), Screen::LearnPage);
    let pages = shell.learn_open().unwrap().1.len();
    for _ in 1..pages {
        press(&mut shell, "ok");
    }
    assert_eq!(shell.hints().ok, OkHint::Finish);
    let effects = press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnDone);
    assert!(effects.contains(&Effect::Learn(Recorded::Finished {
        task: "demo-task-medicines".into(),
        answers: Vec::new()
    })));
}

#[test]
fn large_text_pages_the_same_leaflet_into_more_pages() {
    let mut normal = learning();
    press(&mut normal, "right,ok,ok");
    let mut large = learning();
    large.settings.text_size = TextSize::Large;
    press(&mut large, "right,ok,ok");
    assert!(large.learn_open().unwrap().1.len() > normal.learn_open().unwrap().1.len());
}

#[test]
fn a_new_occupant_forgets_what_the_last_one_learned() {
    let mut shell = learning();
    press(&mut shell, "right,ok,ok,ok");
    shell.new_occupant();
    let item = shell.learn_items()[0].clone();
    assert_eq!(shell.learn_progress(&item), Progress::New);
    press(&mut shell, "right,ok,ok");
    assert_eq!(shell.learn_open().unwrap().2.page, 0);
}

#[test]
fn an_assignment_withdrawn_while_open_closes() {
    let mut shell = learning();
    press(&mut shell, "right,ok,ok");
    let rest: Vec<_> = shell.learn_items()[1..].to_vec();
    shell.set_learn(std::sync::Arc::new(rest));
    assert_eq!(shell.screen(), Screen::Learn);
    assert!(shell.focus() < shell.layout().count());
}

#[test]
fn random_presses_in_learn_never_lose_the_focus() {
    let buttons: Vec<Button> = Button::all().collect();
    let mut shell = learning();
    press(&mut shell, "right,ok");
    super::random_presses(&mut shell, &buttons);
}

#[test]
fn a_video_plays_full_screen_resumes_where_it_was_left_and_finishes_at_its_end() {
    use crate::domain::watch::Media;
    use std::time::Duration;
    let mut shell = learning();
    press(&mut shell, "right,ok,down,ok");
    assert_eq!(shell.screen(), Screen::LearnVideo);
    assert_eq!(
        shell.media(),
        Media::Lesson {
            from: Duration::ZERO
        }
    );
    let (url, captions) = shell.learn_video().unwrap();
    assert!(url.ends_with("/learn-walking.mp4"), "{url}");
    assert!(captions.unwrap().ends_with("/learn-walking.vtt"));
    // OK pauses and plays; Left and Right step back and on.
    press(&mut shell, "ok");
    assert!(shell.watch().paused);
    press(&mut shell, "ok");
    assert!(!shell.watch().paused);
    assert!(shell.press(Button::Right).seek().is_some_and(|s| s > 0));
    // Left ten minutes into an hour: it resumes there, after a restart too.
    let task = shell.learn_open().unwrap().0.task.clone();
    shell.left_lesson_at(
        &task,
        Duration::from_secs(600),
        Some(Duration::from_secs(3600)),
    );
    press(&mut shell, "back");
    assert_eq!(shell.screen(), Screen::Learn);
    assert_eq!(shell.media(), Media::Nothing);
    let saved = shell.saved();
    assert_eq!(saved.learn_video.get(&task), Some(&600));
    let mut restarted = Shell::new(saved);
    restarted.set_learn(std::sync::Arc::new(shell.learn_items().to_vec()));
    press(&mut restarted, "right,ok,down,ok");
    assert_eq!(
        restarted.media(),
        Media::Lesson {
            from: Duration::from_secs(600)
        }
    );
    // Its end: done (it has no questions), recorded, and next time from the start.
    let outcome = restarted.film_ended();
    assert_eq!(restarted.screen(), Screen::LearnDone);
    assert!(
        outcome
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Learn(Recorded::Finished { .. }))),
        "{outcome:?}"
    );
    assert!(restarted.saved().learn_video.is_empty());
    // Left in its last seconds: next time from the start.
    shell.left_lesson_at(
        &task,
        Duration::from_secs(3590),
        Some(Duration::from_secs(3600)),
    );
    assert!(shell.saved().learn_video.is_empty());
}

#[test]
fn a_reminder_of_overdue_learning_is_gentle() {
    let mut shell = learning();
    let due = shell.learn_items()[0].due.unwrap();
    let later = due + jiff::SignedDuration::from_mins(30);
    assert!(!shell.learning_reminder_due(due - jiff::SignedDuration::from_mins(1), false));
    assert!(
        !shell.learning_reminder_due(later, true),
        "never in quiet hours"
    );
    let outcome = shell.remind_learning(later, false);
    assert_eq!(
        outcome.new_notice().map(|n| n.kind),
        Some(NoticeKind::LearnDue)
    );
    // Dismissed by any press, which still does its job.
    press(&mut shell, "right");
    assert_eq!(shell.notice(), None);
    assert_eq!(shell.focus(), 1);
    press(&mut shell, "left");
    // Not again within the hour.
    assert!(!shell.learning_reminder_due(later + jiff::SignedDuration::from_mins(59), false));
    assert!(shell.learning_reminder_due(later + jiff::SignedDuration::from_mins(61), false));
    // Only on Home, never in a call.
    press(&mut shell, "right,ok");
    assert!(!shell.learning_reminder_due(later + jiff::SignedDuration::from_hours(2), false));
    press(&mut shell, "home");
    shell.set_calls_configured(true);
    shell.set_call(CallStage::InCall, 1, false, false);
    assert!(!shell.learning_reminder_due(later + jiff::SignedDuration::from_hours(2), false));
    shell.set_call(CallStage::None, 1, false, false);
    // Done: nothing to remind of.
    let mut done = learning();
    let task = done.learn_items()[0].task.clone();
    done.learn.progress.insert(task, Progress::Done);
    assert!(!done.learning_reminder_due(later, false));
}

#[test]
fn what_cannot_be_shown_is_never_recorded_as_done() {
    use crate::domain::learn::Material;
    let mut shell = learning();
    let mut items = shell.learn_items().to_vec();
    items[0].material = Material::Pdf {
        url: "https://example.org/leaflet.pdf".into(),
        leaflet: None,
    };
    items[0].quiz = None;
    shell.set_learn(std::sync::Arc::new(items));
    let mut effects = press(&mut shell, "right,ok,ok");
    assert_eq!(
        shell.screen(),
        Screen::LearnPage,
        "it says to ask the nurse"
    );
    assert_eq!(shell.hints().ok, OkHint::Done);
    effects.extend(press(&mut shell, "ok"));
    assert_eq!(shell.screen(), Screen::Learn);
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Learn(Recorded::Finished { .. }))),
        "{effects:?}"
    );
}

/// The demo's first assignment with its leaflet as a PDF of three pages drawn: the first two
/// longer than the screen at the wide width, the last short.
/// A page that takes three steps down to its foot.
const TALL: u32 = crate::domain::learn::Leaflet::VIEW + crate::domain::learn::Leaflet::STEP * 5 / 2;

pub(super) fn reading_a_pdf() -> Shell {
    use crate::domain::learn::{Leaflet, Material};
    let mut shell = learning();
    let mut items = shell.learn_items().to_vec();
    items[0].material = Material::Pdf {
        url: "https://example.org/leaflet.pdf".into(),
        leaflet: Some(Leaflet {
            dir: "/cache/x".into(),
            heights: vec![TALL, TALL, Leaflet::VIEW - 100],
        }),
    };
    shell.set_learn(std::sync::Arc::new(items));
    press(&mut shell, "right,ok,ok");
    assert_eq!(shell.screen(), Screen::LearnPage);
    shell
}

fn at(shell: &Shell) -> (usize, bool, u32) {
    let r = shell.learn_open().unwrap().2;
    (r.page, r.whole, r.step)
}

#[test]
fn a_pdf_leaflet_is_read_at_the_wide_width_down_its_pages_and_on_to_the_questions() {
    let mut shell = reading_a_pdf();
    assert_eq!(at(&shell), (0, false, 0), "the first page's top, to read");
    assert_eq!(shell.hints().ok, OkHint::Next);
    // Three steps to its foot.
    press(&mut shell, "down,down");
    assert_eq!(at(&shell), (0, false, 2));
    press(&mut shell, "down");
    assert_eq!(at(&shell), (0, false, 3));
    press(&mut shell, "down");
    assert_eq!(
        at(&shell),
        (1, false, 0),
        "down at the foot: the next page's top"
    );
    press(&mut shell, "ok,ok,ok");
    assert_eq!(at(&shell), (1, false, 3), "OK reads on down the page");
    press(&mut shell, "ok");
    assert_eq!(at(&shell), (2, false, 0), "and on to the next");
    press(&mut shell, "down");
    assert_eq!(
        at(&shell),
        (2, false, 0),
        "the short last page has nowhere to go"
    );
    press(&mut shell, "up");
    assert_eq!(
        at(&shell),
        (2, true, 0),
        "up at the top shows the page whole"
    );
    assert_eq!(shell.hints().ok, OkHint::ReadCloser);
    press(&mut shell, "left");
    assert_eq!(at(&shell), (1, true, 0), "whole pages turn with the arrows");
    press(&mut shell, "right,ok");
    assert_eq!(
        at(&shell),
        (2, false, 0),
        "OK reads it closer, from its top"
    );
    assert_eq!(shell.hints().ok, OkHint::Next, "on to the questions");
    press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnQuestion);
    // Back to the leaflet: where it was left.
    press(&mut shell, "back");
    assert_eq!(shell.screen(), Screen::LearnPage);
    assert_eq!(at(&shell), (2, false, 0));
    press(&mut shell, "left");
    assert_eq!(at(&shell), (1, false, 0));
}

#[test]
fn look_again_on_a_pdf_opens_the_page_the_question_names() {
    let mut shell = reading_a_pdf();
    press(&mut shell, "right,right,ok");
    assert_eq!(shell.screen(), Screen::LearnQuestion);
    // The first question's review is section 1: page 1 of the leaflet.
    let quiz = shell.learn_open().unwrap().0.quiz.clone().unwrap();
    let q = shell.learn_open().unwrap().2.question.unwrap();
    let review = quiz.items[q]
        .review
        .expect("the demo question names a part");
    let wrong = rows(&shell)
        .iter()
        .position(|r| matches!(r, LearnRow::Option(i) if quiz.check(q, &Answer::Choice(*i)) == Some(false)))
        .unwrap();
    for _ in 0..wrong {
        press(&mut shell, "down");
    }
    press(&mut shell, "ok");
    assert_eq!(rows(&shell)[0], LearnRow::LookAgain);
    press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnPage);
    assert!(shell.learn_reviewing());
    assert_eq!(at(&shell), (review as usize - 1, false, 0));
    press(&mut shell, "right");
    assert_eq!(
        at(&shell).0,
        review as usize - 1,
        "looking again keeps to its page"
    );
    press(&mut shell, "down");
    assert_eq!(
        at(&shell),
        (review as usize - 1, false, 1),
        "but the page moves"
    );
    press(&mut shell, "up,up");
    assert_eq!(
        at(&shell),
        (review as usize - 1, false, 0),
        "up at its top does not leave the part to look at"
    );
    assert_eq!(shell.hints().ok, OkHint::BackToQuestion);
    press(&mut shell, "ok");
    assert_eq!(shell.screen(), Screen::LearnQuestion);
}

#[test]
fn a_leaflet_that_shrinks_or_is_not_ready_while_open_keeps_the_reader_within_it() {
    use crate::domain::learn::{Leaflet, Material};
    let mut shell = reading_a_pdf();
    press(&mut shell, "right,right,up");
    assert_eq!(at(&shell), (2, true, 0));
    let mut items = shell.learn_items().to_vec();
    items[0].material = Material::Pdf {
        url: "https://example.org/leaflet.pdf".into(),
        leaflet: Some(Leaflet {
            dir: "/cache/y".into(),
            heights: vec![TALL],
        }),
    };
    shell.set_learn(std::sync::Arc::new(items.clone()));
    assert_eq!(at(&shell).0, 0, "one page now");
    // Pages of nothing (an index that could not be read): not shown, never done by OK.
    items[0].material = Material::Pdf {
        url: "https://example.org/leaflet.pdf".into(),
        leaflet: Some(Leaflet {
            dir: "/cache/z".into(),
            heights: vec![],
        }),
    };
    shell.set_learn(std::sync::Arc::new(items));
    assert_eq!(at(&shell), (0, false, 0));
    assert_eq!(
        shell.hints().ok,
        OkHint::Next,
        "on to the questions, not through pages"
    );
}

#[test]
fn questions_changed_on_the_server_start_the_reading_again() {
    let mut shell = learning();
    press(&mut shell, "right,ok,ok,ok,ok,ok");
    assert_eq!(shell.screen(), Screen::LearnQuestion);
    // The Questionnaire lost its last two items in the next sync pass.
    let mut items = shell.learn_items().to_vec();
    items[0].quiz.as_mut().unwrap().items.truncate(2);
    shell.set_learn(std::sync::Arc::new(items));
    assert_eq!(
        shell.screen(),
        Screen::Learn,
        "closed, not left pointing at a lost question"
    );
    press(&mut shell, "ok");
    assert_eq!(shell.learn_open().unwrap().2.answers.len(), 2);
    let buttons: Vec<Button> = Button::all().collect();
    super::random_presses(&mut shell, &buttons);
}
