//! Badge reads. RFID/NFC readers pretend to be keyboards: they type the badge number far faster
//! than a person can and press Enter. A badge number must never reach the UI as keystrokes (it
//! would type a clinician's credential into whatever has the focus) and must never be logged.
//!
//! From a keyboard-class device, characters are held back while they arrive in a burst (each
//! within `max_gap` of the last); a burst of at least `min_len` characters ended by Enter is a
//! badge. A person typing breaks the burst, and the held keys then go on as ordinary key presses.
//! From a badge-reader-class device everything is badge data and nothing goes on.

use std::fmt;
use std::time::Duration;

/// A badge number. Its `Debug` shows only the length, so it cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct BadgeId(String);

impl BadgeId {
    /// A badge number read some other way (`bedside snapshot --badge`).
    pub fn new(number: impl Into<String>) -> BadgeId {
        BadgeId(number.into())
    }

    /// The number itself, for the session layer to check; never for logs or the screen.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BadgeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BadgeId(<{} characters>)", self.0.chars().count())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BadgeConfig {
    /// The longest pause between two characters of one badge read. Readers type every 5-20 ms;
    /// people, even fast typists, take 60 ms or more between keys.
    pub max_gap: Duration,
    pub min_len: usize,
    pub max_len: usize,
    /// A dedicated reader's half-read badge is dropped after this long without a character.
    pub reader_timeout: Duration,
}

impl Default for BadgeConfig {
    fn default() -> Self {
        BadgeConfig {
            max_gap: Duration::from_millis(35),
            min_len: 4,
            max_len: 64,
            reader_timeout: Duration::from_millis(500),
        }
    }
}

/// What comes out of the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filtered {
    /// A key event that goes on to the keymap, as it came (value 1 press, 0 release).
    Key {
        code: u16,
        value: i32,
    },
    Badge(BadgeId),
}

const KEY_ENTER: u16 = 28;
const KEY_KPENTER: u16 = 96;
const KEY_LEFTSHIFT: u16 = 42;
const KEY_RIGHTSHIFT: u16 = 54;

/// The character a key types on a badge, if it is a digit or a letter (US layout, as readers
/// emulate).
fn badge_char(code: u16) -> Option<char> {
    const ROWS: [(u16, &str); 4] = [
        (2, "1234567890"),
        (16, "QWERTYUIOP"),
        (30, "ASDFGHJKL"),
        (44, "ZXCVBNM"),
    ];
    ROWS.iter().find_map(|(start, chars)| {
        let i = code.checked_sub(*start)? as usize;
        chars.chars().nth(i)
    })
}

fn is_shift(code: u16) -> bool {
    code == KEY_LEFTSHIFT || code == KEY_RIGHTSHIFT
}

fn is_enter(code: u16) -> bool {
    code == KEY_ENTER || code == KEY_KPENTER
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A keyboard: bursts are badges, the rest is typing.
    Burst,
    /// A badge reader: everything is badge data.
    Reader,
}

#[derive(Clone, Debug)]
pub struct BadgeFilter {
    config: BadgeConfig,
    mode: Mode,
    /// Codes of the held-back key presses, in order.
    held: Vec<u16>,
    chars: String,
    last_at: Duration,
    /// Releases of keys that were consumed, not to be passed on.
    swallow: Vec<u16>,
}

impl BadgeFilter {
    /// For a keyboard-class device.
    pub fn keyboard(config: BadgeConfig) -> Self {
        Self::new(config, Mode::Burst)
    }

    /// For a badge-reader-class device.
    pub fn reader(config: BadgeConfig) -> Self {
        Self::new(config, Mode::Reader)
    }

    fn new(config: BadgeConfig, mode: Mode) -> Self {
        BadgeFilter {
            config,
            mode,
            held: Vec::new(),
            chars: String::new(),
            last_at: Duration::ZERO,
            swallow: Vec::new(),
        }
    }

    /// When held-back keys must be let go (or a half read dropped) if nothing else comes.
    pub fn next_deadline(&self) -> Option<Duration> {
        if self.chars.is_empty() {
            return None;
        }
        Some(
            self.last_at
                + match self.mode {
                    Mode::Burst => self.config.max_gap,
                    Mode::Reader => self.config.reader_timeout,
                },
        )
    }

