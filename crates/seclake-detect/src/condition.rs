//! The `detection.condition` grammar, parsed into a tree whose leaves are
//! the rule's search names.
//!
//! ```text
//! or    := and ("or" and)*
//! and   := not ("and" not)*
//! not   := "not" not | atom
//! atom  := "(" or ")" | ("1" | "all") "of" (pattern | "them") | name
//! ```
//!
//! Precedence, loosest first, is `or`, `and`, `not`, `x of`, parentheses
//! (the order the Sigma specification gives). `x of` patterns match search
//! names with `*` wildcards and are resolved here, against the rule's
//! searches, so that the tree names only searches that exist; `them` is
//! every search whose name does not start with `_`. Aggregations
//! (`| count() by x > 5`, the pre-correlation syntax) and `near` are
//! refused: they need state across rows, which one expression over one
//! row cannot hold.

use crate::error::RuleError;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The search of that name matches.
    Search(String),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

/// Parses `text` for a detection whose searches are `searches`.
pub fn parse(text: &str, searches: &[&str]) -> Result<Condition, RuleError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        searches,
    };
    if parser.tokens.is_empty() {
        return Err(parser.error("the condition is empty"));
    }
    let tree = parser.or()?;
    if let Some(t) = parser.peek() {
        return Err(parser.error(format!("unexpected `{}` at column {}", t.text, t.column)));
    }
    Ok(tree)
}

#[derive(Debug)]
struct Token<'t> {
    text: &'t str,
    /// 1-based position of the token's first character.
    column: usize,
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, RuleError> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == '|' {
            return Err(RuleError::unsupported(
                "detection.condition",
                "an aggregation (`| count() ...`)",
            ));
        }
        let separate = c.is_whitespace() || c == '(' || c == ')';
        if separate {
            if let Some(s) = start.take() {
                tokens.push(token(text, s, i));
            }
            if !c.is_whitespace() {
                tokens.push(token(text, i, i + 1));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        tokens.push(token(text, s, text.len()));
    }
    Ok(tokens)
}

fn token(text: &str, start: usize, end: usize) -> Token<'_> {
    Token {
        text: &text[start..end],
        column: text[..start].chars().count() + 1,
    }
}

struct Parser<'t, 's> {
    text: &'t str,
    tokens: Vec<Token<'t>>,
    pos: usize,
    searches: &'s [&'s str],
}

