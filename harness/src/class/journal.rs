//! What a batch keeps in its output folder, and how it writes it so that nothing is lost.
//!
//! Each student's result is written as soon as it is known, in three files: the JSON report
//! (`reports/<id>.json`), the readable feedback (`feedback/<id>.txt`), then the journal record
//! (`journal/<id>.json`) that says the student is done and with which fingerprints. Every file
//! is written to a temporary file in the same folder, flushed to disk, then renamed over the
//! old one, so a batch killed at any moment leaves each file whole or absent; a record exists
//! only once its reports do. The gradebook and summary are made from the records alone, so
//! that `labgrade merge` of shards writes the very same bytes as one run.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{ClassInfo, Person, Shard};
use crate::error::{Error, io};
use crate::grade::CheckStatus;
use crate::similarity::Fingerprints;

/// Version of the files of an output folder (`batch.json`, journal records).
pub const JOURNAL_VERSION: u32 = 1;

/// The paths of an output folder.
#[derive(Debug, Clone)]
pub struct Layout {
    out: PathBuf,
}

impl Layout {
    /// The output folder `out`.
    #[must_use]
    pub fn new(out: &Path) -> Self {
        Self {
            out: out.to_owned(),
        }
    }

    /// The output folder.
    #[must_use]
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Creates the folders.
    pub fn create(&self) -> Result<(), Error> {
        for dir in [self.journal_dir(), self.reports_dir(), self.feedback_dir()] {
            fs::create_dir_all(&dir).map_err(io("create", &dir))?;
            remove_temporaries(&dir)?;
        }
        remove_temporaries(&self.out)
    }

    fn journal_dir(&self) -> PathBuf {
        self.out.join("journal")
    }

    fn reports_dir(&self) -> PathBuf {
        self.out.join("reports")
    }

    fn feedback_dir(&self) -> PathBuf {
        self.out.join("feedback")
    }

    /// The journal record of `student`.
    #[must_use]
    pub fn record(&self, student: &str) -> PathBuf {
        self.journal_dir().join(format!("{student}.json"))
    }

    /// The JSON report of `student`.
    #[must_use]
    pub fn report(&self, student: &str) -> PathBuf {
        self.reports_dir().join(format!("{student}.json"))
    }

    /// The feedback of `student`.
    #[must_use]
    pub fn feedback(&self, student: &str) -> PathBuf {
        self.feedback_dir().join(format!("{student}.txt"))
    }

    /// The gradebook.
    #[must_use]
    pub fn gradebook(&self) -> PathBuf {
        self.out.join("gradebook.csv")
    }

    /// The summary.
    #[must_use]
    pub fn summary(&self) -> PathBuf {
        self.out.join("summary.txt")
    }

    /// The pairs of students whose code is unusually alike.
    #[must_use]
    pub fn similarity(&self) -> PathBuf {
        self.out.join("similarity.csv")
    }

    /// The class report.
    #[must_use]
    pub fn html(&self) -> PathBuf {
        self.out.join("report.html")
    }

    /// The batch's description.
    #[must_use]
    pub fn manifest(&self) -> PathBuf {
        self.out.join("batch.json")
    }
}

/// Prefix of temporary files; a name a student id never has, since ids never start with `.`.
const TEMPORARY: &str = ".tmp-";

/// Removes the temporary files a killed batch left in `dir`.
fn remove_temporaries(dir: &Path) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(io("read", dir))? {
        let entry = entry.map_err(io("read", dir))?;
        if entry.file_name().to_string_lossy().starts_with(TEMPORARY) {
            // One left behind is harmless, and is tried again next time.
            let _ = fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Writes `value` as pretty JSON to `path`, atomically.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Error> {
    write_atomically(path, |out| {
        serde_json::to_writer_pretty(&mut *out, value)?;
        writeln!(out)
    })
}

/// Writes `path` whole or not at all: `write` fills a temporary file beside it, which is
/// flushed to disk and renamed over `path`.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(TEMPORARY)
        .tempfile_in(dir)
        .map_err(io("create a temporary file in", dir))?;
    {
        let mut buffered = io::BufWriter::new(file.as_file_mut());
        write(&mut buffered)
            .and_then(|()| buffered.flush())
            .map_err(io("write", path))?;
    }
    // On disk before the rename, so that a reboot leaves the old file or the new, never an
    // empty one under the new name.
    file.as_file().sync_all().map_err(io("write", path))?;
    file.persist(path)
        .map_err(|error| io("write", path)(error.error))?;
    Ok(())
}

/// The fingerprints a result was computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Tests' records, never compared with a grading, need no fingerprints.
#[cfg_attr(test, derive(Default))]
pub struct Key {
    /// Of the submission.
    pub submission: String,
    /// Of the rubric and its exercise package.
    pub rubric: String,
    /// Of labgrade.
    pub harness: String,
}

/// How a student's grading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Graded in full (whatever the score).
    Graded,
    /// Graded in part: labgrade could not run some check.
    Incomplete,
    /// labgrade could not read the submission (a damaged, encrypted, oversized or malicious
    /// archive, a format it does not unpack): 0 points, the student's verdict like a graded
    /// failure, but told apart from a submission that was read and lacks files.
    Unreadable,
    /// labgrade could not grade at all.
    Error,
}

