//! A document as the reader shows it: headings, paragraphs and bullet points in large type,
//! cut into pages that fit the screen whole (nothing scrolls: Left and Right turn pages, as in a
//! book). Pages are cut by a count of lines of a known width, so the same document at the same
//! text size always pages the same way, and a paragraph longer than a page carries on over the
//! next one rather than being cut off.
//!
//! Markdown (CommonMark) comes in through pulldown-cmark: headings, paragraphs, lists, emphasis
//! (kept as plain text), links (their text). Images, tables and code blocks are reduced to their
//! text; raw HTML is dropped.

/// One piece of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    Bullet(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Heading(t) | Block::Paragraph(t) | Block::Bullet(t) => t,
        }
    }

    fn with_text(&self, text: String) -> Block {
        match self {
            Block::Heading(_) => Block::Heading(text),
            Block::Paragraph(_) => Block::Paragraph(text),
            Block::Bullet(_) => Block::Bullet(text),
        }
    }
}

/// One screenful.
pub type Page = Vec<Block>;

/// How much text fits on a page at a text size: half-lines of body text, and characters per
/// line (a conservative average for Noto Sans at the reader's type size on a 1920-wide
/// screen). A heading costs half a line more than its lines (it is larger), and the space
/// between blocks half a line. Measured on the screen at 1920x1080: 90 characters fit a line at
/// the normal size and 66 at the large, 11 lines a page and 8; a line is left spare for the note
/// that the text is not in the patient's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fit {
    pub halves: usize,
    pub columns: usize,
}

impl Fit {
    pub const NORMAL: Fit = Fit {
        halves: 20,
        columns: 82,
    };
    pub const LARGE: Fit = Fit {
        halves: 14,
        columns: 60,
    };
}

/// Reads CommonMark into blocks.
pub fn from_markdown(text: &str) -> Vec<Block> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut buffer = String::new();
    let mut item_depth = 0usize;
    let flush = |current: &mut Option<Block>, buffer: &mut String, blocks: &mut Vec<Block>| {
        let text = buffer.split_whitespace().collect::<Vec<_>>().join(" ");
        buffer.clear();
        if let Some(kind) = current.take()
            && !text.is_empty()
        {
            blocks.push(kind.with_text(text));
        }
    };
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                flush(&mut current, &mut buffer, &mut blocks);
                current = Some(Block::Heading(String::new()));
            }
            Event::Start(Tag::Item) => {
                flush(&mut current, &mut buffer, &mut blocks);
                item_depth += 1;
                current = Some(Block::Bullet(String::new()));
            }
            Event::End(TagEnd::Item) => {
                flush(&mut current, &mut buffer, &mut blocks);
                item_depth = item_depth.saturating_sub(1);
            }
            // A paragraph inside a list item belongs to the item.
            Event::Start(Tag::Paragraph) if item_depth == 0 || current.is_none() => {
                flush(&mut current, &mut buffer, &mut blocks);
                current = Some(if item_depth > 0 {
                    Block::Bullet(String::new())
                } else {
                    Block::Paragraph(String::new())
                });
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock) => {
                if item_depth == 0 {
                    flush(&mut current, &mut buffer, &mut blocks);
                } else {
                    // The next paragraph of the same item follows after a space.
                    buffer.push(' ');
                }
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut current, &mut buffer, &mut blocks);
                current = Some(Block::Paragraph(String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if current.is_none() {
                    current = Some(Block::Paragraph(String::new()));
                }
                buffer.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => buffer.push(' '),
            _ => {}
        }
    }
    flush(&mut current, &mut buffer, &mut blocks);
    blocks
}

/// Plain text: paragraphs split at blank lines.
pub fn from_plain_text(text: &str) -> Vec<Block> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .map(Block::Paragraph)
        .collect()
}

