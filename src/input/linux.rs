//! Live devices: `/dev/input/event*` found at start and as they come and go, classified, grabbed
//! exclusively, and read. Kept thin on purpose: the build machines have no `/dev/input`, so this
//! file is verified on hardware only; everything it feeds ([`Engine`]) is tested from bytes.
//!
//! Threads: `input-hotplug` watches `/dev/input` (and the keymap folder) with inotify and opens
//! devices, retrying those that fail with a growing pause; one `input-eventN` thread per device
//! reads and decodes its records; `input-engine` runs the [`Engine`] on a monotonic clock and
//! hands every [`Output`] to `deliver`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inotify::{Inotify, WatchMask};

use super::device::{DeviceClass, DeviceInfo, InputId};
use super::engine::{DeviceId, Engine, Output};
use super::event::{Decoder, RawEvent};
use super::keymap::Keymap;

const INPUT_DIR: &str = "/dev/input";
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);

enum Msg {
    Open {
        id: DeviceId,
        info: DeviceInfo,
        class: DeviceClass,
    },
    Events {
        id: DeviceId,
        events: Vec<RawEvent>,
        at: Instant,
    },
    Gone {
        id: DeviceId,
    },
    Keymap(Keymap),
}

/// Starts reading input devices for the life of the process.
pub fn start(
    keymap: Keymap,
    keymap_dir: Option<PathBuf>,
    deliver: impl Fn(Output) + Send + 'static,
) -> std::io::Result<()> {
    // Bounded: a device flooding faster than the engine keeps up blocks its reader, the kernel's
    // buffer overflows, and the engine sees SYN_DROPPED instead of memory growing.
    let (tx, rx) = mpsc::sync_channel::<Msg>(1024);
    let engine = Engine::new(keymap.clone());
    std::thread::Builder::new()
        .name("input-engine".into())
        .spawn(move || run_engine(engine, rx, deliver))?;
    let inotify = Inotify::init()?;
    inotify.watches().add(
        INPUT_DIR,
        WatchMask::CREATE | WatchMask::ATTRIB | WatchMask::DELETE,
    )?;
    if let Some(dir) = &keymap_dir {
        inotify.watches().add(
            dir,
            WatchMask::CLOSE_WRITE | WatchMask::MOVED_TO | WatchMask::DELETE | WatchMask::CREATE,
        )?;
    }
    std::thread::Builder::new()
        .name("input-hotplug".into())
        .spawn(move || Hotplug::new(tx, keymap, keymap_dir).run(inotify))?;
    Ok(())
}

/// Reads one already-open stream of `input_event` records (a pipe, say) through the same reader,
/// channel and engine threads as a live device, as a device of `class`. Returns when the threads
/// are started; the engine thread ends when the stream does. For benchmarks of the live path.
pub fn start_stream(
    stream: impl Read + Send + 'static,
    info: DeviceInfo,
    class: DeviceClass,
    keymap: Keymap,
    deliver: impl Fn(Output) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (tx, rx) = mpsc::sync_channel::<Msg>(1024);
    let engine = Engine::new(keymap);
    let handle = std::thread::Builder::new()
        .name("input-engine".into())
        .spawn(move || run_engine(engine, rx, deliver))?;
    let _ = tx.send(Msg::Open { id: 1, info, class });
    std::thread::Builder::new()
        .name("input-stream".into())
        .spawn(move || {
            let mut stream = stream;
            if let Err(e) = read_stream(1, &mut stream, Decoder::default(), &tx) {
                tracing::warn!(error = %e, "input stream failed");
            }
            let _ = tx.send(Msg::Gone { id: 1 });
        })?;
    Ok(handle)
}