impl Outcome {
    /// The word for the gradebook's `status` column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Graded => "graded",
            Self::Incomplete => "incomplete",
            Self::Unreadable => "unreadable",
            Self::Error => "error",
        }
    }
}

/// One check's result in a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckScore {
    /// The check id.
    pub id: String,
    /// Points earned.
    pub score: f64,
    /// The check's status, written as in the JSON report (`passed`, `partial`, …).
    pub status: CheckStatus,
}

/// A student's result, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// [`JOURNAL_VERSION`].
    pub version: u32,
    /// The student id.
    pub student: String,
    /// The fingerprints it was computed with.
    pub key: Key,
    /// How grading ended.
    pub outcome: Outcome,
    /// Points earned (0 when labgrade could not grade).
    pub score: f64,
    /// Points available.
    pub max_score: f64,
    /// Every check's result, in rubric order; empty when labgrade could not grade.
    pub checks: Vec<CheckScore>,
    /// Why labgrade could not grade, or what was wrong with an archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The fingerprints of the files handed in, for `similarity.csv`; none when the
    /// submission could not be opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<Fingerprints>,
}

impl Record {
    /// Reads the record at `path`; `None` if there is none or it is not a record of this
    /// version (it is then graded again).
    #[must_use]
    pub fn read(path: &Path) -> Option<Self> {
        let text = fs::read_to_string(path).ok()?;
        serde_json::from_str::<Self>(&text)
            .ok()
            .filter(|record| record.version == JOURNAL_VERSION)
    }

    /// Writes the record to `path`, atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_json(path, self)
    }
}

/// A gradebook column for one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The check id.
    pub id: String,
    /// The check's title.
    pub title: String,
    /// Its points.
    pub max_score: f64,
}

/// What an output folder holds: `batch.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`JOURNAL_VERSION`].
    pub version: u32,
    /// The exercise.
    pub exercise: String,
    /// Fingerprint of the rubric and its package; shards of one batch share it.
    pub rubric_key: String,
    /// Points available.
    pub max_score: f64,
    /// The checks, in rubric order: the gradebook's columns.
    pub checks: Vec<Column>,
    /// The shard this folder holds.
    pub shard: Shard,
    /// Its students, sorted.
    pub students: Vec<String>,
    /// The class download they came from and who they are, for the gradebook exports.
    #[serde(default)]
    pub class: ClassInfo,
}

impl Manifest {
    /// Who student `id` is, as far as the class download and roster said.
    #[must_use]
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.class
            .people
            .binary_search_by(|person| person.id.as_str().cmp(id))
            .ok()
            .map(|found| &self.class.people[found])
    }

    /// Reads `batch.json` of output folder `layout`.
    pub fn read(layout: &Layout) -> Result<Self, String> {
        let path = layout.manifest();
        let text = fs::read_to_string(&path).map_err(|error| {
            format!(
                "cannot read `{}` ({error}); pass an output folder of `labgrade batch`",
                path.display()
            )
        })?;
        let manifest: Self = serde_json::from_str(&text)
            .map_err(|error| format!("`{}` is not a batch description: {error}", path.display()))?;
        if manifest.version != JOURNAL_VERSION {
            return Err(format!(
                "`{}` was written by another version of labgrade (format {}, this one reads {JOURNAL_VERSION}); grade the batch again",
                path.display(),
                manifest.version
            ));
        }
        Ok(manifest)
    }

    /// Writes it as `batch.json` of `layout`, atomically.
    pub fn write(&self, layout: &Layout) -> Result<(), Error> {
        write_json(&layout.manifest(), self)
    }
}
