//! `logs.index`, the list of an account's log files that Imperva keeps
//! next to them: one file name per line, `<account id>_<sequence>.log`,
//! the sequence counting files up by one. Lines are split on `\n` with
//! an optional `\r`; blank lines are skipped, and any other line that is
//! not such a name is ignored and counted, so that an unexpected line
//! never stops the source but stays visible. Files are ordered by their
//! sequence whatever order the index lists them in, because the source
//! remembers only the highest sequence it ingested.

/// One file the index lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// As listed, e.g. `123456_42.log`; what is appended to the base URL.
    pub name: String,
    pub sequence: u64,
}

/// A parsed `logs.index`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// By increasing sequence, one per sequence.
    pub files: Vec<Listed>,
    /// Non-blank lines that are not a log file name, plus repeats of a
    /// sequence already listed.
    pub ignored: usize,
}

/// The sequence of a log file name, `None` when `name` is not of the
/// form `<digits>_<digits>.log` (or the sequence does not fit 64 bits).
pub fn sequence_of(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".log")?;
    let (prefix, sequence) = stem.split_once('_')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(prefix) || !digits(sequence) {
        return None;
    }
    sequence.parse().ok()
}

/// Parses the index text.
pub fn parse(text: &str) -> Index {
    let mut index = Index::default();
    for line in text.lines() {
        let name = line.trim();
        if name.is_empty() {
            continue;
        }
        match sequence_of(name) {
            Some(sequence) => index.files.push(Listed {
                name: name.to_string(),
                sequence,
            }),
            None => index.ignored += 1,
        }
    }
    // Stable: of two names with one sequence, the first listed is kept.
    index.files.sort_by_key(|f| f.sequence);
    let listed = index.files.len();
    index.files.dedup_by_key(|f| f.sequence);
    index.ignored += listed - index.files.len();
    index
}

impl Index {
    /// The files after sequence `position` (all of them without one).
    pub fn after(&self, position: Option<u64>) -> &[Listed] {
        let start = match position {
            Some(p) => self.files.partition_point(|f| f.sequence <= p),
            None => 0,
        };
        &self.files[start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequences(files: &[Listed]) -> Vec<u64> {
        files.iter().map(|f| f.sequence).collect()
    }

    #[test]
    fn names() {
        assert_eq!(sequence_of("123456_42.log"), Some(42));
        assert_eq!(sequence_of("1_0.log"), Some(0));
        for bad in [
            "123456_42.log.gz",
            "123456-42.log",
            "_42.log",
            "123456_.log",
            "abc_42.log",
            "123456_4x2.log",
            "123456_42",
            "123456_99999999999999999999999.log",
            "logs.index",
        ] {
            assert_eq!(sequence_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn crlf_blank_lines_and_strangers() {
        let text = "123456_7.log\r\n\r\n123456_8.log\r\nREADME\r\n  \n123456_9.log";
        let index = parse(text);
        assert_eq!(sequences(&index.files), [7, 8, 9]);
        assert_eq!(index.files[0].name, "123456_7.log", "no \\r left");
        assert_eq!(index.ignored, 1, "blank lines are not counted");
    }

    #[test]
    fn ordered_by_sequence_not_by_listing() {
        // 10 sorts before 9 as text: the order is numeric.
        let index = parse("123456_10.log\n123456_9.log\n123456_11.log\n");
        assert_eq!(sequences(&index.files), [9, 10, 11]);
        assert_eq!(index.ignored, 0);
    }

    #[test]
    fn a_repeated_sequence_is_kept_once() {
        let index = parse("123456_5.log\n123456_5.log\n999_5.log\n123456_6.log\n");
        assert_eq!(sequences(&index.files), [5, 6]);
        assert_eq!(index.files[0].name, "123456_5.log", "the first listed");
        assert_eq!(index.ignored, 2);
    }

    #[test]
    fn files_after_a_position() {
        // A gap (4 missing) is no business of the index.
        let index = parse("1_2.log\n1_3.log\n1_5.log\n1_6.log\n");
        assert_eq!(sequences(index.after(None)), [2, 3, 5, 6]);
        assert_eq!(sequences(index.after(Some(3))), [5, 6]);
        assert_eq!(sequences(index.after(Some(4))), [5, 6]);
        assert_eq!(sequences(index.after(Some(1))), [2, 3, 5, 6]);
        assert!(index.after(Some(6)).is_empty());
        assert!(index.after(Some(100)).is_empty());
        assert!(parse("").after(None).is_empty());
    }
}
