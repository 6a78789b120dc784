//! One consumer receives the messages of two producers, each through its own pipe: the
//! asynchronous half of the IPC exercises.
//!
//! Run it with `cargo run --release --bin ipc_async`. The producers are written for you. As
//! given, the consumer reads synchronously: it blocks on producer 0's pipe until producer 0 has
//! finished, and only then looks at producer 1's, whose messages wait all that time. Your job is
//! the `TODO`s in `consume` and `Channel`: make the reads non-blocking, sleep in `poll` until
//! some channel has news, and say on each wake-up how much is waiting on each channel.

use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use labgrade_support::{ASYNC_PRODUCERS, ArraySpec, PIPE_BUF};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// What producer `producer` does: sends its messages, each after its pause, then exits.
///
/// Nothing to change here.
fn producer_main(producer: usize, seed: u64, pipe: &PipeWriter) -> i32 {
    labgrade_support::fault_point(producer);
    for message in labgrade_support::async_messages(seed, producer) {
        thread::sleep(Duration::from_millis(message.pause_ms));
        let bytes = format!("{}\n", message.line);
        // One `write` per message: a write of at most PIPE_BUF bytes reaches a pipe whole, so
        // the consumer never sees part of a message.
        match nix::unistd::write(pipe, bytes.as_bytes()) {
            Ok(written) if written == bytes.len() => {}
            Ok(written) => {
                eprintln!(
                    "producer {producer}: wrote {written} of {} bytes",
                    bytes.len()
                );
                return 1;
            }
            Err(error) => {
                eprintln!("producer {producer}: write failed: {error}");
                return 1;
            }
        }
    }
    0
}

/// The consumer's side of one producer's pipe.
struct Channel {
    producer: usize,
    pipe: PipeReader,
    /// Bytes of a message not yet complete (a read may end in the middle of one).
    partial: Vec<u8>,
    open: bool,
}

impl Channel {
    /// Prints every complete message in `bytes`, one line each, exactly as it was sent.
    fn print_messages(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|&byte| byte == b'\n') {
            println!("{}", String::from_utf8_lossy(&self.partial[..end]));
            self.partial.drain(..=end);
        }
    }

    /// Reads the channel until its producer closes it, printing the messages.
    fn read_to_end(&mut self) -> io::Result<()> {
        let producer = self.producer;
        let mut buffer = [0; PIPE_BUF];
        loop {
            // TODO: this `read` blocks while the pipe is empty, even when the other producer's
            //       messages are waiting. Visit a channel only when `poll` says something
            //       happened, and then:
            //       - ask how many bytes wait (`ioctl(fd, FIONREAD, &mut n)`; declare it with
            //         `nix::ioctl_read_bad!` and `nix::libc::FIONREAD`);
            //       - if some do, print `producer {producer}: {n} bytes waiting` and read
            //         exactly those n bytes;
            //       - if none do, a non-blocking read tells the end of file (it returns 0:
            //         print `producer {producer}: closed`) from an empty pipe (it fails with
            //         EAGAIN, `io::ErrorKind::WouldBlock`: print `producer {producer}: no
            //         message`).
            match self.pipe.read(&mut buffer) {
                Ok(0) => {
                    self.open = false;
                    return Ok(());
                }
                Ok(read) => self.print_messages(&buffer[..read]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(io::Error::new(
                        error.kind(),
                        format!("producer {producer}: {error}"),
                    ));
                }
            }
        }
    }
}

/// The consumer: prints the messages of every producer, until all have closed their channels.
fn consume(channels: &mut [Channel]) -> io::Result<()> {
    // TODO: make every reading end non-blocking (`fcntl` with `F_SETFL` and `O_NONBLOCK`).
    // TODO: instead of reading the channels one after the other, loop while a channel is open:
    //       sleep in `nix::poll::poll` (timeout `PollTimeout::NONE`) on the open channels, and
    //       on each wake-up visit every open channel, producer 0 first (see `read_to_end`).
    //       `POLLHUP` in a channel's `revents` means its producer has closed its end.
    for channel in channels.iter_mut() {
        channel.read_to_end()?;
    }
    Ok(())
}

/// Forks producer `producer`, which writes into its own pipe's end and nothing else.
fn spawn_producer(
    producer: usize,
    seed: u64,
    writers: &mut Vec<Option<PipeWriter>>,
    readers: &mut Vec<PipeReader>,
) -> nix::Result<Pid> {
    // SAFETY: the process has a single thread when it forks, so the child may run any code.
    match unsafe { fork() }? {
        ForkResult::Child => {
            // Close every other end: a producer holding another's writing end would keep that
            // channel from ever reaching its end of file.
            readers.clear();
            let own = writers[producer].take();
            writers.clear();
            let code = own.map_or(1, |pipe| producer_main(producer, seed, &pipe));
            // SAFETY: `_exit` ends the calling process; it has no preconditions.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => Ok(child),
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
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..ASYNC_PRODUCERS {
        match io::pipe() {
            Ok((reader, writer)) => {
                readers.push(reader);
                writers.push(Some(writer));
            }
            Err(error) => {
                eprintln!("pipe failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut children = Vec::new();
    for producer in 0..ASYNC_PRODUCERS {
        match spawn_producer(producer, spec.seed, &mut writers, &mut readers) {
            Ok(child) => children.push(child),
            Err(error) => {
                eprintln!("fork failed: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    // The consumer's copies of the writing ends must be closed, or no channel ever ends.
    writers.clear();
    let mut channels: Vec<Channel> = readers
        .into_iter()
        .enumerate()
        .map(|(producer, pipe)| Channel {
            producer,
            pipe,
            partial: Vec::new(),
            open: true,
        })
        .collect();
    let consumed = consume(&mut channels);
    drop(channels);
    let mut success = true;
    if let Err(error) = consumed {
        eprintln!("consumer: {error}");
        success = false;
    }
    for (producer, child) in children.into_iter().enumerate() {
        match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, 0)) => {}
            Ok(status) => {
                eprintln!("producer {producer} did not end well: {status:?}");
                success = false;
            }
            Err(error) => {
                eprintln!("waitpid failed: {error}");
                success = false;
            }
        }
    }
    let _ = io::stdout().flush();
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
