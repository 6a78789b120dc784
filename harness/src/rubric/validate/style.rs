//! Style checks (`clippy`, `rustfmt`): the rule, and the keys of a run that such a check,
//! which runs no program, must not have.

use std::ops::Range;

use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::StyleRule;
use crate::rubric::wire::{CheckWire, ClippyWire};

use super::parse::Validator;

impl Validator {
    /// The check's style rule, if it is a style check; with a problem for each key that does
    /// not fit it (both tools, a `run`, any key that shapes or judges runs).
    pub(super) fn style(&mut self, wire: &CheckWire, points: u32) -> Option<StyleRule> {
        let rule = match (&wire.clippy, &wire.rustfmt) {
            (None, None) => {
                if wire.run.is_none() {
                    self.problems.push(
                        Problem::new(Some(wire.id.span()), format!("check `{}` has no `run`", wire.id.get_ref()))
                            .help("name a binary of the exercise package, or make it a style check with `clippy` or `rustfmt`"),
                    );
                }
                return None;
            }
            (Some(_), Some(rustfmt)) => {
                self.problems.push(
                    Problem::new(
                        Some(rustfmt.span()),
                        "a check has `clippy` or `rustfmt`, not both",
                    )
                    .help("make each its own check"),
                );
                return None;
            }
            (Some(clippy), None) => self.clippy(clippy, points),
            (None, Some(rustfmt)) => self.rustfmt(rustfmt),
        };
        let tool = if wire.clippy.is_some() {
            "clippy"
        } else {
            "rustfmt"
        };
        for (key, span) in run_keys(wire) {
            self.problems.push(
                Problem::new(
                    Some(span),
                    format!("`{key}` does not apply to a style check: `{tool}` runs no program"),
                )
                .help("remove it, or make the run its own check"),
            );
        }
        rule
    }

    fn clippy(&mut self, clippy: &Spanned<ClippyWire>, points: u32) -> Option<StyleRule> {
        let wire = clippy.get_ref();
        if wire.lints.get_ref().is_empty() {
            self.problems.push(
                Problem::new(Some(wire.lints.span()), "`lints` is empty")
                    .help("name the clippy lints the check counts, such as `needless_range_loop`"),
            );
        }
        let mut lints: Vec<String> = Vec::new();
        for lint in wire.lints.get_ref() {
            let name = lint.get_ref();
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                let bare = name.strip_prefix("clippy::").unwrap_or(name);
                self.problems.push(
                    Problem::new(
                        Some(lint.span()),
                        format!("`{name}` is not a clippy lint name"),
                    )
                    .help(format!(
                        "write the lint's name alone, in lowercase with `_`, such as `{}`",
                        bare.replace('-', "_").to_lowercase()
                    )),
                );
            } else if lints.contains(name) {
                self.problem(Some(lint.span()), format!("lint `{name}` is listed twice"));
            } else {
                lints.push(name.clone());
            }
        }
        let points_per_finding = self.per_finding(wire.points_per_finding.as_ref(), points)?;
        Some(StyleRule::Clippy {
            lints,
            points_per_finding,
        })
    }

    fn rustfmt(&mut self, rustfmt: &Spanned<bool>) -> Option<StyleRule> {
        if *rustfmt.get_ref() {
            return Some(StyleRule::Rustfmt);
        }
        self.problems.push(
            Problem::new(Some(rustfmt.span()), "`rustfmt = false` checks nothing")
                .help("remove the check, or write `rustfmt = true`"),
        );
        None
    }

    /// `points-per-finding`: above 0 and at most the check's points; the check's points when
    /// left out (any finding costs them all).
    fn per_finding(&mut self, value: Option<&Spanned<i64>>, points: u32) -> Option<u32> {
        let Some(value) = value else {
            return Some(points);
        };
        match u32::try_from(*value.get_ref()) {
            Ok(per) if per > 0 && per <= points => Some(per),
            _ => {
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("{} is not a valid `points-per-finding`", value.get_ref()),
                    )
                    .help(format!(
                        "use a whole number from 1 to the check's points ({points})"
                    )),
                );
                None
            }
        }
    }
}

/// The keys of `wire` that shape or judge a run of the program, with their span when it has
/// one.
fn run_keys(wire: &CheckWire) -> Vec<(&'static str, Range<usize>)> {
    fn at<T>(value: Option<&Spanned<T>>) -> Option<Range<usize>> {
        value.map(Spanned::span)
    }
    // Keys without a span of their own are pointed at by the check's id.
    let id = wire.id.span();
    let limits = wire.limits();
    [
        ("run", at(wire.run.as_ref())),
        ("test", at(wire.test.as_ref())),
        ("args", at(wire.args.first())),
        ("env", (!wire.env.is_empty()).then(|| id.clone())),
        ("cases", at(wire.cases.as_ref())),
        ("scoring", at(wire.scoring.as_ref())),
        ("timeout", at(limits.timeout.as_ref())),
        ("output-bytes", at(limits.output_bytes.as_ref())),
        ("cpu-time", at(limits.cpu_time.as_ref())),
        ("memory", at(limits.memory.as_ref())),
        ("tasks", at(limits.tasks.as_ref())),
        ("file-size", at(limits.file_size.as_ref())),
        ("open-files", at(limits.open_files.as_ref())),
        ("isolate", at(limits.isolate.as_ref())),
        ("expect", at(wire.expect.as_ref())),
        ("stdout", at(wire.stdout.first())),
        ("stderr", at(wire.stderr.first())),
        ("compare", at(wire.compare.first())),
        ("census", at(wire.census.as_ref())),
        ("expect-child", at(wire.expect_child.as_ref())),
        ("repeat", at(wire.repeat.as_ref())),
        ("perturb", at(wire.perturb.as_ref())),
        ("perturb-max-delay", at(wire.perturb_max_delay.as_ref())),
        ("start-together", at(wire.start_together.as_ref())),
        ("separate-cores", at(wire.separate_cores.as_ref())),
        ("hold-until-waited", at(wire.hold_until_waited.as_ref())),
        ("fault", at(wire.fault.as_ref())),
        ("syscalls", at(wire.syscalls.as_ref())),
        ("short-reads", at(wire.short_reads.as_ref())),
        ("parallelism", wire.parallelism.then(|| id.clone())),
        ("parallelism-time", at(wire.parallelism_time.as_ref())),
    ]
    .into_iter()
    .filter_map(|(key, span)| Some((key, span?)))
    .collect()
}
