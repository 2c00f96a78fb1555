//! CEA-708 (DTVCC) closed captions: digital TV's own caption services, carried beside the
//! CEA-608 pairs in the same `cc_data`, turned into the text on screen for the UI to draw large.
//!
//! Service 1 (the primary caption service) is decoded: DTVCC packets (`cc_type` 3 starts one, 2
//! continues it) are split into service blocks; service 1's commands build up to eight windows
//! (define, set current, clear, display, hide, toggle, delete, reset; pen location; text with
//! carriage return, backspace, form feed and horizontal carriage return; the G0, G1 and G2
//! character sets). The text of the visible windows, in priority order, is what the screen
//! shows. Window and pen styling (colours, fonts, justification, anchors) are dropped: the UI
//! has its own, larger and of higher contrast. Delay (DLY) is not honoured: text shows at once.
//! Damaged packets (wrong lengths, commands cut short) are skipped, never a panic.

const WINDOWS: usize = 8;
/// The largest window CEA-708 allows (rows x columns; columns up to 42 on 16:9 screens).
const MAX_ROWS: usize = 15;
const MAX_COLUMNS: usize = 42;

#[derive(Clone, Debug, Default)]
struct Window {
    visible: bool,
    priority: u8,
    rows: usize,
    columns: usize,
    text: Vec<Vec<char>>,
    row: usize,
    column: usize,
}

impl Window {
    fn clear(&mut self) {
        self.text = vec![Vec::new(); self.rows];
        self.row = 0;
        self.column = 0;
    }

    fn put(&mut self, c: char) {
        if self.column >= self.columns {
            // Past the right edge: on to the next row, as a caption that wraps.
            self.carriage_return();
        }
        let line = &mut self.text[self.row];
        if line.len() <= self.column {
            line.resize(self.column, ' ');
            line.push(c);
        } else {
            line[self.column] = c;
        }
        self.column += 1;
    }

    fn carriage_return(&mut self) {
        self.column = 0;
        if self.row + 1 < self.rows {
            self.row += 1;
        } else {
            // At the bottom: the window scrolls up a row.
            self.text.remove(0);
            self.text.push(Vec::new());
        }
    }

    fn backspace(&mut self) {
        if self.column > 0 {
            self.column -= 1;
            let line = &mut self.text[self.row];
            if self.column < line.len() {
                line[self.column] = ' ';
            }
        }
    }

    fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.text
            .iter()
            .map(|l| l.iter().collect::<String>().trim().to_owned())
            .filter(|l| !l.is_empty())
    }
}

/// A decoder of DTVCC service 1. Feed it `cc_data`; it says when the text on screen changes.
#[derive(Clone, Debug, Default)]
pub struct Cea708 {
    /// The DTVCC packet being gathered.
    packet: Vec<u8>,
    windows: [Option<Window>; WINDOWS],
    current: Option<usize>,
    shown: String,
    /// Service 1 has said something: the channel carries 708 captions.
    pub active: bool,
}

impl Cea708 {
    pub fn new() -> Cea708 {
        Cea708::default()
    }

    /// The text of the visible windows, highest priority (lowest number) first.
    pub fn text(&self) -> String {
        let mut visible: Vec<&Window> = self
            .windows
            .iter()
            .flatten()
            .filter(|w| w.visible)
            .collect();
        visible.sort_by_key(|w| w.priority);
        visible
            .iter()
            .flat_map(|w| w.lines())
            .collect::<Vec<String>>()
            .join("\n")
    }

    /// Takes `cc_data` triplets (`cc_valid`, `cc_type` 2 or 3 are DTVCC); returns the new text
    /// when what is on screen changed.
    pub fn push(&mut self, cc_data: &[u8]) -> Option<String> {
        for t in cc_data.chunks_exact(3) {
            if t[0] & 0x04 == 0 {
                continue;
            }
            match t[0] & 0x03 {
                3 => {
                    self.finish_packet();
                    self.packet.clear();
                    self.packet.extend_from_slice(&t[1..]);
                }
                2 if !self.packet.is_empty() => self.packet.extend_from_slice(&t[1..]),
                _ => {}
            }
            if let Some(&header) = self.packet.first() {
                let size = match header & 0x3f {
                    0 => 128,
                    n => usize::from(n) * 2,
                };
                if self.packet.len() >= size {
                    self.packet.truncate(size);
                    self.finish_packet();
                    self.packet.clear();
                }
            }
        }
        let text = self.text();
        if text != self.shown {
            self.shown = text.clone();
            return Some(text);
        }
        None
    }

