//! End-to-end tests of traced jobs: the census of threads and processes, how each process ended
//! and whether its parent waited for it, CPU time, and seeded perturbation.
//!
//! Shell scripts cannot make threads, so the programs are small C files from
//! `tests/fixtures/census/`, compiled with `cc` into a temporary directory by each test. Every
//! program calls `alarm(20)`, so that a harness bug leaves nothing running for long.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use labgrade::run::{
    Census, Job, Observation, Perturbation, Reaping, Task, TaskKind, Termination, Trace,
    perturbation_delays,
};
use tempfile::TempDir;

use crate::supervisor::{
    GROWING_LIMITS_MS, assert_all_die, assert_gone, assert_timed_out, marker, run, run_until_ready,
    sh, start_supervisor,
};

/// A fixture program compiled for one test; the directory goes when the test ends.
struct Program {
    _dir: TempDir,
    path: PathBuf,
}

/// Compiles `tests/fixtures/census/<name>.c`.
fn compile(name: &str) -> Program {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/census")
        .join(format!("{name}.c"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(name);
    let output = Command::new("cc")
        .args(["-O1", "-pthread", "-Wall", "-o"])
        .arg(&path)
        .arg(&source)
        .output()
        .unwrap_or_else(|error| panic!("the census tests need a C compiler `cc`: {error}"));
    assert!(
        output.status.success(),
        "cc failed on {}:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Program { _dir: dir, path }
}

impl Program {
    /// A traced job running this program with `args`.
    fn traced(&self, args: &[&str]) -> Job {
        let mut job = sh("");
        job.program.clone_from(&self.path);
        job.args = args.iter().map(|arg| (*arg).to_owned()).collect();
        job.trace = Some(Trace::default());
        job
    }
}

/// Runs a traced job and returns the observation and its census.
#[track_caller]
fn census_of(job: &Job) -> (Observation, Census) {
    let observation = run(job);
    let census = census_in(&observation);
    (observation, census)
}

/// The census of a traced job's observation.
#[track_caller]
fn census_in(observation: &Observation) -> Census {
    observation
        .census
        .clone()
        .unwrap_or_else(|| panic!("a traced job has a census: {observation:#?}"))
}

fn main_task(census: &Census) -> &Task {
    let main = &census.tasks[0];
    assert_eq!(main.kind, TaskKind::Main, "{census:#?}");
    assert_eq!((main.parent, main.reaping), (None, None), "{census:#?}");
    main
}

fn processes(census: &Census) -> Vec<&Task> {
    census
        .tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Process)
        .collect()
}

/// The only process the program created.
#[track_caller]
fn only_child(census: &Census) -> &Task {
    let children = processes(census);
    assert_eq!(children.len(), 1, "{census:#?}");
    assert_eq!(
        children[0].parent,
        Some(main_task(census).tid),
        "{census:#?}"
    );
    children[0]
}

/// The counts of a census, for one comparison that shows them all.
fn counts(census: &Census) -> [u32; 5] {
    [
        census.threads,
        census.processes,
        census.children,
        census.unreaped,
        census.outlived_parent,
    ]
}

fn exited(code: i32) -> Termination {
    Termination::Exited { code }
}

#[test]
fn eight_threads_are_threads_and_nothing_else() {
    let program = compile("threads");
    let (observation, census) = census_of(&program.traced(&["8"]));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.stdout.text, "sum 4000000\n");
    // threads, processes, children, unreaped, outlived_parent
    assert_eq!(counts(&census), [8, 0, 0, 0, 0], "{census:#?}");
    assert!(census.peak_alive >= 2, "{census:#?}");
    assert!(census.peak_alive <= 9, "{census:#?}");
    assert_eq!(census.tasks.len(), 9);
    let main = main_task(&census);
    assert_eq!(main.termination, Some(exited(0)));
    assert_eq!((main.process, main.started_us), (main.tid, 0));
    for thread in &census.tasks[1..] {
        assert_eq!(thread.kind, TaskKind::Thread, "{thread:?}");
        assert_eq!(thread.process, main.tid, "{thread:?}");
        assert_eq!(thread.parent, Some(main.tid), "{thread:?}");
        assert_eq!((&thread.termination, thread.reaping), (&None, None));
        let ended = thread.ended_us.expect("every thread was seen ending");
        assert!(thread.started_us <= ended, "{thread:?}");
    }
    // Tids are distinct, and the tasks are in order of creation.
    let tids: BTreeSet<i32> = census.tasks.iter().map(|task| task.tid).collect();
    assert_eq!(tids.len(), 9);
    assert!(census.tasks.is_sorted_by_key(|task| task.started_us));
    // Filling the array is the main thread's; summing is the threads'.
    assert!(
        main.cpu_us > 0 && observation.cpu_us >= main.cpu_us,
        "{census:#?}"
    );
}

/// The pids `tree.c` printed: `fork <pid>`, `grandchild <pid> of <parent>`, `vfork <pid>`...
fn printed_pids(stdout: &str) -> BTreeMap<String, Vec<(i32, Option<i32>)>> {
    let mut pids: BTreeMap<String, Vec<(i32, Option<i32>)>> = BTreeMap::new();
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let pid = words[1].parse().expect("a pid");
        let parent = words.get(3).map(|parent| parent.parse().expect("a pid"));
        pids.entry(words[0].to_owned())
            .or_default()
            .push((pid, parent));
    }
    pids
}

