//! The hostile corpus: submissions that attack the machine, the harness and other students,
//! graded in one batch beside an honest submission.
//!
//! For each: the verdict names the cause, the harness observes every program to its end (none
//! makes it hang: a supervisor that did would be given up on, and the case would have no
//! observation), the honest submission's grade is the one it gets when graded alone, no process of
//! the uids the programs ran as remains, nothing is left in labgrade's temporary folder or
//! planted in `/tmp`, and labgrade's own peak memory stays bounded while a program floods
//! gigabytes into its stdout.
//!
//! The corpus holds a fork bomb and `kill(-1, SIGKILL)`: it runs only as root (as in CI), where
//! every program gets an unprivileged uid of its own; as another user the test says it skipped.

use std::io::{ErrorKind, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    Cli, Grade, assert_code, copy_dir, find_check, labgrade_process, needs_root_for,
    processes_under, root,
};

/// The hostile submissions, each a fixture in `tests/fixtures/sum-array/`.
const HOSTILE: [&str; 13] = [
    "fork_bomb",
    "memory_hog",
    "output_flood",
    "ignores_sigterm",
    "setsid_escape",
    "kill_everyone",
    "kill_parent",
    "reads_solution",
    "writes_outside",
    "network_connect",
    "disk_filler",
    "fd_exhaustion",
    "waits_on_stdin",
];
/// Time limit of every case in the hostile rubric.
const CASE_LIMIT_MS: u64 = 2_000;
/// labgrade's own resident memory may not grow past this while grading the corpus; an
/// output flood buffered instead of drained would take gigabytes.
const PEAK_MEMORY_BOUND_KIB: u64 = 256 * 1024;
/// What `writes_outside` tries to plant.
const PLANTED: &str = "labgrade-planted-by-writes-outside";

/// Peak resident memory of process `pid` so far, in KiB (`VmHWM`).
fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The one case of check `check` in the report `report`.
#[track_caller]
fn case<'a>(report: &'a Value, check: &str) -> &'a Value {
    &find_check(report, check)["cases"][0]
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value:#}"))
}

