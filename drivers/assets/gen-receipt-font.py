#!/usr/bin/env python3
"""Makes receipt-font-24.bin: the 24-dot bitmap font the printer driver uses to draw lines a
printer cannot print from its own font (Hangul outside KS X 1001, e.g. 똠), and the printer
simulator uses to render receipts as PNG.

Source: Nanum Gothic Coding (Debian package fonts-nanum, SIL OFL 1.1). Under the OFL a
modified version may not use the Reserved Font Names, so the output is called
"Kiosk Receipt 24"; see OFL.txt beside this file.

Usage: python3 gen-receipt-font.py /usr/share/fonts/truetype/nanum/NanumGothicCoding.ttf

With --cjk it makes receipt-font-cjk-24.bin instead, the glyphs Chinese and Japanese
receipts need (kana; the ideographs of GB 2312, JIS X 0208 and KS X 1001), from WenQuanYi
Micro Hei (Debian package fonts-wqy-microhei, Apache 2.0 or GPLv3 with the font embedding
exception). It is too large for the device binary; the image carries it as a file
(images/overlay/usr/share/kiosk/), and the kiosk reads it when a receipt first needs it:
  python3 gen-receipt-font.py --cjk /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
Needs: Pillow, fontTools (pip). Output is deterministic for a given font file.

Format (little-endian), zlib-compressed as a whole:
  b"KRF1", u8 height, u32 count,
  count × (u32 code point, u8 width in dots, u32 offset into the bitmap area),
  bitmaps: each row ceil(width/8) bytes, MSB first, 1 = black, `height` rows.
"""
import struct
import sys
import zlib

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

HEIGHT = 24
HALF, FULL = 12, 24
RANGES = [
    (0x0020, 0x007E, HALF),  # ASCII
    (0x00A0, 0x00FF, HALF),  # Latin-1 (·, ×, é …)
    (0x2010, 0x2027, HALF),  # dashes, quotes, bullets, …
    (0x2030, 0x203B, HALF),  # ‰ ※
    (0x20A9, 0x20A9, HALF),  # ₩
    (0x2190, 0x2193, FULL),  # arrows
    (0x2460, 0x2473, FULL),  # ① … ⑳
    (0x25A0, 0x25CF, FULL),  # ■ □ ▲ ○ ●
    (0x3000, 0x303F, FULL),  # CJK symbols and punctuation
    (0x3131, 0x318E, FULL),  # Hangul compatibility jamo
    (0xAC00, 0xD7A3, FULL),  # all 11,172 Hangul syllables
    (0xFF01, 0xFF5E, FULL),  # fullwidth forms
    (0xFFE0, 0xFFE6, FULL),  # ￠ ￡ ￢ ￣ ￤ ￥ ￦
]


def cjk_ranges():
    """Kana and every ideograph of GB 2312 (Simplified Chinese), JIS X 0208 (Japanese) and
    KS X 1001 (the Hanja a Korean printer has), each a full cell: what Chinese and Japanese
    receipts need that the bundled font lacks. Enumerated through Python's own codecs."""
    ranges = [(0x3040, 0x309F, FULL), (0x30A0, 0x30FF, FULL)]
    ideographs = set()
    for codec in ("gb2312", "euc_jp", "euc_kr"):
        for lead in range(0xA1, 0xFF):
            for trail in range(0xA1, 0xFF):
                try:
                    ch = bytes([lead, trail]).decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(ch) == 1 and 0x4E00 <= ord(ch) <= 0x9FFF:
                    ideographs.add(ord(ch))
    ranges += [(cp, cp, FULL) for cp in sorted(ideographs)]
    return ranges


def main(path, index=0, ranges=RANGES):
    cmap = TTFont(path, fontNumber=index).getBestCmap()
    font = ImageFont.truetype(path, 22, index=index)
    ascent, descent = font.getmetrics()
    # Put the baseline so the tallest glyphs fit the 24-dot cell.
    baseline = HEIGHT - max(2, (HEIGHT - (ascent + descent)) // 2 + descent - 1)
    entries, bitmaps = [], bytearray()
    for lo, hi, width in ranges:
        for cp in range(lo, hi + 1):
            if cp not in cmap:
                continue
            img = Image.new("L", (width, HEIGHT), 0)
            draw = ImageDraw.Draw(img)
            draw.fontmode = "1"  # hinted, not anti-aliased: keeps the gap in ㄲ, ㄸ, ㅃ
            ch = chr(cp)
            w = draw.textlength(ch, font=font)
            x = max(0, (width - w) / 2)
            draw.text((x, baseline), ch, font=font, fill=255, anchor="ls")
            stride = (width + 7) // 8
            offset = len(bitmaps)
            for y in range(HEIGHT):
                row = 0
                for xx in range(width):
                    if img.getpixel((xx, y)) >= 128:
                        row |= 1 << (stride * 8 - 1 - xx)
                bitmaps += row.to_bytes(stride, "big")
            entries.append((cp, width, offset))
    out = bytearray(b"KRF1") + struct.pack("<BI", HEIGHT, len(entries))
    for cp, width, offset in entries:
        out += struct.pack("<IBI", cp, width, offset)
    out += bitmaps
    sys.stdout.buffer.write(zlib.compress(bytes(out), 9))
    print(f"{len(entries)} glyphs, {len(out)} bytes before compression", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "--cjk":
        main(sys.argv[2], 0, cjk_ranges())
    else:
        main(sys.argv[1])
