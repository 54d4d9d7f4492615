//! HTTP/1.1 as the HTTP receiver reads it: the request ([`request`]: head,
//! body by length or chunks, all bounded) and what a body holds
//! ([`bodies`]: log data, or HEC and bulk envelopes around records).
//! Here, apart from the receiver's sockets and threads, so that the
//! grammar is fuzzed on its own.

pub mod bodies;
pub mod request;
