//! A Slint platform with no display: Slint's software renderer drawing into memory.
//!
//! It is what `bedside snapshot` and the benchmarks use, and it is the same renderer the
//! appliance uses on KMS, so a snapshot shows the pixels a patient would see. It has a real event
//! loop (timers, `invoke_from_event_loop`), and a clock that can be moved forward by hand so
//! snapshots are taken after animations and timers have settled, without waiting for them.

use std::cell::Cell;
use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{EventLoopProxy, Platform, PlatformError, WindowAdapter};
use slint::{PhysicalSize, Rgb8Pixel, SharedPixelBuffer};

type Job = Box<dyn FnOnce() + Send>;
/// Called after each frame drawn.
type FrameHook = Box<dyn Fn()>;

/// Work sent to the event loop from other threads, and the request to quit.
#[derive(Default)]
struct Queue {
    state: Mutex<QueueState>,
    wake: Condvar,
}

#[derive(Default)]
struct QueueState {
    jobs: VecDeque<Job>,
    quit: bool,
}

struct Proxy(Arc<Queue>);

impl EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), slint::EventLoopError> {
        self.0.state.lock().expect("queue lock").quit = true;
        self.0.wake.notify_one();
        Ok(())
    }

    fn invoke_from_event_loop(&self, job: Job) -> Result<(), slint::EventLoopError> {
        self.0.state.lock().expect("queue lock").jobs.push_back(job);
        self.0.wake.notify_one();
        Ok(())
    }
}

/// The parts shared between the installed platform and the [`Headless`] handle.
#[derive(Clone)]
struct Shared {
    window: Rc<MinimalSoftwareWindow>,
    frame: Rc<std::cell::RefCell<SharedPixelBuffer<Rgb8Pixel>>>,
    frames_drawn: Rc<Cell<u64>>,
    /// Called after each frame is drawn (benchmarks time presses with it).
    on_frame: Rc<std::cell::RefCell<Option<FrameHook>>>,
    start: Instant,
    skipped: Rc<Cell<Duration>>,
    queue: Arc<Queue>,
}

impl Shared {
    fn now(&self) -> Duration {
        self.start.elapsed() + self.skipped.get()
    }

    /// Runs the jobs queued so far. Returns whether quitting was requested.
    fn run_jobs(&self) -> bool {
        loop {
            let (job, quit) = {
                let mut state = self.queue.state.lock().expect("queue lock");
                (state.jobs.pop_front(), state.quit)
            };
            match job {
                Some(job) => job(),
                None => return quit,
            }
        }
    }

    /// Draws what changed since the last frame, or everything when `full`. Returns whether
    /// anything was drawn.
    fn draw(&self, full: bool) -> bool {
        if full {
            self.window.request_redraw();
        }
        let drawn = self.window.draw_if_needed(|renderer| {
            let mut frame = self.frame.borrow_mut();
            let stride = frame.width() as usize;
            if full {
                // A new buffer has no previous frame to reuse: the renderer paints every pixel.
                renderer.set_repaint_buffer_type(RepaintBufferType::NewBuffer);
            }
            renderer.render(frame.make_mut_slice(), stride);
            if full {
                renderer.set_repaint_buffer_type(RepaintBufferType::ReusedBuffer);
            }
        });
        if drawn {
            self.frames_drawn.set(self.frames_drawn.get() + 1);
            if let Some(f) = &*self.on_frame.borrow() {
                f();
            }
        }
        drawn
    }
}

struct HeadlessPlatform(Shared);

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.0.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.0.now()
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(Proxy(self.0.queue.clone())))
    }

    fn run_event_loop(&self) -> Result<(), PlatformError> {
        let shared = &self.0;
        loop {
            slint::platform::update_timers_and_animations();
            if shared.run_jobs() {
                shared.queue.state.lock().expect("queue lock").quit = false;
                return Ok(());
            }
            shared.draw(false);
            // Sleep until the next timer, or a frame's time while something animates, or until
            // another thread sends work. Nothing to do means no wake-ups at all.
            let wait = if shared.window.has_active_animations() {
                Some(Duration::from_millis(16))
            } else {
                slint::platform::duration_until_next_timer_update()
            };
            let state = shared.queue.state.lock().expect("queue lock");
            if state.jobs.is_empty() && !state.quit {
                match wait {
                    Some(wait) => drop(shared.queue.wake.wait_timeout(state, wait)),
                    None => drop(shared.queue.wake.wait(state)),
                }
            }
        }
    }
}

/// Handle to the installed headless platform.
pub struct Headless {
    shared: Shared,
}

impl Headless {
    /// Installs the headless platform for this thread with a window of `width`×`height` pixels.
    /// Must be called before any Slint component is created.
    pub fn install(width: u32, height: u32) -> Result<Headless, PlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
        window.set_size(PhysicalSize::new(width, height));
        let shared = Shared {
            window,
            frame: Rc::new(std::cell::RefCell::new(SharedPixelBuffer::new(
                width, height,
            ))),
            frames_drawn: Rc::new(Cell::new(0)),
            on_frame: Rc::default(),
            start: Instant::now(),
            skipped: Rc::new(Cell::new(Duration::ZERO)),
            queue: Arc::new(Queue::default()),
        };
        slint::platform::set_platform(Box::new(HeadlessPlatform(shared.clone())))
            .map_err(|e| PlatformError::Other(e.to_string()))?;
        Ok(Headless { shared })
    }

    /// Moves the clock forward by `by` at once, then runs the timers, animations and queued
    /// work that became due. Snapshots use this instead of sleeping.
    pub fn advance(&self, by: Duration) {
        self.shared.skipped.set(self.shared.skipped.get() + by);
        slint::platform::update_timers_and_animations();
        self.shared.run_jobs();
    }

    /// Runs the event loop for `real` wall-clock time: work sent from other threads (video
    /// frames, player events) is done and timers fire as they come due.
    pub fn run_for(&self, real: Duration) {
        let deadline = Instant::now() + real;
        loop {
            slint::platform::update_timers_and_animations();
            self.shared.run_jobs();
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let state = self.shared.queue.state.lock().expect("queue lock");
            if state.jobs.is_empty() {
                let wait = (deadline - now).min(Duration::from_millis(10));
                drop(self.shared.queue.wake.wait_timeout(state, wait));
            }
        }
        slint::platform::update_timers_and_animations();
        self.shared.run_jobs();
    }

    /// Draws what changed and returns whether anything was drawn.
    pub fn draw(&self) -> bool {
        self.shared.draw(false)
    }

    /// Marks the whole window dirty and draws it: the cost of a full frame.
    pub fn draw_full(&self) {
        self.shared.draw(true);
    }

    /// Calls `f` after each frame drawn from now on (None: no more).
    pub fn on_frame(&self, f: Option<FrameHook>) {
        *self.shared.on_frame.borrow_mut() = f;
    }

    /// How many frames have been drawn so far.
    pub fn frames_drawn(&self) -> u64 {
        self.shared.frames_drawn.get()
    }

    pub fn size(&self) -> (u32, u32) {
        let frame = self.shared.frame.borrow();
        (frame.width(), frame.height())
    }

    /// Draws anything pending and writes the frame as a PNG.
    pub fn write_png(&self, path: &Path) -> std::io::Result<()> {
        self.shared.draw(false);
        let (width, height) = self.size();
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer
            .write_image_data(self.shared.frame.borrow().as_bytes())
            .map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    }
}
