//! Raw input events as the kernel delivers them, decoded from bytes.
//!
//! Reading `/dev/input/eventN` yields a stream of `struct input_event` records: a timestamp, a
//! type (`EV_KEY`, `EV_SYN`, ...), a code (`KEY_OK`, ...) and a value (for keys: 1 press,
//! 0 release, 2 kernel auto-repeat). On 64-bit Linux a record is 24 bytes: `tv_sec` and `tv_usec`
//! as 64-bit integers, then `u16` type, `u16` code, `i32` value, little-endian on the machines we
//! ship. Replay files (`bedside snapshot --replay`) use that 24-byte layout.

use std::time::Duration;

pub const EV_SYN: u16 = 0x00;
pub const EV_KEY: u16 = 0x01;
pub const SYN_REPORT: u16 = 0;
/// The kernel's buffer overflowed and events were lost: key state is unknown until the next
/// report.
pub const SYN_DROPPED: u16 = 3;

/// Key event values.
pub const KEY_RELEASE: i32 = 0;
pub const KEY_PRESS: i32 = 1;
pub const KEY_AUTOREPEAT: i32 = 2;

/// One `input_event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEvent {
    /// The kernel's timestamp (since the epoch, or since boot: only differences matter).
    pub time: Duration,
    pub kind: u16,
    pub code: u16,
    pub value: i32,
}

impl RawEvent {
    pub const fn key(code: u16, value: i32, time: Duration) -> RawEvent {
        RawEvent {
            time,
            kind: EV_KEY,
            code,
            value,
        }
    }

    pub const fn syn(code: u16, time: Duration) -> RawEvent {
        RawEvent {
            time,
            kind: EV_SYN,
            code,
            value: 0,
        }
    }

    /// The 24-byte record of this event (64-bit layout).
    pub fn to_bytes(self) -> [u8; RECORD_SIZE] {
        let mut b = [0u8; RECORD_SIZE];
        b[0..8].copy_from_slice(&(self.time.as_secs() as i64).to_le_bytes());
        b[8..16].copy_from_slice(&i64::from(self.time.subsec_micros()).to_le_bytes());
        b[16..18].copy_from_slice(&self.kind.to_le_bytes());
        b[18..20].copy_from_slice(&self.code.to_le_bytes());
        b[20..24].copy_from_slice(&self.value.to_le_bytes());
        b
    }
}

/// Size of one record in the 64-bit layout.
pub const RECORD_SIZE: usize = 24;

/// Decodes a byte stream into events, record by record, however the bytes arrive: a read may end
/// in the middle of a record and the rest comes with the next read.
#[derive(Debug)]
pub struct Decoder {
    record: usize,
    pending: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(RECORD_SIZE)
    }
}

impl Decoder {
    /// `record` is the size of one `input_event` on the machine that wrote the stream: 24 on
    /// 64-bit, 16 on 32-bit with a 32-bit `time_t`.
    pub fn new(record: usize) -> Decoder {
        assert!(
            record == 24 || record == 16,
            "input_event is 16 or 24 bytes"
        );
        Decoder {
            record,
            pending: Vec::with_capacity(record),
        }
    }

    /// The decoder for this machine's own devices.
    pub fn native() -> Decoder {
        Decoder::new(std::mem::size_of::<libc::input_event>())
    }

