//! "Did you mean" help for a name that is close to a known one.

use crate::rubric::error::Problem;

/// Adds "did you mean" help when `name` is close to one of `candidates`.
pub(super) fn suggest(problem: Problem, name: &str, candidates: &[&str]) -> Problem {
    match strsim_closest(name, candidates) {
        Some(candidate) => problem.help(format!("did you mean `{candidate}`?")),
        None if problem.help.is_none() && !candidates.is_empty() => {
            problem.help(format!("expected one of: {}", candidates.join(", ")))
        }
        None => problem,
    }
}

/// The name of `names` closest to `text`, if one is close enough to be a typo.
pub(super) fn strsim_closest<'a>(text: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|name| (strsim::jaro_winkler(text, name), *name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}
