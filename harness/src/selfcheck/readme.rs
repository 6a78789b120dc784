//! Whether an exercise's README and its rubric agree: the README's `## How it is graded`
//! section holds a table with one row per requirement (check, graded ratio, and the build when
//! it has points), `| `id` | points | requirement |`, with the rubric's points. A student reads
//! the README, the grader reads the rubric: where they differ, a student is graded against
//! rules they were never told.

use std::collections::BTreeMap;

use crate::rubric::Rubric;

/// The heading of the section that lists the requirements.
pub(super) const SECTION: &str = "## How it is graded";

/// Every way `readme` (the README's text) and `rubric` disagree, each with the README's line
/// where it can be placed; empty when they agree.
#[must_use]
pub(super) fn disagreements(readme: &str, rubric: &Rubric) -> Vec<String> {
    let wanted = wanted(rubric);
    let Some(start) = readme.lines().position(|line| line.trim_end() == SECTION) else {
        return vec![format!(
            "it has no `{SECTION}` section; add one with a table `| check | points | requirement |` and one row per requirement ({})",
            wanted
                .keys()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )];
    };
    let mut problems = Vec::new();
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    for (index, line) in readme.lines().enumerate().skip(start + 1) {
        if line.starts_with("## ") {
            break;
        }
        let number = index + 1;
        let Some(cells) = row(line) else { continue };
        let Some(id) = cells[0]
            .strip_prefix('`')
            .and_then(|id| id.strip_suffix('`'))
        else {
            continue;
        };
        if found.insert(id.to_owned(), number).is_some() {
            problems.push(format!("line {number}: `{id}` has a second row"));
            continue;
        }
        match (wanted.get(id), cells.get(1).map(|cell| cell.parse::<u32>())) {
            (None, _) => problems.push(format!(
                "line {number}: `{id}` is not a check or graded ratio of the rubric; remove the row or add the check"
            )),
            (Some(points), Some(Ok(written))) if written == *points => {}
            (Some(points), Some(Ok(written))) => problems.push(format!(
                "line {number}: `{id}` is worth {written} points here and {points} in the rubric"
            )),
            (Some(points), _) => problems.push(format!(
                "line {number}: `{id}`'s row needs its points, {points}, in its second cell"
            )),
        }
    }
    for (id, points) in &wanted {
        if !found.contains_key(*id) {
            problems.push(format!(
                "no row for `{id}` ({points} points) in `{SECTION}`: every requirement the rubric grades is listed"
            ));
        }
    }
    problems
}

/// The cells of a table row without their padding, or `None` for a line that is not a row or
/// is the separator under the header.
fn row(line: &str) -> Option<Vec<&str>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
    (!cells
        .iter()
        .all(|cell| cell.chars().all(|c| c == '-' || c == ':')))
    .then_some(cells)
}

/// The requirements of `rubric` and their points.
fn wanted(rubric: &Rubric) -> BTreeMap<&str, u32> {
    let mut wanted: BTreeMap<&str, u32> = rubric
        .checks
        .iter()
        .map(|check| (check.id.as_str(), check.points))
        .collect();
    wanted.extend(
        rubric
            .ratios
            .iter()
            .filter(|ratio| ratio.points > 0)
            .map(|ratio| (ratio.id.as_str(), ratio.points)),
    );
    if rubric.build.points > 0 {
        wanted.insert(crate::rubric::BUILD_ID, rubric.build.points);
    }
    wanted
}

#[cfg(test)]
mod tests {

    use super::*;

    use super::super::demo::rubric;

    #[test]
    fn a_table_with_every_requirement_and_its_points_agrees() {
        let readme = "# demo\n\n## How it is graded\n\n| check | points | requirement |\n| --- | --- | --- |\n| `sum` | 10 | the sum |\n| `timing` | 5 | the time |\n| `usage` | 5 | a usage line |\n\n## Questions\n| `other` | 3 | not in the section |\n";
        assert_eq!(disagreements(readme, &rubric()), Vec::<String>::new());
    }

    #[test]
    fn wrong_points_unknown_rows_and_missing_rows_are_each_named() {
        let readme = "## How it is graded\n\n| check | points | requirement |\n| --- | --- | --- |\n| `sum` | 20 | the sum |\n| `cores` | 10 | not graded |\n| `timing` | 5 | the time |\n";
        assert_eq!(
            disagreements(readme, &rubric()),
            vec![
                "line 5: `sum` is worth 20 points here and 10 in the rubric".to_owned(),
                "line 6: `cores` is not a check or graded ratio of the rubric; remove the row or add the check".to_owned(),
                "no row for `usage` (5 points) in `## How it is graded`: every requirement the rubric grades is listed".to_owned(),
            ]
        );
        assert!(
            disagreements("# demo\n", &rubric())[0]
                .starts_with("it has no `## How it is graded` section")
        );
    }
}
