//! The receipt model: what to print, independent of any printer's bytes.
//!
//! Text is laid out in columns of the printer's Font A (12 × 24 dots). On a Korean printer
//! every double-byte character takes two columns, so [`display_width`] counts any non-ASCII
//! character as 2: a 48-column line holds 24 Hangul. The encoder prints exactly the lines
//! laid out here, and the simulator's decoded text must come back the same.

/// Paper width: columns of Font A and printable dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paper {
    pub columns: usize,
    pub dots: u32,
}

impl Paper {
    /// 80 mm roll, 576 printable dots (Epson TM-T88, Bixolon SRP-350III).
    pub const MM80: Paper = Paper { columns: 48, dots: 576 };
    /// 80 mm roll on 512-dot mechanisms (42 columns).
    pub const MM80_42: Paper = Paper { columns: 42, dots: 512 };
    /// 58 mm roll, 384 dots.
    pub const MM58: Paper = Paper { columns: 32, dots: 384 };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// Character style. `width`/`height` are magnifications 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub bold: bool,
    pub width: u8,
    pub height: u8,
    pub align: Align,
}

impl Default for Style {
    fn default() -> Self {
        Style { bold: false, width: 1, height: 1, align: Align::Left }
    }
}

impl Style {
    pub fn bold(mut self) -> Style {
        self.bold = true;
        self
    }
    pub fn double(mut self) -> Style {
        self.width = 2;
        self.height = 2;
        self
    }
    pub fn tall(mut self) -> Style {
        self.height = 2;
        self
    }
    pub fn center(mut self) -> Style {
        self.align = Align::Center;
        self
    }
    pub fn right(mut self) -> Style {
        self.align = Align::Right;
        self
    }
}

/// QR error correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrLevel {
    L,
    M,
    Q,
    H,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarcodeKind {
    Code128,
    Ean13,
}

