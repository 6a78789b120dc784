//! A parent sends its child a series of messages through a pipe, a byte stream: the stream half
//! of the IPC exercises (reference solution).
//!
//! Run it with `cargo run --release --bin ipc_stream`. A pipe keeps no message boundaries: a
//! `read` returns whatever bytes are there, part of a message or several at once. So every
//! message is framed: a 4-byte little-endian length, then the bytes, and the child reads exactly
//! that many bytes, however many `read`s it takes.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use labgrade_support::ArraySpec;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Writes every message, each behind its length.
fn send(mut pipe: impl Write, messages: &[Vec<u8>]) -> io::Result<()> {
    for message in messages {
        let len = u32::try_from(message.len()).map_err(io::Error::other)?;
        pipe.write_all(&len.to_le_bytes())?;
        pipe.write_all(message)?;
    }
    pipe.flush()
}

/// Reads one framed message; `None` at the end of the stream, between two messages.
fn receive(pipe: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0; 4];
    let mut filled = 0;
    while filled < header.len() {
        match pipe.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let mut message = vec![0; u32::from_le_bytes(header) as usize];
    pipe.read_exact(&mut message)?;
    Ok(Some(message))
}

/// The child: prints one line per message until the parent closes the pipe.
fn child_main(mut pipe: impl Read) -> i32 {
    let mut index = 0;
    loop {
        match receive(&mut pipe) {
            Ok(Some(message)) => {
                println!("{}", labgrade_support::message_line(index, &message));
                index += 1;
            }
            Ok(None) => return 0,
            Err(error) => {
                eprintln!("child: could not read message {index}: {error}");
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
    let (reader, writer) = match io::pipe() {
        Ok(ends) => ends,
        Err(error) => {
            eprintln!("pipe failed: {error}");
            return ExitCode::FAILURE;
        }
    };

    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    let child = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            // The child's copy of the writing end must be closed, or it never sees the end.
            drop(writer);
            let code = child_main(reader);
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
    drop(reader);
    // Dropping the writer closes it: the child reads to the end, then exits.
    let sent = send(writer, &messages);
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
