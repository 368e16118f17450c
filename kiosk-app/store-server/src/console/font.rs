//! The UI's font for web pages (the console, and the browser comparison benchmark).

/// A TrueType font without its TSI* tables (Visual TrueType sources, empty in NanumGothic),
/// which Chromium's font sanitizer (OTS) rejects as zero-length. The glyphs are unchanged.
pub fn web_font(ttf: &[u8]) -> Vec<u8> {
    let u16_at = |i: usize| u16::from_be_bytes([ttf[i], ttf[i + 1]]);
    let u32_at = |i: usize| u32::from_be_bytes(ttf[i..i + 4].try_into().unwrap());
    let tables: Vec<([u8; 4], u32, usize, usize)> = (0..u16_at(4) as usize)
        .map(|t| {
            let r = 12 + 16 * t;
            let tag: [u8; 4] = ttf[r..r + 4].try_into().unwrap();
            (tag, u32_at(r + 4), u32_at(r + 8) as usize, u32_at(r + 12) as usize)
        })
        .filter(|(tag, ..)| !tag.starts_with(b"TSI"))
        .collect();
    let n = tables.len() as u16;
    let power = 1u16 << (15 - n.leading_zeros());
    let mut out = Vec::with_capacity(ttf.len());
    out.extend_from_slice(&ttf[0..4]);
    for v in [n, power * 16, power.trailing_zeros() as u16, n * 16 - power * 16] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    for (tag, sum, _, len) in &tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&sum.to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(*len as u32).to_be_bytes());
        offset += len.next_multiple_of(4);
    }
    for (_, _, at, len) in &tables {
        out.extend_from_slice(&ttf[*at..at + len]);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    out
}
