//! `labgrade selfcheck`: proves the course (solutions, skeletons, fixtures, mutants).

use labgrade::report::write_selfcheck;
use labgrade::{io, selfcheck};

use crate::args::SelfcheckArgs;
use crate::exit::{Exit, Stopped};
use crate::setup;

/// Checks the course and writes its findings; exits 1 when one is a problem.
pub(crate) fn run(args: SelfcheckArgs) -> Result<Exit, Stopped> {
    let SelfcheckArgs {
        root,
        seed,
        exercise,
        fixtures,
    } = args;
    let root = setup::course_root(root)?;
    let fixtures = fixtures.or_else(|| {
        let default = root.join("tests").join("fixtures");
        default.is_dir().then_some(default)
    });
    let options = selfcheck::SelfcheckOptions {
        exercises: exercise,
        fixtures,
    };
    let findings = selfcheck::selfcheck(&root, &setup::grader(seed)?, &options)?;
    write_selfcheck(&findings, &mut anstream::stdout()).map_err(io("write to", "stdout"))?;
    Ok(if findings.iter().all(|finding| finding.ok) {
        Exit::Success
    } else {
        Exit::Failure
    })
}
