//! What `bedside-call-server` keeps across a restart, in its state directory (`[state] dir`):
//!
//! - `invitations.json`: the family invitations ([`super::invitation::Book`]), written by the
//!   server after every change (issued, used, revoked). Codes are kept only as a keyed hash
//!   (HMAC-SHA256 under the token key), so the file alone lets nobody in.
//! - `revoked.json`: sign-ins ended before their time, by subject (a staff member's directory
//!   reference, or a token `bedside-call-server token` printed): every token of theirs issued
//!   before the moment given stops working, and live connections are cut. Written by
//!   `bedside-call-server revoke` (an administrator), read by the running server when it
//!   changes.
//!
//! Both are written whole to a temporary file, synced and renamed over the old one: a power
//! cut leaves the old file or the new one, never half of either.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The invitations' file in the state directory.
pub const INVITATIONS: &str = "invitations.json";
/// The revoked sign-ins' file in the state directory.
pub const REVOKED: &str = "revoked.json";

/// Writes `value` as JSON to `path` atomically (owner-only: it is the server's secret state).
pub fn save<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&text)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()
}

/// Reads `path` as JSON; a missing file is the empty value. A file that cannot be read is an
/// error (never silently an empty list: that would let revoked people back in).
pub fn load<T: Default + for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{} cannot be read: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(format!("{} cannot be read: {e}", path.display())),
    }
}

/// One revoked subject: its tokens issued before `before` (Unix seconds) are no good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub sub: String,
    pub before: i64,
}

/// The revoked sign-ins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub revoked: Vec<Revocation>,
}

impl Revoked {
    /// Revokes `sub`'s tokens issued up to `now` (a later revocation of the same subject
    /// moves its moment on).
    pub fn revoke(&mut self, sub: &str, now: i64) {
        let sub = sub.trim();
        match self.revoked.iter_mut().find(|r| r.sub == sub) {
            Some(r) => r.before = r.before.max(now + 1),
            None => self.revoked.push(Revocation {
                sub: sub.to_owned(),
                before: now + 1,
            }),
        }
    }

    /// Whether a token for `sub` issued at `iat` was revoked.
    pub fn is_revoked(&self, sub: &str, iat: i64) -> bool {
        self.revoked.iter().any(|r| r.sub == sub && iat < r.before)
    }

    /// Forgets revocations older than any token could be (`longest`: the longest a token
    /// lives, in seconds): the file does not grow for ever.
    pub fn prune(&mut self, now: i64, longest: i64) {
        self.revoked.retain(|r| r.before + longest > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_ends_the_tokens_issued_before_it_and_survives_a_write() {
        let mut revoked = Revoked::default();
        revoked.revoke("Practitioner/1", 1000);
        assert!(revoked.is_revoked("Practitioner/1", 999));
        assert!(
            revoked.is_revoked("Practitioner/1", 1000),
            "issued that second"
        );
        assert!(
            !revoked.is_revoked("Practitioner/1", 1001),
            "a sign-in after it"
        );
        assert!(!revoked.is_revoked("Practitioner/2", 999));
        revoked.revoke("Practitioner/1", 2000);
        assert_eq!(revoked.revoked.len(), 1);
        assert!(revoked.is_revoked("Practitioner/1", 1500));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join(REVOKED);
        assert_eq!(load::<Revoked>(&path).unwrap(), Revoked::default());
        save(&path, &revoked).unwrap();
        assert_eq!(load::<Revoked>(&path).unwrap(), revoked);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
        // A damaged file is an error, never "nobody revoked".
        fs::write(&path, b"{not json").unwrap();
        assert!(load::<Revoked>(&path).is_err());

        let mut old = Revoked::default();
        old.revoke("a", 0);
        old.revoke("b", 50_000);
        old.prune(50_000, 43_200);
        assert_eq!(old.revoked.len(), 1);
        assert_eq!(old.revoked[0].sub, "b");
    }
}
