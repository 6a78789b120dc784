//! The grading pipeline: assemble, build, run every case, grade.
//!
//! This module decides what to run and in which order; [`crate::run`] runs it and
//! [`crate::grade`] turns what was observed into points.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use labgrade_support::{FAULT_VAR, Fault, FaultAction, SEED_VAR};

use crate::compile::{BuildOutcome, Toolchain, course_folders, open_to_programs, profile_dir};
use crate::error::{Error, io};
use crate::grade::{
    BuildGrade, BuildStatus, CaseGrade, CaseLimits, CheckGrade, CheckStatus, Grade, GradeHeader,
    InjectedFault, ReplayRecipe, blocked_by, build_block_reason, combine_runs, draw_fault,
    evaluate_case, missing_list, run_seed, score_check, score_ratio, total, unscored_check,
};
use crate::grade::{for_students, score_style, student_rubric};
use crate::made_runs::{CountedRun, MadeRuns};
use crate::rubric::{Check, Profile, Rubric, TaskStart};
use crate::run::{BaseEnv, Job, Perturbation, ProcessLimits, Runner, Sandbox, SyscallWatch, Trace};
use crate::stage::{Observer, Stage, Unobserved};
use crate::style::StyleOutcome;
use crate::submission::{Assembly, assemble, remove_abandoned};
use crate::test_build::{TestBuilds, tests_dir};
use crate::test_run::{LIST_ARGS, test_args, test_replay, test_unbuilt, unlisted_reason};

/// Settings of a grading run.
#[derive(Debug, Clone)]
pub struct GradeOptions {
    /// Seed of the run; a fresh random one when `None`.
    pub seed: Option<u64>,
    /// Cargo and the build cache.
    pub toolchain: Toolchain,
}

/// Grades submissions with one runner and one set of options.
#[derive(Debug)]
pub struct Grader {
    runner: Runner,
    options: GradeOptions,
    /// Run every repeat of a case even after one failed, to measure detection rates.
    every_run: bool,
    /// Told each stage of every grading.
    observer: Arc<dyn Observer>,
}

impl Grader {
    /// A grader that starts supervisors from `runner`.
    ///
    /// The first grader of a process deletes the assemblies that killed labgrades left in the
    /// temporary folder ([`remove_abandoned`]).
    #[must_use]
    pub fn new(runner: Runner, options: GradeOptions) -> Self {
        static CLEANED: Once = Once::new();
        CLEANED.call_once(|| {
            // How many were deleted is of no use to a grade; a folder that could not be
            // deleted is tried again by the next labgrade.
            let _ = remove_abandoned(&std::env::temp_dir());
        });
        Self {
            runner,
            options,
            every_run: false,
            observer: Arc::new(Unobserved),
        }
    }

