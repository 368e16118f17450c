//! A sans-I/O Server-Sent Events parser (the WHATWG `text/event-stream` rules that the
//! kiosk link uses): bytes in, whole events out. Lines are bounded so a server streaming
//! garbage cannot grow memory without end.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    pub id: Option<String>,
    /// The `event:` field; "message" when absent.
    pub event: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event-stream line longer than {0} bytes")]
    LineTooLong(usize),
    #[error("an event-stream line that is not UTF-8")]
    NotUtf8,
}

#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    max_line: usize,
    /// The previous byte was CR, so a following LF belongs to the same line end.
    after_cr: bool,
    id: Option<String>,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    pub fn new(max_line: usize) -> SseParser {
        SseParser {
            line: Vec::new(),
            max_line,
            after_cr: false,
            id: None,
            event: String::new(),
            data: String::new(),
            has_data: false,
        }
    }

    /// Feeds bytes; returns the events they completed, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Event>, SseError> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\r' | b'\n' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.end_line(&line)? {
                        out.push(event);
                    }
                }
                _ if self.line.len() >= self.max_line => return Err(SseError::LineTooLong(self.max_line)),
                _ => self.line.push(b),
            }
        }
        Ok(out)
    }

    fn end_line(&mut self, line: &[u8]) -> Result<Option<Event>, SseError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
        if line.starts_with(':') {
            return Ok(None); // a comment, used as a keep-alive
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = value.to_owned(),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {} // "retry" and unknown fields are ignored, as the standard says
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<Event> {
        let event = std::mem::take(&mut self.event);
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(Event {
            id: self.id.clone(),
            event: if event.is_empty() { "message".to_owned() } else { event },
            data: std::mem::take(&mut self.data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_reads_and_line_endings_come_out_whole() {
        let stream = b": ping\r\nid: 4\r\nevent: sold_out\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\nid: 5\nevent: store\ndata: x\n\n";
        for split in 0..stream.len() {
            let mut p = SseParser::new(1024);
            let mut got = p.feed(&stream[..split]).unwrap();
            got.extend(p.feed(&stream[split..]).unwrap());
            assert_eq!(
                got,
                vec![
                    Event { id: Some("4".into()), event: "sold_out".into(), data: "{\"a\":\n1}".into() },
                    Event { id: Some("5".into()), event: "store".into(), data: "x".into() },
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn a_blank_line_without_data_dispatches_nothing_and_garbage_is_bounded() {
        let mut p = SseParser::new(16);
        assert!(p.feed(b"event: x\n\n\n").unwrap().is_empty());
        assert_eq!(p.feed(&[b'a'; 40]), Err(SseError::LineTooLong(16)));
        let mut p = SseParser::new(16);
        assert_eq!(p.feed(b"data: \xff\xfe\n"), Err(SseError::NotUtf8));
    }
}
