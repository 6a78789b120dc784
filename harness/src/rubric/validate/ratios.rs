//! The `[[ratio]]` tables: a figure of some checks over the same figure of another, and the
//! figures each named check records.

use std::collections::BTreeSet;

use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::{BUILD_ID, Check, Figure, Ratio};
use crate::rubric::wire::RatioWire;

use super::matchers::regex_captures;
use super::parse::Validator;
use super::suggest::suggest;

impl Validator {
    /// The `[[ratio]]` tables, each checked against the rubric's checks (`check_ids`, and
    /// `checks` when they are valid), whose [`Check::figures`] then list what to record.
    pub(super) fn ratios(
        &mut self,
        wires: Vec<RatioWire>,
        check_ids: &[String],
        mut checks: Option<&mut [Check]>,
    ) -> Vec<Ratio> {
        let known: Vec<&str> = check_ids.iter().map(String::as_str).collect();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut ratios = Vec::with_capacity(wires.len());
        for wire in wires {
            let id = wire.id.get_ref();
            if self.valid_id(&wire.id, "ratio")
                && (id == BUILD_ID || known.contains(&id.as_str()) || !seen.insert(id.clone()))
            {
                self.problem(
                    Some(wire.id.span()),
                    format!("id `{id}` is already used by the build, a check or another ratio"),
                );
            }
            let figure = self.figure(&wire);
            let named: Vec<&Spanned<String>> = wire
                .of
                .get_ref()
                .iter()
                .chain(std::iter::once(&wire.over))
                .collect();
            if wire.of.get_ref().is_empty() {
                self.problems.push(
                    Problem::new(Some(wire.of.span()), "`of` names no check")
                        .help("list the checks whose figure is divided, such as `of = [\"handover-timed\"]`"),
                );
            }
            for name in &named {
                if !known.contains(&name.get_ref().as_str()) {
                    let problem = Problem::new(
                        Some(name.span()),
                        format!("`{}` is not a check of this rubric", name.get_ref()),
                    );
                    self.problems.push(suggest(problem, name.get_ref(), &known));
                }
            }
            if wire
                .of
                .get_ref()
                .iter()
                .any(|of| of.get_ref() == wire.over.get_ref())
            {
                self.problem(
                    Some(wire.over.span()),
                    format!("check `{}` is divided by itself", wire.over.get_ref()),
                );
            }
            let (at_most, at_least) = self.bounds(&wire);
            let bounded = at_most.is_some() || at_least.is_some();
            let points = match &wire.points {
                None => 0,
                Some(points) => {
                    let value = self.points(points, true);
                    if !bounded && value > 0 {
                        self.problems.push(
                            Problem::new(Some(points.span()), "a ratio without `at-most` or `at-least` is information and earns no points")
                                .help("add a bound, or leave `points` out"),
                        );
                    }
                    value
                }
            };
            if bounded && points == 0 {
                self.problems.push(
                    Problem::new(Some(wire.id.span()), "a ratio with bounds needs points")
                        .help("add `points = …` above 0, or drop `at-most` and `at-least` to report the ratio as information"),
                );
            }
            let Some(figure) = figure else { continue };
            if let Some(checks) = checks.as_deref_mut() {
                self.record_figure(&figure, &named, &wire, checks);
            }
            ratios.push(Ratio {
                id: id.clone(),
                title: wire.title.clone(),
                points,
                figure,
                of: wire
                    .of
                    .get_ref()
                    .iter()
                    .map(|of| of.get_ref().clone())
                    .collect(),
                over: wire.over.get_ref().clone(),
                at_most,
                at_least,
            });
        }
        ratios
    }

    /// A ratio's `figure` or `capture`: exactly one.
    fn figure(&mut self, wire: &RatioWire) -> Option<Figure> {
        match (&wire.figure, &wire.capture) {
            (Some(name), None) => {
                let found = Figure::NAMED
                    .iter()
                    .find(|(known, _)| *known == name.get_ref())
                    .map(|(_, figure)| figure.clone());
                if found.is_none() {
                    let names: Vec<&str> = Figure::NAMED.iter().map(|(known, _)| *known).collect();
                    let problem = Problem::new(
                        Some(name.span()),
                        format!("unknown figure `{}`", name.get_ref()),
                    )
                    .help(format!(
                        "use one of {}, or `capture = \"<group>\"` for a number the program prints",
                        names.join(", ")
                    ));
                    self.problems.push(problem);
                }
                found
            }
            (None, Some(capture)) => Some(Figure::Capture(capture.get_ref().clone())),
            (Some(_), Some(capture)) => {
                self.problems.push(
                    Problem::new(
                        Some(capture.span()),
                        "a ratio takes `figure` or `capture`, not both",
                    )
                    .help("keep the one that says what to measure"),
                );
                None
            }
            (None, None) => {
                self.problems.push(
                    Problem::new(Some(wire.id.span()), "a ratio needs `figure` or `capture`")
                        .help("add `figure = \"wall-time\"` (or `cpu-time`, `cores-busy`, `cores-wanted`), or `capture = \"<group>\"`"),
                );
                None
            }
        }
    }

    /// A ratio's `at-most` and `at-least`: positive, and in order.
    fn bounds(&mut self, wire: &RatioWire) -> (Option<f64>, Option<f64>) {
        let mut bound = |value: Option<&Spanned<f64>>, key: &str| {
            let value = value?;
            let number = *value.get_ref();
            if number.is_finite() && number > 0.0 {
                Some(number)
            } else {
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("`{key}` must be a number above 0"),
                    )
                    .help("a ratio of two measures is positive, such as `0.5` or `2`"),
                );
                None
            }
        };
        let at_most = bound(wire.at_most.as_ref(), "at-most");
        let at_least = bound(wire.at_least.as_ref(), "at-least");
        if let (Some(most), Some(least), Some(span)) =
            (at_most, at_least, wire.at_least.as_ref().map(Spanned::span))
            && least > most
        {
            self.problems.push(
                Problem::new(
                    Some(span),
                    format!("`at-least` ({least}) is above `at-most` ({most})"),
                )
                .help("no ratio could pass: swap them"),
            );
        }
        (at_most, at_least)
    }

    /// Tells the checks a ratio names to record its figure, once checked that they can: a
    /// capture must be a named group of one of each check's regexes.
    fn record_figure(
        &mut self,
        figure: &Figure,
        named: &[&Spanned<String>],
        wire: &RatioWire,
        checks: &mut [Check],
    ) {
        for name in named {
            let Some(check) = checks.iter_mut().find(|check| &check.id == name.get_ref()) else {
                continue;
            };
            if let Figure::Capture(capture) = figure
                && !regex_captures(&check.rules.stdout, &check.rules.stderr)
                    .contains(capture.as_str())
            {
                let span = wire
                    .capture
                    .as_ref()
                    .map_or_else(|| name.span(), Spanned::span);
                self.problems.push(
                    Problem::new(
                        Some(span),
                        format!("capture `{capture}` is not a named group of any regex of check `{}`", check.id),
                    )
                    .help("name the group holding the number in a regex of that check's `stdout` or `stderr`, such as `(?<transfer_us>\\d+)`"),
                );
            }
            if !check.rules.figures.contains(figure) {
                check.rules.figures.push(figure.clone());
            }
        }
    }
}