    /// This grader, telling `observer` each stage of every grading (building, each case).
    #[must_use]
    pub fn observed_by(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// This grader, running every repeat of a case even after one failed (`every_run`), or
    /// stopping at the first failed run, which decides the case (the default).
    #[must_use]
    pub fn every_run(mut self, every_run: bool) -> Self {
        self.every_run = every_run;
        self
    }

    /// Grades the submission in folder `submission` against `rubric`.
    ///
    /// Everything the submission does wrong is part of the returned [`Grade`]; an [`Error`]
    /// means no grade could be computed.
    pub fn grade(&self, rubric: &Rubric, submission: &Path) -> Result<Grade, Error> {
        let seed = self.options.seed.unwrap_or_else(fresh_seed);
        let header = GradeHeader {
            exercise: rubric.exercise.name.clone(),
            rubric: rubric.path.display().to_string(),
            submission: submission.display().to_string(),
            seed,
        };
        let prepared = self.prepare(rubric, submission)?;
        let made = MadeRuns::default();
        let mut checks: Vec<CheckGrade> = Vec::with_capacity(rubric.checks.len());
        for (number, check) in (1..).zip(&rubric.checks) {
            let checks_total = rubric.checks.len();
            let blocked = blocked_by(check, &prepared.build, &checks)
                .or_else(|| {
                    unavailable(check, &prepared.assembly)
                        .map(|reason| (CheckStatus::Skipped, reason))
                })
                .or_else(|| test_unbuilt(check, &prepared.tests));
            let mut graded = if let Some((status, reason)) = blocked {
                unscored_check(check, status, reason, Vec::new())
            } else if let Some(rule) = &check.style {
                // Style checks run no program: their tools ran with the build.
                score_style(check, rule, &prepared.build, &prepared.style)
            } else {
                let bin_dir = prepared.bin_dir.as_deref().unwrap_or(Path::new(""));
                let place = (number, checks_total);
                let run = Self::start_check(rubric, check, bin_dir, &prepared.assembly, seed)?;
                match self.unlisted(&run)? {
                    Some(reason) => unscored_check(check, CheckStatus::Error, reason, Vec::new()),
                    None => self.run_check(&run, place, &made)?,
                }
            };
            graded.source = program_source(check, &prepared.assembly);
            checks.push(graded);
        }
        // A ratio runs no program of its own: it has no source.
        for ratio in &rubric.ratios {
            let graded = score_ratio(ratio, &checks);
            checks.push(graded);
        }
        let mut grade = total(header, prepared.build, checks);
        // Relative `rubric` and `submission` paths mean nothing without it (`labgrade replay`).
        grade.workdir = std::env::current_dir()
            .ok()
            .map(|dir| dir.display().to_string());
        Ok(grade)
    }

    /// Grades the submission as a student's `labgrade check` does: hidden checks are
    /// not run (the grade says how many there are and what they are worth), and checks whose
    /// rubric says `details = "verdict"` or `visibility = "after_due_date"` show only their
    /// verdict.
    pub fn grade_for_student(&self, rubric: &Rubric, submission: &Path) -> Result<Grade, Error> {
        let (visible, hidden) = student_rubric(rubric);
        let mut grade = for_students(self.grade(&visible, submission)?);
        grade.hidden = hidden;
        Ok(grade)
    }

    /// Runs case `case_names` of check `check_id` of the submission again, with run seed
    /// `run_seed` (the report's `seed`): the submission is assembled and built as [`Grader::grade`]
    /// does, then only those cases run, every run of each, planned as grading plans them, so
    /// they get the same seeds, environment, arguments, delays, fault and limits.
    ///
    /// The check's `needs` are not run: a replay asks what this case does, whatever the others
    /// did.
    pub fn replay(
        &self,
        rubric: &Rubric,
        submission: &Path,
        check_id: &str,
        case_names: &[&str],
        run_seed: u64,
    ) -> Result<Replayed, Error> {
        let prepared = self.prepare(rubric, submission)?;
        let Some(check) = rubric.checks.iter().find(|check| check.id == check_id) else {
            return Ok(prepared.replayed(Err(format!("the rubric has no check `{check_id}`"))));
        };
        if check.style.is_some() {
            return Ok(prepared.replayed(Err(format!(
                "check `{check_id}` is a style check: it runs no program, so it has no case to replay"
            ))));
        }
        let bin_dir = match (&prepared.bin_dir, unavailable(check, &prepared.assembly)) {
            (_, Some(reason)) => return Ok(prepared.replayed(Err(reason))),
            (None, None) => {
                // Without binaries the build did not make them; a build that says otherwise
                // lacked the files of this program.
                let reason = build_block_reason(&prepared.build).unwrap_or_else(|| {
                    format!(
                        "not run: the submission lacks {}",
                        missing_list(&prepared.build.missing_files)
                    )
                });
                return Ok(prepared.replayed(Err(reason)));
            }
            (Some(bin_dir), None) => bin_dir.clone(),
        };
        if let Some((_, reason)) = test_unbuilt(check, &prepared.tests) {
            return Ok(prepared.replayed(Err(reason)));
        }
        let run = Self::start_check(rubric, check, &bin_dir, &prepared.assembly, run_seed)?;
        let mut cases = Vec::with_capacity(case_names.len());
        for name in case_names {
            let Some(index) = check.runs.cases.iter().position(|case| case.name == *name) else {
                return Ok(
                    prepared.replayed(Err(format!("check `{check_id}` has no case `{name}`")))
                );
            };
            match self.run_case(&run, index, &MadeRuns::default())? {
                Ok(case) => cases.push(case),
                Err(reason) => return Ok(prepared.replayed(Err(reason))),
            }
        }
        Ok(prepared.replayed(Ok(cases)))
    }

    /// Assembles and builds a submission: what every check needs before it runs.
    fn prepare(&self, rubric: &Rubric, submission: &Path) -> Result<Prepared, Error> {
        match std::fs::metadata(submission) {
            Err(_) => {
                return Err(Error::SubmissionNotFound {
                    path: submission.to_owned(),
                });
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(Error::SubmissionNotDirectory {
                    path: submission.to_owned(),
                });
            }
            Ok(_) => {}
        }
        self.observer.stage(&Stage::Assembling);
        let assembly = assemble(rubric, submission)?;
        // `tempfile` made the assembly's root private (0700); student programs may run as an
        // unprivileged uid of their own (`isolate`) and must reach their binary in `bin/` and
        // their scratch folder in `runs/`.
        open_to_programs(assembly.root())?;
        // The submission's sources stay private: only labgrade and cargo (not student programs,
        // which may run as another uid) read them.
        let workspace = assembly.workspace();
        std::fs::set_permissions(
            &workspace,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .map_err(io("set the permissions of", &workspace))?;
        let (build, bin_dir, tests, style) = self.build(rubric, &assembly)?;
        Ok(Prepared {
            assembly,
            build,
            bin_dir,
            tests,
            style,
        })
    }

    fn build(
        &self,
        rubric: &Rubric,
        assembly: &Assembly,
    ) -> Result<(BuildGrade, Option<PathBuf>, TestBuilds, StyleOutcome), Error> {
        let max_score = f64::from(rubric.build.points);
        let mut grade = BuildGrade {
            status: BuildStatus::MissingFiles,
            score: 0.0,
            max_score,
            duration_ms: 0,
            reused: false,
            missing_files: assembly.missing.clone(),
            diagnostics: String::new(),
        };
        if !assembly.missing.is_empty() {
            grade.diagnostics = format!(
                "the submission lacks {}; put {} at the same relative path{} as in the exercise package",
                missing_list(&assembly.missing),
                if assembly.missing.len() == 1 {
                    "it"
                } else {
                    "them"
                },
                if assembly.missing.len() == 1 { "" } else { "s" },
            );
            for (file, link) in &assembly.linked {
                let through = if file == link {
                    format!("`{file}` is a symbolic link")
                } else {
                    format!("`{file}` is reached through `{link}`, a symbolic link")
                };
                grade.diagnostics.push('\n');
                grade.diagnostics.push_str(&through);
                grade.diagnostics.push_str(
                    ", which labgrade never follows in a submission: hand in the file itself",
                );
            }
        }
        if !assembly.buildable {
            return Ok((grade, None, TestBuilds::new(), StyleOutcome::default()));
        }
        let outcome =
            self.options
                .toolchain
                .build(&self.runner, rubric, assembly, self.observer.as_ref())?;
        Ok(match outcome {
            BuildOutcome::Built {
                bin_dir,
                wall_ms,
                reused,
                tests,
                style,
            } => {
                grade.status = BuildStatus::Built;
                grade.score = max_score;
                grade.duration_ms = wall_ms;
                grade.reused = reused;
                (grade, Some(bin_dir), tests, style)
            }
            BuildOutcome::CompileError {
                diagnostics,
                wall_ms,
                reused,
            } => {
                grade.status = BuildStatus::CompileError;
                grade.duration_ms = wall_ms;
                grade.reused = reused;
                grade.diagnostics = diagnostics;
                (grade, None, TestBuilds::new(), StyleOutcome::default())
            }
            BuildOutcome::TimedOut {
                diagnostics,
                wall_ms,
            } => {
                grade.status = BuildStatus::TimedOut;
                grade.duration_ms = wall_ms;
                grade.diagnostics = diagnostics;
                (grade, None, TestBuilds::new(), StyleOutcome::default())
            }
        })
    }

    /// Runs every case of a check, the check `place.0` of `place.1`, taking the runs already
    /// `made` of an equal invocation.
    fn run_check(
        &self,
        run: &CheckRun<'_>,
        place: (usize, usize),
        made: &MadeRuns,
    ) -> Result<CheckGrade, Error> {
        let check = run.check;
        let mut cases = Vec::with_capacity(check.runs.cases.len());
        for index in 0..check.runs.cases.len() {
            self.observer.stage(&Stage::Running {
                check: &check.id,
                check_number: place.0,
                checks: place.1,
                case: &check.runs.cases[index].name,
                case_number: index + 1,
                cases: check.runs.cases.len(),
            });
            match self.run_case(run, index, made)? {
                Ok(case) => cases.push(case),
                Err(reason) => {
                    return Ok(unscored_check(check, CheckStatus::Error, reason, cases));
                }
            }
        }
        Ok(score_check(check, cases))
    }

    /// Finds the check's program and makes its scratch folder.
    fn start_check<'a>(
        rubric: &'a Rubric,
        check: &'a Check,
        bin_dir: &'a Path,
        assembly: &Assembly,
        run_seed: u64,
    ) -> Result<CheckRun<'a>, Error> {
        // A `test` check runs its program's test executable, and reads only the tests folder.
        let bin_dir = match check.runs.test {
            Some(_) => tests_dir(bin_dir),
            None => bin_dir.to_owned(),
        };
        let program = bin_dir.join(&check.runs.program);
        if !program.is_file() {
            return Err(Error::UnknownProgram {
                check: check.id.clone(),
                program: check.runs.program.clone(),
                package: rubric.exercise.package.clone(),
            });
        }
        let runs_dir = assembly.root().join("runs");
        let check_dir = runs_dir.join(&check.id);
        std::fs::create_dir_all(&check_dir).map_err(io("create", &check_dir))?;
        open_to_programs(&runs_dir)?;
        open_to_programs(&check_dir)?;
        Ok(CheckRun {
            rubric,
            check,
            runs_of: rubric.runs_of(check),
            program,
            bin_dir,
            check_dir,
            run_seed,
        })
    }