#[test]
fn known_tree_of_threads_and_processes_is_counted_exactly() {
    let program = compile("tree");
    let (observation, census) = census_of(&program.traced(&[]));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    // 3 forks with 2 threads each, a grandchild, a vfork+exec, a posix_spawn, a raw clone.
    assert_eq!(counts(&census), [6, 7, 6, 0, 0], "{census:#?}");
    assert_eq!(census.tasks.len(), 1 + 6 + 7);

    let main = main_task(&census).tid;
    let printed = printed_pids(&observation.stdout.text);
    let forks: Vec<i32> = printed["fork"].iter().map(|(pid, _)| *pid).collect();
    assert_eq!(forks.len(), 3, "{printed:?}");
    let grandchild = printed["grandchild"][0];
    assert_eq!(grandchild.1, Some(forks[0]));
    let mut expected_parents: BTreeMap<i32, i32> = ["fork", "vfork", "spawn", "clone"]
        .iter()
        .flat_map(|kind| printed[*kind].iter().map(|(pid, _)| (*pid, main)))
        .collect();
    expected_parents.insert(grandchild.0, forks[0]);
    let parents: BTreeMap<i32, i32> = processes(&census)
        .iter()
        .map(|task| (task.tid, task.parent.expect("a process has a parent")))
        .collect();
    // Every process once (the exec'd ones too), each with its real creator.
    assert_eq!(parents, expected_parents, "{census:#?}");

    for process in processes(&census) {
        assert_eq!(process.process, process.tid);
        assert_eq!(process.termination, Some(exited(0)), "{process:?}");
        assert_eq!(process.reaping, Some(Reaping::Reaped), "{process:?}");
    }
    // Two threads in each forked child, none elsewhere.
    let mut threads_per_process: BTreeMap<i32, u32> = BTreeMap::new();
    for thread in census
        .tasks
        .iter()
        .filter(|task| task.kind == TaskKind::Thread)
    {
        assert_eq!(thread.parent, Some(thread.process), "{thread:?}");
        *threads_per_process.entry(thread.process).or_default() += 1;
    }
    assert_eq!(
        threads_per_process,
        forks
            .iter()
            .map(|fork| (*fork, 2))
            .collect::<BTreeMap<_, _>>()
    );
}

