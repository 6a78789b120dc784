//! Programs that hang in each way the lab knows: the report says, from what was observed when
//! the time ran out, which line of the student's each thread waits at, in which call, and why
//! where that can be shown: in the human report, the JSON report and GitHub's annotations, for
//! an untraced run and a traced one (the supervisor then being the program's tracer).

use std::path::Path;

use serde_json::Value;

use crate::support::{Cli, Grade, copy_dir, root};

/// What one grading of a hang fixture wrote: the human report, the JSON one and the GitHub
/// annotations.
struct Reports {
    human: String,
    json: Value,
    github: String,
}

/// Grades `tests/fixtures/hangs/<fixture>` with the hang rubric (a time limit of 1.5 s).
fn graded(fixture: &str) -> Reports {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let github = out.path().join("annotations.txt");
    let ran = Grade::new(
        root().join("tests/fixtures/hangs").join(fixture),
        root().join("tests/fixtures/hangs/hangs.toml"),
    )
    .seed(5)
    .arg("--report")
    .arg(format!("json={}", json.display()))
    .arg("--report")
    .arg(format!("github={}", github.display()))
    .run()
    .code(1);
    let read = |path: &Path| std::fs::read_to_string(path).unwrap();
    Reports {
        human: ran.stdout().into_owned(),
        json: serde_json::from_str(&read(&json)).unwrap(),
        github: read(&github),
    }
}

impl Reports {
    /// Asserts that each check's human report has a line matching `pattern`.
    #[track_caller]
    fn human_has(&self, pattern: &str) {
        let pattern = regex::Regex::new(pattern).unwrap();
        let found = self
            .human
            .lines()
            .filter(|line| pattern.is_match(line))
            .count();
        assert_eq!(found, 2, "{pattern} in each check:\n{}", self.human);
    }

    /// The JSON report's threads of check `id`'s first case when its time ran out.
    fn tasks(&self, id: &str) -> &Vec<Value> {
        let check = self.json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == id)
            .unwrap();
        let case = &check["cases"][0];
        assert_eq!(case["observed"]["termination"]["kind"], "timed_out");
        case["observed"]["waiting"]["tasks"].as_array().unwrap()
    }

    /// Asserts that in both checks a thread's stack holds the program's own `function` at
    /// `line` of the student's file.
    #[track_caller]
    fn stacks_have(&self, function: &str, line: u64) {
        for id in ["untraced", "traced"] {
            let own = self.tasks(id).iter().any(|task| {
                task["stack"]["frames"].as_array().is_some_and(|frames| {
                    frames.iter().any(|frame| {
                        frame["code"] == "own"
                            && frame["file"] == "src/bin/ipc_stream.rs"
                            && frame["line"] == line
                            && frame["function"] == function
                    })
                })
            });
            assert!(own, "{id}: {function} at {line}: {:#}", self.json);
        }
    }
}

#[test]
fn a_mutex_locked_twice_is_a_self_deadlock_at_the_students_line() {
    let reports = graded("mutex_locked_twice");
    reports.human_has(
        r"note: where pid \d+ \(ipc_stream\) waits: `lock<u64>` called at src/bin/ipc_stream\.rs:6 in `add`, called at src/bin/ipc_stream\.rs:13 in `main`",
    );
    reports.human_has(
        r"note: pid \d+ \(ipc_stream\) can never be woken: .* it is the only thread left in its process, .* \(a self-deadlock\)$",
    );
    reports.stacks_have("add", 6);
    reports.stacks_have("main", 13);
    for id in ["untraced", "traced"] {
        assert_eq!(reports.tasks(id)[0]["alone_on_private_futex"], true);
    }
    // GitHub: an annotation on the line that waits.
    assert!(
        reports.github.lines().any(|line| {
            line.starts_with("::error file=")
                && line.contains(
                    "src/bin/ipc_stream.rs,line=6,title=untraced%3A the program waits here::",
                )
        }),
        "{}",
        reports.github
    );
}

#[test]
fn a_join_on_a_thread_that_never_ends_names_both_lines_and_guesses_no_self_deadlock() {
    let reports = graded("join_never_ends");
    reports.human_has(
        r"note: where pid \d+ \(ipc_stream\) waits: `join<u64>` called at src/bin/ipc_stream\.rs:15 in `main`",
    );
    reports.human_has(
        r"note: where pid \d+, thread \d+ \(ipc_stream\) waits: .* called at src/bin/ipc_stream\.rs:10 in `\{closure#0\}`",
    );
    reports.human_has("no thread could make progress$");
    reports.stacks_have("main", 15);
    // Two threads: neither is alone, so no self-deadlock is claimed.
    assert!(
        !reports.human.contains("self-deadlock"),
        "{}",
        reports.human
    );
    assert!(
        reports
            .github
            .contains("src/bin/ipc_stream.rs,line=15,title=traced%3A the program waits here::"),
        "{}",
        reports.github
    );
}

#[test]
fn a_parent_and_child_waiting_for_each_other_name_the_wait_and_the_read() {
    let reports = graded("parent_and_child_wait_for_each_other");
    reports.human_has(
        r"note: where pid \d+ \(ipc_stream\) waits: `waitpid<nix::unistd::Pid>` called at src/bin/ipc_stream\.rs:20 in `main`",
    );
    reports.human_has(
        r"note: when labgrade ended the run, pid \d+ \(ipc_stream\): blocked in read \(fd \d+, pipe:\[\d+\]\): data to read; the pipe's write end is still open in pid \d+ as fd \d+,",
    );
    reports.human_has(
        r"note: where pid \d+ \(ipc_stream\) waits: `read_to_string<std::io::pipe::PipeReader>` called at src/bin/ipc_stream\.rs:15 in `main`",
    );
    reports.stacks_have("main", 20);
    reports.stacks_have("main", 15);
}

#[test]
fn the_class_report_shows_where_a_hung_program_waits() {
    // report.html, the fourth format a person reads: the same notes, with the student's line.
    let class = tempfile::tempdir().unwrap();
    copy_dir(
        &root().join("tests/fixtures/hangs/mutex_locked_twice"),
        &class.path().join("alice"),
    );
    let out = tempfile::tempdir().unwrap();
    Cli::batch(
        class.path(),
        root().join("tests/fixtures/hangs/hangs.toml"),
        out.path(),
    )
    .args(["--seed", "5", "--jobs", "1"])
    .run();
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    for needle in [
        "called at src/bin/ipc_stream.rs:6 in `add`",
        "(a self-deadlock)",
    ] {
        assert!(html.contains(needle), "{needle} in:\n{html}");
    }
}
