//! The tasks of the program: each creation event, each new task registered, each exit stop
//! and end recorded.

use std::time::Instant;

use nix::sys::ptrace::{self, Event};
use nix::unistd::Pid;

use super::records::{Early, Process, Record, State, Tracer};
use super::stops::stack_pointer;
use crate::run::job::{StackRange, Task, TaskKind};
use crate::run::supervisor::ipc_objects;
use crate::run::supervisor::procfs::{self, TaskTimes};

impl Tracer {
    /// Handles an event stop; returns whether the task must be resumed to its syscall-exit stop
    /// (an observed call whose result matters).
    pub(super) fn on_event(&mut self, tid: i32, event: i32) -> bool {
        let pid = Pid::from_raw(tid);
        if event == Event::PTRACE_EVENT_CLONE as i32
            || event == Event::PTRACE_EVENT_FORK as i32
            || event == Event::PTRACE_EVENT_VFORK as i32
        {
            let fork = event != Event::PTRACE_EVENT_CLONE as i32;
            if fork && let Some(observer) = &mut self.syscalls {
                // Before the parent goes on: what it holds now is what the child got.
                observer.on_fork(tid);
            }
            if let Ok(new) = ptrace::getevent(pid) {
                self.created(tid, new as i32, fork);
            }
        } else if event == Event::PTRACE_EVENT_EXIT as i32 {
            if let Some(observer) = &mut self.syscalls {
                observer.forget(tid);
            }
            self.exit_stop(tid);
        } else if event == Event::PTRACE_EVENT_SECCOMP as i32 {
            if let Some(observer) = &mut self.syscalls {
                return observer.on_stop(tid);
            }
        } else if event == Event::PTRACE_EVENT_EXEC as i32
            && let Ok(former) = ptrace::getevent(pid)
            && former as i32 != tid
            && let Some(&index) = self.by_tid.get(&(former as i32))
        {
            // A thread other than the leader called `exec`: it took over the leader's tid.
            self.end(index, Instant::now(), TaskTimes::default());
        }
        false
    }

    /// `creator` created `new`; `fork` if the event was a fork or vfork rather than a clone.
    pub(super) fn created(&mut self, creator: i32, new: i32, fork: bool) {
        let now = Instant::now();
        let Some(&creator_index) = self.by_tid.get(&creator) else {
            return;
        };
        let parent = self.records[creator_index].task.process;
        let early = self.early.remove(&new).unwrap_or_default();
        let tgid = early
            .ids
            .or_else(|| procfs::tgid_and_ppid(new))
            .map(|(tgid, _)| tgid);
        let kind = match tgid {
            Some(tgid) if tgid == parent => TaskKind::Thread,
            Some(_) => TaskKind::Process,
            // Gone before it could be read, which only a kill does: go by the event.
            None if fork => TaskKind::Process,
            None => TaskKind::Thread,
        };
        let process = if kind == TaskKind::Thread {
            parent
        } else {
            new
        };
        let index = self.register(new, kind, process, Some(parent), early.seen.unwrap_or(now));
        if let Some(quiet) = self.gather {
            // A new task: the ones held so far wait for it (and any that follow quickly).
            self.regather(now + quiet);
        }
        if let Some(delays) = &mut self.delays {
            let delay = delays.next().unwrap_or_default();
            self.records[index].task.delay_us = u64::try_from(delay.as_micros()).unwrap_or(0);
        }
        if let Some((at, cpu)) = early.exit_stop {
            self.end(index, at, cpu);
        }
        if let Some((status, at, cpu)) = early.end {
            self.records[index].status = Some(status);
            self.end(index, at, cpu);
        } else if early.stopped {
            self.first_stop(index);
        }
    }

