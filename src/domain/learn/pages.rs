//! A document as the reader shows it: headings, paragraphs and bullet points in large type,
//! cut into pages that fit the screen whole (nothing scrolls: Left and Right turn pages, as in a
//! book). Pages are cut by a count of lines of a known width, so the same document at the same
//! text size always pages the same way, and a paragraph longer than a page carries on over the
//! next one rather than being cut off.
//!
//! Markdown (CommonMark) comes in through pulldown-cmark: headings, paragraphs, lists, emphasis
//! (kept as plain text), links (their text). Images, tables and code blocks are reduced to their
//! text; raw HTML is dropped.
//!
//! HTML comes in through quick-xml, read leniently (unclosed `<p>` and `<li>`, void `<br>` and
//! `<img>`, HTML's named entities): `<h1>`-`<h6>` are headings, `<li>` bullets, `<p>`, `<div>`,
//! `<td>`, `<blockquote>` and the like paragraphs; inline markup is kept as its text; `<head>`,
//! `<script>`, `<style>`, `<nav>`, `<svg>` and the like are dropped whole; an image gives its
//! `alt` text. What cannot be read at all ends the document where it stops making sense.

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

/// Reads an HTML document (the subset above) into blocks.
pub fn from_html(text: &str) -> Vec<Block> {
    use quick_xml::events::Event;
    let text = without_raw_text(text);
    let mut reader = quick_xml::Reader::from_str(&text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.check_comments = false;
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut buffer = String::new();
    // Inside something dropped whole (its name, and how deep in it).
    let mut skipping: Option<(Vec<u8>, usize)> = None;
    let flush = |current: &mut Option<Block>, buffer: &mut String, blocks: &mut Vec<Block>| {
        let text = buffer.split_whitespace().collect::<Vec<_>>().join(" ");
        buffer.clear();
        let kind = current.take().unwrap_or(Block::Paragraph(String::new()));
        if !text.is_empty() {
            blocks.push(kind.with_text(text));
        }
    };
    const DROPPED: [&[u8]; 11] = [
        b"head",
        b"script",
        b"style",
        b"noscript",
        b"template",
        b"svg",
        b"nav",
        b"math",
        b"select",
        b"button",
        b"iframe",
    ];
    const PARAGRAPHS: [&[u8]; 16] = [
        b"p",
        b"div",
        b"section",
        b"article",
        b"blockquote",
        b"td",
        b"th",
        b"tr",
        b"dd",
        b"dt",
        b"figcaption",
        b"pre",
        b"address",
        b"header",
        b"footer",
        b"main",
    ];
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(e) => e,
            Err(_) => break,
        };
        let name_of = |n: &[u8]| n.to_ascii_lowercase();
        // HTML may leave `</head>` out: the body ends it.
        if let Some((name, _)) = &skipping
            && name == b"head"
            && matches!(&event, Event::Start(e) | Event::Empty(e) if name_of(e.name().as_ref()) == b"body")
        {
            skipping = None;
        }
        if let Some((name, depth)) = &mut skipping {
            match &event {
                Event::Start(e) if name_of(e.name().as_ref()) == *name => *depth += 1,
                Event::End(e) if name_of(e.name().as_ref()) == *name => {
                    *depth -= 1;
                    if *depth == 0 {
                        skipping = None;
                    }
                }
                _ => {}
            }
            continue;
        }
        let opened = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = name_of(e.name().as_ref());
                let name = name.as_slice();
                if DROPPED.contains(&name) {
                    if opened {
                        skipping = Some((name.to_vec(), 1));
                    }
                    continue;
                }
                match name {
                    [b'h', b'1'..=b'6'] => {
                        flush(&mut current, &mut buffer, &mut blocks);
                        current = Some(Block::Heading(String::new()));
                    }
                    b"li" => {
                        flush(&mut current, &mut buffer, &mut blocks);
                        current = Some(Block::Bullet(String::new()));
                    }
                    b"br" | b"hr" => buffer.push(' '),
                    b"img" => {
                        if let Ok(Some(alt)) = e.try_get_attribute("alt")
                            && let Ok(alt) = alt.decoded_and_normalized_value_with(
                                quick_xml::XmlVersion::Implicit1_0,
                                reader.decoder(),
                                1,
                                quick_xml::escape::resolve_html5_entity,
                            )
                        {
                            buffer.push(' ');
                            buffer.push_str(&alt);
                            buffer.push(' ');
                        }
                    }
                    n if PARAGRAPHS.contains(&n) || n == b"ul" || n == b"ol" || n == b"table" => {
                        flush(&mut current, &mut buffer, &mut blocks);
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                let name = name_of(e.name().as_ref());
                let name = name.as_slice();
                if matches!(name, [b'h', b'1'..=b'6'] | b"li" | b"ul" | b"ol" | b"table")
                    || PARAGRAPHS.contains(&name)
                {
                    flush(&mut current, &mut buffer, &mut blocks);
                }
            }
            Event::Text(t) => {
                if let Ok(t) = t.decode() {
                    buffer.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let Ok(t) = t.decode() {
                    buffer.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    buffer.push(c);
                } else if let Ok(name) = r.decode() {
                    match quick_xml::escape::resolve_html5_entity(&name) {
                        Some(text) => buffer.push_str(text),
                        None => {
                            buffer.push('&');
                            buffer.push_str(&name);
                            buffer.push(';');
                        }
                    }
                }
            }
            _ => {}
        }
    }
    flush(&mut current, &mut buffer, &mut blocks);
    // No-break spaces read as spaces.
    blocks
        .into_iter()
        .map(|b| {
            let text = b.text().replace('\u{a0}', " ");
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            b.with_text(text)
        })
        .filter(|b| !b.text().is_empty())
        .collect()
}