/// A grade without what differs from one run to another: seeds, timings, paths, measurements.
fn comparable(report: &Value) -> Value {
    let checks: Vec<Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| {
            let cases: Vec<Value> = check["cases"]
                .as_array()
                .map(|cases| {
                    cases
                        .iter()
                        .map(|case| {
                            serde_json::json!({
                                "name": case["name"],
                                "passed": case["passed"],
                                "score": case["score"],
                                "termination": case["observed"]["termination"],
                                "failures": case["failures"],
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({
                "id": check["id"], "status": check["status"], "score": check["score"],
                "cases": cases,
            })
        })
        .collect();
    serde_json::json!({
        "score": report["score"], "max_score": report["max_score"],
        "build": report["build"]["status"], "checks": checks,
    })
}

/// Runs `labgrade batch` of `class` into `out` with `temp` as its temporary folder; returns
/// labgrade's peak resident memory in KiB.
fn run_batch(class: &Path, rubric: &Path, temp: &Path, out: &Path) -> u64 {
    let started = Instant::now();
    let mut batch = labgrade_process()
        .arg("batch")
        .arg(class)
        .arg("--rubric")
        .arg(rubric)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "2", "--quiet"])
        .env("TMPDIR", temp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = batch.id();
    let mut peak_kib = 0;
    // Polled until labgrade ends; VmHWM only grows, so the last reading is close to the peak.
    while batch.try_wait().unwrap().is_none() {
        peak_kib = peak_kib.max(peak_memory_kib(pid).unwrap_or(0));
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the batch is still running after 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
    let output = batch.wait_with_output().unwrap();
    assert_code(&output, 0);
    peak_kib
}

/// The verdict of every hostile submission names its cause, or shows the attack refused.
fn assert_verdicts(report: &dyn Fn(&str) -> Value) {
    // Verdicts that name the cause.
    let verdict = |name: &str| -> (Value, String) {
        let case = case(&report(name), "threads-sum").clone();
        let text = text(&case, "/observed/termination_text").to_owned();
        (case, text)
    };
    // Whether cgroups must have been used, probed apart from labgrade: labgrade failing to
    // use them must fail here, not fall back to the weaker verdicts unnoticed.
    let cgroups = crate::containment::needs_cgroups();
    let (case, termination) = verdict("fork_bomb");
    assert!(termination.contains("time limit"), "{termination}");
    if cgroups {
        assert!(case["observed"]["resources"].is_object(), "{case:#}");
        assert!(
            case["observed"]["notes"]
                .as_array()
                .is_some_and(|notes| notes.iter().any(|note| note
                    .as_str()
                    .is_some_and(|note| note.contains("task limit")))),
            "{case:#}"
        );
    }
    let (case, termination) = verdict("memory_hog");
    if cgroups {
        assert!(
            case["observed"]["resources"]["memory_limit_bytes"].is_u64(),
            "{case:#}"
        );
        assert!(
            termination.starts_with("killed for memory"),
            "{termination}"
        );
    } else {
        assert!(
            text(&case, "/observed/stderr/text").contains("memory allocation"),
            "{case:#}"
        );
    }
    let (case, termination) = verdict("output_flood");
    assert!(termination.contains("time limit"), "{termination}");
    assert_eq!(case["observed"]["stdout"]["truncated"], true);
    assert!(
        case["observed"]["stdout"]["total_bytes"].as_u64().unwrap() > 1 << 20,
        "{:#}",
        case["observed"]["stdout"]
    );
    let (_, termination) = verdict("ignores_sigterm");
    assert!(
        termination.contains("time limit") && termination.contains("blocked or sleeping"),
        "{termination}"
    );
    let (case, _) = verdict("setsid_escape");
    assert_eq!(case["observed"]["leftover_processes"], 1, "{case:#}");
    let (_, termination) = verdict("disk_filler");
    assert!(
        termination.contains("SIGXFSZ") && termination.contains("file beyond the size limit"),
        "{termination}"
    );
    let (case, _) = verdict("fd_exhaustion");
    assert!(
        text(&case, "/observed/stderr/text").contains("Too many open files"),
        "{case:#}"
    );
    let (case, termination) = verdict("waits_on_stdin");
    assert_eq!(termination, "exited with code 1");
    assert!(
        text(&case, "/observed/stderr/text").contains("no worker count on stdin"),
        "{case:#}"
    );

    // Attacks that fail: the program still ran to the end, and says it was refused.
    for (name, refused) in [
        ("kill_everyone", "kill(-1)"),
        ("kill_parent", "kill(parent) refused"),
        ("reads_solution", "stolen files: 0"),
        ("network_connect", "connections: 0"),
    ] {
        let (case, termination) = verdict(name);
        assert_eq!(termination, "exited with code 0", "{name}: {case:#}");
        let stderr = text(&case, "/observed/stderr/text");
        assert!(stderr.contains(refused), "{name}: {stderr}");
    }
    let (case, _) = verdict("reads_solution");
    assert!(
        !text(&case, "/observed/stderr/text").contains("stolen /"),
        "{case:#}"
    );
    let (case, _) = verdict("writes_outside");
    let stderr = text(&case, "/observed/stderr/text");
    assert!(!stderr.contains("planted /"), "{stderr}");
    assert_eq!(stderr.matches("refused /").count(), 4, "{stderr}");
}

#[test]
fn hostile_corpus_is_contained_in_a_batch_beside_an_honest_submission() {
    if !needs_root_for(
        "the corpus holds a fork bomb and kill(-1), safe only under a uid of its own",
    ) {
        return;
    }
    let fixtures = root().join("tests/fixtures/sum-array");
    let rubric = root().join("tests/fixtures/rubrics/hostile.toml");
    let class = tempfile::tempdir().unwrap();
    for name in HOSTILE {
        copy_dir(&fixtures.join(name), &class.path().join(name));
    }
    copy_dir(&fixtures.join("all_pass"), &class.path().join("honest"));
    let temp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let planted_in_tmp = PathBuf::from("/tmp").join(PLANTED);
    let _ = std::fs::remove_file(&planted_in_tmp);

    let peak_kib = run_batch(class.path(), &rubric, temp.path(), out.path());
    assert!(
        peak_kib > 0 && peak_kib < PEAK_MEMORY_BOUND_KIB,
        "labgrade's peak memory: {peak_kib} KiB"
    );

    let report = |student: &str| -> Value {
        let path = out.path().join("reports").join(format!("{student}.json"));
        serde_json::from_str(
            &std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("no report {}: {error}", path.display())),
        )
        .unwrap()
    };
    for name in HOSTILE.iter().chain(&["honest"]) {
        let report = report(name);
        let case = case(&report, "threads-sum");
        // Observed to its end: a hung supervisor would have left the case with an error.
        assert!(case["observed"].is_object(), "{name}: {case:#}");
        // A program killed at a deadline was killed at the rubric's.
        let termination = &case["observed"]["termination"];
        if termination["kind"] == "timed_out" {
            assert_eq!(termination["limit_ms"], CASE_LIMIT_MS, "{name}: {case:#}");
        }
        let uid = case["observed"]["containment"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|item| item.as_str()?.strip_prefix("uid ")?.parse::<u32>().ok());
        assert!(
            uid.is_some(),
            "{name} did not run under a uid of its own: {case:#}"
        );
    }
    assert_verdicts(&report);
    // The readable feedback says so too, though the escapee's case passed.
    let feedback = std::fs::read_to_string(out.path().join("feedback/setsid_escape.txt")).unwrap();
    assert!(
        feedback.contains("1 process(es) were still running after the program ended"),
        "{feedback}"
    );
    assert!(!planted_in_tmp.exists());
    assert!(!root().join(PLANTED).exists());
    assert!(
        matches!(listener.accept(), Err(ref error) if error.kind() == ErrorKind::WouldBlock),
        "a student program reached the test's listener"
    );

    // The honest submission's grade is the one it gets alone.
    let alone = Grade::fixture("all_pass").rubric(&rubric).json();
    assert_eq!(alone.code, 0);
    assert_eq!(comparable(&report("honest")), comparable(&alone.report));
    assert_eq!(report("honest")["score"], 100.0);

    // Nothing left: no process runs a program of the batch (their binaries all lie in
    // labgrade's temporary folder), whichever uid it ran as.
    assert_eq!(processes_under(temp.path()), Vec::<String>::new());
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the temporary folder: {left:?}");
}

#[test]
fn a_compiler_bomb_is_a_compile_error() {
    let graded = Grade::fixture("compiler_bomb").json();
    assert_compile_error(&graded, "more memory than available to compiler");
}

/// What the first case of `threads-sum` printed.
fn first_stdout(graded: &crate::support::Graded) -> String {
    find_check(&graded.report, "threads-sum")["cases"][0]["observed"]["stdout"]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Asserts that the build was a compile error whose diagnostics hold `needle`.
#[track_caller]
fn assert_compile_error(graded: &crate::support::Graded, needle: &str) {
    let build = &graded.report["build"];
    assert_eq!(build["status"], "compile_error", "{build:#}");
    let diagnostics = build["diagnostics"].as_str().unwrap();
    assert!(diagnostics.contains(needle), "{diagnostics}");
}

/// Whether `labgrade doctor` finds Landlock here; says the test skipped if not.
pub(crate) fn has_landlock() -> bool {
    let found = Cli::doctor().run().stdout().contains("yes  landlock");
    if !found {
        let _ = writeln!(std::io::stderr(), "skipped: no Landlock");
    }
    found
}

#[test]
fn the_compiler_cannot_read_the_course() {
    if !has_landlock() {
        return;
    }
    // The fixture's path leads to the real rubric from the build folder of the tests' cache,
    // `<course>/target/tmp/labgrade-cache/builds/sum-array/ws-<n>/sum-array`: without the
    // sandbox it would compile.
    if Path::new(env!("CARGO_TARGET_TMPDIR")) != root().join("target/tmp") {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the target folder is not `target/` of the course"
        );
        return;
    }
    assert!(root().join("rubrics/sum-array.toml").is_file());
    let graded = Grade::fixture("includes_solution").json();
    assert_compile_error(&graded, "rubrics/sum-array.toml`: Permission denied");
}

#[test]
fn a_build_never_sees_labgrades_environment() {
    let secret = format!("ci-token-{}", std::process::id());
    let graded = Grade::fixture("reads_build_secrets")
        .env("LABGRADE_TEST_SECRET", &secret)
        .json();
    assert_eq!(graded.report["build"]["status"], "built");
    let stdout = first_stdout(&graded);
    assert!(stdout.contains("by name: None"), "{stdout}");
    assert!(!graded.report.to_string().contains(&secret), "{stdout}");
}

#[test]
fn a_build_cannot_read_proc() {
    if !has_landlock() {
        return;
    }
    let graded = Grade::fixture("reads_proc_at_build").json();
    assert_compile_error(&graded, "/proc/1/environ`: Permission denied");
}

#[test]
fn a_build_cannot_read_cargos_credentials() {
    if !has_landlock() {
        return;
    }
    // A cargo home of its own, with the real one's binaries and registry, and a token.
    let real = std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"),
        PathBuf::from,
    );
    let home = tempfile::tempdir().unwrap();
    for folder in ["bin", "registry"] {
        std::os::unix::fs::symlink(real.join(folder), home.path().join(folder)).unwrap();
    }
    let token = format!("cio-token-{}", std::process::id());
    std::fs::write(
        home.path().join("credentials.toml"),
        format!("[registry]\ntoken = \"{token}\"\n"),
    )
    .unwrap();
    let graded = Grade::fixture("reads_cargo_credentials")
        .env("CARGO_HOME", home.path())
        .json();
    assert_compile_error(&graded, "credentials.toml`: Permission denied");
    assert!(!graded.report.to_string().contains(&token));
}

#[test]
fn a_link_anywhere_on_a_graded_path_is_never_followed() {
    let solution = root().join("exercises/sum-array/solution");
    let class = tempfile::tempdir().unwrap();
    // `src` a link to the reference solution's; `src/bin` a link; the file itself a link.
    let whole = class.path().join("linked_src");
    std::fs::create_dir(&whole).unwrap();
    std::os::unix::fs::symlink(solution.join("src"), whole.join("src")).unwrap();
    let bin = class.path().join("linked_bin");
    std::fs::create_dir_all(bin.join("src")).unwrap();
    std::os::unix::fs::symlink(solution.join("src/bin"), bin.join("src/bin")).unwrap();
    let file = class.path().join("linked_file");
    std::fs::create_dir_all(file.join("src/bin")).unwrap();
    for name in ["sum_array_threads.rs", "sum_array_processes.rs"] {
        std::os::unix::fs::symlink(
            solution.join("src/bin").join(name),
            file.join("src/bin").join(name),
        )
        .unwrap();
    }
    for (submission, link) in [(&whole, "src"), (&bin, "src/bin"), (&file, "")] {
        let graded = Grade::fixture("all_pass").submission(submission).json();
        let build = &graded.report["build"];
        assert_eq!(build["status"], "missing_files", "{build:#}");
        assert_eq!(graded.report["score"], 0.0);
        let diagnostics = build["diagnostics"].as_str().unwrap();
        let said = if link.is_empty() {
            "`src/bin/sum_array_threads.rs` is a symbolic link, which labgrade never follows"
                .to_owned()
        } else {
            format!("`src/bin/sum_array_threads.rs` is reached through `{link}`, a symbolic link")
        };
        assert!(diagnostics.contains(&said), "{diagnostics}");
    }
}

#[test]
fn a_program_cannot_read_labgrades_session_keyring() {
    if !needs_root_for("a uid of the program's own, which the keyring's permissions hold against") {
        return;
    }
    let secret = format!("runner-key-{}", std::process::id());
    // This thread's own session keyring, with a key in it, which the labgrade it starts
    // inherits. The numbers are those of <linux/keyctl.h>.
    let (description, payload) = (c"labgrade-test", secret.as_bytes());
    // SAFETY: plain system calls with valid, NUL-terminated strings and a sized payload.
    let added = unsafe {
        nix::libc::syscall(nix::libc::SYS_keyctl, 1_i64, std::ptr::null::<u8>());
        nix::libc::syscall(
            nix::libc::SYS_add_key,
            c"user".as_ptr(),
            description.as_ptr(),
            payload.as_ptr(),
            payload.len(),
            -3_i64,
        )
    };
    assert!(added > 0, "add_key: {}", std::io::Error::last_os_error());
    let graded = Grade::fixture("reads_keyring").json();
    let stdout = first_stdout(&graded);
    assert!(stdout.contains("0 keys"), "{stdout}");
    assert!(!graded.report.to_string().contains(&secret), "{stdout}");
}

#[test]
fn system_v_shared_memory_goes_with_the_program() {
    if !needs_root_for("an IPC namespace of the program's own") {
        return;
    }
    let graded = Grade::fixture("leaves_shared_memory").json();
    let stdout = first_stdout(&graded);
    assert!(stdout.contains("left segment"), "{stdout}");
    // Keys 0x4c470001 to 0x4c470008, in decimal as /proc lists them.
    let left = crate::reach::shared_memory_with_keys(0x4c47_0000..=0x4c47_0008);
    assert!(left.is_empty(), "segments left behind: {left:?}");
}

#[test]
fn a_program_cannot_connect_to_a_socket_left_open_to_all() {
    use std::os::unix::fs::PermissionsExt;
    if !needs_root_for("a mount namespace with a private /tmp and /run") {
        return;
    }
    // labgrade's temporary folder, `/tmp/<name>`, names the sockets the program guesses.
    let temp = tempfile::Builder::new()
        .prefix("labgrade-sock-")
        .tempdir_in("/tmp")
        .unwrap();
    let name = temp
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let mut listeners = Vec::new();
    for folder in ["/tmp", "/run"] {
        let path = Path::new(folder).join(format!("{name}.sock"));
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        listener.set_nonblocking(true).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        listeners.push((path, listener));
    }
    let graded = Grade::fixture("connects_to_sockets")
        .temp_dir(temp.path())
        .json();
    let stdout = first_stdout(&graded);
    for (path, listener) in &listeners {
        let accepted = listener.accept();
        std::fs::remove_file(path).unwrap();
        assert!(
            accepted
                .as_ref()
                .is_err_and(|error| error.kind() == ErrorKind::WouldBlock),
            "{} accepted a connection: {stdout}",
            path.display()
        );
    }
    assert!(
        stdout.contains(&format!("refused by /run/{name}.sock")),
        "{stdout}"
    );
    assert!(!stdout.contains("connected to"), "{stdout}");
}
