//! Reference solution: a child process writes a message to a file, the parent waits for it and
//! then reads the file.
//!
//! `waitpid` returns only once the child has ended, so the parent never reads the file before
//! the child has written it; the status it returns also tells whether the child succeeded.

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use labgrade_support::ArraySpec;
use nix::sys::wait::{WaitStatus, waitpid};
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

    // Wait for the child: only once it has ended is the message surely in the file.
    match waitpid(child, None) {
        Ok(WaitStatus::Exited(_, 0)) => {}
        Ok(WaitStatus::Exited(_, code)) => {
            eprintln!("the child (pid {child}) exited with code {code}");
            return ExitCode::FAILURE;
        }
        Ok(WaitStatus::Signaled(_, signal, _)) => {
            eprintln!(
                "the child (pid {child}) was killed by signal {} ({signal})",
                signal as i32
            );
            return ExitCode::FAILURE;
        }
        Ok(other) => {
            eprintln!("the child (pid {child}) ended in an unexpected way: {other:?}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("waitpid for the child (pid {child}) failed: {error}");
            return ExitCode::FAILURE;
        }
    }

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
