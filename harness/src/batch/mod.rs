//! Batch grading: a whole class in one command, in parallel, resumable and shardable.
//!
//! [`run`] grades every entry of a folder (one per student: a folder, a git working tree, a
//! `.zip` or a `.tar.gz`) on several threads, each student in scratch folders of their own,
//! and writes each result to the output folder the moment it is known (the journal:
//! [`Record`]). Running it again reuses every result whose submission, rubric and labgrade are
//! unchanged, so an interrupted batch grades only what is missing. [`merge`] joins the output
//! folders of shards into the gradebook a single run would have written. What a batch writes
//! (the class's results) is [`crate::class`]'s; the reports of it are [`crate::report`]'s.
//!
//! Student problems, a bad archive included, are grades; a student labgrade could not grade
//! is recorded as that student's error and the batch goes on. Only bad input (a missing
//! folder, two entries of one student, shards that do not fit together) stops a batch.

mod entries;
mod error;
mod extract;
mod fingerprint;
mod finish;
mod handed_in;
pub mod lms;
mod merge;
mod open;
mod progress;
mod run;
mod similar;
mod sniff;
mod student;

pub use entries::{Student, discover, entry, submission_root};
pub use error::BatchError;
pub use extract::{ArchiveProblem, ExtractLimits, Format};
pub use fingerprint::harness as harness_fingerprint;
pub use handed_in::{grade_handed_in, open_folder};
pub use merge::merge;
pub use open::{OpenError, Opened, open_entry};
pub use progress::{Done, How, Plan, Progress, Silent};
pub use run::{BatchOptions, BatchResult, run};
pub use sniff::Foreign;

// The class's results are `crate::class`'s; a batch writes them, and callers find them here.
pub use crate::class::{
    BINS, CheckScore, Column, JOURNAL_VERSION, Key, Layout, Manifest, Outcome, Record, Shard,
    ShardSource, Summary, resolve as resolve_shard, summarize, write_atomically,
};
