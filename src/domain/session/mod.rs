//! Staff sessions at the bedside (clinician mode, issue 18): a nurse taps a badge, types a PIN
//! and works at the bedside. This room holds the rules, with no IO: the shell and the
//! controller will drive it.
//!
//! - [`badge`]: a badge number never stays on the box; what is kept is a keyed hash of it.
//! - [`pad`]: the staff PIN as it is typed (4 to 8 digits, masked, wiped after use).
//! - [`lockout`]: 5 wrong PINs lock a badge for 5 minutes, 10 wrong within 10 minutes lock the
//!   box's sign-in for 5 minutes.
//! - [`offline`]: staff verified online on this box recently may sign in while the identity
//!   service cannot be reached: their PIN kept as an Argon2id hash, for a configurable window.
//! - [`staff`]: the sign-in and the session: PIN entry, checking, the open session, its idle
//!   warning and end, and why it ended.

pub mod badge;
pub mod lockout;
pub mod offline;
pub mod pad;
pub mod staff;

/// Who signed in, as the staff identity service names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    /// The FHIR Practitioner the identity names ("Practitioner/123"): audit events say this.
    pub practitioner: String,
    /// The name shown in the staff frame ("Ana Ruiz").
    pub name: String,
    /// The role shown in the staff frame ("Nurse").
    pub role: String,
    /// What this person may open here.
    pub access: Access,
}

/// What a signed-in member of staff may open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// On this patient's care team, or with a role at this bed's ward: the patient's record.
    Record,
    /// A clinical role elsewhere: the record only of a patient whose care team they are on.
    /// The controller decides against the record in the bed when the session opens (the shell
    /// only ever sees `Record` or `DeviceOnly`).
    CareTeam,
    /// Anyone else with a valid badge: device-level screens only (no patient data).
    DeviceOnly,
}

/// What the session's tests and the shell's share.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Access, Staff};

    /// A nurse the directory accepts.
    pub(crate) fn nurse() -> Staff {
        Staff {
            practitioner: "Practitioner/ana".into(),
            name: "Ana Ruiz".into(),
            role: "Nurse".into(),
            access: Access::Record,
        }
    }
}
