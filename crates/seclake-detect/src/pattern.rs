//! Sigma string values: literal text with the wildcards `*` (any run of
//! characters) and `?` (one character), and the character class that the
//! `windash` modifier puts where a dash was.
//!
//! Sigma escapes with the backslash: `\*` and `\?` are a plain star and
//! question mark, `\\` is one backslash, and a backslash before anything
//! else is itself (so `C:\Windows` needs no doubling). Patterns are kept
//! as pieces so that each way of evaluating them (SQL `LIKE`, a regular
//! expression, base64 encoding of plain text) can render them exactly.

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Plain text, matched as written (case-insensitively unless `cased`).
    Text(String),
    /// `*`: any run of characters, possibly empty.
    AnyString,
    /// `?`: exactly one character.
    AnyChar,
    /// One of the characters that Windows command lines accept in front
    /// of a flag: `-`, `/`, en dash, em dash, horizontal bar.
    Dash,
}

/// The characters `windash` makes interchangeable.
pub const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// A Sigma string value, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

impl Pattern {
    /// Parses a Sigma string: wildcards and backslash escapes.
    pub fn parse(value: &str) -> Self {
        let mut p = Pattern::default();
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => p.push(Piece::AnyString),
                '?' => p.push(Piece::AnyChar),
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        p.push_char(next);
                    }
                    _ => p.push_char('\\'),
                },
                c => p.push_char(c),
            }
        }
        p
    }

    /// Text matched as written: no wildcards.
    pub fn literal(text: &str) -> Self {
        let mut p = Pattern::default();
        if !text.is_empty() {
            p.pieces.push(Piece::Text(text.to_string()));
        }
        p
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    fn push_char(&mut self, c: char) {
        if let Some(Piece::Text(t)) = self.pieces.last_mut() {
            t.push(c);
        } else {
            self.pieces.push(Piece::Text(c.to_string()));
        }
    }

    fn push(&mut self, piece: Piece) {
        // `**` means what `*` means; one piece keeps renderings short.
        if piece == Piece::AnyString && self.pieces.last() == Some(&Piece::AnyString) {
            return;
        }
        self.pieces.push(piece);
    }

    /// The text, when the pattern has no wildcard or class.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether the pattern matches only the empty string.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// `*` before the pattern (the `endswith` modifier), unless one is there.
    pub fn any_before(mut self) -> Self {
        if self.pieces.first() != Some(&Piece::AnyString) {
            self.pieces.insert(0, Piece::AnyString);
        }
        self
    }

    /// `*` after the pattern (the `startswith` modifier), unless one is there.
    pub fn any_after(mut self) -> Self {
        self.push(Piece::AnyString);
        self
    }

    /// Every dash-like character in the text becomes [`Piece::Dash`]
    /// (the `windash` modifier).
    pub fn windash(self) -> Self {
        let mut out = Pattern::default();
        for piece in self.pieces {
            match piece {
                Piece::Text(t) => {
                    for c in t.chars() {
                        if DASHES.contains(&c) {
                            out.push(Piece::Dash);
                        } else {
                            out.push_char(c);
                        }
                    }
                }
                other => out.push(other),
            }
        }
        out
    }

    /// The pattern as an SQL `LIKE` pattern with `\` escaping `%`, `_` and
    /// itself; `None` when it holds a [`Piece::Dash`], which `LIKE` cannot
    /// say.
    pub fn to_like(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => {
                    for c in t.chars() {
                        if matches!(c, '%' | '_' | '\\') {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
                Piece::AnyString => out.push('%'),
                Piece::AnyChar => out.push('_'),
                Piece::Dash => return None,
            }
        }
        Some(out)
    }

    /// The pattern as a regular expression over the whole value, with the
    /// flags for dot-matches-newline and, unless `cased`, case-insensitive
    /// matching.
    pub fn to_regex(&self, cased: bool) -> String {
        let mut out = String::from(if cased { "(?s)^" } else { "(?si)^" });
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(&regex::escape(t)),
                Piece::AnyString => out.push_str(".*"),
                Piece::AnyChar => out.push('.'),
                Piece::Dash => {
                    out.push('[');
                    for d in DASHES {
                        // `-` first in a class is itself.
                        out.push(d);
                    }
                    out.push(']');
                }
            }
        }
        out.push('$');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_sigma_rules() {
        let cases: &[(&str, &[Piece])] = &[
            (
                r"a*b?c",
                &[
                    Piece::Text("a".into()),
                    Piece::AnyString,
                    Piece::Text("b".into()),
                    Piece::AnyChar,
                    Piece::Text("c".into()),
                ],
            ),
            (r"\*\?", &[Piece::Text("*?".into())]),
            (r"C:\Windows\x", &[Piece::Text(r"C:\Windows\x".into())]),
            (r"a\\*", &[Piece::Text(r"a\".into()), Piece::AnyString]),
            (r"a\\\*", &[Piece::Text(r"a\*".into())]),
            (r"\\\\", &[Piece::Text(r"\\".into())]),
            (r"\\\", &[Piece::Text(r"\\".into())]),
            (r"end\", &[Piece::Text(r"end\".into())]),
            ("**x", &[Piece::AnyString, Piece::Text("x".into())]),
        ];
        for (value, pieces) in cases {
            assert_eq!(Pattern::parse(value).pieces(), *pieces, "{value}");
        }
    }

    #[test]
    fn renders_like_patterns_with_sql_wildcards_escaped() {
        assert_eq!(
            Pattern::parse(r"50%_a\b*c?").to_like().unwrap(),
            r"50\%\_a\\b%c_"
        );
        assert_eq!(
            Pattern::parse("x")
                .any_before()
                .any_after()
                .to_like()
                .unwrap(),
            "%x%"
        );
        assert_eq!(
            Pattern::parse("*x*")
                .any_before()
                .any_after()
                .to_like()
                .unwrap(),
            "%x%"
        );
        assert_eq!(Pattern::parse("-x").windash().to_like(), None);
    }

    #[test]
    fn renders_regexes_anchored_with_text_escaped() {
        assert_eq!(Pattern::parse("a.b*").to_regex(true), r"(?s)^a\.b.*$");
        assert_eq!(Pattern::parse("?").to_regex(false), "(?si)^.$");
        assert_eq!(
            Pattern::parse("/c -x").windash().to_regex(true),
            "(?s)^[-/\u{2013}\u{2014}\u{2015}]c [-/\u{2013}\u{2014}\u{2015}]x$"
        );
    }

    #[test]
    fn plain_text_has_no_wildcards() {
        assert_eq!(Pattern::parse(r"a\*").as_plain().as_deref(), Some("a*"));
        assert_eq!(Pattern::parse("a*").as_plain(), None);
        assert!(Pattern::parse("").is_empty());
    }
}
