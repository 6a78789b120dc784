//! Tests of the whole class report: hostile students escaped everywhere, the histogram, pass
//! rates, timing plots, and the same input giving the same bytes.

use serde_json::{Value, json};

use super::text::escape;
use super::{ClassStudent, write_html};
use crate::class::Person;
use crate::class::{BINS, CheckScore, Column, Key, Manifest, Outcome, Record, Shard, summarize};
use crate::grade::Grade;
use crate::similarity::{Fingerprints, Skeleton, compare, fingerprint};

const HOSTILE: &str = "<script>alert('pwned')</script><img src=x onerror=alert(1)>";

fn manifest() -> Manifest {
    Manifest {
        version: 1,
        exercise: "sum-array".to_owned(),
        rubric_key: String::new(),
        max_score: 100.0,
        checks: vec![
            Column {
                id: "sum".to_owned(),
                title: "The sum & nothing <else>".to_owned(),
                max_score: 60.0,
            },
            Column {
                id: "timing".to_owned(),
                title: "The time spent".to_owned(),
                max_score: 40.0,
            },
        ],
        shard: Shard::WHOLE,
        students: vec![],
        class: crate::class::ClassInfo::default(),
    }
}

// Grades are written as their JSON report, the form `report.html` reads them in.
fn case(name: &str, passed: bool, stdout: &str) -> Value {
    json!({
        "name": name, "passed": passed, "score": 0.0, "runs": 1, "passed_runs": u32::from(passed),
        "replay": { "seed": 7, "vars": { "workers": "1" }, "command": [], "env": {},
                    "shell": format!("cargo run -- {name}") },
        "observed": {
            "termination": { "kind": "exited", "code": 0 },
            "termination_text": "exited with code 0",
            "wall_ms": 12, "cpu_us": 0,
            "stdout": { "text": stdout, "total_bytes": stdout.len(), "truncated": false },
            "stderr": { "text": "", "total_bytes": 0, "truncated": false },
            "leftover_processes": 0, "containment": [], "captures": {}
        },
        "failures": if passed { json!([]) } else { json!([{
            "what": "stdout", "expected": "a line `Array sum is: <n>`",
            "actual": format!("stdout was {stdout:?}")
        }]) }
    })
}

