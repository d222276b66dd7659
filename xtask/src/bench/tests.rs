//! The timing harness against the real hyperfine (Debian package `hyperfine`, installed by
//! `cargo xtask ci`): plans, prepare commands, quoting, exit codes and the JSON export.

use std::path::Path;
use std::time::Duration;

use super::hyperfine::{Hyperfine, Runs};
use super::{Invocation, Plan, Timing, measure, measure_with_stdout};

/// A folder whose name needs quoting in a command line.
fn awkward_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("it's a \"dir\" $HOME; \\");
    fs_err::create_dir_all(&dir).expect("mkdir");
    (t, dir)
}

fn sh(script: &str, args: &[&str]) -> Invocation {
    let mut all = vec!["-c", script];
    all.extend(args);
    Invocation::new("/bin/sh", &all, &[])
}

fn lines(path: &Path) -> Vec<String> {
    fs_err::read_to_string(path).unwrap_or_default().lines().map(str::to_owned).collect()
}

#[test]
fn prepare_runs_before_the_warm_up_and_every_timed_run_with_words_intact() {
    let (_t, dir) = awkward_dir();
    let log = dir.join("log");
    let log_arg = log.to_string_lossy().into_owned();
    let mark = dir.join("mark 'x'");
    let mark_arg = mark.to_string_lossy().into_owned();
    let word = r#"a b"c\d$e;f'g"#;
    let invocation = sh(r#"printf 'run %s\n' "$1" >> "$0""#, &[&log_arg, word]).prepare(&[
        &["/usr/bin/touch", &mark_arg],
        &["/bin/sh", "-c", r#"echo prepare >> "$0""#, &log_arg],
    ]);
    let plan = Plan { max_runs: 3, budget: Duration::from_secs(600), warmup: true };
    let timing = measure(&invocation, plan).expect("measure");
    assert_eq!(timing.runs.len(), 3, "{timing:?}");
    let run = format!("run {word}");
    let expected: Vec<&str> = (0..4).flat_map(|_| ["prepare", run.as_str()]).collect();
    assert_eq!(lines(&log), expected);
    assert!(mark.exists());
    // hyperfine's median and min are those of its times.
    let again = Timing::from_runs(timing.runs.clone(), 3);
    assert!(timing.median().abs_diff(again.median()) < Duration::from_micros(1), "{timing:?}");
    assert_eq!(timing.min(), timing.runs[0]);
    assert!(timing.runs.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn the_budget_and_max_runs_decide_the_number_of_runs() {
    let (_t, dir) = awkward_dir();
    let log = dir.join("log");
    let log_arg = log.to_string_lossy().into_owned();
    let invocation = sh(r#"echo run >> "$0""#, &[&log_arg]);

    // No budget: the first run only, no warm-up.
    let plan = Plan { max_runs: 5, budget: Duration::ZERO, warmup: false };
    let timing = measure(&invocation, plan).expect("measure");
    assert_eq!(timing.runs.len(), 1);
    assert!(timing.cell().ends_with(" (1 run)"), "{}", timing.cell());
    assert_eq!(lines(&log).len(), 1);

    // A budget far above: max_runs, and the cell says nothing of the count.
    let plan = Plan { max_runs: 4, budget: Duration::from_secs(600), warmup: false };
    let timing = measure(&invocation, plan).expect("measure");
    assert_eq!(timing.runs.len(), 4);
    assert!(!timing.cell().contains("runs"), "{}", timing.cell());
    assert_eq!(lines(&log).len(), 5);

    // A command taking about 0.2 s with a 0.3 s budget: one run.
    let slow = Invocation::new("/bin/sleep", &["0.2"], &[]);
    let plan = Plan { max_runs: 10, budget: Duration::from_millis(300), warmup: false };
    let timing = measure(&slow, plan).expect("measure");
    assert_eq!(timing.runs.len(), 1, "{timing:?}");
    assert!(timing.median() >= Duration::from_millis(200), "{timing:?}");
}

#[test]
fn environment_and_working_directory_reach_the_timed_and_the_untimed_runs() {
    let (_t, dir) = awkward_dir();
    let script = r#"printf '%s %s\n' "$ROS_HOME" "$(pwd)" | tee -a seen"#;
    let invocation = sh(script, &[])
        .env("ROS_HOME", "/elsewhere/home")
        .env("ROS_HOME", "/the/home")
        .current_dir(&dir);
    let plan = Plan { max_runs: 2, budget: Duration::from_secs(600), warmup: false };
    let (_, stdout) = measure_with_stdout(&invocation, plan).expect("measure");
    let expected = format!("/the/home {}", dir.display());
    assert_eq!(stdout.trim_end(), expected);
    // The untimed run, then the two timed ones.
    assert_eq!(lines(&dir.join("seen")), vec![expected; 3]);
}

#[test]
fn other_exit_codes_fail_unless_accepted() {
    let exits_1 = sh("echo out; echo oops >&2; exit 1", &[]);
    let plan = Plan { max_runs: 2, budget: Duration::from_secs(600), warmup: false };
    let err = format!("{:#}", measure(&exits_1, plan).expect_err("exit 1 fails"));
    assert!(err.contains("exit"), "{err}");
    let err = format!("{:#}", exits_1.stdout().expect_err("exit 1 fails"));
    assert!(err.contains("oops"), "the untimed run reports stderr: {err}");

    let accepted = sh("echo out; exit 1", &[]).also_succeeds_with(&[1]);
    let (timing, stdout) = measure_with_stdout(&accepted, plan).expect("exit 1 accepted");
    assert_eq!((timing.runs.len(), stdout.as_str()), (2, "out\n"));

    let exits_2 = sh("exit 2", &[]).also_succeeds_with(&[1]);
    let err = format!("{:#}", measure(&exits_2, plan).expect_err("exit 2 fails"));
    assert!(err.contains("exit status 2"), "{err}");
}

#[test]
fn a_failing_prepare_command_fails_the_measurement() {
    let invocation = sh("true", &[]).prepare(&[&["/bin/false"]]);
    let plan = Plan { max_runs: 2, budget: Duration::from_secs(600), warmup: false };
    assert!(measure(&invocation, plan).is_err());
    assert!(invocation.stdout().is_err());
}

#[test]
fn an_export_of_two_commands_is_refused() {
    let hyperfine = Hyperfine::get().expect("hyperfine");
    let t = tempfile::tempdir().expect("tempdir");
    let export = t.path().join("two.json");
    let status = std::process::Command::new(&hyperfine.path)
        .args(["--style=none", "--shell=none", "--runs=2", "--export-json"])
        .arg(&export)
        .args(["--", "true", "/bin/true"])
        .status()
        .expect("hyperfine");
    assert!(status.success());
    let text = fs_err::read_to_string(&export).expect("export");
    let err = Runs::parse(&text).expect_err("two results");
    assert!(format!("{err:#}").contains("2 results"), "{err:#}");
    // Each of the two is a valid result on its own.
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    for result in doc["results"].as_array().expect("results") {
        let one = serde_json::json!({ "results": [result] }).to_string();
        let runs = Runs::parse(&one).expect("one result");
        assert_eq!(runs.times().len(), 2);
        assert_eq!(runs.exit_codes(), [Some(0), Some(0)]);
    }
}

#[test]
fn a_missing_hyperfine_says_how_to_install_it() {
    let err = Hyperfine::at(Path::new("/nonexistent/hyperfine")).expect_err("missing");
    assert!(format!("{err:#}").contains("apt-get install hyperfine"), "{err:#}");
    // What is not hyperfine is refused too.
    let err = Hyperfine::at(Path::new("/bin/true")).expect_err("not hyperfine");
    assert!(format!("{err:#}").contains("apt-get install hyperfine"), "{err:#}");
    let found = Hyperfine::get().expect("hyperfine");
    assert!(found.version.split('.').all(|n| n.parse::<u32>().is_ok()), "{}", found.version);
}

#[test]
fn medians_of_odd_and_even_counts() {
    let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
    let odd = Timing::from_runs(ms(&[30, 10, 20]), 3);
    assert_eq!((odd.median(), odd.min()), (Duration::from_millis(20), Duration::from_millis(10)));
    let even = Timing::from_runs(ms(&[40, 10, 30, 20]), 10);
    assert_eq!(even.median(), Duration::from_millis(25));
    assert_eq!(even.cell(), "25.0 ms (min 10.0 ms, 4 runs)");
}
