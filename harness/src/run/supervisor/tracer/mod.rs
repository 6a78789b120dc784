//! The census of a traced job: every thread and process the program creates, how each ended,
//! and whether its parent waited for it; and the seeded delays of a perturbation.
//!
//! The program asks to be traced in its `pre_exec` (`PTRACE_TRACEME`) and stops with SIGTRAP
//! after its `exec`. [`Tracer::attach`] then sets the options that make the kernel attach every
//! task it creates (`TRACECLONE`, `TRACEFORK`, `TRACEVFORK`), report every task's exit
//! (`TRACEEXIT`), report an `exec` as an event rather than a stray SIGTRAP (`TRACEEXEC`), and
//! kill every tracee if the supervisor dies (`EXITKILL`). No system-call stops are used, so code
//! that computes pays nothing; each task creation and end costs a few ptrace stops and `/proc`
//! reads. The one exception is a job that observes system calls ([`Trace::syscalls`]): a
//! seccomp filter then stops only the calls of interest (`PTRACE_O_TRACESECCOMP`), handed to
//! [`super::syscalls`].
//!
//! The supervisor's wait loop hands this module every stop ([`Tracer::on_stop`]) and every end
//! ([`Tracer::on_end`]) of a tracee:
//!
//! * `PTRACE_EVENT_CLONE`, `FORK` and `VFORK` name a new task. It is a **thread iff its thread
//!   group (`Tgid` in `/proc/<tid>/status`) is its creator's**: a raw `clone` without
//!   `CLONE_THREAD` reports a clone event but makes a process. Its `parent` is the creator's
//!   process.
//! * Every new task starts with a SIGSTOP, which is swallowed. It may arrive before its creator's
//!   event; the task is then kept stopped until the event names it.
//! * `PTRACE_EVENT_EXIT` stops a task on its way out, still whole: its end time and CPU time
//!   (`/proc/<pid>/task/<tid>/schedstat`) are taken there, and under [`Trace::stacks`] a
//!   thread's stack: the mapping of `/proc/<pid>/task/<tid>/maps` holding its stack pointer
//!   (`PTRACE_GETREGS`, x86-64 only), which is still its own stack on its way out; and at its
//!   first stop, its stack pointer before it ran anything, the top of its stack (glibc keeps
//!   the thread's thread-local storage above it, in the same mapping). When it is the
//!   last task of its process, the process's children are judged from `/proc` at that instant,
//!   while they are still its children: still running is [`Reaping::OutlivedParent`], a zombie is
//!   [`Reaping::NotReaped`], gone is [`Reaping::Reaped`]. That works because the tracer receives a
//!   traced process's exit status first, and only then is its real parent told and able to reap it
//!   (measured on Linux 6.18: a parent blocked in `waitpid` gets its child's code). A process
//!   never judged that way (its parent's exit was never reported) is judged at the end: reparented
//!   to the supervisor as a zombie means not reaped, alive when labgrade killed the program means
//!   it outlived its parent.
//! * The exit status the tracer collects for each process is its [`Termination`]; a process
//!   killed by the deadline kill is [`Termination::TimedOut`], and one labgrade killed because
//!   it was left running after the main process ended has none.
//! * Every other signal stop is the program's own signal and is re-injected, so that SIGCHLD,
//!   SIGSEGV, SIGUSR1 or a real-time signal behave as untraced.
//! * A **group-stop** (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU taking effect; told from a
//!   signal-delivery stop by `PTRACE_GETSIGINFO` failing with EINVAL) is kept stopped, so the
//!   process really stops and its parent's `waitpid(WUNTRACED)` sees it. A tracee stopped this
//!   way is not woken by SIGCONT (only `PTRACE_SEIZE` with `PTRACE_LISTEN` would allow that), so
//!   the tracer looks every few milliseconds for a pending SIGCONT or SIGKILL in `/proc` and
//!   resumes it then (a SIGCONT sent before the stop was reported is seen the same way). Limit:
//!   a stopped process resumes up to a few milliseconds late.
//!
//! **Perturbation.** With [`Trace::perturb`], each new task is kept stopped after its first stop
//! for a delay between 0 and [`Perturbation::max_delay_us`], drawn from `SplitMix64` seeded with
//! [`Perturbation::seed`], in the order the tracer learns of the tasks (which, for tasks created
//! at the same moment by different threads, may vary between runs), while everything else runs. The held tasks' resume instants are serviced by the supervisor's poll timeout, never by
//! sleeping. Delaying the start of a thread or child exposes a missing `join` or `wait` (main
//! printing results before the worker ran) far more often than plain repetition does; the same
//! seed gives the same delays ([`perturbation_delays`]), so a failing run can be replayed.
//!
//! **Starting together.** With [`Trace::gather_us`], each new task is held at its first stop,
//! and every creation of a task or first stop moves the start of all held tasks to that
//! instant plus the quiet period: they all start in the same [`Tracer::service`] once no task
//! has been created for that long, each recording how long it was held as its `delay_us`.
//! Threads created in a row then run at the same moment; a thread joined before the next is
//! created ends before that one exists, which `census.overlap` detects from the lifetimes. A
//! quiet period that ends while the creator of a held task is still runnable (it may be waiting
//! for a CPU on a busy machine, between two creations) is extended until the creator blocks,
//! creates again, or the held tasks have waited [`GATHER_CAP_US`].
//!
//! **Holding until waited.** With [`Trace::hold_until_waited`], each new task is held at its
//! first stop until every other task of the program waits: it is blocked in a system call that
//! is not a sleep, is held or stopped by the tracer, or has ended ([`super::waiting`], read
//! every millisecond while a task is held). Then one held task runs, the newest or the oldest
//! as the order says, and the next waits for the rest to wait again. A program that joins,
//! `waitpid`s or blocks at a barrier lets its workers run at once; one that sleeps, spins or
//! prints instead never has its worker run before it goes on, on every run, however long it
//! sleeps; workers run one at a time, in an order that defeats a program relying on which one
//! the scheduler starts first. Each task's `delay_us` is how long it was held.
//!
//! Known limits: a traced program cannot trace its own tasks (they are all traced already, so
//! `PTRACE_TRACEME` and `PTRACE_ATTACH` fail with EPERM); a `clone` with `CLONE_PARENT` is
//! recorded, and judged, as a child of its creator; after an `exec` by a thread other than the
//! leader, the former thread is recorded as ended; a task whose creation event is never reported
//! (its creator was killed in between) is recorded from what `/proc` showed when it was first
//! seen.
//!
//! [`Trace::syscalls`]: crate::run::Trace::syscalls
//! [`Trace::stacks`]: crate::run::Trace::stacks
//! [`Trace::perturb`]: crate::run::Trace::perturb
//! [`Trace::gather_us`]: crate::run::Trace::gather_us
//! [`Trace::hold_until_waited`]: crate::run::Trace::hold_until_waited
//! [`Perturbation::max_delay_us`]: crate::run::Perturbation::max_delay_us
//! [`Perturbation::seed`]: crate::run::Perturbation::seed
//! [`Reaping::OutlivedParent`]: crate::run::Reaping::OutlivedParent
//! [`Reaping::NotReaped`]: crate::run::Reaping::NotReaped
//! [`Reaping::Reaped`]: crate::run::Reaping::Reaped
//! [`Termination`]: crate::run::Termination
//! [`Termination::TimedOut`]: crate::run::Termination::TimedOut
//! [`GATHER_CAP_US`]: holds::GATHER_CAP_US

mod census;
mod delays;
mod holds;
mod records;
mod stops;
mod tasks;

pub use delays::{PerturbationDelays, perturbation_delays};
pub(super) use records::Tracer;
