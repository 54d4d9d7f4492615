//! Where rows go: `<table>/year=YYYY/month=MM/day=DD/hour=HH/<file>.parquet`,
//! by each row's `p_event_time` in UTC, with file names that never collide
//! between concurrent writers.

use seclake_core::Timestamp;

pub const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// Hours since the Unix epoch: the partition of a timestamp.
pub fn hour_of(t: Timestamp) -> i64 {
    t.0.div_euclid(MICROS_PER_HOUR)
}

/// `year=YYYY/month=MM/day=DD/hour=HH` of an hour since the epoch.
pub fn partition_dir(hour: i64) -> String {
    let (y, mo, d, h, ..) = Timestamp(hour * MICROS_PER_HOUR).to_civil();
    format!("year={y:04}/month={mo:02}/day={d:02}/hour={h:02}")
}

/// Parses `year=YYYY/month=MM/day=DD/hour=HH` (at the end of a path) back
/// into hours since the epoch.
pub fn parse_partition(path: &str) -> Option<i64> {
    let mut parts = [None; 4];
    for seg in path.split('/') {
        for (i, key) in ["year=", "month=", "day=", "hour="].iter().enumerate() {
            if let Some(v) = seg.strip_prefix(key) {
                parts[i] = v.parse::<u32>().ok();
            }
        }
    }
    let [Some(y), Some(mo), Some(d), Some(h)] = parts else {
        return None;
    };
    Timestamp::from_civil(y as i64, mo, d, h, 0, 0, 0).map(hour_of)
}

/// A file name unique across writers and flushes: the write time, the
/// writer's random id and a sequence number.
pub fn file_name(writer_id: u64, seq: u64, now: Timestamp) -> String {
    let (y, mo, d, h, mi, s, _) = now.to_civil();
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z-{writer_id:016x}-{seq:06}.parquet")
}

/// A writer id that differs between processes and between writers of one
/// process: a hash of the time, the process id and a counter.
pub fn new_writer_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut seed = Vec::with_capacity(32);
    seed.extend_from_slice(&Timestamp::now().0.to_le_bytes());
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    seed.extend_from_slice(&n.to_le_bytes());
    seed.extend_from_slice(&(&seed as *const _ as usize).to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_round_trip() {
        let t = Timestamp::parse_rfc3339("2024-02-29T23:59:59.999Z").unwrap();
        let h = hour_of(t);
        assert_eq!(partition_dir(h), "year=2024/month=02/day=29/hour=23");
        assert_eq!(
            parse_partition("aws_alb/year=2024/month=02/day=29/hour=23/x.parquet"),
            Some(h)
        );
        let before_epoch = Timestamp::parse_rfc3339("1969-12-31T23:30:00Z").unwrap();
        assert_eq!(
            partition_dir(hour_of(before_epoch)),
            "year=1969/month=12/day=31/hour=23"
        );
    }

    #[test]
    fn writer_ids_differ() {
        assert_ne!(new_writer_id(), new_writer_id());
    }
}