fn run_engine(mut engine: Engine, rx: Receiver<Msg>, deliver: impl Fn(Output)) {
    let start = Instant::now();
    let mut out = Vec::new();
    loop {
        let msg = match engine.next_deadline() {
            Some(deadline) => {
                let wait = deadline.saturating_sub(start.elapsed());
                rx.recv_timeout(wait)
            }
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match msg {
            Ok(Msg::Open { id, info, class }) => engine.add(id, info, class),
            Ok(Msg::Events { id, events, at }) => {
                let now = at.duration_since(start);
                for event in events {
                    engine.event(id, event, now, &mut out);
                }
            }
            Ok(Msg::Gone { id }) => engine.remove(id),
            Ok(Msg::Keymap(keymap)) => engine.set_keymap(keymap),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        engine.due(start.elapsed(), &mut out);
        out.drain(..).for_each(&deliver);
    }
}

struct Hotplug {
    tx: SyncSender<Msg>,
    /// The keymaps in use, which decide whether a device is ours (as the engine's copy decides
    /// what its keys mean).
    keymap: Keymap,
    keymap_dir: Option<PathBuf>,
    next_id: DeviceId,
    /// Nodes being read; a reader removes its node when it stops.
    open: Arc<Mutex<HashSet<PathBuf>>>,
    /// Nodes that are not ours (power buttons, mice), left alone until they go.
    ignored: HashSet<PathBuf>,
    /// Nodes that failed, with when to try again and the pause after that.
    retry: HashMap<PathBuf, (Instant, Duration)>,
    /// Failures already logged, so a retry loop does not fill the journal.
    reported: HashSet<(PathBuf, String)>,
}

impl Hotplug {
    fn new(tx: SyncSender<Msg>, keymap: Keymap, keymap_dir: Option<PathBuf>) -> Self {
        Hotplug {
            tx,
            keymap,
            keymap_dir,
            next_id: 1,
            open: Arc::default(),
            ignored: HashSet::new(),
            retry: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    fn run(mut self, mut inotify: Inotify) {
        self.scan();
        let mut buffer = [0u8; 4096];
        loop {
            let wait = self
                .retry
                .values()
                .map(|(at, _)| at.saturating_duration_since(Instant::now()))
                .min()
                .unwrap_or(LAST_RETRY);
            let mut pollfd = libc::pollfd {
                fd: inotify.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut pollfd, 1, wait.as_millis().min(60_000) as i32) };
            let mut keymaps_changed = false;
            if pollfd.revents & libc::POLLIN != 0 {
                match inotify.read_events(&mut buffer) {
                    Ok(events) => {
                        for e in events {
                            let node = e.name.filter(|n| n.to_string_lossy().starts_with("event"));
                            match node {
                                // A node that goes is forgotten, so a new device that gets its
                                // name is looked at afresh.
                                Some(n) if e.mask.contains(inotify::EventMask::DELETE) => {
                                    let path = Path::new(INPUT_DIR).join(n);
                                    self.ignored.remove(&path);
                                    self.retry.remove(&path);
                                }
                                Some(_) => {}
                                None => keymaps_changed = true,
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "inotify read failed"),
                }
            }
            if keymaps_changed {
                self.reload_keymaps();
            }
            // Every wake-up (a change, a retry due, or a minute of quiet) looks for nodes that
            // are not being read: new devices, and devices whose reader stopped on an error.
            self.scan();
            let due: Vec<PathBuf> = self
                .retry
                .iter()
                .filter(|(_, (at, _))| *at <= Instant::now())
                .map(|(p, _)| p.clone())
                .collect();
            for path in due {
                self.try_open(&path);
            }
        }
    }

    fn reload_keymaps(&mut self) {
        let Some(dir) = &self.keymap_dir else { return };
        match Keymap::load_dir(dir) {
            Ok(keymap) => {
                tracing::info!(dir = %dir.display(), "keymaps reloaded");
                self.keymap = keymap.clone();
                // Devices left alone under the old keymaps may be ours now.
                self.ignored.clear();
                let _ = self.tx.send(Msg::Keymap(keymap));
            }
            Err(e) => tracing::warn!(error = %e, "keymaps not reloaded; the previous ones stay"),
        }
    }

    fn scan(&mut self) {
        let Ok(entries) = std::fs::read_dir(INPUT_DIR) else {
            return;
        };
        let mut nodes: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("event"))
            })
            .collect();
        nodes.sort();
        self.retry.retain(|p, _| p.exists());
        self.ignored.retain(|p| p.exists());
        let open = self.open.lock().expect("open set").clone();
        for node in nodes {
            if !open.contains(&node)
                && !self.ignored.contains(&node)
                && !self.retry.contains_key(&node)
            {
                self.try_open(&node);
            }
        }
    }

    fn try_open(&mut self, path: &Path) {
        match open_device(path) {
            Ok(Some((device, info))) => {
                let engine_class = self.keymap.classify(&info);
                if engine_class == DeviceClass::Other {
                    // Not ours: leave it for whoever wants it, and do not try again.
                    tracing::debug!(name = %info.name, "input device left alone");
                    self.retry.remove(path);
                    self.ignored.insert(path.to_owned());
                    return;
                }
                let mut device = device;
                if let Err(e) = device.grab() {
                    self.failed(path, format!("cannot grab it exclusively: {e}"));
                    return;
                }
                let id = self.next_id;
                self.next_id += 1;
                self.retry.remove(path);
                self.open.lock().expect("open set").insert(path.to_owned());
                let _ = self.tx.send(Msg::Open {
                    id,
                    info,
                    class: engine_class,
                });
                let tx = self.tx.clone();
                let open = self.open.clone();
                let node = path.to_owned();
                let name = format!(
                    "input-{}",
                    node.file_name().unwrap_or_default().to_string_lossy()
                );
                let spawned = std::thread::Builder::new().name(name).spawn(move || {
                    read_device(id, device, &tx);
                    let _ = tx.send(Msg::Gone { id });
                    open.lock().expect("open set").remove(&node);
                });
                if let Err(e) = spawned {
                    self.open.lock().expect("open set").remove(path);
                    self.failed(path, format!("cannot start its reader: {e}"));
                }
            }
            Ok(None) => {}
            Err(e) => self.failed(path, e.to_string()),
        }
    }

    fn failed(&mut self, path: &Path, why: String) {
        if self.reported.insert((path.to_owned(), why.clone())) {
            tracing::warn!(node = %path.display(), reason = %why, "input device not read; will retry");
        }
        let pause = self
            .retry
            .get(path)
            .map_or(FIRST_RETRY, |(_, p)| (*p * 2).min(LAST_RETRY));
        self.retry
            .insert(path.to_owned(), (Instant::now() + pause, pause));
    }
}

/// Opens a node and reads what it says about itself. `Ok(None)` for a node that vanished.
fn open_device(path: &Path) -> std::io::Result<Option<(evdev::Device, DeviceInfo)>> {
    let device = match evdev::Device::open(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let id = device.input_id();
    let info = DeviceInfo {
        name: device.name().unwrap_or("").to_owned(),
        id: InputId {
            bus: id.bus_type().0,
            vendor: id.vendor(),
            product: id.product(),
            version: id.version(),
        },
        keys: device
            .supported_keys()
            .map(|keys| keys.iter().map(|k| k.code()).collect())
            .unwrap_or_default(),
        udev: udev_properties(path),
    };
    Ok(Some((device, info)))
}

/// The udev properties of a node (empty where there is no udev database).
fn udev_properties(path: &Path) -> BTreeMap<String, String> {
    let Some(sysname) = path.file_name() else {
        return BTreeMap::new();
    };
    udev::Device::from_subsystem_sysname("input".into(), sysname.to_string_lossy().into_owned())
        .map(|d| {
            d.properties()
                .map(|p| {
                    (
                        p.name().to_string_lossy().into_owned(),
                        p.value().to_string_lossy().into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads and decodes records until the device goes away or fails.
fn read_device(id: DeviceId, device: evdev::Device, tx: &SyncSender<Msg>) {
    // The grab belongs to the open file, which this duplicate shares; `device` stays alive
    // until the reading stops.
    let mut file = match device.as_fd().try_clone_to_owned() {
        Ok(fd) => std::fs::File::from(fd),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read input device");
            return;
        }
    };
    if let Err(e) = read_stream(id, &mut file, Decoder::native(), tx) {
        // ENODEV when unplugged; anything else is a faulty device: dropped, and the hotplug
        // thread tries it again if the node is still there.
        tracing::debug!(error = %e, name = device.name().unwrap_or(""), "input device stopped");
    }
}

/// Reads records from `stream` and sends them to the engine, stamped with the time they were
/// read, until the stream ends (Ok) or fails.
fn read_stream(
    id: DeviceId,
    stream: &mut impl Read,
    mut decoder: Decoder,
    tx: &SyncSender<Msg>,
) -> std::io::Result<()> {
    let mut buffer = [0u8; 64 * 24];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                let mut events = Vec::with_capacity(n / 16);
                decoder.push(&buffer[..n], &mut events);
                let msg = Msg::Events {
                    id,
                    events,
                    at: Instant::now(),
                };
                if tx.send(msg).is_err() {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
