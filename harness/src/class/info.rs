//! What `batch.json` keeps of a class for the gradebook exports.

use serde::{Deserialize, Serialize};

use super::{GradebookExport, Person, Source};

/// What an output folder keeps of its class (`batch.json`): the layout, who the students are
/// and the gradebook export chosen, so that `merge` writes the export a single run writes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassInfo {
    /// The layout of the class download.
    #[serde(default)]
    pub source: Source,
    /// Who the students are, sorted by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<Person>,
    /// The gradebook export besides `gradebook.csv`.
    #[serde(default)]
    pub gradebook: GradebookExport,
}
