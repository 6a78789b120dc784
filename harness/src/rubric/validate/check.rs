//! Assembling each `[[check]]`: its id, program, scoring, audience and the keys that tie its
//! parts together (the capture `parallelism-time` names, the inputs its oracles need).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use toml::Spanned;

use crate::rubric::error::Problem;
use crate::rubric::model::{
    Audience, BUILD_ID, Check, CheckRuns, Compare, Details, Expect, Expected, FAULT_VARS, Matcher,
    Oracle, Rules, Scoring, Visibility,
};
use crate::rubric::wire::CheckWire;

use super::limits::CheckLimits;
use super::matchers::regex_captures;
use super::parse::Validator;

impl Validator {
    pub(super) fn checks(
        &mut self,
        wires: Vec<CheckWire>,
        written: usize,
        limits: &CheckLimits,
        dropped: &[String],
    ) -> Option<Vec<Check>> {
        let before = self.problems.len();
        let mut ids: BTreeMap<String, Range<usize>> = BTreeMap::new();
        for wire in &wires {
            let id = wire.id.get_ref();
            if !self.valid_id(&wire.id, "check") {
                // Said already.
            } else if id == BUILD_ID {
                self.problem(
                    Some(wire.id.span()),
                    format!("`{BUILD_ID}` is reserved for the build; pick another id"),
                );
            } else if ids.contains_key(id) {
                self.problem(
                    Some(wire.id.span()),
                    format!("check id `{id}` is used twice"),
                );
            } else {
                ids.insert(id.clone(), wire.id.span());
            }
        }
        if written == 0 {
            self.problems.push(
                Problem::new(Some(0..0), "the rubric has no checks")
                    .help("add at least one `[[check]]` table"),
            );
        }
        let known: Vec<&str> = std::iter::once(BUILD_ID)
            .chain(ids.keys().map(String::as_str))
            .collect();
        self.hidden_needs(&wires);
        let checks: Vec<Check> = wires
            .into_iter()
            .filter_map(|wire| self.check(wire, limits, &known, dropped))
            .collect();
        if self.problems.len() != before {
            return None;
        }
        self.order(checks, &ids)
    }

    /// The check's `stdout` and `stderr` matchers.
    fn output_matchers(
        &mut self,
        wire: &CheckWire,
        vars: &BTreeSet<String>,
    ) -> (Vec<Matcher>, Vec<Matcher>) {
        let stdout: Vec<Matcher> = wire
            .stdout
            .iter()
            .filter_map(|m| self.matcher(m, vars))
            .collect();
        let stderr: Vec<Matcher> = wire
            .stderr
            .iter()
            .filter_map(|m| self.matcher(m, vars))
            .collect();
        (stdout, stderr)
    }

