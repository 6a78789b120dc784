//! The `__supervise` protocol's ends in the supervisor: reads the [`Job`] from stdin, writes the
//! [`Reply`] to stdout, and on stderr explains only what the reply cannot carry.

use std::fmt::Display;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use nix::errno::Errno;
use nix::sys::signal::Signal;

use super::run_job::supervise_job;
use crate::run::job::{Job, Reply};

/// Reads one [`Job`] from `input`, runs it, writes one [`Reply`] to `output`.
///
/// Returns failure, after explaining why on stderr, only when the supervisor itself could not do
/// its work (unreadable job, no subreaper, reply not writable); a program that cannot be started
/// or that misbehaves is reported in the reply.
pub fn supervise(input: &mut dyn Read, output: &mut dyn Write) -> ExitCode {
    match supervise_job(input, output) {
        Ok(None) => ExitCode::SUCCESS,
        // The process labgrade started, which relayed for the supervisor in its namespaces.
        Ok(Some(relayed)) => relayed,
        Err(error) => {
            // No reply: the front end quotes the supervisor's stderr in its error.
            tell_front_end(&error);
            ExitCode::FAILURE
        }
    }
}

/// Why the supervisor could not do its work.
#[derive(Debug, thiserror::Error)]
pub(super) enum SuperviseError {
    #[error("cannot read the job from stdin: {0}")]
    ReadJob(#[source] io::Error),
    #[error("the job on stdin is not valid: {0}")]
    ParseJob(#[source] serde_json::Error),
    #[error("cannot {what}: {source}")]
    Setup {
        what: &'static str,
        #[source]
        source: Errno,
    },
    #[error("cannot write the reply to stdout: {0}")]
    WriteReply(#[source] io::Error),
    #[error("interrupted by {}; the program was killed", .0.as_str())]
    Interrupted(Signal),
    #[error(
        "`/proc` shows another PID namespace than labgrade's own (labgrade is pid {ours} here, \
         `/proc/self` says {theirs}): its processes would be confused with others'. Mount a \
         `/proc` of this namespace (`unshare --pid --fork --mount-proc`), or run labgrade as \
         root, which mounts one for itself"
    )]
    ForeignProc { ours: i32, theirs: String },
}

/// The job, as the front end wrote it to our stdin.
pub(super) fn read_job(input: &mut dyn Read) -> Result<Job, SuperviseError> {
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(SuperviseError::ReadJob)?;
    serde_json::from_str(&text).map_err(SuperviseError::ParseJob)
}

/// Writes the reply to `output`, the supervisor's stdout.
pub(super) fn write_reply(output: &mut dyn Write, reply: &Reply) -> Result<(), SuperviseError> {
    serde_json::to_writer(&mut *output, reply)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(output))
        .and_then(|()| output.flush())
        .map_err(SuperviseError::WriteReply)
}

/// Writes `message` to stderr: the one place the supervisor does.
///
/// Stderr is the protocol's side channel, for what is broken beyond what a [`Reply`] says: the
/// supervisor could not do its work at all (no reply comes), or its cleanup gave up (processes
/// that do not die, a cgroup that cannot be removed), which no field of the reply reports and
/// which the supervisor's caller cannot report either: the supervisor is a process of its own.
/// The runner quotes stderr in its error when the supervisor fails, and drops it when a reply
/// comes. If even stderr is gone, the exit status alone has to tell the story.
pub(super) fn tell_front_end(message: &dyn Display) {
    let _ = writeln!(io::stderr(), "labgrade supervisor: {message}");
}
