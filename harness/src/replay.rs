//! `labgrade replay`: runs one case of a JSON report again and says whether it ends the same.
//!
//! A report holds everything a case needs besides the submission and the rubric: the run's
//! seed, from which each case's seed, environment, delays and fault are derived again by the
//! grader's own planning ([`Grader::replay`]), and the paths of the submission and rubric. The
//! submission is built the normal way (a batch entry is reopened, an archive unpacked again, by
//! the batch's own code), then only the chosen case runs, every run of it if its check repeats.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::batch::{ExtractLimits, OpenError, Opened, entry, open_entry, open_folder};
use crate::error::Error;
use crate::grade::{CaseGrade, CheckGrade, CheckStatus, Grade, run_seed};
use crate::grader::Grader;
use crate::report::inert_line;
use crate::rubric;

/// What to replay, and where from.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    /// The JSON report (`labgrade grade --format json`, or a batch's `reports/<id>.json`).
    pub report: PathBuf,
    /// `<check-id>` (every case of the check) or `<check-id>/<case>`.
    pub target: String,
    /// The submission, instead of the report's `entry` or `submission`.
    pub submission: Option<PathBuf>,
    /// The rubric, instead of the report's `rubric`.
    pub rubric: Option<PathBuf>,
}

/// Why a replay could not say anything.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// What was given is wrong: an unreadable report, an unknown check or case, a rubric of
    /// another exercise, a missing submission.
    #[error("{0}")]
    BadInput(String),
    /// The case could not run now (the submission does not build any more, its program is
    /// missing, labgrade could not run it).
    #[error("{0}")]
    CannotReplay(String),
    /// labgrade could not go on.
    #[error(transparent)]
    Labgrade(#[from] Error),
}

impl ReplayError {
    /// Whether the error is in what the user gave, as opposed to the machine or labgrade.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::BadInput(_) => true,
            Self::CannotReplay(_) => false,
            Self::Labgrade(error) => error.is_bad_input(),
        }
    }
}

/// One case: as the report recorded it, and as it ran now.
#[derive(Debug, Clone)]
pub struct CaseReplay {
    /// The check's id.
    pub check: String,
    /// The case in the report.
    pub recorded: CaseGrade,
    /// The case run again.
    pub now: CaseGrade,
    /// Whether the report's case seed is one this rubric derives for the case from the run's
    /// seed (false: the rubric, or labgrade, changed since the report).
    pub seed_matches: bool,
}

impl CaseReplay {
    /// Whether the case passes now exactly when it passed in the report.
    #[must_use]
    pub fn agrees(&self) -> bool {
        self.recorded.passed == self.now.passed
    }

    /// Whether it also ended the same way, with the same failures, word for word.
    #[must_use]
    pub fn same_observations(&self) -> bool {
        self.recorded.observed.termination_text == self.now.observed.termination_text
            && self.recorded.failures == self.now.failures
    }
}

/// The result of a replay.
#[derive(Debug, Clone)]
pub struct ReplayOutcome {
    /// The report replayed.
    pub report: PathBuf,
    /// The rubric used.
    pub rubric: PathBuf,
    /// The submission built (the batch entry, for a batch report).
    pub submission: PathBuf,
    /// The run's seed.
    pub seed: u64,
    /// Every case replayed.
    pub cases: Vec<CaseReplay>,
}

impl ReplayOutcome {
    /// Whether every case passes now exactly when it passed in the report.
    #[must_use]
    pub fn agrees(&self) -> bool {
        self.cases.iter().all(CaseReplay::agrees)
    }
}

