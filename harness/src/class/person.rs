//! Who a student is beyond their id: what the LMS and the roster say, for the gradebooks.

use serde::{Deserialize, Serialize};

/// A student as the gradebook exports need them. Only `id` is sure; the rest is what the class
/// download and the roster (`--roster`) said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The student id: the LMS's own identifier.
    pub id: String,
    /// The name to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The institution's id (Canvas's "SIS User ID", Moodle's "ID number").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sis_user_id: Option<String>,
    /// The institution's login (Canvas's "SIS Login ID").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sis_login_id: Option<String>,
    /// Their section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

impl Person {
    /// Student `id`, named `name` by the LMS.
    #[must_use]
    pub fn named(id: &str, name: Option<&str>) -> Self {
        Self {
            id: id.to_owned(),
            name: name.map(ToOwned::to_owned),
            ..Self::default()
        }
    }
}
