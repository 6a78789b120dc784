//! `cases`: every combination of the case variables' values, and the `{variable}` placeholders
//! that name them.

use std::collections::{BTreeMap, BTreeSet};

use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::Case;
use crate::rubric::template::Template;
use crate::rubric::wire::CasesWire;

use super::parse::Validator;

impl Validator {
    pub(super) fn cases(&mut self, wire: Option<&Spanned<CasesWire>>) -> Vec<Case> {
        let mut cases = vec![BTreeMap::new()];
        if let Some(table) = wire {
            for (name, values) in table.get_ref() {
                let valid_name = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !valid_name {
                    self.problem(
                        Some(values.span()),
                        format!("`{name}` is not a valid variable name"),
                    );
                }
                if values.get_ref().is_empty() {
                    self.problems.push(
                        Problem::new(
                            Some(values.span()),
                            format!("case variable `{name}` has no values"),
                        )
                        .help("list at least one value, such as `workers = [1, 2, 4]`"),
                    );
                    continue;
                }
                cases = cases
                    .into_iter()
                    .flat_map(|vars: BTreeMap<String, String>| {
                        values.get_ref().iter().map(move |value| {
                            let mut vars = vars.clone();
                            vars.insert(name.clone(), value.get_ref().to_string());
                            vars
                        })
                    })
                    .collect();
            }
        }
        cases
            .into_iter()
            .map(|vars| Case {
                name: if vars.is_empty() {
                    "default".to_owned()
                } else {
                    vars.iter()
                        .map(|(name, value)| format!("{name}={value}"))
                        .collect::<Vec<_>>()
                        .join(",")
                },
                vars,
            })
            .collect()
    }

    pub(super) fn template(
        &mut self,
        value: &Spanned<String>,
        vars: &BTreeSet<String>,
    ) -> Option<Template> {
        match Template::parse(value.get_ref()) {
            Ok(template) => {
                let unknown: Vec<&str> =
                    template.vars().filter(|var| !vars.contains(*var)).collect();
                if unknown.is_empty() {
                    return Some(template);
                }
                let known = if vars.is_empty() {
                    "this check has no case variables; define them in `cases`".to_owned()
                } else {
                    format!(
                        "case variables: {}",
                        vars.iter()
                            .map(|v| format!("`{v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("unknown placeholder `{{{}}}`", unknown[0]),
                    )
                    .help(known),
                );
                None
            }
            Err(message) => {
                self.problem(Some(value.span()), message);
                None
            }
        }
    }
}