/// A 1-bit image, rows of `ceil(width/8)` bytes, MSB first, 1 = black.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Raster {
    pub fn new(width: u32, height: u32) -> Raster {
        Raster { width, height, data: vec![0; (width.div_ceil(8) * height) as usize] }
    }

    pub fn stride(&self) -> u32 {
        self.width.div_ceil(8)
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width
            && y < self.height
            && self.data[(y * self.stride() + x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }

    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x < self.width && y < self.height {
            let i = (y * self.stride() + x / 8) as usize;
            let bit = 0x80 >> (x % 8);
            if black {
                self.data[i] |= bit;
            } else {
                self.data[i] &= !bit;
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph, wrapped to the paper width.
    Text { text: String, style: Style },
    /// Two columns: `left` wraps, `right` sits right-aligned on its last line (item … price).
    Row { left: String, right: String, style: Style },
    /// A full-width rule of `ch` ('-' or '=').
    Separator(char),
    /// Blank lines.
    Feed(u8),
    /// A QR code printed by the printer itself (`GS ( k`).
    Qr { data: String, module_size: u8, level: QrLevel },
    /// A barcode printed by the printer itself (`GS k`), with its human-readable text below.
    Barcode { kind: BarcodeKind, data: String, height: u8 },
    /// A raster image (a logo), centred.
    Image(Raster),
    /// Feed to the cutter and cut.
    Cut { partial: bool },
    /// Open the cash drawer (pin 2).
    DrawerKick,
}

/// A laid-out text line: exactly what goes on paper, already padded and aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub paper: Paper,
    pub blocks: Vec<Block>,
}

impl Receipt {
    pub fn new(paper: Paper) -> Receipt {
        Receipt { paper, blocks: Vec::new() }
    }

    pub fn text(&mut self, text: impl Into<String>, style: Style) -> &mut Self {
        self.blocks.push(Block::Text { text: text.into(), style });
        self
    }

    pub fn row(&mut self, left: impl Into<String>, right: impl Into<String>, style: Style) -> &mut Self {
        self.blocks.push(Block::Row { left: left.into(), right: right.into(), style });
        self
    }

    pub fn separator(&mut self, ch: char) -> &mut Self {
        self.blocks.push(Block::Separator(ch));
        self
    }

    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// Columns available to a style (double width halves them).
    pub fn columns_for(&self, style: Style) -> usize {
        self.paper.columns / usize::from(style.width.max(1))
    }

    /// The text lines a block prints, laid out for this paper.
    pub fn lay_out(&self, block: &Block) -> Vec<Line> {
        match block {
            Block::Text { text, style } => {
                let cols = self.columns_for(*style);
                text.split('\n')
                    .flat_map(|p| wrap(p, cols))
                    .map(|t| Line { text: align(&t, cols, style.align), style: *style })
                    .collect()
            }
            Block::Row { left, right, style } => {
                let cols = self.columns_for(*style);
                row(left, right, cols).into_iter().map(|text| Line { text, style: *style }).collect()
            }
            Block::Separator(ch) => {
                let n = self.paper.columns / display_width(&ch.to_string()).max(1);
                vec![Line { text: ch.to_string().repeat(n), style: Style::default() }]
            }
            Block::Feed(n) => {
                (0..*n).map(|_| Line { text: String::new(), style: Style::default() }).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Every text line of the receipt, in order (what the simulator should decode).
    pub fn text_lines(&self) -> Vec<String> {
        self.blocks.iter().flat_map(|b| self.lay_out(b)).map(|l| l.text.trim_end().to_owned()).collect()
    }
}

/// Columns a character takes on a Korean ESC/POS printer: ASCII 1, anything else 2 (it is
/// printed from the double-byte font, or drawn two columns wide in a raster line).
pub fn char_width(ch: char) -> usize {
    if ch.is_ascii() {
        usize::from(!ch.is_ascii_control())
    } else {
        // Zero-width marks take no column.
        match unicode_width::UnicodeWidthChar::width(ch) {
            Some(0) => 0,
            _ => 2,
        }
    }
}

pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Splits `text` into lines of at most `cols` columns, breaking at spaces where it can.
/// Leading spaces are kept as an indent on every line ("  + 치즈 추가").
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let indent = (text.len() - body.len()).min(cols.saturating_sub(2) / 2);
    let pad = " ".repeat(indent);
    wrap_words(body, cols - indent).into_iter().map(|l| format!("{pad}{l}")).collect()
}

fn wrap_words(text: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(2);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut width = 0;
    for word in text.split(' ') {
        let w = display_width(word);
        let sep = usize::from(!line.is_empty());
        if width + sep + w <= cols {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            width += sep + w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            width = 0;
        }
        // A word longer than the line is broken hard.
        for ch in word.chars() {
            let cw = char_width(ch);
            if width + cw > cols {
                lines.push(std::mem::take(&mut line));
                width = 0;
            }
            line.push(ch);
            width += cw;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn align(text: &str, cols: usize, align: Align) -> String {
    let pad = cols.saturating_sub(display_width(text));
    match align {
        Align::Left => text.to_owned(),
        Align::Center => format!("{}{text}", " ".repeat(pad / 2)),
        Align::Right => format!("{}{text}", " ".repeat(pad)),
    }
}

/// Lays out `left … right`: `left` wraps (leaving room for `right` and a space on its last
/// line, or on a line of its own when that does not fit).
fn row(left: &str, right: &str, cols: usize) -> Vec<String> {
    let rw = display_width(right);
    let mut lines = wrap(left, cols);
    let last = lines.pop().unwrap_or_default();
    let lw = display_width(&last);
    if lw + 1 + rw <= cols {
        lines.push(format!("{last}{}{right}", " ".repeat(cols - lw - rw)));
    } else {
        lines.push(last);
        lines.push(format!("{}{right}", " ".repeat(cols.saturating_sub(rw))));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_and_fullwidth_take_two_columns() {
        assert_eq!(display_width("Cola"), 4);
        assert_eq!(display_width("불고기 버거"), 11);
        assert_eq!(display_width("￦12,000"), 8);
        assert_eq!(display_width("똠얌꿍"), 6);
    }

    #[test]
    fn rows_put_the_price_at_the_right_edge() {
        let r = Receipt::new(Paper::MM58);
        let lines = r.lay_out(&Block::Row {
            left: "불고기 버거 x2".into(),
            right: "11,000".into(),
            style: Style::default(),
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(display_width(&lines[0].text), 32);
        assert!(lines[0].text.starts_with("불고기 버거 x2") && lines[0].text.ends_with(" 11,000"));
        // a long name wraps and the price stays on the last line
        let long = "매운 치킨 버거 더블 패티 치즈 추가 베이컨 추가";
        let lines =
            r.lay_out(&Block::Row { left: long.into(), right: "12,700".into(), style: Style::default() });
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|l| display_width(&l.text) <= 32));
        assert!(lines.last().unwrap().text.ends_with("12,700"));
    }

    #[test]
    fn wrapping_respects_width_and_words() {
        for cols in [8, 21, 32, 48] {
            let text = "오늘도 한입버거를 찾아주셔서 감사합니다 Thank you for visiting";
            for line in wrap(text, cols) {
                assert!(display_width(&line) <= cols, "{line:?} > {cols}");
            }
        }
        assert_eq!(wrap("aaaa bbbb", 4), ["aaaa", "bbbb"]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("가나다라", 5), ["가나", "다라"]);
        assert_eq!(wrap("  + 치즈 추가 베이컨", 12), ["  + 치즈", "  추가", "  베이컨"]);
        assert_eq!(wrap("  + 치즈 추가 베이컨", 13), ["  + 치즈 추가", "  베이컨"]);
    }

    #[test]
    fn double_width_halves_the_columns() {
        let r = Receipt::new(Paper::MM80);
        let lines = r
            .lay_out(&Block::Text {
                text: "주문번호 123".into(), style: Style::default().double().center()
            });
        assert_eq!(lines[0].text, format!("{}주문번호 123", " ".repeat((24 - 12) / 2)));
        assert_eq!(r.lay_out(&Block::Separator('-'))[0].text.len(), 48);
    }
}