    /// Reads the service blocks of the gathered packet.
    fn finish_packet(&mut self) {
        let packet = std::mem::take(&mut self.packet);
        let mut at = 1;
        while at < packet.len() {
            let header = packet[at];
            let mut service = header >> 5;
            let size = usize::from(header & 0x1f);
            at += 1;
            if service == 7 {
                let Some(ext) = packet.get(at) else { break };
                service = ext & 0x3f;
                at += 1;
            }
            if size == 0 {
                break;
            }
            let Some(block) = packet.get(at..at + size) else {
                break;
            };
            if service == 1 {
                self.service_block(block);
            }
            at += size;
        }
        self.packet = packet;
    }

    fn window(&mut self) -> Option<&mut Window> {
        self.current.and_then(|i| self.windows[i].as_mut())
    }

    fn each(&mut self, bitmap: u8, f: impl Fn(&mut Window)) {
        for (i, w) in self.windows.iter_mut().enumerate() {
            if bitmap & (1 << i) != 0
                && let Some(w) = w
            {
                f(w);
            }
        }
    }

    fn service_block(&mut self, block: &[u8]) {
        self.active = true;
        let mut i = 0;
        while i < block.len() {
            let code = block[i];
            let rest = &block[i + 1..];
            let param = |n: usize| rest.get(..n);
            let used = match code {
                0x00..=0x0f => {
                    match code {
                        0x08 => {
                            if let Some(w) = self.window() {
                                w.backspace();
                            }
                        }
                        0x0c => {
                            if let Some(w) = self.window() {
                                w.clear();
                            }
                        }
                        0x0d => {
                            if let Some(w) = self.window() {
                                w.carriage_return();
                            }
                        }
                        0x0e => {
                            if let Some(w) = self.window() {
                                let row = w.row;
                                w.text[row].clear();
                                w.column = 0;
                            }
                        }
                        _ => {}
                    }
                    1
                }
                0x10 => {
                    let Some(&next) = rest.first() else { break };
                    match next {
                        0x00..=0x07 => 2,
                        0x08..=0x0f => 3,
                        0x10..=0x17 => 4,
                        0x18..=0x1f => 5,
                        0x20..=0x7f => {
                            if let Some(c) = g2(next)
                                && let Some(w) = self.window()
                            {
                                w.put(c);
                            }
                            2
                        }
                        0x80..=0x87 => 6,
                        0x88..=0x8f => 7,
                        // Variable-length C3 codes: nothing after them in this block is trusted.
                        0x90..=0x9f => break,
                        0xa0..=0xff => {
                            // G3: only the [CC] icon is defined.
                            if next == 0xa0
                                && let Some(w) = self.window()
                            {
                                w.put('㏄');
                            }
                            2
                        }
                    }
                }
                0x11..=0x17 => 2,
                0x18..=0x1f => 3,
                0x20..=0x7f => {
                    let c = if code == 0x7f {
                        '♪'
                    } else {
                        char::from(code)
                    };
                    if let Some(w) = self.window() {
                        w.put(c);
                    }
                    1
                }
                0x80..=0x87 => {
                    let n = usize::from(code - 0x80);
                    if self.windows[n].is_some() {
                        self.current = Some(n);
                    }
                    1
                }
                0x88..=0x8c => {
                    let Some(&[bitmap]) = param(1) else { break };
                    match code {
                        0x88 => self.each(bitmap, Window::clear),
                        0x89 => self.each(bitmap, |w| w.visible = true),
                        0x8a => self.each(bitmap, |w| w.visible = false),
                        0x8b => self.each(bitmap, |w| w.visible = !w.visible),
                        _ => {
                            for n in 0..WINDOWS {
                                if bitmap & (1 << n) != 0 {
                                    self.windows[n] = None;
                                    if self.current == Some(n) {
                                        self.current = None;
                                    }
                                }
                            }
                        }
                    }
                    2
                }
                0x8d => 2,
                0x8e => 1,
                0x8f => {
                    self.windows = Default::default();
                    self.current = None;
                    1
                }
                0x90 => 3,
                0x91 => 4,
                0x92 => {
                    let Some(&[row, column]) = param(2) else {
                        break;
                    };
                    if let Some(w) = self.window() {
                        w.row = usize::from(row & 0x0f).min(w.rows - 1);
                        w.column = usize::from(column & 0x3f).min(w.columns);
                    }
                    3
                }
                0x93..=0x96 => 1,
                0x97 => 5,
                0x98..=0x9f => {
                    let Some(p) = param(6) else { break };
                    self.define(usize::from(code - 0x98), p);
                    7
                }
                0xa0..=0xff => {
                    // G1: Latin-1.
                    if let Some(w) = self.window() {
                        w.put(char::from(code));
                    }
                    1
                }
            };
            i += used;
        }
    }

