//! JSON without a document tree: strict syntax checks ([`syntax`]), a
//! cursor the nested-column builders walk ([`cursor`]), and the
//! schema-driven record decoder every JSON log type uses ([`record`]).

pub mod cursor;
pub mod record;
pub mod syntax;

use std::borrow::Cow;

pub use cursor::Cursor;
pub use record::{JsonRecord, Member};

/// The contents of a string literal (quotes included in `lit`), escapes
/// undone; borrowed when there are none.
pub fn unquote(lit: &str) -> Cow<'_, str> {
    let inner = lit.get(1..lit.len().saturating_sub(1)).unwrap_or("");
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    Cow::Owned(syntax::unescape(inner))
}