/// Replays `request` with `grader`.
pub fn replay(grader: &Grader, request: &ReplayRequest) -> Result<ReplayOutcome, ReplayError> {
    let report = read_report(&request.report)?;
    let (check_id, case_name) = match request.target.split_once('/') {
        Some((check, case)) => (check, Some(case)),
        None => (request.target.as_str(), None),
    };
    let check = find_check(&report, check_id)?;
    let recorded: Vec<&CaseGrade> = match case_name {
        Some(name) => vec![find_case(check, name)?],
        None if check.cases.is_empty() => {
            // Only a ratio is graded without cases of its own: its figures come from others.
            let is_ratio = matches!(check.status, CheckStatus::Passed | CheckStatus::Failed);
            return Err(ReplayError::BadInput(if is_ratio {
                format!(
                    "`{check_id}` is a ratio of other checks' figures and runs nothing of its own: replay the cases of the checks it compares; {}",
                    available(&report)
                )
            } else {
                format!(
                    "check `{check_id}` has no case in the report{}; {}",
                    check
                        .reason
                        .as_deref()
                        .map(|reason| format!(" ({reason})"))
                        .unwrap_or_default(),
                    available(&report)
                )
            }));
        }
        None => check.cases.iter().collect(),
    };

    let workdir = report.workdir.as_deref().map(Path::new);
    let rubric_path = request
        .rubric
        .clone()
        .unwrap_or_else(|| resolve(&report.rubric, workdir));
    let rubric = rubric::load(&rubric_path).map_err(Error::from)?;
    if rubric.exercise.name != report.exercise {
        return Err(ReplayError::BadInput(format!(
            "rubric `{}` is of exercise `{}`, the report of `{}`; pass the report's rubric with `--rubric`",
            rubric_path.display(),
            rubric.exercise.name,
            report.exercise
        )));
    }
    let Some(rubric_check) = rubric.checks.iter().find(|check| check.id == check_id) else {
        return Err(ReplayError::BadInput(format!(
            "rubric `{}` has no check `{check_id}`; was the report made with another rubric?",
            rubric_path.display()
        )));
    };

    let (submission, opened) = open_submission(&report, request, &rubric.exercise.files)?;
    let names: Vec<&str> = recorded.iter().map(|case| case.name.as_str()).collect();
    let replayed = grader.replay(&rubric, &opened.root, check_id, &names, report.seed)?;
    drop(opened);
    let now = replayed.cases.map_err(|reason| {
        ReplayError::CannotReplay(format!(
            "cannot replay `{}`: {reason}{}",
            request.target,
            if replayed.build.diagnostics.is_empty() {
                String::new()
            } else {
                format!("\n{}", replayed.build.diagnostics)
            }
        ))
    })?;
    let cases = recorded
        .into_iter()
        .zip(now)
        .map(|(recorded, now)| {
            let repeat = rubric_check.runs.repeat;
            let seeds: Vec<u64> = (0..repeat)
                .map(|run| {
                    let runs_of = rubric.runs_of(rubric_check);
                    run_seed(
                        report.seed,
                        &runs_of.id,
                        &recorded.name,
                        run,
                        runs_of.runs.repeat,
                    )
                })
                .collect();
            CaseReplay {
                check: check_id.to_owned(),
                seed_matches: seeds.contains(&recorded.replay.seed),
                recorded: recorded.clone(),
                now,
            }
        })
        .collect();
    Ok(ReplayOutcome {
        report: request.report.clone(),
        rubric: rubric_path,
        submission,
        seed: report.seed,
        cases,
    })
}

fn read_report(path: &Path) -> Result<Grade, ReplayError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ReplayError::BadInput(format!("cannot read report `{}`: {error}", path.display()))
    })?;
    serde_json::from_str(&text).map_err(|error| {
        ReplayError::BadInput(format!(
            "`{}` is not a labgrade JSON report ({error}); pass a report of `labgrade grade --format json` or a batch's `reports/<id>.json`",
            path.display()
        ))
    })
}

fn find_check<'a>(report: &'a Grade, id: &str) -> Result<&'a CheckGrade, ReplayError> {
    report
        .checks
        .iter()
        .find(|check| check.id == id)
        .ok_or_else(|| {
            ReplayError::BadInput(format!(
                "the report has no check `{id}`; {}",
                available(report)
            ))
        })
}

fn find_case<'a>(check: &'a CheckGrade, name: &str) -> Result<&'a CaseGrade, ReplayError> {
    check
        .cases
        .iter()
        .find(|case| case.name == name)
        .ok_or_else(|| {
            let cases: Vec<String> = check
                .cases
                .iter()
                .map(|case| format!("`{}/{}`", check.id, case.name))
                .collect();
            ReplayError::BadInput(if cases.is_empty() {
                format!(
                    "check `{}` has no case in the report, so no case `{name}`",
                    check.id
                )
            } else {
                format!(
                    "check `{}` has no case `{name}`; its cases are {}",
                    check.id,
                    cases.join(", ")
                )
            })
        })
}

/// The checks and cases a report holds, in words, for an error message.
fn available(report: &Grade) -> String {
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|check| {
            if check.cases.is_empty() {
                format!("`{}` (no case: {})", check.id, check.status.word())
            } else {
                let cases: Vec<&str> = check.cases.iter().map(|case| case.name.as_str()).collect();
                format!("`{}` (cases {})", check.id, cases.join(", "))
            }
        })
        .collect();
    if checks.is_empty() {
        "the report has no check".to_owned()
    } else {
        format!("the checks are {}", checks.join(", "))
    }
}

