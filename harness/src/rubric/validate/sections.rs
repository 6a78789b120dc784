//! The top-level sections of a rubric file, and the deserializing of each table into its wire
//! type, reading on past an unknown key so that every problem of the table is reported.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::rubric::error::Problem;
use crate::rubric::unknown::{table_holding, unknown_field};

use super::parse::Validator;
use super::suggest::{strsim_closest, suggest};

const SECTIONS: [&str; 6] = ["exercise", "build", "limits", "env", "check", "ratio"];

/// Section values as parsed, still to be deserialized.
#[derive(Default)]
pub(super) struct Sections<'i> {
    pub(super) exercise: Option<Spanned<DeValue<'i>>>,
    pub(super) build: Option<Spanned<DeValue<'i>>>,
    pub(super) limits: Option<Spanned<DeValue<'i>>>,
    pub(super) env: Option<Spanned<DeValue<'i>>>,
    pub(super) checks: Vec<Spanned<DeValue<'i>>>,
    pub(super) ratios: Vec<Spanned<DeValue<'i>>>,
}

impl Validator {
    pub(super) fn sections<'i>(&mut self, root: DeTable<'i>) -> Sections<'i> {
        let mut sections = Sections::default();
        for (key, value) in root {
            let name: &str = key.get_ref();
            match name {
                "exercise" => sections.exercise = Some(value),
                "build" => sections.build = Some(value),
                "limits" => sections.limits = Some(value),
                "env" => sections.env = Some(value),
                "check" => match value.into_inner() {
                    DeValue::Array(array) => sections.checks.extend(array),
                    _ => self.problems.push(
                        Problem::new(Some(key.span()), "`check` must be an array of tables")
                            .help("write each check as `[[check]]`"),
                    ),
                },
                "ratio" => match value.into_inner() {
                    DeValue::Array(array) => sections.ratios.extend(array),
                    _ => self.problems.push(
                        Problem::new(Some(key.span()), "`ratio` must be an array of tables")
                            .help("write each ratio as `[[ratio]]`"),
                    ),
                },
                other => {
                    let problem = Problem::new(Some(key.span()), format!("unknown key `{other}`"));
                    self.problems.push(suggest(problem, other, &SECTIONS));
                }
            }
        }
        sections
    }

    /// Deserializes a table; an unknown key of it is reported with the key meant, dropped, and
    /// the table read again, so that every unknown key is reported and the rest of the table
    /// is still validated (a check is not lost to a typo, nor are the checks that need it).
    pub(super) fn deserialize<'i, T: Deserialize<'i>>(
        &mut self,
        mut value: Spanned<DeValue<'i>>,
    ) -> Option<T> {
        let span = value.span();
        loop {
            let error = match T::deserialize(ValueDeserializer::from(value.clone())) {
                Ok(wire) => return Some(wire),
                Err(error) => error,
            };
            let message = error.message().trim_end();
            let at = error.span().or(Some(span.clone()));
            if let Some(unknown) = unknown_field(message)
                && let Some(table) =
                    table_holding(value.get_mut(), unknown.field, error.span().as_ref())
                && let Some(key) = table
                    .keys()
                    .find(|key| key.get_ref() == unknown.field)
                    .cloned()
            {
                let problem = Problem::new(at, format!("unknown field `{}`", unknown.field));
                self.problems
                    .push(suggest(problem, unknown.field, &unknown.expected));
                // Read as the key meant, when one is close and not written already, so that
                // the table is not also said to lack it; else without it.
                let meant = strsim_closest(unknown.field, &unknown.expected)
                    .filter(|meant| !table.keys().any(|key| key.get_ref() == meant));
                if let Some(entry) = table.remove(&key)
                    && let Some(meant) = meant
                {
                    table.insert(Spanned::new(key.span(), meant.to_owned().into()), entry);
                }
                continue;
            }
            let mut problem = Problem::new(at, message.to_owned());
            if message.starts_with("missing field") {
                problem = problem.help("add the key to this table (see rubrics/README.md)");
            }
            self.problems.push(problem);
            return None;
        }
    }
}

/// The `id` a `[[check]]` table was written with, read before the table is deserialized, so
/// that it is known even when the table cannot be.
pub(super) fn written_id(value: &Spanned<DeValue<'_>>) -> Option<String> {
    let DeValue::Table(table) = value.get_ref() else {
        return None;
    };
    table
        .iter()
        .find(|(key, _)| key.get_ref() == "id")
        .and_then(|(_, id)| id.get_ref().as_str())
        .map(str::to_owned)
}
