//! Choosing the log type of each record.
//!
//! Records are tried against the candidate types, the last successful type
//! first (a stream is almost always one type, so the first try wins),
//! catch-all types ([`Signature::Fallback`]) always after the others, and
//! only against types whose signature the record shows (a substring search,
//! so more registered types cost little). Each
//! type's parser is created on first use and kept for the stream, since
//! parsers may hold per-stream state. When no type accepts a record, the
//! reason reported is the first "this type, but broken" error, which names
//! the type the record most resembles.

use seclake_core::row::RowBuf;
use seclake_core::{LogType, ParseContext, ParseError, Parsed, RecordParser, Row, Signature};

fn is_fallback(t: &LogType) -> bool {
    matches!(t.def.signature, Signature::Fallback)
}

pub struct Classifier<'t> {
    types: Vec<&'t LogType>,
    parsers: Vec<Option<Box<dyn RecordParser>>>,
    /// Indexes into `types`, most recently successful first.
    order: Vec<usize>,
}

/// The outcome of one record.
pub enum Outcome<'t, 'a> {
    /// A row; `more` when the record holds further rows
    /// ([`Classifier::next_row`]).
    Row(&'t LogType, Row<'a>, bool),
    Skip(&'t LogType),
    Reject {
        log_type: Option<&'t LogType>,
        error: ParseError,
    },
}

impl<'t> Classifier<'t> {
    pub fn new(types: Vec<&'t LogType>) -> Self {
        let n = types.len();
        // Catch-all types go last, and stay last (see `classify`).
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| is_fallback(types[i]));
        Classifier {
            types,
            parsers: (0..n).map(|_| None).collect(),
            order,
        }
    }

    pub fn classify<'a>(
        &mut self,
        record: &'a str,
        ctx: &ParseContext,
        buf: &mut RowBuf,
    ) -> Outcome<'t, 'a> {
        let mut first_invalid: Option<(usize, ParseError)> = None;
        let mut first_mismatch: Option<(usize, ParseError)> = None;
        let choosing = self.types.len() > 1;
        for pos in 0..self.order.len() {
            let idx = self.order[pos];
            let t = self.types[idx];
            if choosing && !t.def.signature.admits(record) {
                continue;
            }
            let parser = self.parsers[idx].get_or_insert_with(|| (t.def.new_parser)());
            let mut row = buf.row(t.schema.columns.len());
            match parser.parse(record, ctx, &mut row) {
                Ok(parsed) => {
                    // A catch-all that succeeded is not moved ahead of the
                    // specific types: they still get the next record first.
                    if pos > 0 && !is_fallback(t) {
                        self.order[..=pos].rotate_right(1);
                    }
                    return match parsed {
                        Parsed::Row => Outcome::Row(t, row, false),
                        Parsed::RowAndMore => Outcome::Row(t, row, true),
                        Parsed::Skip => {
                            buf.recycle(row);
                            Outcome::Skip(t)
                        }
                    };
                }
                Err(e) => {
                    buf.recycle(row);
                    let slot = if e.is_mismatch() {
                        &mut first_mismatch
                    } else {
                        &mut first_invalid
                    };
                    if slot.is_none() {
                        *slot = Some((idx, e));
                    }
                }
            }
        }
        let single = self.types.len() == 1;
        match (first_invalid, first_mismatch) {
            (Some((idx, error)), _) => Outcome::Reject {
                log_type: Some(self.types[idx]),
                error,
            },
            (None, Some((idx, error))) if single => Outcome::Reject {
                log_type: Some(self.types[idx]),
                error,
            },
            _ => Outcome::Reject {
                log_type: None,
                error: ParseError::invalid("no log type recognises this record")
                    .with_detail(format!("tried {} log types", self.types.len())),
            },
        }
    }

    /// The next row of a record that [`Classifier::classify`] gave as a
    /// row of `t` with more to come.
    pub fn next_row<'a>(
        &mut self,
        t: &'t LogType,
        record: &'a str,
        ctx: &ParseContext,
        buf: &mut RowBuf,
    ) -> Outcome<'t, 'a> {
        let Some(idx) = self.types.iter().position(|c| std::ptr::eq(*c, t)) else {
            return Outcome::Skip(t);
        };
        let Some(parser) = self.parsers[idx].as_mut() else {
            return Outcome::Skip(t);
        };
        let mut row = buf.row(t.schema.columns.len());
        match parser.next_row(record, ctx, &mut row) {
            Ok(Parsed::Row) => Outcome::Row(t, row, false),
            Ok(Parsed::RowAndMore) => Outcome::Row(t, row, true),
            Ok(Parsed::Skip) => {
                buf.recycle(row);
                Outcome::Skip(t)
            }
            Err(error) => {
                buf.recycle(row);
                Outcome::Reject {
                    log_type: Some(t),
                    error,
                }
            }
        }
    }
}
