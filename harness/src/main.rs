//! The `labgrade` command line: parses the arguments, calls the library, maps the result to an
//! exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use labgrade::batch::lms::Source;
use labgrade::batch::{BatchError, BatchOptions, BatchResult, Limits, Shard, resolve_shard};
use labgrade::compile::Toolchain;
use labgrade::grade::{Grade, GradeStatus};
use labgrade::grader::{GradeOptions, Grader, default_cache_dir, default_cargo};
use labgrade::report::GradebookExport;
use labgrade::report::{Format, write_doctor, write_selfcheck, write_summary};
use labgrade::run::Runner;
use labgrade::{Error, course, io, rubric, selfcheck};

/// Exit codes, one per kind of result.
mod exit {
    /// Graded with full marks; or the self-check passed; or a batch graded every student.
    pub(crate) const FULL_MARKS: u8 = 0;
    /// Graded, short of full marks; or the self-check found a problem.
    pub(crate) const NOT_FULL_MARKS: u8 = 1;
    /// Bad input: an invalid rubric, a missing submission, a wrong argument.
    pub(crate) const BAD_INPUT: u8 = 2;
    /// labgrade could not grade (toolchain, machine, or labgrade itself), or graded only part;
    /// for a batch, some student could not be graded in full.
    pub(crate) const CANNOT_GRADE: u8 = 3;
}

/// Grades operating-systems lab exercises written in Rust.
#[derive(Debug, Parser)]
#[command(version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Grade a submission against a rubric.
    Grade {
        /// The submission: a folder with a copy of the exercise package or only the files the
        /// rubric lists at the same relative paths (or by name alone, side by side), or a
        /// .zip, .tar.gz or .tgz archive of one.
        submission: PathBuf,
        /// The rubric, such as `rubrics/sum-array.toml`.
        #[arg(long)]
        rubric: PathBuf,
        /// Exit 0 when the score reaches this percentage of the maximum (0 to 100), even short
        /// of full marks; 1 below it. For CI on pull requests.
        #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
        min_score: Option<f64>,
        #[command(flatten)]
        options: Options,
    },
    /// Run one case of a JSON report again, and say whether it passes or fails as the report
    /// says.
    ///
    /// The submission and rubric are the report's (`submission` or a batch's `entry`, and
    /// `rubric`) unless given. Exit code 0 when every replayed case passes or fails as
    /// recorded, 1 when one does not, 2 on bad input (an unknown check or case: the error
    /// lists the report's), 3 when the case could not run.
    Replay {
        /// The JSON report: `labgrade grade --format json`, or a batch's `reports/<id>.json`.
        report: PathBuf,
        /// `<check-id>/<case>`, such as `threads-sum/workers=3`; a check id alone replays every
        /// case of the check.
        target: String,
        /// The submission (folder or archive) instead of the report's.
        #[arg(long)]
        submission: Option<PathBuf>,
        /// The rubric instead of the report's.
        #[arg(long)]
        rubric: Option<PathBuf>,
    },
    /// Grade your own working copy of an exercise (`exercises/<EXERCISE>`).
    Check {
        /// Exercise name, such as `sum-array`.
        exercise: String,
        /// The course folder (with `rubrics/` and `exercises/`); found from the current folder
        /// by default.
        #[arg(long)]
        root: Option<PathBuf>,
        #[command(flatten)]
        options: Options,
    },
    /// Prove the course: every README lists what its rubric grades, every reference solution
    /// and correct fixture earns full marks, every skeleton does not, and every requirement has
    /// a mutant that loses exactly its points.
    Selfcheck {
        /// The course folder; found from the current folder by default.
        #[arg(long)]
        root: Option<PathBuf>,
        /// Seed of the grading runs; fresh by default.
        #[arg(long)]
        seed: Option<u64>,
        /// Only this exercise; repeatable. Every exercise by default.
        #[arg(long, value_name = "NAME")]
        exercise: Vec<String>,
        /// The folder of fixtures, one folder per exercise holding one folder per fixture with
        /// its `fixture.toml`; `tests/fixtures` of the course by default, when it exists.
        #[arg(long, value_name = "DIR")]
        fixtures: Option<PathBuf>,
    },
    /// Grade a whole class: every entry of DIR (a folder, a git working tree, a .zip, .tar.gz
    /// or .tgz) is one student's submission, named by the entry.
    ///
    /// Results go to OUT as each student finishes; running the same command again grades only
    /// what is missing or changed. Exit code 0 when every student was graded (whatever their
    /// scores), 2 on bad input, 3 when labgrade could not grade some student.
    Batch(BatchArgs),
    /// Join the output folders of the shards of a batch into one gradebook.
    Merge {
        /// Output folders of `labgrade batch --shard`, one per shard.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder of the merged batch.
        #[arg(long)]
        out: PathBuf,
        /// Do not print the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write a copy of the course that students' CI may clone: the harness, the rubrics, each
    /// exercise's skeleton, without a reference solution, a fixture or the git history.
    ///
    /// Whatever students' CI can read, a student can read: they edit the workflow in their own
    /// pull request. Publish refuses to write a file equal to a reference solution's or a
    /// correct fixture's. Exit code 0 when written, 2 on bad input (OUT inside the course or
    /// not empty, a skeleton equal to its solution), 3 when a file could not be read or written.
    Publish {
        /// The folder to write, new or empty, outside the course, such as `../course-public`.
        #[arg(long)]
        out: PathBuf,
        /// The course folder; found from the current folder by default.
        #[arg(long, visible_alias = "course")]
        root: Option<PathBuf>,
    },
    /// Say what containment this machine offers and what labgrade uses of it.
    Doctor,
    /// Run one job under supervision (internal: labgrade starts itself this way).
    #[command(name = "__supervise", hide = true)]
    Supervise,
}

