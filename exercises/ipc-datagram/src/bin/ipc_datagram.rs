//! A parent sends its child a series of messages through a datagram socket pair, which keeps
//! each message whole: the datagram half of the IPC exercises.
//!
//! Run it with `cargo run --release --bin ipc_datagram`. As given, the parent makes the socket
//! pair and forks, but sends nothing, and the child receives nothing. Your job is the `TODO`s in
//! `send` and `child_main`.

use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::process::ExitCode;

use labgrade_support::{ArraySpec, MAX_MESSAGE_LEN};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Sends every message to the child.
fn send(socket: &UnixDatagram, messages: &[Vec<u8>]) -> io::Result<()> {
    // TODO: send each message as one datagram (`UnixDatagram::send`), then tell the child that
    //       the series is over: closing a datagram socket does not end its peer's `recv`.
    let _ = (socket, messages);
    Ok(())
}

/// The child: prints one line per message, in order, until the last one.
fn child_main(socket: &UnixDatagram) -> i32 {
    // TODO: receive one datagram per message (`UnixDatagram::recv`, into a buffer big enough for
    //       the longest, `MAX_MESSAGE_LEN` bytes) and print
    //       `labgrade_support::message_line(index, &message)` for each, until the last.
    let _ = (socket, MAX_MESSAGE_LEN);
    0
}

fn main() -> ExitCode {
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let messages = labgrade_support::ipc_messages(spec.seed);
    let (parent_end, child_end) = match UnixDatagram::pair() {
        Ok(ends) => ends,
        Err(error) => {
            eprintln!("socketpair failed: {error}");
            return ExitCode::FAILURE;
        }
    };

    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(parent_end);
            let code = child_main(&child_end);
            let _ = io::stdout().flush();
            // SAFETY: `_exit` ends the calling process; it has no preconditions.
            unsafe { nix::libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(error) => {
            eprintln!("fork failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    drop(child_end);
    let sent = send(&parent_end, &messages);
    let status = waitpid(child, None);
    if let Err(error) = sent {
        eprintln!("could not send the messages: {error}");
        return ExitCode::FAILURE;
    }
    match status {
        Ok(WaitStatus::Exited(_, 0)) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("the child did not end well: {status:?}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("waitpid failed: {error}");
            ExitCode::FAILURE
        }
    }
}
