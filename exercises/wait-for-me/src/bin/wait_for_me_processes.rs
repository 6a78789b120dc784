//! A child process writes a message to a file and the parent prints it: the processes half of
//! wait-for-me.
//!
//! Run it with `cargo run --release --bin wait_for_me_processes -- message.txt`.
//! As given, the parent forks the child and reads the file right away, without waiting for the
//! child. Run it a few times (delete the file between runs): the message is usually missing,
//! because the child takes its time. Your job is the `TODO` in `main`.

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use labgrade_support::ArraySpec;
use nix::unistd::{ForkResult, fork};

/// How long the child waits before writing, as if it had real work to do first.
const CHILD_DELAY: Duration = Duration::from_millis(200);

/// Reads the path of the message file from the first command-line argument.
fn file_from_args() -> Result<PathBuf, String> {
    let mut args = std::env::args_os();
    let program = args.next().map_or_else(
        || "wait_for_me_processes".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    match args.next() {
        Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => Err(format!("usage: {program} <file>")),
    }
}

/// The content of the message file; a file that does not exist (yet) holds no message.
fn read_message(path: &Path) -> io::Result<String> {
    match std::fs::read_to_string(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            eprintln!("{} does not exist", path.display());
            Ok(String::new())
        }
        other => other,
    }
}

/// What the child process does: wait a little, write `message` to `path`, and exit.
fn child_main(path: &Path, message: &str) -> ! {
    // Lets the grader crash the child on purpose; keep it the first thing the child does.
    labgrade_support::fault_point(0);
    thread::sleep(CHILD_DELAY);
    let code = match std::fs::write(path, message) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("child: could not write {}: {error}", path.display());
            1
        }
    };
    // Leave at once: the child must not run the parent's code that follows `fork`.
    // SAFETY: `_exit` ends the calling process; it has no preconditions.
    unsafe { nix::libc::_exit(code) }
}

fn main() -> ExitCode {
    let path = match file_from_args() {
        Ok(path) => path,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let message = labgrade_support::message(spec.seed);

    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => child_main(&path, &message),
        Ok(ForkResult::Parent { child }) => child,
        Err(error) => {
            eprintln!("fork failed: {error}");
            return ExitCode::FAILURE;
        }
    };

    // TODO: wait for the child to end (`nix::sys::wait::waitpid`) before reading the file.
    //       `waitpid` also tells you how the child ended: if it did not exit with code 0
    //       (a non-zero exit code, or killed by a signal), say so on stderr and exit with a
    //       non-zero status instead of printing the message.
    let _ = child;

    match read_message(&path) {
        Ok(content) => {
            println!("Message: {content}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("could not read {}: {error}", path.display());
            ExitCode::FAILURE
        }
    }
}
