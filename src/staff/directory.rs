//! The staff directory over LDAPS: search as the box's service account, bind as the person.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope, SearchEntry, ldap_escape};

use crate::config;
use crate::domain::session::pad::StaffPin;
use crate::domain::session::staff::Verdict;
use crate::domain::session::{Access, Staff};

/// LDAP's "invalid credentials" result code: a wrong password, here the PIN.
const INVALID_CREDENTIALS: u32 = 49;

/// The directory as the config describes it.
pub struct Directory {
    url: String,
    tls: Arc<rustls::ClientConfig>,
    bind_dn: String,
    bind_password: String,
    base_dn: String,
    badge_attribute: String,
    practitioner_attribute: String,
    record_titles: Vec<String>,
    ward: Option<String>,
    ward_attribute: String,
    timeout: Duration,
}

impl Directory {
    /// Reads the service account's password and the CA file now, so a mistake shows at start.
    pub fn new(config: &config::Staff) -> Result<Directory, String> {
        let bind_password = std::fs::read_to_string(&config.bind_password_file)
            .map_err(|e| {
                format!(
                    "cannot read staff.bind_password_file {}: {e}",
                    config.bind_password_file.display()
                )
            })?
            .trim_end_matches(['\n', '\r'])
            .to_owned();
        let tls = tls_config(config.ca_file.as_deref())?;
        Ok(Directory {
            url: config.directory.0.clone(),
            tls,
            bind_dn: config.bind_dn.clone(),
            bind_password,
            base_dn: config.base_dn.clone(),
            badge_attribute: config.badge_attribute.clone(),
            practitioner_attribute: config.practitioner_attribute.clone(),
            record_titles: config.record_titles.clone(),
            ward: config.ward.clone(),
            ward_attribute: config.ward_attribute.clone(),
            timeout: Duration::from_secs(u64::from(config.timeout_seconds.max(1))),
        })
    }

    /// Whether `pin` is the PIN of the person whose badge is `number`. Never logs either.
    pub fn verify(&self, number: &str, pin: &StaffPin) -> Verdict {
        match self.try_verify(number, pin) {
            Ok(verdict) => verdict,
            Err(e) => {
                tracing::warn!(error = %e, "staff directory cannot be reached");
                Verdict::Unreachable
            }
        }
    }

    fn try_verify(&self, number: &str, pin: &StaffPin) -> Result<Verdict, LdapError> {
        let number = number.trim();
        let Ok(pin) = std::str::from_utf8(pin.as_bytes()) else {
            return Ok(Verdict::WrongPin);
        };
        // An empty password would be an unauthenticated bind, which LDAP answers with success.
        if number.is_empty() || pin.is_empty() {
            return Ok(Verdict::Refused);
        }
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout)
            .set_config(self.tls.clone());
        let mut ldap = LdapConn::with_settings(settings, &self.url)?;
        ldap.with_timeout(self.timeout)
            .simple_bind(&self.bind_dn, &self.bind_password)?
            .success()?;
        let filter = format!("({}={})", self.badge_attribute, ldap_escape(number));
        let (entries, _) = ldap
            .with_timeout(self.timeout)
            .search(
                &self.base_dn,
                Scope::Subtree,
                &filter,
                vec![
                    "cn",
                    "title",
                    self.practitioner_attribute.as_str(),
                    self.ward_attribute.as_str(),
                ],
            )?
            .success()?;
        // No entry, or a badge number on two entries (a directory error): nobody signs in on it.
        let [entry] = entries.as_slice() else {
            let _ = ldap.unbind();
            return Ok(Verdict::Refused);
        };
        let entry = SearchEntry::construct(entry.clone());
        let result = ldap
            .with_timeout(self.timeout)
            .simple_bind(&entry.dn, pin)?;
        let _ = ldap.unbind();
        match result.rc {
            0 => {}
            INVALID_CREDENTIALS => return Ok(Verdict::WrongPin),
            // The directory answered, and said no for another reason: an account locked by its
            // own policy (19), disabled or inactive (53), and so on. That is a refusal, not an
            // outage: the offline check must not sign them in.
            rc => {
                tracing::warn!(rc, "the staff directory refused the sign-in");
                return Ok(Verdict::Refused);
            }
        }
        let first = |attr: &str| {
            entry
                .attrs
                .get(attr)
                .and_then(|v| v.first())
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let practitioner = first(&self.practitioner_attribute);
        if !practitioner.starts_with("Practitioner/") {
            // Without a Practitioner, audit events could not say who it was.
            tracing::warn!("a staff entry has no Practitioner reference: sign-in refused");
            return Ok(Verdict::Refused);
        }
        let role = first("title");
        let clinical = self
            .record_titles
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&role));
        let at_this_ward = self.ward.as_deref().is_some_and(|ward| {
            entry
                .attrs
                .get(&self.ward_attribute)
                .is_some_and(|wards| wards.iter().any(|w| w.trim().eq_ignore_ascii_case(ward)))
        });
        let access = match (clinical, at_this_ward) {
            (true, true) => Access::Record,
            (true, false) => Access::CareTeam,
            (false, _) => Access::DeviceOnly,
        };
        Ok(Verdict::Accepted(Staff {
            practitioner,
            name: first("cn"),
            role,
            access,
        }))
    }
}

/// rustls with the roots of `ca_file`, or the public web roots.
fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let roots = crate::tls::rustls_roots(ca_file).map_err(|e| format!("staff.{e}"))?;
    let config = crate::tls::rustls_builder(roots)?.with_no_client_auth();
    Ok(Arc::new(config))
}
