//! Why a batch could not run: bad input (a missing folder, two entries of one student, shards
//! that do not fit together) or labgrade's own failure.

use std::path::PathBuf;

use crate::error::Error;

/// Why a batch could not run.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The batch folder does not exist.
    #[error("batch folder `{}` does not exist; pass the folder that holds one entry (folder, .zip, .tar.gz or .tgz) per student", path.display())]
    DirNotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The batch folder is not a folder.
    #[error("`{}` is not a folder; pass the folder that holds one entry (folder, .zip, .tar.gz or .tgz) per student", path.display())]
    NotDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Two entries have the same student id.
    #[error("`{}` and `{}` are both submissions of student `{id}`; keep one of them", first.display(), second.display())]
    DuplicateStudent {
        /// The student id.
        id: String,
        /// One entry.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// An entry's name is not UTF-8, so it cannot be a gradebook row.
    #[error("`{}` has a name that is not UTF-8; rename it to the student's id", path.display())]
    BadName {
        /// The entry.
        path: PathBuf,
    },
    /// A class download is not laid out as its LMS lays it out.
    #[error("{0}")]
    Layout(String),
    /// The roster (`--roster`) cannot be read.
    #[error("{0}")]
    Roster(String),
    /// The shard is wrong (`--shard`, the scheduler's environment).
    #[error("{0}")]
    Shard(String),
    /// The output folders given to `merge` do not fit together.
    #[error("{0}")]
    Merge(String),
    /// labgrade could not go on (its own files, the machine).
    #[error(transparent)]
    Labgrade(#[from] Error),
}

impl BatchError {
    /// Whether the error is in what the user gave, as opposed to the machine or labgrade.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Labgrade(error) => error.is_bad_input(),
            _ => true,
        }
    }
}
