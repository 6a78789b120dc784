//! `labgrade grade`: grades a submission against a rubric and writes its reports.

use labgrade::grade::{Grade, GradeStatus};
use labgrade::{Error, rubric};

use crate::args::{GradeArgs, Options};
use crate::exit::{Exit, Stopped};
use crate::{progress, reports, setup};

/// Grades `args.submission`; with `--min-score`, a grade short of full marks that reaches it
/// exits 0.
pub(crate) fn run(args: GradeArgs) -> Result<Exit, Stopped> {
    let GradeArgs {
        submission,
        rubric,
        min_score,
        options,
    } = args;
    let rubric = rubric::load(&rubric).map_err(Error::from)?;
    let shown = progress::grading_on_stderr(options.quiet);
    let grader = setup::grader(options.seed)?
        .every_run(options.every_run)
        .observed_by(shown.clone());
    let grade = labgrade::batch::grade_handed_in(&grader, &rubric, &submission)?;
    // The last holds on the spinner: it is cleared before the report is written.
    drop(grader);
    drop(shown);
    let code = write_grade(&grade, &options)?;
    Ok(match min_score {
        Some(percent) if code == Exit::Failure && reaches(&grade, percent) => Exit::Success,
        _ => code,
    })
}

/// Writes the reports of `grade` (`--format`, `--report`) and gives its exit code: also that of
/// `labgrade check`.
pub(crate) fn write_grade(grade: &Grade, options: &Options) -> Result<Exit, Error> {
    reports::write(grade, options.format, &options.report, options.verbose)?;
    Ok(if grade.status == GradeStatus::Incomplete {
        Exit::CannotGrade
    } else if grade.is_full_marks() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// Whether a complete grade reaches `percent` of its maximum score (a rubric worth nothing
/// reaches any).
fn reaches(grade: &Grade, percent: f64) -> bool {
    grade.status == GradeStatus::Graded
        && (grade.max_score <= 0.0 || grade.score * 100.0 >= percent * grade.max_score - 1e-9)
}
