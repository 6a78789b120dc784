//! labgrade survives its own death: killed mid-grading (even by SIGKILL), it takes the
//! student's programs with it, and the next labgrade to start removes what it left in the
//! temporary folder.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{labgrade, labgrade_process, processes_under};

#[test]
fn a_killed_labgrade_takes_its_programs_with_it_and_its_leftovers_go_at_the_next_start() {
    let temp = tempfile::tempdir().expect("temporary directory");
    // The fixture spins forever in every case, far longer than this test waits.
    let mut grading = labgrade_process()
        .args(["grade", "tests/fixtures/sum-array/infinite_loop"])
        .args(["--rubric", "rubrics/sum-array.toml"])
        .env("TMPDIR", temp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start labgrade");
    let started = Instant::now();
    let running = loop {
        let running = processes_under(temp.path());
        if !running.is_empty() || started.elapsed() > Duration::from_secs(120) {
            break running;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!running.is_empty(), "the student's program never started");
    grading.kill().expect("SIGKILL labgrade");
    grading.wait().expect("reap labgrade");
    let killed = Instant::now();
    // The program's time limit is 5 s; it must be gone long before.
    while !processes_under(temp.path()).is_empty() && killed.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        processes_under(temp.path()),
        Vec::<String>::new(),
        "programs outlived labgrade by {:?}",
        killed.elapsed()
    );
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert!(!left.is_empty(), "labgrade, killed, could not clean up");

    // The next labgrade to start clears the folder of the dead one.
    labgrade()
        .args(["grade", "exercises/sum-array/solution"])
        .args(["--rubric", "rubrics/sum-array.toml"])
        .env("TMPDIR", temp.path())
        .assert()
        .code(0);
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the temporary folder: {left:?}");
}
