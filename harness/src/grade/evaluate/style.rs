//! A style check's points from what clippy or rustfmt found in the student's files: each
//! finding costs the rule's points-per-finding, up to the check's points.

use crate::grade::{BuildGrade, CheckGrade, CheckStatus, Finding, FindingKind};
use crate::rubric::{Check, StyleRule};
use crate::style::{StyleOutcome, ToolOutcome};

use super::scoring::{build_block_reason, missing_list, unscored_check};

/// The grade of style check `check` (rule `rule`) of a submission whose build is `build` and
/// whose tools gave `outcome`.
#[must_use]
pub fn score_style(
    check: &Check,
    rule: &StyleRule,
    build: &BuildGrade,
    outcome: &StyleOutcome,
) -> CheckGrade {
    // Style is judged of the student's files, all of them: a submission that lacks some is
    // not judged on the rest.
    if !build.missing_files.is_empty() {
        let reason = format!(
            "not run: the submission lacks {}",
            missing_list(&build.missing_files)
        );
        return unscored_check(check, CheckStatus::Skipped, reason, Vec::new());
    }
    let tool = match rule {
        StyleRule::Clippy { .. } => &outcome.clippy,
        StyleRule::Rustfmt => &outcome.rustfmt,
    };
    let (findings, unknown) = match tool {
        None => {
            // Without a build there is nothing the tools could read.
            let (status, reason) = build_block_reason(build).map_or_else(
                || {
                    (
                        CheckStatus::Error,
                        "labgrade did not run the check's tool".to_owned(),
                    )
                },
                |reason| (CheckStatus::Skipped, reason),
            );
            return unscored_check(check, status, reason, Vec::new());
        }
        Some(ToolOutcome::Unavailable { reason }) => {
            return unscored_check(check, CheckStatus::Error, reason.clone(), Vec::new());
        }
        Some(ToolOutcome::Failed { reason } | ToolOutcome::Cut { reason }) => {
            return unscored_check(check, CheckStatus::Failed, reason.clone(), Vec::new());
        }
        Some(ToolOutcome::Checked {
            findings,
            unknown_lints,
        }) => (findings, unknown_lints),
    };
    let (findings, all_lost) = match rule {
        StyleRule::Clippy { lints, .. } => {
            let unknown: Vec<&str> = unknown
                .iter()
                .filter(|lint| lints.contains(lint))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return unscored_check(
                    check,
                    CheckStatus::Error,
                    format!(
                        "clippy does not know the rubric's lint(s) `{}`",
                        unknown.join("`, `")
                    ),
                    Vec::new(),
                );
            }
            // An attribute that turns a graded lint off stopped clippy there: no other finding
            // of any lint could be seen, so no clippy check can be judged better than that.
            let allowed = findings
                .iter()
                .any(|finding| finding.kind == FindingKind::Allowed);
            let mine: Vec<Finding> = findings
                .iter()
                .filter(|finding| {
                    finding.kind == FindingKind::Allowed
                        || finding
                            .lint
                            .as_ref()
                            .is_some_and(|lint| lints.contains(lint))
                })
                .cloned()
                .collect();
            (mine, allowed)
        }
        StyleRule::Rustfmt => (findings.clone(), false),
    };
    let per_finding = rule.points_per_finding(check.points);
    let count = u32::try_from(findings.len()).unwrap_or(u32::MAX);
    let lost = if all_lost {
        check.points
    } else {
        count.saturating_mul(per_finding).min(check.points)
    };
    let mut graded = unscored_check(check, CheckStatus::Passed, String::new(), Vec::new());
    graded.reason = None;
    graded.score = f64::from(check.points - lost);
    graded.status = if findings.is_empty() {
        CheckStatus::Passed
    } else if lost < check.points {
        CheckStatus::Partial
    } else {
        CheckStatus::Failed
    };
    graded.findings = findings;
    graded
}

#[cfg(test)]
mod tests {
    use super::score_style;
    use crate::grade::evaluate::fixtures::parse_checks;
    use crate::grade::{BuildGrade, BuildStatus, CheckStatus, Finding, FindingKind};
    use crate::rubric::Check;
    use crate::style::{StyleOutcome, ToolOutcome};

    /// The only check of a rubric, a style check whose table ends with `keys`.
    fn parse_check(keys: &str) -> Check {
        parse_checks(&format!(
            "[[check]]\nid = \"s\"\ntitle = \"S\"\npoints = 4\n{keys}"
        ))
        .remove(0)
    }

