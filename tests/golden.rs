//! Golden pictures of every screen and state at 1920x1080, driven by remote buttons through
//! `bedside snapshot`. Regenerate with `BEDSIDE_UPDATE_GOLDEN=1 cargo test --test golden`, then
//! look at every changed PNG in tests/golden/ before committing it.

mod common;

use common::{assert_golden, demo, empty_bed_config, snapshot};

const SETTINGS: &str = "down,right,right,ok";
/// My health's menu, from Home.
const HEALTH: &str = "right,right,ok";
/// Learn's list, from Home.
const LEARN: &str = "right,ok";
/// The falls leaflet's first question: opened, its three pages read.
const LEARN_Q: &str = "right,ok,ok,ok,ok,ok";
/// Settings → large text → Learn's list.
const LEARN_LARGE: &str = "down,right,right,ok,down,ok,home,up,left,ok";
/// Settings → the privacy PIN row → the digit pad.
const PIN: &str = "down,right,right,ok,down,down,down,down,ok";

macro_rules! golden_demo {
    ($($name:ident: $keys:expr;)*) => {
        $(
            #[test]
            fn $name() {
                assert_golden(&stringify!($name).replace('_', "-"), &demo(&$keys));
            }
        )*
    };
}

golden_demo! {
    home_with_patient: "";
    home_focus_ask: "down,right";
    watch: "ok";
    learn: LEARN;
    // The falls leaflet, page by page in large type; the last page goes on to the questions.
    learn_page: format!("{LEARN},ok");
    learn_page_last: format!("{LEARN},ok,right,right");
    // Something without questions: its last page finishes it.
    learn_page_without_questions: format!("{LEARN},down,down,ok,right");
    learn_question_choice: LEARN_Q;
    // A wrong answer: why, and the page to look at again.
    learn_question_wrong: format!("{LEARN_Q},ok");
    learn_question_look_again: format!("{LEARN_Q},ok,ok");
    learn_question_right: format!("{LEARN_Q},down,ok");
    learn_question_yes_no: format!("{LEARN_Q},down,ok,ok,down,ok,ok");
    learn_question_display: format!("{LEARN_Q},down,ok,ok,down,ok,ok,ok,ok");
    learn_done: format!("{LEARN_Q},down,ok,ok,down,ok,ok,ok,ok,ok");
    // Back on the list: done, and last.
    learn_list_after_done: format!("{LEARN_Q},down,ok,ok,down,ok,ok,ok,ok,ok,ok");
    learn_large_text: LEARN_LARGE;
    learn_page_large_text: format!("{LEARN_LARGE},ok");
    learn_question_large_text: format!("{LEARN_LARGE},ok,ok,ok,ok,ok,ok,ok");
    my_health: HEALTH;
    my_health_medicines: format!("{HEALTH},down,ok");
    my_health_allergies_empty: format!("{HEALTH},down,right,ok");
    my_health_problems: format!("{HEALTH},down,down,ok");
    my_health_results: format!("{HEALTH},down,down,right,ok");
    my_health_results_scrolled: format!("{HEALTH},down,down,right,ok,{}", ["down"; 9].join(","));
    my_health_private: format!("{HEALTH},down,ok,privacy");
    my_health_trend_private: format!("{HEALTH},down,down,right,ok,ok,privacy");
    my_health_results_trend: format!("{HEALTH},down,down,right,ok,ok");
    my_health_vitals_trend_blood_pressure: format!("{HEALTH},down,down,down,ok,ok");
    pin_choose: PIN;
    pin_choose_two_typed: format!("{PIN},1,9");
    pin_confirm: format!("{PIN},1,9,4,7");
    pin_mismatch: format!("{PIN},1,9,4,7,1,9,4,8");
    pin_set_notice: format!("{PIN},1,9,4,7,1,9,4,7");
    pin_unlock: format!("{PIN},1,9,4,7,1,9,4,7,home,up,ok");
    pin_wrong: format!("{PIN},1,9,4,7,1,9,4,7,home,up,ok,1,1,1,1");
    pin_locked_out: format!("{PIN},1,9,4,7,1,9,4,7,home,up,ok,{}", ["0"; 20].join(","));
    pin_unlocked_my_health: format!("{PIN},1,9,4,7,1,9,4,7,home,up,ok,1,9,4,7");
    pin_large_text: format!("{SETTINGS},down,ok,down,down,down,ok");
    home_private: "privacy";
    my_health_vitals_large_text_high_contrast:
        format!("{SETTINGS},down,ok,down,ok,home,up,ok,down,down,down,ok");
    call: "down,ok";
    ask: "down,right,ok";
    settings: SETTINGS;
    settings_large_text: format!("{SETTINGS},down,ok");
    settings_high_contrast: format!("{SETTINGS},down,down,right");
    home_large_text: format!("{SETTINGS},down,ok,home");
    home_high_contrast: format!("{SETTINGS},down,down,ok,home");
    home_large_text_high_contrast: format!("{SETTINGS},down,ok,down,ok,home");
    // Every chip in the header at the largest text: the greeting and the bed keep their words,
    // the chips shrink to icons.
    home_large_text_high_contrast_every_chip: format!("{SETTINGS},down,ok,down,ok,down,ok,home,mute");
    home_large_text_high_contrast_every_chip_private:
        format!("{SETTINGS},down,ok,down,ok,down,ok,home,mute,privacy");
    // The footer says what OK does with privacy on: it still opens My health (or its PIN pad).
    home_private_focus_my_health: "privacy,right,right";
    // A notice sits over the header, never over the row it is about.
    notice_large_text_one_language: format!("{SETTINGS},down,ok,up,right");
    // In large text the notice still ends above the focused tile of the top row.
    notice_large_text_nurse_call: format!("{SETTINGS},down,ok,home,up,nursecall");
    // Chips as icons: the volume keeps its number, so the volume keys always show what they did.
    home_large_text_captions_louder: format!("{SETTINGS},down,ok,down,down,ok,home,volumeup,volumeup");
    // The blood pressure chart, its legend and its latest values fit the screen in large text;
    // the legend names high contrast's colours.
    my_health_blood_pressure_large_text_high_contrast:
        format!("{SETTINGS},down,ok,down,ok,home,up,ok,down,down,down,ok,ok");
    // A digit typed on Home starts a channel number (the demo has no channels: it says so).
    home_digit_without_channels: "5";
    watch_large_text_high_contrast: format!("{SETTINGS},down,ok,down,ok,home,up,left,left,ok");
    notice_nurse_call: "nursecall";
    notice_one_language: format!("{SETTINGS},ok");
    status_muted_captions: "mute,captions";
    standby: "power";
}

