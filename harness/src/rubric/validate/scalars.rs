//! Single values of a rubric: positive numbers, durations, points, ids, flags and names picked
//! from a list, each reported with what a valid one looks like.

use std::time::Duration;

use toml::Spanned;

use crate::rubric::error::Problem;

use super::parse::Validator;
use super::suggest::suggest;

impl Validator {
    /// A positive integer value of `key`, or `default` when absent.
    pub(super) fn positive(
        &mut self,
        value: Option<&Spanned<i64>>,
        key: &str,
        default: u64,
    ) -> u64 {
        let Some(value) = value else { return default };
        match u64::try_from(*value.get_ref()) {
            Ok(number) if number > 0 => number,
            _ => {
                self.problem(
                    Some(value.span()),
                    format!("`{key}` must be a positive integer"),
                );
                default
            }
        }
    }

    pub(super) fn duration(
        &mut self,
        value: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        let Some(value) = value else { return default };
        match humantime::parse_duration(value.get_ref()) {
            Ok(duration) if !duration.is_zero() => duration,
            Ok(_) => {
                self.problem(Some(value.span()), "a time limit must be more than zero");
                default
            }
            Err(error) => {
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("`{}` is not a duration: {error}", value.get_ref()),
                    )
                    .help("write a duration such as `10s`, `500ms` or `2m`"),
                );
                default
            }
        }
    }

    pub(super) fn output_bytes(&mut self, value: Option<&Spanned<i64>>, default: u64) -> u64 {
        let Some(value) = value else { return default };
        match u64::try_from(*value.get_ref()) {
            Ok(bytes) if bytes > 0 => bytes,
            _ => {
                self.problem(
                    Some(value.span()),
                    "`output-bytes` must be a positive number of bytes",
                );
                default
            }
        }
    }

    pub(super) fn points(&mut self, value: &Spanned<i64>, zero_allowed: bool) -> u32 {
        match u32::try_from(*value.get_ref()) {
            Ok(points) if points > 0 || zero_allowed => points,
            _ => {
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("{} is not a valid number of points", value.get_ref()),
                    )
                    .help(if zero_allowed {
                        "use a whole number of 0 or more"
                    } else {
                        "use a whole number above 0"
                    }),
                );
                0
            }
        }
    }

    /// The value of `key` among `names` (such as `visibility`), or `default` when absent.
    pub(super) fn choice<T: Copy>(
        &mut self,
        value: Option<&Spanned<String>>,
        key: &str,
        names: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(value) = value else {
            return default;
        };
        if let Some((_, found)) = names.iter().find(|(name, _)| name == value.get_ref()) {
            return *found;
        }
        let problem = Problem::new(
            Some(value.span()),
            format!("unknown {key} `{}`", value.get_ref()),
        );
        let candidates: Vec<&str> = names.iter().map(|(name, _)| *name).collect();
        self.problems
            .push(suggest(problem, value.get_ref(), &candidates));
        default
    }

    /// A key that is `true` or absent: whether it is `true`; `false` asks for nothing, which is
    /// a problem, since a rubric author who writes it surely meant something else. `purpose`
    /// completes the help: `write `key = true` {purpose}, or leave it out`.
    pub(super) fn flag(&mut self, value: Option<&Spanned<bool>>, key: &str, purpose: &str) -> bool {
        match value {
            Some(on) if *on.get_ref() => true,
            Some(off) => {
                self.problems.push(
                    Problem::new(
                        Some(off.span()),
                        format!("`{key} = false` asks for nothing"),
                    )
                    .help(format!("write `{key} = true` {purpose}, or leave it out")),
                );
                false
            }
            None => false,
        }
    }

    /// Whether `id` is a valid id of a `what` (check or ratio); a problem if not.
    pub(super) fn valid_id(&mut self, id: &Spanned<String>, what: &str) -> bool {
        let text = id.get_ref();
        let valid = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            self.problems.push(
                Problem::new(
                    Some(id.span()),
                    format!("`{text}` is not a valid {what} id"),
                )
                .help("use lowercase letters, digits, `-` and `_`"),
            );
        }
        valid
    }
}
