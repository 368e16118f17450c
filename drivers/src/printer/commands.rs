//! ESC/POS command bytes, named. The encoder, the driver and the simulator share them.

pub const ESC: u8 = 0x1B;
pub const GS: u8 = 0x1D;
pub const FS: u8 = 0x1C;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;
pub const LF: u8 = 0x0A;

/// `ESC @`: initialise.
pub const INIT: [u8; 2] = [ESC, b'@'];
/// `ESC t 0`, `FS &`, `ESC R 13`: code table 0, Korean double-byte mode, Korean set —
/// the sequence receiptline sends for `-l ko`.
pub const KOREAN_MODE: [u8; 8] = [ESC, b't', 0, FS, b'&', ESC, b'R', 13];
/// `FS .`: leave double-byte mode.
pub const DOUBLE_BYTE_OFF: [u8; 2] = [FS, b'.'];
/// `GS a 0x0F`: Automatic Status Back for drawer, online/offline, errors and paper.
pub const ASB_ENABLE: [u8; 3] = [GS, b'a', 0x0F];
/// `GS r 1`: transmit the paper sensor status. Processed in order with the job, so its reply
/// means "everything before it has been processed".
pub const PAPER_SENSOR_STATUS: [u8; 3] = [GS, b'r', 1];
/// `DLE DC4 8 1 3 20 1 6 2 8`: clear the receive and print buffers (Epson), used after a
/// failed job so that its remainder does not print on top of the retry.
pub const CLEAR_BUFFERS: [u8; 10] = [DLE, 0x14, 8, 1, 3, 20, 1, 6, 2, 8];

/// `DLE EOT n`: real-time status (n = 1 printer, 2 offline cause, 3 error cause, 4 paper).
pub const fn status_query(n: u8) -> [u8; 3] {
    [DLE, EOT, n]
}

pub fn align(n: u8) -> [u8; 3] {
    [ESC, b'a', n]
}

pub fn bold(on: bool) -> [u8; 3] {
    [ESC, b'E', u8::from(on)]
}

/// `GS ! n`: high nibble width − 1, low nibble height − 1.
pub fn size(width: u8, height: u8) -> [u8; 3] {
    [GS, b'!', ((width.clamp(1, 8) - 1) << 4) | (height.clamp(1, 8) - 1)]
}

/// `GS ( k pL pH cn fn …` for the QR symbol (cn = 49).
pub fn qr_function(function: u8, params: &[u8]) -> Vec<u8> {
    let len = params.len() + 2;
    let mut out = vec![GS, b'(', b'k', len as u8, (len >> 8) as u8, 49, function];
    out.extend_from_slice(params);
    out
}
