//! Runs programs: every process labgrade starts is started by this module.
//!
//! The front end never runs a program itself. For each [`Job`] a [`Runner`] starts a supervisor, a
//! single-threaded copy of the `labgrade` binary (`labgrade __supervise`), writes the job to its
//! stdin as JSON and reads back a [`Reply`]. The supervisor owns everything that must happen in
//! one thread of one process: it is the subreaper of the program's descendants, puts the program
//! in its own process group, enforces the wall-clock deadline by killing the group, caps the
//! captured output, decodes the wait status, and kills and reaps anything left behind.
//! Containment (an unprivileged uid, namespaces, cgroups) and tracing (ptrace) belong here too.

mod job;
mod runner;
mod supervisor;

pub use job::{
    BaseEnv, CapturedOutput, Census, Job, Observation, Perturbation, Reaping, Reply, Task,
    TaskKind, Termination, Trace,
};
pub use runner::{RunError, Runner};
pub use supervisor::supervise;
