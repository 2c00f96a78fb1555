//! `systemd/70-bedside-input.rules` checked by udev itself: `udevadm test` reads every rules file
//! and reports invalid keys, bad values and unknown groups by line. It runs in a private mount
//! namespace where the rules folder and /etc/group are temporary copies, so the machine is not
//! touched. Needs root (for the namespace) and udevadm (Debian's `udev`, which `make test`
//! installs); where they are missing the test says so, and fails when
//! `BEDSIDE_REQUIRE_SYSTEM_TESTS=1` (as in CI).

use std::path::Path;
use std::process::Command;

fn can_run() -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return Err("needs root for a private mount namespace".into());
    }
    Command::new("udevadm")
        .arg("--version")
        .output()
        .map_err(|_| "udevadm is not installed (apt-get install udev)".to_string())?;
    Ok(())
}

/// Runs `udevadm test` with `rules` as the only local rules file and `group` added to
/// /etc/group; returns udevadm's output.
fn udevadm_test(rules: &str, group: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("rules.d");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("70-bedside-input.rules"), rules).unwrap();
    let mut groups = std::fs::read_to_string("/etc/group").unwrap();
    groups.push_str(&format!("{group}:x:64990:\n"));
    std::fs::write(dir.path().join("group"), groups).unwrap();
    let script = format!(
        "mount --bind {rules} /etc/udev/rules.d && mount --bind {group} /etc/group && \
         udevadm test /sys/class/tty/tty",
        rules = rules_dir.display(),
        group = dir.path().join("group").display()
    );
    let output = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Lines in which udev complains about our file.
fn complaints(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.contains("70-bedside-input.rules:"))
        .collect()
}

#[test]
fn the_input_rules_are_valid_for_udev() {
    if let Err(why) = can_run() {
        assert!(
            std::env::var_os("BEDSIDE_REQUIRE_SYSTEM_TESTS").is_none(),
            "udev rules not checked: {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/70-bedside-input.rules"),
    )
    .unwrap();
    let output = udevadm_test(&rules, "bedside");
    assert!(
        output.contains("Reading rules file: /etc/udev/rules.d/70-bedside-input.rules"),
        "udev did not read the file: {output}"
    );
    assert_eq!(complaints(&output), Vec::<&str>::new());

    // The check can fail: a bad key and a group that does not exist are both reported.
    let broken = format!("{rules}\nFOO==\"1\"\nENV{{ID_INPUT_KEY}}==\"1\", GROUP=\"bedsid\"\n");
    let output = udevadm_test(&broken, "bedside");
    let found = complaints(&output);
    assert_eq!(found.len(), 2, "{output}");
}
