//! The leftover hunt: every process of the program still alive once its main process ended,
//! found in its job cgroup and by walking the supervisor's descendants, counted, killed and
//! reaped.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::{Pid, getpid};

use super::cgroup;
use super::poll::Watch;
use super::procfs::{self, live_descendants};

/// Pause between rounds of killing leftovers, to let the kills take effect.
const CLEANUP_TICK: Duration = Duration::from_millis(5);
/// After this long, cleanup gives up on processes that do not die (for example, stuck in
/// uninterruptible sleep) and on pipes held outside the program's process tree, so that the
/// supervisor still answers.
const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

/// What the leftover hunt could not clean up before [`CLEANUP_LIMIT`]; the program's reply
/// has no place for it, so it goes to [`super::protocol::tell_front_end`].
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub(super) enum GaveUp {
    #[error(
        "gave up after {:?}: the program's output pipes are held open outside its process tree",
        CLEANUP_LIMIT
    )]
    PipesHeldOutside,
    #[error(
        "gave up after {:?}: some of the program's processes do not die",
        CLEANUP_LIMIT
    )]
    ProcessesDoNotDie,
}

impl Watch {
    /// Live processes of the program in `cgroup`, noted for the census as leftovers that
    /// labgrade killed, and returned unless they are members of the program's group and
    /// `group_already_killed` (as in [`Watch::kill_leftovers`]).
    pub(super) fn cgroup_leftovers(
        &mut self,
        cgroup: &cgroup::JobCgroup,
        group: Pid,
        group_already_killed: bool,
    ) -> BTreeSet<Pid> {
        let mut found = BTreeSet::new();
        for pid in cgroup.members() {
            let Some(process) = procfs::stat(pid.as_raw()).filter(|process| process.alive) else {
                continue;
            };
            if let Some(tracer) = &mut self.tracer {
                tracer.note_leftover_kill(pid);
            }
            if !(group_already_killed && process.pgrp == group.as_raw()) {
                found.insert(pid);
            }
        }
        found
    }

    /// Kills every process still alive in the program's tree, reaps until the supervisor has no
    /// children and the pipes reach end of file, and returns how many distinct processes it had
    /// to kill, `counted` (already found and killed elsewhere) included. Members of the
    /// program's group are not counted when `group_already_killed`.
    ///
    /// Also returns why it gave up, if it did after [`CLEANUP_LIMIT`], so that the supervisor
    /// still answers.
    pub(super) fn kill_leftovers(
        &mut self,
        group: Pid,
        group_already_killed: bool,
        counted: BTreeSet<Pid>,
    ) -> (u32, Option<GaveUp>) {
        let me = getpid();
        let give_up = Instant::now() + CLEANUP_LIMIT;
        let mut killed = counted;
        let mut why_given_up = None;
        loop {
            // Look before killing, so that processes are counted while still alive and not
            // confused with zombies.
            let live = live_descendants(me);
            let mut group_seen = false;
            for process in &live {
                if let Some(tracer) = &mut self.tracer {
                    tracer.note_leftover_kill(process.pid);
                }
                let _ = kill(process.pid, Signal::SIGKILL);
                if process.pgrp == group.as_raw() {
                    group_seen = true;
                    if group_already_killed {
                        continue;
                    }
                }
                killed.insert(process.pid);
            }
            // The group kill is fork-safe: members forked since the walk die too. It is sent
            // only while a live member was just seen, because once the group is empty its id
            // (the reaped main process's pid) may belong to someone else.
            if group_seen {
                let _ = killpg(group, Signal::SIGKILL);
            }
            let childless = self.reap();
            if childless && !self.pipes_open() {
                break;
            }
            if Instant::now() >= give_up {
                why_given_up = Some(if childless {
                    GaveUp::PipesHeldOutside
                } else {
                    GaveUp::ProcessesDoNotDie
                });
                break;
            }
            self.turn(CLEANUP_TICK);
        }
        (
            u32::try_from(killed.len()).unwrap_or(u32::MAX),
            why_given_up,
        )
    }
}