/// Cuts blocks into pages of `fit`. A heading never ends a page (it moves to the next with
/// what it heads); a block longer than what is left on a page carries on over the next.
pub fn paginate(blocks: &[Block], fit: Fit) -> Vec<Page> {
    let mut pages: Vec<Page> = Vec::new();
    let mut page: Page = Vec::new();
    let mut used = 0usize;
    for block in blocks {
        let lines = wrap(block.text(), fit.columns);
        let heading = matches!(block, Block::Heading(_));
        // In half-lines: a heading is half a line taller.
        let cost = |n: usize| 2 * n + usize::from(heading);
        let gap = usize::from(!page.is_empty());
        // A heading goes to the next page unless it and two lines under it fit here.
        if heading && !page.is_empty() && used + gap + cost(lines.len()) + 1 + 4 > fit.halves {
            pages.push(std::mem::take(&mut page));
            used = 0;
        }
        let mut rest = &lines[..];
        while !rest.is_empty() {
            let gap = usize::from(!page.is_empty());
            let room = fit.halves.saturating_sub(used + gap + cost(0)) / 2;
            if room == 0 {
                pages.push(std::mem::take(&mut page));
                used = 0;
                continue;
            }
            let take = room.min(rest.len());
            page.push(block.with_text(rest[..take].join(" ")));
            used += gap + cost(take);
            rest = &rest[take..];
        }
    }
    if !page.is_empty() {
        pages.push(page);
    }
    pages
}

/// What a page costs, in half-lines (for the tests).
#[cfg(test)]
fn cost_of(page: &Page, fit: Fit) -> usize {
    page.iter()
        .map(|b| {
            2 * wrap(b.text(), fit.columns).len() + usize::from(matches!(b, Block::Heading(_)))
        })
        .sum::<usize>()
        + page.len()
        - 1
}

/// Greedy word wrap at `columns` characters; a word longer than a line is cut.
fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_owned();
        while word.chars().count() > columns {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(columns).collect();
            word = word.chars().skip(columns).collect();
            lines.push(head);
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > columns && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_headings_paragraphs_and_bullets() {
        let blocks = from_markdown(
            "# After your operation\n\nRest **well**, and\ndrink water.\n\n- Walk a little\n- Call the nurse if it *hurts*\n\n<b>Bold</b> in HTML\n\n<div>\nblock\n</div>\n",
        );
        assert_eq!(
            blocks,
            [
                Block::Heading("After your operation".into()),
                Block::Paragraph("Rest well, and drink water.".into()),
                Block::Bullet("Walk a little".into()),
                Block::Bullet("Call the nurse if it hurts".into()),
                // Inline HTML loses its tags and keeps its words; an HTML block is dropped.
                Block::Paragraph("Bold in HTML".into()),
            ]
        );
    }

    #[test]
    fn loose_list_items_stay_one_bullet_each() {
        let blocks = from_markdown("- one\n\n  more\n\n- two\n");
        assert_eq!(
            blocks,
            [
                Block::Bullet("one more".into()),
                Block::Bullet("two".into())
            ]
        );
    }

    #[test]
    fn pages_fit_and_lose_no_word() {
        let long = "word ".repeat(400);
        let blocks = vec![
            Block::Heading("Title".into()),
            Block::Paragraph(long.clone()),
            Block::Heading("Next".into()),
            Block::Bullet("short".into()),
        ];
        for fit in [Fit::NORMAL, Fit::LARGE] {
            let pages = paginate(&blocks, fit);
            assert!(pages.len() > 3, "{}", pages.len());
            for page in &pages {
                let halves = cost_of(page, fit);
                assert!(
                    halves <= fit.halves,
                    "{halves} half-lines on a page of {fit:?}"
                );
            }
            let words: usize = pages
                .iter()
                .flatten()
                .map(|b| b.text().split_whitespace().count())
                .sum();
            assert_eq!(words, 400 + 3);
            // A heading is never the last thing on a page.
            for page in &pages {
                assert!(!matches!(page.last(), Some(Block::Heading(_))));
            }
        }
    }

    #[test]
    fn large_text_makes_more_pages() {
        let blocks = vec![Block::Paragraph("a few words here ".repeat(60))];
        assert!(paginate(&blocks, Fit::LARGE).len() > paginate(&blocks, Fit::NORMAL).len());
    }

    #[test]
    fn a_word_longer_than_a_line_is_cut_not_lost() {
        let lines = wrap(&"x".repeat(150), 68);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines.concat().len(), 150);
    }
}
