//! Live TV as the patient drives it: the channel on air and the one before it (for Last), the
//! digits being typed for a number, favourites, and where the guide's cursor is. Pure state: the
//! shell decides, the controller tunes the player.
//!
//! Channels are known here by their index in the lineup, their number (what the patient types)
//! and their key (what favourites remember, so a favourite survives a lineup that reorders).

use std::time::Duration;

/// A typed number tunes this long after the last digit (or at once when no longer number
/// starts with the digits typed).
pub const ENTRY_TIMEOUT: Duration = Duration::from_millis(1500);
/// Digits a channel number can have.
pub const MAX_DIGITS: usize = 4;
/// Channels received ahead while a number is typed: the one typed so far and the ten one more
/// digit can make. Only for the second or so an entry is open; each costs its stream's
/// bandwidth meanwhile.
pub const ENTRY_AHEAD: usize = 11;
/// The guide spans this many half hours from the current one: now and the next 24 hours.
pub const GUIDE_SLOTS: usize = 48;
/// The guide shows this many half hours at once.
pub const GUIDE_VISIBLE_SLOTS: usize = 5;
/// How long the info banner stays after a change of channel or a press of Info.
pub const BANNER_TIME: Duration = Duration::from_secs(5);

/// What a finished number entry came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The channel with that number (its index).
    Channel(usize),
    /// No channel has that number.
    NoSuchChannel(u32),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tv {
    numbers: Vec<u32>,
    keys: Vec<String>,
    current: Option<usize>,
    previous: Option<usize>,
    entry: Vec<u8>,
    /// Bumped with every digit, so the timer of an older digit does nothing.
    entry_seq: u64,
    /// Channel keys the patient marked, in the order marked.
    favourites: Vec<String>,
    /// The guide's cursor: a row (channel index) and a half hour from the current one.
    pub guide_row: usize,
    pub guide_slot: usize,
}

impl Tv {
    /// A new lineup: (number, key) per channel in lineup order. The channel on air stays on air
    /// if it is still there (matched by key).
    pub fn set_lineup(&mut self, channels: &[(u32, String)]) {
        let find = |key: &Option<String>| {
            key.as_ref()
                .and_then(|k| channels.iter().position(|(_, c)| c == k))
        };
        let current_key = self.current.and_then(|i| self.keys.get(i).cloned());
        let previous_key = self.previous.and_then(|i| self.keys.get(i).cloned());
        self.numbers = channels.iter().map(|(n, _)| *n).collect();
        self.keys = channels.iter().map(|(_, k)| k.clone()).collect();
        self.current = find(&current_key);
        self.previous = find(&previous_key);
        self.guide_row = self.guide_row.min(self.len().saturating_sub(1));
    }

    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// The channel to show when Watch opens: the one on air, else the first.
    pub fn current_or_first(&mut self) -> Option<usize> {
        if self.current.is_none() && !self.is_empty() {
            self.current = Some(0);
        }
        self.current
    }

    /// Puts `index` on air; the one before becomes Last. False when it already was.
    pub fn tune(&mut self, index: usize) -> bool {
        if index >= self.len() || self.current == Some(index) {
            return false;
        }
        self.previous = self.current;
        self.current = Some(index);
        self.guide_row = index;
        true
    }

