//! The stack of a thread of a hung program, down to the program's own source: read just before
//! the deadline kill (see [`super::hang`]), for a report to say which line of the student's
//! waits.
//!
//! * `stop.rs` stops the thread for a moment to read its registers: as the program's tracer
//!   when the job is traced (a signal that the tracer swallows), with `PTRACE_SEIZE` and
//!   `PTRACE_INTERRUPT` otherwise, and lets it go on as before.
//! * `modules.rs` finds the binary and libraries the thread runs, from `/proc/<pid>/maps`
//!   (opened through `/proc/<pid>/map_files`, or the program's own root), with their unwind
//!   tables and line tables.
//! * `walk.rs` unwinds the stack with `framehop` (the `.eh_frame` CFI of each module, the
//!   thread's stack read from `/proc/<pid>/mem`) and names each frame with `addr2line`.
//!
//! Every frame is vouched for: the walk stops at a return address outside the executable
//! mapping of a module it knows, or at a read outside the thread's stack mapping. Student code
//! is built with line tables (`compile.rs`), with the package's folder mapped away, so that
//! its frames name `src/main.rs:42`, relative to the submission.

mod modules;
mod stop;
mod walk;

pub(super) use modules::Modules;
pub(super) use stop::registers;
pub(super) use walk::walk;

#[cfg(test)]
mod tests;
