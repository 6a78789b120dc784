//! Reading `rustfmt --check`: each region it would rewrite, at its first changed line.

use crate::grade::{Finding, FindingKind};

/// The regions `rustfmt --check` printed in the student's `files` (paths relative to the
/// package folder `package_dir`). Each region starts with `Diff in <path>:<line>:`, `<line>`
/// being the first line of context; then context lines (` `), the file's lines (`-`) and
/// rustfmt's (`+`). A finding is at the first line that changes.
pub(super) fn findings(stdout: &str, package_dir: &str, files: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut lines = stdout.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((path, start)) = region(line) else {
            continue;
        };
        let mut context = 0;
        while let Some(next) = lines.peek().filter(|next| region(next).is_none()) {
            if next.starts_with('-') || next.starts_with('+') {
                break;
            }
            context += 1;
            lines.next();
        }
        let Some(file) = path
            .strip_prefix(package_dir)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|file| files.iter().any(|f| f == file))
        else {
            continue;
        };
        findings.push(Finding {
            kind: FindingKind::Unformatted,
            lint: None,
            file: file.to_owned(),
            line: start + context,
            column: 1,
            message: "not formatted as `rustfmt` writes it (run `cargo fmt`)".to_owned(),
        });
    }
    findings
}

/// The path and first line of a region's header, `Diff in <path>:<line>:`.
fn region(line: &str) -> Option<(&str, u64)> {
    let place = line.strip_prefix("Diff in ")?.strip_suffix(':')?;
    let (path, number) = place.rsplit_once(':')?;
    Some((path, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::findings;

    #[test]
    fn each_region_is_found_at_its_first_changed_line_in_the_student_s_files_only() {
        let stdout = "\
Diff in /slot/pkg/src/main.rs:2:
     let v = vec![1, 2, 3];
     let mut s = 0;
-    for i in 0..v.len() { s += v[i]; }
+    for i in 0..v.len() {
+        s += v[i];
+    }
     println!(\"{s}\");
Diff in /slot/pkg/src/main.rs:40:
-fn f() {}
+fn f() {
+}
Diff in /slot/pkg/src/support.rs:1:
-use std::io;
+use std::io ;
";
        let found = findings(stdout, "/slot/pkg", &["src/main.rs".to_owned()]);
        let places: Vec<String> = found.iter().map(crate::grade::Finding::place).collect();
        assert_eq!(places, ["src/main.rs:4:1", "src/main.rs:40:1"]);
    }
}
