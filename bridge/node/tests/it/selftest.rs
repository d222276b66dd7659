//! `pyros-bridge selftest` passes and ends with the summary line.

use std::process::Command;

#[test]
fn selftest_passes() {
    let output = Command::new(super::bridge_exe())
        .arg("selftest")
        .output()
        .expect("running pyros-bridge selftest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let (passed, failed) = last
        .split_once(" passed, ")
        .and_then(|(p, f)| {
            Some((p.parse::<u32>().ok()?, f.strip_suffix(" failed")?.parse::<u32>().ok()?))
        })
        .unwrap_or_else(|| panic!("bad summary line {last:?}\n{stdout}"));
    assert_eq!(failed, 0, "{stdout}");
    assert!(passed >= 20, "{stdout}");
    assert!(output.status.success(), "{stdout}");
}
