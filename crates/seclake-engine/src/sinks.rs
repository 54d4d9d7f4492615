//! Rejects as text: a JSON line for the rejects file, a line for a person.

use seclake_core::json_out::write_str;

use crate::stream::Reject;

/// Writes one JSON object per reject: `file`, `line`, `offset`,
/// `log_type`, `reason`, `detail`, `raw` (lossy UTF-8 when the bytes are
/// not).
pub fn write_reject_json(out: &mut Vec<u8>, r: &Reject<'_>) {
    out.extend_from_slice(b"{\"file\":");
    write_str(out, r.object);
    out.extend_from_slice(format!(",\"line\":{},\"offset\":{}", r.line, r.offset).as_bytes());
    if let Some(t) = r.log_type {
        out.extend_from_slice(b",\"log_type\":");
        write_str(out, t);
    }
    out.extend_from_slice(b",\"reason\":");
    write_str(out, r.reason);
    if let Some(d) = r.detail {
        out.extend_from_slice(b",\"detail\":");
        write_str(out, d);
    }
    out.extend_from_slice(b",\"raw\":");
    write_str(out, &String::from_utf8_lossy(r.raw));
    out.extend_from_slice(b"}\n");
}

/// One line for a person: `file:line: [type:] reason[: detail]`.
pub fn reject_message(r: &Reject<'_>) -> String {
    let pos = if r.line > 0 {
        format!("{}:{}", r.object, r.line)
    } else {
        format!("{}@{}", r.object, r.offset)
    };
    let t = r.log_type.map(|t| format!("{t}: ")).unwrap_or_default();
    match r.detail {
        Some(d) => format!("{pos}: {t}{}: {d}", r.reason),
        None => format!("{pos}: {t}{}", r.reason),
    }
}
