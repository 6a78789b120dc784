//! The command line's arguments: one type per command, parsed by clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use labgrade::batch::lms::Source;
use labgrade::report::{Format, GradebookExport};

use crate::reports;

/// Grades operating-systems lab exercises written in Rust.
#[derive(Debug, Parser)]
#[command(version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What labgrade is asked to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Grade a submission against a rubric.
    Grade(GradeArgs),
    /// Run one case of a JSON report again, and say whether it passes or fails as the report
    /// says.
    ///
    /// The submission and rubric are the report's (`submission` or a batch's `entry`, and
    /// `rubric`) unless given. Exit code 0 when every replayed case passes or fails as
    /// recorded, 1 when one does not, 2 on bad input (an unknown check or case: the error
    /// lists the report's), 3 when the case could not run.
    Replay(ReplayArgs),
    /// Grade your own working copy of an exercise (`exercises/<EXERCISE>`).
    Check(CheckArgs),
    /// Prove the course: every README lists what its rubric grades, every reference solution
    /// and correct fixture earns full marks, every skeleton does not, and every requirement has
    /// a mutant that loses exactly its points.
    Selfcheck(SelfcheckArgs),
    /// Grade a whole class: every entry of DIR (a folder, a git working tree, a .zip, .tar.gz
    /// or .tgz) is one student's submission, named by the entry.
    ///
    /// Results go to OUT as each student finishes; running the same command again grades only
    /// what is missing or changed. Exit code 0 when every student was graded (whatever their
    /// scores), 2 on bad input, 3 when labgrade could not grade some student.
    Batch(BatchArgs),
    /// Join the output folders of the shards of a batch into one gradebook.
    Merge(MergeArgs),
    /// Write a copy of the course that students' CI may clone: the harness, the rubrics, each
    /// exercise's skeleton, without a reference solution, a fixture or the git history.
    ///
    /// Whatever students' CI can read, a student can read: they edit the workflow in their own
    /// pull request. Publish refuses to write a file equal to a reference solution's or a
    /// correct fixture's. Exit code 0 when written, 2 on bad input (OUT inside the course or
    /// not empty, a skeleton equal to its solution), 3 when a file could not be read or written.
    Publish(PublishArgs),
    /// Say what containment this machine offers and what labgrade uses of it.
    Doctor,
    /// Run one job under supervision (internal: labgrade starts itself this way).
    #[command(name = "__supervise", hide = true)]
    Supervise,
}

/// The arguments of `labgrade grade`.
#[derive(Debug, clap::Args)]
pub(crate) struct GradeArgs {
    /// The submission: a folder with a copy of the exercise package or only the files the
    /// rubric lists at the same relative paths (or by name alone, side by side), or a
    /// .zip, .tar.gz or .tgz archive of one.
    pub(crate) submission: PathBuf,
    /// The rubric, such as `rubrics/sum-array.toml`.
    #[arg(long)]
    pub(crate) rubric: PathBuf,
    /// Exit 0 when the score reaches this percentage of the maximum (0 to 100), even short
    /// of full marks; 1 below it. For CI on pull requests.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub(crate) min_score: Option<f64>,
    #[command(flatten)]
    pub(crate) options: Options,
}

/// The arguments of `labgrade replay`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The JSON report: `labgrade grade --format json`, or a batch's `reports/<id>.json`.
    pub(crate) report: PathBuf,
    /// `<check-id>/<case>`, such as `threads-sum/workers=3`; a check id alone replays every
    /// case of the check.
    pub(crate) target: String,
    /// The submission (folder or archive) instead of the report's.
    #[arg(long)]
    pub(crate) submission: Option<PathBuf>,
    /// The rubric instead of the report's.
    #[arg(long)]
    pub(crate) rubric: Option<PathBuf>,
}

/// The arguments of `labgrade check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Exercise name, such as `sum-array`.
    pub(crate) exercise: String,
    /// The course folder (with `rubrics/` and `exercises/`); found from the current folder
    /// by default.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) options: Options,
}

/// The arguments of `labgrade selfcheck`.
#[derive(Debug, clap::Args)]
pub(crate) struct SelfcheckArgs {
    /// The course folder; found from the current folder by default.
    #[arg(long)]
    pub(crate) root: Option<PathBuf>,
    /// Seed of the grading runs; fresh by default.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Only this exercise; repeatable. Every exercise by default.
    #[arg(long, value_name = "NAME")]
    pub(crate) exercise: Vec<String>,
    /// The folder of fixtures, one folder per exercise holding one folder per fixture with
    /// its `fixture.toml`; `tests/fixtures` of the course by default, when it exists.
    #[arg(long, value_name = "DIR")]
    pub(crate) fixtures: Option<PathBuf>,
}

