//! A cursor over JSON text that never builds a tree: the nested-column
//! builders read members and scalars straight from the record's bytes.

use std::borrow::Cow;

use super::unquote;

pub struct Cursor<'j> {
    s: &'j str,
    i: usize,
}

impl<'j> Cursor<'j> {
    pub fn new(s: &'j str) -> Self {
        Cursor { s, i: 0 }
    }

    pub fn position(&self) -> usize {
        self.i
    }

    fn ws(&mut self) {
        let b = self.s.as_bytes();
        while self.i < b.len() && b[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    /// The next significant byte.
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.as_bytes().get(self.i).copied()
    }

    /// Steps over the byte [`Cursor::peek`] returned.
    pub fn bump(&mut self) {
        self.i += 1;
    }

    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Gives up on the rest of the text (after malformed JSON).
    pub fn skip_to_end(&mut self) {
        self.i = self.s.len();
    }

    /// The string literal at the cursor, escapes undone.
    pub fn string(&mut self) -> Option<Cow<'j, str>> {
        self.string_literal().map(unquote)
    }

    /// The raw text of the string literal at the cursor, quotes included.
    fn string_literal(&mut self) -> Option<&'j str> {
        self.ws();
        let b = self.s.as_bytes();
        if b.get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i;
        let mut j = start + 1;
        loop {
            j += super::syntax::plain_run(b.get(j..)?);
            match b.get(j)? {
                b'\\' => j += 2,
                b'"' => {
                    j += 1;
                    break;
                }
                // A control character: the text was checked before; walk on.
                _ => j += 1,
            }
        }
        // An escape at the very end could step past the text.
        let lit = self.s.get(start..j)?;
        self.i = j;
        Some(lit)
    }

    /// The raw text of the value at the cursor, which moves past it; `None`
    /// when there is no value there (malformed or truncated JSON).
    pub fn skip_value(&mut self) -> Option<&'j str> {
        let first = self.peek()?;
        let start = self.i;
        match first {
            b'"' => {
                self.string_literal()?;
            }
            b'{' | b'[' => {
                let b = self.s.as_bytes();
                let mut depth = 0usize;
                while self.i < b.len() {
                    match b[self.i] {
                        b'"' => {
                            self.string_literal()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                self.i += 1;
                                return Some(&self.s[start..self.i]);
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                return None;
            }
            _ => {
                let b = self.s.as_bytes();
                while self.i < b.len()
                    && !matches!(b[self.i], b',' | b'}' | b']' | b':' | b'{' | b'[' | b'"')
                    && !b[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
            }
        }
        let lit = &self.s[start..self.i];
        (!lit.is_empty()).then_some(lit)
    }
}
