//! A row being built by a parser: one value per schema column, the event
//! time, and the indicators found so far.

use std::borrow::Cow;

use crate::indicators::{Indicator, Indicators};
use crate::schema::Schema;
use crate::time::Timestamp;
use crate::value::Value;

#[derive(Debug, Default)]
pub struct Row<'a> {
    values: Vec<Value<'a>>,
    /// The log type's event time; `None` means "use the parse time".
    pub event_time: Option<Timestamp>,
    pub indicators: Indicators<'a>,
}

/// The allocations of a [`Row`], kept between records so that parsing a
/// record allocates nothing for the row itself.
#[derive(Default)]
pub struct RowBuf {
    values: Vec<Value<'static>>,
    indicators: Indicators<'static>,
}

impl RowBuf {
    /// An empty row with `columns` null values, reusing this buffer.
    pub fn row<'a>(&mut self, columns: usize) -> Row<'a> {
        let mut values: Vec<Value<'a>> = relifetime(std::mem::take(&mut self.values));
        values.resize(columns, Value::Null);
        let mut indicators = std::mem::take(&mut self.indicators);
        indicators.clear();
        Row { values, event_time: None, indicators: relifetime_ind(indicators) }
    }

    /// Takes the allocations back from a finished row.
    pub fn recycle(&mut self, row: Row<'_>) {
        self.values = relifetime(row.values);
        self.indicators = relifetime_ind(row.indicators);
    }
}

/// Empties a vector and gives its allocation a new lifetime. Collecting an
/// empty `into_iter` into a vector of an identically laid out type reuses
/// the allocation (in-place collection), so no unsafe code is needed.
fn relifetime<'b>(mut v: Vec<Value<'_>>) -> Vec<Value<'b>> {
    v.clear();
    v.into_iter().map(|_| Value::Null).collect()
}

fn relifetime_ind<'b>(mut ind: Indicators<'_>) -> Indicators<'b> {
    ind.clear();
    let mut fresh = Indicators::default();
    fresh.adopt_capacity(ind);
    fresh
}

impl<'a> Indicators<'a> {
    fn adopt_capacity(&mut self, other: Indicators<'_>) {
        self.reuse(other)
    }
}

impl<'a> Row<'a> {
    pub fn new(columns: usize) -> Self {
        Row { values: vec![Value::Null; columns], event_time: None, indicators: Indicators::default() }
    }

    /// Sets a column's value.
    #[inline]
    pub fn set(&mut self, column: impl Into<usize>, value: impl Into<Value<'a>>) {
        self.values[column.into()] = value.into();
    }

    pub fn get(&self, column: impl Into<usize>) -> &Value<'a> {
        &self.values[column.into()]
    }

    pub fn values(&self) -> &[Value<'a>] {
        &self.values
    }

    /// Clears every value, keeping allocations (for parsers that retry).
    pub fn clear(&mut self) {
        for v in &mut self.values {
            *v = Value::Null;
        }
        self.event_time = None;
        self.indicators.clear();
    }

    /// Applies the schema's indicator marks to the row's values and sorts
    /// the indicator lists. Called once by the engine after a parse.
    pub fn collect_indicators(&mut self, schema: &Schema) {
        for (col, value) in schema.columns.iter().zip(self.values.iter()) {
            for &kind in col.indicators {
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
            _ => crate::jsonscan::for_each_string(j, |s| ind.extract(kind, Cow::Owned(s.to_string()))),
        },
        Value::List(items) => {
            for item in items {
                extract_value(ind, kind, item);
            }
        }
        Value::Int(i) if kind == crate::IndicatorKind::AwsAccountId => {
            ind.account_id(Cow::Owned(format!("{i:012}")))
        }
        _ => {}
    }
}