    /// Adds a task to the census; returns its index.
    pub(super) fn register(
        &mut self,
        tid: i32,
        kind: TaskKind,
        process: i32,
        parent: Option<i32>,
        started: Instant,
    ) -> usize {
        let index = self.records.len();
        self.records.push(Record {
            task: Task {
                tid,
                kind,
                process,
                parent,
                started_us: self.micros(started),
                ended_us: None,
                cpu_us: 0,
                waiting_us: 0,
                voluntary_switches: 0,
                involuntary_switches: 0,
                termination: None,
                reaping: None,
                delay_us: 0,
                stack: None,
                stack_top: None,
                open_fds: None,
            },
            state: State::Pending,
            status: None,
            end_seq: None,
            reparented_zombie: false,
            killed: None,
        });
        // A tid seen before belonged to a task that is gone for good.
        self.by_tid.insert(tid, index);
        if kind == TaskKind::Thread {
            if let Some(process) = self.processes.get_mut(&process) {
                process.live += 1;
            }
        } else {
            self.processes.insert(
                tid,
                Process {
                    leader: index,
                    live: 1,
                    children: Vec::new(),
                    judged: false,
                    end_seq: None,
                },
            );
            if let Some(parent) = parent.and_then(|parent| self.processes.get_mut(&parent)) {
                parent.children.push(index);
            }
        }
        self.alive += 1;
        self.peak = self.peak.max(self.alive);
        index
    }

    /// `tid` stopped on its way out.
    pub(super) fn exit_stop(&mut self, tid: i32) {
        let now = Instant::now();
        let Some(&index) = self.by_tid.get(&tid) else {
            let ids = procfs::tgid_and_ppid(tid);
            let cpu = procfs::task_times(ids.map_or(tid, |ids| ids.0), tid);
            let early = self.early_entry(tid);
            early.exit_stop = Some((now, cpu));
            // Kept: once the task is gone, its ids can no longer be read.
            early.ids = early.ids.or(ids);
            return;
        };
        let process = self.records[index].task.process;
        let cpu = procfs::task_times(process, tid);
        if self.stacks && self.records[index].task.kind == TaskKind::Thread {
            // Stopped on its way out, the thread still runs on its own stack.
            self.records[index].task.stack = stack_pointer(tid)
                .and_then(|sp| procfs::mapping_containing(process, tid, sp))
                .map(|(start, end)| StackRange { start, end });
        }
        if !self.end(index, now, cpu) {
            return;
        }
        // The last task of its process, stopped before its children are handed over and
        // before the kernel closes its descriptors.
        if let Some(entry) = self.processes.get(&process) {
            let (leader, judged) = (entry.leader, entry.judged);
            if self.descriptors {
                self.records[leader].task.open_fds = procfs::open_fds(process, tid);
            }
            if self.ipc_objects && process == self.main {
                self.ipc_left = ipc_objects::left_by(process);
            }
            if !judged {
                self.judge_children(process);
            }
        }
    }

    /// Records that a task ended at `at` having used the CPU as `cpu` says. Returns whether it was
    /// the last live task of its process.
    pub(super) fn end(&mut self, index: usize, at: Instant, cpu: TaskTimes) -> bool {
        let ended_us = self.micros(at);
        let record = &mut self.records[index];
        // A task seen before its creator's event named it is read twice (exit stop, then
        // zombie), and an ended one reaches here again with nothing read: every counter only
        // grows, so the largest reading of each is the latest.
        let task = &mut record.task;
        task.cpu_us = task.cpu_us.max(cpu.cpu_us);
        task.waiting_us = task.waiting_us.max(cpu.waiting_us);
        task.voluntary_switches = task.voluntary_switches.max(cpu.voluntary_switches);
        task.involuntary_switches = task.involuntary_switches.max(cpu.involuntary_switches);
        if record.state == State::Ended {
            return false;
        }
        record.state = State::Ended;
        record.task.ended_us = Some(ended_us);
        self.seq += 1;
        record.end_seq = Some(self.seq);
        self.alive = self.alive.saturating_sub(1);
        let process = record.task.process;
        let Some(entry) = self.processes.get_mut(&process) else {
            return false;
        };
        entry.live = entry.live.saturating_sub(1);
        if entry.live > 0 {
            return false;
        }
        entry.end_seq = Some(self.seq);
        true
    }

    pub(super) fn early_entry(&mut self, tid: i32) -> &mut Early {
        self.early.entry(tid).or_default()
    }

    pub(super) fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.start).as_micros()).unwrap_or(u64::MAX)
    }
}
