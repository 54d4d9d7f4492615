//! SQS: the queue client ([`client`], AWS's JSON protocol signed with
//! [`sigv4`] using the same credentials as the S3 store) and what a
//! message announces ([`notifications`]).

pub mod client;
pub mod notifications;
pub mod sigv4;
pub mod source;
