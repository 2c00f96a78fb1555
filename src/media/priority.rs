//! The screen outranks the pictures: GStreamer's streaming threads run at a lower CPU priority
//! than the UI thread.
//!
//! On two cores a 1080p decode, its colour conversion and the copy to the UI keep both cores
//! busy for part of every frame. At equal priority the UI thread then waits its turn, and a
//! press answered while a picture decodes is drawn late (a press → frame p99 of 10 ms was
//! measured here with video playing full screen). Raised nice values on the streaming threads
//! let the kernel run the UI thread first whenever both want a core; the pictures lose nothing
//! the eye sees, since the UI thread is idle between presses and frames.
//!
//! How: a bus sync handler sees each streaming thread's `STREAM_STATUS` *enter* message, which
//! GStreamer posts from that very thread, and raises the thread's nice value. Threads that a
//! decoder or converter starts later (libav's slice threads, the converter's workers) inherit
//! it. Sound output threads keep the normal priority: a late sound buffer is heard, a late
//! picture is not. Raising a nice value needs no privilege; the appliance's service user has
//! none.

use gstreamer as gst;
use gstreamer::prelude::*;

/// The nice value of streaming threads (the UI thread keeps 0). 10 gives a thread about a
/// tenth of the UI thread's weight when both are runnable.
pub const MEDIA_NICE: i32 = 10;

/// Whether a `STREAM_STATUS` message is a streaming thread starting whose priority should be
/// lowered: any but an audio sink's (or source's) own ring-buffer thread.
fn lowers(message: &gst::Message) -> bool {
    let gst::MessageView::StreamStatus(status) = message.view() else {
        return false;
    };
    let (kind, owner) = status.get();
    if kind != gst::StreamStatusType::Enter {
        return false;
    }
    let klass = owner
        .factory()
        .and_then(|f| f.metadata("klass").map(str::to_owned))
        .unwrap_or_default();
    !klass.contains("Audio") || !(klass.contains("Sink") || klass.contains("Source"))
}

/// Lowers the calling thread's priority to [`MEDIA_NICE`] unless it is already that low.
pub fn lower_this_thread() {
    // SAFETY: gettid and getpriority/setpriority on the calling thread's own id take no
    // pointers; failure only leaves the priority as it was.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if now < MEDIA_NICE {
            libc::setpriority(libc::PRIO_PROCESS, tid, MEDIA_NICE);
        }
    }
}

/// Called from a bus sync handler with every message: lowers the thread a streaming thread's
/// enter message comes from.
pub fn on_message(message: &gst::Message) {
    if lowers(message) {
        lower_this_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn nice_of(tid: libc::id_t) -> i32 {
        // SAFETY: as in lower_this_thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, tid) }
    }

    /// Sound threads keep their priority; only a thread's *enter* message lowers it.
    #[test]
    fn which_threads_are_lowered() {
        gst::init().unwrap();
        let status = |kind, factory: &str| {
            let owner = gst::ElementFactory::make(factory).build().unwrap();
            gst::message::StreamStatus::new(kind, &owner)
        };
        assert!(lowers(&status(
            gst::StreamStatusType::Enter,
            "videotestsrc"
        )));
        assert!(lowers(&status(gst::StreamStatusType::Enter, "queue")));
        assert!(!lowers(&status(
            gst::StreamStatusType::Enter,
            "audiotestsrc"
        )));
        assert!(!lowers(&status(
            gst::StreamStatusType::Create,
            "videotestsrc"
        )));
        assert!(!lowers(&gst::message::Eos::new()));
    }

    /// A real pipeline: its streaming thread ends up at MEDIA_NICE, the thread that built it
    /// keeps its own priority.
    #[test]
    fn streaming_threads_run_below_the_ui() {
        gst::init().unwrap();
        let pipeline = gst::parse::launch("videotestsrc num-buffers=30 ! fakesink name=sink")
            .unwrap()
            .downcast::<gst::Pipeline>()
            .unwrap();
        let bus = pipeline.bus().unwrap();
        bus.set_sync_handler(|_, m| {
            on_message(m);
            gst::BusSyncReply::Pass
        });
        let seen: Arc<Mutex<Vec<i32>>> = Arc::default();
        let sink = pipeline.by_name("sink").unwrap();
        sink.set_property("signal-handoffs", true);
        let s = seen.clone();
        sink.connect("handoff", false, move |_| {
            // SAFETY: as in lower_this_thread.
            let tid = unsafe { libc::gettid() } as libc::id_t;
            s.lock().unwrap().push(nice_of(tid));
            None
        });
        // SAFETY: as above.
        let own = nice_of(unsafe { libc::gettid() } as libc::id_t);
        pipeline.set_state(gst::State::Playing).unwrap();
        bus.timed_pop_filtered(gst::ClockTime::from_seconds(10), &[gst::MessageType::Eos])
            .expect("the pipeline ends");
        pipeline.set_state(gst::State::Null).unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 30);
        assert!(seen.iter().all(|&n| n == MEDIA_NICE.max(own)), "{seen:?}");
        assert_eq!(nice_of(unsafe { libc::gettid() } as libc::id_t), own);
    }
}