/// The arguments of `labgrade batch`.
#[derive(Debug, clap::Args)]
pub(crate) struct BatchArgs {
    /// Folder with one entry per student.
    pub(crate) dir: PathBuf,
    /// The rubric, such as `rubrics/sum-array.toml`.
    #[arg(long)]
    pub(crate) rubric: PathBuf,
    /// Output folder: gradebook.csv, summary.txt, report.html, reports/, feedback/, journal/.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Students graded at once; the number of cores by default.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) jobs: Option<u16>,
    /// Grade only shard K of N (K from 1), such as `--shard 2/4`; see docs/batch.md.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
    /// Number of shards when the shard index comes from `JOB_COMPLETION_INDEX` (Kubernetes
    /// Indexed Jobs) or `SLURM_ARRAY_TASK_ID`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) shard_count: Option<u32>,
    /// Grade every student again, even those whose earlier result still holds.
    #[arg(long)]
    pub(crate) regrade: bool,
    /// Print no progress, only errors and the summary.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Seed of every grading run, to replay a batch; fresh per student by default.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Also write the class's report in FORMAT to PATH: `--report junit=class.xml` writes one
    /// `JUnit` file with a test suite per student (`junit` only).
    #[arg(long, value_name = "junit=PATH", value_parser = reports::parse_class_target)]
    pub(crate) report: Vec<PathBuf>,
    /// The class download's layout; recognised from its names by default. DIR may also be the
    /// LMS's `.zip`.
    #[arg(long, value_name = "LMS")]
    pub(crate) from: Option<Source>,
    /// Also write the gradebook an LMS imports: canvas (needs `--assignment`) or moodle, to
    /// gradebook-<lms>.csv; plain writes gradebook.csv alone.
    #[arg(long, value_name = "FORMAT", default_value = "plain")]
    pub(crate) gradebook: Gradebook,
    /// The assignment's column in Canvas's gradebook, as its export names it: "Lab 1 (12345)".
    #[arg(long, value_name = "COLUMN")]
    pub(crate) assignment: Option<String>,
    /// CSV file with an `id` column and any of `name`, `email`, `sis_user_id`, `sis_login_id`,
    /// `section`: who the students are, for the gradebook exports.
    #[arg(long, value_name = "FILE.csv")]
    pub(crate) roster: Option<PathBuf>,
}

/// The arguments of `labgrade merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// Output folders of `labgrade batch --shard`, one per shard.
    #[arg(required = true)]
    pub(crate) shards: Vec<PathBuf>,
    /// Output folder of the merged batch.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Do not print the summary.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// The arguments of `labgrade publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// The folder to write, new or empty, outside the course, such as `../course-public`.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// The course folder; found from the current folder by default.
    #[arg(long, visible_alias = "course")]
    pub(crate) root: Option<PathBuf>,
}

/// `--gradebook`: the LMS whose gradebook import is written beside `gradebook.csv`. Canvas's
/// also needs `--assignment`, so [`Gradebook::export`] makes the export of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Gradebook {
    // No doc comments: clap would list them in `--help` too, after the option's own words.
    Plain,
    Canvas,
    Moodle,
}

impl Gradebook {
    /// The export of this gradebook with Canvas's column `assignment` (`--assignment`): the
    /// library checks that Canvas has one.
    pub(crate) fn export(self, assignment: Option<&str>) -> Result<GradebookExport, String> {
        let value = self.to_possible_value().unwrap_or_default();
        GradebookExport::from_name(value.get_name(), assignment)
    }
}

/// The options `grade` and `check` share: how to grade, and which reports to write.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Report format.
    #[arg(long, default_value = "human")]
    pub(crate) format: Format,
    /// Seed of the grading run, to replay one; fresh by default.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Run every `repeat` of a case even after one failed (by default the first failed run
    /// decides and the rest are not run): to measure how often a check catches a program.
    #[arg(long)]
    pub(crate) every_run: bool,
    /// Also write the report in FORMAT (human, json, junit, gradescope, github) to PATH, such
    /// as `--report junit=junit.xml`; repeatable.
    #[arg(long, value_name = "FORMAT=PATH", value_parser = Format::parse_target)]
    pub(crate) report: Vec<(Format, PathBuf)>,
    /// List every containment measure of the runs in the human report (by default one plain
    /// sentence says what they mean).
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// Print nothing on stderr while grading (by default what labgrade is doing: building,
    /// then each check).
    #[arg(long, short)]
    pub(crate) quiet: bool,
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

#[cfg(test)]
mod tests {
    use clap::ValueEnum;
    use labgrade::batch::lms::Source;
    use labgrade::report::{Format, GradebookExport};

    use super::Gradebook;

    /// `--format` takes clap's names, `--report FORMAT=PATH` the library's: they are one list.
    #[test]
    fn every_format_has_one_name() {
        for (name, format) in Format::ALL {
            assert_eq!(Format::from_str(name, false), Ok(format));
        }
        assert_eq!(Format::value_variants().len(), Format::ALL.len());
    }

    /// The manifest and messages name a class download as `--from` does.
    #[test]
    fn every_source_has_one_name() {
        for source in Source::value_variants() {
            assert_eq!(Source::from_str(source.name(), false), Ok(*source));
        }
    }

    #[test]
    fn every_gradebook_is_one_the_library_exports() {
        let names: Vec<String> = Gradebook::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .map(|value| value.get_name().to_owned())
            .collect();
        assert_eq!(names, GradebookExport::NAMES);
        assert_eq!(
            Gradebook::Canvas.export(Some("Lab 1 (12345)")),
            Ok(GradebookExport::Canvas {
                assignment: "Lab 1 (12345)".to_owned()
            })
        );
        assert_eq!(Gradebook::Moodle.export(None), Ok(GradebookExport::Moodle));
        assert!(Gradebook::Canvas.export(None).is_err());
    }
}
