//! `labgrade check`: a student grades their own working copy of an exercise.

use labgrade::{Error, course, rubric};

use super::grade::write_grade;
use crate::args::CheckArgs;
use crate::exit::{Exit, Stopped};
use crate::{progress, setup};

/// Grades `exercises/<exercise>` of the course against its rubric, as the rubric lets a
/// student see it.
pub(crate) fn run(args: CheckArgs) -> Result<Exit, Stopped> {
    let CheckArgs {
        exercise,
        root,
        options,
    } = args;
    let root = setup::course_root(root)?;
    let rubric = rubric::load(&course::rubric_path(&root, &exercise)?).map_err(Error::from)?;
    let submission = rubric.exercise.package.clone();
    let shown = progress::grading_on_stderr(options.quiet);
    let grade = setup::grader(options.seed)?
        .every_run(options.every_run)
        .observed_by(shown.clone())
        .grade_for_student(&rubric, &submission)?;
    drop(shown);
    Ok(write_grade(&grade, &options)?)
}
