//! A serial scanner over any byte stream: bytes framed into scans, with the idle timeout.

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::framing::{Framer, FramingOptions, ScanEvent};
use crate::transport::is_gone;

pub struct ScannerReader<T> {
    io: T,
    framer: Framer,
}

impl<T: AsyncRead + Unpin> ScannerReader<T> {
    pub fn new(io: T, options: FramingOptions) -> ScannerReader<T> {
        ScannerReader { io, framer: Framer::new(options) }
    }

    /// The next scans (or rejections). `Err` when the scanner is gone (EOF or EIO).
    pub async fn next(&mut self) -> std::io::Result<Vec<ScanEvent>> {
        let mut buf = [0u8; 256];
        loop {
            let deadline = self.framer.poll_timeout().map(Instant::from_std);
            let events = tokio::select! {
                n = self.io.read(&mut buf) => match n {
                    Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => self.framer.feed(&buf[..n], Instant::now().into_std()),
                    Err(e) if is_gone(&e) => return Err(e),
                    Err(e) => return Err(e),
                },
                _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                    self.framer.handle_timeout(Instant::now().into_std())
                }
            };
            if !events.is_empty() {
                return Ok(events);
            }
        }
    }
}