#[derive(Debug, clap::Args)]
struct Options {
    /// Report format.
    #[arg(long, default_value = "human", value_parser = format_parser())]
    format: Format,
    /// Seed of the grading run, to replay one; fresh by default.
    #[arg(long)]
    seed: Option<u64>,
    /// Run every `repeat` of a case even after one failed (by default the first failed run
    /// decides and the rest are not run): to measure how often a check catches a program.
    #[arg(long)]
    every_run: bool,
    /// Also write the report in FORMAT (human, json, junit, gradescope, github) to PATH, such
    /// as `--report junit=junit.xml`; repeatable.
    #[arg(long, value_name = "FORMAT=PATH", value_parser = Format::parse_target)]
    report: Vec<(Format, PathBuf)>,
    /// List every containment measure of the runs in the human report (by default one plain
    /// sentence says what they mean).
    #[arg(long, short)]
    verbose: bool,
    /// Print nothing on stderr while grading (by default what labgrade is doing: building,
    /// then each check).
    #[arg(long, short)]
    quiet: bool,
}

/// `--format`: the names of [`Format::ALL`], listed in `--help`.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(|(name, _)| name))
        .try_map(|name| Format::from_name(&name))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Supervise) {
        return labgrade::run::supervise(
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
        );
    }
    let command = match cli.command {
        Command::Batch(args) => {
            return batch_exit(batch(args));
        }
        Command::Merge { shards, out, quiet } => return batch_exit(merge(&shards, &out, quiet)),
        Command::Replay {
            report,
            target,
            submission,
            rubric,
        } => {
            let request = labgrade::replay::ReplayRequest {
                report,
                target,
                submission,
                rubric,
            };
            return replay_exit(&request);
        }
        Command::Publish { out, root } => return publish_exit(root, &out),
        command => command,
    };
    match run(command) {
        Ok(code) => ExitCode::from(code),
        Err(error) => failure(&error, error.is_bad_input()),
    }
}

