//! The Juniper log types, one file each.

pub mod ssr;