    /// DefineWindow: made if new (empty), its size and visibility set if not; it becomes current.
    fn define(&mut self, n: usize, p: &[u8]) {
        let visible = p[0] & 0x20 != 0;
        let priority = p[0] & 0x07;
        let rows = (usize::from(p[3] & 0x0f) + 1).min(MAX_ROWS);
        let columns = (usize::from(p[4] & 0x3f) + 1).min(MAX_COLUMNS);
        let w = self.windows[n].get_or_insert_with(|| Window {
            rows,
            columns,
            ..Window::default()
        });
        w.visible = visible;
        w.priority = priority;
        if w.text.len() != rows || w.columns != columns {
            w.rows = rows;
            w.columns = columns;
            w.text.resize(rows, Vec::new());
            for line in &mut w.text {
                line.truncate(columns);
            }
            w.row = w.row.min(rows - 1);
            w.column = w.column.min(columns);
        }
        self.current = Some(n);
    }
}

/// The G2 set: the few characters it defines that have a meaning on screen.
fn g2(b: u8) -> Option<char> {
    Some(match b {
        0x20 | 0x21 => ' ',
        0x25 => '…',
        0x2a => 'Š',
        0x2c => 'Œ',
        0x30 => '█',
        0x31 => '‘',
        0x32 => '’',
        0x33 => '“',
        0x34 => '”',
        0x35 => '•',
        0x39 => '™',
        0x3a => 'š',
        0x3c => 'œ',
        0x3d => '℠',
        0x3f => 'Ÿ',
        0x76 => '⅛',
        0x77 => '⅜',
        0x78 => '⅝',
        0x79 => '⅞',
        0x7a => '│',
        0x7b => '┐',
        0x7c => '└',
        0x7d => '─',
        0x7e => '┘',
        0x7f => '┌',
        _ => return None,
    })
}

