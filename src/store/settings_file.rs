//! The patient's display settings in `<data_dir>/settings.toml`.
//!
//! Written atomically (temporary file, fsync, rename, fsync of the directory) so a power cut
//! leaves either the old or the new settings, never half a file. A file that cannot be read is
//! set aside and the defaults are used: a bad settings file must never keep the TV from starting.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::domain::privacy::PinKey;
use crate::domain::settings::Settings;

pub const FILE_NAME: &str = "settings.toml";

/// Where settings live, or nowhere (the demo without a config file), and the key the privacy
/// PIN kept in them is hashed under.
#[derive(Clone, Debug)]
pub struct SettingsFile {
    path: Option<PathBuf>,
    pin_key: PinKey,
}

impl SettingsFile {
    /// Settings in `data_dir`. The PIN key lasts for this run until [`Self::with_pin_secret`]
    /// gives a lasting one.
    pub fn in_dir(data_dir: &Path) -> Self {
        SettingsFile {
            path: Some(data_dir.join(FILE_NAME)),
            pin_key: PinKey::random(),
        }
    }

    /// Keeps settings in memory only.
    pub fn none() -> Self {
        SettingsFile {
            path: None,
            pin_key: PinKey::random(),
        }
    }

    /// Hashes the privacy PIN under a key derived from `secret` (the store's key), so a PIN
    /// outlives a restart while a copy of the file alone does not reveal it.
    pub fn with_pin_secret(mut self, secret: &[u8]) -> Self {
        self.pin_key = PinKey::derive(secret);
        self
    }

    pub fn pin_key(&self) -> PinKey {
        self.pin_key.clone()
    }

    /// The saved settings, or the defaults when there are none or they cannot be read.
    pub fn load(&self) -> Settings {
        let Some(path) = &self.path else {
            return Settings::default();
        };
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Settings::default(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read settings; using defaults");
                return Settings::default();
            }
        };
        match toml::from_str(&text) {
            Ok(settings) => settings,
            Err(e) => {
                let aside = path.with_extension("toml.bad");
                tracing::warn!(
                    path = %path.display(),
                    aside = %aside.display(),
                    error = %e.message(),
                    "settings file is damaged; set aside, using defaults"
                );
                let _ = fs::rename(path, &aside);
                Settings::default()
            }
        }
    }

    /// Saves atomically. Creates the data directory (owner-only) if needed.
    pub fn save(&self, settings: &Settings) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let dir = path.parent().expect("settings path has a directory");
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let tmp = path.with_extension("toml.tmp");
        let text = toml::to_string(settings).expect("settings always serialise");
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    }
}

/// Saves settings on a thread of its own, so the UI thread never waits on the disk (an fsync on
/// eMMC can take tens of milliseconds). When several saves queue up only the newest is written.
/// Dropping the writer waits for the last save, so a clean exit never loses a change.
pub struct SettingsWriter {
    tx: Option<mpsc::Sender<Settings>>,
    thread: Option<JoinHandle<()>>,
}

impl SettingsWriter {
    pub fn spawn(file: SettingsFile) -> Self {
        let (tx, rx) = mpsc::channel::<Settings>();
        let thread = std::thread::Builder::new()
            .name("settings-writer".into())
            .spawn(move || {
                while let Ok(mut newest) = rx.recv() {
                    newest = rx.try_iter().last().unwrap_or(newest);
                    if let Err(e) = file.save(&newest) {
                        tracing::error!(error = %e, "cannot save settings; the change lasts until restart");
                    }
                }
            })
            .expect("spawn the settings writer thread");
        SettingsWriter {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn save(&self, settings: Settings) {
        if let Some(tx) = &self.tx {
            // The thread only ends when we drop the sender, so sending cannot fail here.
            let _ = tx.send(settings);
        }
    }
}

impl Drop for SettingsWriter {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::settings::{Contrast, TextSize};

    #[test]
    fn saved_settings_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(&dir.path().join("state"));
        assert_eq!(file.load(), Settings::default(), "nothing saved yet");
        let s = Settings {
            text_size: TextSize::Large,
            contrast: Contrast::High,
            captions: true,
            ..Settings::default()
        };
        file.save(&s).unwrap();
        assert_eq!(file.load(), s);
        assert!(!dir.path().join("state/settings.toml.tmp").exists());
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("settings.toml"), "text_size = \x00garbage").unwrap();
        let file = SettingsFile::in_dir(dir.path());
        assert_eq!(file.load(), Settings::default());
        assert!(dir.path().join("settings.toml.bad").exists());
        assert!(!dir.path().join("settings.toml").exists());
    }

    #[test]
    fn the_writer_saves_the_newest_settings_before_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let writer = SettingsWriter::spawn(SettingsFile::in_dir(dir.path()));
        let mut s = Settings::default();
        for _ in 0..10 {
            s.captions = !s.captions;
            writer.save(s.clone());
        }
        s.text_size = TextSize::Large;
        writer.save(s.clone());
        drop(writer);
        assert_eq!(SettingsFile::in_dir(dir.path()).load(), s);
    }

    #[test]
    fn in_memory_settings_touch_no_disk() {
        let file = SettingsFile::none();
        file.save(&Settings::default()).unwrap();
        assert_eq!(file.load(), Settings::default());
    }
}
