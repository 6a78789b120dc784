//! The front-end side of the `__supervise` protocol: [`Runner`] hands one [`Job`] to a fresh
//! supervisor process and turns its [`Reply`] into an [`Observation`] or a [`RunError`].
//!
//! The runner never touches the program itself; it only guards against a supervisor that cannot
//! be started, crashes, answers garbage or hangs, so that one broken job cannot wedge a grading
//! run.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, getpid};

use super::job::{Job, Observation, Reply};
use super::supervisor::live_descendants;

/// Time a supervisor gets beyond the job's own limit before it is considered wedged. It covers
/// process start, the pipe grace period and the cleanup of leftovers, with room for a machine
/// that is heavily loaded by other jobs.
const SUPERVISOR_MARGIN: Duration = Duration::from_secs(30);
/// Bytes of the supervisor's stderr kept for error messages; it writes a line or two.
const STDERR_LIMIT: u64 = 64 * 1024;
/// Bytes of a reply besides the captured output.
const REPLY_OVERHEAD: u64 = 1024 * 1024;
/// Longest pause while waiting for a supervisor that closed its stdout to exit.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// Runs jobs, each in its own supervisor process.
///
/// A `Runner` holds no state besides the supervisor's path, so one runner can serve many threads
/// at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    supervisor: PathBuf,
    /// [`SUPERVISOR_MARGIN`], except in tests of the hang guard.
    margin: Duration,
}

/// Why a job produced no [`Observation`].
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program could not be started (not found, not executable, bad working directory).
    #[error("cannot start `{}`: {message}", program.display())]
    Spawn {
        /// The program of the job.
        program: PathBuf,
        /// The operating system's reason, as the supervisor reported it.
        message: String,
    },
    /// The job cannot be sent to a supervisor, for example because a path is not UTF-8.
    #[error("cannot encode the job for `{}`: {source}", program.display())]
    EncodeJob {
        /// The program of the job.
        program: PathBuf,
        /// What serialization rejected.
        source: serde_json::Error,
    },
    /// The supervisor process could not be started.
    #[error("cannot start the supervisor `{}`: {source}", supervisor.display())]
    StartSupervisor {
        /// The supervisor executable.
        supervisor: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Reading the supervisor's answer or waiting for it failed.
    #[error("lost contact with the supervisor `{}`: {source}", supervisor.display())]
    Contact {
        /// The supervisor executable.
        supervisor: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The supervisor ended unsuccessfully, for example on a job it could not read or by a
    /// crash.
    #[error(
        "the supervisor `{}` failed ({status}): {}",
        supervisor.display(),
        if stderr.trim().is_empty() { "it printed nothing" } else { stderr.trim() }
    )]
    SupervisorFailed {
        /// The supervisor executable.
        supervisor: PathBuf,
        /// How it ended.
        status: ExitStatus,
        /// What it wrote to stderr, capped.
        stderr: String,
    },
    /// The supervisor ended successfully but its answer is not a [`Reply`].
    #[error("the supervisor `{}` sent an answer that is not a reply: {source}", supervisor.display())]
    BadReply {
        /// The supervisor executable.
        supervisor: PathBuf,
        /// What deserialization rejected.
        source: serde_json::Error,
    },
    /// The supervisor did not answer in time and was killed; the job's own limit is enforced by
    /// the supervisor, so this means the supervisor itself hung.
    #[error(
        "the supervisor `{}` did not answer within {}, so labgrade killed it",
        supervisor.display(),
        humantime::format_duration(*waited)
    )]
    SupervisorHung {
        /// The supervisor executable.
        supervisor: PathBuf,
        /// How long labgrade waited.
        waited: Duration,
    },
}

impl Runner {
    /// A runner that starts `<supervisor_exe> __supervise` for every job; normally the
    /// `labgrade` executable itself.
    #[must_use]
    pub fn new(supervisor_exe: PathBuf) -> Self {
        Self {
            supervisor: supervisor_exe,
            margin: SUPERVISOR_MARGIN,
        }
    }