    fn build(status: BuildStatus) -> BuildGrade {
        BuildGrade {
            status,
            score: 0.0,
            max_score: 0.0,
            duration_ms: 0,
            reused: false,
            missing_files: Vec::new(),
            diagnostics: String::new(),
        }
    }

    fn lint(kind: FindingKind, name: &str, at: u64) -> Finding {
        Finding {
            kind,
            lint: Some(name.to_owned()),
            file: "src/main.rs".to_owned(),
            line: at,
            column: 5,
            message: "m".to_owned(),
        }
    }

    fn clippy(findings: Vec<Finding>) -> StyleOutcome {
        StyleOutcome {
            clippy: Some(ToolOutcome::Checked {
                findings,
                unknown_lints: Vec::new(),
            }),
            rustfmt: None,
        }
    }

    #[test]
    fn each_finding_of_a_graded_lint_costs_its_points_up_to_the_check_s() {
        let mut check = parse_check("clippy = { lints = [\"a\", \"b\"], points-per-finding = 2 }");
        check.points = 5;
        let rule = check.style.clone().unwrap();
        let built = build(BuildStatus::Built);
        let graded = score_style(&check, &rule, &built, &clippy(Vec::new()));
        assert_eq!((graded.status, graded.score), (CheckStatus::Passed, 5.0));
        // A lint of another check does not count here.
        let found = clippy(vec![
            lint(FindingKind::Lint, "a", 3),
            lint(FindingKind::Lint, "c", 4),
        ]);
        let graded = score_style(&check, &rule, &built, &found);
        assert_eq!((graded.status, graded.score), (CheckStatus::Partial, 3.0));
        assert_eq!(graded.findings, vec![lint(FindingKind::Lint, "a", 3)]);
        let found = clippy(vec![lint(FindingKind::Lint, "a", 3); 3]);
        let graded = score_style(&check, &rule, &built, &found);
        assert_eq!((graded.status, graded.score), (CheckStatus::Failed, 0.0));
        // Turning a lint off, even another check's, stopped clippy: nothing else was seen.
        let found = clippy(vec![lint(FindingKind::Allowed, "c", 1)]);
        let graded = score_style(&check, &rule, &built, &found);
        assert_eq!((graded.status, graded.score), (CheckStatus::Failed, 0.0));
    }

    #[test]
    fn a_tool_that_could_not_read_the_code_fails_and_without_a_build_it_is_skipped() {
        let check = parse_check("rustfmt = true");
        let rule = check.style.clone().unwrap();
        let failed = StyleOutcome {
            clippy: None,
            rustfmt: Some(ToolOutcome::Failed {
                reason: "rustfmt ran past the build's time limit".to_owned(),
            }),
        };
        let graded = score_style(&check, &rule, &build(BuildStatus::Built), &failed);
        assert_eq!((graded.status, graded.score), (CheckStatus::Failed, 0.0));
        let graded = score_style(
            &check,
            &rule,
            &build(BuildStatus::CompileError),
            &StyleOutcome::default(),
        );
        assert_eq!(graded.status, CheckStatus::Skipped);
        assert_eq!(
            graded.reason.as_deref(),
            Some("not run: the submission does not compile")
        );
    }

    #[test]
    fn a_lint_clippy_does_not_know_is_the_rubric_s_error() {
        let check = parse_check("clippy = { lints = [\"no_such_lint\"] }");
        let rule = check.style.clone().unwrap();
        let outcome = StyleOutcome {
            clippy: Some(ToolOutcome::Checked {
                findings: Vec::new(),
                unknown_lints: vec!["no_such_lint".to_owned()],
            }),
            rustfmt: None,
        };
        let graded = score_style(&check, &rule, &build(BuildStatus::Built), &outcome);
        assert_eq!(graded.status, CheckStatus::Error);
        // A tool that gave no verdict at all (not installed) says nothing of the submission.
        let outcome = StyleOutcome {
            clippy: Some(ToolOutcome::Unavailable {
                reason: "cargo clippy gave no verdict".to_owned(),
            }),
            rustfmt: None,
        };
        let graded = score_style(&check, &rule, &build(BuildStatus::Built), &outcome);
        assert_eq!((graded.status, graded.score), (CheckStatus::Error, 0.0));
    }
}
