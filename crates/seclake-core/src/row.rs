//! A row being built by a parser: one value per schema column, the event
//! time, and the indicators found so far.

use std::borrow::Cow;

use crate::indicators::{Indicator, Indicators};
use crate::schema::Schema;
use crate::time::Timestamp;
use crate::value::Value;

/// Only the columns a parser sets are stored (most log lines fill a
/// fraction of a wide schema), so starting a row costs nothing and reading
/// it visits only real values.
#[derive(Debug, Default)]
pub struct Row<'a> {
    /// (column index, value), in the order they were set.
    cells: Vec<(u32, Value<'a>)>,
    /// Which columns are in `cells`.
    set: [u64; MAX_COLUMNS / 64],
    /// The log type's event time; `None` means "use the parse time".
    pub event_time: Option<Timestamp>,
    pub indicators: Indicators<'a>,
}

/// The widest schema a row can hold.
pub const MAX_COLUMNS: usize = 256;

static NULL: Value<'static> = Value::Null;

/// The allocations of a [`Row`], kept between records so that parsing a
/// record allocates nothing for the row itself.
#[derive(Default)]
pub struct RowBuf {
    cells: Vec<(u32, Value<'static>)>,
    indicators: Indicators<'static>,
}

impl RowBuf {
    /// An empty row, reusing this buffer's allocations.
    pub fn row<'a>(&mut self, _columns: usize) -> Row<'a> {
        let cells = relifetime(std::mem::take(&mut self.cells));
        let indicators = relifetime_ind(std::mem::take(&mut self.indicators));
        Row {
            cells,
            set: [0; MAX_COLUMNS / 64],
            event_time: None,
            indicators,
        }
    }

    /// Takes the allocations back from a finished row.
    pub fn recycle(&mut self, row: Row<'_>) {
        self.cells = relifetime(row.cells);
        self.indicators = relifetime_ind(row.indicators);
    }
}

/// Empties a vector and gives its allocation a new lifetime. Collecting an
/// empty `into_iter` into a vector of an identically laid out type reuses
/// the allocation (in-place collection), so no unsafe code is needed.
fn relifetime<'b>(mut v: Vec<(u32, Value<'_>)>) -> Vec<(u32, Value<'b>)> {
    // Most cells borrow from the record or hold numbers: nothing to free,
    // and skipping the drop glue of each is a couple of percent of parsing.
    for (_, value) in v.drain(..) {
        if value.owns_memory() {
            drop(value);
        } else {
            std::mem::forget(value);
        }
    }
    v.into_iter().map(|_| (0, Value::Null)).collect()
}

fn relifetime_ind<'b>(mut ind: Indicators<'_>) -> Indicators<'b> {
    ind.clear();
    let mut fresh = Indicators::default();
    fresh.reuse(ind);
    fresh
}

impl<'a> Row<'a> {
    /// An empty row (`columns` is a capacity hint).
    pub fn new(columns: usize) -> Self {
        Row {
            cells: Vec::with_capacity(columns.min(MAX_COLUMNS)),
            set: [0; MAX_COLUMNS / 64],
            event_time: None,
            indicators: Indicators::default(),
        }
    }

    /// Sets a column's value (null clears it).
    ///
    /// The first value of a column is the hot path, kept free of anything
    /// that would take the value's address (a drop, a call), so that it
    /// is written straight into the cell and not assembled on the stack
    /// and copied (a copy that stalls on store forwarding, a few percent
    /// of parsing a line format).
    #[inline(always)]
    pub fn set(&mut self, column: impl Into<usize>, value: impl Into<Value<'a>>) {
        let col = column.into();
        let value = value.into();
        let (word, bit) = (col / 64, 1u64 << (col % 64));
        if self.set[word] & bit == 0 && !value.is_null() && self.cells.len() < self.cells.capacity()
        {
            self.set[word] |= bit;
            // Cannot grow: no call between building the cell and storing it.
            self.cells.push((col as u32, value));
        } else {
            self.set_again(col, value);
        }
    }

    /// A column set twice, a null, or a first value that needs room.
    #[cold]
    #[inline(never)]
    fn set_again(&mut self, col: usize, value: Value<'a>) {
        let (word, bit) = (col / 64, 1u64 << (col % 64));
        if self.set[word] & bit == 0 {
            // A first value when the cells are full, or a null for a column
            // never set (nothing to do).
            if !value.is_null() {
                self.set[word] |= bit;
                self.cells.push((col as u32, value));
            }
            return;
        }
        if let Some(pos) = self.cells.iter().position(|(c, _)| *c as usize == col) {
            if value.is_null() {
                self.cells.remove(pos);
                self.set[word] &= !bit;
            } else {
                self.cells[pos].1 = value;
            }
        }
    }

    /// A column's value (null when unset).
    #[inline]
    pub fn get(&self, column: impl Into<usize>) -> &Value<'a> {
        let col = column.into();
        if self.set[col / 64] & (1 << (col % 64)) == 0 {
            return &NULL;
        }
        self.cells
            .iter()
            .find(|(c, _)| *c as usize == col)
            .map_or(&NULL, |(_, v)| v)
    }

    /// The non-null values with their column index, in the order set.
    pub fn cells(&self) -> &[(u32, Value<'a>)] {
        &self.cells
    }

    /// Every column's value, nulls included (for tests and debugging).
    pub fn values(&self) -> Vec<Value<'a>> {
        let n = self
            .cells
            .iter()
            .map(|(c, _)| *c as usize + 1)
            .max()
            .unwrap_or(0);
        let mut out = vec![Value::Null; n];
        for (c, v) in &self.cells {
            out[*c as usize] = v.clone();
        }
        out
    }

    /// Clears every value, keeping allocations (for parsers that retry).
    pub fn clear(&mut self) {
        self.cells.clear();
        self.set = [0; MAX_COLUMNS / 64];
        self.event_time = None;
        self.indicators.clear();
    }

    /// Applies the schema's indicator marks and sorts the indicator lists.
    /// Called once by the engine after a parse, before the row is written.
    /// The cells stay in the order they were set: nothing downstream needs
    /// column order (the batch appends by column index, and the indicator
    /// lists are sorted), and sorting them was a few percent of parsing
    /// for types that meet their fields out of column order (CEF).
    pub fn collect_indicators(&mut self, schema: &Schema) {
        for (col, value) in &self.cells {
            for &kind in schema.columns[*col as usize].indicators {
                extract_value(&mut self.indicators, kind, value);
            }
        }
        self.indicators.finish();
    }

    pub fn indicator_values(&self, kind: Indicator) -> impl Iterator<Item = &str> {
        self.indicators.values(kind)
    }
}

fn extract_value<'a>(ind: &mut Indicators<'a>, kind: crate::IndicatorKind, value: &Value<'a>) {
    match value {
        Value::Str(s) => ind.extract(kind, s.clone()),
        Value::Json(j) => match kind {
            crate::IndicatorKind::AwsJson => ind.aws_json(j),
            _ => crate::jsonscan::for_each_string(j, |s| {
                ind.extract(kind, Cow::Owned(s.to_string()))
            }),
        },
        Value::List(items) => {
            for item in items {
                extract_value(ind, kind, item);
            }
        }
        Value::Map(pairs) => {
            for (_, v) in pairs {
                ind.extract(kind, v.clone());
            }
        }
        Value::Int(i) if kind == crate::IndicatorKind::AwsAccountId => {
            ind.account_id(Cow::Owned(format!("{i:012}")))
        }
        _ => {}
    }
}
