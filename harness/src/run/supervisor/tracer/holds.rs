//! Holding new tasks stopped: the perturbation's delays, starting together (`gather_us`),
//! holding until the others wait, and group-stopped tasks waiting for a SIGCONT.

use std::cmp::Reverse;
use std::time::{Duration, Instant};

use super::records::{State, Tracer};
use super::stops::{resume, stack_pointer};
#[cfg(doc)]
use crate::run::job::Trace;
use crate::run::job::{HoldOrder, TaskKind};
use crate::run::supervisor::{procfs, waiting};

/// How often held group-stopped tasks are checked for a pending SIGCONT.
const GROUP_STOP_POLL: Duration = Duration::from_millis(5);

/// Under [`Trace::gather_us`], when the quiet period ends while the creator of a held task is
/// still running or waiting for a CPU, the held tasks wait this much longer, then it is looked
/// at again (see [`Tracer::creator_may_create`]).
const GATHER_RECHECK: Duration = Duration::from_millis(10);

/// Longest a held task waits for a creator that keeps running, counted from its creation.
pub(super) const GATHER_CAP_US: u64 = 1_000_000;
/// How often, while tasks are held by `hold-until-waited`, the others are looked at.
const HOLD_POLL: Duration = Duration::from_millis(1);

impl Tracer {
    /// When the supervisor must next look at held tasks, if any are held.
    pub(in crate::run::supervisor) fn next_wake(&self) -> Option<Instant> {
        let held = self.held.peek().map(|Reverse((at, _))| *at);
        let stopped = (!self.group_stopped.is_empty()).then(|| Instant::now() + GROUP_STOP_POLL);
        let waiting = (!self.waiting_room.is_empty()).then(|| Instant::now() + HOLD_POLL);
        [held, stopped, waiting].into_iter().flatten().min()
    }

    /// Resumes the held tasks whose delay has passed and the stopped ones a SIGCONT woke.
    pub(in crate::run::supervisor) fn service(&mut self, now: Instant) {
        if self.gather.is_some() && self.creator_may_create(now) {
            self.regather(now + GATHER_RECHECK);
        }
        while let Some(&Reverse((at, tid))) = self.held.peek()
            && at <= now
        {
            self.held.pop();
            if let Some(&index) = self.by_tid.get(&tid)
                && self.records[index].state == State::Held(at)
            {
                if self.gather.is_some() {
                    // Its delay is how long it waited for the others.
                    let held_us = self
                        .micros(now)
                        .saturating_sub(self.records[index].task.started_us);
                    self.records[index].task.delay_us = held_us;
                    if let Some(cores) = &mut self.cores {
                        // A failure (the task ended meanwhile) leaves it where it was.
                        cores.pin(tid);
                    }
                }
                self.records[index].state = State::Running;
                resume(tid, 0);
            }
        }
        if !self.waiting_room.is_empty() {
            self.release_if_waited(now);
        }
        let stopped = std::mem::take(&mut self.group_stopped);
        for tid in stopped {
            let Some(&index) = self.by_tid.get(&tid) else {
                continue;
            };
            let record = &mut self.records[index];
            if record.state != State::GroupStopped {
                continue;
            }
            if procfs::continue_pending(record.task.process, tid) {
                record.state = State::Running;
                resume(tid, 0);
            } else {
                self.group_stopped.push(tid);
            }
        }
    }

    /// The first stop of a new task: it runs now, or after its delay.
    pub(super) fn first_stop(&mut self, index: usize) {
        let record = &mut self.records[index];
        let tid = record.task.tid;
        if self.stacks && record.task.kind == TaskKind::Thread && record.state == State::Pending {
            // Stopped before its first instruction: the top of the stack it was given.
            record.task.stack_top = stack_pointer(tid);
        }
        if record.state != State::Pending {
            // Already on its way out: a kill woke it from its first stop.
        } else if let Some(quiet) = self.gather {
            record.state = State::Held(Instant::now());
            self.regather(Instant::now() + quiet);
        } else if self.hold.is_some() {
            record.state = State::HeldUntilWaited;
            self.waiting_room.push(index);
        } else if record.task.delay_us == 0 {
            record.state = State::Running;
            resume(tid, 0);
        } else {
            let at = Instant::now() + Duration::from_micros(record.task.delay_us);
            record.state = State::Held(at);
            self.held.push(Reverse((at, tid)));
        }
    }

    /// Under [`Trace::gather_us`], at the end of a quiet period: whether the creator of a held task
    /// is running or waiting for a CPU, so that it may be about to create the next task. On a
    /// busy machine a program's main thread can wait for a CPU longer than the quiet period
    /// between two `spawn`s; its threads would then start in two bursts, and the first burst
    /// might end before the second exists, as if they had been joined one by one. A creator
    /// blocked (in `join`, `wait`, a lock) or stopped creates nothing before something it waits
    /// for happens, so the held tasks start; a creator that keeps running without creating
    /// anything (computing, spinning) holds them at most [`GATHER_CAP_US`] after their creation.
    pub(super) fn creator_may_create(&self, now: Instant) -> bool {
        let held = || {
            self.records
                .iter()
                .filter(|record| matches!(record.state, State::Held(_)))
        };
        // Only when the held tasks are due (the heap also holds stale, earlier instants).
        if !held().any(|record| matches!(record.state, State::Held(at) if at <= now)) {
            return false;
        }
        let Some(oldest) = held().map(|record| record.task.started_us).min() else {
            return false;
        };
        if self.micros(now).saturating_sub(oldest) >= GATHER_CAP_US {
            return false;
        }
        held()
            .filter_map(|record| record.task.parent)
            .filter_map(|creator| self.by_tid.get(&creator).map(|&index| &self.records[index]))
            .any(|creator| {
                creator.state == State::Running
                    && procfs::task_runnable(creator.task.process, creator.task.tid)
            })
    }

    /// Under [`Trace::hold_until_waited`], lets one held task run if every other task of the
    /// program waits in a system call that is not a sleep, is stopped by the tracer, or has
    /// ended. A task created but not yet at its first stop is about to be held: nothing runs
    /// until it is.
    pub(super) fn release_if_waited(&mut self, now: Instant) {
        let records = &self.records;
        self.waiting_room
            .retain(|&index| records[index].state == State::HeldUntilWaited);
        let all_wait = self.records.iter().all(|record| match record.state {
            State::Pending => false,
            State::Running => waiting::waits(record.task.process, record.task.tid),
            State::Held(_) | State::HeldUntilWaited | State::GroupStopped | State::Ended => true,
        });
        let chosen = match self.hold {
            Some(HoldOrder::NewestFirst) => self.waiting_room.iter().copied().max(),
            Some(HoldOrder::OldestFirst) => self.waiting_room.iter().copied().min(),
            None => None,
        };
        let Some(index) = chosen.filter(|_| all_wait) else {
            return;
        };
        self.waiting_room.retain(|&held| held != index);
        let held_us = self
            .micros(now)
            .saturating_sub(self.records[index].task.started_us);
        let record = &mut self.records[index];
        record.task.delay_us = held_us;
        record.state = State::Running;
        resume(record.task.tid, 0);
    }

    /// Under [`Trace::gather_us`], moves the start of every held task to `at`, so that they all
    /// start in the same [`Tracer::service`]; their earlier heap entries no longer match their
    /// state and are dropped when they come up.
    pub(super) fn regather(&mut self, at: Instant) {
        for record in &mut self.records {
            if let State::Held(_) = record.state {
                record.state = State::Held(at);
                self.held.push(Reverse((at, record.task.tid)));
            }
        }
    }
}