    /// Lets go of what waited too long. A burst needs every gap shorter than `max_gap`: at the
    /// deadline itself it is over, so a caller woken exactly then always makes progress.
    pub fn due(&mut self, now: Duration, out: &mut Vec<Filtered>) {
        if self.next_deadline().is_some_and(|d| d <= now) {
            self.give_up(out);
        }
    }

    /// Forgets everything (the device vanished or the kernel dropped events).
    pub fn reset(&mut self) {
        self.held.clear();
        self.chars.clear();
        self.swallow.clear();
    }

    fn give_up(&mut self, out: &mut Vec<Filtered>) {
        if self.mode == Mode::Burst {
            // Typed by a person after all: the keys go on, each pressed and released.
            for code in self.held.drain(..) {
                out.push(Filtered::Key { code, value: 1 });
                out.push(Filtered::Key { code, value: 0 });
            }
        } else if !self.chars.is_empty() {
            tracing::warn!("incomplete badge read dropped");
        }
        self.held.clear();
        self.chars.clear();
    }

    /// One key event (value 1 press, 0 release; callers drop the kernel's value-2 repeats).
    pub fn feed(&mut self, code: u16, value: i32, at: Duration, out: &mut Vec<Filtered>) {
        self.due(at, out);
        if value == 0 {
            if let Some(i) = self.swallow.iter().position(|c| *c == code) {
                self.swallow.swap_remove(i);
            } else if self.mode == Mode::Burst && !self.held.contains(&code) {
                out.push(Filtered::Key { code, value });
            }
            return;
        }
        if is_shift(code) && (self.mode == Mode::Reader || !self.chars.is_empty()) {
            // Upper-case letters in a badge: shift belongs to the read.
            self.swallow.push(code);
            return;
        }
        if let Some(c) = badge_char(code)
            && self.chars.len() < self.config.max_len
        {
            self.chars.push(c);
            self.held.push(code);
            self.swallow.push(code);
            self.last_at = at;
            return;
        }
        if is_enter(code)
            && (self.chars.len() >= self.config.min_len
                || (self.mode == Mode::Reader && !self.chars.is_empty()))
        {
            out.push(Filtered::Badge(BadgeId(std::mem::take(&mut self.chars))));
            self.held.clear();
            self.swallow.push(code);
            return;
        }
        match self.mode {
            // Anything else ends a burst: the held keys go on first, then this one. Releases
            // still to come for held keys stay swallowed (the flush released them already).
            Mode::Burst => {
                self.give_up(out);
                out.push(Filtered::Key { code, value });
            }
            // A reader's separators (Tab, say) are part of its read.
            Mode::Reader => self.swallow.push(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Codes for a string typed on a US keyboard ('\n' is Enter).
    fn codes(text: &str) -> Vec<u16> {
        text.chars()
            .map(|c| {
                if c == '\n' {
                    return KEY_ENTER;
                }
                (0..128u16)
                    .find(|code| badge_char(*code) == Some(c.to_ascii_uppercase()))
                    .unwrap()
            })
            .collect()
    }

    /// Types `text` with `gap_ms` between keys (each key held 4 ms), then waits a second.
    fn typed(filter: &mut BadgeFilter, text: &str, gap_ms: u64) -> Vec<Filtered> {
        let mut out = Vec::new();
        let mut t = 1000;
        for code in codes(text) {
            filter.feed(code, 1, ms(t), &mut out);
            filter.feed(code, 0, ms(t + 4), &mut out);
            t += gap_ms;
        }
        filter.due(ms(t + 1000), &mut out);
        out
    }

    fn keys_pressed(out: &[Filtered]) -> Vec<u16> {
        out.iter()
            .filter_map(|f| match f {
                Filtered::Key { code, value: 1 } => Some(*code),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_fast_burst_ending_in_enter_is_a_badge_and_nothing_else() {
        let out = typed(
            &mut BadgeFilter::keyboard(BadgeConfig::default()),
            "0042137\n",
            12,
        );
        assert_eq!(out, [Filtered::Badge(BadgeId("0042137".into()))]);
    }

    #[test]
    fn a_person_typing_is_not_a_badge() {
        let out = typed(
            &mut BadgeFilter::keyboard(BadgeConfig::default()),
            "0042137\n",
            120,
        );
        assert!(!out.iter().any(|f| matches!(f, Filtered::Badge(_))));
        assert_eq!(
            keys_pressed(&out),
            codes("0042137\n"),
            "every key goes on, in order"
        );
        let releases = out
            .iter()
            .filter(|f| matches!(f, Filtered::Key { value: 0, .. }))
            .count();
        assert_eq!(releases, 8, "and is released");
    }

    #[test]
    fn a_short_fast_burst_is_typing() {
        let out = typed(
            &mut BadgeFilter::keyboard(BadgeConfig::default()),
            "12\n",
            10,
        );
        assert_eq!(keys_pressed(&out), codes("12\n"));
    }

    #[test]
    fn a_burst_without_enter_goes_on_as_keys() {
        let out = typed(
            &mut BadgeFilter::keyboard(BadgeConfig::default()),
            "123456",
            10,
        );
        assert_eq!(keys_pressed(&out), codes("123456"));
    }

    #[test]
    fn an_arrow_in_the_middle_lets_the_held_keys_go_first() {
        let mut f = BadgeFilter::keyboard(BadgeConfig::default());
        let mut out = Vec::new();
        f.feed(2, 1, ms(0), &mut out); // "1"
        f.feed(2, 0, ms(3), &mut out);
        f.feed(103, 1, ms(10), &mut out); // KEY_UP
        f.feed(103, 0, ms(15), &mut out);
        assert_eq!(
            out,
            [
                Filtered::Key { code: 2, value: 1 },
                Filtered::Key { code: 2, value: 0 },
                Filtered::Key {
                    code: 103,
                    value: 1
                },
                Filtered::Key {
                    code: 103,
                    value: 0
                },
            ]
        );
    }

    #[test]
    fn shifted_letters_belong_to_the_badge() {
        let mut f = BadgeFilter::keyboard(BadgeConfig::default());
        let mut out = Vec::new();
        let mut t = 0;
        for code in codes("ab12") {
            f.feed(KEY_LEFTSHIFT, 1, ms(t), &mut out);
            f.feed(code, 1, ms(t + 1), &mut out);
            f.feed(code, 0, ms(t + 2), &mut out);
            f.feed(KEY_LEFTSHIFT, 0, ms(t + 3), &mut out);
            t += 8;
        }
        f.feed(KEY_ENTER, 1, ms(t), &mut out);
        f.feed(KEY_ENTER, 0, ms(t + 2), &mut out);
        f.due(ms(t + 1000), &mut out);
        // The first shift went on (nothing was held yet); everything after it is the badge.
        assert_eq!(
            out,
            [
                Filtered::Key {
                    code: KEY_LEFTSHIFT,
                    value: 1
                },
                Filtered::Key {
                    code: KEY_LEFTSHIFT,
                    value: 0
                },
                Filtered::Badge(BadgeId("AB12".into())),
            ]
        );
    }

    #[test]
    fn a_badge_reader_never_lets_anything_through() {
        let mut reader = BadgeFilter::reader(BadgeConfig::default());
        assert_eq!(
            typed(&mut reader, "77\n", 200),
            [Filtered::Badge(BadgeId("77".into()))]
        );
        let mut out = Vec::new();
        reader.feed(103, 1, ms(0), &mut out);
        reader.feed(103, 0, ms(5), &mut out);
        assert!(out.is_empty());
        // A half read is dropped after the timeout, not glued to the next one.
        assert!(typed(&mut reader, "123", 10).is_empty());
        assert_eq!(
            typed(&mut reader, "9\n", 10),
            [Filtered::Badge(BadgeId("9".into()))]
        );
    }

    #[test]
    fn badge_numbers_never_show_in_debug_output() {
        let id = BadgeId("0042137".into());
        assert_eq!(format!("{id:?}"), "BadgeId(<7 characters>)");
        assert_eq!(id.expose(), "0042137");
    }
}