    /// Channel up or down, going round at the ends as TVs do.
    pub fn step(&mut self, up: bool) -> Option<usize> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let next = match self.current {
            None => 0,
            Some(i) if up => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
        };
        self.tune(next);
        Some(next)
    }

    /// The channels a patient on `index` most likely goes to next, nearest first: `reach`
    /// up and down (going round), then the last one; each once, never `index` itself. None
    /// when `reach` is 0.
    pub fn neighbours(&self, index: usize, reach: usize) -> Vec<usize> {
        let n = self.len();
        if index >= n || reach == 0 {
            return Vec::new();
        }
        let mut out: Vec<usize> = Vec::with_capacity(2 * reach + 1);
        let steps = (1..=reach).flat_map(|d| [(index + d) % n, (index + n - d % n) % n]);
        for i in steps.chain(self.previous) {
            if i != index && i < n && !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    /// While digits are being typed: the channels the entry can still end on soonest, so they
    /// can be received ahead (a channel's first picture waits for its next key frame, and a
    /// patient's next digit takes longer than that). The channel with the number typed so far
    /// first, then those one digit longer, in lineup order; at most [`ENTRY_AHEAD`]. None when
    /// no entry is open.
    pub fn entry_candidates(&self) -> Vec<usize> {
        if self.entry.is_empty() {
            return Vec::new();
        }
        let typed = &digits_text(&self.entry);
        let with_len = |len: usize| {
            self.numbers.iter().enumerate().filter(move |(_, n)| {
                let s = n.to_string();
                s.len() == len && s.starts_with(typed)
            })
        };
        with_len(self.entry.len())
            .chain(with_len(self.entry.len() + 1))
            .map(|(i, _)| i)
            .take(ENTRY_AHEAD)
            .collect()
    }

    /// Back to the channel before.
    pub fn last(&mut self) -> Option<usize> {
        let previous = self.previous?;
        self.tune(previous);
        Some(previous)
    }

    /// A digit typed. Returns the sequence number the entry's timer must carry, and the entry
    /// if it is already decided (no longer number starts with these digits).
    pub fn digit(&mut self, d: u8) -> (u64, Option<Entry>) {
        if self.entry.len() >= MAX_DIGITS {
            self.entry.clear();
        }
        self.entry.push(d);
        self.entry_seq += 1;
        let typed = self.typed_number();
        let longer = self.numbers.iter().any(|n| {
            let s = n.to_string();
            s.len() > self.entry.len() && s.starts_with(&digits_text(&self.entry))
        });
        if !longer || self.entry.len() == MAX_DIGITS {
            return (self.entry_seq, self.finish(typed));
        }
        (self.entry_seq, None)
    }

    /// The entry's timer ran out: decide it (unless a later digit came since).
    pub fn entry_timeout(&mut self, seq: u64) -> Option<Entry> {
        if seq != self.entry_seq || self.entry.is_empty() {
            return None;
        }
        let typed = self.typed_number();
        self.finish(typed)
    }

    fn typed_number(&self) -> u32 {
        self.entry.iter().fold(0, |n, d| n * 10 + u32::from(*d))
    }

    fn finish(&mut self, number: u32) -> Option<Entry> {
        self.entry.clear();
        match self.numbers.iter().position(|n| *n == number) {
            Some(i) => {
                self.tune(i);
                Some(Entry::Channel(i))
            }
            None => Some(Entry::NoSuchChannel(number)),
        }
    }

    /// The digits typed so far ("12"), empty when none.
    pub fn entry_text(&self) -> String {
        digits_text(&self.entry)
    }

    /// Stops a number entry (the patient left live TV).
    pub fn cancel_entry(&mut self) {
        self.entry.clear();
        self.entry_seq += 1;
    }

    /// Marks or unmarks a channel; returns whether it is a favourite now.
    pub fn toggle_favourite(&mut self, index: usize) -> bool {
        let Some(key) = self.keys.get(index) else {
            return false;
        };
        if let Some(at) = self.favourites.iter().position(|k| k == key) {
            self.favourites.remove(at);
            false
        } else {
            self.favourites.push(key.clone());
            true
        }
    }

    pub fn is_favourite(&self, index: usize) -> bool {
        self.keys
            .get(index)
            .is_some_and(|k| self.favourites.contains(k))
    }

    /// Favourite channels in lineup order.
    pub fn favourite_indices(&self) -> Vec<usize> {
        (0..self.len()).filter(|i| self.is_favourite(*i)).collect()
    }

    /// The next favourite after the one on air (round), for the Favourite key.
    pub fn next_favourite(&mut self) -> Option<usize> {
        let list = self.favourite_indices();
        let next = match self.current {
            Some(c) => list
                .iter()
                .copied()
                .find(|i| *i > c)
                .or(list.first().copied()),
            None => list.first().copied(),
        }?;
        self.tune(next);
        Some(next)
    }

    /// The keys marked, for saving.
    pub fn favourites(&self) -> &[String] {
        &self.favourites
    }

    pub fn set_favourites(&mut self, keys: Vec<String>) {
        self.favourites = keys;
    }

    /// Moves the guide's cursor: Up/Down by channel, Left/Right by half hour. False at an edge.
    pub fn guide_move(&mut self, rows: isize, slots: isize) -> bool {
        let row = self.guide_row as isize + rows;
        let slot = self.guide_slot as isize + slots;
        if row < 0 || row >= self.len() as isize || slot < 0 || slot >= GUIDE_SLOTS as isize {
            return false;
        }
        self.guide_row = row as usize;
        self.guide_slot = slot as usize;
        true
    }

    /// The guide opens on the channel on air, now.
    pub fn open_guide(&mut self) {
        self.guide_row = self.current.unwrap_or(0);
        self.guide_slot = 0;
    }
}

fn digits_text(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv(numbers: &[u32]) -> Tv {
        let mut tv = Tv::default();
        let list: Vec<(u32, String)> = numbers.iter().map(|n| (*n, format!("ch{n}"))).collect();
        tv.set_lineup(&list);
        tv
    }

    #[test]
    fn up_and_down_go_round_and_last_swaps_back() {
        let mut tv = tv(&[1, 2, 5, 10]);
        assert_eq!(tv.current_or_first(), Some(0));
        assert_eq!(
            tv.step(false),
            Some(3),
            "down from the first goes round to the last"
        );
        assert_eq!(tv.step(true), Some(0));
        assert_eq!(tv.step(true), Some(1));
        assert_eq!(tv.last(), Some(0));
        assert_eq!(tv.last(), Some(1), "Last again goes back");
    }

    #[test]
    fn the_neighbours_are_up_down_and_last_once_each() {
        let mut tv = tv(&[1, 2, 5, 10, 11, 12, 13]);
        assert_eq!(tv.neighbours(0, 1), vec![1, 6], "round at the ends");
        tv.tune(4);
        tv.tune(1);
        assert_eq!(
            tv.neighbours(1, 1),
            vec![2, 0, 4],
            "up, down, then the last one"
        );
        assert_eq!(tv.neighbours(1, 2), vec![2, 0, 3, 6, 4], "two each way");
        tv.tune(2);
        assert_eq!(tv.neighbours(2, 1), vec![3, 1], "last is already down");
        assert_eq!(tv.neighbours(2, 0), Vec::<usize>::new(), "turned off");
        assert_eq!(tv.neighbours(9, 1), Vec::<usize>::new());
        let one = self::tv(&[7]);
        assert_eq!(one.neighbours(0, 2), Vec::<usize>::new());
        let two = self::tv(&[7, 8]);
        assert_eq!(
            two.neighbours(0, 5),
            vec![1],
            "a short lineup is not gone round twice"
        );
    }

    #[test]
    fn digits_tune_at_once_when_no_longer_number_fits_else_after_the_timeout() {
        let mut tv = tv(&[1, 2, 5, 10, 12, 101]);
        let (seq, done) = tv.digit(5);
        assert_eq!(done, Some(Entry::Channel(2)), "no channel 5x: at once");
        assert_eq!(tv.entry_timeout(seq), None, "already decided");
        let (seq, done) = tv.digit(1);
        assert_eq!(done, None, "1, 10, 12, 101 all start with 1");
        assert_eq!(tv.entry_text(), "1");
        let (seq2, done) = tv.digit(0);
        assert_eq!(done, None, "10 or 101");
        assert_eq!(
            tv.entry_timeout(seq),
            None,
            "an older digit's timer does nothing"
        );
        assert_eq!(tv.entry_timeout(seq2), Some(Entry::Channel(3)));
        assert_eq!(tv.current(), Some(3));
        assert_eq!(tv.last(), Some(2));
        assert_eq!(tv.digit(9).1, Some(Entry::NoSuchChannel(9)));
        assert_eq!(
            tv.current(),
            Some(2),
            "a number with no channel changes nothing"
        );
    }

    #[test]
    fn while_digits_are_typed_the_channels_they_can_end_on_are_named() {
        let mut tv = tv(&[1, 2, 5, 10, 12, 101, 21, 1000]);
        assert_eq!(tv.entry_candidates(), Vec::<usize>::new(), "no entry");
        tv.digit(1);
        assert_eq!(
            tv.entry_candidates(),
            vec![0, 3, 4],
            "1 itself, then 10 and 12; not 101 or 1000 (two more digits away)"
        );
        tv.digit(0);
        assert_eq!(tv.entry_candidates(), vec![3, 5], "10, then 101");
        tv.digit(0);
        assert_eq!(tv.entry_candidates(), vec![7], "only 1000 can follow 100");
        assert_eq!(tv.digit(0).1, Some(Entry::Channel(7)));
        assert_eq!(tv.entry_candidates(), Vec::<usize>::new(), "decided");
        let many: Vec<u32> = (1..=40).collect();
        let mut tv = self::tv(&many);
        tv.digit(1);
        let c = tv.entry_candidates();
        assert_eq!(c.len(), ENTRY_AHEAD, "1 and 10-19");
        assert_eq!(c[0], 0);
        assert_eq!(c[ENTRY_AHEAD - 1], 18, "19 is the eleventh");
    }

    #[test]
    fn four_digits_decide() {
        let mut tv = tv(&[1000, 1001]);
        tv.digit(1);
        tv.digit(0);
        tv.digit(0);
        assert_eq!(tv.digit(1).1, Some(Entry::Channel(1)));
    }

    #[test]
    fn favourites_follow_the_channel_when_the_lineup_changes() {
        let mut tv = tv(&[1, 2, 3]);
        assert!(tv.toggle_favourite(2));
        assert!(tv.toggle_favourite(0));
        tv.tune(1);
        assert_eq!(tv.next_favourite(), Some(2));
        assert_eq!(tv.next_favourite(), Some(0), "round");
        tv.set_lineup(&[(7, "ch3".into()), (8, "new".into()), (9, "ch1".into())]);
        assert_eq!(tv.favourite_indices(), [0, 2]);
        assert_eq!(tv.current(), Some(2), "ch1 is still on air, now third");
        assert!(!tv.toggle_favourite(0));
        assert_eq!(tv.favourite_indices(), [2]);
    }

    #[test]
    fn the_guide_cursor_stops_at_its_edges() {
        let mut tv = tv(&[1, 2]);
        tv.tune(1);
        tv.open_guide();
        assert_eq!((tv.guide_row, tv.guide_slot), (1, 0));
        assert!(!tv.guide_move(1, 0));
        assert!(!tv.guide_move(0, -1));
        assert!(tv.guide_move(-1, 3));
        assert_eq!((tv.guide_row, tv.guide_slot), (0, 3));
        for _ in 0..100 {
            tv.guide_move(0, 1);
        }
        assert_eq!(tv.guide_slot, GUIDE_SLOTS - 1);
    }

    #[test]
    fn an_empty_lineup_does_nothing() {
        let mut tv = Tv::default();
        assert_eq!(tv.step(true), None);
        assert_eq!(tv.last(), None);
        assert_eq!(tv.current_or_first(), None);
        assert_eq!(tv.digit(1).1, Some(Entry::NoSuchChannel(1)));
    }
}