/// A path of the report: relative paths are relative to the folder labgrade ran in (`workdir`)
/// when the report names one and the path exists there, else to the current folder.
fn resolve(recorded: &str, workdir: Option<&Path>) -> PathBuf {
    let path = PathBuf::from(recorded);
    if path.is_absolute() {
        return path;
    }
    workdir
        .map(|dir| dir.join(&path))
        .filter(|joined| joined.exists())
        .unwrap_or(path)
}

/// The submission to build: `--submission`, else the batch entry, else the report's
/// `submission`; a batch entry (or any archive) is opened as the batch opens it.
fn open_submission(
    report: &Grade,
    request: &ReplayRequest,
    rubric_files: &[PathBuf],
) -> Result<(PathBuf, Opened), ReplayError> {
    let workdir = report.workdir.as_deref().map(Path::new);
    let (path, origin) = match (&request.submission, &report.entry) {
        (Some(path), _) => (path.clone(), "`--submission`"),
        (None, Some(entry)) => (resolve(&entry.path, workdir), "the report's `entry`"),
        (None, None) => (
            resolve(&report.submission, workdir),
            "the report's `submission`",
        ),
    };
    let Ok(meta) = std::fs::metadata(&path) else {
        return Err(ReplayError::BadInput(format!(
            "submission `{}` (from {origin}) does not exist; pass it with `--submission`",
            path.display()
        )));
    };
    // A plain `grade` report's folder is opened as `grade` opened it (single files laid out
    // again); a batch entry, or an archive, the way the batch graded it.
    if meta.is_dir() && report.entry.is_none() {
        let (_, opened) = open_folder(&path, rubric_files)?;
        return Ok((path, opened));
    }
    match open_entry(&entry(&path), rubric_files, ExtractLimits::default()) {
        Ok(opened) => Ok((path, opened)),
        Err(OpenError::Bad(note)) => Err(ReplayError::BadInput(note)),
        Err(OpenError::Local(error)) => Err(error.into()),
    }
}

/// Writes what a replay found, case by case, and whether it agrees with the report.
pub fn write_replay(outcome: &ReplayOutcome, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "replay of `{}` · seed {} · submission `{}` · rubric `{}`",
        inert_line(&outcome.report.display().to_string()),
        outcome.seed,
        inert_line(&outcome.submission.display().to_string()),
        inert_line(&outcome.rubric.display().to_string())
    )?;
    for case in &outcome.cases {
        writeln!(out)?;
        writeln!(
            out,
            "case {}/{}",
            inert_line(&case.check),
            inert_line(&case.recorded.name)
        )?;
        write_side(out, "recorded", &case.recorded)?;
        write_side(out, "now", &case.now)?;
        if !case.seed_matches {
            writeln!(
                out,
                "    note: the report's case seed {} is not one this rubric derives for the case; the rubric or labgrade changed since the report",
                case.recorded.replay.seed
            )?;
        }
        let verdict = |passed: bool| if passed { "pass" } else { "fail" };
        if case.agrees() {
            let detail = if case.same_observations() {
                "same termination and same failures"
            } else {
                "though not word for word (see above)"
            };
            writeln!(
                out,
                "    agrees: both {}; {detail}",
                verdict(case.now.passed)
            )?;
        } else {
            writeln!(
                out,
                "    DISAGREES: the report says {}, the replay {}",
                verdict(case.recorded.passed),
                verdict(case.now.passed)
            )?;
        }
    }
    writeln!(out)?;
    let differ = outcome.cases.iter().filter(|case| !case.agrees()).count();
    if differ == 0 {
        writeln!(
            out,
            "the replay agrees with the report ({} case{})",
            outcome.cases.len(),
            if outcome.cases.len() == 1 { "" } else { "s" }
        )
    } else {
        writeln!(
            out,
            "the replay disagrees with the report on {differ} of {} case{}",
            outcome.cases.len(),
            if outcome.cases.len() == 1 { "" } else { "s" }
        )
    }
}

/// One side of a case: its verdict, how it ended, what failed.
fn write_side(out: &mut dyn Write, label: &str, case: &CaseGrade) -> io::Result<()> {
    let runs = if case.runs > 1 {
        format!(" (passed {} of {} runs)", case.passed_runs, case.runs)
    } else {
        String::new()
    };
    writeln!(
        out,
        "    {label:<9}{}{runs}: {}",
        if case.passed { "pass" } else { "fail" },
        inert_line(&case.observed.termination_text)
    )?;
    for line in crate::report::failure_lines(case, "              ") {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