    /// Runs every run of case `index` of a check and joins them; a run already `made` for a
    /// check of an equal invocation is judged again, not made again. The inner `Err` says why
    /// the case could not run (the check's status becomes `error`); the outer one that
    /// labgrade could not go on at all.
    fn run_case(
        &self,
        run: &CheckRun<'_>,
        index: usize,
        made: &MadeRuns,
    ) -> Result<Result<CaseGrade, String>, Error> {
        let check = run.check;
        let case = &check.runs.cases[index];
        let mut runs = Vec::with_capacity(check.runs.repeat as usize);
        for repetition in 0..check.runs.repeat {
            let counted = match made.get(&run.runs_of.id, index, repetition) {
                Some(counted) => Ok(counted),
                None => self.run_once(run, index, repetition)?.inspect(|counted| {
                    made.keep(&run.runs_of.id, index, repetition, counted);
                }),
            };
            match counted {
                Ok((observation, replay, spoiled)) => {
                    let mut graded = evaluate_case(check, &case.name, replay, observation);
                    if let Some(spoiled) = spoiled {
                        graded.observed.notes.push(format!(
                            "run again: something outside the program spoiled the first run ({spoiled})"
                        ));
                    }
                    let failed = !graded.passed;
                    runs.push(graded);
                    // A case passes only if every run passes: the first failed run decides,
                    // and the runs left would only cost time.
                    if failed && !self.every_run {
                        break;
                    }
                }
                Err(reason) => return Ok(Err(reason)),
            }
        }
        Ok(combine_runs(runs, check.runs.repeat)
            .ok_or_else(|| format!("case `{}` has no run", case.name)))
    }

