//! CI on pull requests: `labgrade grade --min-score` passes a submission short of full marks
//! that reaches the bar, and the workflow templates in `templates/` parse and hold the keys a
//! CI service needs.

use serde_norway::Value;

use crate::support::{Grade, Ran, root};

fn grade_remainder_dropped(min_score: &str) -> Ran {
    Grade::new(
        "tests/fixtures/sum-array/remainder_dropped",
        "tests/fixtures/batch/sum-array.toml",
    )
    .seed(42)
    .args(["--min-score", min_score])
    .run()
}

#[test]
fn min_score_is_a_percentage_of_the_maximum() {
    // remainder_dropped earns 60 of 100 with the quick rubric (both 3-worker cases fail).
    grade_remainder_dropped("60").code(0);
    grade_remainder_dropped("60.5").code(1);
    grade_remainder_dropped("101").code(2);
}

fn template(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("templates").join(name)).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Every `run:` (GitHub) or script line (GitLab) of a job, joined.
fn joined(lines: &[Value]) -> String {
    lines
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn github_actions_template_grades_pull_requests() {
    let workflow = template("github-actions.yml");
    // YAML 1.1 readers take a bare `on` for `true`; GitHub and serde_norway read the key `on`.
    let on = workflow
        .get("on")
        .unwrap_or_else(|| panic!("no `on` key: {workflow:?}"));
    assert!(on.get("pull_request").is_some(), "{on:?}");
    let steps = workflow["jobs"]["grade"]["steps"].as_sequence().unwrap();
    let uses: Vec<&str> = steps
        .iter()
        .filter_map(|step| step["uses"].as_str())
        .collect();
    assert!(
        uses.iter().any(|uses| uses.starts_with("actions/checkout")),
        "{uses:?}"
    );
    assert!(
        uses.iter().any(|uses| uses.contains("rust-toolchain")),
        "{uses:?}"
    );
    let runs: Vec<Value> = steps.iter().map(|step| step["run"].clone()).collect();
    let script = joined(&runs);
    for needle in [
        "git diff --name-only",
        "labgrade grade",
        "--format github",
        "--report \"junit=",
        "--min-score \"$MIN_SCORE\"",
        "cargo install",
    ] {
        assert!(
            script.contains(needle),
            "`{needle}` not in the steps:\n{script}"
        );
    }
    // A labgrade built from an older commit of the course is rebuilt, and the cache is keyed
    // by the commit, so that a new commit of the course reaches the graders.
    assert!(
        script.contains("labgrade.course") && script.contains("cargo install --locked --force"),
        "{script}"
    );
    let cache = steps
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/cache"))
        })
        .unwrap();
    assert!(
        cache["with"]["key"]
            .as_str()
            .is_some_and(|key| key.contains("steps.course.outputs.commit")),
        "{cache:?}"
    );
    let env = &workflow["env"];
    for key in ["COURSE_REPO", "MIN_SCORE", "EXERCISES", "LABGRADE_URL"] {
        assert!(env.get(key).is_some(), "no env `{key}`");
    }
}

#[test]
fn gitlab_template_publishes_junit() {
    let pipeline = template("gitlab-ci.yml");
    let job = &pipeline["labgrade"];
    let reports = &job["artifacts"]["reports"];
    assert!(
        reports["junit"]
            .as_str()
            .is_some_and(|path| path.ends_with("*.xml")),
        "{reports:?}"
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
    let rules = format!("{:?}", job["rules"]);
    assert!(rules.contains("merge_request_event"), "{rules}");
    let setup = joined(job["before_script"].as_sequence().unwrap());
    assert!(
        setup.contains("labgrade.course") && setup.contains("cargo install --locked --force"),
        "{setup}"
    );
    let script = joined(job["script"].as_sequence().unwrap());
    for needle in [
        "git diff --name-only",
        "labgrade grade",
        "--report \"junit=",
        "--min-score \"$MIN_SCORE\"",
    ] {
        assert!(
            script.contains(needle),
            "`{needle}` not in the script:\n{script}"
        );
    }
}
