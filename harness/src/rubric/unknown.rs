//! Unknown keys: serde stops at the first one of a table, naming the keys it expected; the
//! validator reads that error to say which key was meant, then drops the key and reads the
//! table again, so that every unknown key is reported and the table itself is still checked.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// An unknown key, read from serde's "unknown field `x`, expected one of `a`, `b`" error.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct UnknownField<'m> {
    /// The key as written.
    pub(super) field: &'m str,
    /// The keys the table takes.
    pub(super) expected: Vec<&'m str>,
}

/// The unknown key of a deserialization error's `message`, if that is what it says.
///
/// serde writes this message itself (`serde::de::Error::unknown_field`), the one place whose
/// wording labgrade relies on: the field and every expected key are the backquoted words.
pub(super) fn unknown_field(message: &str) -> Option<UnknownField<'_>> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    // Backquoted words alternate with the text between them: `a`, `b` or `c`.
    let expected = rest.split('`').skip(1).step_by(2).collect();
    Some(UnknownField { field, expected })
}

/// The table within `value` (itself, or one nested in its tables and arrays, such as a matcher
/// of `stdout = [{ regx = … }]`) that holds the key `field` written at `at`.
pub(super) fn table_holding<'v, 'i>(
    value: &'v mut DeValue<'i>,
    field: &str,
    at: Option<&Range<usize>>,
) -> Option<&'v mut DeTable<'i>> {
    let holds = |table: &DeTable<'_>| {
        table
            .keys()
            .any(|key| key.get_ref() == field && at.is_none_or(|at| key.span() == *at))
    };
    if matches!(value, DeValue::Table(table) if holds(table)) {
        return match value {
            DeValue::Table(table) => Some(table),
            _ => None,
        };
    }
    match value {
        DeValue::Table(table) => table
            .iter_mut()
            .find_map(|(_, inner)| table_holding(inner.get_mut(), field, at)),
        DeValue::Array(array) => array
            .iter_mut()
            .find_map(|inner| table_holding(inner.get_mut(), field, at)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use toml::de::{DeTable, DeValue};

    use super::{UnknownField, table_holding, unknown_field};

    #[test]
    fn finds_the_nested_table_holding_the_key() {
        let text = "a = 1\nstdout = [{ line = \"x\" }, { regx = \"y\" }]\n";
        let mut value = DeValue::Table(DeTable::parse(text).unwrap().into_inner());
        let at = text.find("regx").map(|start| start..start + 4);
        let table = table_holding(&mut value, "regx", at.as_ref()).unwrap();
        assert_eq!(table.len(), 1);
        assert!(table_holding(&mut value, "regx", Some(&(0..1))).is_none());
        assert!(table_holding(&mut value, "nope", None).is_none());
    }

    #[test]
    fn reads_the_field_and_every_expected_key() {
        assert_eq!(
            unknown_field("unknown field `pointz`, expected one of `id`, `points`, `run`"),
            Some(UnknownField {
                field: "pointz",
                expected: vec!["id", "points", "run"],
            })
        );
        assert_eq!(
            unknown_field("unknown field `b`, expected `a` or `c`"),
            Some(UnknownField {
                field: "b",
                expected: vec!["a", "c"],
            })
        );
        assert_eq!(
            unknown_field("unknown field `b`, there are no fields"),
            Some(UnknownField {
                field: "b",
                expected: vec![],
            })
        );
    }

    #[test]
    fn other_errors_are_not_unknown_fields() {
        assert_eq!(unknown_field("missing field `points`"), None);
        assert_eq!(
            unknown_field("invalid type: string \"x\", expected i64"),
            None
        );
    }
}
