//! The supervisor side of the `__supervise` protocol: runs one [`Job`] in this process and
//! reports what happened as a [`Reply`].
//!
//! The supervisor is a single-threaded process that exists for exactly one job. It is
//! responsible for:
//!
//! * starting the program in its own process group, with a controlled environment, no core
//!   dumps, and `PR_SET_PDEATHSIG` so that the program dies with its supervisor;
//! * enforcing the wall-clock limit against a monotonic deadline, by killing the process group;
//! * for a job with [`Job::limits`], containing the program: rlimits, and when the supervisor is
//!   root a network namespace and an unprivileged uid of its own (see [`containment::contain`]);
//! * capturing stdout and stderr up to [`Job::output_limit`] bytes each, while draining and
//!   discarding the rest so that the program never blocks on a full pipe;
//! * decoding how the main process ended;
//! * on SIGINT, SIGTERM or SIGHUP (an interrupted grading run), killing the whole program before
//!   exiting instead of leaving it running;
//! * finding every process the program left behind (the supervisor is their subreaper, so even
//!   processes that left the group with `setsid` become its children), killing them, counting
//!   them, and reaping everything until it has no children left;
//! * measuring the CPU time of the whole program (`getrusage(RUSAGE_CHILDREN)` once everything
//!   is reaped: a process reaped by its own parent rolls up into that parent);
//! * for a traced job ([`Job::trace`]), tracing every thread and process of the program with
//!   ptrace to take its census, and delaying new tasks when asked to perturb: see [`tracer`];
//!   with [`crate::run::Trace::syscalls`], also stopping at the system calls of interest to the
//!   IPC exercises, and shortening reads of pipes: see [`syscalls`].
//!
//! It must stay single-threaded: `waitpid(-1)` would steal other threads' children,
//! `PR_SET_PDEATHSIG` fires when the spawning *thread* ends, and ptrace requests must come from
//! the tracing thread. Everything happens in one poll loop: the signalfd (SIGCHLD, which ptrace
//! stops raise too), the output pipes, the deadline and the instants at which held tasks resume
//! set its timeout, and each turn reaps or handles every pending wait status.
//!
//! [`Job`]: crate::run::Job
//! [`Job::limits`]: crate::run::Job::limits
//! [`Job::output_limit`]: crate::run::Job::output_limit
//! [`Job::trace`]: crate::run::Job::trace
//! [`Reply`]: crate::run::Reply

#[cfg(target_arch = "x86_64")]
mod bpf;
mod capture;
mod cgroup;
mod channels;
mod containment;
mod cores;
mod hang;
mod ipc_objects;
mod leftovers;
mod load;
mod namespaces;
mod outside;
mod poll;
mod procfs;
mod protocol;
mod reap;
mod run_job;
mod sandbox;
mod senders;
mod settle;
mod spawn;
mod stack;
mod status;
mod stuck;
mod syscalls;
mod tracer;
mod uid;
mod view;
mod waiting;
mod watch;

pub(super) use cgroup::{Layout as CgroupMounts, trial as cgroup_trial};
pub(super) use namespaces::user_namespace_works;
pub(super) use procfs::live_descendants;
pub use protocol::supervise;
pub use tracer::{PerturbationDelays, perturbation_delays};
