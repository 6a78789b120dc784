//! The `labgrade` command line: parses the arguments, calls the library, maps the result to an
//! exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use labgrade::compile::Toolchain;
use labgrade::grade::{Grade, GradeStatus};
use labgrade::grader::{GradeOptions, Grader, default_cache_dir, default_cargo};
use labgrade::report::{Format, write_doctor, write_selfcheck};
use labgrade::run::Runner;
use labgrade::{Error, course, rubric, selfcheck};

/// Exit codes, one per kind of result.
mod exit {
    /// Graded with full marks; or the self-check passed.
    pub(crate) const FULL_MARKS: u8 = 0;
    /// Graded, short of full marks; or the self-check found a problem.
    pub(crate) const NOT_FULL_MARKS: u8 = 1;
    /// Bad input: an invalid rubric, a missing submission, a wrong argument.
    pub(crate) const BAD_INPUT: u8 = 2;
    /// labgrade could not grade (toolchain, machine, or labgrade itself), or graded only part.
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
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let mut stderr = anstream::stderr();
            // Nothing better can be done if stderr itself is gone.
            let _ = writeln!(stderr, "labgrade: {error}");
            ExitCode::from(if error.is_bad_input() {
                exit::BAD_INPUT
            } else {
                exit::CANNOT_GRADE
            })
        }
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
        Command::Supervise => unreachable!("handled in main"),
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
