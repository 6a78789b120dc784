//! One file per command: each runs its command with its arguments and gives the exit code.

pub(crate) mod batch;
pub(crate) mod check;
pub(crate) mod doctor;
pub(crate) mod grade;
pub(crate) mod merge;
pub(crate) mod publish;
pub(crate) mod replay;
pub(crate) mod selfcheck;