    /// Runs `job` in a new supervisor and returns what the supervisor observed.
    ///
    /// Blocks for at most the job's time limit plus a generous margin, even if the supervisor
    /// hangs.
    pub fn run(&self, job: &Job) -> Result<Observation, RunError> {
        let request = serde_json::to_vec(job).map_err(|source| RunError::EncodeJob {
            program: job.program.clone(),
            source,
        })?;
        let mut command = Command::new(&self.supervisor);
        command
            .arg("__supervise")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let front_end = getpid();
        // SAFETY: the closure runs in the forked child before `exec` and only makes the `prctl`
        // and `getppid` system calls through nix's thin wrappers; nothing allocates or locks.
        unsafe {
            command.pre_exec(move || {
                // If labgrade dies (even by SIGKILL), the supervisor gets SIGTERM, on which it
                // kills the whole program, escapees included, before it exits. The signal
                // comes when the spawning *thread* ends; `run` lasts until the supervisor has
                // ended, so only the death of labgrade itself sends it.
                super::die_with_parent(front_end, Signal::SIGTERM)
            });
        }
        let mut child = command
            .spawn()
            .map_err(|source| RunError::StartSupervisor {
                supervisor: self.supervisor.clone(),
                source,
            })?;
        let waited = Duration::from_millis(job.timeout_ms).saturating_add(self.margin);
        // The reply holds at most `output_limit` bytes per stream, which JSON escaping can grow
        // sixfold (`\u0000`); anything longer is garbage and is drained, not kept.
        let reply_limit = job
            .output_limit
            .saturating_mul(2 * 6)
            .saturating_add(REPLY_OVERHEAD);
        let deadline = Instant::now().checked_add(waited);

        let (answer, status, stderr) = thread::scope(|scope| {
            let stdin = child.stdin.take();
            let stdout = child.stdout.take();
            let stderr = child.stderr.take();
            // Writing happens on its own thread so that a supervisor that never reads cannot
            // block us past the deadline; dropping `stdin` when done sends end of file.
            scope.spawn(move || {
                if let Some(mut stdin) = stdin {
                    // A failed write shows up as the supervisor's failure or a missing reply.
                    let _ = stdin.write_all(&request);
                }
            });
            let stderr = scope.spawn(move || read_capped(stderr, STDERR_LIMIT));
            let (reply_sender, reply_receiver) = mpsc::channel();
            scope.spawn(move || {
                let _ = reply_sender.send(read_capped(stdout, reply_limit));
            });

            let received = match deadline {
                Some(deadline) => {
                    reply_receiver.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                }
                None => reply_receiver
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            // Killing the supervisor closes its pipes, which ends the reader threads before
            // the scope joins them.
            let answer = match received {
                Ok(answer) => answer,
                Err(RecvTimeoutError::Timeout) => return Err(self.kill_hung(&mut child, waited)),
                Err(RecvTimeoutError::Disconnected) => {
                    Err(io::Error::other("stdout reader panicked"))
                }
            };
            let status = self.wait_until(&mut child, deadline, waited)?;
            let stderr = stderr.join().ok().and_then(Result::ok).unwrap_or_default();
            Ok((answer, status, stderr))
        })?;

        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        if !status.success() {
            return Err(RunError::SupervisorFailed {
                supervisor: self.supervisor.clone(),
                status,
                stderr,
            });
        }
        let answer = answer.map_err(|source| RunError::Contact {
            supervisor: self.supervisor.clone(),
            source,
        })?;
        match serde_json::from_slice(&answer) {
            Ok(Reply::Observed(observation)) => Ok(observation),
            Ok(Reply::SpawnFailed { message }) => Err(RunError::Spawn {
                program: job.program.clone(),
                message,
            }),
            Err(source) => Err(RunError::BadReply {
                supervisor: self.supervisor.clone(),
                source,
            }),
        }
    }

    /// Waits for a supervisor that has closed its stdout (so is about to exit) to exit, killing
    /// it at `deadline`.
    fn wait_until(
        &self,
        child: &mut Child,
        deadline: Option<Instant>,
        waited: Duration,
    ) -> Result<ExitStatus, RunError> {
        let mut pause = Duration::from_millis(1);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(source) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(RunError::Contact {
                        supervisor: self.supervisor.clone(),
                        source,
                    });
                }
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(self.kill_hung(child, waited));
            }
            thread::sleep(pause);
            pause = (pause * 2).min(EXIT_POLL);
        }
    }

    fn kill_hung(&self, child: &mut Child, waited: Duration) -> RunError {
        // The program's main process would die with the supervisor (PR_SET_PDEATHSIG), but its
        // other processes would be orphaned to init, so they are killed first, while they are
        // still the supervisor's descendants. Nothing here is reaped yet, so no pid can belong
        // to anyone else; a process forked meanwhile may escape.
        let supervisor = Pid::from_raw(child.id().cast_signed());
        for process in live_descendants(supervisor) {
            let _ = kill(process.pid, Signal::SIGKILL);
        }
        let _ = child.kill();
        let _ = child.wait();
        RunError::SupervisorHung {
            supervisor: self.supervisor.clone(),
            waited,
        }
    }
}

/// Reads `pipe` to end of file, keeping at most `limit` bytes.
fn read_capped(pipe: Option<impl Read>, limit: u64) -> io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    if let Some(pipe) = pipe {
        let mut pipe = pipe;
        pipe.by_ref().take(limit).read_to_end(&mut kept)?;
        // Keep reading so that the writer never blocks on a full pipe.
        io::copy(&mut pipe, &mut io::sink())?;
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::run::BaseEnv;

    #[test]
    fn a_supervisor_that_never_answers_is_killed() {
        // `yes` ignores the job and floods its stdout forever: the runner must neither wait for
        // it past the margin nor buffer the flood.
        let runner = Runner {
            supervisor: PathBuf::from("/usr/bin/yes"),
            margin: Duration::from_millis(300),
        };
        let job = Job {
            program: PathBuf::from("/bin/true"),
            args: Vec::new(),
            env: BTreeMap::new(),
            base_env: BaseEnv::Clean,
            cwd: PathBuf::from("/"),
            timeout_ms: 0,
            output_limit: 0,
            trace: None,
            limits: None,
            sandbox: None,
        };
        let start = Instant::now();
        let error = runner.run(&job).expect_err("`yes` is no supervisor");
        assert!(
            matches!(error, RunError::SupervisorHung { waited, .. } if waited == Duration::from_millis(300)),
            "{error:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert!(
            error.to_string().contains("did not answer within 300ms"),
            "{error}"
        );
    }
}
