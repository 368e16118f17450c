//! Block maps in bmaptool's format (version 2.0): which blocks of an image hold data, with a
//! SHA-256 per range, so that a writer copies only those and checks each as it goes. The
//! same files `bmaptool create` writes and `bmaptool copy` reads.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::path::Path;

use sha2::{Digest, Sha256};

/// A range of mapped blocks, both ends included, and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub first: u64,
    pub last: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bmap {
    pub image_size: u64,
    pub block_size: u64,
    pub blocks_count: u64,
    pub ranges: Vec<Range>,
}

#[derive(Debug, thiserror::Error)]
pub enum BmapError {
    #[error("the block map is not XML: {0}")]
    Xml(String),
    #[error("the block map has no <{0}>")]
    Missing(&'static str),
    #[error("the block map's <{0}> is not a number: {1:?}")]
    Number(&'static str, String),
    #[error("the block map's range {0:?} is malformed or beyond the image")]
    BadRange(String),
    #[error("this tool reads bmap version 2 with sha256 checksums; this one is {0}")]
    Unsupported(String),
    #[error(
        "the block map's own checksum does not match (BmapFileChecksum {found}, the file sums to {computed}): it was altered or damaged"
    )]
    FileChecksum { found: String, computed: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The SHA-256 of a block map's text whose `BmapFileChecksum` holds zeros.
fn file_checksum(zeroed: &str) -> String {
    hex::encode(Sha256::digest(zeroed.as_bytes()))
}

impl Bmap {
    pub fn mapped_blocks(&self) -> u64 {
        self.ranges.iter().map(|r| r.last - r.first + 1).sum()
    }

    /// The byte span of a range within the image (the last block may be short).
    pub fn span(&self, r: &Range) -> (u64, u64) {
        let start = r.first * self.block_size;
        let end = ((r.last + 1) * self.block_size).min(self.image_size);
        (start, end - start)
    }

    pub fn parse(xml: &str) -> Result<Bmap, BmapError> {
        let doc = roxmltree::Document::parse(xml).map_err(|e| BmapError::Xml(e.to_string()))?;
        let root = doc.root_element();
        let version = root.attribute("version").unwrap_or("");
        if !version.starts_with("2.") {
            return Err(BmapError::Unsupported(format!("version {version:?}")));
        }
        let text = |name: &'static str| -> Result<String, BmapError> {
            root.children()
                .find(|n| n.has_tag_name(name))
                .and_then(|n| n.text())
                .map(|t| t.trim().to_owned())
                .ok_or(BmapError::Missing(name))
        };
        let number = |name: &'static str| -> Result<u64, BmapError> {
            let t = text(name)?;
            t.parse().map_err(|_| BmapError::Number(name, t))
        };
        let checksum = text("ChecksumType")?;
        if checksum != "sha256" {
            return Err(BmapError::Unsupported(format!("checksum {checksum}")));
        }
        // bmaptool's rule: the SHA-256 of the file with this field's value zeroed. Zeros
        // themselves (block maps this tool wrote before it filled the field in) are taken,
        // as the signed manifest vouches for the file; bmaptool refuses those.
        if let Ok(found) = text("BmapFileChecksum").map(|f| f.to_ascii_lowercase())
            && found.bytes().any(|b| b != b'0')
        {
            let computed = file_checksum(&xml.replacen(&found, &"0".repeat(found.len()), 1));
            if computed != found {
                return Err(BmapError::FileChecksum { found, computed });
            }
        }
        let (image_size, block_size, blocks_count) =
            (number("ImageSize")?, number("BlockSize")?, number("BlocksCount")?);
        let map =
            root.children().find(|n| n.has_tag_name("BlockMap")).ok_or(BmapError::Missing("BlockMap"))?;
        let mut ranges = Vec::new();
        for r in map.children().filter(|n| n.has_tag_name("Range")) {
            let body = r.text().unwrap_or("").trim().to_owned();
            let bad = || BmapError::BadRange(body.clone());
            let (first, last) = match body.split_once('-') {
                Some((a, b)) => (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?),
                None => {
                    let n = body.parse().map_err(|_| bad())?;
                    (n, n)
                }
            };
            let sha256 = r.attribute("chksum").ok_or_else(bad)?.to_owned();
            // Ascending and apart, as bmaptool writes them: a compressed image is read once,
            // front to back, so a range behind the previous one could not be reached.
            let behind = ranges.last().is_some_and(|p: &Range| first <= p.last);
            if first > last || last >= blocks_count || sha256.len() != 64 || behind {
                return Err(bad());
            }
            ranges.push(Range { first, last, sha256 });
        }
        Ok(Bmap { image_size, block_size, blocks_count, ranges })
    }

