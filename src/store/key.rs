//! The database key, read from a file (in production a systemd credential, never on the image).

use std::path::{Path, PathBuf};

/// The key SQLCipher opens the database with. Never printed: `Debug` shows only its kind.
pub struct DbKey(Kind);

enum Kind {
    /// 32 raw bytes as 64 hex digits: used as the key itself, no key derivation at open.
    Raw(String),
    /// Any other text of 16+ characters: SQLCipher derives the key (PBKDF2, slower to open).
    Passphrase(String),
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Kind::Raw(_) => "DbKey(raw)",
            Kind::Passphrase(_) => "DbKey(passphrase)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("cannot read the database key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database key file {0} is too weak: put 64 hex digits in it (`openssl rand -hex 32`) \
         or a passphrase of at least 16 characters"
    )]
    Weak(PathBuf),
}

impl DbKey {
    pub fn from_file(path: &Path) -> Result<DbKey, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.to_owned(),
            source,
        })?;
        DbKey::from_text(text.trim()).ok_or_else(|| KeyError::Weak(path.to_owned()))
    }

    pub fn from_text(text: &str) -> Option<DbKey> {
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Some(DbKey(Kind::Raw(text.to_ascii_lowercase())))
        } else if text.chars().count() >= 16 {
            Some(DbKey(Kind::Passphrase(text.to_owned())))
        } else {
            None
        }
    }

    /// The key's material, to derive other secrets from (the privacy PIN's hashing key).
    pub fn material(&self) -> &[u8] {
        match &self.0 {
            Kind::Raw(text) | Kind::Passphrase(text) => text.as_bytes(),
        }
    }

    /// The value for `PRAGMA key`, in SQLCipher's syntax.
    pub(super) fn pragma_value(&self) -> String {
        match &self.0 {
            Kind::Raw(hex) => format!("x'{hex}'"),
            Kind::Passphrase(p) => p.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_keys_and_passphrases() {
        let hex = "a".repeat(64);
        assert_eq!(
            DbKey::from_text(&hex).unwrap().pragma_value(),
            format!("x'{hex}'")
        );
        assert_eq!(
            DbKey::from_text("correct horse battery staple")
                .unwrap()
                .pragma_value(),
            "correct horse battery staple"
        );
        assert!(DbKey::from_text("short").is_none());
        assert!(DbKey::from_text("").is_none());
        let shown = format!("{:?}", DbKey::from_text(&hex).unwrap());
        assert!(!shown.contains("aaaa"), "{shown}");
    }
}