#[test]
fn two_hundred_short_threads_one_at_a_time() {
    let program = compile("sequential");
    let (observation, census) = census_of(&program.traced(&["200"]));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(counts(&census), [200, 0, 0, 0, 0]);
    // Each thread is joined before the next starts: never more than main and one thread.
    assert_eq!(census.peak_alive, 2);
    assert!(census.tasks.iter().all(|task| task.ended_us.is_some()));
}

#[test]
fn child_killed_by_sigsegv_while_the_program_exits_0() {
    let program = compile("family");
    let (observation, census) = census_of(&program.traced(&["segv"]));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(main_task(&census).termination, Some(exited(0)));
    let child = only_child(&census);
    assert_eq!(
        child.termination,
        Some(Termination::Signaled {
            signal: 11,
            name: "SIGSEGV".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        })
    );
    assert_eq!(child.reaping, Some(Reaping::Reaped));
    assert_eq!(counts(&census), [0, 1, 1, 0, 0]);
}

#[test]
fn child_exit_code_is_recorded() {
    let program = compile("family");
    let (_, census) = census_of(&program.traced(&["exit3"]));
    assert_eq!(only_child(&census).termination, Some(exited(3)));
    assert_eq!(only_child(&census).reaping, Some(Reaping::Reaped));
}

#[test]
fn a_child_never_waited_for_is_not_reaped_and_a_waited_one_is() {
    let program = compile("family");
    let (observation, census) = census_of(&program.traced(&["nowait"]));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(only_child(&census).reaping, Some(Reaping::NotReaped));
    assert_eq!(only_child(&census).termination, Some(exited(0)));
    assert_eq!(counts(&census), [0, 1, 1, 1, 0]);
    // A zombie is not a leftover: nothing was running.
    assert_eq!(observation.leftover_processes, 0);

    // The same child, waited for only after it has long been a zombie.
    let (_, census) = census_of(&program.traced(&["wait"]));
    assert_eq!(only_child(&census).reaping, Some(Reaping::Reaped));
    assert_eq!(counts(&census), [0, 1, 1, 0, 0]);
}

#[test]
fn a_child_running_when_its_parent_exits_outlived_it_and_is_killed() {
    let program = compile("family");
    let marker = marker(20);
    // The child pauses forever: the run ends only if labgrade kills it.
    let (observation, census) = census_of(&program.traced(&["outlive", &marker]));
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(observation.leftover_processes, 1);
    let child = only_child(&census);
    assert_eq!(child.reaping, Some(Reaping::OutlivedParent));
    // labgrade killed it: it did not end by itself.
    assert_eq!(child.termination, None);
    assert!(child.ended_us.is_some());
    assert_eq!(counts(&census), [0, 1, 1, 0, 1]);
    assert_gone(&marker);
}

#[test]
fn the_programs_own_sigsegv_is_still_a_death_by_signal() {
    let program = compile("family");
    let (observation, census) = census_of(&program.traced(&["selfsegv"]));
    let segv = Termination::Signaled {
        signal: 11,
        name: "SIGSEGV".to_owned(),
        core_dumped: false,
        cpu_limit_s: None,
    };
    assert_eq!(observation.termination, segv);
    assert_eq!(main_task(&census).termination, Some(segv));
    assert_eq!(counts(&census), [0, 0, 0, 0, 0]);
    assert_eq!(census.peak_alive, 1);
}

#[test]
fn real_time_signals_are_delivered_to_a_traced_program() {
    let mut job = sh("kill -36 $$");
    job.trace = Some(Trace::default());
    let (observation, _) = census_of(&job);
    assert_eq!(
        observation.termination,
        Termination::Signaled {
            signal: 36,
            name: "SIGRTMIN+2".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        }
    );
}

