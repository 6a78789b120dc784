//! `labgrade replay`: runs one case of a JSON report again and says whether it agrees.

use std::io::Write;

use labgrade::replay::{ReplayRequest, replay, write_replay};

use crate::args::ReplayArgs;
use crate::exit::{Exit, Stopped};
use crate::setup;

/// Replays the case and writes what it did now beside what the report says: 0 when every case
/// agrees with the report, 1 when one does not, 2 on bad input, 3 when a case could not run.
pub(crate) fn run(args: ReplayArgs) -> Result<Exit, Stopped> {
    let ReplayArgs {
        report,
        target,
        submission,
        rubric,
    } = args;
    let request = ReplayRequest {
        report,
        target,
        submission,
        rubric,
    };
    let outcome = replay(&setup::grader(None)?, &request)?;
    let mut stdout = anstream::stdout();
    write_replay(&outcome, &mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(|error| Stopped::stdout(&error))?;
    Ok(if outcome.agrees() {
        Exit::Success
    } else {
        Exit::Failure
    })
}
