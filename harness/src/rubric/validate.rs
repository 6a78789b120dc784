//! Turns the wire types into a validated [`Rubric`], collecting every problem on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::error::{Problem, RubricError};
use labgrade_support::FaultAction;

use crate::run::HoldOrder;

use super::model::{
    BUILD_ID, Build, Case, CensusCount, CensusRule, Check, Compare, Details, Exercise, Expect,
    Expected, FAULT_VARS, FaultPlan, Figure, Matcher, Oracle, Profile, Ratio, Rubric, RunLimits,
    SYSCALL_FAMILIES, Scoring, Sequences, Source, Stream, SyscallPattern, SyscallRule, Visibility,
};
use super::template::Template;
use super::unknown::{table_holding, unknown_field};
use super::wire::{
    BuildWire, CasesWire, CheckWire, CompareWire, ExerciseWire, ExpectWire, FaultWire, LimitsWire,
    MatcherWire, RatioWire, ScalarWire, SequencesWire, SyscallsWire,
};

/// What every matcher needs, in the words of its problems.
const MATCHER_KINDS: &str = "a matcher needs exactly one of `regex`, `contains`, `line`, `line-with`, `only-lines`, `sequences` and `byte-count` (with `counted-lines`)";
const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_OUTPUT_BYTES: u64 = 1 << 20;
const DEFAULT_PERTURB_DELAY: Duration = Duration::from_millis(20);
/// How long `start-together` waits for another new task before it starts the held ones: long
/// enough that a program creating its threads in a row creates the next within it even on a
/// loaded machine, short enough to cost little per run.
const START_TOGETHER_QUIET: Duration = Duration::from_millis(50);
/// Address space of each process. Generous on purpose: it only catches runaway allocation. A
/// Rust program with 8 threads reserves far more address space than it uses (glibc gives each
/// thread a 64 MiB malloc arena reservation, each thread stack 2 MiB or more).
const DEFAULT_MEMORY: u64 = 1 << 30;
/// Threads and processes alive at once, for the program's own uid: room for a pool of workers
/// and for labs that start a few hundred short-lived threads or processes one after another
/// (exiting tasks may linger a moment before they stop counting).
const DEFAULT_TASKS: u64 = 256;
const DEFAULT_FILE_SIZE: u64 = 64 << 20;
const DEFAULT_OPEN_FILES: u64 = 256;
const SECTIONS: [&str; 6] = ["exercise", "build", "limits", "env", "check", "ratio"];

/// Parses and validates the rubric `text`, read from `path`.
///
/// `path` locates the exercise package (relative to the rubric's folder) and names the file in
/// error messages. Every problem is reported, not only the first.
pub fn parse(path: &Path, text: &str) -> Result<Rubric, RubricError> {
    let mut validator = Validator::default();
    let rubric = validator.rubric(path, text);
    match rubric {
        Some(rubric) if validator.problems.is_empty() => Ok(rubric),
        _ => {
            let mut problems = validator.problems;
            problems.sort_by_key(|problem| problem.span.as_ref().map_or(0, |span| span.start));
            Err(RubricError::Invalid {
                path: path.to_owned(),
                text: text.to_owned(),
                problems,
            })
        }
    }
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

/// Section values as parsed, still to be deserialized.
#[derive(Default)]
struct Sections<'i> {
    exercise: Option<Spanned<DeValue<'i>>>,
    build: Option<Spanned<DeValue<'i>>>,
    limits: Option<Spanned<DeValue<'i>>>,
    env: Option<Spanned<DeValue<'i>>>,
    checks: Vec<Spanned<DeValue<'i>>>,
    ratios: Vec<Spanned<DeValue<'i>>>,
}

/// What a check asks of the tracer and of repeated runs.
struct Observing {
    census: Vec<CensusRule>,
    expect_child: Option<Expect>,
    repeat: u32,
    perturb: Option<Duration>,
    start_together: Option<Duration>,
    separate_cores: bool,
    hold_until_waited: Option<HoldOrder>,
}

struct Limits {
    timeout: Duration,
    output_bytes: u64,
    /// `None`: twice each check's own timeout.
    cpu_time: Option<Duration>,
    memory: u64,
    tasks: u64,
    file_size: u64,
    open_files: u64,
    isolate: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_CASE_TIMEOUT,
            output_bytes: DEFAULT_OUTPUT_BYTES,
            cpu_time: None,
            memory: DEFAULT_MEMORY,
            tasks: DEFAULT_TASKS,
            file_size: DEFAULT_FILE_SIZE,
            open_files: DEFAULT_OPEN_FILES,
            isolate: true,
        }
    }
}

impl Validator {
    fn problem(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        self.problems.push(Problem::new(span, message));
    }

    fn rubric(&mut self, path: &Path, text: &str) -> Option<Rubric> {
        let (root, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            for error in syntax_errors {
                self.problem(error.span(), error.message().trim_end().to_owned());
            }
            return None;
        }
        let sections = self.sections(root.into_inner());

        let exercise = if let Some(value) = sections.exercise {
            self.deserialize::<ExerciseWire>(value)
                .and_then(|wire| self.exercise(path, wire))
        } else {
            self.problems
                .push(Problem::new(Some(0..0), "missing `[exercise]` table").help(
                    "add `[exercise]` with `name`, `package` and `files` (see rubrics/README.md)",
                ));
            None
        };
        let build = sections
            .build
            .map_or_else(
                || Some(BuildWire::default()),
                |value| self.deserialize(value),
            )
            .map(|wire| self.build(wire));
        let limits = sections
            .limits
            .map_or_else(
                || Some(LimitsWire::default()),
                |value| self.deserialize(value),
            )
            .map(|wire| self.limits(&wire, &Limits::default()));
        let env = sections.env.map_or_else(
            || Some(BTreeMap::new()),
            |value| self.deserialize::<BTreeMap<String, String>>(value),
        );
        let written_checks = sections.checks.len();
        // The ids of checks that could not be read at all: each has its problem already, and a
        // check or ratio naming one is not told that it names no check.
        let mut dropped: Vec<String> = Vec::new();
        let wires: Vec<CheckWire> = sections
            .checks
            .into_iter()
            .filter_map(|value| {
                let id = written_id(&value);
                let wire = self.deserialize(value);
                if wire.is_none() {
                    dropped.extend(id);
                }
                wire
            })
            .collect();
        let limits = limits.unwrap_or_default();
        let mut check_ids: Vec<String> =
            wires.iter().map(|wire| wire.id.get_ref().clone()).collect();
        let mut checks = self.checks(wires, written_checks, &limits, &dropped);
        check_ids.extend(dropped);
        let ratio_wires: Vec<RatioWire> = sections
            .ratios
            .into_iter()
            .filter_map(|value| self.deserialize(value))
            .collect();
        let ratios = self.ratios(ratio_wires, &check_ids, checks.as_deref_mut());
        Some(Rubric {
            path: path.to_owned(),
            exercise: exercise?,
            build: build?,
            env: env?,
            checks: checks?,
            ratios,
        })
    }

