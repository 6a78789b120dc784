//! The `labgrade` command line: parses the arguments, calls the library, maps the result to an
//! exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use labgrade::batch::{BatchError, BatchOptions, BatchResult, Limits, Shard, resolve_shard};
use labgrade::compile::Toolchain;
use labgrade::grade::{Grade, GradeStatus};
use labgrade::grader::{GradeOptions, Grader, default_cache_dir, default_cargo};
use labgrade::report::{Format, write_doctor, write_selfcheck, write_summary};
use labgrade::run::Runner;
use labgrade::{Error, course, rubric, selfcheck};

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
        /// Folder with the submission: a copy of the exercise package, or only the files the
        /// rubric lists, at the same relative paths.
        submission: PathBuf,
        /// The rubric, such as `rubrics/sum-array.toml`.
        #[arg(long)]
        rubric: PathBuf,
        #[command(flatten)]
        options: Options,
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
    /// Prove that every reference solution earns full marks and every skeleton does not.
    Selfcheck {
        /// The course folder; found from the current folder by default.
        #[arg(long)]
        root: Option<PathBuf>,
        /// Seed of the grading runs; fresh by default.
        #[arg(long)]
        seed: Option<u64>,
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
    /// Say what containment this machine offers and what labgrade uses of it.
    Doctor,
    /// Run one job under supervision (internal: labgrade starts itself this way).
    #[command(name = "__supervise", hide = true)]
    Supervise,
}

#[derive(Debug, clap::Args)]
struct Options {
    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Seed of the grading run, to replay one; fresh by default.
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
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
            options,
        } => {
            let rubric = rubric::load(&rubric)?;
            let grade = grader(options.seed)?.grade(&rubric, &submission)?;
            write_grade(&grade, options.format)
        }
        Command::Check {
            exercise,
            root,
            options,
        } => {
            let root = course_root(root)?;
            let rubric = rubric::load(&course::rubric_path(&root, &exercise)?)?;
            let submission = rubric.exercise.package.clone();
            let grade = grader(options.seed)?.grade(&rubric, &submission)?;
            write_grade(&grade, options.format)
        }
        Command::Selfcheck { root, seed } => {
            let root = course_root(root)?;
            let findings = selfcheck::selfcheck(&root, &grader(seed)?)?;
            write_selfcheck(&findings, &mut anstream::stdout()).map_err(|source| Error::Io {
                action: "write to",
                path: "stdout".into(),
                source,
            })?;
            Ok(if findings.iter().all(|finding| finding.ok) {
                exit::FULL_MARKS
            } else {
                exit::NOT_FULL_MARKS
            })
        }
        Command::Doctor => {
            let mut stdout = anstream::stdout();
            write_doctor(&labgrade::run::probe(), &mut stdout).map_err(|source| Error::Io {
                action: "write to",
                path: "stdout".into(),
                source,
            })?;
            Ok(exit::FULL_MARKS)
        }
        Command::Supervise | Command::Batch { .. } | Command::Merge { .. } => {
            unreachable!("handled in main")
        }
    }
}

fn course_root(root: Option<PathBuf>) -> Result<PathBuf, Error> {
    let start = match root {
        Some(root) => root,
        None => std::env::current_dir().map_err(|source| Error::Io {
            action: "read",
            path: ".".into(),
            source,
        })?,
    };
    course::find_root(&start)
}

fn grader(seed: Option<u64>) -> Result<Grader, Error> {
    grader_with_slots(seed, 1)
}

fn grader_with_slots(seed: Option<u64>, build_slots: usize) -> Result<Grader, Error> {
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        action: "find the path of",
        path: "labgrade".into(),
        source,
    })?;
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

fn write_grade(grade: &Grade, format: FormatArg) -> Result<u8, Error> {
    let format = match format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
    };
    let mut stdout = anstream::stdout();
    format
        .reporter()
        .report(grade, &mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(|source| Error::Io {
            action: "write to",
            path: "stdout".into(),
            source,
        })?;
    Ok(if grade.status == GradeStatus::Incomplete {
        exit::CANNOT_GRADE
    } else if grade.is_full_marks() {
        exit::FULL_MARKS
    } else {
        exit::NOT_FULL_MARKS
    })
}

/// The arguments of `labgrade batch`.
#[derive(Debug, clap::Args)]
struct BatchArgs {
    /// Folder with one entry per student.
    dir: PathBuf,
    /// The rubric, such as `rubrics/sum-array.toml`.
    #[arg(long)]
    rubric: PathBuf,
    /// Output folder: gradebook.csv, summary.txt, reports/, feedback/, journal/.
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
}

fn batch(args: BatchArgs) -> Result<BatchResult, BatchError> {
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
    let _ = writeln!(
        stdout,
        "\ngradebook: {}",
        result.out.join("gradebook.csv").display()
    );
    let _ = stdout.flush();
}

/// Exit code of `batch` and `merge`: 0 when every student was graded, whatever the scores.
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

/// Progress of `labgrade batch` on stderr: a bar on a terminal, plain lines otherwise (logs,
/// CI), nothing with `--quiet`.
mod progress {
    use std::io::{IsTerminal, Write};
    use std::sync::Mutex;
    use std::time::Duration;

    use indicatif::{ProgressBar, ProgressStyle};
    use labgrade::batch::{Done, How, Plan, Progress, ShardSource, Silent};
    use labgrade::report::points;

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
            let note = done
                .note
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            if done.how == How::Reused {
                line(&format!("reused {} {}{note}", done.student, score(done)));
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
            let word = if done.how == How::Error {
                "error"
            } else {
                "graded"
            };
            line(&format!(
                "[{count}/{total}] {word} {} {} in {:.1} s{note}",
                done.student,
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
            self.bar.set_message(format!("grading {student}"));
        }

        fn done(&self, done: &Done<'_>) {
            match done.how {
                How::Reused => {}
                How::Graded => {
                    self.bar
                        .set_message(format!("{} {}", done.student, score(done)));
                    self.bar.inc(1);
                }
                How::Error => {
                    self.bar.println(format!(
                        "error {}: {}",
                        done.student,
                        done.note.unwrap_or("labgrade could not grade it")
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
fn failure(error: &dyn std::fmt::Display, bad_input: bool) -> ExitCode {
    let mut stderr = anstream::stderr();
    // Nothing better can be done if stderr itself is gone.
    let _ = writeln!(stderr, "labgrade: {error}");
    ExitCode::from(if bad_input {
        exit::BAD_INPUT
    } else {
        exit::CANNOT_GRADE
    })
}