#[test]
fn a_parent_blocked_in_waitpid_gets_its_childs_status_while_traced() {
    let program = compile("family");
    let traced = program.traced(&["waitcode"]);
    let mut untraced = traced.clone();
    untraced.trace = None;
    let expected = "waited child, exited 1, code 42, sigchld seen\n";
    assert_eq!(run(&untraced).stdout.text, expected);
    let (observation, census) = census_of(&traced);
    assert_eq!(observation.stdout.text, expected);
    assert_eq!(only_child(&census).termination, Some(exited(42)));
}

#[test]
fn job_control_stops_and_continues_a_traced_child() {
    let program = compile("family");
    let traced = program.traced(&["stopcont"]);
    let mut untraced = traced.clone();
    untraced.trace = None;
    let expected = "stopped 1\nfrozen\ncontinued 1\ncounting again\nkilled by 9\n";
    assert_eq!(run(&untraced).stdout.text, expected);
    let (observation, census) = census_of(&traced);
    assert_eq!(observation.stdout.text, expected);
    assert_eq!(
        only_child(&census).termination,
        Some(Termination::Signaled {
            signal: 9,
            name: "SIGKILL".to_owned(),
            core_dumped: false,
            cpu_limit_s: None,
        })
    );
}

#[test]
fn a_traced_program_still_times_out_and_leaves_nothing() {
    let program = compile("spin");
    let marker = marker(21);
    // The child and the thread spin before the deadline.
    let (observation, limit_ms) = run_until_ready(
        &program.traced(&[&marker]),
        &GROWING_LIMITS_MS,
        |observation| {
            observation
                .census
                .as_ref()
                .is_some_and(|census| (census.threads, census.processes) == (1, 1))
        },
    );
    let census = census_in(&observation);
    assert!(
        matches!(
            observation.termination,
            Termination::TimedOut { limit_ms: limit, cpu_ms: Some(_), hung: None } if limit == limit_ms
        ),
        "{:?}",
        observation.termination
    );
    assert_eq!(observation.leftover_processes, 0);
    assert_eq!(
        main_task(&census).termination,
        Some(observation.termination.clone())
    );
    let child = only_child(&census);
    // Only the program as a whole has its CPU time measured at the deadline.
    assert_eq!(
        child.termination,
        Some(Termination::TimedOut {
            limit_ms,
            cpu_ms: None,
            hung: None
        })
    );
    // Killed at the deadline together with its parent, it was alive when the parent ended.
    assert_eq!(child.reaping, Some(Reaping::OutlivedParent));
    assert_eq!(counts(&census), [1, 1, 1, 0, 1]);
    assert_gone(&marker);
}

#[test]
fn cpu_time_counts_a_grandchilds_busy_loop_traced_or_not() {
    let program = compile("busy");
    let traced = program.traced(&["300"]);
    let mut untraced = traced.clone();
    untraced.trace = None;
    let observation = run(&untraced);
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert!(observation.census.is_none());
    assert!(observation.cpu_us >= 290_000, "{}", observation.cpu_us);

    let (observation, census) = census_of(&traced);
    assert!(observation.cpu_us >= 290_000, "{}", observation.cpu_us);
    assert_eq!(counts(&census), [0, 2, 1, 0, 0]);
    let grandchild = processes(&census)
        .into_iter()
        .find(|task| task.parent != Some(main_task(&census).tid))
        .expect("a grandchild");
    assert!(grandchild.cpu_us >= 290_000, "{grandchild:?}");
}

/// A job of `unjoined.c`, perturbed with `seed` when given.
fn unjoined(program: &Program, seed: Option<u64>) -> Job {
    let mut job = program.traced(&[]);
    job.trace = Some(Trace {
        perturb: seed.map(|seed| Perturbation {
            seed,
            max_delay_us: 1_000_000,
        }),
        ..Trace::default()
    });
    job
}

