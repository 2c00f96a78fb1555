//! The command line's contract: the names other parts of the system rely on, exit codes and
//! messages.

mod common;

use common::{Picture, bedside, empty_bed_config, run_snapshot};

#[test]
fn an_unknown_button_name_fails_with_its_name_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let output = run_snapshot(&["--demo"], "right,sideways,ok", &out);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("sideways"), "{err}");
    assert!(!out.exists());
}

#[test]
fn every_button_name_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let all = "up,down,left,right,ok,back,home,menu,info,guide,channelup,channeldown,volumeup,\
               volumedown,mute,play,pause,playpause,stop,rewind,fastforward,0,1,2,3,4,5,6,7,8,9,\
               red,green,yellow,blue,captions,nursecall,power";
    let output = run_snapshot(&["--demo"], all, &out);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    assert_eq!(Picture::read(&out).width, 1920);
}

#[test]
fn size_sets_the_picture_size_and_bad_sizes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let output = run_snapshot(&["--demo", "--size", "1280x720"], "", &out);
    assert!(output.status.success());
    let p = Picture::read(&out);
    assert_eq!((p.width, p.height), (1280, 720));
    for bad in ["1920", "0x0", "axb", "99999x10"] {
        let output = run_snapshot(&["--demo", "--size", bad], "", &out);
        assert!(!output.status.success(), "{bad}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("1920x1080"));
    }
}

#[test]
fn a_bad_config_is_refused_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = empty_bed_config(dir.path(), "[ui]\nclock = \"25h\"\n");
    let output = bedside()
        .args(["snapshot", "--out", "/dev/null", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("clock = \"25h\""), "{err}");
    assert!(
        err.contains(config.to_str().unwrap()),
        "names the file: {err}"
    );

    std::fs::write(
        &config,
        "[device]\nid = \"a|b\"\n[bed]\nname = \"Bed\"\nlocation = \"x|y\"\nwifi = 1\n",
    )
    .unwrap();
    let output = bedside()
        .args(["snapshot", "--out", "/dev/null", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown field `wifi`"));
}

#[test]
fn a_missing_config_file_is_named() {
    let output = bedside()
        .args([
            "snapshot",
            "--out",
            "/dev/null",
            "--config",
            "/nonexistent/bedside.toml",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/bedside.toml"));
}

#[test]
fn without_a_display_the_appliance_says_so_and_how_to_get_pictures() {
    // This machine has no X11/Wayland session and no /dev/dri: the honest answer is "no display".
    if std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
        || std::path::Path::new("/dev/dri").exists()
    {
        eprintln!("skipped: a display is available here");
        return;
    }
    let output = bedside()
        .arg("--demo")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("no display"), "{err}");
    assert!(err.contains("bedside snapshot --demo"), "{err}");
}
