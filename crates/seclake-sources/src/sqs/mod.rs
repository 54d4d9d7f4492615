//! SQS: the queue client ([`client`], AWS's JSON protocol signed with
//! SigV4 using the same credentials as the S3 store) and what a message
//! announces ([`notifications`]).

pub mod notifications;
