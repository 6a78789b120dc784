//! Capturing one output stream of the program: kept up to the output limit, drained to the end.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::OwnedFd;

use nix::fcntl::{FcntlArg, OFlag, fcntl};

use crate::run::job::CapturedOutput;

/// Reads per pipe per loop turn. A program that writes as fast as it can would otherwise keep
/// the supervisor reading and never looking at the deadline.
const READS_PER_TURN: usize = 16;

/// One output stream of the program: the pipe while it is open, and what was kept of it.
pub(super) struct Capture {
    pub(super) pipe: Option<File>,
    kept: Vec<u8>,
    limit: usize,
    total: u64,
}

impl Capture {
    pub(super) fn new(pipe: Option<OwnedFd>, limit: usize) -> Self {
        let pipe = pipe.and_then(|fd| {
            // Non-blocking, so that reading stops when the pipe is empty instead of waiting
            // for the program; a pipe that cannot be switched is not read at all rather than
            // risk blocking the supervisor past the deadline.
            let flags = OFlag::from_bits_retain(fcntl(&fd, FcntlArg::F_GETFL).ok()?);
            fcntl(&fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK)).ok()?;
            Some(File::from(fd))
        });
        Self {
            pipe,
            kept: Vec::new(),
            limit,
            total: 0,
        }
    }

    pub(super) fn is_open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Reads what the pipe holds now, a bounded amount per call; closes it at end of file.
    pub(super) fn drain(&mut self, buffer: &mut [u8]) {
        for _ in 0..READS_PER_TURN {
            let Some(pipe) = &mut self.pipe else {
                return;
            };
            match pipe.read(buffer) {
                Ok(0) => {
                    self.pipe = None;
                    return;
                }
                Ok(read) => {
                    let chunk = &buffer[..read];
                    self.total += read as u64;
                    let room = self.limit.saturating_sub(self.kept.len());
                    self.kept.extend_from_slice(&chunk[..read.min(room)]);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                // A pipe that cannot be read will never deliver end of file either.
                Err(_) => {
                    self.pipe = None;
                    return;
                }
            }
        }
    }

    pub(super) fn finish(self) -> CapturedOutput {
        let truncated = self.total > self.kept.len() as u64;
        let mut kept = self.kept.as_slice();
        if truncated {
            // The cut may split a character; drop the partial character rather than show a
            // replacement character the program never wrote.
            if let Err(error) = std::str::from_utf8(kept)
                && error.error_len().is_none()
            {
                kept = &kept[..error.valid_up_to()];
            }
        }
        CapturedOutput {
            text: String::from_utf8_lossy(kept).into_owned(),
            total_bytes: self.total,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_drops_a_split_character() {
        let capture = Capture {
            pipe: None,
            kept: "aé".as_bytes()[..2].to_vec(),
            limit: 2,
            total: 3,
        };
        let output = capture.finish();
        assert_eq!(output.text, "a");
        assert!(output.truncated);
    }
}