    /// Decodes every whole record in `bytes` (plus what was left from the previous call) into
    /// `out`. What does not fill a record waits for the next call.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<RawEvent>) {
        if !self.pending.is_empty() {
            let need = self.record - self.pending.len();
            let take = need.min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() < self.record {
                return;
            }
            out.push(self.decode(&self.pending));
            self.pending.clear();
        }
        let whole = bytes.len() / self.record * self.record;
        out.extend(
            bytes[..whole]
                .chunks_exact(self.record)
                .map(|r| self.decode(r)),
        );
        self.pending.extend_from_slice(&bytes[whole..]);
    }

    /// Bytes of an incomplete record still waiting (at the end of a file: a truncated record).
    pub fn leftover(&self) -> usize {
        self.pending.len()
    }

    fn decode(&self, r: &[u8]) -> RawEvent {
        let (sec, usec, rest) = if self.record == 24 {
            (
                i64::from_le_bytes(r[0..8].try_into().expect("8 bytes")),
                i64::from_le_bytes(r[8..16].try_into().expect("8 bytes")),
                &r[16..],
            )
        } else {
            (
                i64::from(i32::from_le_bytes(r[0..4].try_into().expect("4 bytes"))),
                i64::from(i32::from_le_bytes(r[4..8].try_into().expect("4 bytes"))),
                &r[8..],
            )
        };
        // Garbage timestamps (negative, or microseconds out of range) become zero rather than
        // a panic: the event itself may still be good.
        let time = if sec >= 0 && (0..1_000_000).contains(&usec) {
            Duration::new(sec as u64, (usec * 1000) as u32)
        } else {
            Duration::ZERO
        };
        RawEvent {
            time,
            kind: u16::from_le_bytes([rest[0], rest[1]]),
            code: u16::from_le_bytes([rest[2], rest[3]]),
            value: i32::from_le_bytes(rest[4..8].try_into().expect("4 bytes")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: u16, value: i32, ms: u64) -> RawEvent {
        RawEvent::key(code, value, Duration::from_millis(ms))
    }

    #[test]
    fn records_round_trip() {
        let events = [
            ev(352, 1, 1500),
            RawEvent::syn(SYN_REPORT, Duration::from_millis(1500)),
            ev(352, 0, 1620),
        ];
        let bytes: Vec<u8> = events.iter().flat_map(|e| e.to_bytes()).collect();
        let mut out = Vec::new();
        Decoder::default().push(&bytes, &mut out);
        assert_eq!(out, events);
    }

    #[test]
    fn records_split_across_reads_are_joined() {
        let events: Vec<RawEvent> = (0..10).map(|i| ev(100 + i, 1, u64::from(i) * 7)).collect();
        let bytes: Vec<u8> = events.iter().flat_map(|e| e.to_bytes()).collect();
        for chunk in [1, 5, 23, 25, 47] {
            let mut d = Decoder::default();
            let mut out = Vec::new();
            for piece in bytes.chunks(chunk) {
                d.push(piece, &mut out);
            }
            assert_eq!(out, events, "chunks of {chunk}");
            assert_eq!(d.leftover(), 0);
        }
    }

    #[test]
    fn a_truncated_record_is_held_back_and_reported() {
        let mut bytes = ev(1, 1, 0).to_bytes().to_vec();
        bytes.extend_from_slice(&[1, 2, 3]);
        let mut d = Decoder::default();
        let mut out = Vec::new();
        d.push(&bytes, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(d.leftover(), 3);
    }

    #[test]
    fn garbage_decodes_without_panicking() {
        let mut state: u32 = 12345;
        let garbage: Vec<u8> = (0..24 * 1000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (state >> 16) as u8
            })
            .collect();
        let mut out = Vec::new();
        Decoder::default().push(&garbage, &mut out);
        assert_eq!(out.len(), 1000);
        let mut out16 = Vec::new();
        Decoder::new(16).push(&garbage, &mut out16);
        assert_eq!(out16.len(), 1500);
    }

    #[test]
    fn the_32_bit_layout_decodes_too() {
        let mut r = Vec::new();
        r.extend_from_slice(&5i32.to_le_bytes());
        r.extend_from_slice(&250_000i32.to_le_bytes());
        r.extend_from_slice(&EV_KEY.to_le_bytes());
        r.extend_from_slice(&352u16.to_le_bytes());
        r.extend_from_slice(&1i32.to_le_bytes());
        let mut out = Vec::new();
        Decoder::new(16).push(&r, &mut out);
        assert_eq!(out, [ev(352, 1, 5250)]);
    }
}
