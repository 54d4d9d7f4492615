//! Sigma rules compiled to expressions and run for real over CloudTrail
//! rows (`tests/data/cloudtrail.jsonl`, thirteen events `e01`..`e13`):
//! each test asserts exactly which events a rule matches, or the error a
//! rule gets.

mod alerts;
mod batch;
mod conditions;
mod correlation_rules;
mod correlation_support;
mod correlations;
mod declarations;
mod errors;
mod fields;
mod files;
mod functions;
mod modifiers;
mod rule_fixtures;
mod support;
