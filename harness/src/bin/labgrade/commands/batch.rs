//! `labgrade batch`: grades a whole class into an output folder.

use std::io::Write;

use labgrade::batch::{BatchError, BatchOptions, BatchResult, ExtractLimits, Shard, resolve_shard};
use labgrade::report::write_summary;
use labgrade::{Error, rubric};

use crate::args::BatchArgs;
use crate::exit::{Exit, Stopped};
use crate::{progress, setup};

/// Grades the class and prints the summary: 0 when every student was graded, whatever their
/// scores, 2 on bad input, 3 when some student could not be graded.
pub(crate) fn run(args: BatchArgs) -> Result<Exit, Stopped> {
    Ok(exit(&batch(args)?))
}

/// Grades the class as `args` say, then prints the summary.
fn batch(args: BatchArgs) -> Result<BatchResult, BatchError> {
    let gradebook = args
        .gradebook
        .export(args.assignment.as_deref())
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
    let grader = setup::grader_with_slots(args.seed, jobs)?;
    let options = BatchOptions {
        dir: args.dir,
        out: args.out,
        jobs,
        shard,
        shard_source,
        regrade: args.regrade,
        limits: ExtractLimits::default(),
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

/// The summary of a batch or merge, on stdout, and where its gradebooks and class report are.
pub(crate) fn print_summary(result: &BatchResult) {
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
pub(crate) fn exit(result: &BatchResult) -> Exit {
    if result.has_errors() {
        let mut stderr = anstream::stderr();
        let _ = writeln!(
            stderr,
            "labgrade: {} student(s) could not be graded in full (see `status` in the gradebook); run the same command again to retry them",
            result.summary.errors + result.summary.incomplete
        );
        Exit::CannotGrade
    } else {
        Exit::Success
    }
}
