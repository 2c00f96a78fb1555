//! Teach-back: the questions a Questionnaire asks after the material, answered with the remote.
//!
//! What a remote can answer: a choice (one of a list, including open-choice's list), yes/no, a
//! whole number (Left/Right or the digits), and display text (read, then OK). Groups give their
//! questions a heading. A question is shown only when its simple `enableWhen` holds. Anything
//! else (typing a date or free text, attachments) is refused item by item with the reason
//! ([`Kind::Unsupported`]), and the patient is never shown it.
//!
//! A question may carry the answer the care team wants to hear, why, and where in the material
//! to look again; a wrong answer then shows why and offers that page (or moment of the video)
//! again. The patient can always skip a question.

/// One item of the questionnaire, in reading order (groups flattened).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub link_id: String,
    pub text: String,
    /// The text of the group it is in, if any.
    pub group: Option<String>,
    /// The items it is nested in, outermost first: groups, and questions it follows up (the
    /// QuestionnaireResponse nests its answer the same way).
    pub within: Vec<Within>,
    pub kind: Kind,
    /// It is shown only when all of these hold (`enableBehavior` all), or any (when
    /// `any_enables`).
    pub enable_when: Vec<Condition>,
    pub any_enables: bool,
    /// Why the right answer is right (shown after a wrong one).
    pub why: Option<String>,
    /// Where to look again after a wrong answer: a section of the document (the nth heading,
    /// from 1) or a second of the video.
    pub review: Option<u32>,
}

/// An item another is nested in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Within {
    pub link_id: String,
    pub text: String,
    /// A question (its follow-ups go under its answer), else a group.
    pub question: bool,
}

/// What kind of answer an item takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// One of these; `right` lists the options the care team marked right (empty: any is fine).
    Choice {
        options: Vec<Choice>,
        right: Vec<usize>,
    },
    Boolean {
        right: Option<bool>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
        right: Option<i64>,
    },
    /// Text to read; OK goes on.
    Display,
    /// Cannot be answered with a remote, or cannot be read (the reason says which).
    Unsupported(String),
}

/// One option of a choice: what the patient reads and what goes into the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub label: String,
    pub value: ChoiceValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChoiceValue {
    Coding {
        system: String,
        code: String,
        display: String,
    },
    String(String),
    Integer(i64),
}

/// An answer the patient gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The index of the option chosen.
    Choice(usize),
    Boolean(bool),
    Integer(i64),
    /// Seen, no answer needed (display items).
    Read,
    /// The patient chose to skip it.
    Skipped,
}

/// A simple `enableWhen`: the answer to another question compared to a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub question: String,
    pub test: Test,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Exists(bool),
    EqualsBoolean(bool),
    EqualsCode(String),
    EqualsInteger(i64),
    NotCode(String),
}

/// What the patient is told after answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Right,
    /// Not the answer the care team wanted: why, and the choice to look again, try again or
    /// go on.
    Wrong,
}

/// The questions of one questionnaire.
#[derive(Clone, Debug, PartialEq)]
pub struct Quiz {
    /// What the QuestionnaireResponse names as its questionnaire (a canonical URL, or
    /// `Questionnaire/id` when the Questionnaire has no url).
    pub questionnaire: String,
    pub title: String,
    pub items: Vec<Item>,
}

impl Quiz {
    /// Items the patient can be shown.
    fn shown(&self, index: usize) -> bool {
        !matches!(self.items[index].kind, Kind::Unsupported(_))
    }

    /// Whether item `index` is enabled by the answers so far.
    pub fn enabled(&self, index: usize, answers: &[Option<Answer>]) -> bool {
        let item = &self.items[index];
        if item.enable_when.is_empty() {
            return true;
        }
        let holds = |c: &Condition| {
            let Some(pos) = self.items.iter().position(|i| i.link_id == c.question) else {
                return false;
            };
            let given = answers
                .get(pos)
                .cloned()
                .flatten()
                .filter(|a| !matches!(a, Answer::Skipped | Answer::Read));
            match (&c.test, given) {
                (Test::Exists(want), given) => given.is_some() == *want,
                (_, None) => false,
                (Test::EqualsBoolean(b), Some(Answer::Boolean(x))) => x == *b,
                (Test::EqualsInteger(n), Some(Answer::Integer(x))) => x == *n,
                (Test::EqualsCode(code), Some(Answer::Choice(i))) => {
                    self.choice_code(pos, i).is_some_and(|c| c == code)
                }
                (Test::NotCode(code), Some(Answer::Choice(i))) => {
                    self.choice_code(pos, i).is_some_and(|c| c != code)
                }
                _ => false,
            }
        };
        if item.any_enables {
            item.enable_when.iter().any(holds)
        } else {
            item.enable_when.iter().all(holds)
        }
    }