    /// Why a `test` check cannot run: its test executable does not list its test (a name the
    /// rubric misspells would otherwise run no test, and pass). The listing runs as the
    /// check's runs do: it is the student's code, compiled.
    fn unlisted(&self, run: &CheckRun<'_>) -> Result<Option<String>, Error> {
        let Some(test) = &run.check.runs.test else {
            return Ok(None);
        };
        let scratch = run.check_dir.join("list");
        std::fs::create_dir_all(&scratch).map_err(io("create", &scratch))?;
        let Ok((mut job, _)) = plan_case_run(run, 0, 0, &scratch) else {
            return Ok(None);
        };
        job.args = LIST_ARGS.map(str::to_owned).to_vec();
        job.trace = None;
        Ok(self
            .runner
            .run(&job)
            .ok()
            .and_then(|listing| unlisted_reason(test, &listing)))
    }

    /// Runs run `repetition` of case `index` once, or twice when something outside the
    /// program spoiled the first (a kill nobody inside sent, an overloaded machine): the same
    /// plan, seed included, in a fresh scratch folder. Spoiled twice, the case cannot be
    /// graded, and the inner `Err` says what was seen both times; so does a run labgrade could
    /// not start. A run that counts comes with what spoiled the first, if anything.
    fn run_once(
        &self,
        run: &CheckRun<'_>,
        index: usize,
        repetition: u32,
    ) -> Result<Result<CountedRun, String>, Error> {
        let name = &run.check.runs.cases[index].name;
        let mut spoiled = Vec::new();
        for attempt in ["", "-again"] {
            let scratch = run.check_dir.join(format!("{index}-{repetition}{attempt}"));
            std::fs::create_dir(&scratch).map_err(io("create", &scratch))?;
            let (job, replay) = match plan_case_run(run, index, repetition, &scratch) {
                Ok(planned) => planned,
                Err(reason) => return Ok(Err(format!("case `{name}` cannot run: {reason}"))),
            };
            let observation = match self.runner.run(&job) {
                Ok(observation) => observation,
                Err(error) => {
                    return Ok(Err(format!(
                        "labgrade could not run case `{name}`: {error}"
                    )));
                }
            };
            match &observation.interference {
                None => return Ok(Ok((observation, replay, spoiled.pop()))),
                Some(interference) => spoiled.push(interference.describe()),
            }
        }
        Ok(Err(format!(
            "labgrade could not grade case `{name}`: something outside the program spoiled both of its runs, so it says nothing about the submission (first: {}; then: {}); grade it again on a quieter machine",
            spoiled[0], spoiled[1]
        )))
    }
}

