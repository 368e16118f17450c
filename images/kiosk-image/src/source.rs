//! An image as the writer reads it: the raw file (`X.img`), or the compressed release
//! (`X.img.xz`) decoded as a stream. The writer asks for the mapped ranges front to back
//! (block maps are ascending), so a compressed image needs neither seeking nor a temporary
//! file: the bytes between two ranges are decoded and dropped.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use liblzma::bufread::XzDecoder;

/// Big enough that the decoder and the reads behind it are not dominated by call overhead.
const READ_BUFFER: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("reading {path}: {cause}")]
    Io { path: String, cause: io::Error },
    #[error("{path} is damaged ({reason}): download the image again")]
    Damaged { path: String, reason: String },
    #[error("{path} ends at byte {at} of the image, before the block map does: download the image again")]
    Truncated { path: String, at: u64 },
    #[error(
        "asked to go back to byte {to} of {path} after byte {at}: the block map's ranges are out of order"
    )]
    Backwards { path: String, at: u64, to: u64 },
}

enum Reader {
    Raw(File),
    /// All concatenated .xz streams (`cat a.xz b.xz`, pixz), not only the first; a single
    /// `xz -T2` stream of many blocks decodes either way.
    Xz(Box<XzDecoder<BufReader<File>>>),
}

/// An image read front to back; `at` is the offset in the (decompressed) image.
pub struct Source {
    reader: Reader,
    path: PathBuf,
    at: u64,
    scratch: Vec<u8>,
}

/// Whether `path` names a compressed image, by its name as the release names it.
pub fn is_xz(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "xz")
}

impl Source {
    pub fn open(path: &Path) -> Result<Source, SourceError> {
        let file =
            File::open(path).map_err(|cause| SourceError::Io { path: path.display().to_string(), cause })?;
        let reader = if is_xz(path) {
            Reader::Xz(Box::new(XzDecoder::new_multi_decoder(BufReader::with_capacity(READ_BUFFER, file))))
        } else {
            Reader::Raw(file)
        };
        Ok(Source { reader, path: path.to_owned(), at: 0, scratch: Vec::new() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves forward to byte `to` of the image: a seek on a raw file, decoding and dropping
    /// the bytes in between on a compressed one.
    pub fn skip_to(&mut self, to: u64) -> Result<(), SourceError> {
        if to < self.at {
            return Err(SourceError::Backwards { path: self.path.display().to_string(), at: self.at, to });
        }
        match &mut self.reader {
            Reader::Raw(f) => {
                f.seek(SeekFrom::Start(to)).map_err(|e| self.error(e))?;
                self.at = to;
            }
            Reader::Xz(_) => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.resize(READ_BUFFER, 0);
                while self.at < to {
                    let n = (to - self.at).min(READ_BUFFER as u64) as usize;
                    self.read_exact(&mut scratch[..n])?;
                }
                self.scratch = scratch;
            }
        }
        Ok(())
    }

    /// Fills `buf` from the current offset on.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), SourceError> {
        let result = match &mut self.reader {
            Reader::Raw(f) => f.read_exact(buf),
            Reader::Xz(d) => d.read_exact(buf),
        };
        match result {
            Ok(()) => {
                self.at += buf.len() as u64;
                Ok(())
            }
            Err(e) => Err(self.error(e)),
        }
    }

    fn error(&self, e: io::Error) -> SourceError {
        let path = self.path.display().to_string();
        match e.kind() {
            // liblzma says "premature eof" for a cut-off .xz; read_exact says the same for a
            // raw file shorter than its map.
            io::ErrorKind::UnexpectedEof => SourceError::Truncated { path, at: self.at },
            // liblzma's data, format and integrity-check errors.
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput if is_xz(&self.path) => {
                SourceError::Damaged { path, reason: e.to_string() }
            }
            _ => SourceError::Io { path, cause: e },
        }
    }
}
