//! Keys from a keyboard-like device (the desktop window, a keyboard on the appliance) reach the
//! shell through Slint's own key events: the window's focus goes to the key handler, the key maps
//! to a Button, and the Button takes the same path as a remote's.
//!
//! One test in this file: Slint's platform can be installed once per process.

use bedside::domain::shell::Screen;
use bedside::ui::app::{App, TimeSource};
use slint::platform::{Key, WindowEvent, WindowEventDispatchResult};
use slint::{ComponentHandle, SharedString};

/// Presses and releases a key; returns whether the appliance took the press.
fn type_key(app: &App, key: impl Into<SharedString>) -> bool {
    let text: SharedString = key.into();
    let window = app.window().window();
    let pressed = window
        .dispatch_event_with_result(WindowEvent::KeyPressed { text: text.clone() })
        .unwrap();
    window
        .dispatch_event_with_result(WindowEvent::KeyReleased { text })
        .unwrap();
    pressed == WindowEventDispatchResult::Accepted
}

#[test]
fn keyboard_keys_drive_the_shell_like_a_remote() {
    let at = "2026-11-25T09:41".parse().unwrap();
    let (_headless, app) =
        bedside::launch::headless_demo((1920, 1080), TimeSource::Fixed(at)).unwrap();

    assert!(type_key(&app, Key::RightArrow));
    assert!(type_key(&app, Key::Return));
    assert_eq!(app.screen(), Screen::Learn);
    type_key(&app, Key::Escape);
    assert_eq!(app.screen(), Screen::Home);
    type_key(&app, Key::DownArrow);
    type_key(&app, Key::Return);
    assert_eq!(
        app.screen(),
        Screen::Ask,
        "focus was still on Learn, Down went to Ask"
    );
    type_key(&app, Key::Home);
    assert_eq!(app.screen(), Screen::Home);
    assert!(!type_key(&app, "q"), "unmapped keys are left to others");
    assert_eq!(app.screen(), Screen::Home, "unmapped keys do nothing");
}
