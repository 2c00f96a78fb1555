//! Learn's material fetched ahead, so what the care team assigned plays and reads with the
//! backend down: videos and captions at an http(s) URL are copied here, and PDF leaflets
//! (at any URL, `file://` too) are drawn here page by page as pictures, each page whole and
//! at the wide width, for the screen to show without waiting on anything.
//!
//! One thread of its own: the sync loop tells it what the record asks for after each pass
//! ([`Cache::want`]), it fetches what is missing in list order (the next thing to do first),
//! records each piece in the store's `learn_cache` table and wakes the sync loop, which then
//! shows the assignments pointing at the copies ([`localize`]).
//!
//! - **Size**: at most `[learn] cache_mb`; when a new piece does not fit, the least recently
//!   wanted pieces the record no longer asks for go first; what the current list asks for is
//!   never evicted for a later item in it (that one is then not kept, and says so).
//! - **Safety**: a PDF is drawn by poppler's `pdftoppm` in a child process with a time limit
//!   and a memory limit, so a hostile or broken PDF kills a child, never the UI; pages are
//!   JPEG (quality 92: PNG encoding took 85 % of the time for the same page).
//! - **Privacy**: which leaflets a patient was given says something about them. Files have
//!   random names in a private folder of the data directory; which address is in which file
//!   is in the encrypted store; the folder and the index are erased at discharge
//!   ([`crate::store::db::Store::purge`]), and a piece fetched for a patient who left while it
//!   was arriving is thrown away. The journal never names an address or a title.
//! - **Power cuts**: a file is written under a temporary name and renamed, then indexed;
//!   anything in the folder that the index does not name is removed at start.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::domain::learn::{Assignment, Leaflet, Material, Progress};
use crate::fhir::learn::{MAX_TEXT, read_text};
use crate::store::db::{CachedMaterial, LEARN_CACHE_DIR, Store};
use crate::store::key::DbKey;
use crate::sync::client::{Client, Downloaded};

/// A leaflet longer than this is cut (with a line in the journal): a leaflet, not a book.
pub const MAX_PAGES: usize = 40;
/// How often the box asks whether a piece it has changed at its address (one conditional
/// request each; a leaflet corrected in place reaches the TV within this).
const REVALIDATE: Duration = Duration::from_secs(3600);
/// How long poppler may take over one page before it is stopped.
const RENDER_TIMEOUT: Duration = Duration::from_secs(20);
/// How much memory poppler may take (address space).
const RENDER_MEMORY: u64 = 1 << 30;
/// JPEG quality of the page pictures.
const QUALITY: u32 = 92;
/// The tallest a page picture is drawn (pixels).
const MAX_TALL: u32 = 6000;

/// Something the record asks for that the box should have at hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Want {
    pub url: String,
    /// A PDF to draw as pages (else a file to copy).
    pub leaflet: bool,
}

/// What the assignments ask to have at hand, the next thing to do first: the PDFs (at any
/// address) and the videos and captions at an http(s) one. Done assignments come last (they
/// may be opened again).
pub fn wanted(items: &[Assignment]) -> Vec<Want> {
    let mut out: Vec<Want> = Vec::new();
    let mut add = |url: &str, leaflet: bool| {
        if !out.iter().any(|w| w.url == url) {
            out.push(Want {
                url: url.to_owned(),
                leaflet,
            });
        }
    };
    for done in [false, true] {
        for item in items
            .iter()
            .filter(|a| (a.progress == Progress::Done) == done)
        {
            match &item.material {
                Material::Pdf { url, .. } => add(url, true),
                Material::Video { url, captions } => {
                    if remote(url) {
                        add(url, false);
                    }
                    if let Some(c) = captions.as_deref().filter(|c| remote(c)) {
                        add(c, false);
                    }
                }
                Material::Text { url, .. } => {
                    if remote(url) {
                        add(url, false);
                    }
                }
                Material::Document(_) | Material::None => {}
            }
        }
    }
    out
}

/// An address the box fetches: http(s), or relative to the FHIR server (`Binary/123`).
fn remote(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://") || relative(url)
}

