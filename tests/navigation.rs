//! Navigation as a patient sees it: where the focus is on screen after arrows, that Home always
//! returns Home, that Back never leaves the appliance, standby, and that settings survive a
//! restart. Each case runs `bedside snapshot` and looks at the picture.

mod common;

use common::{Picture, bedside, demo, empty_bed_config, snapshot};

/// The fill of the focused card (`Theme.surface-focused`, normal contrast). Nothing else on any
/// screen has this colour, so the centre of its pixels is the centre of the focused item.
const FOCUSED_FILL: [u8; 3] = [0x20, 0x35, 0x52];

fn focus_centre(picture: &Picture) -> (f64, f64) {
    picture
        .centre_of(FOCUSED_FILL)
        .expect("something on screen has the focus")
}

/// Keys that move the focus from tile 0 to tile `i` of Home's 3x2 grid.
fn to_tile(i: usize) -> String {
    let mut keys = vec!["down"; i / 3];
    keys.extend(vec!["right"; i % 3]);
    keys.join(",")
}

fn join(a: &str, b: &str) -> String {
    [a, b]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(",")
}

fn close(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < 2.0 && (a.1 - b.1).abs() < 2.0
}

#[test]
fn arrows_move_the_focus_across_home_as_the_grid_says() {
    let centres: Vec<(f64, f64)> = (0..6).map(|i| focus_centre(&demo(&to_tile(i)))).collect();
    // Tiles sit three across and two down, in reading order.
    for row in 0..2 {
        assert!(centres[row * 3].0 < centres[row * 3 + 1].0);
        assert!(centres[row * 3 + 1].0 < centres[row * 3 + 2].0);
    }
    for col in 0..3 {
        assert!(centres[col].1 < centres[col + 3].1);
    }
    // 0 1 2
    // 3 4 5   (at an edge the focus stays put)
    let expected: [[usize; 4]; 6] = [
        // up, down, left, right
        [0, 3, 0, 1],
        [1, 4, 0, 2],
        [2, 5, 1, 2],
        [0, 3, 3, 4],
        [1, 4, 3, 5],
        [2, 5, 4, 5],
    ];
    for (from, targets) in expected.iter().enumerate() {
        for (arrow, &to) in ["up", "down", "left", "right"].iter().zip(targets) {
            let seen = focus_centre(&demo(&join(&to_tile(from), arrow)));
            assert!(
                close(seen, centres[to]),
                "{arrow} from tile {from}: focus at {seen:?}, expected tile {to} at {:?}",
                centres[to]
            );
        }
    }
}

#[test]
fn up_and_down_move_through_the_settings_rows_and_stop_at_the_ends() {
    let settings = "down,right,right,ok";
    let rows: Vec<(f64, f64)> = (0..5)
        .map(|i| focus_centre(&demo(&join(settings, &vec!["down"; i].join(",")))))
        .collect();
    for pair in rows.windows(2) {
        assert!(pair[0].1 < pair[1].1, "rows go down the screen: {rows:?}");
    }
    assert!(close(focus_centre(&demo(&join(settings, "up"))), rows[0]));
    assert!(close(
        focus_centre(&demo(&join(settings, "down,down,down,down,down,down"))),
        rows[4]
    ));
    // Left and Right change the value; they never move the focus off the row.
    assert!(close(
        focus_centre(&demo(&join(settings, "down,down,down,left,right"))),
        rows[3]
    ));
}

#[test]
fn on_screens_with_one_button_the_arrows_keep_the_focus_on_it() {
    for tile in 0..5 {
        let open = join(&to_tile(tile), "ok");
        assert_eq!(
            demo(&open),
            demo(&join(&open, "up,down,left,right,left,up")),
            "tile {tile}"
        );
    }
}

#[test]
fn home_returns_home_from_every_screen_with_the_same_tile_focused() {
    for tile in 0..6 {
        let home = demo(&to_tile(tile));
        for detour in ["ok,home", "ok,down,down,home", "ok,up,up,home"] {
            assert_eq!(
                demo(&join(&to_tile(tile), detour)),
                home,
                "tile {tile}, {detour}"
            );
        }
    }
}

#[test]
fn back_goes_one_step_back_and_never_leaves_home() {
    let home = demo("");
    assert_eq!(
        demo("back,back,back,back"),
        home,
        "Back on Home stays on Home"
    );
    for tile in 0..6 {
        assert_eq!(demo(&join(&to_tile(tile), "ok,back")), demo(&to_tile(tile)));
        assert_eq!(
            demo(&join(&to_tile(tile), "ok,back,back,back")),
            demo(&to_tile(tile))
        );
    }
}

#[test]
fn power_blacks_out_the_screen_ignores_other_keys_and_wakes_where_it_was() {
    let black = demo("right,ok,power");
    assert!(black.rgb.iter().all(|&c| c == 0), "standby is black");
    assert_eq!(demo("right,ok,power,home,ok,down"), black);
    // A call for help lights the screen to say how to get it.
    assert_eq!(demo("right,ok,power,nursecall"), demo("right,ok,nursecall"));
    assert_eq!(demo("right,ok,power,home,ok,power"), demo("right,ok"));
}

#[test]
fn a_notice_goes_at_the_next_press_and_the_press_still_counts() {
    let nurse = demo("nursecall");
    assert_ne!(nurse, demo(""));
    // Each button advances the snapshot clock by 250 ms, far less than a notice stays up: the
    // press took it away, and moved the focus as it would have without a notice.
    assert_eq!(demo("nursecall,right"), demo("right"));
    assert_eq!(demo("nursecall,left"), demo(""));
}

#[test]
fn settings_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = empty_bed_config(dir.path(), "");
    let config = config.to_str().unwrap();
    let fresh = snapshot(&["--config", config], "");
    // Large text and high contrast, then Home, in one run ...
    let changed = snapshot(
        &["--config", config],
        "down,right,right,ok,down,ok,down,ok,home,up,left,left,volumeup",
    );
    assert_ne!(changed, fresh);
    // ... are still there when the appliance starts again.
    let restarted = snapshot(&["--config", config], "");
    assert_eq!(restarted, changed);
    let saved = std::fs::read_to_string(dir.path().join("state/settings.toml")).unwrap();
    assert!(saved.contains("text_size = \"large\"") && saved.contains("contrast = \"high\""));
    assert!(
        saved.contains("volume = 21"),
        "the volume is kept too: {saved}"
    );
}

#[test]
fn the_demo_without_a_config_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let status = bedside()
        .current_dir(dir.path())
        .args([
            "snapshot",
            "--demo",
            "--keys",
            "down,right,right,ok,down,ok",
            "--out",
        ])
        .arg(dir.path().join("x.png"))
        .status()
        .unwrap();
    assert!(status.success());
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "only the picture");
}