    fn choice_code(&self, item: usize, option: usize) -> Option<&str> {
        match &self.items[item].kind {
            Kind::Choice { options, .. } => match &options.get(option)?.value {
                ChoiceValue::Coding { code, .. } => Some(code),
                ChoiceValue::String(s) => Some(s),
                ChoiceValue::Integer(_) => None,
            },
            _ => None,
        }
    }

    /// The first question to show at or after `from`, given the answers so far.
    pub fn next(&self, from: usize, answers: &[Option<Answer>]) -> Option<usize> {
        (from..self.items.len()).find(|&i| self.shown(i) && self.enabled(i, answers))
    }

    /// How many questions the patient will see, with the answers so far (for "2 of 5").
    pub fn count(&self, answers: &[Option<Answer>]) -> usize {
        (0..self.items.len())
            .filter(|&i| self.shown(i) && self.enabled(i, answers))
            .count()
    }

    /// The position of item `index` among those shown (0-based).
    pub fn position(&self, index: usize, answers: &[Option<Answer>]) -> usize {
        (0..index)
            .filter(|&i| self.shown(i) && self.enabled(i, answers))
            .count()
    }

    /// Whether `answer` to item `index` is right (None: the item names no right answer).
    pub fn check(&self, index: usize, answer: &Answer) -> Option<bool> {
        match (&self.items[index].kind, answer) {
            (Kind::Choice { right, .. }, Answer::Choice(i)) if !right.is_empty() => {
                Some(right.contains(i))
            }
            (Kind::Boolean { right: Some(r) }, Answer::Boolean(b)) => Some(r == b),
            (Kind::Integer { right: Some(r), .. }, Answer::Integer(n)) => Some(r == n),
            _ => None,
        }
    }

    /// The items refused, with why: for the record of what this box could not ask.
    pub fn refused(&self) -> Vec<(&str, &str)> {
        self.items
            .iter()
            .filter_map(|i| match &i.kind {
                Kind::Unsupported(why) => Some((i.link_id.as_str(), why.as_str())),
                _ => None,
            })
            .collect()
    }

    /// How many options item `index` offers to move the focus over (yes/no is two).
    pub fn options(&self, index: usize) -> usize {
        match &self.items[index].kind {
            Kind::Choice { options, .. } => options.len(),
            Kind::Boolean { .. } => 2,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(link: &str, labels: &[&str], right: &[usize]) -> Item {
        Item {
            link_id: link.into(),
            text: link.into(),
            group: None,
            within: Vec::new(),
            kind: Kind::Choice {
                options: labels
                    .iter()
                    .map(|l| Choice {
                        label: (*l).into(),
                        value: ChoiceValue::String((*l).into()),
                    })
                    .collect(),
                right: right.to_vec(),
            },
            enable_when: Vec::new(),
            any_enables: false,
            why: None,
            review: None,
        }
    }

    fn quiz(items: Vec<Item>) -> Quiz {
        Quiz {
            questionnaire: "Questionnaire/q".into(),
            title: "Q".into(),
            items,
        }
    }

    #[test]
    fn right_and_wrong_follow_the_marked_options() {
        let q = quiz(vec![
            choice("a", &["x", "y"], &[1]),
            choice("b", &["x"], &[]),
        ]);
        assert_eq!(q.check(0, &Answer::Choice(1)), Some(true));
        assert_eq!(q.check(0, &Answer::Choice(0)), Some(false));
        assert_eq!(
            q.check(1, &Answer::Choice(0)),
            None,
            "no right answer given"
        );
    }

    #[test]
    fn enable_when_hides_and_shows_a_question() {
        let mut follow = choice("why", &["pain", "sleep"], &[]);
        follow.enable_when = vec![Condition {
            question: "trouble".into(),
            test: Test::EqualsCode("yes".into()),
        }];
        let unsupported = Item {
            kind: Kind::Unsupported("free text cannot be typed with a remote".into()),
            ..choice("text", &[], &[])
        };
        let q = quiz(vec![
            choice("trouble", &["yes", "no"], &[]),
            unsupported,
            follow,
        ]);
        let mut answers = vec![None; 3];
        assert_eq!(q.next(0, &answers), Some(0));
        assert_eq!(q.count(&answers), 1);
        answers[0] = Some(Answer::Choice(1));
        assert_eq!(
            q.next(1, &answers),
            None,
            "'no': the follow-up is not asked"
        );
        answers[0] = Some(Answer::Choice(0));
        assert_eq!(
            q.next(1, &answers),
            Some(2),
            "the unsupported item is passed"
        );
        assert_eq!(q.count(&answers), 2);
        assert_eq!(q.position(2, &answers), 1);
        assert_eq!(q.refused().len(), 1);
        answers[0] = Some(Answer::Skipped);
        assert_eq!(
            q.next(1, &answers),
            None,
            "a skipped answer enables nothing"
        );
    }
}
