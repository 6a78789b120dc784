//! The census at the end: who labgrade killed and why, whether each process was reaped by its
//! parent, and the counts.

use nix::libc;
use nix::unistd::Pid;

use super::records::{Early, Kill, State, Tracer};
use crate::run::job::{Census, Reaping, Task, TaskKind, Termination};
use crate::run::supervisor::channels::Channels;
use crate::run::supervisor::procfs;
use crate::run::supervisor::status::decode;
use crate::run::supervisor::syscalls::Observer;

impl Tracer {
    /// Notes that the deadline passed and the program is being killed: every process alive now
    /// was timed out.
    pub(in crate::run::supervisor) fn note_deadline_kill(&mut self) {
        for process in self.processes.values() {
            let leader = &mut self.records[process.leader];
            if process.live > 0 && leader.killed.is_none() {
                leader.killed = Some(Kill::Deadline);
            }
        }
    }

    /// Notes that labgrade is killing `pid`, left running after the main process ended.
    pub(in crate::run::supervisor) fn note_leftover_kill(&mut self, pid: Pid) {
        if let Some(process) = self.processes.get(&pid.as_raw()) {
            let leader = &mut self.records[process.leader];
            if process.live > 0 && leader.killed.is_none() {
                leader.killed = Some(Kill::Leftover);
            }
        }
    }

    /// The census, once everything is reaped. `main_termination` is how the main process ended,
    /// as reported in the observation.
    pub(in crate::run::supervisor) fn finish(
        mut self,
        main_termination: &Termination,
        limit_ms: u64,
    ) -> Census {
        self.adopt_unnamed();
        self.judge_leftovers();
        // The deadline's kill of a run ended early as hung ended every process early.
        let ended_hung = match main_termination {
            Termination::TimedOut { hung, .. } => *hung,
            _ => None,
        };
        let main = self.main;
        let mut tasks: Vec<Task> = self
            .records
            .into_iter()
            .map(|record| {
                let mut task = record.task;
                task.termination = match task.kind {
                    TaskKind::Thread => None,
                    TaskKind::Main => Some(main_termination.clone()),
                    TaskKind::Process => {
                        record
                            .status
                            .and_then(|status| match (decode(status), record.killed) {
                                (
                                    Termination::Signaled {
                                        signal: libc::SIGKILL,
                                        ..
                                    },
                                    Some(kill),
                                ) => (kill == Kill::Deadline).then_some(Termination::TimedOut {
                                    limit_ms,
                                    cpu_ms: None,
                                    hung: ended_hung,
                                }),
                                (termination, _) => Some(termination),
                            })
                    }
                };
                task
            })
            .collect();
        tasks.sort_by_key(|task| (task.kind != TaskKind::Main, task.started_us));
        let count = |keep: &dyn Fn(&Task) -> bool| {
            u32::try_from(tasks.iter().filter(|task| keep(task)).count()).unwrap_or(u32::MAX)
        };
        let (syscalls, short_reads, channels) = self.syscalls.take().map(Observer::finish).map_or(
            (None, 0, Channels::default()),
            |(counts, short, channels)| (Some(counts), short, channels),
        );
        let (socket_pairs, channel_uses) = channels.finish();
        Census {
            syscalls,
            short_reads,
            socket_pairs,
            channel_uses,
            ipc_left: self.ipc_left.take(),
            threads: count(&|task| task.kind == TaskKind::Thread),
            processes: count(&|task| task.kind == TaskKind::Process),
            children: count(&|task| task.kind == TaskKind::Process && task.parent == Some(main)),
            peak_alive: self.peak,
            unreaped: count(&|task| task.reaping == Some(Reaping::NotReaped)),
            outlived_parent: count(&|task| task.reaping == Some(Reaping::OutlivedParent)),
            tasks,
        }
    }

    /// Decides whether `process`, whose last task is stopped on its way out, reaped each of its
    /// children, from what `/proc` shows of them now.
    pub(super) fn judge_children(&mut self, process: i32) {
        let Some(entry) = self.processes.get_mut(&process) else {
            return;
        };
        entry.judged = true;
        for child in entry.children.clone() {
            let record = &self.records[child];
            if record.task.reaping.is_some() {
                continue;
            }
            let dead = record.status.is_some();
            let ended = record.state == State::Ended;
            let verdict = if record.killed.is_some() {
                // Killed by labgrade together with its parent.
                Reaping::OutlivedParent
            } else {
                match procfs::stat(record.task.tid) {
                    // Still there (a dead one's pid could have been reused by another process).
                    Some(entry) if entry.ppid == process || !dead => {
                        if ended || !entry.alive {
                            Reaping::NotReaped
                        } else {
                            Reaping::OutlivedParent
                        }
                    }
                    _ if dead => Reaping::Reaped,
                    _ if ended => Reaping::NotReaped,
                    _ => Reaping::OutlivedParent,
                }
            };
            self.records[child].task.reaping = Some(verdict);
        }
    }

    /// Decides the reaping of the processes whose parent's end was not seen stopped.
    pub(super) fn judge_leftovers(&mut self) {
        for index in 0..self.records.len() {
            let record = &self.records[index];
            if record.task.kind != TaskKind::Process || record.task.reaping.is_some() {
                continue;
            }
            let parent_end = record
                .task
                .parent
                .and_then(|parent| self.processes.get(&parent))
                .and_then(|parent| parent.end_seq);
            let verdict = if record.reparented_zombie {
                Reaping::NotReaped
            } else if record.killed.is_some() {
                Reaping::OutlivedParent
            } else {
                match (record.end_seq, parent_end) {
                    (Some(ended), Some(parent_ended)) if ended < parent_ended => Reaping::Reaped,
                    // Its parent never ended by itself, and no zombie was left.
                    (Some(_), None) => Reaping::Reaped,
                    _ => Reaping::OutlivedParent,
                }
            };
            self.records[index].task.reaping = Some(verdict);
        }
    }

    /// Adds the tasks whose creation was never reported, from what was seen of them.
    pub(super) fn adopt_unnamed(&mut self) {
        let mut unnamed: Vec<(i32, Early)> = self.early.drain().collect();
        unnamed.sort_by_key(|(tid, _)| *tid);
        for (tid, early) in unnamed {
            let (kind, process, parent) = match early.ids {
                Some((tgid, _)) if tgid != tid => (TaskKind::Thread, tgid, Some(tgid)),
                Some((_, ppid)) => (TaskKind::Process, tid, Some(ppid)),
                None => (TaskKind::Process, tid, None),
            };
            let seen = early.seen.unwrap_or(self.start);
            let index = self.register(tid, kind, process, parent, seen);
            if let Some((at, cpu)) = early.exit_stop {
                self.end(index, at, cpu);
            }
            if let Some((status, at, cpu)) = early.end {
                self.records[index].status = Some(status);
                self.end(index, at, cpu);
            }
        }
    }
}
