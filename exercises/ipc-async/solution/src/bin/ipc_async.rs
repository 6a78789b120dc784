//! One consumer receives the messages of two producers, each through its own pipe, without ever
//! blocking on an empty one: the asynchronous half of the IPC exercises (reference solution).
//!
//! Run it with `cargo run --release --bin ipc_async`. Both reading ends are non-blocking, so a
//! `read` of an empty pipe returns `EAGAIN` at once instead of waiting. To learn when a message
//! has come without spinning, the consumer sleeps in `poll` on both channels at once; when it
//! wakes, it asks each channel how many bytes are waiting (`ioctl(FIONREAD)`) and reads exactly
//! those.

use std::io::{self, PipeReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;

use labgrade_support::{ArraySpec, PIPE_BUF};
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

nix::ioctl_read_bad!(
    /// `ioctl(fd, FIONREAD, &n)`: how many bytes wait to be read from `fd`.
    fionread,
    nix::libc::FIONREAD,
    nix::libc::c_int
);

/// The consumer's side of one producer's pipe.
struct Channel {
    producer: usize,
    pipe: PipeReader,
    /// Bytes of a message not yet complete. Each message arrives whole, so this stays empty,
    /// but a reader of a byte stream should not rely on it.
    partial: Vec<u8>,
    open: bool,
}

impl Channel {
    /// How many bytes wait in the pipe, as the kernel counts them.
    fn bytes_waiting(&self) -> io::Result<usize> {
        let mut waiting: nix::libc::c_int = 0;
        // SAFETY: the descriptor is open for as long as `self.pipe` lives, and FIONREAD writes
        // one `c_int` through the pointer, which points to one.
        unsafe { fionread(self.pipe.as_raw_fd(), &raw mut waiting) }?;
        usize::try_from(waiting).map_err(io::Error::other)
    }

    /// Reads exactly `len` bytes that are known to be waiting.
    fn read_waiting(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut bytes = vec![0; len];
        let mut filled = 0;
        while filled < len {
            match self.pipe.read(&mut bytes[filled..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                // No one else reads this pipe, so the bytes FIONREAD counted are still there;
                // `WouldBlock` would mean they vanished, which is an error here.
                Err(error) => return Err(error),
            }
        }
        Ok(bytes)
    }

    /// Prints every complete message in `bytes`, one line each, exactly as it was sent.
    fn print_messages(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|&byte| byte == b'\n') {
            println!("{}", String::from_utf8_lossy(&self.partial[..end]));
            self.partial.drain(..=end);
        }
    }

    /// Looks at the channel once, after a wake-up: prints what is waiting, that nothing is, or
    /// that the producer has closed its end.
    fn visit(&mut self, hung_up: bool) -> io::Result<()> {
        let producer = self.producer;
        let waiting = self.bytes_waiting()?;
        if waiting > 0 {
            println!("producer {producer}: {waiting} bytes waiting");
            let bytes = self.read_waiting(waiting)?;
            self.print_messages(&bytes);
            return Ok(());
        }
        if hung_up {
            // Nothing waits and no writer is left: nothing can come any more.
            println!("producer {producer}: closed");
            self.open = false;
            return Ok(());
        }
        // The pipe is empty: a non-blocking read says so at once with EAGAIN, where a blocking
        // one would sleep until the producer's next message.
        let mut probe = [0; PIPE_BUF];
        match self.pipe.read(&mut probe) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                println!("producer {producer}: no message");
            }
            Err(error) => return Err(error),
            Ok(0) => {
                println!("producer {producer}: closed");
                self.open = false;
            }
            Ok(read) => {
                // A message came between the query and the read. Count it with whatever came
                // after it, so that the announced size is what gets printed.
                let rest = self.bytes_waiting()?;
                let more = self.read_waiting(rest)?;
                println!("producer {producer}: {} bytes waiting", read + rest);
                self.print_messages(&probe[..read]);
                self.print_messages(&more);
            }
        }
        Ok(())
    }
}

/// The consumer: sleeps until some channel has news, then visits every open channel, until
/// both producers have closed theirs.
fn consume(channels: &mut [Channel]) -> io::Result<()> {
    for channel in channels.iter() {
        fcntl(channel.pipe.as_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
    }
    while channels.iter().any(|channel| channel.open) {
        let watched: Vec<usize> = (0..channels.len())
            .filter(|&index| channels[index].open)
            .collect();
        let mut fds: Vec<PollFd<'_>> = watched
            .iter()
            .map(|&index| PollFd::new(channels[index].pipe.as_fd(), PollFlags::POLLIN))
            .collect();
        // No timeout: the consumer sleeps until a message comes or a producer closes its end.
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(error) => return Err(error.into()),
        }
        let hung_up: Vec<bool> = fds
            .iter()
            .map(|fd| {
                fd.revents()
                    .is_some_and(|events| events.contains(PollFlags::POLLHUP))
            })
            .collect();
        drop(fds);
        for (&index, hung_up) in watched.iter().zip(hung_up) {
            channels[index].visit(hung_up)?;
        }
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
