//! The standard `p_*` fields every row carries, and the deterministic row id.

use xxhash_rust::xxh3::Xxh3;

use crate::schema::ColumnDef;
use crate::time::Timestamp;

const fn std_col(
    name: &'static str,
    ty: &'static str,
    required: bool,
    description: &'static str,
) -> ColumnDef {
    ColumnDef {
        name,
        ty,
        required,
        indicators: &[],
        description,
    }
}

/// The standard fields, in output order.
pub const STANDARD_COLUMNS: &[ColumnDef] = &[
    std_col("p_log_type", "string", true, "seclake added field with the type of log"),
    std_col("p_row_id", "string", true, "seclake added field with a unique id (within table), derived from the source, object, byte offset and record index so re-reading the same input yields the same id"),
    std_col("p_event_time", "timestamp", true, "seclake added standardized event time (UTC); the parse time when the record has none"),
    std_col("p_parse_time", "timestamp", true, "seclake added standardized log parse time (UTC)"),
    std_col("p_source_id", "string", false, "seclake added field with the source id"),
    std_col("p_source_label", "string", false, "seclake added field with the source label"),
    std_col("p_any_ip_addresses", "[string]", false, "seclake added field with collection of ip addresses associated with the row"),
    std_col("p_any_domain_names", "[string]", false, "seclake added field with collection of domain names associated with the row"),
    std_col("p_any_md5_hashes", "[string]", false, "seclake added field with collection of MD5 hashes associated with the row"),
    std_col("p_any_sha1_hashes", "[string]", false, "seclake added field with collection of SHA1 hashes associated with the row"),
    std_col("p_any_sha256_hashes", "[string]", false, "seclake added field with collection of SHA256 hashes associated with the row"),
    std_col("p_any_aws_arns", "[string]", false, "seclake added field with collection of AWS ARNs associated with the row"),
    std_col("p_any_aws_account_ids", "[string]", false, "seclake added field with collection of AWS account ids associated with the row"),
    std_col("p_any_aws_instance_ids", "[string]", false, "seclake added field with collection of AWS EC2 instance ids associated with the row"),
    std_col("p_any_aws_tags", "[string]", false, "seclake added field with collection of AWS tags (key:value) associated with the row"),
    std_col("p_any_trace_ids", "[string]", false, "seclake added field with collection of request and trace ids (such as CloudTrail requestID and sharedEventID, WAF requestId) associated with the row"),
    std_col("p_any_emails", "[string]", false, "seclake added field with collection of e-mail addresses associated with the row"),
    std_col("p_any_usernames", "[string]", false, "seclake added field with collection of user names associated with the row"),
];

/// Where a record came from; the input of the row id.
#[derive(Clone, Copy, Debug)]
pub struct RowIdentity<'a> {
    /// The configured source's id, or empty when parsing ad hoc.
    pub source_id: &'a str,
    /// The object key, file path or stream name.
    pub object: &'a str,
    /// Byte offset of the record in the decoded stream.
    pub offset: u64,
    /// Index of the row among the rows one record produced.
    pub index: u32,
}

impl RowIdentity<'_> {
    /// 32 lower-case hex digits of a 128-bit hash of the identity.
    pub fn row_id(&self, out: &mut [u8; 32]) {
        RowIdHasher::new(self.source_id, self.object).row_id(self.offset, self.index, out)
    }
}

/// Row ids of one stream: 16 hex digits of the hash of the source and
/// object, then 16 of the record's position (byte offset and row index).
/// The ids of one input share their first half and count up in the
/// second, so in Parquet they cost a few bytes a row instead of 16 random
/// bytes (they were two fifths of a VPC Flow file and of its compression
/// time), and they stay unique and the same on every read of the input.
#[derive(Clone, Copy, Debug)]
pub struct RowIdHasher {
    stream: u64,
}

/// Positions up to 2^47 bytes and 2^16 rows per record are written as
/// `offset << 16 | index`; others (never met in practice) as a hash with
/// the top bit set, so the two forms cannot meet.
const DIRECT_OFFSETS: u64 = 1 << 47;

impl RowIdHasher {
    pub fn new(source_id: &str, object: &str) -> Self {
        let mut h = Xxh3::new();
        h.update(source_id.as_bytes());
        h.update(&[0]);
        h.update(object.as_bytes());
        RowIdHasher { stream: h.digest() }
    }

    pub fn row_id(&self, offset: u64, index: u32, out: &mut [u8; 32]) {
        let position = if offset < DIRECT_OFFSETS && index <= u16::MAX as u32 {
            offset << 16 | index as u64
        } else {
            let mut input = [0u8; 12];
            input[..8].copy_from_slice(&offset.to_le_bytes());
            input[8..].copy_from_slice(&index.to_le_bytes());
            xxhash_rust::xxh3::xxh3_64(&input) | 1 << 63
        };
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = (u128::from(self.stream) << 64 | u128::from(position)).to_be_bytes();
        for (i, byte) in bytes.iter().enumerate() {
            out[2 * i] = HEX[(byte >> 4) as usize];
            out[2 * i + 1] = HEX[(byte & 15) as usize];
        }
    }
}

/// The per-row values of the standard fields that do not come from the
/// record itself.
#[derive(Clone, Debug)]
pub struct StandardFields<'a> {
    pub log_type: &'a str,
    pub row_id: [u8; 32],
    pub parse_time: Timestamp,
    pub source_id: Option<&'a str>,
    pub source_label: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ids_are_deterministic_and_distinct() {
        let id = |offset, index| {
            let mut out = [0u8; 32];
            RowIdentity {
                source_id: "s",
                object: "a.log",
                offset,
                index,
            }
            .row_id(&mut out);
            out
        };
        assert_eq!(id(10, 0), id(10, 0));
        assert_ne!(id(10, 0), id(11, 0));
        assert_ne!(id(10, 0), id(10, 1));
        assert!(id(1, 0).iter().all(|c| c.is_ascii_hexdigit()));
        // Beyond the direct range: hashed, still distinct.
        assert_ne!(id(1 << 47, 0), id(1 << 47, 1));
        assert_ne!(id(1 << 47, 0), id(0, 0));
        assert_ne!(id(5, 1 << 16), id(5, 0));
        // Ids of one input share the stream half.
        assert_eq!(id(1, 0)[..16], id(999, 3)[..16]);
    }
}
