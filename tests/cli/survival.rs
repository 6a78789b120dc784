//! labgrade survives its own death: killed mid-grading (even by SIGKILL), it takes the
//! student's programs with it, and the next labgrade to start removes what it left in the
//! temporary folder.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Grade, labgrade_process, processes_under, sum_array_rubric_with};

#[test]
fn a_killed_labgrade_takes_its_programs_with_it_and_its_leftovers_go_at_the_next_start() {
    let temp = tempfile::tempdir().expect("temporary directory");
    // The fixture spins forever in every case; with a time limit of ten minutes, only
    // labgrade's death can end it within this test's waits, however slow the machine.
    let rubric_dir = tempfile::tempdir().expect("temporary directory");
    let rubric = sum_array_rubric_with(rubric_dir.path(), "timeout = \"10m\"");
    let mut grading = labgrade_process()
        .args(["grade", "tests/fixtures/sum-array/infinite_loop"])
        .arg("--rubric")
        .arg(&rubric)
        .env("TMPDIR", temp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start labgrade");
    // The build may wait for other tests' builds of sum-array, in the one build slot.
    let started = Instant::now();
    let running = loop {
        let running = processes_under(temp.path());
        if !running.is_empty() || started.elapsed() > Duration::from_secs(600) {
            break running;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    grading.kill().expect("SIGKILL labgrade");
    grading.wait().expect("reap labgrade");
    assert!(!running.is_empty(), "the student's program never started");
    // Half a minute: generous for a loaded machine, and well before the fixture's own 60 s
    // `alarm` could end it instead.
    let killed = Instant::now();
    while !processes_under(temp.path()).is_empty() && killed.elapsed() < Duration::from_secs(30) {
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
    Grade::new("exercises/sum-array/solution", "rubrics/sum-array.toml")
        .temp_dir(temp.path())
        .run()
        .code(0);
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the temporary folder: {left:?}");
}
