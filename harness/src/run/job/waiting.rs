//! Where a program that ran out of time was waiting: for every live thread of every process of
//! the program, read from `/proc` just before the deadline kill, what it was doing, so that a
//! report can say which call a hung program waits in, and for a pipe, who still holds its
//! other end. Only what was observed is said; nothing is guessed.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::stack::Stack;

/// The program's threads when its time ran out, at most [`Waiting::MOST`] of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// Each live thread of each process of the program, processes in pid order.
    pub tasks: Vec<WaitingTask>,
    /// Whether more threads were alive than are listed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// Whether reading stacks took longer than [`Waiting::STACKS_MS`], so that the threads
    /// listed after the first without a stack have none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stacks_cut: bool,
}

impl Waiting {
    /// The most threads listed: a fork bomb's thousands would say nothing more.
    pub const MOST: usize = 32;
    /// The most time spent reading the threads' stacks, in milliseconds: the kill waits for it.
    pub const STACKS_MS: u64 = 1000;

    /// The lines a report gives: one per thread, and when every thread was blocked in a call
    /// that only another could end, a last line that says no thread could make progress.
    #[must_use]
    pub fn describe(&self) -> Vec<String> {
        let mut lines = describe_waiting(&self.tasks, self.cut);
        if self.stacks_cut {
            lines.push(format!(
                "reading the threads' stacks took longer than {} ms: the threads listed without one were not read",
                Self::STACKS_MS
            ));
        }
        lines
    }
}

/// One thread of a program, as it was when the time limit ran out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingTask {
    /// Its process, as the supervisor's PID namespace numbers it.
    pub pid: i32,
    /// The thread.
    pub tid: i32,
    /// The thread's name (`comm`): the program's name, or the name given to the thread.
    pub name: String,
    /// What the thread was doing.
    pub doing: Doing,
    /// Its stack, innermost frame first, where it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<Stack>,
    /// Whether nothing but a signal can end its wait, as observed: it waits without a time limit
    /// on a futex private to its process (a lock, condition variable, channel or join of that
    /// process), it is the only thread of its process, and no other process shares its memory.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alone_on_private_futex: bool,
}

/// What a thread was doing when labgrade ended the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Doing {
    /// On a CPU, or ready for one: a busy thread.
    Running,
    /// Blocked in a system call.
    Blocked {
        /// The call, by name (`read`, `futex`, `wait4`), or `system call <n>`.
        call: String,
        /// What it waits on, in words, where the call says (`fd 3, pipe:[4711]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<String>,
        /// For a read of a pipe: every descriptor of the program still open on the pipe's
        /// write end. While one is open, the read never sees end-of-file.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        writers: Vec<Holder>,
        /// Whether the call ends without anyone else: a sleep, or a wait with a time limit.
        #[serde(default)]
        ends_by_itself: bool,
    },
    /// Asleep outside any system call, stopped, or in a state the kernel gave as this letter.
    Other {
        /// The state letter of `/proc/<pid>/task/<tid>/stat`.
        letter: char,
    },
}

/// A descriptor of the program's: process and number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The process holding it.
    pub pid: i32,
    /// The descriptor's number in that process.
    pub fd: u64,
}

impl WaitingTask {
    /// One line for people: `pid 12, thread 12 (ipc_stream): blocked in read (fd 3, pipe:[4711]);
    /// the pipe's write end is still open in pid 13 as fd 4, so the read never sees end-of-file`.
    #[must_use]
    pub fn describe(&self) -> String {
        let who = self.who();
        let what = match &self.doing {
            Doing::Running => "running (on a CPU or ready for one)".to_owned(),
            Doing::Blocked {
                call,
                on,
                writers,
                ends_by_itself,
            } => {
                let mut text = format!("blocked in {call}");
                if let Some(on) = on {
                    let _ = write!(text, " ({on})");
                }
                if let Some(meaning) = meaning(call) {
                    let _ = write!(text, ": {meaning}");
                }
                if *ends_by_itself && !is_sleep(call) {
                    text.push_str(", with a time limit");
                }
                if !writers.is_empty() {
                    let held: Vec<String> = writers
                        .iter()
                        .map(|holder| {
                            let whose = if holder.pid == self.pid {
                                "this process itself".to_owned()
                            } else {
                                format!("pid {}", holder.pid)
                            };
                            format!("{whose} as fd {}", holder.fd)
                        })
                        .collect();
                    let _ = write!(
                        text,
                        "; the pipe's write end is still open in {}, so this read never sees end-of-file while it stays open",
                        held.join(", ")
                    );
                }
                text
            }
            Doing::Other { letter } => format!("in state `{letter}` outside a system call"),
        };
        format!("{who}: {what}")
    }

    /// The thread in words: `pid 12 (demo)`, or `pid 12, thread 14 (worker)`.
    #[must_use]
    pub fn who(&self) -> String {
        if self.pid == self.tid {
            format!("pid {} ({})", self.pid, self.name)
        } else {
            format!("pid {}, thread {} ({})", self.pid, self.tid, self.name)
        }
    }

    /// Whether the thread was blocked in a call that only another thread or process can end.
    #[must_use]
    pub fn stuck(&self) -> bool {
        matches!(
            self.doing,
            Doing::Blocked {
                ends_by_itself: false,
                ..
            }
        )
    }
}

