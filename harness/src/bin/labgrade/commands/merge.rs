//! `labgrade merge`: joins the output folders of a batch's shards into one gradebook.

use super::batch::{exit, print_summary};
use crate::args::MergeArgs;
use crate::exit::{Exit, Stopped};

/// Merges the shards into `args.out` and prints the summary unless `--quiet`; exits as the
/// whole batch would.
pub(crate) fn run(args: MergeArgs) -> Result<Exit, Stopped> {
    let MergeArgs { shards, out, quiet } = args;
    let result = labgrade::batch::merge(&shards, &out)?;
    if !quiet {
        print_summary(&result);
    }
    Ok(exit(&result))
}
