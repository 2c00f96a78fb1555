//! SMART Backend Services against the test server's own support for it: the box signs in with
//! its private key (ES384 or RS384), keeps its token fresh, and a key the hospital does not know
//! is refused by name.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::fhir::{self, Bed, FhirServer};

use common::openssl;

/// A PKCS#8 private key and its public key, in `dir`.
fn keypair(dir: &Path, name: &str, rsa: bool) -> (String, String) {
    let key = format!("{name}.key.pem");
    let public = format!("{name}.pub.pem");
    if rsa {
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key,
            ],
        );
    } else {
        openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                &key,
            ],
        );
    }
    openssl(dir, &["pkey", "-in", &key, "-pubout", "-out", &public]);
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    (p(&key), p(&public))
}

fn auth(client: &str, key: &str) -> String {
    format!("[backend.auth]\nclient_id = \"{client}\"\nkey_file = \"{key}\"\n")
}

#[test]
fn the_box_signs_in_refreshes_its_token_and_an_unknown_key_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let (ec_key, ec_pub) = keypair(keys.path(), "ec", false);
    let (rsa_key, rsa_pub) = keypair(keys.path(), "rsa", true);
    let (stranger_key, _) = keypair(keys.path(), "stranger", false);
    let server = FhirServer::start_with(&format!(
        "server_auth:\n  types: [smart, bearer]\n  tokens: [seed-token]\n  token_lifetime: 3\n  smart_clients:\n\
         \x20   - client_id: bedside-ec\n      public_key_path: {ec_pub}\n      scopes: \"system/*.*\"\n\
         \x20   - client_id: bedside-rsa\n      public_key_path: {rsa_pub}\n      scopes: \"system/*.*\"\n"
    ));
    // The seed script uses a static token the server also accepts. SAFETY: the only test in this
    // binary, and no other thread of it reads the environment.
    unsafe { std::env::set_var("FHIR_SEED_TOKEN", "seed-token") };
    server.admit_synthea("Sina");

    // Without credentials the server says 401, and the box says so.
    let anonymous = Bed::new(&server.base);
    let (code, s, _) = anonymous.sync_once();
    assert_eq!(code, 1);
    assert!(s["error"].as_str().unwrap().contains("HTTP 401"), "{s}");

    for (client, key) in [("bedside-ec", &ec_key), ("bedside-rsa", &rsa_key)] {
        let bed = Bed::with(&server.base, &auth(client, key), fhir::BED);
        let s = bed.sync_ok();
        assert_eq!(s["patient_present"], true, "{client}: {s}");
    }

    // Tokens last 3 s here: a box polling every 2 s for 9 s keeps working on fresh tokens.
    let bed = Bed::with(&server.base, &auth("bedside-ec", &ec_key), fhir::BED);
    let mut child = common::bedside()
        .args(["sync", "--config"])
        .arg(&bed.config)
        .env("BEDSIDE_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(9));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let passes: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(passes.len() >= 3, "{stdout}\n{stderr}");
    assert!(passes.iter().all(|p| p.get("error").is_none()), "{stdout}");
    let sign_ins = stderr.matches("signed in to the backend").count();
    assert!(
        sign_ins >= 2,
        "the token was renewed: {sign_ins} sign-ins\n{stderr}"
    );
    assert!(!stderr.contains("eyJ"), "no token or assertion in the log");

    // A box whose clock runs two hours fast still signs in: the assertion is dated by the
    // server's clock (SMART refuses an `exp` more than five minutes ahead).
    let bed = Bed::with(&server.base, &auth("bedside-rsa", &rsa_key), fhir::BED);
    let (code, summary, stderr) = bed.sync_once_faked(&["-f", "+2h"]);
    assert_eq!(code, 0, "{summary}\n{stderr}");
    assert!(
        stderr.contains("clock differs from the backend"),
        "{stderr}"
    );

    // A key the hospital never registered for this client id.
    let bed = Bed::with(&server.base, &auth("bedside-ec", &stranger_key), fhir::BED);
    let (code, s, _) = bed.sync_once();
    assert_eq!(code, 1);
    let error = s["error"].as_str().unwrap();
    assert!(
        error.contains("refused the box's credentials") && error.contains("invalid_client"),
        "{error}"
    );
}
