//! What a student's file holds, read from its first bytes rather than its name: students name
//! archives wrongly (`tar cf lab1.tar.gz` writes no gzip), so an archive is unpacked by what it
//! is, and a file labgrade does not unpack is refused by saying what it really is.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::extract::Format;

/// Bytes read to tell a file's kind: a tar header's `ustar` magic ends at 263.
const HEAD: usize = 512;

/// Archive and compression formats labgrade recognises but does not unpack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// RAR.
    Rar,
    /// 7-Zip.
    SevenZip,
    /// xz (`tar cJf`).
    Xz,
    /// bzip2 (`tar cjf`).
    Bzip2,
    /// Zstandard (`tar --zstd`).
    Zstd,
}

impl Foreign {
    /// What it is, in words.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Rar => "a RAR archive",
            Self::SevenZip => "a 7-Zip archive",
            Self::Xz => "an xz-compressed file",
            Self::Bzip2 => "a bzip2-compressed file",
            Self::Zstd => "a Zstandard-compressed file",
        }
    }
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sniffed {
    /// An archive labgrade unpacks.
    Archive(Format),
    /// An archive or compressed file labgrade does not unpack.
    Foreign(Foreign),
    /// None of those (a source file, a PDF, a damaged archive, an old tar without magic).
    Unknown,
}

/// Reads the start of the file at `path` and tells what it is.
pub(super) fn sniff(path: &Path) -> io::Result<Sniffed> {
    let mut head = Vec::with_capacity(HEAD);
    File::open(path)?.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(sniff_bytes(&head))
}

/// What a file starting with `head` is.
fn sniff_bytes(head: &[u8]) -> Sniffed {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        Sniffed::Archive(Format::Zip)
    } else if starts(b"\x1f\x8b") {
        Sniffed::Archive(Format::TarGz)
    } else if head.get(257..262) == Some(b"ustar") {
        Sniffed::Archive(Format::Tar)
    } else if starts(b"Rar!\x1a\x07") {
        Sniffed::Foreign(Foreign::Rar)
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        Sniffed::Foreign(Foreign::SevenZip)
    } else if starts(b"\xfd7zXZ\x00") {
        Sniffed::Foreign(Foreign::Xz)
    } else if starts(b"BZh") {
        Sniffed::Foreign(Foreign::Bzip2)
    } else if starts(b"\x28\xb5\x2f\xfd") {
        Sniffed::Foreign(Foreign::Zstd)
    } else {
        Sniffed::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::{Foreign, Format, Sniffed, sniff_bytes};

    #[test]
    fn magic_numbers_tell_the_format() {
        let mut tar = vec![0_u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        let cases: [(&[u8], Sniffed); 8] = [
            (b"PK\x03\x04rest", Sniffed::Archive(Format::Zip)),
            (b"PK\x05\x06", Sniffed::Archive(Format::Zip)),
            (b"\x1f\x8b\x08", Sniffed::Archive(Format::TarGz)),
            (&tar, Sniffed::Archive(Format::Tar)),
            (b"Rar!\x1a\x07\x01\x00", Sniffed::Foreign(Foreign::Rar)),
            (b"\xfd7zXZ\x00\x00", Sniffed::Foreign(Foreign::Xz)),
            (b"BZh91AY", Sniffed::Foreign(Foreign::Bzip2)),
            (b"fn main() {}", Sniffed::Unknown),
        ];
        for (head, expected) in cases {
            assert_eq!(sniff_bytes(head), expected, "{head:?}");
        }
    }
}
