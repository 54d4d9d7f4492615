//! The name Real-Time Log Delivery gives a file:
//! `[<prefix>]waf_<account>_<profile id>_<YYYYMMDD>_<agent id>_<seq>.<json|json_array|json_lines>.gz`.
//!
//! The JSON document format says who delivered it and in what order
//! (`agent_id`, `seq_num`, `datestamp`) inside; JSON Array and JSON Lines
//! files say it only in their name, and the sequence (from 0 each UTC day,
//! per agent) is the only way to tell that a file never arrived. So rows
//! take the name's values for the columns their record leaves empty.

use std::borrow::Cow;

use seclake_core::{ParseContext, Row, Value};

use super::C;

/// The parts of a delivered file's name.
#[derive(Debug, PartialEq, Eq)]
pub struct Delivery<'n> {
    pub account_number: &'n str,
    pub profile_id: i64,
    /// `YYYYMMDD`, the UTC day the sequence belongs to.
    pub datestamp: &'n str,
    pub agent_id: &'n str,
    pub seq_num: i64,
}

impl<'n> Delivery<'n> {
    /// The parts of `file_name` (the name's last segment, see
    /// [`ParseContext::input_file_name`]), gzip suffix or not; `None` for
    /// any other name.
    pub fn parse(file_name: &'n str) -> Option<Self> {
        let name = file_name.strip_suffix(".gz").unwrap_or(file_name);
        let (stem, format) = name.rsplit_once('.')?;
        if !["json", "json_array", "json_lines"].contains(&format) {
            return None;
        }
        // From the right: the prefix may hold underscores.
        let mut parts = stem.rsplitn(6, '_');
        let mut next = || parts.next().filter(|p| !p.is_empty());
        let (seq, agent, date, profile, account) = (next()?, next()?, next()?, next()?, next()?);
        if !next()?.ends_with("waf") {
            return None;
        }
        let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        let alphanumeric = |s: &str| s.bytes().all(|c| c.is_ascii_alphanumeric());
        let valid = digits(seq)
            && digits(profile)
            && date.len() == 8
            && digits(date)
            && alphanumeric(agent)
            && alphanumeric(account);
        if !valid {
            return None;
        }
        Some(Delivery {
            account_number: account,
            profile_id: profile.parse().ok()?,
            datestamp: date,
            agent_id: agent,
            seq_num: seq.parse().ok()?,
        })
    }
}

/// Fills the row's delivery columns its record left empty from the
/// input's name, when the name is a delivered file's.
pub fn fill(row: &mut Row<'_>, ctx: &ParseContext) {
    let Some(d) = Delivery::parse(ctx.input_file_name()) else {
        return;
    };
    let owned = |s: &str| Value::Str(Cow::Owned(s.to_string()));
    for (column, value) in [
        (C::AccountNumber, owned(d.account_number)),
        (C::ProfileId, Value::Int(d.profile_id)),
        (C::Datestamp, owned(d.datestamp)),
        (C::AgentId, owned(d.agent_id)),
        (C::SeqNum, Value::Int(d.seq_num)),
    ] {
        if row.get(column).is_null() {
            row.set(column, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Delivery;

    #[test]
    fn delivered_file_names_give_their_parts() {
        let d = Delivery::parse("waf_0001_1337_20240610_1234500008619D55A_7.json_lines.gz");
        assert_eq!(
            d,
            Some(Delivery {
                account_number: "0001",
                profile_id: 1337,
                datestamp: "20240610",
                agent_id: "1234500008619D55A",
                seq_num: 7,
            })
        );
        // A prefix (with underscores), no gzip suffix, each format.
        for name in [
            "my_bucket_prefix-waf_0001_1337_20240610_AGENT_0.json_array.gz",
            "waf_0001_1337_20240610_AGENT_0.json",
            "input-waf_0001_1337_20240610_AGENT_0.json_lines",
        ] {
            let d = Delivery::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!((d.agent_id, d.seq_num), ("AGENT", 0), "{name}");
        }
        for other in [
            "waf_0001_1337_20240610_AGENT_7.csv.gz",
            "cdn_0001_1337_20240610_AGENT_7.json.gz",
            "waf_0001_1337_2024061_AGENT_7.json.gz",
            "waf_0001_1337_20240610_AGENT_x7.json.gz",
            "waf_0001_x_20240610_AGENT_7.json.gz",
            "waf_0001_1337_20240610__7.json.gz",
            "waf_1337_20240610_AGENT_7.json.gz",
            "waf_0001_1337_20240610_AGENT_99999999999999999999.json.gz",
            "events.jsonl",
        ] {
            assert_eq!(Delivery::parse(other), None, "{other}");
        }
    }
}