/// A submission assembled and built, ready for its checks.
struct Prepared {
    assembly: Assembly,
    build: BuildGrade,
    bin_dir: Option<PathBuf>,
    /// What building each program's tests gave (`test` checks).
    tests: TestBuilds,
    /// What clippy and rustfmt found, for the style checks; empty when it did not build.
    style: StyleOutcome,
}

impl Prepared {
    fn replayed(self, cases: Result<Vec<CaseGrade>, String>) -> Replayed {
        Replayed {
            build: self.build,
            cases,
        }
    }
}

/// What [`Grader::replay`] found.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The build of the submission, now.
    pub build: BuildGrade,
    /// The cases, each with its runs joined as grading joins them (unscored: a case's points
    /// depend on the whole check); or why they could not run (the build failed, the program's
    /// source is missing, labgrade could not run it).
    pub cases: Result<Vec<CaseGrade>, String>,
}

/// One check about to run: its program, scratch folder and the run's seed.
struct CheckRun<'a> {
    rubric: &'a Rubric,
    check: &'a Check,
    /// The check whose runs these are (`Rubric::runs_of`): its id and `repeat` seed them.
    runs_of: &'a Check,
    program: PathBuf,
    /// The folder of `program`, which the program may read.
    bin_dir: PathBuf,
    check_dir: PathBuf,
    run_seed: u64,
}