fn run(command: Command) -> Result<u8, Error> {
    match command {
        Command::Grade {
            submission,
            rubric,
            min_score,
            options,
        } => {
            let rubric = rubric::load(&rubric)?;
            let shown = progress::grading_on_stderr(options.quiet);
            let grader = grader(options.seed)?
                .every_run(options.every_run)
                .observed_by(shown.clone());
            let grade = labgrade::batch::grade_handed_in(&grader, &rubric, &submission)?;
            // The last holds on the spinner: it is cleared before the report is written.
            drop(grader);
            drop(shown);
            let code = write_grade(&grade, &options)?;
            Ok(match min_score {
                Some(percent) if code == exit::NOT_FULL_MARKS && reaches(&grade, percent) => {
                    exit::FULL_MARKS
                }
                _ => code,
            })
        }
        Command::Check {
            exercise,
            root,
            options,
        } => {
            let root = course_root(root)?;
            let rubric = rubric::load(&course::rubric_path(&root, &exercise)?)?;
            let submission = rubric.exercise.package.clone();
            let shown = progress::grading_on_stderr(options.quiet);
            let grade = grader(options.seed)?
                .every_run(options.every_run)
                .observed_by(shown.clone())
                .self_check(&rubric, &submission)?;
            drop(shown);
            write_grade(&grade, &options)
        }
        Command::Selfcheck {
            root,
            seed,
            exercise,
            fixtures,
        } => {
            let root = course_root(root)?;
            let fixtures = fixtures.or_else(|| {
                let default = root.join("tests").join("fixtures");
                default.is_dir().then_some(default)
            });
            let options = selfcheck::SelfcheckOptions {
                exercises: exercise,
                fixtures,
            };
            let findings = selfcheck::selfcheck(&root, &grader(seed)?, &options)?;
            write_selfcheck(&findings, &mut anstream::stdout())
                .map_err(io("write to", "stdout"))?;
            Ok(if findings.iter().all(|finding| finding.ok) {
                exit::FULL_MARKS
            } else {
                exit::NOT_FULL_MARKS
            })
        }
        Command::Doctor => {
            let mut stdout = anstream::stdout();
            write_doctor(&labgrade::run::probe(), &mut stdout).map_err(io("write to", "stdout"))?;
            Ok(exit::FULL_MARKS)
        }
        Command::Supervise
        | Command::Publish { .. }
        | Command::Batch { .. }
        | Command::Merge { .. }
        | Command::Replay { .. } => {
            unreachable!("handled in main")
        }
    }
}

fn course_root(root: Option<PathBuf>) -> Result<PathBuf, Error> {
    let start = match root {
        Some(root) => root,
        None => std::env::current_dir().map_err(io("read", "."))?,
    };
    course::find_root(&start)
}

fn grader(seed: Option<u64>) -> Result<Grader, Error> {
    grader_with_slots(seed, 1)
}

fn grader_with_slots(seed: Option<u64>, build_slots: usize) -> Result<Grader, Error> {
    let exe = std::env::current_exe().map_err(io("find the path of", "labgrade"))?;
    let options = GradeOptions {
        seed,
        toolchain: Toolchain {
            cargo: default_cargo(),
            cache_dir: default_cache_dir(),
            build_slots,
        },
    };
    Ok(Grader::new(Runner::new(exe), options))
}

fn write_grade(grade: &Grade, options: &Options) -> Result<u8, Error> {
    reports::write(grade, options.format, &options.report, options.verbose)?;
    Ok(if grade.status == GradeStatus::Incomplete {
        exit::CANNOT_GRADE
    } else if grade.is_full_marks() {
        exit::FULL_MARKS
    } else {
        exit::NOT_FULL_MARKS
    })
}

