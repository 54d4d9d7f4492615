//! CEF and LEEF: the grammars ([`syntax`]) and the generic `CEF` and
//! `LEEF` log types, which share one table layout ([`columns`]) and one
//! way of promoting attributes to typed columns ([`attributes`]).

pub mod attributes;
pub mod cef;
pub mod columns;
pub mod leef;
pub mod syntax;