/// A relative reference to a resource on the FHIR server, `Type/id` (`Binary/123`): a type
/// name and an id as FHIR writes them, nothing else (no paths, no `..`, no `#contained`).
fn relative(url: &str) -> bool {
    let Some((kind, id)) = url.split_once('/') else {
        return false;
    };
    kind.len() > 1
        && kind.starts_with(|c: char| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphabetic())
        && (1..=64).contains(&id.len())
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Points the assignments at what the cache holds: a video or its captions at the copy, a PDF
/// at its pages; a text leaflet is read from the copy into blocks.
pub fn localize(items: &mut [Assignment], index: &[CachedMaterial], data_dir: &Path) {
    let folder = data_dir.join(LEARN_CACHE_DIR);
    let by_url: HashMap<&str, &CachedMaterial> =
        index.iter().map(|m| (m.url.as_str(), m)).collect();
    let copy = |url: &mut String| {
        if let Some(m) = by_url.get(url.as_str()).filter(|m| m.kind == KIND_FILE) {
            *url = format!("file://{}", folder.join(&m.name).display());
        }
    };
    for item in items {
        match &mut item.material {
            Material::Video { url, captions } => {
                copy(url);
                if let Some(c) = captions {
                    copy(c);
                }
            }
            Material::Pdf { url, leaflet } => {
                if let Some(m) = by_url.get(url.as_str()).filter(|m| m.kind == KIND_LEAFLET) {
                    *leaflet = Some(Leaflet {
                        dir: folder.join(&m.name),
                        heights: m.pages.clone(),
                    });
                }
            }
            // Only what the cache fetched: a `file://` text leaflet is never read (its text is
            // put on screen, and a record must not be able to show any file the box can read).
            Material::Text { url, format } => {
                let path = by_url
                    .get(url.as_str())
                    .filter(|m| m.kind == KIND_FILE)
                    .map(|m| folder.join(&m.name));
                let bytes = path.and_then(|p| read_capped(&p, MAX_TEXT as u64 + 1).ok());
                if let Some(bytes) = bytes {
                    item.material = Material::Document(read_text(*format, &bytes));
                }
            }
            Material::Document(_) | Material::None => {}
        }
    }
}

/// The largest Binary resource (JSON) unwrapped into its content.
const MAX_BINARY_JSON: u64 = 64 << 20;

/// A FHIR server may answer a `Binary/123` read with the Binary resource (JSON, its content
/// in `data`) rather than the content itself: the file then becomes that content.
fn unwrap_binary(path: &Path) -> Result<(), CacheError> {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    // No material the box shows (PDF, video, captions, text) is a JSON object.
    let json_like = head[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if !json_like {
        return Ok(());
    }
    // The JSON is read whole: not for a large Binary on a small box.
    if std::fs::metadata(path)?.len() > MAX_BINARY_JSON {
        return Err(CacheError::Unusable(
            "a Binary resource too large to unwrap; serve its content instead".into(),
        ));
    }
    let Ok(binary) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(path)?) else {
        return Ok(());
    };
    if binary["resourceType"] != "Binary" {
        return Ok(());
    }
    use base64::Engine as _;
    let Some(data) = binary["data"].as_str() else {
        return Err(CacheError::Unusable("a Binary without its data".into()));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| CacheError::Unusable("a Binary whose data is not base64".into()))?;
    let mut file = private_file(path)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    Ok(())
}

/// At most `limit` bytes of a file.
fn read_capped(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

const KIND_FILE: &str = "file";
const KIND_LEAFLET: &str = "leaflet";

/// Why a piece could not be fetched or drawn (for the journal: never the address).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("fetching: {0}")]
    Fetch(#[from] crate::sync::SyncError),
    #[error("the cache folder: {0}")]
    Io(#[from] std::io::Error),
    #[error("the store: {0}")]
    Store(#[from] crate::store::db::StoreError),
    /// poppler could not read it, gave up, or took too long: not a PDF this box can show.
    #[error("the PDF cannot be drawn: {0}")]
    Pdf(String),
    #[error("it is larger than the cache ({0} MB)")]
    TooLarge(u64),
    /// The server's answer is not the material (a Binary without content, say).
    #[error("the server's answer is not usable: {0}")]
    Unusable(String),
}

enum Job {
    /// The record of this admission (its Encounter id) asks for these.
    Want(Option<String>, Vec<Want>),
}

/// The handle the sync loop keeps; dropping it stops the thread after the piece in hand.
pub struct Cache {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    last: std::cell::RefCell<Option<(Option<String>, Vec<Want>)>>,
    /// When the list was last sent: it goes again after [`REVALIDATE`], to ask the servers
    /// whether what the box has changed.
    sent: std::cell::Cell<Option<Instant>>,
    /// Something asked for last is not here yet (it failed, and is tried again later).
    incomplete: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Cache {
    /// Starts the thread. None when nothing is to be kept: no store (the built-in demo), no
    /// backend, or `cache_mb = 0`. `wake` runs when a piece has arrived (the sync loop shows
    /// the record again).
    pub fn spawn(config: &Config, wake: Box<dyn Fn() + Send>) -> Option<Cache> {
        let worker = Worker::new(config, wake)?;
        let incomplete = worker.incomplete.clone();
        let stop = worker.stop.clone();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("learn-cache".into())
            .spawn(move || worker.run(&rx))
            .map_err(|e| tracing::error!(error = %e, "cannot start Learn's cache"))
            .ok()?;
        Some(Cache {
            tx: Some(tx),
            thread: Some(thread),
            last: std::cell::RefCell::new(None),
            sent: std::cell::Cell::new(None),
            incomplete,
            stop,
        })
    }

    /// The record of admission `encounter` now asks for these (sent on when it changed, or
    /// when something asked for before is still missing: it is tried again, after a while).
    pub fn want(&self, encounter: Option<String>, wants: Vec<Want>) {
        let now = (encounter, wants);
        let recent = self.sent.get().is_some_and(|at| at.elapsed() < REVALIDATE);
        if self.last.borrow().as_ref() == Some(&now)
            && !self.incomplete.load(Ordering::Relaxed)
            && recent
        {
            return;
        }
        *self.last.borrow_mut() = Some(now.clone());
        self.sent.set(Some(Instant::now()));
        if let Some(tx) = &self.tx {
            let _ = tx.send(Job::Want(now.0, now.1));
        }
    }
}

impl Drop for Cache {
    /// Stops the thread without waiting for it: a download may take minutes, and stopping the
    /// appliance must not. What it leaves half-written is swept at the next start.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tx.take();
        self.thread.take();
    }
}

struct Worker {
    dir: PathBuf,
    key_file: PathBuf,
    backend: crate::config::Backend,
    cap: u64,
    store: Option<Store>,
    client: Option<Client>,
    /// Addresses that failed, when, and how often: tried again after a while that grows.
    failed: HashMap<String, (Instant, u32)>,
    /// The folder has been cleared of what the index does not name.
    swept: bool,
    incomplete: Arc<AtomicBool>,
    /// The appliance is stopping: no new piece is started.
    stop: Arc<AtomicBool>,
    wake: Box<dyn Fn() + Send>,
}

/// Brings the cache up to date with what the stored record asks for, on the calling thread
/// (`bedside sync --once`, after its pass). Whether everything asked for is here; Ok(true)
/// when nothing is to be kept (no backend, `cache_mb = 0`) or nobody is admitted.
pub fn fill_once(config: &Config) -> Result<bool, CacheError> {
    let Some(mut worker) = Worker::new(config, Box::new(|| {})) else {
        return Ok(true);
    };
    let store = worker.store()?;
    let Some(admission) = store.admission()? else {
        return Ok(true);
    };
    let items =
        crate::fhir::learn::assignments(&|kind: &str| store.resources(kind).unwrap_or_default());
    worker.fill(Some(&admission.encounter), &wanted(&items))
}

impl Worker {
    fn new(config: &Config, wake: Box<dyn Fn() + Send>) -> Option<Worker> {
        let backend = config.backend.clone()?;
        let key_file = config.store.key_file.clone()?;
        if config.learn.cache_mb == 0 {
            return None;
        }
        Some(Worker {
            incomplete: Arc::new(AtomicBool::new(false)),
            stop: Arc::new(AtomicBool::new(false)),
            dir: config.store.data_dir.clone(),
            key_file,
            backend,
            cap: config.learn.cache_mb.saturating_mul(1 << 20),
            store: None,
            client: None,
            failed: HashMap::new(),
            swept: false,
            wake,
        })
    }

    fn run(mut self, rx: &Receiver<Job>) {
        while let Ok(job) = rx.recv() {
            // Only the latest list matters.
            let Job::Want(mut encounter, mut wants) = job;
            while let Ok(Job::Want(e, w)) = rx.try_recv() {
                (encounter, wants) = (e, w);
            }
            let complete = match self.fill(encounter.as_deref(), &wants) {
                Ok(complete) => complete,
                Err(e) => {
                    tracing::warn!(error = %e, "Learn's cache could not be brought up to date");
                    false
                }
            };
            self.incomplete.store(!complete, Ordering::Relaxed);
        }
    }

    fn folder(&self) -> PathBuf {
        self.dir.join(LEARN_CACHE_DIR)
    }

    fn store(&mut self) -> Result<&mut Store, CacheError> {
        if self.store.is_none() {
            let key = DbKey::from_file(&self.key_file)
                .map_err(|e| CacheError::Io(std::io::Error::other(e.to_string())))?;
            self.store = Some(Store::open_shared(&self.dir, &key)?);
        }
        Ok(self.store.as_mut().expect("opened"))
    }

    /// Brings the cache up to date with what admission `encounter`'s record asks for; whether
    /// everything asked for is here now.
    fn fill(&mut self, encounter: Option<&str>, wants: &[Want]) -> Result<bool, CacheError> {
        let mut index = self.store()?.learn_cache()?;
        // An entry whose file is gone (erased by hand, a failed purge) is missing again.
        let folder = self.folder();
        let (kept, lost): (Vec<_>, Vec<_>) = index
            .into_iter()
            .partition(|m| folder.join(&m.name).exists());
        for m in &lost {
            self.store()?.learn_cache_forget(&m.url)?;
        }
        index = kept;
        if !self.swept || index.is_empty() {
            self.sweep(&index);
            self.swept = true;
        }
        let have: HashSet<&str> = index.iter().map(|m| m.url.as_str()).collect();
        let now = jiff::Timestamp::now().as_second();
        let present: Vec<&str> = wants
            .iter()
            .map(|w| w.url.as_str())
            .filter(|u| have.contains(u))
            .collect();
        self.store()?.learn_cache_touch(&present, now)?;
        // What is missing, then what the box has but has not asked about for a while (and
        // can ask about: the server gave it an ETag or a Last-Modified).
        let mut work: Vec<(Want, Option<CachedMaterial>)> = wants
            .iter()
            .filter(|w| !have.contains(w.url.as_str()))
            .map(|w| (w.clone(), None))
            .collect();
        for want in wants {
            let stale = index.iter().find(|m| {
                m.url == want.url
                    && remote(&m.url)
                    && (m.etag.is_some() || m.modified.is_some())
                    // (less a margin: the list is sent again every REVALIDATE, a moment
                    // after the piece was last checked)
                    && now - m.checked >= REVALIDATE.as_secs() as i64 - 300
            });
            if let Some(m) = stale {
                work.push((want.clone(), Some(m.clone())));
            }
        }
        drop(index);
        let mut complete = true;
        for (want, previous) in work {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            if let Some((at, n)) = self.failed.get(&want.url)
                && at.elapsed() < Duration::from_secs(60 << (*n).min(6))
            {
                complete = false;
                continue;
            }
            if encounter.is_none() {
                return Ok(true);
            }
            let started = Instant::now();
            match self.fetch(&want, previous.as_ref()) {
                Ok(None) => {
                    self.failed.remove(&want.url);
                    self.store()?.learn_cache_checked(&want.url, now)?;
                }
                Ok(Some(piece)) => {
                    self.failed.remove(&want.url);
                    let Some(encounter) = encounter else {
                        remove(&self.folder().join(&piece.name));
                        return Ok(true);
                    };
                    let Some(kept) = self.keep(piece, wants, encounter)? else {
                        // The patient left while it arrived: not theirs to keep, nor the next
                        // patient's.
                        return Ok(true);
                    };
                    tracing::info!(
                        leaflet = want.leaflet,
                        kept,
                        ms = started.elapsed().as_millis() as u64,
                        "Learn material fetched ahead"
                    );
                    if kept {
                        // A changed piece has replaced the copy the box had in the index: its
                        // files go (a player that has the old one open keeps reading it).
                        if let Some(old) = &previous {
                            remove(&self.folder().join(&old.name));
                        }
                        (self.wake)();
                    } else {
                        // No room beside what the list asks for: not fetched again at every
                        // pass, only after a while (the list may have changed by then).
                        complete = false;
                        self.failed.insert(want.url.clone(), (Instant::now(), 3));
                    }
                }
                Err(e) => {
                    complete = false;
                    let n = self.failed.get(&want.url).map_or(0, |(_, n)| n + 1);
                    self.failed.insert(want.url.clone(), (Instant::now(), n));
                    tracing::warn!(error = %e, leaflet = want.leaflet, "Learn material cannot be fetched ahead");
                }
            }
        }
        Ok(complete)
    }

    /// Makes room for `piece` and records it for admission `encounter`: Some(false) (and the
    /// piece removed, nothing evicted) when it does not fit beside what the list asks for;
    /// None (and the piece removed) when that patient is no longer here.
    fn keep(
        &mut self,
        piece: CachedMaterial,
        wants: &[Want],
        encounter: &str,
    ) -> Result<Option<bool>, CacheError> {
        let folder = self.folder();
        let cap = self.cap;
        let store = self.store()?;
        let index = store.learn_cache()?;
        let wanted: HashSet<&str> = wants.iter().map(|w| w.url.as_str()).collect();
        let total: u64 = index.iter().map(|m| m.bytes).sum();
        // Least recently wanted first (the index comes in that order); never what the list
        // asks for.
        let evictable: Vec<&CachedMaterial> = index
            .iter()
            .filter(|m| !wanted.contains(m.url.as_str()))
            .collect();
        let freeable: u64 = evictable.iter().map(|m| m.bytes).sum();
        if total.saturating_sub(freeable) + piece.bytes > cap {
            remove(&folder.join(&piece.name));
            tracing::warn!(
                cap_mb = cap >> 20,
                needs_mb = piece.bytes.div_ceil(1 << 20),
                "Learn's cache is full of what the patient has to do; a piece is not kept"
            );
            return Ok(Some(false));
        }
        let mut total = total;
        for m in evictable {
            if total + piece.bytes <= cap {
                break;
            }
            store.learn_cache_forget(&m.url)?;
            remove(&folder.join(&m.name));
            total -= m.bytes;
        }
        if !store.learn_cache_put_for(encounter, &piece)? {
            remove(&folder.join(&piece.name));
            return Ok(None);
        }
        Ok(Some(true))
    }

    /// Removes what the folder holds that the index does not name (left by a power cut, or by
    /// a store that was set aside).
    fn sweep(&self, index: &[CachedMaterial]) {
        let named: HashSet<&str> = index.iter().map(|m| m.name.as_str()).collect();
        let Ok(entries) = std::fs::read_dir(self.folder()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !named.contains(name.to_string_lossy().as_ref()) {
                remove(&entry.path());
            }
        }
    }

    /// Fetches (and for a PDF, draws) one piece into the folder under a new random name.
    /// Fetches (and draws) a piece under a new name. With `previous` (the copy the box has),
    /// the server is asked whether it changed: Ok(None) when it has not.
    fn fetch(
        &mut self,
        want: &Want,
        previous: Option<&CachedMaterial>,
    ) -> Result<Option<CachedMaterial>, CacheError> {
        let folder = self.folder();
        crate::store::db::private_dir(&folder)?;
        let name = uuid::Uuid::new_v4().simple().to_string();
        let limit = self.cap;
        let known = previous.map_or((None, None), |p| (p.etag.as_deref(), p.modified.as_deref()));
        let mut said = (None, None);
        let downloaded = if remote(&want.url) {
            let part = folder.join(format!("{name}.part"));
            let result = self.download(&want.url, limit, &part, known);
            let result = match result {
                Ok(Some(d)) => unwrap_binary(&part).map(|()| Some(d)),
                other => other,
            };
            match result {
                // A server that ignores If-None-Match but names the same version.
                Ok(Some(d)) if d.etag.is_some() && d.etag.as_deref() == known.0 => {
                    remove(&part);
                    return Ok(None);
                }
                Ok(Some(d)) => said = (d.etag, d.modified),
                Ok(None) => {
                    remove(&part);
                    return Ok(None);
                }
                Err(e) => {
                    remove(&part);
                    return Err(e);
                }
            }
            Some(part)
        } else {
            None
        };
        let now = jiff::Timestamp::now().as_second();
        if !want.leaflet {
            let part = downloaded.expect("only remote files are copied");
            let target = folder.join(&name);
            std::fs::rename(&part, &target)?;
            let bytes = std::fs::metadata(&target)?.len();
            return Ok(Some(CachedMaterial {
                url: want.url.clone(),
                name,
                kind: KIND_FILE.into(),
                bytes,
                pages: Vec::new(),
                used: now,
                etag: said.0,
                modified: said.1,
                checked: now,
            }));
        }
        let source = match &downloaded {
            Some(p) => p.clone(),
            None => local_path(&want.url).ok_or_else(|| {
                CacheError::Pdf("its address is neither http(s) nor a local file".into())
            })?,
        };
        let pages_dir = folder.join(format!("{name}.drawing"));
        let drawn = draw(&source, &pages_dir);
        if let Some(p) = &downloaded {
            remove(p);
        }
        let heights = match drawn {
            Ok(h) => h,
            Err(e) => {
                remove(&pages_dir);
                return Err(e);
            }
        };
        let target = folder.join(&name);
        std::fs::rename(&pages_dir, &target)?;
        let bytes = folder_size(&target);
        if bytes > limit {
            remove(&target);
            return Err(CacheError::TooLarge(limit >> 20));
        }
        Ok(Some(CachedMaterial {
            url: want.url.clone(),
            name,
            kind: KIND_LEAFLET.into(),
            bytes,
            pages: heights,
            used: now,
            etag: said.0,
            modified: said.1,
            checked: now,
        }))
    }

    fn download(
        &mut self,
        url: &str,
        limit: u64,
        to: &Path,
        known: (Option<&str>, Option<&str>),
    ) -> Result<Option<Downloaded>, CacheError> {
        if self.client.is_none() {
            self.client = Some(Client::new(&self.backend)?);
        }
        let client = self.client.as_mut().expect("made");
        let mut file = private_file(to)?;
        let got = client.download(url, limit, &mut file, known)?;
        file.flush()?;
        file.sync_all()?;
        Ok(got)
    }
}

/// Draws each page of `pdf` into `out` (made here): `whole-NNN.jpg` to fit the screen's
/// height (or its width, for a wide page) and `wide-NNN.jpg` at [`Leaflet::WIDE`] pixels
/// across. Returns the wide pictures' heights.
pub fn draw(pdf: &Path, out: &Path) -> Result<Vec<u32>, CacheError> {
    crate::store::db::private_dir(out)?;
    let info = run_poppler(Command::new("pdfinfo").arg("--").arg(pdf))?;
    let count: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| CacheError::Pdf("it says nothing of its pages".into()))?;
    if count == 0 {
        return Err(CacheError::Pdf("it has no pages".into()));
    }
    if count > MAX_PAGES {
        tracing::warn!(
            pages = count,
            shown = MAX_PAGES,
            "a leaflet is longer than the box shows; cut"
        );
    }
    let mut heights = Vec::new();
    for n in 1..=count.min(MAX_PAGES) {
        let page = n.to_string();
        let draw_one =
            |prefix: &str, scale: [(&str, String); 2]| -> Result<(u32, u32), CacheError> {
                let base = out.join(format!("{prefix}-{n:03}"));
                let mut cmd = Command::new("pdftoppm");
                cmd.args(["-jpeg", "-jpegopt"])
                    .arg(format!("quality={QUALITY}"))
                    .args(["-f", &page, "-l", &page, "-singlefile"]);
                for (flag, value) in &scale {
                    cmd.arg(flag).arg(value);
                }
                cmd.arg("--").arg(pdf).arg(&base);
                run_poppler(&mut cmd)?;
                let file = base.with_extension("jpg");
                image::image_dimensions(&file)
                    .map_err(|e| CacheError::Pdf(format!("page {n} was not drawn: {e}")))
            };
        let (_, mut h) = draw_one(
            "wide",
            [
                ("-scale-to-x", Leaflet::WIDE.to_string()),
                ("-scale-to-y", "-1".into()),
            ],
        )?;
        if h > MAX_TALL {
            // A page far taller than it is wide (a poster, a long strip): drawn narrower so
            // its picture stays under MAX_TALL pixels (it shows a little soft at the wide
            // width), so three in memory stay under 100 MB.
            let (w2, h2) = draw_one(
                "wide",
                [
                    ("-scale-to-x", "-1".into()),
                    ("-scale-to-y", MAX_TALL.to_string()),
                ],
            )?;
            h = (u64::from(h2) * u64::from(Leaflet::WIDE) / u64::from(w2.max(1))) as u32;
        }
        let (w, _) = draw_one(
            "whole",
            [
                ("-scale-to-x", "-1".into()),
                ("-scale-to-y", Leaflet::WHOLE.to_string()),
            ],
        )?;
        if w > Leaflet::WIDE {
            // A landscape page: whole means as wide as the screen allows.
            draw_one(
                "whole",
                [
                    ("-scale-to-x", Leaflet::WIDE.to_string()),
                    ("-scale-to-y", "-1".into()),
                ],
            )?;
        }
        heights.push(h);
    }
    Ok(heights)
}

/// Runs a poppler tool with a time and a memory limit, at a low priority; its output, or why
/// it failed.
fn run_poppler(cmd: &mut Command) -> Result<String, CacheError> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec only async-signal-safe calls are made (setrlimit and
    // setpriority are system calls), touching nothing of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: RENDER_MEMORY,
                rlim_max: RENDER_MEMORY,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::setpriority(libc::PRIO_PROCESS, 0, 10);
            // Gone with the appliance if it is killed.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| CacheError::Pdf(format!("poppler cannot be started: {e}")))?;
    // Read the pipes on threads of their own so a chatty child never blocks on them.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut s);
        s
    });
    let deadline = Instant::now() + RENDER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(CacheError::Io(e));
            }
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(CacheError::Pdf(format!(
                "poppler took longer than {} s",
                RENDER_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.join().unwrap_or_default();
    // What poppler says names the file (and so the leaflet): never passed on.
    let _ = err.join();
    if !status.success() {
        return Err(CacheError::Pdf(format!(
            "poppler could not read it ({status})"
        )));
    }
    Ok(stdout)
}

/// The path of a `file:` URL (`file:///p`, `file://localhost/p`, `file:/p`, percent-encoded),
/// or of an absolute path given as it is; None for anything else (another scheme, a relative
/// reference).
fn local_path(url: &str) -> Option<PathBuf> {
    let path = if let Some(rest) = url.strip_prefix("file://") {
        rest.strip_prefix("localhost").unwrap_or(rest)
    } else if let Some(rest) = url.strip_prefix("file:") {
        rest
    } else {
        url
    };
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
}

fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// Removes a file or a folder, whichever it is; what is already gone is fine.
fn remove(path: &Path) {
    let _ = std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_pdf() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/learn-hand-hygiene.pdf")
    }

    #[test]
    fn each_page_is_drawn_whole_and_wide() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pages");
        let heights = draw(&demo_pdf(), &out).unwrap();
        // A4 (595 x 842 pt) at the wide width, and whole at the view's height.
        let a4 = |across: u32| across * 842 / 595;
        assert_eq!(heights.len(), 2);
        for (n, h) in (1..=2).zip(&heights) {
            assert!(h.abs_diff(a4(Leaflet::WIDE)) <= 1, "{h}");
            let (w, h2) = image::image_dimensions(out.join(format!("wide-{n:03}.jpg"))).unwrap();
            assert_eq!((w, h2), (Leaflet::WIDE, *h));
            let (w, h) = image::image_dimensions(out.join(format!("whole-{n:03}.jpg"))).unwrap();
            assert_eq!(h, Leaflet::WHOLE);
            assert!(w.abs_diff(Leaflet::WHOLE * 595 / 842) <= 1, "{w}");
        }
        // The page is drawn, not blank: the first page's heading is dark blue on a light
        // panel near its top.
        let page = image::open(out.join("wide-001.jpg")).unwrap().to_rgb8();
        let dark = page
            .rows()
            .take(400)
            .flatten()
            .filter(|p| p.0[0] < 80 && p.0[2] > 60)
            .count();
        assert!(
            dark > 2000,
            "the heading is drawn ({dark} dark blue pixels)"
        );
    }

    #[test]
    fn what_is_not_a_pdf_is_refused_with_a_reason_and_leaves_nothing_drawn() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in [
            ("garbage.pdf", b"<html>not a leaflet</html>".to_vec()),
            (
                "truncated.pdf",
                std::fs::read(demo_pdf()).unwrap()[..900].to_vec(),
            ),
            ("empty.pdf", Vec::new()),
        ] {
            let pdf = dir.path().join(name);
            std::fs::write(&pdf, bytes).unwrap();
            let out = dir.path().join(format!("{name}.pages"));
            let err = draw(&pdf, &out).unwrap_err();
            assert!(matches!(err, CacheError::Pdf(_)), "{name}: {err}");
        }
        let absent = dir.path().join("absent-leaflet.pdf");
        let missing = draw(&absent, &dir.path().join("x"));
        assert!(matches!(missing, Err(CacheError::Pdf(_))));
        assert!(
            !missing.unwrap_err().to_string().contains("absent-leaflet"),
            "the reason never names the file"
        );
    }

    /// A worker on a fresh store in `dir`, keeping at most `cap` bytes.
    fn worker(dir: &Path, cap: u64) -> Worker {
        let key_file = dir.join("key");
        std::fs::write(&key_file, "5e".repeat(32)).unwrap();
        let key = DbKey::from_file(&key_file).unwrap();
        let (mut store, _) = Store::open(&dir.join("data"), &key).unwrap();
        let admission = crate::store::db::Admission {
            encounter: "enc-1".into(),
            patient: "pat-1".into(),
        };
        store.replace_chart(&admission, &[], "c").unwrap();
        Worker {
            dir: dir.join("data"),
            key_file,
            backend: toml::from_str("url = \"http://127.0.0.1:9/fhir\"").unwrap(),
            cap,
            store: None,
            client: None,
            failed: HashMap::new(),
            swept: false,
            incomplete: Arc::new(AtomicBool::new(false)),
            stop: Arc::new(AtomicBool::new(false)),
            wake: Box::new(|| {}),
        }
    }

    fn piece(w: &Worker, url: &str, bytes: u64, used: i64) -> CachedMaterial {
        let name = uuid::Uuid::new_v4().simple().to_string();
        crate::store::db::private_dir(&w.folder()).unwrap();
        std::fs::write(w.folder().join(&name), vec![0u8; bytes as usize]).unwrap();
        CachedMaterial {
            url: url.into(),
            name,
            kind: KIND_FILE.into(),
            bytes,
            pages: vec![],
            used,
            etag: None,
            modified: None,
            checked: 0,
        }
    }

    fn want(urls: &[&str]) -> Vec<Want> {
        urls.iter()
            .map(|u| Want {
                url: (*u).into(),
                leaflet: false,
            })
            .collect()
    }

    fn kept(w: &mut Worker) -> Vec<String> {
        let mut urls: Vec<String> = w
            .store()
            .unwrap()
            .learn_cache()
            .unwrap()
            .into_iter()
            .map(|m| m.url)
            .collect();
        urls.sort();
        urls
    }

    #[test]
    fn the_least_recently_wanted_goes_first_and_what_the_list_asks_for_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = worker(dir.path(), 100);
        let list = want(&["https://h/a", "https://h/b", "https://h/new"]);
        // Two the list still asks for, two it no longer does (the older one used first).
        for (url, used) in [
            ("https://h/a", 5),
            ("https://h/b", 1),
            ("https://h/old", 2),
            ("https://h/older", 1),
        ] {
            let p = piece(&w, url, 20, used);
            w.store().unwrap().learn_cache_put(&p).unwrap();
        }
        // 80 kept; 30 more needs 10 freed: the older of the two not asked for goes.
        let p = piece(&w, "https://h/new", 30, 9);
        assert_eq!(w.keep(p, &list, "enc-1").unwrap(), Some(true));
        assert_eq!(
            kept(&mut w),
            [
                "https://h/a",
                "https://h/b",
                "https://h/new",
                "https://h/old"
            ]
        );
        // 90 kept; 50 more does not fit beside what the list asks for (70) even with the
        // other one gone: it is not kept, its file is gone, and nothing was evicted for it.
        let list = want(&[
            "https://h/a",
            "https://h/b",
            "https://h/new",
            "https://h/big",
        ]);
        let p = piece(&w, "https://h/big", 50, 9);
        let file = w.folder().join(&p.name);
        assert_eq!(w.keep(p, &list, "enc-1").unwrap(), Some(false));
        assert!(!file.exists());
        assert_eq!(
            kept(&mut w),
            [
                "https://h/a",
                "https://h/b",
                "https://h/new",
                "https://h/old"
            ]
        );
        // Only the files the index names are left.
        let files = std::fs::read_dir(w.folder()).unwrap().count();
        assert_eq!(files, 4);
    }

    #[test]
    fn a_piece_that_arrives_after_the_patient_left_is_thrown_away() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = worker(dir.path(), 100);
        let p = piece(&w, "https://h/a", 10, 1);
        let file = w.folder().join(&p.name);
        // Discharged while it arrived.
        assert!(w.store().unwrap().purge().unwrap());
        assert!(!w.folder().exists(), "the purge erased the folder");
        crate::store::db::private_dir(&w.folder()).unwrap();
        std::fs::write(&file, b"late").unwrap();
        assert_eq!(w.keep(p, &want(&["https://h/a"]), "enc-1").unwrap(), None);
        assert!(!file.exists());
        assert!(kept(&mut w).is_empty());
    }

    #[test]
    fn only_type_slash_id_is_taken_as_on_the_fhir_server() {
        for yes in ["Binary/123", "Binary/a-b.c", "DocumentReference/x"] {
            assert!(relative(yes) && remote(yes), "{yes}");
        }
        for no in [
            "#bin",
            "Binary/../x",
            "Binary/..",
            "binary/1",
            "/etc/passwd",
            "Binary/",
            "Binary/a/b",
            "x",
            "file:///etc/passwd",
        ] {
            assert!(!relative(no), "{no}");
        }
    }

    #[test]
    fn file_addresses_are_read_as_paths_and_nothing_else_is() {
        for (url, path) in [
            ("file:///media/a%20b.pdf", Some("/media/a b.pdf")),
            ("file://localhost/media/x.pdf", Some("/media/x.pdf")),
            ("file:/media/x.pdf", Some("/media/x.pdf")),
            ("/media/x.pdf", Some("/media/x.pdf")),
            ("Binary/123", None),
            ("ftp://h/x.pdf", None),
            ("@media/x.pdf", None),
        ] {
            assert_eq!(local_path(url), path.map(PathBuf::from), "{url}");
        }
    }

    #[test]
    fn what_the_index_does_not_name_is_swept_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = worker(dir.path(), 100);
        let p = piece(&w, "https://h/a", 10, 1);
        w.store().unwrap().learn_cache_put(&p).unwrap();
        // Left by a power cut: a part download and a half-drawn leaflet.
        std::fs::write(w.folder().join("abc.part"), b"x").unwrap();
        std::fs::create_dir(w.folder().join("abc.drawing")).unwrap();
        let index = w.store().unwrap().learn_cache().unwrap();
        w.sweep(&index);
        let left: Vec<String> = std::fs::read_dir(w.folder())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [p.name]);
    }

    fn assignment(material: Material, progress: Progress) -> Assignment {
        Assignment {
            task: "t".into(),
            title: String::new(),
            description: String::new(),
            progress,
            due: None,
            assigned_by: String::new(),
            minutes: None,
            material,
            quiz: None,
            in_language: true,
            topic: Vec::new(),
            based_on: None,
            answers: Vec::new(),
            source: None,
            from_request: false,
        }
    }

    #[test]
    fn pdfs_and_remote_videos_are_wanted_the_next_to_do_first_and_found_again() {
        let items = vec![
            assignment(
                Material::Pdf {
                    url: "https://h/done.pdf".into(),
                    leaflet: None,
                },
                Progress::Done,
            ),
            assignment(
                Material::Video {
                    url: "https://h/v.mp4".into(),
                    captions: Some("https://h/v.vtt".into()),
                },
                Progress::New,
            ),
            assignment(
                Material::Video {
                    url: "file:///media/local.mp4".into(),
                    captions: None,
                },
                Progress::New,
            ),
            assignment(
                Material::Pdf {
                    url: "file:///media/l.pdf".into(),
                    leaflet: None,
                },
                Progress::Started,
            ),
        ];
        let wants = wanted(&items);
        let urls: Vec<(&str, bool)> = wants.iter().map(|w| (w.url.as_str(), w.leaflet)).collect();
        assert_eq!(
            urls,
            [
                ("https://h/v.mp4", false),
                ("https://h/v.vtt", false),
                ("file:///media/l.pdf", true),
                ("https://h/done.pdf", true),
            ],
            "a local video plays where it is; what is done comes last"
        );
        let index = vec![
            CachedMaterial {
                url: "https://h/v.mp4".into(),
                name: "abc".into(),
                kind: KIND_FILE.into(),
                bytes: 10,
                pages: vec![],
                used: 1,
                etag: None,
                modified: None,
                checked: 0,
            },
            CachedMaterial {
                url: "file:///media/l.pdf".into(),
                name: "def".into(),
                kind: KIND_LEAFLET.into(),
                bytes: 10,
                pages: vec![2434, 1000],
                used: 1,
                etag: None,
                modified: None,
                checked: 0,
            },
        ];
        let mut items = items;
        localize(&mut items, &index, Path::new("/data"));
        assert_eq!(
            items[1].material,
            Material::Video {
                url: "file:///data/learn-cache/abc".into(),
                captions: Some("https://h/v.vtt".into()),
            },
            "the copy plays; captions not fetched yet still come from their address"
        );
        assert_eq!(
            items[3].material,
            Material::Pdf {
                url: "file:///media/l.pdf".into(),
                leaflet: Some(Leaflet {
                    dir: "/data/learn-cache/def".into(),
                    heights: vec![2434, 1000],
                }),
            }
        );
        assert_eq!(
            items[0].material,
            Material::Pdf {
                url: "https://h/done.pdf".into(),
                leaflet: None
            }
        );
    }
}