impl<'t> Parser<'t, '_> {
    fn error(&self, reason: impl Into<String>) -> RuleError {
        RuleError::Condition {
            condition: self.text.to_string(),
            reason: reason.into(),
        }
    }

    fn peek(&self) -> Option<&Token<'t>> {
        self.tokens.get(self.pos)
    }

    fn next_is(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| t.text == word)
    }

    fn or(&mut self) -> Result<Condition, RuleError> {
        let mut items = vec![self.and()?];
        while self.next_is("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Condition::Or(items)
        })
    }

    fn and(&mut self) -> Result<Condition, RuleError> {
        let mut items = vec![self.not()?];
        while self.next_is("and") {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Condition::And(items)
        })
    }

    fn not(&mut self) -> Result<Condition, RuleError> {
        if self.next_is("not") {
            self.pos += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Condition, RuleError> {
        let Some(token) = self.peek() else {
            let last = self.tokens.last().map_or("", |t| t.text);
            return Err(self.error(format!("expected a search after `{last}` at the end")));
        };
        let (text, column) = (token.text, token.column);
        self.pos += 1;
        match text {
            "(" => {
                let inner = self.or()?;
                if !self.next_is(")") {
                    return Err(self.error(format!("the `(` at column {column} is not closed")));
                }
                self.pos += 1;
                Ok(inner)
            }
            ")" | "and" | "or" | "of" | "them" => Err(self.error(format!(
                "expected a search, `not`, `(` or `1 of`/`all of` at column {column}, found `{text}`"
            ))),
            "near" => Err(RuleError::unsupported(
                "detection.condition",
                "`near` (matches across several events)",
            )),
            _ if self.next_is("of") => {
                self.pos += 1;
                self.quantifier(text, column)
            }
            name => {
                if self.searches.contains(&name) {
                    Ok(Condition::Search(name.to_string()))
                } else {
                    Err(self.error(format!(
                        "no search named `{name}` (the detection has {})",
                        list(self.searches)
                    )))
                }
            }
        }
    }

    /// `1 of x`, `all of x`, after the `of`.
    fn quantifier(&mut self, count: &str, column: usize) -> Result<Condition, RuleError> {
        let all = match count {
            "1" => false,
            "all" => true,
            _ => {
                return Err(self.error(format!(
                    "`{count} of` at column {column}: Sigma has only `1 of` and `all of`"
                )))
            }
        };
        let Some(target) = self.peek().map(|t| t.text) else {
            return Err(self.error(format!(
                "`{count} of` at column {column} needs a search pattern or `them`"
            )));
        };
        if matches!(target, "(" | ")" | "and" | "or" | "not") {
            return Err(self.error(format!(
                "`{count} of` at column {column} needs a search pattern or `them`, found `{target}`"
            )));
        }
        self.pos += 1;
        let names: Vec<String> = self
            .searches
            .iter()
            .filter(|s| match target {
                "them" => !s.starts_with('_'),
                pattern => glob(pattern.as_bytes(), s.as_bytes()),
            })
            .map(|s| s.to_string())
            .collect();
        if names.is_empty() {
            return Err(self.error(format!(
                "`{count} of {target}` matches no search (the detection has {})",
                list(self.searches)
            )));
        }
        let leaves = names.into_iter().map(Condition::Search).collect();
        Ok(if all {
            Condition::And(leaves)
        } else {
            Condition::Or(leaves)
        })
    }
}

fn list(searches: &[&str]) -> String {
    if searches.is_empty() {
        return "no searches".to_string();
    }
    searches
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `name` matches `pattern`, where `*` is any run of characters.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob(rest, &name[i..])),
        Some((c, rest)) => name.first() == Some(c) && glob(rest, &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEARCHES: &[&str] = &["selection", "sel_a", "sel_b", "filter", "_private"];

    fn s(name: &str) -> Condition {
        Condition::Search(name.to_string())
    }

    fn parsed(text: &str) -> Condition {
        parse(text, SEARCHES).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn error(text: &str) -> String {
        parse(text, SEARCHES).unwrap_err().to_string()
    }

    #[test]
    fn not_binds_tighter_than_and_tighter_than_or() {
        assert_eq!(
            parsed("selection or sel_a and not filter"),
            Condition::Or(vec![
                s("selection"),
                Condition::And(vec![s("sel_a"), Condition::Not(Box::new(s("filter")))]),
            ])
        );
        assert_eq!(
            parsed("(selection or sel_a) and not not filter"),
            Condition::And(vec![
                Condition::Or(vec![s("selection"), s("sel_a")]),
                Condition::Not(Box::new(Condition::Not(Box::new(s("filter"))))),
            ])
        );
        assert_eq!(parsed("((selection))"), s("selection"));
    }

    #[test]
    fn quantifiers_expand_to_the_matching_searches() {
        assert_eq!(
            parsed("1 of sel_* and not all of filter"),
            Condition::And(vec![
                Condition::Or(vec![s("sel_a"), s("sel_b")]),
                Condition::Not(Box::new(Condition::And(vec![s("filter")]))),
            ])
        );
        // `them` leaves out searches whose names start with `_`.
        assert_eq!(
            parsed("all of them"),
            Condition::And(vec![s("selection"), s("sel_a"), s("sel_b"), s("filter")])
        );
        assert_eq!(
            parsed("1 of *e*"),
            Condition::Or(vec![
                s("selection"),
                s("sel_a"),
                s("sel_b"),
                s("filter"),
                s("_private")
            ])
        );
        assert_eq!(parsed("1 of _private"), Condition::Or(vec![s("_private")]));
    }

    #[test]
    fn errors_say_what_is_wrong_and_where() {
        for (text, message) in [
            ("", "the condition is empty"),
            ("selection and", "expected a search after `and` at the end"),
            ("selection filter", "unexpected `filter` at column 11"),
            ("(selection", "the `(` at column 1 is not closed"),
            ("selection and or filter", "found `or`"),
            ("selection2", "no search named `selection2`"),
            ("2 of sel_*", "Sigma has only `1 of` and `all of`"),
            ("1 of", "needs a search pattern or `them`"),
            ("1 of x*", "`1 of x*` matches no search"),
        ] {
            let got = error(text);
            assert!(got.contains(message), "{text:?}: {got}");
            assert!(
                got.starts_with(&format!("detection.condition `{text}`: ")),
                "{got}"
            );
        }
        assert_eq!(
            error("selection | count() > 5"),
            "detection.condition: an aggregation (`| count() ...`) is not supported"
        );
        assert!(error("selection near filter").contains("`near`"));
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob(b"sel*", b"selection"));
        assert!(glob(b"*", b""));
        assert!(glob(b"a*b*c", b"aXbYc"));
        assert!(!glob(b"sel", b"selection"));
        assert!(!glob(b"*x", b"xa"));
    }
}
