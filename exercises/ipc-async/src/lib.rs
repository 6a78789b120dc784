//! The producers of the ipc-async exercise, and the plumbing around them: one pipe per
//! producer, the forks, and the wait for the children at the end. Provided; not graded: the
//! consumer, in `src/bin/ipc_async.rs`, is the student's part.
//!
//! [`start_producers`] hands the consumer the reading ends, blocking as `io::pipe` makes them:
//! making them non-blocking, polling them and asking them FIONREAD is the consumer's own work
//! (the rubric observes those calls), so none of it happens here.

use std::io::{self, PipeReader, PipeWriter};
use std::thread;
use std::time::Duration;

use labgrade_support::ASYNC_PRODUCERS;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// The running producers: what the consumer waits for once it is done with their channels.
///
/// Kept apart from the reading ends, so that the consumer can own those (and drop them) while
/// this waits to be used at the end.
#[derive(Debug)]
#[must_use = "the producers must be waited for, or they are left as zombies"]
pub struct Producers {
    /// Producer `p`'s pid at index `p`.
    children: Vec<Pid>,
}

impl Producers {
    /// Waits for every producer, in order. Returns whether all of them exited with 0, and says
    /// on stderr what went wrong with any that did not.
    #[must_use]
    pub fn wait(self) -> bool {
        let mut success = true;
        for (producer, child) in self.children.into_iter().enumerate() {
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
        success
    }
}

/// Makes one pipe per producer and forks the [`ASYNC_PRODUCERS`] producers, which send the
/// messages of `seed`. Returns the reading ends, producer `p`'s at index `p`, and the
/// producers to wait for.
///
/// When it returns, the calling process holds no writing end any more, so each channel reaches
/// its end of file as soon as its producer exits.
///
/// # Errors
///
/// What to print if a pipe or a fork failed. Producers already forked are not waited for.
pub fn start_producers(seed: u64) -> Result<(Vec<PipeReader>, Producers), String> {
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..ASYNC_PRODUCERS {
        let (reader, writer) = io::pipe().map_err(|error| format!("pipe failed: {error}"))?;
        readers.push(reader);
        writers.push(Some(writer));
    }
    let mut children = Vec::new();
    for producer in 0..ASYNC_PRODUCERS {
        let child = spawn_producer(producer, seed, &mut writers, &mut readers)
            .map_err(|error| format!("fork failed: {error}"))?;
        children.push(child);
    }
    // The consumer's copies of the writing ends must be closed, or no channel ever ends.
    writers.clear();
    Ok((readers, Producers { children }))
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

/// What producer `producer` does: sends its messages, each after its pause, then exits.
fn producer_main(producer: usize, seed: u64, pipe: &PipeWriter) -> i32 {
    // First of all, so that a fault the harness injects hits the producer before it sends
    // anything.
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
