//! The simulated printer, sans-IO: bytes in, replies and finished jobs out. Paced I/O and
//! the command line live in `server.rs`.
//!
//! Like a real printer it processes real-time commands (`DLE EOT`, `DLE ENQ`, `DLE DC4`) as
//! soon as they arrive, even when it cannot print; everything else waits in the receive
//! buffer while the paper is out, the cover open or a cutter error stands, and is printed
//! once it recovers (unless the host clears the buffers).
//!
//! `Offline` is a printer switched off at its panel (or still starting up): it answers
//! nothing and prints nothing until it is back `Online`. Hosts see it as silence, which is
//! how receiptio and our driver tell "offline" apart from paper or cover trouble.

use encoding_rs::{EUC_KR, WINDOWS_1252};

use kiosk_drivers::printer::parser::{Command, Parsed, parse};
use kiosk_drivers::printer::receipt::{Align, Line, Raster, Style};
use kiosk_drivers::printer::status::{PaperLevel, PrinterStatus, encode};

/// Something printed in a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobItem {
    Text(Line),
    Image { image: Raster, scale_x: u8, scale_y: u8 },
    Qr { data: String, module_size: u8 },
    Barcode { system: u8, data: String },
    DrawerKick,
}

/// A printed job: everything between two cuts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Job {
    pub items: Vec<JobItem>,
    pub cut: bool,
}

impl Job {
    /// Text lines as printed, right-trimmed; raster lines drawn with the receipt font are read
    /// back, other images, QR codes and barcodes are shown as `[…]`.
    pub fn text_lines(&self) -> Vec<String> {
        self.items
            .iter()
            .filter_map(|item| match item {
                JobItem::Text(line) => Some(line.text.trim_end().to_owned()),
                JobItem::Image { image, scale_x: 1, scale_y: 1 } => Some(
                    super::recognize::recognize(image)
                        .map(|t| t.trim_end().to_owned())
                        .unwrap_or_else(|| format!("[image {}x{}]", image.width, image.height)),
                ),
                JobItem::Image { image, scale_x, scale_y } => Some(format!(
                    "[image {}x{}]",
                    image.width * u32::from(*scale_x),
                    image.height * u32::from(*scale_y)
                )),
                JobItem::Qr { data, .. } => Some(format!("[QR {data}]")),
                JobItem::Barcode { data, .. } => Some(format!("[barcode {data}]")),
                JobItem::DrawerKick => None,
            })
            .collect()
    }

