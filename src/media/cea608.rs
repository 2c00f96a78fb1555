//! CEA-608 closed captions (line 21, carried in CEA-708 `cc_data` inside the video stream, as
//! broadcast and IPTV channels send them) turned into the text on screen, so the UI can draw it
//! large and high-contrast instead of the broadcaster's small block letters.
//!
//! Channel CC1 (field 1, data channel 1) is decoded: pop-on captions (built off screen, shown on
//! End Of Caption), roll-up (two to four rows that scroll) and paint-on, with the basic,
//! special and extended character sets. Styling (colours, italics, underline) is dropped: the
//! UI has its own. Text mode and CC2-CC4 are not decoded. CEA-708 DTVCC service 1, which most
//! channels carry beside this, is decoded in [`super::cea708`] and preferred when present.

/// Rows and columns of the caption grid.
const ROWS: usize = 15;
const COLUMNS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    PopOn,
    RollUp(usize),
    PaintOn,
}

/// A CC1 decoder. Feed it byte pairs; it says when the text on screen changes.
#[derive(Clone, Debug)]
pub struct Cea608 {
    mode: Mode,
    displayed: Vec<Vec<char>>,
    hidden: Vec<Vec<char>>,
    row: usize,
    column: usize,
    /// The last control code, to drop its redundant repeat.
    last_control: Option<(u8, u8)>,
    /// Data of another channel (CC2) is being sent: ignore until CC1 speaks again.
    other_channel: bool,
}

impl Default for Cea608 {
    fn default() -> Self {
        Cea608 {
            mode: Mode::PopOn,
            displayed: vec![Vec::new(); ROWS],
            hidden: vec![Vec::new(); ROWS],
            row: ROWS - 1,
            column: 0,
            last_control: None,
            other_channel: false,
        }
    }
}

/// The basic character set: ASCII with a few letters in place of symbols.
fn basic(b: u8) -> Option<char> {
    Some(match b {
        0x2a => 'á',
        0x5c => 'é',
        0x5e => 'í',
        0x5f => 'ó',
        0x60 => 'ú',
        0x7b => 'ç',
        0x7c => '÷',
        0x7d => 'Ñ',
        0x7e => 'ñ',
        0x7f => '█',
        0x20..=0x7f => b as char,
        _ => return None,
    })
}

/// Special characters (0x11 0x30-0x3f).
fn special(b: u8) -> char {
    const TABLE: [char; 16] = [
        '®', '°', '½', '¿', '™', '¢', '£', '♪', 'à', ' ', 'è', 'â', 'ê', 'î', 'ô', 'û',
    ];
    TABLE[(b & 0x0f) as usize]
}

/// Extended characters (0x12/0x13 0x20-0x3f): each replaces the character before it.
fn extended(b1: u8, b2: u8) -> char {
    const SPANISH_FRENCH: [char; 32] = [
        'Á', 'É', 'Ó', 'Ú', 'Ü', 'ü', '‘', '¡', '*', '\'', '—', '©', '℠', '•', '“', '”', 'À', 'Â',
        'Ç', 'È', 'Ê', 'Ë', 'ë', 'Î', 'Ï', 'ï', 'Ô', 'Ù', 'ù', 'Û', '«', '»',
    ];
    const PORTUGUESE_GERMAN: [char; 32] = [
        'Ã', 'ã', 'Í', 'Ì', 'ì', 'Ò', 'ò', 'Õ', 'õ', '{', '}', '\\', '^', '_', '|', '~', 'Ä', 'ä',
        'Ö', 'ö', 'ß', '¥', '¤', '│', 'Å', 'å', 'Ø', 'ø', '┌', '┐', '└', '┘',
    ];
    let i = ((b2 - 0x20) & 0x1f) as usize;
    if b1 == 0x12 {
        SPANISH_FRENCH[i]
    } else {
        PORTUGUESE_GERMAN[i]
    }
}

/// The row a preamble address code places the cursor on (0-based).
fn pac_row(b1: u8, b2: u8) -> usize {
    // Rows by the first byte, the second's 0x20 bit choosing the second of each pair.
    const ROW_OF: [usize; 8] = [10, 0, 2, 11, 13, 4, 6, 8];
    let base = ROW_OF[(b1 & 0x07) as usize];
    if b1 & 0x07 == 0 {
        10
    } else {
        base + usize::from(b2 & 0x20 != 0)
    }
}

impl Cea608 {
    pub fn new() -> Cea608 {
        Cea608::default()
    }