/// HTML without its `<script>` and `<style>` elements: their content is raw text (a `<` in a
/// script is not a tag), which an XML reader would misread.
fn without_raw_text(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(start) = ["<script", "<style"]
        .iter()
        .filter_map(|tag| lower[at..].find(tag).map(|i| (at + i, *tag)))
        .min()
    {
        let (start, tag) = start;
        out.push_str(&text[at..start]);
        let close = format!("</{}", &tag[1..]);
        at = match lower[start..].find(&close) {
            Some(i) => lower[start + i..]
                .find('>')
                .map_or(text.len(), |j| start + i + j + 1),
            None => text.len(),
        };
    }
    out.push_str(&text[at..]);
    // A `<` that starts no tag ("glucose < 4") is text, as a browser reads it.
    let mut escaped = String::with_capacity(out.len());
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<'
            && !chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || "/!?".contains(*n))
        {
            escaped.push_str("&lt;");
        } else {
            escaped.push(c);
        }
    }
    escaped
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
mod html_tests {
    use super::*;

    #[test]
    fn html_as_hospitals_write_it_reads_as_headings_paragraphs_and_bullets() {
        let page = r#"<!DOCTYPE html>
<html lang="en"><head><title>Ignored</title><style>p { color: red }</style>
<script>if (a < b && c) alert("x");</script></head>
<body>
<nav><a href="/">Home</a> &gt; Leaflets</nav>
<h1>Your new hip</h1>
<p>Keep your sugar above 4 (not < 4).
<p>Most people walk with a frame the day after&nbsp;surgery.
<p>Ask for <b>help</b> the first <em>three</em> times &amp; take your time.<br>
Pain is normal &ndash; tell your nurse.
<h2>Do</h2>
<ul><li>sit in a high chair
<li>use the raised toilet seat</li>
<li><img src="x.png" alt="Picture:"> keep your knees apart</ul>
<div>Caf&eacute; &#233; &#x41;</div>
</body></html>"#;
        assert_eq!(
            from_html(page),
            [
                Block::Heading("Your new hip".into()),
                Block::Paragraph("Keep your sugar above 4 (not < 4).".into()),
                Block::Paragraph("Most people walk with a frame the day after surgery.".into()),
                Block::Paragraph(
                    "Ask for help the first three times & take your time. Pain is normal – tell your nurse."
                        .into()
                ),
                Block::Heading("Do".into()),
                Block::Bullet("sit in a high chair".into()),
                Block::Bullet("use the raised toilet seat".into()),
                Block::Bullet("Picture: keep your knees apart".into()),
                Block::Paragraph("Café é A".into()),
            ]
        );
    }

    #[test]
    fn broken_html_keeps_what_was_read_and_never_panics() {
        assert_eq!(
            from_html("<h1>Title</h1><p>Fine so far</p><p>then <a href=\"x <b>garbage"),
            [
                Block::Heading("Title".into()),
                Block::Paragraph("Fine so far".into()),
                Block::Paragraph("then".into()),
            ]
        );
        assert!(from_html("").is_empty());
        assert!(from_html("<script>only").is_empty());
        assert_eq!(
            from_html("just text"),
            [Block::Paragraph("just text".into())]
        );
        // `</head>` left out, as HTML allows.
        assert_eq!(
            from_html("<html><head><title>T</title><body><p>Body text"),
            [Block::Paragraph("Body text".into())]
        );
    }
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