/// Builds the `cc_data` of DTVCC packets carrying `service_data` for service 1, as a caption
/// encoder sends them: a packet at most 128 bytes, service blocks at most 31, cut into
/// `cc_type` 3 (start) and 2 (more) triplets. For tests and benchmarks here and in tests/.
pub fn encode_service1(service_data: &[u8], sequence: &mut u8) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in service_data.chunks(31 * 4) {
        let mut packet = vec![0u8];
        for block in chunk.chunks(31) {
            packet.push((1 << 5) | block.len() as u8);
            packet.extend_from_slice(block);
        }
        if packet.len() % 2 == 1 {
            // A null block header pads the packet to whole pairs.
            packet.push(0);
        }
        packet[0] = ((*sequence & 3) << 6) | ((packet.len() / 2) as u8 & 0x3f);
        *sequence = sequence.wrapping_add(1);
        for (k, pair) in packet.chunks(2).enumerate() {
            out.extend_from_slice(&[if k == 0 { 0xff } else { 0xfe }, pair[0], pair[1]]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DefineWindow 0: visible, priority 0, `rows` x `columns`.
    fn define(rows: u8, columns: u8) -> Vec<u8> {
        vec![0x98, 0x20, 0x00, 0x00, rows - 1, columns - 1, 0x00]
    }

    fn run(d: &mut Cea708, data: &[u8]) -> Option<String> {
        let mut seq = 0;
        d.push(&encode_service1(data, &mut seq))
    }

    #[test]
    fn a_window_is_defined_filled_and_shown() {
        let mut d = Cea708::new();
        let mut data = define(2, 32);
        data.extend_from_slice(b"Hello from");
        data.push(0x0d);
        data.extend_from_slice(b"the ward \x7f");
        assert_eq!(
            run(&mut d, &data).as_deref(),
            Some("Hello from\nthe ward ♪")
        );
        assert!(d.active);
        // Nothing new: no change reported.
        assert_eq!(run(&mut d, &[]), None);
        // Hidden, then shown again, then cleared.
        assert_eq!(run(&mut d, &[0x8a, 0x01]).as_deref(), Some(""));
        assert_eq!(
            run(&mut d, &[0x89, 0x01]).as_deref(),
            Some("Hello from\nthe ward ♪")
        );
        assert_eq!(run(&mut d, &[0x88, 0x01]).as_deref(), Some(""));
    }

    #[test]
    fn rows_scroll_wrap_and_edit() {
        let mut d = Cea708::new();
        let mut data = define(2, 10);
        data.extend_from_slice(b"one\rtwo\rthree");
        assert_eq!(run(&mut d, &data).as_deref(), Some("two\nthree"));
        // Backspace, horizontal carriage return, form feed.
        assert_eq!(run(&mut d, b"\x08\x08X").as_deref(), Some("two\nthrX"));
        assert_eq!(run(&mut d, b"\x0eend").as_deref(), Some("two\nend"));
        assert_eq!(run(&mut d, b"\x0cfresh").as_deref(), Some("fresh"));
        // Longer than the window is wide: it wraps.
        assert_eq!(
            run(&mut d, b"\x0cabcdefghijklm").as_deref(),
            Some("abcdefghij\nklm")
        );
        // Pen location: row 0, column 4.
        assert_eq!(
            run(&mut d, b"\x92\x00\x04Z").as_deref(),
            Some("abcdZfghij\nklm")
        );
    }

    #[test]
    fn latin1_g2_and_windows_in_priority_order() {
        let mut d = Cea708::new();
        // Window 1 (priority 5) and window 0 (priority 1).
        let mut data = vec![0x99, 0x25, 0, 0, 0, 31, 0];
        data.extend_from_slice(b"later");
        data.extend_from_slice(&[0x98, 0x21, 0, 0, 0, 31, 0]);
        data.extend_from_slice(&[b'C', b'a', b'f', 0xe9, b' ', 0x10, 0x39]);
        assert_eq!(run(&mut d, &data).as_deref(), Some("Café ™\nlater"));
        // Delete window 0; writing goes nowhere until a window is current.
        assert_eq!(run(&mut d, &[0x8c, 0x01, b'x']).as_deref(), Some("later"));
        // Reset.
        assert_eq!(run(&mut d, &[0x8f]).as_deref(), Some(""));
    }

    #[test]
    fn other_services_608_pairs_and_damage_are_ignored() {
        let mut d = Cea708::new();
        // Service 2's block.
        // A packet of three pairs holding one block of service 2.
        let data = [0x03, (2 << 5) | 3, b'a', b'b', b'c', 0];
        let cc: Vec<u8> = data
            .chunks(2)
            .enumerate()
            .flat_map(|(k, p)| [if k == 0 { 0xff } else { 0xfe }, p[0], p[1]])
            .collect();
        assert_eq!(d.push(&cc), None);
        assert!(!d.active);
        // 608 pairs (cc_type 0/1) and invalid triplets.
        assert_eq!(
            d.push(&[0xfc, 0x94, 0x20, 0xfd, 0x80, 0x80, 0xfa, 0, 0]),
            None
        );
        // Commands cut short, a packet that claims more than it has, garbage.
        for junk in [
            vec![0x98, 0x20],
            vec![0x92],
            vec![0x10],
            vec![0x10, 0x90, 1, 2, 3],
        ] {
            let mut s = 0;
            let _ = d.push(&encode_service1(&junk, &mut s));
        }
        let _ = d.push(&[0xff, 0x3f, 0x3f, 0xfe, 0xff, 0xff]);
        let mut state = 7u32;
        let noise: Vec<u8> = (0..3000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let _ = d.push(&noise);
    }

    /// Cross-checks against an implementation that is not ours: `cea708-types`, the CTA-708-E
    /// packet and code layer of the GStreamer project's Rust plugins (their `tttocea708` and
    /// `cea708mux` write broadcast 708 with it).
    mod independent {
        use super::super::*;
        use cea708_types::tables::{Anchor, Code, DefineWindowArgs, WindowBits};
        use cea708_types::{CCDataParser, CCDataWriter, DTVCCPacket, Framerate};

        fn window(visible: bool, rows: u8, columns: u8) -> Code {
            Code::DefineWindow(DefineWindowArgs::new(
                0,
                0,
                Anchor::BottomMiddle,
                false,
                70,
                105,
                rows - 1,
                columns - 1,
                true,
                true,
                visible,
                1,
                1,
            ))
        }

        fn text(s: &str) -> Vec<Code> {
            s.chars()
                .map(|c| match c {
                    '\n' => Code::CR,
                    c => Code::from_char(c).expect("a 708 character"),
                })
                .collect()
        }

        /// Service 1 as a broadcast encoder sends it: each step's codes in DTVCC packets,
        /// written into `cc_data` frame by frame at `fps` (with the 608 padding `cc_data`
        /// always carries) until sent, each frame's triplets fed to our decoder. The texts it
        /// reported.
        fn through_their_writer(steps: Vec<Vec<Code>>, fps: (u32, u32)) -> Vec<String> {
            let mut writer = CCDataWriter::default();
            writer.set_output_cea608_padding(true);
            let mut ours = Cea708::new();
            let mut seen = Vec::new();
            let mut sequence = 0;
            for codes in steps {
                let mut packet = DTVCCPacket::new(sequence);
                for code in codes {
                    if packet.push_code(1, code.clone()).is_err() {
                        sequence = (sequence + 1) % 4;
                        writer.push_packet(std::mem::replace(
                            &mut packet,
                            DTVCCPacket::new(sequence),
                        ));
                        packet.push_code(1, code).unwrap();
                    }
                }
                sequence = (sequence + 1) % 4;
                writer.push_packet(packet);
                // Half a second of frames: more than any step here needs.
                for _ in 0..fps.0 / fps.1 / 2 {
                    let mut cc_data = Vec::new();
                    writer
                        .write(Framerate::new(fps.0, fps.1), &mut cc_data)
                        .unwrap();
                    // cc_data(): two header bytes, then the triplets a caption meta carries.
                    if let Some(text) = ours.push(&cc_data[2..]) {
                        seen.push(text);
                    }
                }
            }
            seen
        }

        #[test]
        fn pop_on_captions_from_their_writer_read_the_same() {
            for fps in [(25, 1), (30000, 1001), (50, 1)] {
                let mut build = vec![window(false, 2, 32), Code::ClearWindows(WindowBits::ZERO)];
                build.extend(text("Take one tablet\nwith water, please"));
                let seen = through_their_writer(
                    vec![
                        build,
                        vec![Code::DisplayWindows(WindowBits::ZERO)],
                        vec![Code::ToggleWindows(WindowBits::ZERO)],
                        vec![Code::ToggleWindows(WindowBits::ZERO)],
                        vec![Code::DeleteWindows(WindowBits::ZERO)],
                    ],
                    fps,
                );
                let said = "Take one tablet\nwith water, please";
                assert_eq!(seen, [said, "", said, ""], "at {fps:?}");
            }
        }

        #[test]
        fn roll_up_captions_from_their_writer_scroll() {
            let mut first = vec![window(true, 2, 32)];
            first.extend(text("one\ntwo"));
            let seen = through_their_writer(vec![first, text("\nthree")], (25, 1));
            assert_eq!(seen, ["one\ntwo", "two\nthree"]);
        }

        /// Our test encoder (what the stream tests send) read by their parser: the same codes.
        #[test]
        fn our_test_packets_parse_as_the_codes_meant() {
            let mut data = vec![0x98, 0x20, 0x00, 0x00, 0x01, 0x1f, 0x00, 0x88, 0x01];
            data.extend_from_slice(b"Hi\x0dthere");
            data.extend_from_slice(&[0x89, 0x01]);
            let mut sequence = 0;
            let triplets = encode_service1(&data, &mut sequence);
            let mut cc_data = vec![0x40 | (triplets.len() / 3) as u8, 0xff];
            cc_data.extend_from_slice(&triplets);
            let mut parser = CCDataParser::new();
            parser.push(&cc_data).unwrap();
            let packet = parser.pop_packet().expect("a DTVCC packet");
            let services = packet.services();
            assert_eq!(services.len(), 1);
            assert_eq!(services[0].number(), 1);
            let mut defined = DefineWindowArgs::new(
                0,
                0,
                Anchor::TopLeft,
                false,
                0,
                0,
                1,
                31,
                false,
                false,
                true,
                0,
                0,
            );
            defined.window_id = 0;
            let mut expected = vec![
                Code::DefineWindow(defined),
                Code::ClearWindows(WindowBits::ZERO),
            ];
            expected.extend(text("Hi\nthere"));
            expected.push(Code::DisplayWindows(WindowBits::ZERO));
            assert_eq!(services[0].codes(), &expected[..]);
        }
    }
}