    pub fn text(&self) -> String {
        self.text_lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimEvent {
    /// A job was cut off (or ended by the host) and is complete.
    Printed(Job),
    /// The host cleared the buffers; what had printed of the unfinished job is wasted.
    Discarded(Job),
    /// Bytes that are no command, skipped.
    Garbage(Vec<u8>),
    DrawerKicked,
}

/// A change of the printer's condition, from the simulator's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    PaperOut,
    PaperNearEnd,
    PaperIn,
    CoverOpen,
    CoverClosed,
    Offline,
    Online,
    CutterError,
    DrawerOpen,
    DrawerClosed,
}

impl Condition {
    pub fn parse(s: &str) -> Option<Condition> {
        Some(match s.trim() {
            "paper-out" => Condition::PaperOut,
            "paper-near-end" => Condition::PaperNearEnd,
            "paper-in" => Condition::PaperIn,
            "cover-open" => Condition::CoverOpen,
            "cover-close" | "cover-closed" => Condition::CoverClosed,
            "offline" => Condition::Offline,
            "online" => Condition::Online,
            "cutter-error" => Condition::CutterError,
            "drawer-open" => Condition::DrawerOpen,
            "drawer-close" | "drawer-closed" => Condition::DrawerClosed,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub struct SimPrinter {
    status: PrinterStatus,
    /// Switched off at the panel: answers and prints nothing.
    silent: bool,
    asb_mask: u8,
    rx: Vec<u8>,
    replies: Vec<u8>,
    double_byte: bool,
    code_table: u8,
    international: u8,
    pending_lead: Option<u8>,
    style: Style,
    line: String,
    /// Width of the current line so far, in dots (12 per column at normal width).
    line_dots: u32,
    line_style: Style,
    job: Job,
    qr_data: Vec<u8>,
    qr_module: u8,
    stored_graphics: Option<(Raster, u8, u8)>,
}

impl Default for SimPrinter {
    fn default() -> Self {
        SimPrinter::new()
    }
}

/// The CJK receipt glyphs the device image carries (`images/overlay/usr/share/kiosk/`), in the
/// repository: the simulator is never on a device.
pub const CJK_GLYPHS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../images/overlay/usr/share/kiosk/receipt-font-cjk-24.bin");

impl SimPrinter {
    /// A printer that has reset. Its raster read-back knows the CJK glyphs a device adds, so
    /// a Chinese or Japanese receipt's lines come back as text (`recognize.rs`).
    pub fn new() -> SimPrinter {
        SimPrinter {
            status: PrinterStatus::default(),
            silent: false,
            asb_mask: 0,
            rx: Vec::new(),
            replies: Vec::new(),
            double_byte: false,
            code_table: 0,
            international: 0,
            pending_lead: None,
            style: Style::default(),
            line: String::new(),
            line_dots: 0,
            line_style: Style::default(),
            job: Job::default(),
            qr_data: Vec::new(),
            qr_module: 3,
            stored_graphics: None,
        }
    }

    pub fn status(&self) -> PrinterStatus {
        self.status
    }

    /// Bytes received but not yet processed (waiting for the printer to recover).
    pub fn buffered(&self) -> usize {
        self.rx.len()
    }

    /// Changes the printer's condition; sends an ASB message if enabled and anything changed.
    pub fn set(&mut self, condition: Condition) {
        let before = self.status;
        let s = &mut self.status;
        match condition {
            Condition::PaperOut => s.paper = PaperLevel::Out,
            Condition::PaperNearEnd => s.paper = PaperLevel::NearEnd,
            Condition::PaperIn => s.paper = PaperLevel::Ok,
            Condition::CoverOpen => s.cover_open = true,
            Condition::CoverClosed => s.cover_open = false,
            Condition::Offline => self.silent = true,
            Condition::Online => {
                self.silent = false;
                s.cutter_error = false;
            }
            Condition::CutterError => s.cutter_error = true,
            Condition::DrawerOpen => s.drawer_open = true,
            Condition::DrawerClosed => s.drawer_open = false,
        }
        let s = &mut self.status;
        s.offline = s.cover_open || s.paper == PaperLevel::Out || s.cutter_error;
        if self.status != before || condition == Condition::Online {
            self.send_asb();
        }
    }

    /// Whether the printer is switched off at its panel.
    pub fn is_silent(&self) -> bool {
        self.silent
    }

    fn send_asb(&mut self) {
        if self.asb_mask != 0 && !self.silent {
            self.replies.extend_from_slice(&encode::asb(&self.status));
        }
    }

    /// Bytes to send back to the host.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.replies)
    }

    /// Takes bytes from the host and processes all it can.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<SimEvent> {
        self.rx.extend_from_slice(bytes);
        self.process()
    }

    /// Processes the receive buffer: in order while the printer can print; real-time
    /// commands further on are answered regardless.
    pub fn process(&mut self) -> Vec<SimEvent> {
        let mut events = Vec::new();
        if self.silent {
            // Switched off: what arrives is lost, and nothing is answered.
            self.rx.clear();
            return events;
        }
        let mut done = 0; // bytes fully processed
        let mut at = 0; // scanning position
        let mut blocked = false;
        while at < self.rx.len() {
            match parse(&self.rx[at..]) {
                Parsed::NeedMore => break,
                Parsed::Garbage(n) => {
                    if !blocked {
                        events.push(SimEvent::Garbage(self.rx[at..at + n].to_vec()));
                        done = at + n;
                    }
                    at += n;
                }
                Parsed::Command(cmd, n) => {
                    if is_real_time(&cmd) {
                        self.rx.drain(at..at + n);
                        if self.real_time(&cmd, &mut events) {
                            // buffers cleared: nothing left to process
                            return events;
                        }
                        if !blocked {
                            done = at;
                        }
                        continue;
                    }
                    if !blocked && self.status.can_print() {
                        self.execute(cmd, &mut events);
                        at += n;
                        done = at;
                    } else {
                        blocked = true;
                        at += n;
                    }
                }
            }
        }
        self.rx.drain(..done);
        events
    }

    /// Returns true when the buffers were cleared.
    fn real_time(&mut self, cmd: &Command, events: &mut Vec<SimEvent>) -> bool {
        match *cmd {
            Command::RealTimeStatus(n) => {
                self.replies.push(encode::real_time(n, &self.status));
                false
            }
            Command::RealTimeRequest(2) | Command::ClearBuffers => {
                self.rx.clear();
                self.end_line();
                let job = std::mem::take(&mut self.job);
                if !job.is_empty() {
                    events.push(SimEvent::Discarded(job));
                }
                if matches!(cmd, Command::RealTimeRequest(2)) && self.status.cutter_error {
                    self.set(Condition::Online);
                }
                true
            }
            _ => false,
        }
    }

    /// Ends the current job (when the host goes away without a cut).
    pub fn finish(&mut self) -> Option<Job> {
        self.end_line_if_any();
        let job = std::mem::take(&mut self.job);
        (!job.is_empty()).then_some(job)
    }

    fn execute(&mut self, cmd: Command, events: &mut Vec<SimEvent>) {
        match cmd {
            Command::Text(bytes) => self.text(&bytes),
            Command::LineFeed => self.end_line(),
            Command::FeedLines(n) => {
                self.end_line_if_any();
                for _ in 0..n {
                    self.job.items.push(JobItem::Text(Line { text: String::new(), style: Style::default() }));
                }
            }
            Command::Init => {
                self.end_line_if_any();
                self.double_byte = false;
                self.code_table = 0;
                self.international = 0;
                self.style = Style::default();
            }
            Command::CodeTable(n) => self.code_table = n,
            Command::InternationalSet(n) => self.international = n,
            Command::DoubleByte(on) => self.double_byte = on,
            Command::Bold(on) => self.style.bold = on,
            Command::PrintMode(n) => {
                self.style.bold = n & 0x08 != 0;
                self.style.height = if n & 0x10 != 0 { 2 } else { 1 };
                self.style.width = if n & 0x20 != 0 { 2 } else { 1 };
            }
            Command::Size(n) => {
                self.style.width = (n >> 4) + 1;
                self.style.height = (n & 0x0F) + 1;
            }
            Command::Align(n) => {
                self.style.align = match n {
                    1 => Align::Center,
                    2 => Align::Right,
                    _ => Align::Left,
                }
            }
            Command::Raster { width, height, data, scale_x, scale_y } => {
                self.end_line_if_any();
                self.job.items.push(JobItem::Image {
                    image: Raster { width, height, data },
                    scale_x,
                    scale_y,
                });
            }
            Command::PrintStoredGraphics => {
                if let Some((image, scale_x, scale_y)) = self.stored_graphics.clone() {
                    self.end_line_if_any();
                    self.job.items.push(JobItem::Image { image, scale_x, scale_y });
                }
            }
            Command::Qr { function, params } => match (function, params.as_slice()) {
                (67, [n, ..]) => self.qr_module = (*n).clamp(1, 16),
                (80, [48, data @ ..]) => self.qr_data = data.to_vec(),
                (81, _) => {
                    self.end_line_if_any();
                    let data = String::from_utf8_lossy(&self.qr_data).into_owned();
                    self.job.items.push(JobItem::Qr { data, module_size: self.qr_module });
                }
                _ => {}
            },
            Command::Barcode { system, data } => {
                self.end_line_if_any();
                let data = String::from_utf8_lossy(data.strip_prefix(b"{B").unwrap_or(&data)).into_owned();
                self.job.items.push(JobItem::Barcode { system, data });
            }
            Command::Cut { .. } => {
                self.end_line_if_any();
                let mut job = std::mem::take(&mut self.job);
                job.cut = true;
                if !job.is_empty() {
                    events.push(SimEvent::Printed(job));
                }
            }
            Command::DrawerKick { .. } => {
                self.job.items.push(JobItem::DrawerKick);
                events.push(SimEvent::DrawerKicked);
            }
            Command::AsbEnable(n) => {
                self.asb_mask = n;
                self.send_asb();
            }
            Command::TransmitStatus(1 | 49) => self.replies.push(encode::paper_sensor(&self.status)),
            Command::TransmitStatus(2 | 50) => self.replies.push(u8::from(self.status.drawer_open)),
            Command::TransmitId(n) => match n {
                1 | 49 => self.replies.push(0x20),
                2 | 50 => self.replies.push(0x02),
                3 | 51 => self.replies.push(0x00),
                65 => self.replies.extend_from_slice(b"_1.00\0"),
                66 => self.replies.extend_from_slice(b"_KIOSK\0"),
                67 => self.replies.extend_from_slice(b"_KIOSK-SIM-80\0"),
                _ => {}
            },
            Command::AbsolutePosition(dots) => self.move_to(u32::from(dots)),
            Command::RelativePosition(dots) => {
                self.move_to(self.line_dots.saturating_add_signed(i32::from(dots)))
            }
            Command::CarriageReturn
            | Command::FeedDots(_)
            | Command::TransmitStatus(_)
            | Command::Ignored(_)
            | Command::RealTimeStatus(_)
            | Command::RealTimeRequest(_)
            | Command::ClearBuffers => {}
        }
    }

    /// Moves the print position right by filling with spaces (a move left is ignored: the
    /// decoded text stays in order).
    fn move_to(&mut self, dots: u32) {
        if self.line.is_empty() {
            self.line_style = self.style;
        }
        while self.line_dots + 12 <= dots {
            self.line.push(' ');
            self.line_dots += 12;
        }
    }

    fn push_char(&mut self, ch: char) {
        self.line.push(ch);
        self.line_dots +=
            kiosk_drivers::printer::receipt::char_width(ch) as u32 * 12 * u32::from(self.style.width.max(1));
    }

    fn text(&mut self, bytes: &[u8]) {
        if self.line.is_empty() {
            self.line_style = self.style;
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if self.double_byte && (b >= 0x80 || self.pending_lead.is_some()) {
                let (lead, trail) = match self.pending_lead.take() {
                    Some(lead) => (lead, b),
                    None if i + 1 < bytes.len() => {
                        i += 1;
                        (b, bytes[i])
                    }
                    None => {
                        self.pending_lead = Some(b);
                        break;
                    }
                };
                let ch = if (0xA1..=0xFE).contains(&lead) && (0xA1..=0xFE).contains(&trail) {
                    EUC_KR.decode_without_bom_handling(&[lead, trail]).0.chars().next().unwrap_or('\u{FFFD}')
                } else {
                    '\u{FFFD}' // not in the printer's KS X 1001 font
                };
                self.push_char(ch);
            } else if b < 0x80 {
                self.push_char(if b == 0x5C && self.international == 13 { '₩' } else { b as char });
            } else {
                let ch = match self.code_table {
                    0 => CP437_HIGH.chars().nth(usize::from(b - 0x80)).unwrap_or('?'),
                    1 => katakana_page_graphic(b),
                    16 => WINDOWS_1252.decode_without_bom_handling(&[b]).0.chars().next().unwrap_or('?'),
                    _ => '?',
                };
                self.push_char(ch);
            }
            i += 1;
        }
    }

    fn end_line(&mut self) {
        let style = if self.line.is_empty() { self.style } else { self.line_style };
        let text = std::mem::take(&mut self.line);
        self.line_dots = 0;
        self.job.items.push(JobItem::Text(Line { text, style }));
    }

    fn end_line_if_any(&mut self) {
        if !self.line.is_empty() {
            self.end_line();
        }
    }
}

/// Code page 437, bytes 0x80–0xFF.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// Epson code page 1 (Katakana): the box-drawing bytes receiptline draws rules with.
fn katakana_page_graphic(b: u8) -> char {
    match b {
        0x95 => '─',
        0x96 => '│',
        0x8F | 0x90 => '┼',
        0x91 => '┴',
        0x92 => '┤',
        0x93 => '├',
        0x98 | 0x9A => '┌',
        0x99 | 0x9B => '┐',
        0x9C | 0x9E => '└',
        0x9D | 0x9F => '┘',
        _ => '?',
    }
}

fn is_real_time(cmd: &Command) -> bool {
    matches!(cmd, Command::RealTimeStatus(_) | Command::RealTimeRequest(_) | Command::ClearBuffers)
}
