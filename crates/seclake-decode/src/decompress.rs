//! Decompression by magic bytes, capped against decompression bombs.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// Bounds on hostile input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest record (line or JSON value) kept; longer ones are reported
    /// and skipped.
    pub max_record_bytes: usize,
    /// Largest decompressed/compressed ratio tolerated once the output is
    /// past `ratio_grace_bytes`. Real logs compress 5–50×; gzip's ceiling is
    /// about 1032×, zstd's far higher.
    pub max_ratio: u64,
    pub ratio_grace_bytes: u64,
    /// Hard cap on the decompressed size of one stream.
    pub max_decompressed_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 << 20,
            max_ratio: 200,
            ratio_grace_bytes: 64 << 20,
            max_decompressed_bytes: 64 << 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Zlib,
}

impl Compression {
    /// Recognises a compressed stream from its first bytes.
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            // zlib: CM=8, a window of at most 32K, and the header checksum;
            // the next byte must not look like text, so that a line that
            // happens to begin with "x^" is not taken for zlib.
            [0x78, flg @ (0x01 | 0x5e | 0x9c | 0xda), next, ..]
                if (0x7800u16 | *flg as u16).is_multiple_of(31)
                    && !next.is_ascii_graphic()
                    && *next != b' ' =>
            {
                Compression::Zlib
            }
            _ => Compression::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Zlib => "zlib",
        }
    }
}

/// Opens a possibly compressed stream. Returns the compression found and a
/// reader of the decoded bytes; a reader over a bomb fails with
/// `InvalidData` and a message saying so.
pub fn open<'r, R: Read + 'r>(
    reader: R,
    limits: Limits,
) -> io::Result<(Compression, Box<dyn BufRead + 'r>)> {
    let counted_in = Rc::new(Cell::new(0u64));
    let mut buffered = BufReader::with_capacity(
        256 << 10,
        CountingReader {
            inner: reader,
            count: counted_in.clone(),
        },
    );
    let head = buffered.fill_buf()?;
    let compression = Compression::sniff(head);
    let decoded: Box<dyn Read + 'r> = match compression {
        Compression::None => return Ok((compression, Box::new(buffered))),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zlib => Box::new(flate2::bufread::ZlibDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    };
    let capped = CappedReader {
        inner: decoded,
        compressed: counted_in,
        produced: 0,
        limits,
        compression,
    };
    Ok((
        compression,
        Box::new(BufReader::with_capacity(256 << 10, capped)),
    ))
}

struct CountingReader<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

struct CappedReader<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    produced: u64,
    limits: Limits,
    compression: Compression,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "{} stream corrupt or truncated: {e}",
                    self.compression.name()
                ),
            )
        })?;
        self.produced += n as u64;
        let input = self.compressed.get().max(1);
        if self.produced > self.limits.max_decompressed_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompressed size exceeds the limit of {} bytes (possible decompression bomb)",
                    self.limits.max_decompressed_bytes
                ),
            ));
        }
        if self.produced > self.limits.ratio_grace_bytes
            && self.produced / input > self.limits.max_ratio
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} stream expands more than {}:1 ({} bytes from {}): possible decompression bomb",
                    self.compression.name(),
                    self.limits.max_ratio,
                    self.produced,
                    input
                ),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: &[u8], limits: Limits) -> (Compression, io::Result<Vec<u8>>) {
        let (c, mut r) = open(bytes, limits).unwrap();
        let mut out = Vec::new();
        let res = r.read_to_end(&mut out).map(|_| out);
        (c, res)
    }

    #[test]
    fn detects_by_magic_not_name() {
        let plain = b"hello\nworld\n";
        assert_eq!(read_all(plain, Limits::default()).0, Compression::None);
        let (c, out) = read_all(&gzip(plain), Limits::default());
        assert_eq!(c, Compression::Gzip);
        assert_eq!(out.unwrap(), plain);
        let z = zstd::encode_all(&plain[..], 3).unwrap();
        let (c, out) = read_all(&z, Limits::default());
        assert_eq!(c, Compression::Zstd);
        assert_eq!(out.unwrap(), plain);
    }

    #[test]
    fn concatenated_gzip_members_are_read_whole() {
        let mut both = gzip(b"a\n");
        both.extend(gzip(b"b\n"));
        assert_eq!(read_all(&both, Limits::default()).1.unwrap(), b"a\nb\n");
    }

    #[test]
    fn a_bomb_is_an_error_not_an_oom() {
        let zeros = vec![0u8; 8 << 20];
        let bomb = gzip(&zeros);
        let limits = Limits {
            ratio_grace_bytes: 1 << 20,
            ..Limits::default()
        };
        let err = read_all(&bomb, limits).1.unwrap_err();
        assert!(err.to_string().contains("decompression bomb"), "{err}");
    }

    #[test]
    fn truncated_gzip_is_reported() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let g = gzip(&data);
        let err = read_all(&g[..g.len() / 2], Limits::default())
            .1
            .unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }

    #[test]
    fn text_starting_with_x_is_not_zlib() {
        assert_eq!(Compression::sniff(b"x^abc"), Compression::None);
    }
}
