//! A class's results, as a batch keeps them in its output folder: who the students are
//! ([`Person`], [`ClassInfo`]), the batch's description ([`Manifest`], `batch.json`) with its
//! [`Shard`], each student's [`Record`] in the journal, and the [`Summary`] made from them.
//!
//! `batch` writes them and the class-level reports (`report`) read them. This module depends
//! on neither, so that dependencies go one way: `batch` → `report` → `class`, as they go
//! `grader` → `report` → `grade` for one student.

mod gradebook_export;
mod info;
mod journal;
mod person;
mod shard;
mod source;
mod summary;

pub use gradebook_export::GradebookExport;
pub use info::ClassInfo;
pub use journal::{
    CheckScore, Column, JOURNAL_VERSION, Key, Layout, Manifest, Outcome, Record, write_atomically,
};
pub use person::Person;
pub use shard::{Shard, ShardSource, resolve};
pub use source::Source;
pub use summary::{BINS, Summary, summarize};
