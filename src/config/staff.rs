//! `[staff]`: the hospital's staff directory, for clinician sign-in (src/staff/).

use std::path::PathBuf;

use serde::Deserialize;

/// The staff directory (LDAP over TLS) and who may open a patient's record.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// `ldaps://host:port`. Plain `ldap://` is refused: the PIN would cross the network in
    /// clear.
    pub directory: LdapsUrl,
    /// PEM file of the certificate authorities to trust for the directory (default: the public
    /// web roots). There is no way to turn certificate checks off.
    pub ca_file: Option<PathBuf>,
    /// The box's own account in the directory, which may only search for staff entries, and a
    /// file holding its password (a systemd credential on the appliance).
    pub bind_dn: String,
    pub bind_password_file: PathBuf,
    /// Where staff entries are, e.g. `ou=staff,dc=hospital,dc=example`.
    pub base_dn: String,
    /// The attribute holding a badge's number (default `employeeNumber`).
    #[serde(default = "Staff::default_badge_attribute")]
    pub badge_attribute: String,
    /// The attribute holding the person's FHIR Practitioner reference, `Practitioner/123`
    /// (default `labeledURI`).
    #[serde(default = "Staff::default_practitioner_attribute")]
    pub practitioner_attribute: String,
    /// Clinical titles (the entry's `title`, compared without regard to case). Staff with one
    /// may open the record of a patient whose care team they are on (the record's CareTeam, or
    /// the encounter's participants), or of any patient in this bed's ward when their entry
    /// says they work there (`ward`); anyone else signs in to device-level screens only.
    #[serde(default = "Staff::default_record_titles")]
    pub record_titles: Vec<String>,
    /// This bed's ward as the directory names it (e.g. `3W`): staff whose `ward_attribute`
    /// holds it have a role at this ward. Without it, only the care team opens the record.
    pub ward: Option<String>,
    /// The attribute holding the ward(s) a person works on (default `departmentNumber`).
    #[serde(default = "Staff::default_ward_attribute")]
    pub ward_attribute: String,
    /// Hours a badge and PIN accepted online keep working on this box while the directory
    /// cannot be reached (default 12; 0: never offline).
    #[serde(default = "Staff::default_offline_hours")]
    pub offline_hours: u32,
    /// A box without a badge reader: staff type their staff number (the number on the badge)
    /// on the remote instead: on Settings, the digit keys start it (default false).
    #[serde(default)]
    pub sign_in_by_number: bool,
    /// Seconds to wait for the directory before sign-in is checked offline (default 5).
    #[serde(default = "Staff::default_timeout")]
    pub timeout_seconds: u32,
}

impl Staff {
    fn default_badge_attribute() -> String {
        "employeeNumber".into()
    }

    fn default_practitioner_attribute() -> String {
        "labeledURI".into()
    }

    fn default_ward_attribute() -> String {
        "departmentNumber".into()
    }

    fn default_record_titles() -> Vec<String> {
        ["Nurse", "Doctor", "Physician", "Nurse practitioner"]
            .map(String::from)
            .to_vec()
    }

    fn default_offline_hours() -> u32 {
        12
    }

    fn default_timeout() -> u32 {
        5
    }
}

/// An `ldaps://` URL.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LdapsUrl(pub String);

impl TryFrom<String> for LdapsUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let t = text.trim();
        if t.starts_with("ldap://") {
            return Err(format!(
                "staff.directory `{t}`: plain ldap:// would send PINs in clear; give an ldaps:// URL"
            ));
        }
        let rest = t
            .strip_prefix("ldaps://")
            .ok_or_else(|| format!("staff.directory `{t}`: give an ldaps:// URL"))?;
        if rest.split('/').next().is_none_or(str::is_empty) {
            return Err(format!("staff.directory `{t}` has no host"));
        }
        Ok(LdapsUrl(t.to_owned()))
    }
}
