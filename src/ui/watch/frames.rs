//! Video frames from the player to the screen (the newest kept, the UI woken to show it), and the player's events into the inbox.

use super::*;
use crate::ui::convert::pixels;

/// The frame sink: copies each frame into a pixel buffer, keeps only the newest, and wakes the
/// UI thread to show it unless it is already due to.
pub(super) fn frame_sink(window: &MainWindow, wanted: Arc<AtomicU64>) -> FrameSink {
    type Slot = Arc<Mutex<Option<(u64, SharedPixelBuffer<Rgb8Pixel>)>>>;
    let slot: Slot = Arc::default();
    let due = Arc::new(AtomicBool::new(false));
    let weak = window.as_weak();
    Arc::new(move |frame: player::Frame<'_>| {
        if frame.generation != wanted.load(Ordering::SeqCst) {
            return;
        }
        let buffer = pixels(&frame);
        *slot.lock().expect("frame slot") = Some((frame.generation, buffer));
        if !due.swap(true, Ordering::SeqCst) {
            let (slot, due, wanted) = (slot.clone(), due.clone(), wanted.clone());
            let _ = weak.upgrade_in_event_loop(move |window| {
                due.store(false, Ordering::SeqCst);
                if let Some((generation, buffer)) = slot.lock().expect("frame slot").take()
                    && generation == wanted.load(Ordering::SeqCst)
                {
                    let w = window.global::<WatchState>();
                    w.set_frame(slint::Image::from_rgb8(buffer));
                    frame_shown(generation);
                }
            });
        }
    })
}

pub(super) fn event_sink(inbox: &crate::ui::inbox::Inbox) -> player::EventSink {
    let inbox = inbox.clone();
    Arc::new(move |event: Event| {
        inbox.send(crate::ui::inbox::Inbound::Player(event));
    })
}

thread_local! {
    /// The generation of the last frame shown and how many of its frames were shown (the UI
    /// thread's own count, for tests and the benchmark).
    static FRAMES_SHOWN: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A frame of `generation` went on screen.
fn frame_shown(generation: u64) {
    FRAMES_SHOWN.with(|f| {
        let (g, n) = f.get();
        f.set(if g == generation {
            (g, n + 1)
        } else {
            (generation, 1)
        });
    });
}

/// How many frames of `generation` have been shown (0 when the last one shown was another's).
pub fn frames_shown(generation: u64) -> u64 {
    FRAMES_SHOWN.with(|f| {
        let (g, n) = f.get();
        if g == generation { n } else { 0 }
    })
}
