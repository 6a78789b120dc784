//! Strings with `{variable}` placeholders, filled in from a case's variables.

use std::collections::BTreeMap;

/// A string with `{name}` placeholders; `{{` and `}}` stand for literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

impl Template {
    /// Parses `source`; the error says what is wrong with it.
    pub fn parse(source: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    let valid = closed
                        && !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !valid {
                        return Err(format!(
                            "`{{{name}` is not a placeholder: write `{{name}}` with a case variable's name, or `{{{{` for a literal brace"
                        ));
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Var(name));
                }
                '}' => {
                    return Err("a lone `}` must be written `}}`".to_owned());
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// A template without placeholders.
    #[must_use]
    pub fn literal(text: &str) -> Self {
        Self {
            source: text.replace('{', "{{").replace('}', "}}"),
            parts: vec![Part::Text(text.to_owned())],
        }
    }

    /// The string as written.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Names of the placeholders.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Var(name) => Some(name.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Fills in the placeholders; validation has made sure every name has a value.
    #[must_use]
    pub fn render(&self, vars: &BTreeMap<String, String>) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.as_str(),
                Part::Var(name) => vars.get(name).map_or("", String::as_str),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_escapes() {
        let template = Template::parse("n={workers} {{x}}").unwrap();
        let vars = BTreeMap::from([("workers".to_owned(), "7".to_owned())]);
        assert_eq!(template.render(&vars), "n=7 {x}");
        assert_eq!(template.vars().collect::<Vec<_>>(), ["workers"]);
    }

    #[test]
    fn rejects_broken_placeholders() {
        assert!(Template::parse("{workers").is_err());
        assert!(Template::parse("{}").is_err());
        assert!(Template::parse("a } b").is_err());
    }
}
