//! Request notes (요청사항): what the customer asks of the kitchen, on one line ("덜 맵게")
//! or on the whole order ("포크 2개"). Presets come from the menu; the customer may add a
//! short text of their own.
//!
//! A note is a snapshot, like a line's names: the presets keep their texts as the menu
//! named them, so the kitchen ticket and the receipt read the same after the menu changes.

use serde::{Deserialize, Serialize};

use crate::text::{Lang, Text};

/// The most characters a customer's own text may hold, and a preset's: in Hangul (two
/// columns each) two lines of a 42-column kitchen ticket.
pub const NOTE_MAX_CHARS: usize = 40;
/// The most presets one note may carry (a menu offers a handful on an item or an order).
pub const NOTE_MAX_PRESETS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Note {
    /// The menu's presets the customer picked, in the menu's order (at most
    /// [`NOTE_MAX_PRESETS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub presets: Vec<Text>,
    /// What the customer wrote.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// Why a note is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("a request may be at most {max} characters ({got} given)")]
    TooLong { max: usize, got: usize },
    #[error("a request may not contain control or formatting characters (U+{0:04X})")]
    ControlCharacter(u32),
    #[error("a request may carry at most {max} presets ({got} given)")]
    TooManyPresets { max: usize, got: usize },
}

/// Checks one text of a note: at most [`NOTE_MAX_CHARS`] characters, none of them a control
/// character (a line feed or an escape would break a ticket's layout or drive the printer)
/// or an invisible formatting one (a right-to-left override would disguise the text on the
/// store's board; a line separator would break it).
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if let Some(c) = text.chars().find(|c| c.is_control() || is_invisible_format(*c)) {
        return Err(NoteError::ControlCharacter(u32::from(c)));
    }
    let got = text.chars().count();
    if got > NOTE_MAX_CHARS {
        return Err(NoteError::TooLong { max: NOTE_MAX_CHARS, got });
    }
    Ok(())
}

/// Unicode's format characters and line and paragraph separators (categories Cf, Zl, Zp)
/// that text may carry: soft hyphen, zero-width and joiner characters, direction marks,
/// embeddings, overrides and isolates, invisible operators, the byte-order mark and the
/// interlinear annotation marks.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

impl Note {
    /// A note of these presets and this text; `None` when both are empty.
    pub fn of(presets: Vec<Text>, text: &str) -> Option<Note> {
        let note = Note { presets, text: text.trim().to_owned() };
        (!note.is_empty()).then_some(note)
    }

    pub fn is_empty(&self) -> bool {
        self.presets.is_empty() && self.text.is_empty()
    }

    /// At most [`NOTE_MAX_PRESETS`] presets, and every text of the note, presets in every
    /// language, passes [`check_text`].
    pub fn check(&self) -> Result<(), NoteError> {
        if self.presets.len() > NOTE_MAX_PRESETS {
            return Err(NoteError::TooManyPresets { max: NOTE_MAX_PRESETS, got: self.presets.len() });
        }
        check_text(&self.text)?;
        self.presets.iter().flat_map(|p| p.0.values()).try_for_each(|t| check_text(t))
    }

    /// As printed and shown: the presets in `lang`, then the customer's text.
    pub fn render(&self, lang: Lang) -> String {
        let mut parts: Vec<&str> = self.presets.iter().map(|p| p.get(lang)).collect();
        if !self.text.is_empty() {
            parts.push(&self.text);
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_presets_in_the_language_then_the_text() {
        let note = Note::of(vec![Text::new("덜 맵게", "Less spicy")], "  포크 2개 ").unwrap();
        assert_eq!(note.render(Lang::Ko), "덜 맵게, 포크 2개");
        assert_eq!(note.render(Lang::En), "Less spicy, 포크 2개");
        assert_eq!(Note::of(vec![], "   "), None);
    }

    #[test]
    fn refuses_long_text_and_control_characters() {
        let forty: String = "가".repeat(NOTE_MAX_CHARS);
        assert_eq!(check_text(&forty), Ok(()));
        assert_eq!(check_text(&format!("{forty}나")), Err(NoteError::TooLong { max: 40, got: 41 }));
        assert_eq!(check_text("덜\n맵게"), Err(NoteError::ControlCharacter(0x0A)));
        assert_eq!(check_text("\u{1b}@"), Err(NoteError::ControlCharacter(0x1B)));
        let preset = Note { presets: vec![Text::new("얼음\t적게", "Less ice")], text: String::new() };
        assert_eq!(preset.check(), Err(NoteError::ControlCharacter(0x09)));
        // Invisible ones too: a right-to-left override, a line separator, a zero-width space.
        for c in ['\u{202e}', '\u{2028}', '\u{200b}', '\u{feff}'] {
            assert_eq!(check_text(&format!("덜{c}맵게")), Err(NoteError::ControlCharacter(u32::from(c))));
        }
        let many = Note {
            presets: vec![Text::new("덜 맵게", "Less spicy"); NOTE_MAX_PRESETS + 1],
            text: "".into(),
        };
        assert_eq!(many.check(), Err(NoteError::TooManyPresets { max: NOTE_MAX_PRESETS, got: 11 }));
    }
}