/// A student with `sum_score` of 60 for `sum`, and `timing` passed with `times` (ms at 1, 2
/// and 4 workers) or skipped.
fn student(id: &str, sum_score: f64, stdout: &str, times: Option<[f64; 3]>) -> (Record, Grade) {
    let sum_status = if sum_score >= 60.0 {
        "passed"
    } else if sum_score > 0.0 {
        "partial"
    } else {
        "failed"
    };
    let timing_score = if times.is_some() { 40.0 } else { 0.0 };
    let timings: Vec<Value> = times
        .map(|times| {
            [1, 2, 4]
                .iter()
                .zip(times)
                .map(|(workers, time)| {
                    json!({ "case": format!("workers={workers}"), "workers": workers,
                            "time_ms": time, "speedup": times[0] / time })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut timing = json!({
        "id": "timing", "title": "The time spent", "score": timing_score, "max_score": 40.0,
        "status": if times.is_some() { "passed" } else { "skipped" },
        "timings": timings, "cases": []
    });
    if times.is_none() {
        timing["reason"] = json!("not run");
    }
    let score = sum_score + timing_score;
    let grade: Grade = serde_json::from_value(json!({
        "version": 1, "labgrade_version": "0", "exercise": "sum-array", "rubric": "r.toml",
        "submission": format!("class/{id}"), "seed": 3, "status": "graded",
        "score": score, "max_score": 100.0,
        "build": { "status": "built", "score": 0.0, "max_score": 0.0, "duration_ms": 1500,
                   "missing_files": [], "diagnostics": "" },
        "checks": [
            { "id": "sum", "title": "The sum & nothing <else>", "score": sum_score,
              "max_score": 60.0, "status": sum_status,
              "cases": [case("workers=1", sum_status == "passed", stdout)] },
            timing
        ]
    }))
    .unwrap();
    let record = Record {
        version: 1,
        student: id.to_owned(),
        key: Key::default(),
        outcome: Outcome::Graded,
        score,
        max_score: 100.0,
        checks: grade
            .checks
            .iter()
            .map(|check| CheckScore {
                id: check.id.clone(),
                score: check.score,
                status: check.status,
            })
            .collect(),
        note: None,
        similarity: None,
    };
    (record, grade)
}

fn render(class: &[(Record, Option<Grade>)]) -> String {
    render_for(&manifest(), class)
}

fn render_for(manifest: &Manifest, class: &[(Record, Option<Grade>)]) -> String {
    let records: Vec<Record> = class.iter().map(|(record, _)| record.clone()).collect();
    let summary = summarize(manifest, &records);
    let students: Vec<ClassStudent<'_>> = class
        .iter()
        .map(|(record, grade)| ClassStudent {
            record,
            grade: grade.as_ref(),
        })
        .collect();
    let fingerprints: Vec<Option<&Fingerprints>> = records
        .iter()
        .map(|record| record.similarity.as_ref())
        .collect();
    let similarity = compare(&fingerprints);
    let mut out = Vec::new();
    write_html(manifest, &summary, &students, &similarity, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn class() -> Vec<(Record, Option<Grade>)> {
    let mut class: Vec<(Record, Option<Grade>)> = vec![
        student("alice", 60.0, "Array sum is: 1\n", Some([40.0, 20.0, 10.0])),
        student("bob", 30.0, "Array sum is: 2\n", Some([40.0, 30.0, 30.0])),
        student(HOSTILE, 0.0, HOSTILE, None),
        student("dave", 60.0, "ok", Some([50.0, 26.0, 14.0])),
    ]
    .into_iter()
    .map(|(record, grade)| (record, Some(grade)))
    .collect();
    // The hostile student hands in alice's file with a hostile line in it: a pair listed, with
    // their text side by side.
    let file = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/sum-array/all_pass/src/bin/sum_array_threads.rs"),
    )
    .unwrap();
    let hostile_file = format!("{file}\nconst X: &str = {HOSTILE:?}; // {HOSTILE}\n");
    for (index, text) in [(0, file), (2, hostile_file)] {
        class[index].0.similarity = Some(fingerprint(
            &[(format!("src/{HOSTILE}.rs"), text.into_bytes())],
            &Skeleton::default(),
        ));
    }
    let mut error = class[0].0.clone();
    error.student = "erin".to_owned();
    error.outcome = Outcome::Error;
    error.checks.clear();
    error.score = 0.0;
    error.note = Some(format!("labgrade could not grade: {HOSTILE}"));
    error.similarity = None;
    class.push((error, None));
    class
}

#[test]
fn student_text_is_escaped_everywhere() {
    let page = render(&class());
    // The page has no script of its own, so any `<script` would be a student's.
    assert!(!page.to_lowercase().contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
    assert!(page.contains("The sum &amp; nothing &lt;else&gt;"));
    assert!(page.contains("Content-Security-Policy"));
    // The similar pair, side by side, its file path and lines escaped.
    assert!(page.contains("<strong>alice and &lt;script&gt;"), "{page}");
    assert_eq!(page.matches("<pre class=\"region\">").count(), 2, "{page}");
    assert!(page.contains("src/&lt;script&gt;"));
    // The id, escaped, in the table and its section; and URL-encoded in links.
    assert!(page.contains("reports/%3Cscript%3Ealert%28%27pwned%27%29"));
    assert_eq!(
        escape("a\u{7}b\u{1b}]52;c;eA==\u{7}\u{202e}<\n"),
        "a\\u{7}b\\u{1b}]52;c;eA==\\u{7}\\u{202e}&lt;\n"
    );
}

#[test]
fn names_from_the_class_download_stand_beside_ids_and_are_escaped() {
    let plain = render(&class());
    assert!(!plain.contains("<th>name</th>"), "no names, no column");
    let mut manifest = manifest();
    manifest.class.people = vec![
        Person::named("alice", Some("Alice <b>Liddell</b>")),
        Person::named("bob", None),
    ];
    let page = render_for(&manifest, &class());
    assert!(page.contains("<th>name</th>"));
    assert!(
        page.contains("<td>Alice &lt;b&gt;Liddell&lt;/b&gt;</td>"),
        "{page}"
    );
    assert!(page.contains("alice <span class=\"name\">Alice &lt;b&gt;Liddell&lt;/b&gt;</span>"));
    // Bob has no name: an empty cell, and no name in his section's heading.
    assert!(
        page.contains("#student-1\">bob</a></td><td></td>"),
        "{page}"
    );
    assert!(!page.contains("<h3>bob <span class=\"name\">"));
}

#[test]
fn histogram_has_one_bar_per_bin_with_its_count() {
    let page = render(&class());
    let counts: Vec<&str> = page
        .match_indices("<rect class=\"bin\" data-count=\"")
        .map(|(at, text)| {
            let rest = &page[at + text.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(counts.len(), BINS);
    // Scores 100, 70, 0 and 100; erin is not graded.
    assert_eq!(counts, ["1", "0", "0", "0", "0", "0", "0", "1", "0", "2"]);
}

#[test]
fn pass_rates_count_the_students_with_a_score() {
    let page = render(&class());
    assert!(
        page.contains("data-check=\"sum\" data-passed=\"2\" data-scored=\"4\""),
        "{page}"
    );
    assert!(page.contains("data-check=\"timing\" data-passed=\"3\" data-scored=\"4\""));
    assert!(page.contains("aria-label=\"50% passed\""));
    assert!(page.contains("aria-label=\"75% passed\""));
    assert_eq!(page.matches("<tr class=\"student\">").count(), 5);
    assert_eq!(page.matches("<section class=\"student\"").count(), 5);
}

#[test]
fn timing_plot_has_a_line_per_student_and_the_median() {
    let page = render(&class());
    let plot_start = page
        .find("<svg class=\"timing\" data-check=\"timing\"")
        .unwrap();
    let plot = &page[plot_start..plot_start + page[plot_start..].find("</svg>").unwrap()];
    assert_eq!(plot.matches("class=\"student-timing").count(), 3);
    assert_eq!(plot.matches("class=\"class-median\"").count(), 1);
    // Medians of (40, 40, 50), (20, 30, 26) and (10, 30, 14).
    assert!(
        plot.contains("class median: 1: 40.0 ms, 2: 26.0 ms, 4: 14.0 ms"),
        "{plot}"
    );
    // The students with timings have their own small plot; the others none.
    assert_eq!(page.matches("<svg class=\"timing\"").count(), 1 + 3);
}

#[test]
fn repeated_runs_say_their_pass_rate_once() {
    let (record, mut grade) = student("frank", 0.0, "Array sum is: 3\n", None);
    let case = &mut grade.checks[0].cases[0];
    case.runs = 5;
    case.passed_runs = 3;
    case.failures.insert(
        0,
        serde_json::from_value(json!({
            "what": "runs", "expected": "every one of 5 runs to pass",
            "actual": "3 of 5 passed; the first failing run is shown"
        }))
        .unwrap(),
    );
    let page = render(&[(record, Some(grade))]);
    assert_eq!(page.matches("(3 of 5 runs passed)").count(), 1, "{page}");
    assert!(!page.contains("every one of 5 runs to pass"), "{page}");
    // The failure of the shown run is still there.
    assert!(
        page.contains("expected a line `Array sum is: &lt;n&gt;`"),
        "{page}"
    );
}

#[test]
fn equal_grades_give_equal_bytes() {
    assert_eq!(render(&class()), render(&class()));
}

#[test]
fn hostile_ids_stay_text_in_content_attributes_and_links() {
    const QUOTE: &str = "q\" onmouseover=\"alert(1)";
    const LINK: &str = "javascript:alert(1)";
    const SCRIPT: &str = "<script>alert(1)</script>\u{1b}]0;x\u{7}\u{202e}";
    let class: Vec<(Record, Option<Grade>)> = [QUOTE, LINK, SCRIPT]
        .into_iter()
        .map(|id| {
            let (record, grade) = student(id, 60.0, id, Some([40.0, 20.0, 10.0]));
            (record, Some(grade))
        })
        .collect();
    let page = render(&class);
    assert!(!page.to_lowercase().contains("<script"), "{page}");
    // A quote closes no attribute: the id stays inside the timing plot's label.
    assert!(!page.contains("\" onmouseover="), "{page}");
    assert!(page.contains(
        "aria-label=\"time against worker count, timing: q&quot; onmouseover=&quot;alert(1)\""
    ));
    // Links to a student's files are relative paths, whatever the id says.
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(page.contains("href=\"reports/javascript%3Aalert%281%29.json\""));
    assert!(page.contains("href=\"feedback/q%22%20onmouseover%3D%22alert%281%29.txt\""));
    // Control characters are shown, not obeyed, in content and in attributes.
    assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}'));
    assert!(
        page.contains("&lt;/script&gt;\\u{1b}]0;x\\u{7}\\u{202e}</a>"),
        "{page}"
    );
    assert!(page.contains("timing: &lt;script&gt;alert(1)&lt;/script&gt;\\u{1b}]0;x\\u{7}"));
}
