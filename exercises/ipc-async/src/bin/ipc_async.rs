//! One consumer receives the messages of two producers, each through its own pipe: the
//! asynchronous half of the IPC exercises.
//!
//! Run it with `cargo run --release --bin ipc_async`. The producers are written for you, in
//! `src/lib.rs` (not graded; nothing to change there). As given, the consumer reads
//! synchronously: it blocks on producer 0's pipe until producer 0 has finished, and only then
//! looks at producer 1's, whose messages wait all that time. Your job is the `TODO`s in
//! `consume` and `Channel`: make the reads non-blocking, sleep in `poll` until some channel has
//! news, and say on each wake-up how much is waiting on each channel.

use std::io::{self, PipeReader, Read, Write};
use std::process::ExitCode;

use labgrade_support::{ArraySpec, PIPE_BUF};

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

fn main() -> ExitCode {
    let spec = match ArraySpec::from_env() {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The producers are provided (`src/lib.rs`): they are forked, each writing into its own
    // pipe, and this process holds only the reading ends.
    let (readers, producers) = match ipc_async::start_producers(spec.seed) {
        Ok(started) => started,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
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
    // Close the reading ends before waiting: a producer still sending after the consumer gave
    // up then fails to write and exits, instead of blocking on a full pipe forever.
    drop(channels);
    let mut success = true;
    if let Err(error) = consumed {
        eprintln!("consumer: {error}");
        success = false;
    }
    if !producers.wait() {
        success = false;
    }
    let _ = io::stdout().flush();
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
