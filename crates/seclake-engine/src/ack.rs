#![doc = include_str!("pipeline/acknowledgements.md")]

use std::fmt;

/// Why an input was not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckError(pub String);

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AckError {}

/// Fires once: `Ok` when every row and reject of the input is durable.
pub type Ack = Box<dyn FnOnce(Result<(), AckError>) + Send>;