#[test]
fn home_empty_bed_evening_12h() {
    let dir = tempfile::tempdir().unwrap();
    let config = empty_bed_config(dir.path(), "[ui]\nclock = \"12h\"\n");
    let picture = common::bedside_at(&config, "2026-11-25T20:15");
    assert_golden("home-empty-bed-evening-12h", &picture);
}

#[test]
fn home_at_a_quarter_of_the_size_is_the_same_picture_scaled() {
    // The UI is laid out in units of the window height: 960x540 shows the same screen, smaller.
    let small = snapshot(&["--demo", "--size", "960x540"], "");
    assert_eq!((small.width, small.height), (960, 540));
    assert_golden("home-960x540", &small);
}

#[test]
fn call_set_up_but_not_connected() {
    // A snapshot never touches the network: Call says calls are set up and not connected.
    let dir = tempfile::tempdir().unwrap();
    let config = empty_bed_config(
        dir.path(),
        "[call]\nsignalling_url = \"wss://video.example.org/signalling\"\n",
    );
    // The first Call of a stay opens "How video calls work" over it; Back shows Call.
    let picture = common::config_shot(&config, "down,ok,back", &[]);
    assert_golden("call-not-connected", &picture);
}

#[test]
fn how_video_calls_work_the_first_time_call_opens() {
    // Each shot on a fresh bed: the guide opens by itself once a stay (the settings remember).
    let shot = |call: &str, keys: &str| {
        let dir = tempfile::tempdir().unwrap();
        let config = empty_bed_config(dir.path(), call);
        common::config_shot(&config, keys, &[])
    };
    let call = "[call]\nsignalling_url = \"wss://video.example.org/signalling\"\n";
    assert_golden("call-guide-who-can-call", &shot(call, "down,ok"));
    assert_golden(
        "call-guide-try-it-first",
        &shot(call, "down,ok,right,right,right"),
    );
    // Where the hospital answers some roles' calls without a press (virtual observation),
    // the page about ringing says so.
    let observed = format!("{call}observation_roles = [\"Sitter\"]\n");
    assert_golden(
        "call-guide-when-someone-calls-observed",
        &shot(&observed, "down,ok,ok"),
    );
    // The next Call of the stay opens Call itself.
    let dir = tempfile::tempdir().unwrap();
    let config = empty_bed_config(dir.path(), call);
    common::config_shot(&config, "down,ok", &[]);
    assert_golden(
        "call-not-connected",
        &common::config_shot(&config, "down,ok", &[]),
    );
}
