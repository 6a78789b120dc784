//! Per-job cgroups: finds how cgroups are mounted here, gives an isolated program a cgroup of
//! its own in each hierarchy that helps (task limit, memory limit, kill switch), moves the
//! program in before it starts, and at the end kills what is left in it, reads its statistics
//! and removes it; also removes the job cgroups of supervisors that died without cleaning up.
//!
//! Machines differ, so nothing is assumed:
//!
//! * pure cgroup v2 (a systemd host): `pids` and `memory` must be enabled in the subtree of the
//!   folder the job cgroup goes into. Our own cgroup usually holds processes, and v2 refuses to
//!   enable controllers below a cgroup with processes (except the root), so the job cgroup goes
//!   below our own cgroup when that works (a delegated subtree) and below the root otherwise.
//! * hybrid (v1 controllers, with a v2 tree beside them that has none of them): v1 `pids` and
//!   `memory` for the limits, the v2 tree for `cgroup.kill`;
//! * v1 only: v1 `pids` and `memory`, and killing member by member;
//! * none usable (not mounted, read-only, not root without delegation): the supervisor falls
//!   back on rlimits and its `/proc` walk, and says so in [`Observation::containment`].
//!
//! The job cgroup is `labgrade/<supervisor pid>-<random>` below the base folder of each
//! hierarchy used; v1 job cgroups go below our own cgroup, so that limits set on it (such as the
//! memory limit of a container) still apply to the program. Parsing is in pure functions, tested
//! on the layouts of real machines.
//!
//! **Ownership never rests on a pid.** Supervisors in other PID namespaces (a container sharing
//! the cgroup mount, `unshare --pid`, a CI job container) share these folders, and a pid means
//! nothing across namespaces: the same number is a live supervisor in one and nobody in the
//! other. So a job cgroup's name is made unique by a random part (never reused, never "found
//! existing"), and its supervisor holds an exclusive `flock` on the cgroup's folder for as long
//! as it lives. The lock is the kernel's, on the one inode every namespace sees, and the kernel
//! drops it when the supervisor dies however it dies: a job cgroup whose lock can be taken is
//! stale, one whose lock is held belongs to a live labgrade, wherever it runs.
//!
//! [`Observation::containment`]: crate::run::Observation::containment

mod error;
mod files;
mod job;
mod layout;
mod stale;
#[cfg(test)]
mod tests;
mod trial;

pub(crate) use error::CgroupError;
pub(crate) use job::{JobCgroup, Join, Joined};
pub(crate) use layout::Layout;
pub(crate) use stale::remove_stale;
pub(crate) use trial::trial;
