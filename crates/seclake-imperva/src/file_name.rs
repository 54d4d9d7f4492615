//! The name Imperva gives a log file, `<id>_<sequence>.log` (`1234_5678.log`):
//! the id of the log configuration (the API ID), and a sequence number that
//! starts at 1 and grows by one per file. The files reach seclake under
//! that name whatever the transport (a directory, an S3 key, the log API's
//! URL), and the sequence is the only way to tell that a file never
//! arrived, so every row of a file carries both.

/// The id and sequence of a log file named `<digits>_<digits>.log`
/// (`file_name` is the name's last segment, see
/// [`seclake_core::ParseContext::input_file_name`]); `None` for any other
/// name, or a sequence too large for a `bigint`.
pub fn parse(file_name: &str) -> Option<(&str, i64)> {
    let (id, sequence) = file_name.strip_suffix(".log")?.split_once('_')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(id) || !digits(sequence) {
        return None;
    }
    Some((id, sequence.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_digits_underscore_digits_dot_log_is_a_log_file_name() {
        assert_eq!(parse("1234_5678.log"), Some(("1234", 5678)));
        assert_eq!(parse("0042_1.log"), Some(("0042", 1)));
        for other in [
            "1234_5678.log.gz",
            "1234_5678",
            "1234-5678.log",
            "_5678.log",
            "1234_.log",
            "12a4_5678.log",
            "1234_56_78.log",
            "input-1234_5678.log",
            "1234_99999999999999999999.log",
            "",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
    }
}
