//! How a batch tells its caller what it is doing, without printing: the CLI implements
//! [`Progress`] with a progress bar or plain lines, tests with a buffer.

use crate::class::{Shard, ShardSource};

/// What a batch is about to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Students of this shard.
    pub students: usize,
    /// Students whose earlier grade is reused.
    pub reused: usize,
    /// Students to grade now.
    pub to_grade: usize,
    /// Students of the whole batch folder, before sharding.
    pub all_students: usize,
    /// The shard graded.
    pub shard: Shard,
    /// Where the shard came from.
    pub shard_source: ShardSource,
    /// Parallel grading jobs.
    pub jobs: usize,
}

/// How a student's result came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Taken from an earlier run: the submission, rubric and labgrade are unchanged.
    Reused,
    /// Graded now.
    Graded,
    /// Looked at now, and unreadable: the student's verdict, with what was wrong in the note.
    Unreadable,
    /// labgrade could not grade it (not the submission's fault); retried by the next run.
    Error,
}

/// One student done.
#[derive(Debug, Clone)]
pub struct Done<'a> {
    /// The student id.
    pub student: &'a str,
    /// How the result came about.
    pub how: How,
    /// Points earned; `None` when labgrade could not grade.
    pub score: Option<f64>,
    /// Points available.
    pub max_score: f64,
    /// Seconds spent on this student now (0 when reused).
    pub seconds: f64,
    /// Why labgrade could not grade, or what was wrong with the archive.
    pub note: Option<&'a str>,
}

/// Receives a batch's progress. Called from every grading thread, hence `Sync`.
pub trait Progress: Sync {
    /// Before anything is graded; reused students are then reported with [`How::Reused`].
    fn plan(&self, plan: &Plan);
    /// A student's grading started.
    fn started(&self, _student: &str) {}
    /// A student is done, reused or graded.
    fn done(&self, done: &Done<'_>);
    /// Every student is done and the gradebook written.
    fn finished(&self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn plan(&self, _plan: &Plan) {}
    fn done(&self, _done: &Done<'_>) {}
}