/// Plans run `repetition` of case `index`: its seed, the job to run in `scratch`, and how to
/// replay it. Pure: everything comes from the rubric and the run's seed.
fn plan_case_run(
    run: &CheckRun<'_>,
    index: usize,
    repetition: u32,
    scratch: &Path,
) -> Result<(Job, ReplayRecipe), String> {
    let (rubric, check) = (run.rubric, run.check);
    let case = &check.runs.cases[index];
    let seed = run_seed(
        run.run_seed,
        &run.runs_of.id,
        &case.name,
        repetition,
        run.runs_of.runs.repeat,
    );
    let mut planned = plan_run(rubric, check, &case.vars, seed)?;
    if let Some(test) = &check.runs.test {
        planned.args = test_args(test);
    }
    let perturbation = match check.runs.task_start {
        Some(TaskStart::Perturb(max_delay)) => Some(Perturbation {
            seed,
            max_delay_us: max_delay.as_micros() as u64,
        }),
        _ => None,
    };
    let limits = ProcessLimits {
        cpu_ms: check.runs.limits.cpu_time.as_millis() as u64,
        memory_bytes: check.runs.limits.memory,
        tasks: check.runs.limits.tasks,
        file_bytes: check.runs.limits.file_size,
        open_files: check.runs.limits.open_files,
        isolate: check.runs.limits.isolate,
    };
    let job = Job {
        program: run.program.clone(),
        args: planned.args.clone(),
        env: planned.env.clone(),
        base_env: BaseEnv::Clean,
        cwd: scratch.to_owned(),
        timeout_ms: check.runs.timeout.as_millis() as u64,
        output_limit: check.runs.output_bytes,
        trace: check.traced().then(|| Trace {
            perturb: perturbation.clone(),
            // Short reads draw from the case's seed, so a replay shortens the same reads.
            syscalls: check.observes_syscalls().then(|| SyscallWatch {
                short_reads: check.runs.short_reads.then_some(seed),
            }),
            gather_us: match check.runs.task_start {
                Some(TaskStart::StartTogether { quiet, .. }) => {
                    Some(u64::try_from(quiet.as_micros()).unwrap_or(u64::MAX))
                }
                _ => None,
            },
            separate_cores: matches!(
                check.runs.task_start,
                Some(TaskStart::StartTogether {
                    separate_cores: true,
                    ..
                })
            ),
            stacks: check.rules.wants_stacks(),
            descriptors: check.rules.wants_descriptors(),
            ipc_objects: check.rules.wants_ipc_objects(),
            hold_until_waited: match check.runs.task_start {
                Some(TaskStart::HoldUntilWaited(order)) => Some(order),
                _ => None,
            },
        }),
        limits: Some(limits),
        // The program reads its own binaries and writes only its scratch folder:
        // other submissions, the reference solutions and the rubrics are refused.
        sandbox: check.runs.limits.isolate.then(|| Sandbox {
            read: vec![run.bin_dir.clone()],
            write: vec![scratch.to_owned()],
            hide: course_folders(rubric),
            landlock: true,
            proc: true,
            private_tmp: true,
        }),
    };
    let mut replay = replay_recipe(rubric, check, seed, planned);
    replay.run = (check.runs.repeat > 1).then_some(repetition);
    replay.traced = job.trace.is_some();
    replay.perturbation = perturbation;
    replay.limits = Some(CaseLimits {
        timeout_ms: job.timeout_ms,
        output_bytes: job.output_limit,
        run: limits,
    });
    Ok((job, replay))
}

/// Why a check of a submission lacking its program's source cannot run, if it does.
fn unavailable(check: &Check, assembly: &Assembly) -> Option<String> {
    assembly
        .unavailable_programs
        .contains(&check.runs.program)
        .then(|| {
            format!(
                "not run: the submission lacks the source of `{}` ({})",
                check.runs.program,
                missing_list(&assembly.missing)
            )
        })
}

/// The arguments, environment and placeholders of one run.
struct PlannedRun {
    vars: BTreeMap<String, String>,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    fault: Option<Fault>,
}

