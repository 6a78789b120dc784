//! What the front end asks a supervisor to run, and what the supervisor saw: the wire types of
//! the `__supervise` protocol (JSON on the supervisor's stdin and stdout).

mod census;
mod descriptors;
mod limits;
mod observation;
mod request;
mod stack;
mod termination;
#[cfg(test)]
mod tests;
mod trace;
mod waiting;

pub use census::{Census, Reaping, StackRange, Task, TaskKind};
pub use descriptors::{ChannelUse, FdTarget, IpcObject, OpenFd, PipeEnd};
pub use limits::ProcessLimits;
pub use observation::{
    CapturedOutput, CgroupUsage, Interference, Observation, Reply, format_bytes,
};
pub(crate) use request::TOOLCHAIN_ENV;
pub use request::{BaseEnv, Job, Sandbox};
pub use stack::{Frame, Stack, StackEnd};
pub use termination::{Hung, Termination};
pub use trace::{HoldOrder, Perturbation, SyscallWatch, Trace};
pub use waiting::{Doing, Holder, Waiting, WaitingTask};
