//! The class report `report.html` of `labgrade batch` and `merge`, rendered in a real browser.
//!
//! A class of sum-array fixtures (full marks two ways, a dropped remainder, a compile error, and
//! a student whose output and id hold `<script>`) is graded with
//! `tests/fixtures/batch/timing.toml`, the batch tests' quick rubric plus a timing check. The
//! page is opened in headless Chromium (`.ci/setup` installs it): the rendered DOM must hold the
//! figures (a histogram bar per bin, a pass-rate bar per check, a row per student, a line per
//! student and the class median in the timing plot) and no script, and a screenshot is kept in
//! `target/tmp/report-screenshot.png` for people to look at. Without Chromium the browser part
//! prints `skipped: …` and returns, unless `LABGRADE_REQUIRE_TOOLS=1` (as in CI).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{Cli, find_tool, root, sum_array_class};

/// The quick rubric with a timing check.
fn rubric() -> PathBuf {
    root().join("tests/fixtures/batch/timing.toml")
}

/// A student id that is markup, to prove ids are escaped.
const HOSTILE_ID: &str = "mallory<script>";

/// What the hostile student's threads program prints before its sum: markup that would change
/// the page's title if it ever ran.
const HOSTILE_OUTPUT: &str = r"<script>document.title='pwned'</script><b>bold</b>";

/// The class: one folder per student, from the sum-array fixtures.
fn class() -> tempfile::TempDir {
    let class = sum_array_class(&[
        ("alice", "all_pass"),
        ("bob", "all_pass_alt"),
        ("carol", "remainder_dropped"),
        ("dave", "compile_error"),
        (HOSTILE_ID, "all_pass"),
    ]);
    let threads = class
        .path()
        .join(HOSTILE_ID)
        .join("src/bin/sum_array_threads.rs");
    let source = std::fs::read_to_string(&threads).unwrap();
    let hostile = source.replace(
        r#"println!("Array sum is: {sum}");"#,
        &format!(r#"println!("{{}}Array sum is: {{sum}}", {HOSTILE_OUTPUT:?});"#),
    );
    assert_ne!(hostile, source, "the fixture's sum line moved");
    std::fs::write(&threads, hostile).unwrap();
    class
}

/// Chromium's executable, if installed; otherwise says why the test skips (or fails, under
/// `LABGRADE_REQUIRE_TOOLS=1`).
#[track_caller]
fn chromium() -> Option<&'static str> {
    find_tool(
        &["chromium", "chromium-browser", "google-chrome"],
        "it renders report.html",
    )
}

/// Headless Chromium on `page` with `args`, in a fresh profile, with nothing fetched.
fn headless(chromium: &str, page: &Path, args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The part of `dom` from the first `start` to the next `end` after it.
#[track_caller]
fn between<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let from = dom
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in:\n{dom}"));
    let to = dom[from..].find(end).unwrap() + from;
    &dom[from..to]
}

#[test]
fn class_report_renders_in_chromium_with_its_figures_and_no_student_script() {
    let class = class();
    let out = tempfile::tempdir().unwrap();
    let batch = Cli::batch(class.path(), rubric(), out.path())
        .args(["--seed", "1", "--jobs", "2", "--quiet"])
        .run()
        .code(0);
    let page = out.path().join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // The CLI names the class report.
    batch.stdout_has("report.html");
    // Self-contained: nothing to fetch, no script of its own.
    for outside in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(outside), "`{outside}` in report.html");
    }
    assert!(html.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));

    // Merged, the same reports give the same page, byte for byte.
    let merged = tempfile::tempdir().unwrap();
    Cli::new("merge")
        .arg(out.path())
        .arg("--out")
        .arg(merged.path())
        .arg("--quiet")
        .run()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(merged.path().join("report.html")).unwrap(),
        html,
        "merge wrote another report.html from the same reports"
    );

    let Some(chromium) = chromium() else {
        return;
    };
    let dom = headless(chromium, &page, &["--dump-dom"]);
    let dom = String::from_utf8(dom.stdout).unwrap();
    // The student's markup is text: no element was made of it, and the title is the page's.
    assert!(!dom.to_lowercase().contains("<script"), "{dom}");
    assert!(!dom.contains("<b>bold</b>"), "{dom}");
    assert!(dom.contains("&lt;script&gt;document.title="), "{dom}");
    assert!(dom.contains("&lt;b&gt;bold&lt;/b&gt;"), "{dom}");
    assert!(dom.contains("mallory&lt;script&gt;"), "{dom}");
    assert!(
        dom.contains("<title>sum-array: class report</title>"),
        "{dom}"
    );

    assert_figures(&dom);

    // A screenshot, kept where people can look at it.
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&screenshot);
    headless(
        chromium,
        &page,
        &[
            &format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,2000",
        ],
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 10_000,
        "a {} byte screenshot is blank",
        png.len()
    );
    let _ = writeln!(
        std::io::stderr(),
        "screenshot of report.html: {}",
        screenshot.display()
    );
}

/// The figures of the rendered page, for the class of [`class`].
#[track_caller]
fn assert_figures(dom: &str) {
    // The histogram: one bar per tenth of the maximum; alice and bob 100, carol and
    // mallory 60 (each loses half of one sum check), dave 0.
    let histogram = between(dom, "<svg class=\"histogram\"", "</svg>");
    let bins: Vec<&str> = histogram
        .split("<rect class=\"bin\" data-count=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(bins, ["1", "0", "0", "0", "0", "0", "2", "0", "0", "2"]);

    // One pass-rate bar per check, in rubric order, over the five students.
    let rates: Vec<&str> = dom
        .split("<svg class=\"pass-rate\" data-check=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find(" width").unwrap()])
        .collect();
    assert_eq!(
        rates,
        [
            "threads-sum\" data-passed=\"2\" data-scored=\"5\"",
            "processes-sum\" data-passed=\"3\" data-scored=\"5\"",
            "threads-timing\" data-passed=\"4\" data-scored=\"5\"",
        ]
    );

    // One row per student, each linking to that student's report.
    let table = between(dom, "<table class=\"students\"", "</table>");
    assert_eq!(table.matches("<tr class=\"student\">").count(), 5);
    for index in 0..5 {
        assert!(table.contains(&format!("href=\"#student-{index}\"")));
        assert!(dom.contains(&format!(
            "<section class=\"student\" id=\"student-{index}\""
        )));
    }
    // dave's report shows the compiler's message; carol's the case that failed, with its replay.
    let dave = between(dom, "id=\"student-3\"", "</section>");
    assert!(dave.contains("compile error"), "{dave}");
    assert!(dave.contains("class=\"diagnostics\""), "{dave}");
    let carol = between(dom, "id=\"student-2\"", "</section>");
    assert!(carol.contains("case workers=3"), "{carol}");
    assert!(
        carol.contains("replay: <code>LABGRADE_ARRAY_LEN="),
        "{carol}"
    );

    // The timing plot: a line per student whose timing check ran (dave's did not compile),
    // and the class median over the worker counts 1, 2 and 4.
    let timing = between(
        dom,
        "<svg class=\"timing\" data-check=\"threads-timing\"",
        "</svg>",
    );
    assert_eq!(
        timing.matches("<polyline class=\"student-timing").count(),
        4
    );
    assert_eq!(
        timing.matches("<polyline class=\"class-median\"").count(),
        1
    );
    let start = "<polyline class=\"class-median\" points=\"";
    let median = &between(timing, start, "\">")[start.len()..];
    assert_eq!(median.split_whitespace().count(), 3, "{median}");
}
