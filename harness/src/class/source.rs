//! Which LMS made a class download, said with `--from` or recognised from its names
//! (`Source::recognise`, in `batch::lms`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The layout of a batch folder: plain folders, or an LMS's class download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// One entry per student, named by the student's id.
    #[default]
    Folders,
    /// Moodle's "Download all submissions".
    Moodle,
    /// Canvas's "Download submissions".
    Canvas,
    /// Gradescope's "Export submissions".
    Gradescope,
    /// `gh classroom clone student-repos`.
    GithubClassroom,
}

impl Source {
    /// Every source, with its name on the command line.
    pub const ALL: [(&'static str, Source); 5] = [
        ("folders", Source::Folders),
        ("moodle", Source::Moodle),
        ("canvas", Source::Canvas),
        ("gradescope", Source::Gradescope),
        ("github-classroom", Source::GithubClassroom),
    ];

    /// Its name on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, source)| *source == self)
            .map_or("folders", |(name, _)| name)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