#[test]
fn perturbation_exposes_a_missing_join_and_replays_by_seed() {
    let program = compile("unjoined");
    let mut exposed = 0;
    for seed in 1..=20 {
        let job = unjoined(&program, Some(seed));
        let (observation, census) = census_of(&job);
        assert_eq!(observation.termination, Termination::Exited { code: 0 });
        assert_eq!(counts(&census), [1, 0, 0, 0, 0]);
        // The thread got the first delay of the seed.
        let perturbation = job
            .trace
            .and_then(|trace| trace.perturb)
            .expect("perturbed");
        let first = perturbation_delays(&perturbation).next().expect("endless");
        assert_eq!(
            census.tasks[1].delay_us,
            u64::try_from(first.as_micros()).expect("small")
        );
        if observation.stdout.text == "flag not yet set\n" {
            exposed += 1;
        } else {
            assert_eq!(observation.stdout.text, "flag set\n");
        }
    }
    // Seeds 1 to 20 hold the thread 65 to 965 ms (the run does not wait for them: the main
    // thread's exit ends it), long enough for the main thread to print first even on a loaded
    // machine, which may still once in a while keep it off a CPU as long.
    assert!(exposed >= 15, "exposed in only {exposed} of 20 runs");

    // The same seed gives the same delays, and so the same outcome.
    let runs: Vec<(String, Vec<u64>)> = (0..5)
        .map(|_| {
            let (observation, census) = census_of(&unjoined(&program, Some(1)));
            let delays = census.tasks.iter().map(|task| task.delay_us).collect();
            (observation.stdout.text, delays)
        })
        .collect();
    assert!(runs.iter().all(|run| run == &runs[0]), "{runs:#?}");
    assert_eq!(runs[0].0, "flag not yet set\n");
}

#[test]
fn perturbation_does_not_change_the_census() {
    let program = compile("tree");
    let mut job = program.traced(&[]);
    job.trace = Some(Trace {
        perturb: Some(Perturbation {
            seed: 3,
            max_delay_us: 3_000,
        }),
        ..Trace::default()
    });
    let (observation, census) = census_of(&job);
    assert_eq!(observation.termination, Termination::Exited { code: 0 });
    assert_eq!(counts(&census), [6, 7, 6, 0, 0], "{census:#?}");
    assert!(census.tasks[1..].iter().any(|task| task.delay_us > 0));
}

#[test]
fn a_task_held_by_the_perturbation_dies_at_the_deadline() {
    let program = compile("threads");
    let perturbation = Perturbation {
        seed: 1,
        max_delay_us: 10_000_000,
    };
    let first = perturbation_delays(&perturbation).next().expect("endless");
    assert!(first.as_secs() >= 5, "{first:?}");
    let mut job = program.traced(&["1"]);
    job.trace = Some(Trace {
        perturb: Some(perturbation),
        ..Trace::default()
    });
    // The thread is created, and held, before the deadline; every limit is shorter than the
    // hold, so the thread never runs.
    let (observation, limit_ms) = run_until_ready(&job, &GROWING_LIMITS_MS[..2], |observation| {
        observation
            .census
            .as_ref()
            .is_some_and(|census| census.threads == 1)
    });
    let census = census_in(&observation);
    assert_timed_out(&observation, limit_ms);
    assert_eq!(counts(&census), [1, 0, 0, 0, 0]);
    assert!(census.tasks.iter().all(|task| task.ended_us.is_some()));
}

#[test]
fn every_traced_process_dies_with_its_supervisor() {
    // Untraced, only the main process has a parent-death signal; traced, the kernel kills every
    // tracee when the tracer dies (`PTRACE_O_EXITKILL`).
    let marker = marker(22);
    let mut job = sh(&format!("sleep {marker} & sleep {marker} & wait"));
    job.trace = Some(Trace::default());
    // The shell and its two sleeps.
    let mut supervisor = start_supervisor(&job, &marker, 3);
    supervisor.kill().expect("killed");
    supervisor.wait().expect("reaped");
    // The sleeps outlast the wait: only the tracer's death can end them in time.
    assert_all_die(&marker, "traced processes outlived their supervisor");
}
