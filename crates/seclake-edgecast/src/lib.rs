//! The Edgecast (Edgio) log types, one file each: [`waf`] reads the WAF
//! events of Real-Time Log Delivery in its three formats (JSON document,
//! JSON array, JSON lines).

pub mod waf;
