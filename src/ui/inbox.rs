//! One way into the UI thread for everything the other threads produce: remote and keyboard
//! input, sync's news, the TV listings, the player's events, the call's views, a film's
//! captions. Each thread is handed a clone of the [`Inbox`] when it starts; nothing reaches the
//! UI through a thread-local or a free function.
//!
//! An `Inbox` is a channel plus a weak handle on the window: [`Inbox::send`] queues a message
//! and wakes the event loop, which drains the queue in order through `AppState.inbox()`, the
//! callback `App::new` wires to the controllers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

use slint::ComponentHandle;

use super::generated::{AppState, MainWindow};
use crate::input::engine::Output;
use crate::sync::status::SyncStatus;

/// Everything that can arrive at the UI thread.
pub enum Inbound {
    /// A button or a badge from an input device.
    Input(Output),
    /// [`Inbound::Input`], then `also` right after it is handled, in the same loop turn (the
    /// benchmarks time presses with it).
    InputThen(Output, Box<dyn FnOnce() + Send>),
    /// What sync found in its last pass.
    Sync(SyncStatus),
    /// New TV listings (lineup, guide, films).
    Listings(crate::media::service::Listings),
    /// The player's news (playing, failed, ended, position).
    Player(crate::media::player::Event),
    /// Where the call is now.
    Call(crate::call::service::CallView),
    /// A film's captions, read for the film of `generation`.
    Captions(u64, crate::media::captions::Captions),
    /// The staff directory's (or the offline check's) verdict on a badge and PIN.
    Staff(
        crate::domain::session::badge::BadgeKey,
        crate::domain::session::staff::Verdict,
    ),
    /// The staff lockouts the store kept from before this start.
    StaffLockouts(crate::domain::session::lockout::Lockouts),
    /// A PDF leaflet's page picture, read from disk for Learn.
    LeafletPage(std::path::PathBuf, super::learn::PagePicture),
    /// The call server's answer about a family member's invitation (by their key; `None`:
    /// it ended).
    Invitation(
        String,
        Result<Option<crate::call::invitation::Issued>, String>,
    ),
    /// Runs on the UI thread in its turn (tests and benchmarks stamp times with it).
    Run(Box<dyn FnOnce() + Send>),
    /// The system asks something of the app: stop (SIGTERM) or reload (D-Bus).
    System(crate::system::Request),
    /// The box's own network changed (NetworkManager).
    Network(crate::system::clients::Network),
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Inbound::Input(_) => "Input",
            Inbound::InputThen(..) => "InputThen",
            Inbound::Sync(_) => "Sync",
            Inbound::Listings(_) => "Listings",
            Inbound::Player(_) => "Player",
            Inbound::Call(_) => "Call",
            Inbound::Captions(..) => "Captions",
            Inbound::Staff(..) => "Staff",
            Inbound::StaffLockouts(..) => "StaffLockouts",
            Inbound::LeafletPage(..) => "LeafletPage",
            Inbound::Invitation(..) => "Invitation",
            Inbound::Run(_) => "Run",
            Inbound::System(_) => "System",
            Inbound::Network(_) => "Network",
        })
    }
}

/// More presses than this waiting for the UI thread: repeatable ones (a held arrow) are
/// dropped, so a flood of events cannot bury the UI under minutes of queued scrolling.
const MAX_UI_BACKLOG: usize = 32;

/// The cloneable, sendable handle every thread sends through.
#[derive(Clone)]
pub struct Inbox {
    tx: Sender<Inbound>,
    window: slint::Weak<MainWindow>,
    /// Input queued and not handled yet.
    input_in_flight: Arc<AtomicUsize>,
}

/// The UI thread's end: drained by `AppState.inbox()`.
pub struct Mailbox {
    rx: Receiver<Inbound>,
    input_in_flight: Arc<AtomicUsize>,
}

impl Inbox {
    /// An inbox for `window`, and the end the UI thread drains.
    pub fn new(window: &MainWindow) -> (Inbox, Mailbox) {
        let (tx, rx) = channel();
        let input_in_flight = Arc::new(AtomicUsize::new(0));
        (
            Inbox {
                tx,
                window: window.as_weak(),
                input_in_flight: input_in_flight.clone(),
            },
            Mailbox {
                rx,
                input_in_flight,
            },
        )
    }

    /// Queues `message` for the UI thread and wakes it. False when it was dropped: a repeat in
    /// a full input backlog, or the window (or its event loop) is gone.
    pub fn send(&self, message: Inbound) -> bool {
        let input = match &message {
            Inbound::Input(output) | Inbound::InputThen(output, _) => Some(output),
            _ => None,
        };
        if let Some(output) = input {
            let droppable = matches!(output, Output::Button(b) if b.repeats());
            if droppable && self.input_in_flight.load(Ordering::Relaxed) >= MAX_UI_BACKLOG {
                return false;
            }
            self.input_in_flight.fetch_add(1, Ordering::SeqCst);
        }
        let counted = input.is_some();
        if self.tx.send(message).is_err() {
            if counted {
                self.input_in_flight.fetch_sub(1, Ordering::SeqCst);
            }
            return false;
        }
        self.window
            .upgrade_in_event_loop(|window| window.global::<AppState>().invoke_inbox())
            .is_ok()
    }

    /// Input from a device thread.
    pub fn send_input(&self, output: Output) -> bool {
        self.send(Inbound::Input(output))
    }
}

impl Mailbox {
    /// The next message waiting, if any (on the UI thread).
    pub fn next(&self) -> Option<Inbound> {
        let message = self.rx.try_recv().ok()?;
        if matches!(message, Inbound::Input(_) | Inbound::InputThen(..)) {
            self.input_in_flight.fetch_sub(1, Ordering::SeqCst);
        }
        Some(message)
    }
}
