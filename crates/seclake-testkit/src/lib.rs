//! Test support shared by the test suites of several crates.

pub mod moto;
