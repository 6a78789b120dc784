//! `--roster FILE.csv`: who each student is, for the gradebook exports. A header row names
//! the columns: `id` (the student id the batch uses), and any of `name`, `email`,
//! `sis_user_id`, `sis_login_id`, `section`. A roster's value replaces the class download's;
//! an empty cell leaves it. Rows of students not in the batch are ignored.

use std::path::Path;

use super::super::BatchError;
use super::Person;

/// The columns a roster may have, `id` first.
const COLUMNS: [&str; 6] = [
    "id",
    "name",
    "email",
    "sis_user_id",
    "sis_login_id",
    "section",
];

/// Fills `people` (sorted by id) from the roster at `path`.
pub fn apply_roster(path: &Path, people: &mut [Person]) -> Result<(), BatchError> {
    let problem = |line: Option<u64>, what: String| {
        let at = line.map_or_else(String::new, |line| format!(":{line}"));
        BatchError::Roster(format!("{}{at}: {what}", path.display()))
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|error| {
            problem(
                None,
                format!("cannot read the roster ({error}); pass a CSV file with an `id` column"),
            )
        })?;
    let headers = reader
        .headers()
        .map_err(|error| problem(Some(1), format!("{error}")))?
        .clone();
    let mut index = [None; COLUMNS.len()];
    for (position, header) in headers.iter().enumerate() {
        let Some(column) = COLUMNS.iter().position(|known| *known == header) else {
            let closest = COLUMNS
                .iter()
                .max_by(|a, b| {
                    strsim::jaro_winkler(header, a).total_cmp(&strsim::jaro_winkler(header, b))
                })
                .unwrap_or(&"id");
            return Err(problem(
                Some(1),
                format!(
                    "unknown column `{header}` (did you mean `{closest}`?); a roster's columns are {}",
                    COLUMNS.join(", ")
                ),
            ));
        };
        index[column] = Some(position);
    }
    let Some(id_column) = index[0] else {
        return Err(problem(
            Some(1),
            "no `id` column; add one holding each student's id as the gradebook shows it"
                .to_owned(),
        ));
    };
    for row in reader.records() {
        let row = row.map_err(|error| {
            let line = error.position().map(csv::Position::line);
            problem(line, format!("{error}; fix the row"))
        })?;
        let line = row.position().map(csv::Position::line);
        let id = row.get(id_column).unwrap_or_default();
        if id.is_empty() {
            return Err(problem(
                line,
                "the `id` cell is empty; give the student's id or remove the row".to_owned(),
            ));
        }
        let Ok(found) = people.binary_search_by(|person| person.id.as_str().cmp(id)) else {
            continue;
        };
        let person = &mut people[found];
        let cell = |column: usize| {
            index[column]
                .and_then(|position| row.get(position))
                .filter(|value| !value.is_empty())
                .map(ToOwned::to_owned)
        };
        let fields = [
            &mut person.name,
            &mut person.email,
            &mut person.sis_user_id,
            &mut person.sis_login_id,
            &mut person.section,
        ];
        for (column, field) in fields.into_iter().enumerate() {
            if let Some(value) = cell(column + 1) {
                *field = Some(value);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::apply_roster;
    use crate::batch::lms::Person;

    #[test]
    fn a_roster_fills_in_and_a_bad_one_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let roster = dir.path().join("roster.csv");
        std::fs::write(
            &roster,
            "id,name,email,section\n654321,\"Lovelace, Ada\",ada@example.edu,L01\nnobody,x,y,z\n",
        )
        .unwrap();
        let mut people = vec![
            Person::named("654321", Some("lovelaceada")),
            Person::named("7", None),
        ];
        apply_roster(&roster, &mut people).unwrap();
        assert_eq!(people[0].name.as_deref(), Some("Lovelace, Ada"));
        assert_eq!(people[0].email.as_deref(), Some("ada@example.edu"));
        assert_eq!(people[0].section.as_deref(), Some("L01"));
        assert_eq!(people[1], Person::named("7", None));

        std::fs::write(&roster, "id,mail\n1,x\n").unwrap();
        let error = apply_roster(&roster, &mut people).unwrap_err().to_string();
        assert!(
            error.contains("roster.csv:1") && error.contains("did you mean `email`"),
            "{error}"
        );
        std::fs::write(&roster, "id,name\n1,a\n,b\n").unwrap();
        let error = apply_roster(&roster, &mut people).unwrap_err().to_string();
        assert!(
            error.contains("roster.csv:3") && error.contains("`id` cell is empty"),
            "{error}"
        );
    }
}