/// A percentage from 0 to 100, for `--min-score`.
fn parse_percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{text}` is not a number; give a percentage such as 80"))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("`{text}` is not a percentage from 0 to 100"))
    }
}

/// Whether a complete grade reaches `percent` of its maximum score (a rubric worth nothing
/// reaches any).
fn reaches(grade: &Grade, percent: f64) -> bool {
    grade.status == GradeStatus::Graded
        && (grade.max_score <= 0.0 || grade.score * 100.0 >= percent * grade.max_score - 1e-9)
}

/// Runs `labgrade publish`, says what was written and what was left out, and maps the result
/// to an exit code: 0 when written, 2 on bad input, 3 when a file could not be read or written.
fn publish_exit(root: Option<PathBuf>, out: &std::path::Path) -> ExitCode {
    let published = match course_root(root) {
        Ok(root) => labgrade::publish::publish(&root, out),
        Err(error) => Err(error.into()),
    };
    let published = match published {
        Ok(published) => published,
        Err(error) => return failure(&error, error.is_bad_input()),
    };
    let mut stdout = anstream::stdout();
    if let Err(error) = write_published(&published, &mut stdout).and_then(|()| stdout.flush()) {
        return failure(&format!("cannot write to stdout: {error}"), false);
    }
    ExitCode::from(exit::FULL_MARKS)
}

/// What `labgrade publish` wrote (a line per top-level entry, with its count of files) and
/// what it left out, and why.
fn write_published(
    published: &labgrade::publish::Published,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let inert =
        |path: &std::path::Path| labgrade::report::inert(&path.display().to_string()).into_owned();
    writeln!(
        out,
        "published {} files to {}\nwritten:",
        published.written.len(),
        inert(&published.out)
    )?;
    let mut counts: std::collections::BTreeMap<PathBuf, usize> = std::collections::BTreeMap::new();
    for file in &published.written {
        let top = file
            .components()
            .next()
            .map_or_else(PathBuf::new, |top| PathBuf::from(top.as_os_str()));
        *counts.entry(top).or_default() += 1;
    }
    for (top, count) in counts {
        let noun = if count == 1 { "file" } else { "files" };
        writeln!(out, "  {:<24} {count} {noun}", inert(&top))?;
    }
    writeln!(out, "left out:")?;
    for left in &published.left_out {
        writeln!(out, "  {:<48} {}", inert(&left.path), left.why)?;
    }
    for member in &published.members_dropped {
        writeln!(
            out,
            "  workspace member {:<31} its folder is not published",
            labgrade::report::inert(member)
        )?;
    }
    Ok(())
}

/// Runs `labgrade replay` and maps its result to an exit code: 0 when every case agrees with
/// the report, 1 when one does not, 2 on bad input, 3 when a case could not run.
fn replay_exit(request: &labgrade::replay::ReplayRequest) -> ExitCode {
    let outcome = grader(None)
        .map_err(labgrade::replay::ReplayError::from)
        .and_then(|grader| labgrade::replay::replay(&grader, request));
    match outcome {
        Ok(outcome) => {
            let mut stdout = anstream::stdout();
            if let Err(error) =
                labgrade::replay::write_replay(&outcome, &mut stdout).and_then(|()| stdout.flush())
            {
                return failure(&format!("cannot write to stdout: {error}"), false);
            }
            ExitCode::from(if outcome.agrees() {
                exit::FULL_MARKS
            } else {
                exit::NOT_FULL_MARKS
            })
        }
        Err(error) => failure(&error, error.is_bad_input()),
    }
}

/// The arguments of `labgrade batch`.
#[derive(Debug, clap::Args)]
struct BatchArgs {
    /// Folder with one entry per student.
    dir: PathBuf,
    /// The rubric, such as `rubrics/sum-array.toml`.
    #[arg(long)]
    rubric: PathBuf,
    /// Output folder: gradebook.csv, summary.txt, report.html, reports/, feedback/, journal/.
    #[arg(long)]
    out: PathBuf,
    /// Students graded at once; the number of cores by default.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Grade only shard K of N (K from 1), such as `--shard 2/4`; see docs/batch.md.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Number of shards when the shard index comes from `JOB_COMPLETION_INDEX` (Kubernetes
    /// Indexed Jobs) or `SLURM_ARRAY_TASK_ID`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    shard_count: Option<u32>,
    /// Grade every student again, even those whose earlier result still holds.
    #[arg(long)]
    regrade: bool,
    /// Print no progress, only errors and the summary.
    #[arg(long, short)]
    quiet: bool,
    /// Seed of every grading run, to replay a batch; fresh per student by default.
    #[arg(long)]
    seed: Option<u64>,
    /// Also write the class's report in FORMAT to PATH: `--report junit=class.xml` writes one
    /// `JUnit` file with a test suite per student (`junit` only).
    #[arg(long, value_name = "junit=PATH", value_parser = reports::parse_class_target)]
    report: Vec<PathBuf>,
    /// The class download's layout: moodle, canvas, gradescope, github-classroom or folders;
    /// recognised from its names by default. DIR may also be the LMS's `.zip`.
    #[arg(long, value_name = "LMS", value_parser = Source::from_name)]
    from: Option<Source>,
    /// Also write the gradebook an LMS imports: canvas (needs `--assignment`) or moodle, to
    /// gradebook-<lms>.csv; plain writes gradebook.csv alone.
    #[arg(long, value_name = "FORMAT", default_value = "plain", value_parser = GradebookExport::NAMES)]
    gradebook: String,
    /// The assignment's column in Canvas's gradebook, as its export names it: "Lab 1 (12345)".
    #[arg(long, value_name = "COLUMN")]
    assignment: Option<String>,
    /// CSV file with an `id` column and any of `name`, `email`, `sis_user_id`, `sis_login_id`,
    /// `section`: who the students are, for the gradebook exports.
    #[arg(long, value_name = "FILE.csv")]
    roster: Option<PathBuf>,
}

fn batch(args: BatchArgs) -> Result<BatchResult, BatchError> {
    let gradebook = GradebookExport::from_name(&args.gradebook, args.assignment.as_deref())
        .map_err(BatchError::Layout)?;
    let explicit = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(BatchError::Shard)?;
    let (shard, shard_source) =
        resolve_shard(explicit, args.shard_count, &|name| std::env::var(name).ok())
            .map_err(BatchError::Shard)?;
    let rubric = rubric::load(&args.rubric).map_err(Error::from)?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        usize::from,
    );
    // As many build slots as jobs, so that builds never wait for each other.
    let grader = grader_with_slots(args.seed, jobs)?;
    let options = BatchOptions {
        dir: args.dir,
        out: args.out,
        jobs,
        shard,
        shard_source,
        regrade: args.regrade,
        limits: Limits::default(),
        // Relative to the current folder, so that a bare file name has a folder too.
        class_junit: args
            .report
            .iter()
            .map(|path| std::path::absolute(path).unwrap_or_else(|_| path.clone()))
            .collect(),
        from: args.from,
        roster: args.roster,
        gradebook,
    };
    let progress = progress::for_stderr(args.quiet);
    let result = labgrade::batch::run(&grader, &rubric, &options, progress.as_ref())?;
    drop(progress);
    print_summary(&result);
    Ok(result)
}

fn merge(
    shards: &[PathBuf],
    out: &std::path::Path,
    quiet: bool,
) -> Result<BatchResult, BatchError> {
    let result = labgrade::batch::merge(shards, out)?;
    if !quiet {
        print_summary(&result);
    }
    Ok(result)
}

fn print_summary(result: &BatchResult) {
    let mut stdout = anstream::stdout();
    // The summary is also in `summary.txt`; a closed stdout loses nothing.
    let _ = write_summary(&result.summary, &mut stdout);
    let layout = labgrade::batch::Layout::new(&result.out);
    let _ = writeln!(stdout, "\ngradebook: {}", layout.gradebook().display());
    if let Some(export) = &result.gradebook_export {
        let _ = writeln!(stdout, "LMS gradebook: {}", export.display());
    }
    let _ = writeln!(stdout, "class report: {}", layout.html().display());
    let _ = stdout.flush();
}

/// Exit code of `batch` and `merge`: 0 when every student was graded, whatever the scores (an
/// unreadable submission is the student's failure, like a graded 0).
fn batch_exit(result: Result<BatchResult, BatchError>) -> ExitCode {
    match result {
        Ok(result) if result.has_errors() => {
            let mut stderr = anstream::stderr();
            let _ = writeln!(
                stderr,
                "labgrade: {} student(s) could not be graded in full (see `status` in the gradebook); run the same command again to retry them",
                result.summary.errors + result.summary.incomplete
            );
            ExitCode::from(exit::CANNOT_GRADE)
        }
        Ok(_) => ExitCode::from(exit::FULL_MARKS),
        Err(error) => failure(&error, error.is_bad_input()),
    }
}

/// Progress on stderr of `labgrade batch` (a bar on a terminal, plain lines otherwise: logs,
/// CI) and of `grade` and `check` (a spinner, or a line per step); nothing with `--quiet`.
mod progress {
    use std::io::{IsTerminal, Write};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use indicatif::{ProgressBar, ProgressStyle};
    use labgrade::batch::{Done, How, Plan, Progress, ShardSource, Silent};
    use labgrade::report::{inert_line, points};
    use labgrade::stage::{Observer, Stage, Unobserved};

    /// The progress output for stderr.
    pub(crate) fn for_stderr(quiet: bool) -> Box<dyn Progress> {
        if quiet {
            Box::new(Silent)
        } else if std::io::stderr().is_terminal() {
            Box::new(Bar::new())
        } else {
            Box::new(Lines::default())
        }
    }

    /// What `grade` and `check` are doing, on stderr: a spinner on a terminal, a line per
    /// step otherwise (logs, CI), nothing with `--quiet`.
    pub(crate) fn grading_on_stderr(quiet: bool) -> Arc<dyn Observer> {
        if quiet {
            Arc::new(Unobserved)
        } else if std::io::stderr().is_terminal() {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            spinner.enable_steady_tick(Duration::from_millis(100));
            Arc::new(Spinner(spinner))
        } else {
            Arc::new(StageLines)
        }
    }

    /// A step of grading in words.
    fn stage_text(stage: &Stage<'_>) -> String {
        match stage {
            Stage::Assembling => "copying the submission's files".to_owned(),
            Stage::Fetching => "fetching the exercise's dependencies".to_owned(),
            Stage::Building { first: true } => "building; the first build also compiles the exercise's dependencies, which takes a minute or two once".to_owned(),
            Stage::Building { first: false } => "building".to_owned(),
            Stage::Reusing => "these files were built before: reusing that build".to_owned(),
            Stage::Running {
                check,
                check_number,
                checks,
                case,
                case_number,
                cases,
            } => format!(
                "check {check_number} of {checks}, {}: case {} ({case_number} of {cases})",
                inert_line(check),
                inert_line(case)
            ),
        }
    }

    /// A spinner with the time spent and the step; cleared when dropped, before the report.
    #[derive(Debug)]
    struct Spinner(ProgressBar);

    impl Observer for Spinner {
        fn stage(&self, stage: &Stage<'_>) {
            self.0.set_message(stage_text(stage));
        }
    }

    impl Drop for Spinner {
        fn drop(&mut self) {
            self.0.finish_and_clear();
        }
    }

    /// A line per step, and per check rather than per case, for logs.
    #[derive(Debug)]
    struct StageLines;

    impl Observer for StageLines {
        fn stage(&self, stage: &Stage<'_>) {
            match stage {
                Stage::Assembling => {}
                Stage::Running { case_number, .. } if *case_number > 1 => {}
                Stage::Running {
                    check,
                    check_number,
                    checks,
                    ..
                } => line(&format!(
                    "labgrade: check {check_number} of {checks}, {}",
                    inert_line(check)
                )),
                _ => line(&format!("labgrade: {}", stage_text(stage))),
            }
        }
    }

    /// The first line: what will be graded.
    fn plan_line(plan: &Plan) -> String {
        let shard = match plan.shard_source {
            ShardSource::Whole => String::new(),
            ShardSource::Argument => {
                format!(" (shard {} of {} students)", plan.shard, plan.all_students)
            }
            ShardSource::Kubernetes => format!(
                " (shard {} from JOB_COMPLETION_INDEX, of {} students)",
                plan.shard, plan.all_students
            ),
            ShardSource::Slurm => format!(
                " (shard {} from SLURM_ARRAY_TASK_ID, of {} students)",
                plan.shard, plan.all_students
            ),
        };
        format!(
            "{} students{shard}: {} reused from an earlier run, {} to grade with {} job{}",
            plan.students,
            plan.reused,
            plan.to_grade,
            plan.jobs,
            if plan.jobs == 1 { "" } else { "s" }
        )
    }

    fn score(done: &Done<'_>) -> String {
        done.score.map_or_else(
            || "-".to_owned(),
            |score| format!("{}/{}", points(score), points(done.max_score)),
        )
    }

    /// A student id and a note are the student's (a folder or archive name, what was wrong with
    /// their archive): both are shown through `inert_line`, so that a log or terminal never
    /// receives their control characters.
    fn note_of(done: &Done<'_>) -> String {
        done.note
            .map(|note| format!(" ({})", inert_line(note)))
            .unwrap_or_default()
    }

    /// One line per student, for logs.
    #[derive(Default)]
    struct Lines {
        /// Students graded so far, and how many there are to grade.
        counts: Mutex<(usize, usize)>,
    }

    /// Writes one line of progress.
    fn line(text: &str) {
        // Progress that cannot be written is not worth stopping a batch for.
        let _ = writeln!(anstream::stderr(), "{text}");
    }

    impl Progress for Lines {
        fn plan(&self, plan: &Plan) {
            self.counts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .1 = plan.to_grade;
            line(&plan_line(plan));
        }

        fn done(&self, done: &Done<'_>) {
            let note = note_of(done);
            let student = inert_line(done.student);
            if done.how == How::Reused {
                line(&format!("reused {student} {}{note}", score(done)));
                return;
            }
            let (count, total) = {
                let mut counts = self
                    .counts
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                counts.0 += 1;
                *counts
            };
            let word = match done.how {
                How::Error => "error",
                How::Unreadable => "unreadable",
                How::Graded | How::Reused => "graded",
            };
            line(&format!(
                "[{count}/{total}] {word} {student} {} in {:.1} s{note}",
                score(done),
                done.seconds
            ));
        }
    }

    /// A progress bar with done/total, rate and ETA.
    struct Bar {
        bar: ProgressBar,
    }

    impl Bar {
        fn new() -> Self {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} students · {per_sec} · ETA {eta} · {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            Self { bar }
        }
    }

    impl Progress for Bar {
        fn plan(&self, plan: &Plan) {
            self.bar.println(plan_line(plan));
            self.bar.set_length(plan.to_grade as u64);
        }

        fn started(&self, student: &str) {
            self.bar
                .set_message(format!("grading {}", inert_line(student)));
        }

        fn done(&self, done: &Done<'_>) {
            match done.how {
                How::Reused => {}
                How::Graded => {
                    self.bar
                        .set_message(format!("{} {}", inert_line(done.student), score(done)));
                    self.bar.inc(1);
                }
                How::Error | How::Unreadable => {
                    let (word, otherwise) = if done.how == How::Error {
                        ("error", "labgrade could not grade it")
                    } else {
                        ("unreadable", "labgrade could not read it")
                    };
                    self.bar.println(format!(
                        "{word} {}: {}",
                        inert_line(done.student),
                        inert_line(done.note.unwrap_or(otherwise))
                    ));
                    self.bar.inc(1);
                }
            }
        }

        fn finished(&self) {
            self.bar.finish_and_clear();
        }
    }
}

/// Says why labgrade stopped, on stderr, and gives the exit code: bad input, or could not grade.
/// The message may name a submission's files, so its control characters are shown, not sent.
fn failure(error: &dyn std::fmt::Display, bad_input: bool) -> ExitCode {
    let mut stderr = anstream::stderr();
    // Nothing better can be done if stderr itself is gone.
    let _ = writeln!(
        stderr,
        "labgrade: {}",
        labgrade::report::inert(&error.to_string())
    );
    ExitCode::from(if bad_input {
        exit::BAD_INPUT
    } else {
        exit::CANNOT_GRADE
    })
}

/// The reports of `--format` and `--report`: files beside stdout, GitHub's step summary, and a
/// batch's class report.
mod reports {
    use std::fs::{File, OpenOptions};
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use labgrade::grade::Grade;
    use labgrade::report::{Format, Human, Reporter, write_step_summary};
    use labgrade::{Error, io};

    /// The folder GitHub annotations name files relative to: `$GITHUB_WORKSPACE`, else the
    /// current folder.
    fn workspace() -> Option<PathBuf> {
        std::env::var_os("GITHUB_WORKSPACE")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
    }

    /// The reporter of `format`; a human report lists every containment measure when
    /// `verbose`.
    fn reporter(format: Format, verbose: bool) -> Box<dyn Reporter> {
        if format == Format::Human {
            Box::new(Human { verbose })
        } else {
            format.reporter_in(workspace())
        }
    }

    /// Writes `grade` in `format` to stdout and in every `--report` format to its file; with a
    /// `github` report, appends a table to `$GITHUB_STEP_SUMMARY` when it is set.
    pub(crate) fn write(
        grade: &Grade,
        format: Format,
        targets: &[(Format, PathBuf)],
        verbose: bool,
    ) -> Result<(), Error> {
        for (target, path) in targets {
            let mut file = File::create(path).map_err(io("create", path))?;
            reporter(*target, verbose)
                .report(grade, &mut file)
                .and_then(|()| file.flush())
                .map_err(io("write", path))?;
        }
        let mut stdout = anstream::stdout();
        reporter(format, verbose)
            .report(grade, &mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(io("write to", Path::new("stdout")))?;
        let github =
            format == Format::Github || targets.iter().any(|(target, _)| *target == Format::Github);
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|_| github) {
            let summary = PathBuf::from(summary);
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&summary)
                .map_err(io("open", &summary))?;
            write_step_summary(grade, &mut file).map_err(io("write", &summary))?;
        }
        Ok(())
    }

    /// A batch's `--report`: only `junit` has a class form, so the path is all there is to keep.
    pub(crate) fn parse_class_target(text: &str) -> Result<PathBuf, String> {
        let (format, path) = Format::parse_target(text)?;
        if format == Format::Junit {
            Ok(path)
        } else {
            Err("a batch writes only `junit` class reports (`junit=PATH`); each student's JSON report and feedback are in the output folder already".to_owned())
        }
    }
}
