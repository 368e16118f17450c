//! The scanner simulator: codes written to a PTY as a serial scanner sends them (optional
//! AIM identifier, the configured suffix), paced at the baud rate.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::pty::PtyDevice;
use crate::wire_time;
use kiosk_drivers::scanner::Suffix;

#[derive(Debug, Clone)]
pub struct ScannerSimOptions {
    pub suffix: Suffix,
    pub aim_ids: bool,
    pub baud: u32,
}

impl Default for ScannerSimOptions {
    fn default() -> Self {
        ScannerSimOptions { suffix: Suffix::Cr, aim_ids: false, baud: 9600 }
    }
}

/// The bytes a scanner sends for `code`.
pub fn frame(code: &str, options: &ScannerSimOptions) -> Vec<u8> {
    let mut out = Vec::new();
    if options.aim_ids {
        let is_ean13 = code.len() == 13 && code.bytes().all(|b| b.is_ascii_digit());
        let is_linear_number =
            code.len() > 13 && code.len() <= 24 && code.bytes().all(|b| b.is_ascii_digit());
        out.extend_from_slice(if is_ean13 {
            b"]E0"
        } else if is_linear_number {
            b"]C0"
        } else {
            b"]Q1"
        });
    }
    out.extend_from_slice(code.as_bytes());
    out.extend_from_slice(match options.suffix {
        Suffix::Cr => b"\r",
        Suffix::CrLf => b"\r\n",
        Suffix::None => b"",
    });
    out
}

/// A simulated scanner on a PTY linked at `link`.
pub struct ScannerSim {
    pty: PtyDevice,
    options: ScannerSimOptions,
}

impl ScannerSim {
    pub fn create(link: &Path, options: ScannerSimOptions) -> std::io::Result<ScannerSim> {
        Ok(ScannerSim { pty: PtyDevice::create(link)?, options })
    }

    /// Sends one scan, paced at the baud rate.
    pub async fn scan(&mut self, code: &str) -> std::io::Result<()> {
        let bytes = frame(code, &self.options);
        for chunk in bytes.chunks(16) {
            self.pty.write_all(chunk).await?;
            tokio::time::sleep(wire_time(chunk.len(), self.options.baud)).await;
        }
        Ok(())
    }

    /// Sends raw bytes (garbage, for tests).
    pub async fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.pty.write_all(bytes).await
    }
}