    /// The XML, as bmaptool writes it, its `BmapFileChecksum` filled in as bmaptool does.
    pub fn to_xml(&self) -> String {
        let mut x = String::new();
        let _ = writeln!(x, "<?xml version=\"1.0\" ?>");
        let _ = writeln!(x, "<bmap version=\"2.0\">");
        let _ = writeln!(x, "    <ImageSize> {} </ImageSize>", self.image_size);
        let _ = writeln!(x, "    <BlockSize> {} </BlockSize>", self.block_size);
        let _ = writeln!(x, "    <BlocksCount> {} </BlocksCount>", self.blocks_count);
        let _ = writeln!(x, "    <MappedBlocksCount> {} </MappedBlocksCount>", self.mapped_blocks());
        let _ = writeln!(x, "    <ChecksumType> sha256 </ChecksumType>");
        let _ = writeln!(x, "    <BmapFileChecksum> {} </BmapFileChecksum>", "0".repeat(64));
        let _ = writeln!(x, "    <BlockMap>");
        for r in &self.ranges {
            let span =
                if r.first == r.last { r.first.to_string() } else { format!("{}-{}", r.first, r.last) };
            let _ = writeln!(x, "        <Range chksum=\"{}\"> {span} </Range>", r.sha256);
        }
        let _ = writeln!(x, "    </BlockMap>");
        let _ = writeln!(x, "</bmap>");
        let zeros = "0".repeat(64);
        x.replacen(&zeros, &file_checksum(&x), 1)
    }

    /// Maps a sparse image: its data extents (SEEK_DATA / SEEK_HOLE), rounded out to whole
    /// blocks, each range hashed.
    pub fn create(image: &Path, block_size: u64) -> Result<Bmap, BmapError> {
        let mut file = File::open(image)?;
        let image_size = file.metadata()?.len();
        let blocks_count = image_size.div_ceil(block_size);
        let mut extents: Vec<(u64, u64)> = Vec::new();
        let fd = file.as_raw_fd();
        let mut at: i64 = 0;
        while (at as u64) < image_size {
            // SAFETY: lseek on an open descriptor; errors are checked.
            let data = unsafe { libc::lseek(fd, at, libc::SEEK_DATA) };
            if data < 0 {
                break; // ENXIO: no data after `at`
            }
            let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
            let hole = if hole < 0 { image_size as i64 } else { hole };
            let (first, last) = (data as u64 / block_size, (hole as u64 - 1) / block_size);
            match extents.last_mut() {
                Some((_, l)) if *l + 1 >= first => *l = (*l).max(last),
                _ => extents.push((first, last)),
            }
            at = hole;
        }
        let mut bmap = Bmap { image_size, block_size, blocks_count, ranges: Vec::new() };
        let mut buf = vec![0u8; 1 << 20];
        for (first, last) in extents {
            let mut range = Range { first, last, sha256: String::new() };
            let (start, len) = bmap.span(&range);
            file.seek(SeekFrom::Start(start))?;
            let mut hasher = Sha256::new();
            let mut left = len;
            while left > 0 {
                let n = left.min(buf.len() as u64) as usize;
                file.read_exact(&mut buf[..n])?;
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
            range.sha256 = hex::encode(hasher.finalize());
            bmap.ranges.push(range);
        }
        Ok(bmap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_bmaptool_writes() {
        let xml = r#"<?xml version="1.0" ?>
<bmap version="2.0">
    <ImageSize> 10000 </ImageSize>
    <BlockSize> 4096 </BlockSize>
    <BlocksCount> 3 </BlocksCount>
    <MappedBlocksCount> 2 </MappedBlocksCount>
    <ChecksumType> sha256 </ChecksumType>
    <BmapFileChecksum> 0000000000000000000000000000000000000000000000000000000000000000 </BmapFileChecksum>
    <BlockMap>
        <Range chksum="ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7"> 0 </Range>
        <Range chksum="ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7"> 2 </Range>
    </BlockMap>
</bmap>"#;
        let b = Bmap::parse(xml).unwrap();
        assert_eq!(b.mapped_blocks(), 2);
        assert_eq!(b.span(&b.ranges[1]), (8192, 10000 - 8192), "the last block is short");
        assert_eq!(Bmap::parse(&b.to_xml()).unwrap(), b);
    }

    #[test]
    fn refuses_ranges_beyond_the_image_and_other_checksums() {
        let bad = r#"<bmap version="2.0"><ImageSize>4096</ImageSize><BlockSize>4096</BlockSize><BlocksCount>1</BlocksCount><ChecksumType>sha256</ChecksumType><BlockMap><Range chksum="00">0-5</Range></BlockMap></bmap>"#;
        assert!(matches!(Bmap::parse(bad), Err(BmapError::BadRange(_))));
        let overlapping = bad.replace(
            "<Range chksum=\"00\">0-5</Range>",
            &format!("<Range chksum=\"{0}\">0</Range><Range chksum=\"{0}\">0</Range>", "0".repeat(64)),
        );
        assert!(matches!(Bmap::parse(&overlapping), Err(BmapError::BadRange(_))), "ranges ascend");
        let sha1 = bad.replace(">sha256<", ">sha1<");
        assert!(matches!(Bmap::parse(&sha1), Err(BmapError::Unsupported(_))));
    }

    #[test]
    fn the_file_checksum_is_filled_in_and_checked() {
        let b = Bmap {
            image_size: 8192,
            block_size: 4096,
            blocks_count: 2,
            ranges: vec![Range { first: 1, last: 1, sha256: "ab".repeat(32) }],
        };
        let xml = b.to_xml();
        let field = xml.lines().find(|l| l.contains("<BmapFileChecksum>")).unwrap();
        let found = field.split_whitespace().nth(1).unwrap();
        assert_eq!(found, file_checksum(&xml.replace(found, &"0".repeat(64))));
        assert_eq!(Bmap::parse(&xml).unwrap(), b);
        let altered = xml.replace("<ImageSize> 8192 </ImageSize>", "<ImageSize> 8000 </ImageSize>");
        assert!(matches!(Bmap::parse(&altered), Err(BmapError::FileChecksum { .. })), "{altered}");
    }
}
