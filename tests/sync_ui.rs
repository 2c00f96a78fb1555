//! The running appliance follows the backend: sync on its own thread, the UI told through the
//! event loop. Admission greets the patient, discharge returns the bed to its welcome within
//! seconds and forgets the patient's choices. One test: one Slint platform per process.

mod common;

use std::time::{Duration, Instant};

use bedside::domain::button::Button;
use bedside::domain::shell::Screen;
use bedside::launch::Setup;
use bedside::ui::app::{App, Link, TimeSource};
use bedside::ui::headless::Headless;
use common::fhir::{Bed, FhirServer};
use common::{Picture, assert_golden};
use slint::ComponentHandle;

fn wait_for(
    headless: &Headless,
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
        headless.advance(Duration::from_millis(20));
    }
    started.elapsed()
}

fn picture(headless: &Headless, dir: &std::path::Path, name: &str) -> Picture {
    headless.draw();
    let path = dir.join(format!("{name}.png"));
    headless.write_png(&path).unwrap();
    Picture::read(&path)
}

#[test]
fn admission_and_discharge_reach_the_screen() {
    let server = FhirServer::start();
    let (_, encounter, _) = server.admit_synthea("Sina");
    let bed = Bed::new(&server.base);
    let setup = Setup::load(Some(&bed.config), false).unwrap();
    assert_eq!(
        setup.context.link,
        Link::Offline,
        "nothing known before sync"
    );

    let headless = Headless::install(1920, 1080).unwrap();
    let at = common::NOW.parse().unwrap();
    let app = App::new(setup.context, setup.settings, TimeSource::Fixed(at)).unwrap();
    app.window().show().unwrap();
    let inbox = app.inbox();
    let _sync = bedside::sync::service::spawn(setup.config.clone(), move |status| {
        inbox.send(bedside::ui::inbox::Inbound::Sync(status));
    });

    wait_for(
        &headless,
        "the admitted patient",
        Duration::from_secs(20),
        || app.greeted_name() == "Sina" && app.shown_link() == Link::Online,
    );
    assert_golden(
        "sync-home-admitted",
        &picture(&headless, bed.dir.path(), "admitted"),
    );

    // The sync thread fails (a test-only switch standing in for a bug): the header says at once
    // that the record is not being kept up to date, the patient's name stays; the thread
    // starts again and the bed is back online, still syncing (the discharge below).
    _sync.send(bedside::sync::service::Command::Fail);
    wait_for(
        &headless,
        "offline after the failure",
        Duration::from_secs(5),
        || app.shown_link() == Link::Offline,
    );
    assert_eq!(app.greeted_name(), "Sina");
    wait_for(&headless, "online again", Duration::from_secs(20), || {
        app.shown_link() == Link::Online
    });

    // The patient wanders off Home and turns the sound up.
    app.press(Button::Right);
    app.press(Button::Ok);
    app.press(Button::VolumeUp);
    app.press(Button::VolumeUp);
    assert_eq!(app.screen(), Screen::Learn);
    let louder = app.volume();

    server.seed(&["discharge", "--encounter", &encounter]);
    let took = wait_for(&headless, "the empty bed", Duration::from_secs(10), || {
        app.greeted_name().is_empty()
    });
    // Poll every 2 s here, and the purge within the pass.
    assert!(took < Duration::from_secs(2 + 5), "{took:?}");
    assert_eq!(app.screen(), Screen::Home, "back to the welcome");
    assert!(
        app.volume() < louder,
        "the next patient starts at the default volume"
    );
    assert_golden(
        "sync-home-after-discharge",
        &picture(&headless, bed.dir.path(), "discharged"),
    );
    let status = bed.status();
    assert_eq!(status["patient_present"], false);
    assert_eq!(status["counts"], serde_json::json!({}));
}
