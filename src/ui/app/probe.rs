//! What tests and benchmarks read of the running shell: the greeting, the link shown, where
//! the patient is, the call and the video. Built only with the `probe` feature (tests and
//! benchmarks turn it on through the crate's dev-dependency on itself), never into the
//! appliance.

use slint::ComponentHandle;

use super::{App, Link};
use crate::domain::shell::Screen;
use crate::ui::generated::{self as ui, HeaderState};

impl App {
    /// The first name the header greets (empty for an empty bed), for tests.
    pub fn greeted_name(&self) -> String {
        self.window.global::<HeaderState>().get_first_name().into()
    }

    /// The link state the header shows, for tests.
    pub fn shown_link(&self) -> Link {
        match self.window.global::<HeaderState>().get_connection() {
            ui::Connection::Online => Link::Online,
            ui::Connection::Demo => Link::Demo,
            ui::Connection::Offline => Link::Offline,
            ui::Connection::Unconfigured => Link::Unconfigured,
        }
    }

    /// The volume the patient set, for tests.
    pub fn volume(&self) -> u8 {
        self.state.borrow().shell.volume()
    }

    /// Where the patient is, for tests and the benchmark.
    pub fn screen(&self) -> Screen {
        self.state.borrow().shell.screen()
    }

    /// Where the call is, for tests and the benchmark.
    pub fn call_phase(&self) -> crate::domain::call::Phase {
        self.state.borrow().call.phase()
    }

    /// The record view shown to the far end of the call now (its JSON), for tests.
    pub fn call_shared(&self) -> Option<String> {
        self.state.borrow().call.shared()
    }

    /// The invitation code of the `i`-th person on the family screen, once the server gave it.
    pub fn family_invitation_code(&self, i: usize) -> Option<String> {
        let state = self.state.borrow();
        let key = &state.record.family().get(i)?.key;
        match state.call.invited(key)? {
            crate::ui::call::Invited::Issued(issued) => Some(issued.code),
            _ => None,
        }
    }

    /// "Test my camera and sound" as the call thread last told of it, for tests; and whether
    /// the patient's own picture is on its screen.
    pub fn call_rehearsal(&self) -> (Option<crate::domain::call::rehearsal::Rehearsal>, bool) {
        let state = self.state.borrow();
        let g = self.window.global::<crate::ui::generated::CallState>();
        (
            state.call.rehearsal(),
            g.get_rehearsing() && g.get_has_own(),
        )
    }

    /// How many people Call lists, for tests.
    pub fn call_people(&self) -> usize {
        self.state.borrow().call.people()
    }

    /// A support desk is online for "Test call with support".
    pub fn call_support_online(&self) -> bool {
        self.state.borrow().call.support_online()
    }

    /// Pictures of the far end shown in this process, and when the last was.
    pub fn call_frames(&self) -> (u64, Option<std::time::Instant>) {
        crate::ui::call::remote_frames_shown()
    }

    /// Test only: the call thread, or the player's, fails as a bug in it would (see
    /// [`crate::supervise`]).
    #[doc(hidden)]
    pub fn fail_thread(&self, call: bool) {
        let st = self.state.borrow();
        if call {
            st.call.fail();
        } else {
            st.watch.fail();
        }
    }

    /// What Watch says instead of a picture, when it says something (tests).
    pub fn video_trouble(&self) -> Option<ui::Trouble> {
        let g = self.window.global::<ui::WatchState>();
        (g.get_video() == ui::VideoState::Trouble).then(|| g.get_trouble())
    }

    /// The generation of the stream the player plays now, and how many of its frames were
    /// shown, for tests and the benchmark.
    pub fn video(&self) -> (u64, u64) {
        let generation = self.state.borrow().watch.generation();
        let shown = crate::ui::watch::frames_shown(generation);
        (generation, shown)
    }
}