/// What a blocking call usually waits for, where the call alone says it.
fn meaning(call: &str) -> Option<&'static str> {
    Some(match call {
        "futex" => "a lock, a condition variable, a channel or a join",
        "wait4" | "waitid" => "a child process to end",
        "read" | "readv" | "recvfrom" | "recvmsg" => "data to read",
        "write" | "writev" | "sendto" | "sendmsg" => "room to write",
        "accept" | "accept4" => "a connection",
        "poll" | "ppoll" | "select" | "pselect6" | "epoll_wait" | "epoll_pwait" => {
            "a descriptor to become ready"
        }
        "nanosleep" | "clock_nanosleep" => "time to pass (a sleep)",
        "pause" | "rt_sigsuspend" | "rt_sigtimedwait" => "a signal",
        "flock" | "fcntl" => "a file lock",
        _ => return None,
    })
}

/// The lines for `tasks`; empty when nothing was read.
fn describe_waiting(tasks: &[WaitingTask], cut: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for task in tasks {
        lines.push(format!("when labgrade ended the run, {}", task.describe()));
        if let Some(stack) = &task.stack {
            lines.push(format!("where {} waits: {}", task.who(), stack.describe()));
        }
        if task.alone_on_private_futex {
            lines.push(format!("{} can never be woken: {ALONE}", task.who()));
        }
    }
    if cut {
        lines.push(format!(
            "more threads were alive when labgrade ended the run than the {} listed",
            tasks.len()
        ));
    }
    if !tasks.is_empty() && tasks.iter().all(WaitingTask::stuck) {
        lines.push(NO_PROGRESS.to_owned());
    }
    lines
}

/// Said of a thread that nothing but a signal can wake (see [`WaitingTask::alone_on_private_futex`]).
const ALONE: &str = "it waits without a time limit on a lock, condition variable, channel or join private to its process, it is the only thread left in its process, and no other process shares its memory, so nothing but a signal can end this wait: it waits for ever (a self-deadlock)";

/// Said when every thread waits for another: none runs, sleeps or waits with a time limit.
const NO_PROGRESS: &str = "every thread was blocked in a system call that only another thread or process could end: no thread could make progress";

/// Whether the call only waits for time to pass.
fn is_sleep(call: &str) -> bool {
    call == "nanosleep" || call == "clock_nanosleep"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(
        pid: i32,
        tid: i32,
        call: &str,
        on: Option<&str>,
        writers: &[Holder],
    ) -> WaitingTask {
        WaitingTask {
            pid,
            tid,
            name: "ipc_stream".to_owned(),
            doing: Doing::Blocked {
                call: call.to_owned(),
                on: on.map(str::to_owned),
                writers: writers.to_vec(),
                ends_by_itself: is_sleep(call),
            },
            stack: None,
            alone_on_private_futex: false,
        }
    }

    #[test]
    fn a_read_of_a_pipe_names_who_holds_its_write_end() {
        let task = blocked(
            13,
            13,
            "read",
            Some("fd 3, pipe:[4711]"),
            &[Holder { pid: 13, fd: 4 }, Holder { pid: 12, fd: 5 }],
        );
        assert_eq!(
            task.describe(),
            "pid 13 (ipc_stream): blocked in read (fd 3, pipe:[4711]): data to read; the pipe's write end is still open in this process itself as fd 4, pid 12 as fd 5, so this read never sees end-of-file while it stays open"
        );
    }

    #[test]
    fn every_thread_blocked_is_said_once_and_a_sleeper_is_not_a_hang() {
        let lock = blocked(12, 14, "futex", None, &[]);
        let join = blocked(12, 12, "futex", None, &[]);
        let lines = describe_waiting(&[join.clone(), lock.clone()], false);
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[1].starts_with(
            "when labgrade ended the run, pid 12, thread 14 (ipc_stream): blocked in futex: a lock"
        ));
        assert!(lines[2].contains("no thread could make progress"));

        let sleeper = blocked(12, 15, "clock_nanosleep", None, &[]);
        let lines = describe_waiting(&[join, sleeper], true);
        assert!(
            !lines
                .iter()
                .any(|line| line.contains("no thread could make progress"))
        );
        assert!(lines.iter().any(|line| line.contains("than the 2 listed")));
        assert!(describe_waiting(&[], false).is_empty());
    }

    #[test]
    fn a_running_thread_is_not_blocked() {
        let task = WaitingTask {
            pid: 7,
            tid: 7,
            name: "spin".to_owned(),
            doing: Doing::Running,
            stack: None,
            alone_on_private_futex: false,
        };
        assert!(!task.stuck());
        let lines = describe_waiting(&[task], false);
        assert_eq!(
            lines,
            ["when labgrade ended the run, pid 7 (spin): running (on a CPU or ready for one)"]
        );
    }

    #[test]
    fn a_stack_and_a_self_deadlock_are_said_after_their_thread() {
        let mut task = blocked(9, 9, "futex", None, &[]);
        task.stack = Some(Stack {
            frames: vec![crate::run::job::Frame::Own {
                function: Some("demo::main".to_owned()),
                file: "src/main.rs".to_owned(),
                line: 7,
            }],
            end: crate::run::job::StackEnd::Root,
        });
        task.alone_on_private_futex = true;
        let lines = describe_waiting(&[task], false);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(
            lines[1],
            "where pid 9 (ipc_stream) waits: at src/main.rs:7 in `demo::main`"
        );
        assert!(
            lines[2].starts_with(
                "pid 9 (ipc_stream) can never be woken: it waits without a time limit on a lock"
            ) && lines[2].ends_with("(a self-deadlock)"),
            "{lines:?}"
        );
    }
}
