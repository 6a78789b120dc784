//! Unknown keys: serde stops at the first one of a table, naming the keys it expected; the
//! validator reads that error to say which key was meant, then drops the key and reads the
//! table again, so that every unknown key is reported and the table itself is still checked.

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

#[cfg(test)]
mod tests {
    use super::{UnknownField, unknown_field};

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
