//! A small rubric for the self-check's unit tests: `sum`, `timing` (which needs `sum`) and
//! `usage`.

use std::path::Path;

use crate::rubric::Rubric;

/// The demo rubric, worth 10, 5 and 5 points.
pub(super) fn rubric() -> Rubric {
    let text = r#"
[exercise]
name = "demo"
package = "."
files = ["src/main.rs"]

[[check]]
id = "sum"
title = "sum"
points = 10
run = "demo"

[[check]]
id = "timing"
title = "timing"
points = 5
run = "demo"
needs = ["sum"]

[[check]]
id = "usage"
title = "usage"
points = 5
run = "demo"
"#;
    crate::rubric::parse(Path::new("rubrics/demo.toml"), text).expect("a valid rubric")
}
