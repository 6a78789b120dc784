//! A parent sends its child a series of messages through a datagram socket pair, which keeps
//! each message whole: the datagram half of the IPC exercises (reference solution).
//!
//! Run it with `cargo run --release --bin ipc_datagram`. `UnixDatagram::pair` is
//! `socketpair(AF_UNIX, SOCK_DGRAM)`: each `send` is one datagram and each `recv` returns exactly
//! one, whole, or nothing. No framing is needed, only a way to tell the last message: closing a
//! datagram socket does not end its peer's `recv`, so the parent sends an empty datagram last
//! (every real message has at least one byte).

use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::process::ExitCode;

use labgrade_support::{ArraySpec, MAX_MESSAGE_LEN};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Sends every message, one datagram each, then the empty datagram that ends the series.
fn send(socket: &UnixDatagram, messages: &[Vec<u8>]) -> io::Result<()> {
    for message in messages {
        let sent = socket.send(message)?;
        if sent != message.len() {
            return Err(io::Error::other("a datagram was sent in part"));
        }
    }
    socket.send(&[])?;
    Ok(())
}

/// The child: prints one line per datagram until the empty one.
fn child_main(socket: &UnixDatagram) -> i32 {
    // One byte more than the longest message: a datagram that fills it was cut.
    let mut buffer = vec![0; MAX_MESSAGE_LEN + 1];
    let mut index = 0;
    loop {
        match socket.recv(&mut buffer) {
            Ok(0) => return 0,
            Ok(len) if len > MAX_MESSAGE_LEN => {
                eprintln!("child: message {index} is longer than {MAX_MESSAGE_LEN} bytes");
                return 1;
            }
            Ok(len) => {
                println!("{}", labgrade_support::message_line(index, &buffer[..len]));
                index += 1;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                eprintln!("child: could not receive message {index}: {error}");
                return 1;
            }
        }
    }
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
