//! Who is in the bed, as far as the shell needs to know.

/// The admitted patient, reduced to what the header shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patient {
    /// The first name the patient goes by, for "Good morning, Sina".
    pub preferred_first_name: String,
    /// The whole name, for staff to check who is in the bed (the patient summary); empty when
    /// the record has none.
    pub full_name: String,
    /// The date of birth, the second identifier staff check.
    pub born: Option<jiff::civil::Date>,
}
