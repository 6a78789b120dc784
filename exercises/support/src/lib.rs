//! Support code shared by every labgrade exercise and by the harness itself.
//!
//! Exercises read their input through this crate so that the harness can choose it: the array
//! to sum is generated from a seed and a length that the harness puts in the environment
//! ([`SEED_VAR`], [`LEN_VAR`]), and the harness calls the same [`generate_array`] to know the true
//! answer. When nothing is set, a program behaves as the lab's original does: it sums a fresh
//! random array of [`DEFAULT_LEN`] elements.
//!
//! The generator is a hand-written SplitMix64 rather than the `rand` crate on purpose: its output
//! must never change between versions, because a grade computed today must be replayable from the
//! seed in its report.
//!
//! Each module says who it is for: `student` holds what only exercise programs call, `oracle` the
//! right answers only the harness computes, and the others (`array_spec`, `generator`, `fault`,
//! `ipc`, `handover`) the inputs and lines both sides must agree on. Every item is re-exported
//! here, at the crate's root, where programs and the harness name it.

mod array_spec;
mod fault;
mod generator;
mod handover;
mod ipc;
mod oracle;
mod student;
#[cfg(test)]
mod tests;

pub use array_spec::{ArraySpec, DEFAULT_LEN, LEN_VAR, MAX_ELEMENT, MAX_VAR, SEED_VAR, check_max};
pub use fault::{FAULT_VAR, Fault, FaultAction, fault_point, signal_number};
pub use generator::{generate_array, generate_array_up_to, splitmix64};
pub use handover::{
    MAX_PAYLOAD_MIB, PAYLOAD_MIB_VAR, fill_handover_payload, handover_len, handover_payload,
    payload_len, payload_len_for, payload_line, payload_sum, transfer_line,
};
pub use ipc::{
    ASYNC_PRODUCERS, AsyncMessage, MAX_MESSAGE_LEN, PIPE_BUF, async_messages, checksum,
    ipc_messages, message, message_line,
};
pub use oracle::{array_sum, array_sum_up_to, payload_checksum};
pub use student::{SharedResults, Stopwatch, split_ranges, workers_from_args};