/// Fills in one run of a case: its seed, its injected fault if any, its arguments and
/// environment.
fn plan_run(
    rubric: &Rubric,
    check: &Check,
    case_vars: &BTreeMap<String, String>,
    seed: u64,
) -> Result<PlannedRun, String> {
    let mut vars = case_vars.clone();
    let mut env = rubric.env.clone();
    let mut drawn = None;
    if let Some(plan) = &check.runs.fault {
        let (fault, fault_vars) = draw_fault(plan, case_vars, seed)?;
        vars.extend(fault_vars);
        env.insert(FAULT_VAR.to_owned(), fault.to_env());
        drawn = Some(fault);
    }
    env.extend(
        check
            .runs
            .env
            .iter()
            .map(|(key, value)| (key.clone(), value.render(&vars))),
    );
    env.insert(SEED_VAR.to_owned(), seed.to_string());
    let args = check
        .runs
        .args
        .iter()
        .map(|arg| arg.render(&vars))
        .collect();
    Ok(PlannedRun {
        vars,
        args,
        env,
        fault: drawn,
    })
}

/// How to run a case again by hand: the exact command, environment and seed.
fn replay_recipe(rubric: &Rubric, check: &Check, seed: u64, planned: PlannedRun) -> ReplayRecipe {
    let release = if rubric.build.profile == Profile::Release {
        " --release"
    } else {
        ""
    };
    let mut shell = planned
        .env
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .chain([format!(
            "cargo run --quiet{release} --bin {} --",
            check.runs.program
        )])
        .chain(planned.args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = std::iter::once(format!(
        "target/{}/{}",
        profile_dir(rubric.build.profile),
        check.runs.program
    ))
    .chain(planned.args.iter().cloned())
    .collect();
    if let Some(test) = &check.runs.test {
        (command, shell) = test_replay(rubric, check, test);
    } else if matches!(check.runs.task_start, Some(TaskStart::Perturb(_))) {
        shell.push_str(
            "   # without the tracer's seeded delays; `labgrade replay <report> <check>/<case>` replays them",
        );
    } else if check.runs.short_reads {
        shell.push_str(
            "   # without the tracer's seeded short reads; `labgrade replay <report> <check>/<case>` replays them",
        );
    }
    ReplayRecipe {
        seed,
        fault: planned.fault.map(|fault| InjectedFault {
            worker: fault.worker,
            signal: match fault.action {
                FaultAction::Signal(signal) => Some(signal),
                FaultAction::Exit(_) => None,
            },
            exit_code: match fault.action {
                FaultAction::Exit(code) => Some(code),
                FaultAction::Signal(_) => None,
            },
        }),
        vars: planned.vars,
        command,
        env: planned.env,
        shell,
        ..ReplayRecipe::default()
    }
}

/// The source file of the program `check` runs, relative to the package.
fn program_source(check: &Check, assembly: &Assembly) -> Option<String> {
    assembly
        .binaries
        .iter()
        .find(|(name, _)| *name == check.runs.program)
        .map(|(_, path)| path.to_string_lossy().into_owned())
}

fn fresh_seed() -> u64 {
    // A seed only has to differ between runs; the OS's randomness gives that without state.
    getrandom::u64().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64)
    })
}

/// Default cache folder: `$LABGRADE_CACHE_DIR`, else `$XDG_CACHE_HOME/labgrade`, else
/// `~/.cache/labgrade`, else a folder in the temporary directory.
#[must_use]
pub fn default_cache_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    var("LABGRADE_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|dir| dir.join("labgrade")))
        .or_else(|| var("HOME").map(|dir| dir.join(".cache").join("labgrade")))
        .unwrap_or_else(|| std::env::temp_dir().join("labgrade-cache"))
}

/// Default folder of the build slots: `$LABGRADE_BUILD_DIR`, else `<cache_dir>/builds`.
#[must_use]
pub fn default_slots_dir(cache_dir: &Path) -> PathBuf {
    std::env::var_os("LABGRADE_BUILD_DIR")
        .filter(|value| !value.is_empty())
        .map_or_else(|| cache_dir.join("builds"), PathBuf::from)
}

/// Cargo to build with: `$CARGO` when labgrade runs under cargo, else `cargo` from `PATH`.
#[must_use]
pub fn default_cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}
