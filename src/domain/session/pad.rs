//! The staff PIN as it is typed: 4 to 8 digits, shown as dots, wiped when it is done with.

use std::fmt;

/// Fewest and most digits in a staff PIN.
pub const MIN_DIGITS: usize = 4;
pub const MAX_DIGITS: usize = 8;

/// Digits typed so far. Debug shows how many, never which; the digits are overwritten when
/// the pad is cleared or dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StaffPad {
    digits: [u8; MAX_DIGITS],
    len: usize,
}

impl StaffPad {
    /// Adds a digit (0-9); false when the pad is full or it is not a digit.
    pub fn push(&mut self, digit: u8) -> bool {
        if digit > 9 || self.len == MAX_DIGITS {
            return false;
        }
        self.digits[self.len] = digit;
        self.len += 1;
        true
    }

    /// Takes back the last digit; false when there was none.
    pub fn pop(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        self.len -= 1;
        self.digits[self.len] = 0;
        true
    }

    /// How many digits are typed (the dots on screen).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Enough digits to be checked.
    pub fn complete(&self) -> bool {
        self.len >= MIN_DIGITS
    }

    /// The PIN as ASCII digits, for the identity service or the offline check; the pad is
    /// emptied. `None` while too short.
    pub fn take(&mut self) -> Option<StaffPin> {
        if !self.complete() {
            return None;
        }
        let pin = StaffPin(self.digits[..self.len].iter().map(|d| b'0' + d).collect());
        self.clear();
        Some(pin)
    }

    pub fn clear(&mut self) {
        self.digits = [0; MAX_DIGITS];
        self.len = 0;
    }
}

impl Drop for StaffPad {
    fn drop(&mut self) {
        self.clear();
    }
}

impl fmt::Debug for StaffPad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaffPad({} digits)", self.len)
    }
}

/// A complete staff PIN, as ASCII digits. Never printed; wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffPin(Vec<u8>);

impl StaffPin {
    /// A password typed elsewhere (the care-team page's sign-in), checked the same way.
    pub fn from_secret(secret: &[u8]) -> StaffPin {
        StaffPin(secret.to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for StaffPin {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

impl fmt::Debug for StaffPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaffPin(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_to_eight_digits_and_never_shown() {
        let mut pad = StaffPad::default();
        for d in [1, 9, 7] {
            assert!(pad.push(d));
        }
        assert!(pad.take().is_none(), "three digits are too few");
        assert!(pad.push(3));
        for d in [0, 0, 0, 0] {
            assert!(pad.push(d));
        }
        assert!(!pad.push(5), "eight digits at most");
        assert!(!pad.push(10), "not a digit");
        assert_eq!(format!("{pad:?}"), "StaffPad(8 digits)");
        assert!(pad.pop());
        let pin = pad.take().unwrap();
        assert_eq!(pin.as_bytes(), b"1973000");
        assert!(pad.is_empty(), "taking the PIN empties the pad");
        assert_eq!(format!("{pin:?}"), "StaffPin(..)");
    }
}