    fn sections<'i>(&mut self, root: DeTable<'i>) -> Sections<'i> {
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
    fn deserialize<'i, T: Deserialize<'i>>(
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

    fn exercise(&mut self, rubric_path: &Path, wire: ExerciseWire) -> Option<Exercise> {
        let before = self.problems.len();
        if wire.name.get_ref().trim().is_empty() {
            self.problem(Some(wire.name.span()), "the exercise name is empty");
        }
        let base = rubric_path.parent().unwrap_or(Path::new(""));
        let package = lexically_normal(&base.join(wire.package.get_ref()));
        if wire.files.get_ref().is_empty() {
            self.problems.push(
                Problem::new(Some(wire.files.span()), "`files` is empty")
                    .help("list the files a submission provides, relative to the package"),
            );
        }
        let mut seen = BTreeSet::new();
        let mut files = Vec::new();
        for file in wire.files.get_ref() {
            let relative = PathBuf::from(file.get_ref());
            let inside = !file.get_ref().is_empty()
                && relative
                    .components()
                    .all(|component| matches!(component, Component::Normal(_)));
            if !inside {
                self.problems.push(
                    Problem::new(
                        Some(file.span()),
                        format!("`{}` is not a path inside the package", file.get_ref()),
                    )
                    .help("write a relative path without `..`, such as `src/main.rs`"),
                );
            } else if !seen.insert(relative.clone()) {
                self.problem(
                    Some(file.span()),
                    format!("`{}` is listed twice", file.get_ref()),
                );
            } else {
                files.push(relative);
            }
        }
        (self.problems.len() == before).then(|| Exercise {
            name: wire.name.into_inner(),
            package,
            files,
        })
    }

    fn build(&mut self, wire: BuildWire) -> Build {
        let profile = match wire.profile {
            None => Profile::Release,
            Some(profile) => match profile.get_ref().as_str() {
                "release" => Profile::Release,
                "dev" => Profile::Dev,
                other => {
                    self.problems.push(
                        Problem::new(Some(profile.span()), format!("unknown profile `{other}`"))
                            .help("use `release` or `dev`"),
                    );
                    Profile::Release
                }
            },
        };
        Build {
            profile,
            timeout: self.duration(wire.timeout.as_ref(), DEFAULT_BUILD_TIMEOUT),
            points: wire.points.map_or(0, |points| self.points(&points, true)),
        }
    }

    /// Limits written in `wire` (the `[limits]` table, or a check's own keys), each falling
    /// back on `inherited`; a CPU time nobody sets is left to [`Self::run_limits`].
    fn limits(&mut self, wire: &LimitsWire, inherited: &Limits) -> Limits {
        Limits {
            timeout: self.duration(wire.timeout.as_ref(), inherited.timeout),
            output_bytes: self.output_bytes(wire.output_bytes.as_ref(), inherited.output_bytes),
            cpu_time: wire
                .cpu_time
                .as_ref()
                .map(|value| self.duration(Some(value), inherited.timeout * 2))
                .or(inherited.cpu_time),
            memory: self.positive(wire.memory.as_ref(), "memory", inherited.memory),
            tasks: self.positive(wire.tasks.as_ref(), "tasks", inherited.tasks),
            file_size: self.positive(wire.file_size.as_ref(), "file-size", inherited.file_size),
            open_files: self.positive(wire.open_files.as_ref(), "open-files", inherited.open_files),
            isolate: wire
                .isolate
                .as_ref()
                .map_or(inherited.isolate, |v| *v.get_ref()),
        }
    }

    /// The resource limits of a check's runs; CPU time defaults to twice the check's own
    /// wall-clock `timeout`.
    fn run_limits(limits: &Limits) -> RunLimits {
        RunLimits {
            cpu_time: limits.cpu_time.unwrap_or(limits.timeout * 2),
            memory: limits.memory,
            tasks: limits.tasks,
            file_size: limits.file_size,
            open_files: limits.open_files,
            isolate: limits.isolate,
        }
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

    /// The value of `key` among `names` (such as `visibility`), or `default` when absent.
    fn choice<T: Copy>(
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

    /// The check's `visibility` and `details`.
    fn audience(&mut self, wire: &CheckWire) -> (Visibility, Details) {
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
        (visibility, details)
    }

    /// A check that students run (not `hidden`) must not need a hidden check: their
    /// self-check does not run hidden checks, so it would always be skipped there.
    fn hidden_needs(&mut self, wires: &[CheckWire]) {
        let hidden: BTreeSet<&str> = wires
            .iter()
            .filter(|wire| {
                wire.visibility
                    .as_ref()
                    .is_some_and(|visibility| visibility.get_ref() == "hidden")
            })
            .map(|wire| wire.id.get_ref().as_str())
            .collect();
        for wire in wires {
            if wire
                .visibility
                .as_ref()
                .is_some_and(|visibility| visibility.get_ref() == "hidden")
            {
                continue;
            }
            for need in &wire.needs {
                if hidden.contains(need.get_ref().as_str()) {
                    self.problems.push(
                        Problem::new(
                            Some(need.span()),
                            format!(
                                "check `{}` needs `{}`, which is hidden: a student's self-check does not run hidden checks, so `{}` would always be skipped there",
                                wire.id.get_ref(),
                                need.get_ref(),
                                wire.id.get_ref()
                            ),
                        )
                        .help(format!(
                            "make `{}` hidden too, or `{}` visible",
                            wire.id.get_ref(),
                            need.get_ref()
                        )),
                    );
                }
            }
        }
    }

    /// A positive integer value of `key`, or `default` when absent.
    fn positive(&mut self, value: Option<&Spanned<i64>>, key: &str, default: u64) -> u64 {
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

    fn duration(&mut self, value: Option<&Spanned<String>>, default: Duration) -> Duration {
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

    fn output_bytes(&mut self, value: Option<&Spanned<i64>>, default: u64) -> u64 {
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

    fn points(&mut self, value: &Spanned<i64>, zero_allowed: bool) -> u32 {
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

    fn checks(
        &mut self,
        wires: Vec<CheckWire>,
        written: usize,
        limits: &Limits,
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

    fn check(
        &mut self,
        wire: CheckWire,
        limits: &Limits,
        known: &[&str],
        dropped: &[String],
    ) -> Option<Check> {
        let before = self.problems.len();
        let points = self.points(&wire.points, false);
        let own = self.limits(&wire.limits(), limits);
        let (timeout, output_bytes) = (own.timeout, own.output_bytes);
        let run_limits = Self::run_limits(&own);
        if wire.run.get_ref().trim().is_empty() {
            self.problem(
                Some(wire.run.span()),
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
        let stdout: Vec<Matcher> = wire
            .stdout
            .iter()
            .filter_map(|m| self.matcher(m, &vars))
            .collect();
        let stderr: Vec<Matcher> = wire
            .stderr
            .iter()
            .filter_map(|m| self.matcher(m, &vars))
            .collect();
        let captures = regex_captures(&stdout, &stderr);
        let compares: Vec<Compare> = wire
            .compare
            .iter()
            .filter_map(|compare| self.compare(compare, &captures, &vars))
            .collect();
        self.oracle_inputs(&wire, &compares, &vars, fault.is_some());
        let parallelism_time = self.parallelism_time(&wire, &captures);
        let (visibility, details) = self.audience(&wire);
        (self.problems.len() == before).then(|| Check {
            id: wire.id.into_inner(),
            title: wire.title,
            points,
            program: wire.run.into_inner(),
            args,
            env,
            cases,
            scoring,
            timeout,
            output_bytes,
            needs,
            expect,
            stdout,
            stderr,
            compares,
            census: observing.census,
            expect_child: observing.expect_child,
            repeat: observing.repeat,
            perturb: observing.perturb,
            start_together: observing.start_together,
            separate_cores: observing.separate_cores,
            hold_until_waited: observing.hold_until_waited,
            fault,
            syscalls,
            short_reads,
            parallelism: wire.parallelism || wire.parallelism_time.is_some(),
            parallelism_time,
            limits: run_limits,
            visibility,
            details,
            figures: Vec::new(),
        })
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

    /// The keys that need the tracer or several runs: `census`, `expect-child`, `repeat`,
    /// `perturb`.
    fn observing(&mut self, wire: &CheckWire, vars: &BTreeSet<String>) -> Observing {
        let mut census = Vec::new();
        if let Some(wanted) = &wire.census {
            let wanted = wanted.get_ref();
            for (count, value) in [
                (CensusCount::Threads, &wanted.threads),
                (CensusCount::Processes, &wanted.processes),
                (CensusCount::Children, &wanted.children),
            ] {
                if let Some(value) = value {
                    let text = Spanned::new(value.span(), value.get_ref().to_string());
                    if let Some(expected) = self.template(&text, vars) {
                        census.push(CensusRule { count, expected });
                    }
                }
            }
            if self.flag(
                wanted.reaped.as_ref(),
                "reaped",
                "to require that every process was waited for",
            ) {
                for count in [CensusCount::Unreaped, CensusCount::OutlivedParent] {
                    census.push(CensusRule {
                        count,
                        expected: Template::literal("0"),
                    });
                }
            }
            self.census_extras(wanted, vars, &mut census);
        }
        let expect_child = wire
            .expect_child
            .as_ref()
            .map(|expect| self.expect(expect, vars));
        let repeat = match &wire.repeat {
            None => 1,
            Some(value) => match u32::try_from(*value.get_ref()) {
                Ok(runs) if (1..=1000).contains(&runs) => runs,
                _ => {
                    self.problems.push(
                        Problem::new(
                            Some(value.span()),
                            format!("`repeat = {}` is not a number of runs", value.get_ref()),
                        )
                        .help("use a whole number from 1 to 1000"),
                    );
                    1
                }
            },
        };
        let perturb = match (&wire.perturb, &wire.perturb_max_delay) {
            (Some(on), delay) if *on.get_ref() => {
                Some(self.duration(delay.as_ref(), DEFAULT_PERTURB_DELAY))
            }
            (_, Some(delay)) => {
                self.problems.push(
                    Problem::new(
                        Some(delay.span()),
                        "`perturb-max-delay` without `perturb = true`",
                    )
                    .help("add `perturb = true` to the check, or remove this key"),
                );
                None
            }
            _ => None,
        };
        let start_together = self.start_together(wire, perturb.is_some());
        let separate_cores = self.separate_cores(wire, start_together.is_some());
        let hold_until_waited = self.hold_until_waited(wire);
        Observing {
            census,
            expect_child,
            repeat,
            perturb,
            start_together,
            separate_cores,
            hold_until_waited,
        }
    }

    /// `hold-until-waited`: its order, alone among the keys that decide when new tasks start.
    fn hold_until_waited(&mut self, wire: &CheckWire) -> Option<HoldOrder> {
        let value = wire.hold_until_waited.as_ref()?;
        let order = match value.get_ref().as_str() {
            "newest-first" => HoldOrder::NewestFirst,
            "oldest-first" => HoldOrder::OldestFirst,
            other => {
                self.problems.push(
                    Problem::new(
                        Some(value.span()),
                        format!("`hold-until-waited = \"{other}\"` is not an order"),
                    )
                    .help("write `\"newest-first\"` or `\"oldest-first\"`: which held task runs first"),
                );
                return None;
            }
        };
        let other = [
            (
                "perturb",
                wire.perturb.as_ref().is_some_and(|on| *on.get_ref()),
            ),
            (
                "start-together",
                wire.start_together.as_ref().is_some_and(|on| *on.get_ref()),
            ),
        ]
        .into_iter()
        .find(|(_, on)| *on);
        if let Some((key, _)) = other {
            self.problems.push(
                Problem::new(
                    Some(value.span()),
                    format!("`hold-until-waited` and `{key}` both decide when new tasks start"),
                )
                .help("use one of them per check"),
            );
            return None;
        }
        Some(order)
    }

    /// The census keys that are not counts: `stacks`, `printed-stacks`, `overlap` and `sleeps`.
    fn census_extras(
        &mut self,
        wanted: &super::wire::CensusWire,
        vars: &BTreeSet<String>,
        census: &mut Vec<CensusRule>,
    ) {
        if let Some(bytes) = &wanted.stacks {
            let text = Spanned::new(bytes.span(), bytes.get_ref().to_string());
            if let Some(expected) = self.template(&text, vars) {
                census.push(CensusRule {
                    count: CensusCount::Stacks,
                    expected,
                });
            }
        }
        let flags = [
            (
                CensusCount::PrintedStacks,
                &wanted.printed_stacks,
                "printed-stacks",
                "to check the stack addresses the program prints",
            ),
            (
                CensusCount::Sleeps,
                &wanted.sleeps,
                "sleeps",
                "to require that the program waits by blocking rather than spinning",
            ),
            (
                CensusCount::Overlap,
                &wanted.overlap,
                "overlap",
                "to require that the program's threads ran at the same time",
            ),
        ];
        for (count, value, key, purpose) in flags {
            if self.flag(value.as_ref(), key, purpose) {
                census.push(CensusRule {
                    count,
                    expected: Template::literal("true"),
                });
            }
        }
    }

    /// A key that is `true` or absent: whether it is `true`; `false` asks for nothing, which is
    /// a problem, since a rubric author who writes it surely meant something else. `purpose`
    /// completes the help: `write `key = true` {purpose}, or leave it out`.
    fn flag(&mut self, value: Option<&Spanned<bool>>, key: &str, purpose: &str) -> bool {
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

    /// `start-together`, and the `overlap` of the census that needs it.
    fn start_together(&mut self, wire: &CheckWire, perturbed: bool) -> Option<Duration> {
        let wanted = self.flag(
            wire.start_together.as_ref(),
            "start-together",
            "to start new threads together",
        );
        let start_together = match &wire.start_together {
            Some(_) if !wanted => None,
            Some(on) if perturbed => {
                self.problems.push(
                    Problem::new(
                        Some(on.span()),
                        "`start-together` and `perturb` both decide when new tasks start",
                    )
                    .help("use one of them per check"),
                );
                None
            }
            Some(_) => Some(START_TOGETHER_QUIET),
            None => None,
        };
        let overlap = wire
            .census
            .as_ref()
            .and_then(|census| census.get_ref().overlap.as_ref())
            .filter(|overlap| *overlap.get_ref());
        if let Some(overlap) = overlap
            && wire.start_together.is_none()
        {
            self.problems.push(
                Problem::new(Some(overlap.span()), "`overlap = true` needs `start-together = true`")
                    .help("without it, a correct program whose first thread ends before the next is created fails by chance: add `start-together = true` to the check"),
            );
        }
        start_together
    }

    /// `separate-cores`, which only makes sense for tasks started together.
    fn separate_cores(&mut self, wire: &CheckWire, started_together: bool) -> bool {
        let wanted = self.flag(
            wire.separate_cores.as_ref(),
            "separate-cores",
            "to start the tasks started together on CPUs of their own",
        );
        match &wire.separate_cores {
            Some(on) if wanted && !started_together => {
                self.problems.push(
                    Problem::new(
                        Some(on.span()),
                        "`separate-cores = true` needs `start-together = true`",
                    )
                    .help("it spreads the tasks that `start-together` starts at once: add `start-together = true` to the check"),
                );
                false
            }
            _ => wanted,
        }
    }

    fn fault(&mut self, wire: &Spanned<FaultWire>, vars: &BTreeSet<String>) -> Option<FaultPlan> {
        let fault = wire.get_ref();
        let count = Spanned::new(
            fault.worker_count.span(),
            fault.worker_count.get_ref().to_string(),
        );
        let worker_count = self.template(&count, vars);
        let mut actions = Vec::new();
        for signal in &fault.signals {
            match labgrade_support::signal_number(signal.get_ref()) {
                Some(number) => actions.push(FaultAction::Signal(number)),
                None => self.problems.push(
                    Problem::new(
                        Some(signal.span()),
                        format!("`{}` is not a signal name", signal.get_ref()),
                    )
                    .help("use a name from `kill -l`, such as `SIGSEGV`"),
                ),
            }
        }
        for code in &fault.exit_codes {
            match i32::try_from(*code.get_ref()) {
                Ok(code) if (1..=255).contains(&code) => actions.push(FaultAction::Exit(code)),
                _ => self.problems.push(
                    Problem::new(
                        Some(code.span()),
                        format!("{} is not an exit code a fault can use", code.get_ref()),
                    )
                    .help("use a code from 1 to 255"),
                ),
            }
        }
        if fault.signals.is_empty() && fault.exit_codes.is_empty() {
            self.problems.push(
                Problem::new(Some(wire.span()), "a fault needs `signals` or `exit-codes` to draw from")
                    .help("for example `fault = { worker-count = \"{workers}\", signals = [\"SIGSEGV\", \"SIGABRT\"] }`"),
            );
        }
        Some(FaultPlan {
            worker_count: worker_count?,
            actions,
        })
    }

    /// `syscalls` and `short-reads`.
    fn syscall_keys(&mut self, wire: &CheckWire) -> (Vec<SyscallRule>, bool) {
        let syscalls = wire
            .syscalls
            .as_ref()
            .map(|syscalls| self.syscalls(syscalls))
            .unwrap_or_default();
        let short_reads = wire
            .short_reads
            .as_ref()
            .is_some_and(|short| *short.get_ref());
        let sleeps = wire
            .census
            .as_ref()
            .and_then(|census| census.get_ref().sleeps.as_ref())
            .filter(|sleeps| *sleeps.get_ref());
        if let Some(sleeps) = sleeps
            && (!syscalls.is_empty() || short_reads)
        {
            // A task stopped at an observed call neither runs nor waits for a CPU: a spinning
            // program whose every `read` is stopped would look asleep.
            self.problems.push(
                Problem::new(Some(sleeps.span()), "`sleeps` cannot be judged in a check that observes system calls")
                    .help("the stops at each observed call make a spinning program look asleep: put `census = { sleeps = true }` in a check of its own, without `syscalls` or `short-reads`"),
            );
        }
        (syscalls, short_reads)
    }

    /// `syscalls = { require = [...], forbid = [...] }`: every pattern names a family of
    /// [`SYSCALL_FAMILIES`], optionally with details of it in parentheses, separated by `|`.
    fn syscalls(&mut self, wire: &Spanned<SyscallsWire>) -> Vec<SyscallRule> {
        let syscalls = wire.get_ref();
        if syscalls.require.is_empty()
            && syscalls.forbid.is_empty()
            && syscalls.per_message.is_empty()
        {
            self.problems.push(
                Problem::new(Some(wire.span()), "`syscalls` requires and forbids nothing")
                    .help("add `require = [\"pipe\"]` or `forbid = [\"pipe\"]`, or remove the key"),
            );
        }
        let mut rules = Vec::new();
        for (patterns, required, per_message) in [
            (&syscalls.require, true, false),
            (&syscalls.forbid, false, false),
            (&syscalls.per_message, true, true),
        ] {
            for pattern in patterns {
                // `poll(blocking) or epoll_wait(blocking)`: any of the alternatives.
                let parsed: Result<Vec<SyscallPattern>, _> = pattern
                    .get_ref()
                    .split(" or ")
                    .map(parse_syscall_pattern)
                    .collect();
                match parsed {
                    Ok(patterns) => rules.push(SyscallRule {
                        patterns,
                        required,
                        per_message,
                    }),
                    Err((message, help)) => self
                        .problems
                        .push(Problem::new(Some(pattern.span()), message).help(help)),
                }
            }
        }
        rules
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

    /// The checks `wire` needs; a check that could not be read (`dropped`) is not called
    /// unknown, since its own problem says what is wrong.
    fn needs(&mut self, wire: &CheckWire, known: &[&str], dropped: &[String]) -> Vec<String> {
        let mut needs = Vec::new();
        for need in &wire.needs {
            let name = need.get_ref();
            if name == wire.id.get_ref() {
                self.problem(Some(need.span()), format!("check `{name}` needs itself"));
            } else if known.contains(&name.as_str()) || dropped.contains(name) {
                needs.push(name.clone());
            } else {
                let others: Vec<&str> = known
                    .iter()
                    .copied()
                    .filter(|id| id != wire.id.get_ref())
                    .collect();
                let problem = Problem::new(
                    Some(need.span()),
                    format!(
                        "check `{}` needs `{name}`, which is not a check of this rubric",
                        wire.id.get_ref()
                    ),
                );
                self.problems.push(suggest(problem, name, &others));
            }
        }
        if !needs.iter().any(|need| need == BUILD_ID) {
            needs.insert(0, BUILD_ID.to_owned());
        }
        needs
    }

    fn cases(&mut self, wire: Option<&Spanned<CasesWire>>) -> Vec<Case> {
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

    fn template(&mut self, value: &Spanned<String>, vars: &BTreeSet<String>) -> Option<Template> {
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

    fn expect(&mut self, wire: &Spanned<ExpectWire>, vars: &BTreeSet<String>) -> Expect {
        match (&wire.get_ref().exit, &wire.get_ref().signal) {
            (Some(exit), None) => match exit.get_ref() {
                ScalarWire::Integer(code) if (0..=255).contains(code) => Expect::Exit(*code as i32),
                ScalarWire::Text(text) if text.contains('{') => self
                    .template(&Spanned::new(exit.span(), text.clone()), vars)
                    .map_or(Expect::Exit(0), Expect::ExitOf),
                ScalarWire::Text(text) if text == "nonzero" => Expect::NonZeroExit,
                ScalarWire::Text(text) if text == "any" => Expect::AnyExit,
                other => {
                    self.problems.push(
                        Problem::new(Some(exit.span()), format!("`{other}` is not an exit code"))
                            .help("use a code from 0 to 255, `\"nonzero\"` or `\"any\"`"),
                    );
                    Expect::Exit(0)
                }
            },
            (None, Some(signal)) if signal.get_ref() == "any" => Expect::AnySignal,
            (None, Some(signal)) if signal.get_ref().contains('{') => self
                .template(signal, vars)
                .map_or(Expect::Exit(0), Expect::SignalOf),
            (None, Some(signal)) => {
                let parsed = labgrade_support::signal_number(signal.get_ref())
                    .and_then(|number| Signal::try_from(number).ok());
                if let Some(parsed) = parsed {
                    Expect::Signal(parsed as i32, parsed.as_str().to_owned())
                } else {
                    self.problems.push(
                        Problem::new(
                            Some(signal.span()),
                            format!("`{}` is not a signal name", signal.get_ref()),
                        )
                        .help("use a name from `kill -l`, such as `SIGSEGV`, or `\"any\"`"),
                    );
                    Expect::Exit(0)
                }
            }
            _ => {
                self.problems.push(
                    Problem::new(Some(wire.span()), "`expect` needs exactly one of `exit` and `signal`")
                        .help("for example `expect = { exit = 0 }` or `expect = { signal = \"SIGSEGV\" }`"),
                );
                Expect::Exit(0)
            }
        }
    }

    fn matcher(&mut self, wire: &Spanned<MatcherWire>, vars: &BTreeSet<String>) -> Option<Matcher> {
        let matcher = self.present_matcher(wire, vars)?;
        if !wire.get_ref().absent {
            return Some(matcher);
        }
        if matches!(
            matcher,
            Matcher::Sequences(_) | Matcher::ByteCount { .. } | Matcher::OnlyLines(_)
        ) {
            self.problems.push(
                Problem::new(Some(wire.span()), "`absent = true` cannot negate `sequences`, `byte-count` or `only-lines`")
                    .help("these matchers check the order or the sizes of many lines; write the lines that must not appear as `line` or `regex` matchers"),
            );
            return None;
        }
        Some(Matcher::Absent(Box::new(matcher)))
    }

    /// `sequences` and `byte-count` (with `counted-lines`): the matchers of interleaved output.
    fn order_matcher(
        &mut self,
        wire: &Spanned<MatcherWire>,
        vars: &BTreeSet<String>,
    ) -> Option<Matcher> {
        let matcher = wire.get_ref();
        if let Some(sequences) = &matcher.sequences {
            return match sequences.get_ref() {
                SequencesWire::Oracle(name) => {
                    let found = Oracle::ALL
                        .iter()
                        .find(|(known, oracle)| known == name && oracle.gives_sequences());
                    if let Some((_, oracle)) = found {
                        Some(Matcher::Sequences(Sequences::Oracle(*oracle)))
                    } else {
                        let names: Vec<&str> = Oracle::ALL
                            .iter()
                            .filter(|(_, oracle)| oracle.gives_sequences())
                            .map(|(known, _)| *known)
                            .collect();
                        let problem = Problem::new(
                            Some(sequences.span()),
                            format!("`{name}` is not an oracle of sequences of lines"),
                        )
                        .help(format!("oracles of sequences: {}; or write the lines, `sequences = [[\"start 0\", \"end 0\"], [\"start 1\", \"end 1\"]]`", names.join(", ")));
                        self.problems.push(problem);
                        None
                    }
                }
                SequencesWire::Written(written) => {
                    let mut seen = BTreeSet::new();
                    let mut parsed = Vec::with_capacity(written.len());
                    for sequence in written {
                        let mut lines = Vec::with_capacity(sequence.len());
                        for line in sequence {
                            if !seen.insert(line.trim_end().to_owned()) {
                                self.problems.push(
                                    Problem::new(Some(sequences.span()), format!("the line `{line}` is in the sequences twice"))
                                        .help("every line belongs to one place of one sequence: make the lines distinct"),
                                );
                            }
                            lines.push(
                                self.template(&Spanned::new(sequences.span(), line.clone()), vars)?,
                            );
                        }
                        parsed.push(lines);
                    }
                    if seen.is_empty() {
                        self.problem(Some(sequences.span()), "`sequences` holds no line");
                        return None;
                    }
                    Some(Matcher::Sequences(Sequences::Written(parsed)))
                }
            };
        }
        let (count, counted) = match (&matcher.byte_count, &matcher.counted_lines) {
            (Some(count), Some(counted)) => (count, counted),
            (Some(only), None) | (None, Some(only)) => {
                self.problems.push(
                    Problem::new(Some(only.span()), "`byte-count` and `counted-lines` go together")
                        .help("write both: `{ byte-count = '^(?<source>\\d+): (?<bytes>\\d+) bytes$', counted-lines = '^(?<source>\\d+) says ' }`"),
                );
                return None;
            }
            (None, None) => return None,
        };
        let count = self.regex_with_groups(count, &["source", "bytes"]);
        let counted = self.regex_with_groups(counted, &["source"]);
        Some(Matcher::ByteCount {
            count: count?,
            counted: counted?,
        })
    }

    /// A regex of a matcher that must define the named `groups`.
    fn regex_with_groups(&mut self, text: &Spanned<String>, groups: &[&str]) -> Option<Regex> {
        let compiled = self.regex(text)?;
        let names: BTreeSet<&str> = compiled.capture_names().flatten().collect();
        let missing: Vec<String> = groups
            .iter()
            .filter(|group| !names.contains(**group))
            .map(|group| format!("`(?<{group}>…)`"))
            .collect();
        if missing.is_empty() {
            Some(compiled)
        } else {
            self.problems.push(
                Problem::new(Some(text.span()), format!("this regex needs the named group(s) {}", missing.join(" and ")))
                    .help("`source` tells whose lines they are (a producer's number), `bytes` the size announced"),
            );
            None
        }
    }

    /// Compiles a matcher's regex, `^` and `$` matching at line ends.
    fn regex(&mut self, text: &Spanned<String>) -> Option<Regex> {
        match RegexBuilder::new(text.get_ref()).multi_line(true).build() {
            Ok(compiled) => Some(compiled),
            Err(error) => {
                let detail = error.to_string();
                let last = detail.lines().last().unwrap_or("").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_owned();
                self.problems.push(
                    Problem::new(Some(text.span()), format!("invalid regex: {last}"))
                        .help("the syntax is that of the `regex` crate; escape literal characters with `\\`"),
                );
                None
            }
        }
    }

    fn present_matcher(
        &mut self,
        wire: &Spanned<MatcherWire>,
        vars: &BTreeSet<String>,
    ) -> Option<Matcher> {
        let matcher = wire.get_ref();
        let kinds = [
            matcher.regex.is_some(),
            matcher.contains.is_some(),
            matcher.line.is_some(),
            matcher.line_with.is_some(),
            matcher.sequences.is_some(),
            matcher.byte_count.is_some() || matcher.counted_lines.is_some(),
            matcher.only_lines.is_some(),
        ];
        if kinds.iter().filter(|set| **set).count() > 1 {
            self.problems.push(
                Problem::new(Some(wire.span()), MATCHER_KINDS)
                    .help("split it into one matcher per key"),
            );
            return None;
        }
        // `sequences`, or `byte-count` with `counted-lines`.
        if kinds[4] || kinds[5] {
            return self.order_matcher(wire, vars);
        }
        if let Some(terms) = &matcher.line_with {
            if terms.get_ref().is_empty() {
                self.problem(Some(terms.span()), "`line-with` needs at least one word");
                return None;
            }
            let mut parsed = Vec::new();
            for term in terms.get_ref() {
                let alternatives: Option<Vec<Template>> = term
                    .get_ref()
                    .split('|')
                    .map(|word| {
                        self.template(&Spanned::new(term.span(), word.trim().to_owned()), vars)
                    })
                    .collect();
                parsed.push(alternatives?);
            }
            return Some(Matcher::LineWith(parsed));
        }
        if let Some(lines) = &matcher.only_lines {
            if lines.get_ref().is_empty() {
                self.problem(Some(lines.span()), "`only-lines` needs at least one regex");
                return None;
            }
            let regexes: Vec<Option<Regex>> = lines
                .get_ref()
                .iter()
                .map(|line| self.regex(line))
                .collect();
            return regexes
                .into_iter()
                .collect::<Option<_>>()
                .map(Matcher::OnlyLines);
        }
        match (&matcher.regex, &matcher.contains, &matcher.line) {
            (Some(regex), None, None) => self.regex(regex).map(Matcher::Regex),
            (None, Some(text), None) => self.template(text, vars).map(Matcher::Contains),
            (None, None, Some(text)) => self.template(text, vars).map(Matcher::Line),
            _ => {
                self.problems.push(
                    Problem::new(Some(wire.span()), MATCHER_KINDS)
                        .help("for example `{ regex = '^Array sum is: (?<sum>\\d+)$' }`"),
                );
                None
            }
        }
    }

    fn compare(
        &mut self,
        wire: &Spanned<CompareWire>,
        captures: &BTreeSet<&str>,
        vars: &BTreeSet<String>,
    ) -> Option<Compare> {
        let compare = wire.get_ref();
        let source = match (&compare.capture, &compare.numbers) {
            (Some(capture), None) => {
                let name = capture.get_ref();
                if !captures.contains(name.as_str()) {
                    let problem = Problem::new(
                        Some(capture.span()),
                        format!("capture `{name}` is not a named group of any regex of this check"),
                    )
                    .help("name a group in a `stdout` or `stderr` regex, such as `(?<sum>\\d+)`");
                    let names: Vec<&str> = captures.iter().copied().collect();
                    self.problems.push(suggest(problem, name, &names));
                }
                Some(Source::Capture(name.clone()))
            }
            (None, Some(stream)) => match stream.get_ref().as_str() {
                "stdout" => Some(Source::Numbers(Stream::Stdout)),
                "stderr" => Some(Source::Numbers(Stream::Stderr)),
                other => {
                    self.problems.push(
                        Problem::new(Some(stream.span()), format!("unknown stream `{other}`"))
                            .help("use `stdout` or `stderr`"),
                    );
                    None
                }
            },
            _ => {
                self.problems.push(
                    Problem::new(
                        Some(wire.span()),
                        "a comparison needs exactly one of `capture` and `numbers`",
                    )
                    .help("for example `{ capture = \"sum\", oracle = \"array-sum\" }`"),
                );
                None
            }
        };
        let expected = match (&compare.oracle, &compare.equals, &compare.signal) {
            (Some(oracle), None, None) => {
                let found = Oracle::ALL
                    .iter()
                    .find(|(name, _)| name == oracle.get_ref());
                if let Some((name, oracle)) = found {
                    if oracle.gives_sequences() {
                        self.problems.push(
                            Problem::new(compare.oracle.as_ref().map(Spanned::span), format!("oracle `{name}` gives sequences of lines, not a value to compare"))
                                .help(format!("use it in a matcher: `stdout = [{{ sequences = \"{name}\" }}]`")),
                        );
                        return None;
                    }
                    Some(Expected::Oracle(*oracle))
                } else {
                    let names: Vec<&str> = Oracle::ALL
                        .iter()
                        .filter(|(_, oracle)| !oracle.gives_sequences())
                        .map(|(name, _)| *name)
                        .collect();
                    let problem = Problem::new(
                        Some(oracle.span()),
                        format!("unknown oracle `{}`", oracle.get_ref()),
                    )
                    .help(format!("oracles: {}", names.join(", ")));
                    self.problems
                        .push(suggest(problem, oracle.get_ref(), &names));
                    None
                }
            }
            (None, Some(equals), None) => {
                let text = Spanned::new(equals.span(), equals.get_ref().to_string());
                self.template(&text, vars).map(Expected::Value)
            }
            (None, None, Some(signal)) => self.template(signal, vars).map(Expected::Signal),
            _ => {
                self.problems.push(
                    Problem::new(
                        Some(wire.span()),
                        "a comparison needs exactly one of `oracle`, `equals` and `signal`",
                    )
                    .help("for example `{ capture = \"sum\", oracle = \"array-sum\" }`"),
                );
                None
            }
        };
        Some(Compare {
            source: source?,
            expected: expected?,
        })
    }

    /// Whether `id` is a valid id of a `what` (check or ratio); a problem if not.
    fn valid_id(&mut self, id: &Spanned<String>, what: &str) -> bool {
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

    /// The `[[ratio]]` tables, each checked against the rubric's checks (`check_ids`, and
    /// `checks` when they are valid), whose [`Check::figures`] then list what to record.
    fn ratios(
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
                && !regex_captures(&check.stdout, &check.stderr).contains(capture.as_str())
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
            if !check.figures.contains(figure) {
                check.figures.push(figure.clone());
            }
        }
    }

    /// Orders checks so that each comes after what it needs, keeping the written order otherwise;
    /// a cycle is a problem.
    fn order(
        &mut self,
        checks: Vec<Check>,
        spans: &BTreeMap<String, Range<usize>>,
    ) -> Option<Vec<Check>> {
        let mut remaining = checks;
        let mut done: BTreeSet<String> = BTreeSet::from([BUILD_ID.to_owned()]);
        let mut ordered = Vec::with_capacity(remaining.len());
        while !remaining.is_empty() {
            let ready = remaining
                .iter()
                .position(|check| check.needs.iter().all(|need| done.contains(need)));
            let Some(index) = ready else {
                for check in remaining.iter().filter(|check| in_cycle(check, &remaining)) {
                    self.problems.push(
                        Problem::new(
                            spans.get(&check.id).cloned(),
                            format!("check `{}` is part of a cycle of `needs`", check.id),
                        )
                        .help("a check cannot need, directly or not, a check that needs it"),
                    );
                }
                return None;
            };
            let check = remaining.remove(index);
            done.insert(check.id.clone());
            ordered.push(check);
        }
        Some(ordered)
    }
}

/// The named groups of a check's regexes, on stdout and stderr: its captures.
fn regex_captures<'a>(stdout: &'a [Matcher], stderr: &'a [Matcher]) -> BTreeSet<&'a str> {
    stdout
        .iter()
        .chain(stderr)
        .flat_map(|matcher| match matcher {
            Matcher::Regex(regex) => vec![regex],
            Matcher::OnlyLines(regexes) => regexes.iter().collect(),
            _ => Vec::new(),
        })
        .flat_map(|regex| regex.capture_names().flatten())
        .collect()
}

/// Whether `check` needs itself through other checks of `remaining`.
fn in_cycle(check: &Check, remaining: &[Check]) -> bool {
    let mut seen = BTreeSet::new();
    let mut pending: Vec<&str> = check.needs.iter().map(String::as_str).collect();
    while let Some(id) = pending.pop() {
        if id == check.id {
            return true;
        }
        if seen.insert(id)
            && let Some(needed) = remaining.iter().find(|other| other.id == id)
        {
            pending.extend(needed.needs.iter().map(String::as_str));
        }
    }
    false
}

/// The `id` a `[[check]]` table was written with, read before the table is deserialized, so
/// that it is known even when the table cannot be.
fn written_id(value: &Spanned<DeValue<'_>>) -> Option<String> {
    let DeValue::Table(table) = value.get_ref() else {
        return None;
    };
    table
        .iter()
        .find(|(key, _)| key.get_ref() == "id")
        .and_then(|(_, id)| id.get_ref().as_str())
        .map(str::to_owned)
}

/// Adds "did you mean" help when `name` is close to one of `candidates`.
fn suggest(problem: Problem, name: &str, candidates: &[&str]) -> Problem {
    match strsim_closest(name, candidates) {
        Some(candidate) => problem.help(format!("did you mean `{candidate}`?")),
        None if problem.help.is_none() && !candidates.is_empty() => {
            problem.help(format!("expected one of: {}", candidates.join(", ")))
        }
        None => problem,
    }
}

/// `a/b/../c` as `a/c`, without touching the file system, so messages show tidy paths.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir
                if matches!(normal.components().next_back(), Some(Component::Normal(_))) =>
            {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}

/// Parses `family` or `family(DETAIL|DETAIL)`; an error is a message and a help line.
fn parse_syscall_pattern(text: &str) -> Result<SyscallPattern, (String, String)> {
    let text = text.trim();
    let (family, details) = match text.split_once('(') {
        Some((family, rest)) => {
            let Some(inner) = rest.strip_suffix(')') else {
                return Err((
                    format!("`{text}` has no closing parenthesis"),
                    "write `family(DETAIL|DETAIL)`, such as `socketpair(SOCK_SEQPACKET|SOCK_DGRAM)`"
                        .to_owned(),
                ));
            };
            let details: Vec<String> = inner.split('|').map(|d| d.trim().to_owned()).collect();
            (family.trim(), details)
        }
        None => (text, Vec::new()),
    };
    let names: Vec<&str> = SYSCALL_FAMILIES.iter().map(|(name, _)| *name).collect();
    let Some((_, known)) = SYSCALL_FAMILIES.iter().find(|(name, _)| *name == family) else {
        let help = match strsim_closest(family, &names) {
            Some(close) => format!(
                "did you mean `{close}`? labgrade observes {}",
                names.join(", ")
            ),
            None => format!("labgrade observes {}", names.join(", ")),
        };
        return Err((
            format!("`{family}` is not a system call labgrade observes"),
            help,
        ));
    };
    for detail in &details {
        if !known.contains(&detail.as_str()) {
            let help = if known.is_empty() {
                format!("`{family}` takes no detail: write `{family}`")
            } else {
                format!("`{family}` takes {}", known.join(", "))
            };
            return Err((format!("`{detail}` is not a detail of `{family}`"), help));
        }
    }
    Ok(SyscallPattern {
        family: family.to_owned(),
        details,
    })
}

/// The name of `names` closest to `text`, if one is close enough to be a typo.
fn strsim_closest<'a>(text: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|name| (strsim::jaro_winkler(text, name), *name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::time::Duration;

    use super::*;

    /// Lines 1 to 4 of most test rubrics.
    const EXERCISE: &str =
        "[exercise]\nname = \"t\"\npackage = \"pkg\"\nfiles = [\"src/main.rs\"]\n";

    /// Where a problem is, what it says and its help.
    type Found = ((usize, usize), String, Option<String>);

    fn parse_ok(text: &str) -> Rubric {
        match parse(Path::new("t.toml"), text) {
            Ok(rubric) => rubric,
            Err(error) => panic!("the rubric was refused: {error}"),
        }
    }

    /// Every problem of `text`, in file order.
    fn problems(text: &str) -> Vec<Found> {
        match parse(Path::new("t.toml"), text) {
            Ok(_) => panic!("the rubric was accepted:\n{text}"),
            Err(RubricError::Invalid {
                problems,
                text,
                path,
            }) => {
                assert_eq!(path, Path::new("t.toml"));
                problems
                    .iter()
                    .map(|problem| {
                        let at = problem
                            .line_column(&text)
                            .expect("every problem has a position");
                        (at, problem.message.clone(), problem.help.clone())
                    })
                    .collect()
            }
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    /// The only problem of `text`.
    #[track_caller]
    fn problem(text: &str) -> Found {
        let mut found = problems(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.remove(0)
    }

    /// [`EXERCISE`] and one check `a` whose table ends with `keys`, from line 10 on.
    fn with_check(keys: &str) -> String {
        format!(
            "{EXERCISE}[[check]]\nid = \"a\"\ntitle = \"A\"\npoints = 10\nrun = \"prog\"\n{keys}"
        )
    }

    fn found(line: usize, column: usize, message: &str, help: Option<&str>) -> Found {
        ((line, column), message.to_owned(), help.map(str::to_owned))
    }

    fn ids(rubric: &Rubric) -> Vec<&str> {
        rubric
            .checks
            .iter()
            .map(|check| check.id.as_str())
            .collect()
    }

    fn case_names(check: &Check) -> Vec<&str> {
        check.cases.iter().map(|case| case.name.as_str()).collect()
    }

    /// The sum-array rubric of the course, which must be valid.
    fn sum_array_rubric() -> Rubric {
        let text = include_str!("../../../rubrics/sum-array.toml");
        match parse(Path::new("rubrics/sum-array.toml"), text) {
            Ok(rubric) => rubric,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn sum_array_rubric_is_valid() {
        let rubric = sum_array_rubric();
        assert_eq!(rubric.exercise.name, "sum-array");
        assert_eq!(rubric.exercise.package, Path::new("exercises/sum-array"));
        assert_eq!(
            rubric.exercise.files,
            [
                Path::new("src/bin/sum_array_threads.rs"),
                Path::new("src/bin/sum_array_processes.rs")
            ]
        );
        assert_eq!(rubric.build.profile, Profile::Release);
        assert_eq!(rubric.build.timeout, Duration::from_secs(300));
        assert_eq!(rubric.build.points, 0);
        assert_eq!(
            rubric.env,
            BTreeMap::from([
                ("LABGRADE_ARRAY_LEN".to_owned(), "4000000".to_owned()),
                ("LABGRADE_ARRAY_MAX".to_owned(), "1000000".to_owned())
            ])
        );
        assert_eq!(
            ids(&rubric),
            [
                "threads-sum",
                "threads-census",
                "threads-together",
                "threads-timing",
                "threads-usage",
                "processes-sum",
                "processes-census",
                "processes-reaped",
                "processes-timing",
                "processes-usage"
            ]
        );
        assert!((rubric.max_score() - 100.0).abs() < 1e-9);
        let census = &rubric.checks[1];
        assert!(census.traced());
        assert_eq!(census.census.len(), 2);
        assert_eq!(census.census[0].count, CensusCount::Threads);
        assert_eq!(census.census[0].expected.source(), "{workers}");
        let reaped = &rubric.checks[7];
        assert_eq!(reaped.needs, ["build", "processes-census"]);
        assert_eq!(
            reaped
                .census
                .iter()
                .map(|rule| rule.count)
                .collect::<Vec<_>>(),
            [CensusCount::Unreaped, CensusCount::OutlivedParent]
        );

        let sum = &rubric.checks[0];
        assert_eq!(
            case_names(sum),
            [
                "workers=1",
                "workers=2",
                "workers=3",
                "workers=4",
                "workers=7",
                "workers=8"
            ]
        );
        assert_eq!(
            sum.cases[4].vars,
            BTreeMap::from([("workers".to_owned(), "7".to_owned())])
        );
        assert_eq!(sum.points, 30);
        assert_eq!(sum.program, "sum_array_threads");
        assert_eq!(sum.args.len(), 1);
        assert_eq!(sum.args[0].render(&sum.cases[4].vars), "7");
        assert_eq!(sum.scoring, Scoring::PerCase);
        assert_eq!(sum.timeout, Duration::from_secs(5));
        assert_eq!(sum.output_bytes, 65536);
        assert_eq!(sum.needs, ["build"]);
        assert_eq!(sum.expect, Expect::Exit(0));
        // The sum line, and no second one.
        assert_eq!(sum.stdout.len(), 2);
        assert!(matches!(sum.stdout[1], Matcher::Absent(_)));
        assert_eq!(sum.compares.len(), 1);
        assert_eq!(sum.compares[0].source, Source::Capture("sum".to_owned()));
        assert!(matches!(
            sum.compares[0].expected,
            Expected::Oracle(Oracle::ArraySum)
        ));

        let timing = &rubric.checks[3];
        assert_eq!(timing.needs, ["build", "threads-sum"]);
        assert_eq!(
            case_names(timing),
            ["workers=1", "workers=2", "workers=4", "workers=8"]
        );
        assert!(timing.parallelism);
        assert_eq!(timing.parallelism_time.as_deref(), Some("ms"));
    }

    #[test]
    fn sum_array_rubric_refuses_bad_worker_counts() {
        let rubric = sum_array_rubric();
        let usage = &rubric.checks[4];
        assert_eq!(usage.expect, Expect::NonZeroExit);
        assert_eq!(case_names(usage), ["arg=", "arg=many", "arg=0"]);
        assert_eq!(usage.stderr.len(), 1);
        assert_eq!(rubric.checks[5].cases.len(), 6);
        assert_eq!(rubric.checks[8].needs, ["build", "processes-sum"]);
    }

    #[test]
    fn defaults_apply_without_build_and_limits() {
        let rubric = parse_ok(&with_check(""));
        assert_eq!(rubric.exercise.package, Path::new("pkg"));
        assert_eq!(rubric.build.profile, Profile::Release);
        assert_eq!(rubric.build.timeout, DEFAULT_BUILD_TIMEOUT);
        let check = &rubric.checks[0];
        assert_eq!(check.timeout, DEFAULT_CASE_TIMEOUT);
        assert_eq!(check.output_bytes, DEFAULT_OUTPUT_BYTES);
        assert_eq!(check.expect, Expect::Exit(0));
        assert_eq!(case_names(check), ["default"]);
        assert!(check.cases[0].vars.is_empty());
    }

    #[test]
    fn cases_over_two_variables_are_every_combination() {
        let rubric = parse_ok(&with_check(
            "args = [\"{a}\", \"{b}\"]\ncases = { b = [\"x\", \"y\"], a = [1, 2] }\n",
        ));
        let check = &rubric.checks[0];
        assert_eq!(
            case_names(check),
            ["a=1,b=x", "a=1,b=y", "a=2,b=x", "a=2,b=y"]
        );
        let vars = BTreeMap::from([
            ("a".to_owned(), "2".to_owned()),
            ("b".to_owned(), "x".to_owned()),
        ]);
        assert_eq!(check.cases[2].vars, vars);
        let args: Vec<String> = check.args.iter().map(|arg| arg.render(&vars)).collect();
        assert_eq!(args, ["2", "x"]);

        let rubric = parse_ok(&with_check(
            "cases = { n = [1, 2, 3], mode = [\"a\", \"b\"], one = [0] }\n",
        ));
        assert_eq!(rubric.checks[0].cases.len(), 6);
        assert_eq!(rubric.checks[0].cases[0].name, "mode=a,n=1,one=0");
    }

    #[test]
    fn checks_come_after_what_they_need() {
        let text = format!(
            "{EXERCISE}
[[check]]
id = \"c\"
title = \"C\"
points = 1
run = \"prog\"
needs = [\"b\"]

[[check]]
id = \"b\"
title = \"B\"
points = 1
run = \"prog\"
needs = [\"a\", \"build\"]

[[check]]
id = \"a\"
title = \"A\"
points = 1
run = \"prog\"

[[check]]
id = \"d\"
title = \"D\"
points = 1
run = \"prog\"
"
        );
        let rubric = parse_ok(&text);
        assert_eq!(ids(&rubric), ["a", "b", "c", "d"]);
        assert_eq!(rubric.checks[1].needs, ["a", "build"]);
        assert_eq!(rubric.checks[2].needs, ["build", "b"]);
    }

    #[test]
    fn a_cycle_of_needs_is_reported() {
        let text = format!(
            "{EXERCISE}[[check]]
id = \"a\"
title = \"A\"
points = 10
run = \"prog\"
needs = [\"b\"]

[[check]]
id = \"b\"
title = \"B\"
points = 10
run = \"prog\"
needs = [\"a\"]

[[check]]
id = \"c\"
title = \"C\"
points = 10
run = \"prog\"
needs = [\"a\"]
"
        );
        // `c` waits on the cycle but is not part of it, so it is not blamed.
        let help = Some("a check cannot need, directly or not, a check that needs it");
        assert_eq!(
            problems(&text),
            [
                found(6, 6, "check `a` is part of a cycle of `needs`", help),
                found(13, 6, "check `b` is part of a cycle of `needs`", help),
            ]
        );
    }

    #[test]
    fn needs_name_other_checks_of_the_rubric() {
        assert_eq!(
            problem(&with_check("needs = [\"a\"]\n")),
            found(10, 10, "check `a` needs itself", None)
        );
        let text = format!(
            "{}\n[[check]]\nid = \"timing\"\ntitle = \"T\"\npoints = 5\nrun = \"prog\"\nneeds = [\"sums\"]\n",
            with_check("").replace("id = \"a\"", "id = \"sum\"")
        );
        assert_eq!(
            problem(&text),
            found(
                16,
                10,
                "check `timing` needs `sums`, which is not a check of this rubric",
                Some("did you mean `sum`?")
            )
        );
    }

    #[test]
    fn unknown_placeholder_names_the_case_variables() {
        let text =
            with_check("args = [\"{nope}\"]\ncases = { workers = [1, 2], mode = [\"x\"] }\n");
        assert_eq!(
            problem(&text),
            found(
                10,
                9,
                "unknown placeholder `{nope}`",
                Some("case variables: `mode`, `workers`")
            )
        );
        assert_eq!(
            problem(&with_check("stdout = [{ contains = \"n={workers}\" }]\n")),
            found(
                10,
                24,
                "unknown placeholder `{workers}`",
                Some("this check has no case variables; define them in `cases`")
            )
        );
        assert_eq!(
            problem(&with_check("env = { N = \"{n}\" }\ncases = { m = [1] }\n")),
            found(
                10,
                13,
                "unknown placeholder `{n}`",
                Some("case variables: `m`")
            )
        );
    }

    #[test]
    fn expect_needs_exactly_one_of_exit_and_signal() {
        let help =
            Some("for example `expect = { exit = 0 }` or `expect = { signal = \"SIGSEGV\" }`");
        assert_eq!(
            problem(&with_check("expect = { exit = 0, signal = \"SIGSEGV\" }\n")),
            found(
                10,
                10,
                "`expect` needs exactly one of `exit` and `signal`",
                help
            )
        );
        assert_eq!(
            problem(&with_check("expect = {}\n")),
            found(
                10,
                10,
                "`expect` needs exactly one of `exit` and `signal`",
                help
            )
        );
    }

    #[test]
    fn expect_accepts_exit_codes_and_signal_names() {
        let expect_of = |value: &str| {
            parse_ok(&with_check(&format!("expect = {value}\n"))).checks[0]
                .expect
                .clone()
        };
        let segv = Expect::Signal(11, "SIGSEGV".to_owned());
        assert_eq!(expect_of("{ signal = \"segv\" }"), segv);
        assert_eq!(expect_of("{ signal = \"SIGSEGV\" }"), segv);
        assert_eq!(expect_of("{ signal = \"SegV\" }"), segv);
        assert_eq!(
            expect_of("{ signal = \"sigkill\" }"),
            Expect::Signal(9, "SIGKILL".to_owned())
        );
        assert_eq!(expect_of("{ exit = 3 }"), Expect::Exit(3));
        assert_eq!(expect_of("{ exit = 255 }"), Expect::Exit(255));
        assert_eq!(expect_of("{ exit = \"nonzero\" }"), Expect::NonZeroExit);
        assert_eq!(expect_of("{ exit = \"any\" }"), Expect::AnyExit);
        assert_eq!(expect_of("{ signal = \"any\" }"), Expect::AnySignal);
    }

    #[test]
    fn bad_exit_codes_and_signal_names_are_reported() {
        let exit_help = Some("use a code from 0 to 255, `\"nonzero\"` or `\"any\"`");
        assert_eq!(
            problem(&with_check("expect = { exit = 256 }\n")),
            found(10, 19, "`256` is not an exit code", exit_help)
        );
        assert_eq!(
            problem(&with_check("expect = { exit = -1 }\n")),
            found(10, 19, "`-1` is not an exit code", exit_help)
        );
        assert_eq!(
            problem(&with_check("expect = { exit = \"zero\" }\n")),
            found(10, 19, "`zero` is not an exit code", exit_help)
        );
        assert_eq!(
            problem(&with_check("expect = { signal = \"SIGNOPE\" }\n")),
            found(
                10,
                21,
                "`SIGNOPE` is not a signal name",
                Some("use a name from `kill -l`, such as `SIGSEGV`, or `\"any\"`")
            )
        );
    }

    #[test]
    fn sleeps_is_never_judged_with_observed_system_calls() {
        let found = problem(&with_check(
            "census = { sleeps = true }\nsyscalls = { require = [\"pipe\"] }\n",
        ));
        assert_eq!(
            (found.0, found.1.as_str()),
            (
                (10, 21),
                "`sleeps` cannot be judged in a check that observes system calls"
            )
        );
        let rubric = parse_ok(&with_check("census = { sleeps = true }\n"));
        assert!(rubric.checks[0].traced());
    }

    #[test]
    fn a_matcher_needs_exactly_one_key() {
        let message = MATCHER_KINDS;
        let split = Some("split it into one matcher per key");
        assert_eq!(
            problem(&with_check(
                "stdout = [{ regex = 'a', contains = \"b\" }]\n"
            )),
            found(10, 11, message, split)
        );
        assert_eq!(
            problem(&with_check(
                "stderr = [{ line = \"a\" }, { contains = \"b\", line = \"c\" }]\n"
            )),
            found(10, 27, message, split)
        );
        assert_eq!(
            problem(&with_check("stdout = [{}]\n")),
            found(
                10,
                11,
                message,
                Some("for example `{ regex = '^Array sum is: (?<sum>\\d+)$' }`")
            )
        );
    }

    #[test]
    fn only_lines_gives_captures_and_cannot_be_negated() {
        let rubric = parse_ok(&with_check(
            "stdout = [{ only-lines = ['^sum: (?<sum>\\d+)$', '^done$'] }]\ncompare = [{ capture = \"sum\", equals = 3 }]\n",
        ));
        assert!(
            matches!(&rubric.checks[0].stdout[0], Matcher::OnlyLines(regexes) if regexes.len() == 2)
        );
        let ((line, column), message, _) = problem(&with_check(
            "stdout = [{ only-lines = ['^a$'], absent = true }]\n",
        ));
        assert_eq!((line, column), (10, 11));
        assert_eq!(
            message,
            "`absent = true` cannot negate `sequences`, `byte-count` or `only-lines`"
        );
        let ((_, column), message, _) = problem(&with_check("stdout = [{ only-lines = [] }]\n"));
        assert_eq!(
            (column, message.as_str()),
            (26, "`only-lines` needs at least one regex")
        );
    }

    #[test]
    fn a_bad_regex_is_reported_at_the_regex() {
        let ((line, column), message, _) =
            problem(&with_check("stdout = [{ regex = '(?<sum>\\d+' }]\n"));
        assert_eq!((line, column), (10, 21));
        assert_eq!(message, "invalid regex: unclosed group");
    }

    #[test]
    fn a_compare_needs_a_defined_capture() {
        let regex = "stdout = [{ regex = '^sum: (?<sum>\\d+)$' }]\n";
        assert_eq!(
            problem(&with_check(&format!(
                "{regex}compare = [{{ capture = \"summ\", equals = 1 }}]\n"
            ))),
            found(
                11,
                24,
                "capture `summ` is not a named group of any regex of this check",
                Some("did you mean `sum`?")
            )
        );
        assert_eq!(
            problem(&with_check(&format!(
                "{regex}compare = [{{ capture = \"total\", equals = 1 }}]\n"
            ))),
            found(
                11,
                24,
                "capture `total` is not a named group of any regex of this check",
                Some("name a group in a `stdout` or `stderr` regex, such as `(?<sum>\\d+)`")
            )
        );
        // A capture of a stderr regex is as good as one of stdout.
        let rubric = parse_ok(&with_check(
            "stderr = [{ regex = 'code (?<code>\\d+)' }]\ncompare = [{ capture = \"code\", equals = 3 }]\n",
        ));
        assert_eq!(
            rubric.checks[0].compares[0].source,
            Source::Capture("code".to_owned())
        );
    }

    #[test]
    fn a_compare_needs_a_known_oracle_or_a_value() {
        let regex = "stdout = [{ regex = '^sum: (?<sum>\\d+)$' }]\n";
        assert_eq!(
            problem(&with_check(&format!(
                "{regex}compare = [{{ capture = \"sum\", oracle = \"array-summ\" }}]\n"
            ))),
            found(
                11,
                40,
                "unknown oracle `array-summ`",
                Some("did you mean `array-sum`?")
            )
        );
        assert_eq!(
            problem(&with_check(&format!(
                "{regex}compare = [{{ capture = \"sum\", oracle = \"median\" }}]\n"
            ))),
            found(
                11,
                40,
                "unknown oracle `median`",
                Some(
                    "oracles: array-sum, negated-array, message, array-sum-without-fault, corrupted-sum, ipc-messages, handover-payload"
                )
            )
        );
        assert_eq!(
            problem(&with_check(&format!(
                "{regex}compare = [{{ capture = \"sum\", oracle = \"array-sum\", equals = 1 }}]\n"
            ))),
            found(
                11,
                12,
                "a comparison needs exactly one of `oracle`, `equals` and `signal`",
                Some("for example `{ capture = \"sum\", oracle = \"array-sum\" }`")
            )
        );
    }

    #[test]
    fn check_ids_are_unique_valid_and_not_build() {
        let two = format!(
            "{}\n{}",
            with_check(""),
            with_check("").replace(EXERCISE, "")
        );
        assert_eq!(
            problem(&two),
            found(12, 6, "check id `a` is used twice", None)
        );
        assert_eq!(
            problem(&with_check("").replace("id = \"a\"", "id = \"build\"")),
            found(
                6,
                6,
                "`build` is reserved for the build; pick another id",
                None
            )
        );
        assert_eq!(
            problem(&with_check("").replace("id = \"a\"", "id = \"Sum Check\"")),
            found(
                6,
                6,
                "`Sum Check` is not a valid check id",
                Some("use lowercase letters, digits, `-` and `_`")
            )
        );
    }

    #[test]
    fn files_must_be_inside_the_package() {
        let text = with_check("").replace(
            "files = [\"src/main.rs\"]",
            "files = [\"src/ok.rs\", \"../up.rs\", \"/etc/passwd\", \"src/../x.rs\", \"\", \"src/ok.rs\"]",
        );
        let help = Some("write a relative path without `..`, such as `src/main.rs`");
        assert_eq!(
            problems(&text),
            [
                found(4, 23, "`../up.rs` is not a path inside the package", help),
                found(
                    4,
                    35,
                    "`/etc/passwd` is not a path inside the package",
                    help
                ),
                found(
                    4,
                    50,
                    "`src/../x.rs` is not a path inside the package",
                    help
                ),
                found(4, 65, "`` is not a path inside the package", help),
                found(4, 69, "`src/ok.rs` is listed twice", None),
            ]
        );
        let text = with_check("").replace("files = [\"src/main.rs\"]", "files = []");
        assert_eq!(
            problem(&text),
            found(
                4,
                9,
                "`files` is empty",
                Some("list the files a submission provides, relative to the package")
            )
        );
    }

    #[test]
    fn points_must_be_positive() {
        let help = Some("use a whole number above 0");
        assert_eq!(
            problem(&with_check("").replace("points = 10", "points = 0")),
            found(8, 10, "0 is not a valid number of points", help)
        );
        assert_eq!(
            problem(&with_check("").replace("points = 10", "points = -5")),
            found(8, 10, "-5 is not a valid number of points", help)
        );
        // The build may be worth nothing, but not less.
        assert_eq!(
            parse_ok(&format!(
                "{EXERCISE}[build]\npoints = 0\n{}",
                with_check("").replace(EXERCISE, "")
            ))
            .build
            .points,
            0
        );
        assert_eq!(
            problem(&format!(
                "{EXERCISE}[build]\npoints = -1\n{}",
                with_check("").replace(EXERCISE, "")
            )),
            found(
                6,
                10,
                "-1 is not a valid number of points",
                Some("use a whole number of 0 or more")
            )
        );
    }

    #[test]
    fn durations_must_parse_and_be_positive() {
        let help = Some("write a duration such as `10s`, `500ms` or `2m`");
        assert_eq!(
            problem(&with_check("timeout = \"10\"\n")),
            found(
                10,
                11,
                "`10` is not a duration: time unit needed, for example 10sec or 10ms",
                help
            )
        );
        let limits = format!(
            "{EXERCISE}[limits]\ntimeout = \"0s\"\n{}",
            with_check("").replace(EXERCISE, "")
        );
        assert_eq!(
            problem(&limits),
            found(6, 11, "a time limit must be more than zero", None)
        );
        let build = format!(
            "{EXERCISE}[build]\ntimeout = \"fast\"\n{}",
            with_check("").replace(EXERCISE, "")
        );
        assert_eq!(
            problem(&build),
            found(
                6,
                11,
                "`fast` is not a duration: expected number at 0",
                help
            )
        );

        let rubric = parse_ok(&format!(
            "{EXERCISE}[limits]\ntimeout = \"2s\"\n{}",
            with_check("timeout = \"500ms\"\n").replace(EXERCISE, "")
        ));
        assert_eq!(rubric.checks[0].timeout, Duration::from_millis(500));
    }

    #[test]
    fn output_bytes_must_be_positive() {
        let message = "`output-bytes` must be a positive number of bytes";
        let text = format!(
            "{EXERCISE}[limits]\noutput-bytes = 0\n{}",
            with_check("output-bytes = -1\n").replace(EXERCISE, "")
        );
        assert_eq!(
            problems(&text),
            [found(6, 16, message, None), found(12, 16, message, None)]
        );

        let rubric = parse_ok(&format!(
            "{EXERCISE}[limits]\noutput-bytes = 100\n{}",
            with_check("").replace(EXERCISE, "")
        ));
        assert_eq!(rubric.checks[0].output_bytes, 100);
    }

    #[test]
    fn misspelt_sections_and_missing_tables_are_reported() {
        let text = format!(
            "{EXERCISE}[limit]\ntimeout = \"1s\"\n{}",
            with_check("").replace(EXERCISE, "")
        );
        assert_eq!(
            problem(&text),
            found(5, 2, "unknown key `limit`", Some("did you mean `limits`?"))
        );
        assert_eq!(
            problem(EXERCISE),
            found(
                1,
                1,
                "the rubric has no checks",
                Some("add at least one `[[check]]` table")
            )
        );
        assert_eq!(
            problem(&with_check("").replace(EXERCISE, "")),
            found(
                1,
                1,
                "missing `[exercise]` table",
                Some("add `[exercise]` with `name`, `package` and `files` (see rubrics/README.md)")
            )
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported() {
        let text = r#"[exercise]
name = "t"
package = "pkg"
files = ["../x.rs"]

[limits]
timeout = "soon"

[[check]]
id = "build"
title = "A"
points = 0
run = "prog"
args = ["{n}"]
expect = { exit = 1, signal = "SIGSEGV" }
stdout = [{ contains = "a", line = "b" }, { regex = '(?<sum>\d+)' }]
compare = [{ capture = "summ", oracle = "median" }]

[[check]]
id = "b"
title = "B"
points = 5
run = "prog"
needs = ["a"]
timeout = "10"
"#;
        let found: Vec<((usize, usize), String)> = problems(text)
            .into_iter()
            .map(|(at, message, _)| (at, message))
            .collect();
        let expected = [
            ((4, 10), "`../x.rs` is not a path inside the package"),
            ((7, 11), "`soon` is not a duration: expected number at 0"),
            (
                (10, 6),
                "`build` is reserved for the build; pick another id",
            ),
            ((12, 10), "0 is not a valid number of points"),
            ((14, 9), "unknown placeholder `{n}`"),
            (
                (15, 10),
                "`expect` needs exactly one of `exit` and `signal`",
            ),
            ((16, 11), MATCHER_KINDS),
            (
                (17, 24),
                "capture `summ` is not a named group of any regex of this check",
            ),
            ((17, 41), "unknown oracle `median`"),
            (
                (24, 10),
                "check `b` needs `a`, which is not a check of this rubric",
            ),
            (
                (25, 11),
                "`10` is not a duration: time unit needed, for example 10sec or 10ms",
            ),
        ];
        let expected: Vec<((usize, usize), String)> = expected
            .iter()
            .map(|(at, message)| (*at, (*message).to_owned()))
            .collect();
        assert_eq!(found, expected);

        let rendered = parse(Path::new("t.toml"), text).unwrap_err().to_string();
        assert!(
            rendered.starts_with("rubric `t.toml` has 11 problems"),
            "{rendered}"
        );
        assert!(rendered.contains("t.toml:17:41"), "{rendered}");
    }

    #[test]
    fn run_limits_default_inherit_and_override() {
        let rubric = parse_ok(&with_check(""));
        assert_eq!(
            rubric.checks[0].limits,
            RunLimits {
                cpu_time: DEFAULT_CASE_TIMEOUT * 2,
                memory: 1 << 30,
                tasks: 256,
                file_size: 64 << 20,
                open_files: 256,
                isolate: true,
            }
        );
        let rubric = parse_ok(&format!(
            "{EXERCISE}[limits]\nmemory = 1000\nisolate = false\nopen-files = 64\n{}",
            with_check("timeout = \"3s\"\ntasks = 10\nfile-size = 5\n").replace(EXERCISE, "")
        ));
        assert_eq!(
            rubric.checks[0].limits,
            RunLimits {
                cpu_time: Duration::from_secs(6),
                memory: 1000,
                tasks: 10,
                file_size: 5,
                open_files: 64,
                isolate: false,
            }
        );
        let rubric = parse_ok(&format!(
            "{EXERCISE}[limits]\ncpu-time = \"1s\"\n{}",
            with_check("timeout = \"3s\"\n").replace(EXERCISE, "")
        ));
        assert_eq!(rubric.checks[0].limits.cpu_time, Duration::from_secs(1));
        let rubric = parse_ok(&with_check("cpu-time = \"1500ms\"\n"));
        assert_eq!(
            rubric.checks[0].limits.cpu_time,
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn run_limits_must_be_positive_and_well_typed() {
        assert_eq!(
            problems(&with_check("memory = 0\ntasks = -1\ncpu-time = \"0s\"\n")),
            vec![
                found(10, 10, "`memory` must be a positive integer", None),
                found(11, 9, "`tasks` must be a positive integer", None),
                found(12, 12, "a time limit must be more than zero", None),
            ]
        );
        let limits = format!(
            "{EXERCISE}[limits]\nopen-files = 0\n{}",
            with_check("").replace(EXERCISE, "")
        );
        assert_eq!(
            problem(&limits),
            found(6, 14, "`open-files` must be a positive integer", None)
        );
        assert!(
            problem(&with_check("isolate = \"yes\"\n"))
                .1
                .contains("bool")
        );
    }

    #[test]
    fn parallelism_time_names_a_capture_of_the_check() {
        let rubric = parse_ok(&with_check(
            "stdout = [{ regex = '(?<ms>\\d+) ms' }]\nparallelism-time = \"ms\"\n",
        ));
        assert!(rubric.checks[0].parallelism);
        assert_eq!(rubric.checks[0].parallelism_time.as_deref(), Some("ms"));
        let (position, message, _) = problem(&with_check("parallelism-time = \"ms\"\n"));
        assert_eq!(position, (10, 20));
        assert_eq!(
            message,
            "capture `ms` is not a named group of any regex of this check"
        );
    }

    #[test]
    fn hold_until_waited_takes_an_order_and_excludes_the_other_holds() {
        let rubric = parse_ok(&with_check("hold-until-waited = \"newest-first\"\n"));
        let check = &rubric.checks[0];
        assert!(check.traced());
        assert_eq!(check.hold_until_waited, Some(HoldOrder::NewestFirst));
        let rubric = parse_ok(&with_check("hold-until-waited = \"oldest-first\"\n"));
        assert_eq!(
            rubric.checks[0].hold_until_waited,
            Some(HoldOrder::OldestFirst)
        );
        let (at, message, help) = problem(&with_check("hold-until-waited = \"first\"\n"));
        assert_eq!(at.0, 10);
        assert_eq!(message, "`hold-until-waited = \"first\"` is not an order");
        assert!(help.is_some_and(|help| help.contains("newest-first")));
        let (_, message, _) = problem(&with_check(
            "hold-until-waited = \"newest-first\"\nperturb = true\n",
        ));
        assert_eq!(
            message,
            "`hold-until-waited` and `perturb` both decide when new tasks start"
        );
        let (_, message, _) = problem(&with_check(
            "hold-until-waited = \"oldest-first\"\nstart-together = true\n",
        ));
        assert_eq!(
            message,
            "`hold-until-waited` and `start-together` both decide when new tasks start"
        );
    }

    #[test]
    fn overlap_needs_start_together_and_start_together_excludes_perturb() {
        let (at, message, help) =
            problem(&with_check("census = { threads = 2, overlap = true }\n"));
        assert_eq!(at, (10, 35));
        assert_eq!(message, "`overlap = true` needs `start-together = true`");
        assert!(help.is_some_and(|help| help.contains("start-together = true")));
        let (at, message, _) = problem(&with_check("start-together = true\nperturb = true\n"));
        assert_eq!(at, (10, 18));
        assert_eq!(
            message,
            "`start-together` and `perturb` both decide when new tasks start"
        );
        let (at, message, _) = problem(&with_check("start-together = false\n"));
        assert_eq!(at, (10, 18));
        assert_eq!(message, "`start-together = false` asks for nothing");
        let (_, message, _) = problem(&with_check(
            "start-together = true\ncensus = { overlap = false }\n",
        ));
        assert_eq!(message, "`overlap = false` asks for nothing");
        let rubric = parse_ok(&with_check(
            "start-together = true\ncensus = { threads = 2, overlap = true }\n",
        ));
        let check = &rubric.checks[0];
        assert!(check.traced());
        assert_eq!(check.start_together, Some(START_TOGETHER_QUIET));
        assert_eq!(check.census[1].count, CensusCount::Overlap);
        assert!(!check.separate_cores);
    }

    #[test]
    fn separate_cores_needs_start_together() {
        let (at, message, help) = problem(&with_check("separate-cores = true\n"));
        assert_eq!(at, (10, 18));
        assert_eq!(
            message,
            "`separate-cores = true` needs `start-together = true`"
        );
        assert!(help.is_some_and(|help| help.contains("start-together = true")));
        let (_, message, _) = problem(&with_check(
            "start-together = true\nseparate-cores = false\n",
        ));
        assert_eq!(message, "`separate-cores = false` asks for nothing");
        let rubric = parse_ok(&with_check(
            "start-together = true\nseparate-cores = true\n",
        ));
        assert!(rubric.checks[0].separate_cores);
    }

    #[test]
    fn stacks_take_bytes_and_printed_stacks_a_true() {
        let rubric = parse_ok(&with_check(
            "cases = { kib = [256] }\ncensus = { stacks = \"{kib}\", printed-stacks = true }\n",
        ));
        let census = &rubric.checks[0].census;
        assert_eq!(census[0].count, CensusCount::Stacks);
        assert_eq!(census[0].expected.source(), "{kib}");
        assert_eq!(census[1].count, CensusCount::PrintedStacks);
        let (at, message, _) = problem(&with_check("census = { printed-stacks = false }\n"));
        assert_eq!(at, (10, 29));
        assert_eq!(message, "`printed-stacks = false` asks for nothing");
    }
}
