//! The certificate authorities the box trusts for `https://` (the FHIR backend, the TV
//! head-end): the hospital's own CA file when the config names one, else the public web roots.
//! There is deliberately no way to turn certificate checks off.

use std::path::Path;

use ureq::tls::{Certificate, RootCerts};

/// The roots for `ca_file`, or the public web roots without one. The error says what is wrong
/// with the file, naming it.
pub fn root_certs(ca_file: Option<&Path>) -> Result<RootCerts, String> {
    let Some(path) = ca_file else {
        return Ok(RootCerts::WebPki);
    };
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "ca_file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(RootCerts::new_with_certs(&certs))
}
