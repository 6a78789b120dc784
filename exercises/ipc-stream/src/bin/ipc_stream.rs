//! A parent sends its child a series of messages through a pipe, a byte stream: the stream half
//! of the IPC exercises.
//!
//! Run it with `cargo run --release --bin ipc_stream`. As given, the parent writes the messages
//! one after the other and the child takes whatever one `read` returns for one message. Run it a
//! few times: lengths and checksums come out wrong, because a pipe keeps no message boundaries.
//! Your job is the `TODO`s in `send` and `receive`.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use labgrade_support::{ArraySpec, MAX_MESSAGE_LEN};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Writes every message into the pipe.
fn send(mut pipe: impl Write, messages: &[Vec<u8>]) -> io::Result<()> {
    for message in messages {
        // TODO: the child cannot tell where this message ends and the next begins. Frame it:
        //       a length before it, or a delimiter (then escape that byte inside messages:
        //       they hold every byte value), or anything else the child can undo.
        pipe.write_all(message)?;
    }
    pipe.flush()
}

/// Reads the next message; `None` when the parent has closed the pipe.
fn receive(pipe: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    // TODO: one `read` returns what is in the pipe at that moment: part of a message, or
    //       several. Read exactly one framed message, however many `read`s that takes.
    let mut buffer = vec![0; MAX_MESSAGE_LEN];
    let read = pipe.read(&mut buffer)?;
    if read == 0 {
        return Ok(None);
    }
    buffer.truncate(read);
    Ok(Some(buffer))
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
