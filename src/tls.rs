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

/// The same roots for rustls (the call signalling link, the staff directory): the CA file's
/// certificates, or the public web roots. The error names the file.
pub fn rustls_roots(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let Some(path) = ca_file else {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("ca_file {}: {e}", path.display()))?
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(format!(
            "ca_file {} holds no PEM certificate",
            path.display()
        ));
    }
    for c in certs {
        roots
            .add(c)
            .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
    }
    Ok(roots)
}

/// A rustls client configuration on ring with `roots` and safe protocol versions.
pub fn rustls_builder(
    roots: rustls::RootCertStore,
) -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>, String> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots))
}
