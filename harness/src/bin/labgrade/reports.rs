//! The reports of `--format` and `--report`: files beside stdout, GitHub's step summary, and a
//! batch's class report.

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
