//! Family and caregivers who may call the bed: the people the record names (Patient.contact
//! and RelatedPerson), less those staff have set as not allowed. A call whose caller says they
//! are family (their page's role) is taken only from a name on this list.
//!
//! What this can and cannot prove: the signalling server does not check who a caller is, so
//! the name and the role are what the caller typed. The list keeps a stranger who calls "as
//! family" under an unknown name from ringing the patient; it cannot stop someone who types an
//! allowed name, or who claims another role. Verified callers and invitations are issue 20's.

/// One person the record names as family or a caregiver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Member {
    /// What identifies them across syncs: `RelatedPerson/<id>`, or `contact:<name>` for a
    /// Patient.contact (which has no id of its own). Kept only as a keyed tag on the box.
    pub key: String,
    /// Their name as the record gives it.
    pub name: String,
    /// Who they are to the patient ("Daughter", "Next of kin"), when the record says.
    pub relationship: String,
    /// The forms of their name a caller's name is matched against (see [`normalize`]): the
    /// whole name, and the first given name with the family name.
    pub forms: Vec<String>,
}

impl Member {
    /// A member named by `name` (the record's text) and, when the record has them apart,
    /// `given` and `family` names.
    pub fn new(key: String, name: String, given: &[&str], family: Option<&str>) -> Member {
        let mut forms = vec![normalize(&name)];
        if let (Some(first), Some(family)) = (given.first(), family) {
            forms.push(normalize(&format!("{first} {family}")));
            let all: Vec<&str> = given.iter().copied().chain([family]).collect();
            forms.push(normalize(&all.join(" ")));
        }
        forms.retain(|f| !f.is_empty());
        forms.dedup();
        Member {
            key,
            name,
            relationship: String::new(),
            forms,
        }
    }

    /// Whether a caller who gives this name is this person.
    pub fn answers_to(&self, name: &str) -> bool {
        let name = normalize(name);
        !name.is_empty() && self.forms.contains(&name)
    }
}

/// A name as it is compared: lower case, letters and digits only, words one space apart; an
/// apostrophe joins ("O'Neil"), any other mark separates ("Mrs. Jane  O'Neil" → "mrs jane
/// oneil", "Family-member" → "family member").
pub fn normalize(name: &str) -> String {
    name.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that make a role a claim to be family or close to the patient.
const FAMILY_WORDS: &[&str] = &[
    "family",
    "families",
    "caregiver",
    "caregivers",
    "carer",
    "carers",
    "relative",
    "relatives",
    "friend",
    "friends",
    "kin",
    "daughter",
    "son",
    "wife",
    "husband",
    "spouse",
    "partner",
    "mother",
    "mom",
    "mum",
    "father",
    "dad",
    "parent",
    "parents",
    "sister",
    "brother",
    "sibling",
    "grandmother",
    "grandfather",
    "grandparent",
    "grandma",
    "grandpa",
    "granddaughter",
    "grandson",
    "grandchild",
    "aunt",
    "uncle",
    "niece",
    "nephew",
    "cousin",
    "guardian",
    "stepmother",
    "stepfather",
    "stepdaughter",
    "stepson",
    "fiance",
    "fiancee",
    "neighbour",
    "neighbor",
    "visitor",
];

/// Whether a caller's role (as their page says it) claims to be family, a caregiver or anyone
/// close to the patient: any word of it ("Family", "Carer/Family", "Next of kin", "Daughter").
pub fn claims_family(role: &str) -> bool {
    normalize(role)
        .split(' ')
        .any(|w| FAMILY_WORDS.contains(&w))
}

/// The words for a relationship code (HL7 v2-0131 contact roles and v3 RoleCode family
/// members), when the record gives a code without words. `None` for a code that is an
/// organisation, not a person (an employer, an insurer, a federal or state agency): someone
/// named only as that is never on the list.
pub fn relationship_words(code: &str) -> Option<&'static str> {
    Some(match code {
        // v2-0131
        "E" | "F" | "I" | "S" => return None,
        "N" => "Next of kin",
        "C" => "Emergency contact",
        "EP" => "Emergency contact",
        "CP" => "Contact person",
        "BP" => "Billing contact",
        "PR" => "Person preparing referral",
        "O" | "U" => "",
        // v3 RoleCode
        "FAMMEMB" => "Family member",
        "CHILD" => "Child",
        "DAU" | "DAUC" => "Daughter",
        "SON" | "SONC" => "Son",
        "PRN" => "Parent",
        "MTH" => "Mother",
        "FTH" => "Father",
        "SPS" => "Spouse",
        "WIFE" => "Wife",
        "HUSB" => "Husband",
        "DOMPART" => "Partner",
        "SIB" => "Sibling",
        "SIS" => "Sister",
        "BRO" => "Brother",
        "GRPRN" => "Grandparent",
        "GRMTH" => "Grandmother",
        "GRFTH" => "Grandfather",
        "GRNDCHILD" => "Grandchild",
        "FRND" => "Friend",
        "NBOR" => "Neighbour",
        "GUARD" => "Guardian",
        "POWATT" | "HPOWATT" => "Health care proxy",
        _ => "",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_the_case_spacing_and_punctuation() {
        let m = Member::new(
            "RelatedPerson/peter".into(),
            "Peter James Chalmers".into(),
            &["Peter", "James"],
            Some("Chalmers"),
        );
        assert!(m.answers_to("peter chalmers"));
        assert!(m.answers_to("  Peter   James CHALMERS "));
        assert!(m.answers_to("Peter Chalmers."));
        assert!(!m.answers_to("Peter"));
        assert!(!m.answers_to("Pete Chalmers"));
        assert!(!m.answers_to(""));
        assert_eq!(normalize("Mrs. Jane  O'Neil"), "mrs jane oneil");
        assert_eq!(normalize("Bénédicte du Marché"), "bénédicte du marché");
    }

    #[test]
    fn family_claims_and_relationships() {
        assert!(claims_family("Family"));
        assert!(claims_family(" caregiver "));
        assert!(!claims_family("Nurse"));
        assert!(!claims_family("Interpreter"));
        assert_eq!(relationship_words("DAU"), Some("Daughter"));
        assert_eq!(relationship_words("N"), Some("Next of kin"));
        assert_eq!(relationship_words("E"), None, "an employer is no family");
    }
}