    /// The text on screen: its rows top to bottom, each trimmed, blank rows left out.
    pub fn text(&self) -> String {
        self.displayed
            .iter()
            .map(|r| r.iter().collect::<String>().trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// One byte pair of field 1 (parity bits included). Returns the text on screen when it
    /// changed.
    pub fn push(&mut self, b1: u8, b2: u8) -> Option<String> {
        let before = self.text();
        let (b1, b2) = (b1 & 0x7f, b2 & 0x7f);
        if b1 == 0 && b2 == 0 {
            return None;
        }
        if (0x10..=0x1f).contains(&b1) {
            // A repeated control code is the redundant copy of the one just acted on.
            if self.last_control == Some((b1, b2)) {
                self.last_control = None;
                return None;
            }
            self.last_control = Some((b1, b2));
            // Data channel 2 uses 0x18-0x1f.
            self.other_channel = b1 >= 0x18;
            if self.other_channel {
                return None;
            }
            self.control(b1, b2);
        } else {
            self.last_control = None;
            if self.other_channel {
                return None;
            }
            for b in [b1, b2] {
                if let Some(c) = basic(b) {
                    self.put(c);
                }
            }
        }
        let after = self.text();
        (after != before).then_some(after)
    }

    fn memory(&mut self) -> &mut Vec<Vec<char>> {
        match self.mode {
            Mode::PopOn => &mut self.hidden,
            _ => &mut self.displayed,
        }
    }

    fn put(&mut self, c: char) {
        let (row, column) = (self.row, self.column);
        let line = &mut self.memory()[row];
        if line.len() < column {
            line.resize(column, ' ');
        }
        if column < line.len() {
            line[column] = c;
        } else if column < COLUMNS {
            line.push(c);
        }
        self.column = (column + 1).min(COLUMNS - 1);
    }

    fn control(&mut self, b1: u8, b2: u8) {
        match (b1, b2) {
            // Miscellaneous control codes.
            (0x14 | 0x15, 0x20) => self.mode = Mode::PopOn,
            // Backspace.
            (0x14 | 0x15, 0x21) if self.column > 0 => {
                self.column -= 1;
                let (row, column) = (self.row, self.column);
                self.memory()[row].truncate(column);
            }
            (0x14 | 0x15, 0x24) => {
                let (row, column) = (self.row, self.column);
                self.memory()[row].truncate(column);
            }
            (0x14 | 0x15, 0x25..=0x27) => {
                let rows = usize::from(b2 - 0x23);
                if !matches!(self.mode, Mode::RollUp(_)) {
                    self.displayed = vec![Vec::new(); ROWS];
                    self.row = ROWS - 1;
                }
                self.mode = Mode::RollUp(rows);
                self.column = 0;
            }
            (0x14 | 0x15, 0x29) => self.mode = Mode::PaintOn,
            (0x14 | 0x15, 0x2c) => self.displayed = vec![Vec::new(); ROWS],
            (0x14 | 0x15, 0x2d) => {
                // Carriage return: in roll-up the rows move up and the base row empties.
                if let Mode::RollUp(rows) = self.mode {
                    let base = self.row;
                    let top = (base + 1).saturating_sub(rows);
                    for r in 0..ROWS {
                        if r < top || r > base {
                            self.displayed[r].clear();
                        }
                    }
                    for r in top..base {
                        self.displayed[r] = std::mem::take(&mut self.displayed[r + 1]);
                    }
                    self.displayed[base].clear();
                } else if self.row + 1 < ROWS {
                    self.row += 1;
                }
                self.column = 0;
            }
            (0x14 | 0x15, 0x2e) => self.hidden = vec![Vec::new(); ROWS],
            (0x14 | 0x15, 0x2f) => {
                // End of caption: what was built off screen goes on.
                std::mem::swap(&mut self.displayed, &mut self.hidden);
                self.mode = Mode::PopOn;
            }
            // Tab offsets.
            (0x17, 0x21..=0x23) => {
                self.column = (self.column + usize::from(b2 - 0x20)).min(COLUMNS - 1)
            }
            // Special characters; mid-row style codes are a space.
            (0x11, 0x30..=0x3f) => self.put(special(b2)),
            (0x11, 0x20..=0x2f) => self.put(' '),
            (0x12 | 0x13, 0x20..=0x3f) => {
                if self.column > 0 {
                    self.column -= 1;
                }
                self.put(extended(b1, b2));
            }
            // Preamble address codes: a row (and an indent).
            (0x10..=0x17, 0x40..=0x7f) => {
                let row = pac_row(b1, b2);
                if let Mode::RollUp(_) = self.mode {
                    // Roll-up keeps its rows at the base row the code names.
                    if row != self.row {
                        let text = std::mem::take(&mut self.displayed[self.row]);
                        self.displayed[row] = text;
                    }
                }
                self.row = row;
                self.column = if b2 & 0x10 != 0 {
                    usize::from((b2 & 0x0e) >> 1) * 4
                } else {
                    0
                };
            }
            _ => {}
        }
    }
}

/// Byte pairs of field 1 (CC1/CC2) in CEA-708 `cc_data` triplets: `cc_valid` set, `cc_type` 0.
pub fn field1_pairs(cc_data: &[u8]) -> impl Iterator<Item = (u8, u8)> + '_ {
    cc_data
        .chunks_exact(3)
        .filter(|t| t[0] & 0x04 != 0 && t[0] & 0x03 == 0)
        .map(|t| (t[1], t[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Odd parity, as line 21 sends it.
    fn p(b: u8) -> u8 {
        if b.count_ones().is_multiple_of(2) {
            b | 0x80
        } else {
            b
        }
    }

    fn feed(d: &mut Cea608, pairs: &[(u8, u8)]) -> Vec<String> {
        pairs
            .iter()
            .filter_map(|(a, b)| d.push(p(*a), p(*b)))
            .collect()
    }

    fn chars(text: &str) -> Vec<(u8, u8)> {
        let b = text.as_bytes();
        b.chunks(2)
            .map(|c| (c[0], c.get(1).copied().unwrap_or(0)))
            .collect()
    }

    #[test]
    fn pop_on_captions_appear_whole_at_end_of_caption() {
        let mut d = Cea608::new();
        let mut pairs = vec![(0x14, 0x20), (0x14, 0x20), (0x14, 0x2e), (0x14, 0x2e)];
        pairs.push((0x14, 0x70)); // row 15
        pairs.extend(chars("HELLO THERE"));
        let shown = feed(&mut d, &pairs);
        assert!(shown.is_empty(), "nothing shows before End Of Caption");
        let shown = feed(&mut d, &[(0x14, 0x2f), (0x14, 0x2f)]);
        assert_eq!(shown, ["HELLO THERE"]);
        let shown = feed(&mut d, &[(0x14, 0x2c), (0x14, 0x2c)]);
        assert_eq!(shown, [""], "Erase Displayed Memory clears the screen");
    }

    #[test]
    fn roll_up_scrolls_lines() {
        let mut d = Cea608::new();
        feed(&mut d, &[(0x14, 0x25), (0x14, 0x25)]);
        feed(&mut d, &chars("ONE"));
        feed(&mut d, &[(0x14, 0x2d), (0x14, 0x2d)]);
        feed(&mut d, &chars("TWO"));
        assert_eq!(d.text(), "ONE\nTWO");
        feed(&mut d, &[(0x14, 0x2d), (0x14, 0x2d)]);
        feed(&mut d, &chars("THREE"));
        assert_eq!(d.text(), "TWO\nTHREE", "two rows roll up");
    }

    #[test]
    fn special_extended_and_backspace() {
        let mut d = Cea608::new();
        feed(&mut d, &[(0x14, 0x29), (0x14, 0x29)]);
        feed(&mut d, &chars("caf"));
        feed(&mut d, &[(0x20, 0x00)]); // 'e' sent as space, then corrected:
        feed(&mut d, &[(0x12, 0x21), (0x12, 0x21)]); // É replaces it
        feed(&mut d, &[(0x11, 0x37), (0x11, 0x37)]); // ♪
        assert_eq!(d.text(), "cafÉ♪");
        feed(&mut d, &[(0x14, 0x21), (0x14, 0x21)]);
        assert_eq!(d.text(), "cafÉ");
        feed(&mut d, &chars("\x5c"));
        assert_eq!(d.text(), "cafÉé", "0x5c is é, not a backslash");
    }

    #[test]
    fn the_second_channel_and_garbage_do_not_show() {
        let mut d = Cea608::new();
        feed(&mut d, &[(0x1c, 0x29), (0x1c, 0x29)]); // CC2 paint-on
        feed(&mut d, &chars("NOT MINE"));
        assert_eq!(d.text(), "");
        for b1 in 0..=255u8 {
            for b2 in (0..=255u8).step_by(7) {
                d.push(b1, b2);
            }
        }
        assert!(d.text().lines().all(|l| l.chars().count() <= COLUMNS));
    }

    #[test]
    fn cc_data_triplets_give_field_one_pairs() {
        let data = [
            0xfc, 0x94, 0x20, 0xfd, 0x80, 0x80, 0xf8, 0x41, 0x42, 0xfc, 0xc8, 0xc5,
        ];
        let pairs: Vec<_> = field1_pairs(&data).collect();
        assert_eq!(pairs, [(0x94, 0x20), (0xc8, 0xc5)]);
    }
}
