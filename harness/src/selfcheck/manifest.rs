//! A fixture's manifest, `fixture.toml`: what kind of program the fixture is (a correct one in
//! another style, a mutant that breaks one requirement, or a hostile one graded by its own
//! tests) and, for a mutant, which requirement it breaks. Parsed, then validated against the
//! exercise's rubric, every problem located by file, line and column.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::rubric::Rubric;

/// The file in a fixture's folder that says what the fixture is.
pub const MANIFEST: &str = "fixture.toml";

/// What a fixture is, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixtureKind {
    /// A correct program, maybe in a style the reference solution does not use: full marks.
    Correct,
    /// A program that breaks one requirement: it loses the points of `breaks`, and of `also`
    /// (checks and ratios that lose theirs only because they depend on it), and keeps the rest.
    Mutant {
        /// The requirement: a check or graded ratio of the rubric.
        breaks: String,
        /// What depends on it.
        also: Vec<String>,
    },
    /// A program that attacks the grader or the machine, graded by tests of its own.
    Hostile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestWire {
    kind: Spanned<String>,
    breaks: Option<Spanned<String>>,
    also: Option<Spanned<Vec<Spanned<String>>>>,
}

/// Reads and validates the manifest at `path` against `rubric`: the kind, or every problem as
/// `path:line:column: message`.
pub(super) fn load(path: &Path, rubric: &Rubric) -> Result<FixtureKind, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| vec![format!("{}: cannot read it: {error}", path.display())])?;
    parse(&text, rubric).map_err(|problems| {
        problems
            .into_iter()
            .map(|(span, message)| {
                let (line, column) = line_column(&text, span.start);
                format!("{}:{line}:{column}: {message}", path.display())
            })
            .collect()
    })
}

/// [`load`] of the manifest `text`; problems come with the span they point at.
fn parse(text: &str, rubric: &Rubric) -> Result<FixtureKind, Vec<(Range<usize>, String)>> {
    let wire: ManifestWire = toml::from_str(text).map_err(|error| {
        vec![(
            error.span().unwrap_or(0..0),
            error.message().trim().to_owned(),
        )]
    })?;
    let mut problems = Vec::new();
    let kind = match wire.kind.get_ref().as_str() {
        "correct" | "hostile" => {
            for (key, span) in [
                ("breaks", wire.breaks.as_ref().map(Spanned::span)),
                ("also", wire.also.as_ref().map(Spanned::span)),
            ] {
                if let Some(span) = span {
                    problems.push((
                        span,
                        format!(
                            "`{key}` belongs to a mutant, not to a `{}` fixture",
                            wire.kind.get_ref()
                        ),
                    ));
                }
            }
            if wire.kind.get_ref() == "correct" {
                FixtureKind::Correct
            } else {
                FixtureKind::Hostile
            }
        }
        "mutant" => {
            let Some(breaks) = &wire.breaks else {
                problems.push((
                    wire.kind.span(),
                    "a mutant needs `breaks`, the id of the check or ratio it breaks".to_owned(),
                ));
                return Err(problems);
            };
            let requirements = requirements(rubric);
            if !requirements.contains(breaks.get_ref().as_str()) {
                problems.push((
                    breaks.span(),
                    format!(
                        "`{}` is not a check or graded ratio of `{}`; these are: {}",
                        breaks.get_ref(),
                        rubric.path.display(),
                        requirements.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let dependents = dependents(rubric, breaks.get_ref());
            let mut also = Vec::new();
            for id in wire.also.iter().flat_map(Spanned::get_ref) {
                if !dependents.contains(id.get_ref().as_str()) {
                    problems.push((
                        id.span(),
                        format!(
                            "`{}` does not depend on `{}` (it does not `need` it, nor is it a ratio of it): a mutant that makes it lose points breaks two requirements; split it in two",
                            id.get_ref(),
                            breaks.get_ref()
                        ),
                    ));
                }
                also.push(id.get_ref().clone());
            }
            FixtureKind::Mutant {
                breaks: breaks.get_ref().clone(),
                also,
            }
        }
        other => {
            problems.push((
                wire.kind.span(),
                format!("unknown kind `{other}`: write `correct`, `mutant` or `hostile`"),
            ));
            return Err(problems);
        }
    };
    if problems.is_empty() {
        Ok(kind)
    } else {
        Err(problems)
    }
}

/// What a rubric grades: its checks, its ratios with points, and the build if it has points.
#[must_use]
pub(super) fn requirements(rubric: &Rubric) -> BTreeSet<&str> {
    let mut ids: BTreeSet<&str> = rubric
        .checks
        .iter()
        .map(|check| check.id.as_str())
        .collect();
    ids.extend(
        rubric
            .ratios
            .iter()
            .filter(|ratio| ratio.points > 0)
            .map(|ratio| ratio.id.as_str()),
    );
    if rubric.build.points > 0 {
        ids.insert("build");
    }
    ids
}

/// The checks that need `id`, directly or through others, and the ratios with points that name
/// `id` or one of those checks: what loses its points whenever `id` does not pass in full.
fn dependents<'a>(rubric: &'a Rubric, id: &str) -> BTreeSet<&'a str> {
    let mut found: BTreeSet<&str> = BTreeSet::new();
    loop {
        let before = found.len();
        for check in &rubric.checks {
            if check
                .needs
                .iter()
                .any(|need| need == id || found.contains(need.as_str()))
            {
                found.insert(check.id.as_str());
            }
        }
        if found.len() == before {
            break;
        }
    }
    // A ratio without points (information) loses nothing: it is no requirement.
    for ratio in rubric.ratios.iter().filter(|ratio| ratio.points > 0) {
        if ratio
            .of
            .iter()
            .chain([&ratio.over])
            .any(|named| named == id || found.contains(named.as_str()))
        {
            found.insert(ratio.id.as_str());
        }
    }
    found
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::demo::rubric;

    #[test]
    fn a_mutant_names_the_requirement_it_breaks_and_what_needs_it() {
        assert_eq!(
            parse(
                "kind = \"mutant\"\nbreaks = \"sum\"\nalso = [\"timing\"]\n",
                &rubric()
            ),
            Ok(FixtureKind::Mutant {
                breaks: "sum".to_owned(),
                also: vec!["timing".to_owned()]
            })
        );
        assert_eq!(
            parse("kind = \"correct\"\n", &rubric()),
            Ok(FixtureKind::Correct)
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let problems = parse(
            "kind = \"mutant\"\nbreaks = \"sums\"\nalso = [\"usage\"]\n",
            &rubric(),
        )
        .unwrap_err();
        let text: Vec<String> = problems
            .iter()
            .map(|(span, message)| format!("{}: {message}", span.start))
            .collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("25: `sums` is not a check or graded ratio"),
            "{text:?}"
        );
        assert!(
            text[1].contains("`usage` does not depend on `sums`"),
            "{text:?}"
        );
    }

    #[test]
    fn unknown_keys_and_kinds_are_errors() {
        let problems = parse("kind = \"mutant\"\nbreak = \"sum\"\n", &rubric()).unwrap_err();
        assert!(
            problems[0].1.contains("unknown field `break`"),
            "{problems:?}"
        );
        let problems = parse("kind = \"wrong\"\n", &rubric()).unwrap_err();
        assert_eq!(
            problems[0].1,
            "unknown kind `wrong`: write `correct`, `mutant` or `hostile`"
        );
        assert_eq!(line_column("a\nbc", 3), (2, 2));
    }
}