    fn check(
        &mut self,
        wire: CheckWire,
        limits: &CheckLimits,
        known: &[&str],
        dropped: &[String],
    ) -> Option<Check> {
        let before = self.problems.len();
        let points = self.points(&wire.points, false);
        let own = self.limits(&wire.limits(), limits);
        let (timeout, output_bytes) = (own.timeout, own.output_bytes);
        let run_limits = Self::run_limits(&own);
        let style = self.style(&wire, points);
        if let Some(run) = wire
            .run
            .as_ref()
            .filter(|run| run.get_ref().trim().is_empty())
        {
            self.problem(
                Some(run.span()),
                "`run` is empty: name a binary of the exercise package",
            );
        }
        let cases = self.cases(wire.cases.as_ref());
        let mut vars: BTreeSet<String> = cases
            .first()
            .map(|case| case.vars.keys().cloned().collect())
            .unwrap_or_default();
        let fault = wire
            .fault
            .as_ref()
            .and_then(|fault| self.fault(fault, &vars));
        if wire.fault.is_some() {
            vars.extend(FAULT_VARS.iter().map(|var| (*var).to_owned()));
        }
        let observing = self.observing(&wire, &vars);
        let (syscalls, short_reads) = self.syscall_keys(&wire);
        let args = wire
            .args
            .iter()
            .filter_map(|arg| self.template(arg, &vars))
            .collect();
        let env = wire
            .env
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), self.template(value, &vars)?)))
            .collect();
        let scoring = self.scoring(wire.scoring.as_ref());
        let needs = self.needs(&wire, known, dropped);
        let expect = wire
            .expect
            .as_ref()
            .map_or(Expect::Exit(0), |expect| self.expect(expect, &vars));
        let (stdout, stderr) = self.output_matchers(&wire, &vars);
        let captures = regex_captures(&stdout, &stderr);
        let compares: Vec<Compare> = wire
            .compare
            .iter()
            .filter_map(|compare| self.compare(compare, &captures, &vars))
            .collect();
        self.oracle_inputs(&wire, &compares, &vars, fault.is_some());
        let parallelism_time = self.parallelism_time(&wire, &captures);
        let audience = self.audience(&wire);
        let mut stdout = stdout;
        let test = self.test(&wire, audience.visibility).map(|(test, passed)| {
            stdout.push(passed);
            test
        });
        (self.problems.len() == before).then(|| Check {
            id: wire.id.into_inner(),
            title: wire.title,
            points,
            scoring,
            needs,
            runs: CheckRuns {
                // A style check runs no program (`style` is its rule).
                program: wire.run.map(Spanned::into_inner).unwrap_or_default(),
                args,
                env,
                cases,
                timeout,
                output_bytes,
                limits: run_limits,
                repeat: observing.repeat,
                task_start: observing.task_start,
                fault,
                short_reads,
                test,
            },
            rules: Rules {
                expect,
                stdout,
                stderr,
                compares,
                census: observing.census,
                expect_child: observing.expect_child,
                syscalls,
                parallelism: wire.parallelism || wire.parallelism_time.is_some(),
                parallelism_time,
                figures: Vec::new(),
            },
            audience,
            style,
        })
    }

    fn scoring(&mut self, value: Option<&Spanned<String>>) -> Scoring {
        let Some(value) = value else {
            return Scoring::PerCase;
        };
        match value.get_ref().as_str() {
            "per-case" => Scoring::PerCase,
            "all-or-nothing" => Scoring::AllOrNothing,
            other => {
                self.problems.push(
                    Problem::new(Some(value.span()), format!("unknown scoring `{other}`"))
                        .help("use `per-case` or `all-or-nothing`"),
                );
                Scoring::PerCase
            }
        }
    }

    /// The check's `visibility` and `details`.
    fn audience(&mut self, wire: &CheckWire) -> Audience {
        let visibility = self.choice(
            wire.visibility.as_ref(),
            "visibility",
            &Visibility::ALL,
            Visibility::Visible,
        );
        let details = self.choice(
            wire.details.as_ref(),
            "details",
            &Details::ALL,
            Details::Full,
        );
        Audience {
            visibility,
            details,
        }
    }

    /// The capture `parallelism-time` names, which must be defined by a regex of the check.
    fn parallelism_time(&mut self, wire: &CheckWire, captures: &BTreeSet<&str>) -> Option<String> {
        wire.parallelism_time.as_ref().map(|capture| {
            if !captures.contains(capture.get_ref().as_str()) {
                self.problems.push(
                    Problem::new(
                        Some(capture.span()),
                        format!("capture `{}` is not a named group of any regex of this check", capture.get_ref()),
                    )
                    .help("name the group that holds the program's time in milliseconds, such as `(?<ms>\\d+)`"),
                );
            }
            capture.get_ref().clone()
        })
    }

    /// Oracles that read more than the seed need their inputs in the check.
    fn oracle_inputs(
        &mut self,
        wire: &CheckWire,
        compares: &[Compare],
        vars: &BTreeSet<String>,
        has_fault: bool,
    ) {
        for compare in compares {
            let Expected::Oracle(oracle) = compare.expected else {
                continue;
            };
            let missing = match oracle {
                Oracle::ArraySumWithoutFault if !has_fault => Some("a `fault`"),
                Oracle::CorruptedSum if !vars.contains("workers") => {
                    Some("a case variable `workers`")
                }
                _ => None,
            };
            if let Some(missing) = missing {
                self.problems.push(
                    Problem::new(
                        Some(wire.id.span()),
                        format!(
                            "oracle `{}` needs {missing} in check `{}`",
                            oracle.name(),
                            wire.id.get_ref()
                        ),
                    )
                    .help("see the oracles in rubrics/README.md"),
                );
            }
        }
    }
}
