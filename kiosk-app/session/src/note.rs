//! Request notes (요청사항) on the item page and the cart: the menu's presets with a tap, and
//! the customer's own words on the on-screen keyboard, Hangul composed as it is typed.
//!
//! The item's note rides on the item page's editor until "add"; the order's note is the
//! cart's own. The keyboard is a page of its own, holding the editor it came from, so
//! "done" and "cancel" return to the item as it was put together.

use kiosk_domain::{NOTE_MAX_CHARS, Note, NotePreset};

use crate::flow::Flow;
use crate::hangul::{self, Composer};
use crate::messages::Effect;
use crate::stage::{Editor, Stage};
use crate::words::tr;

/// A key of the on-screen keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKey {
    /// A letter, jamo, digit or mark, as the key shows it.
    Char(char),
    Space,
    Backspace,
    /// The next letter in capitals, or the Korean layout's doubled consonants and ㅒ ㅖ.
    Shift,
    /// Korean ⇄ Latin letters.
    Layout,
    Done,
    Cancel,
}

/// The keyboard's layouts, rows top to bottom (the space, shift and layout keys are below).
pub fn key_rows(korean: bool, shift: bool) -> [&'static str; 4] {
    match (korean, shift) {
        (true, false) => ["1234567890", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ㅋㅌㅊㅍㅠㅜㅡ,."],
        (true, true) => ["1234567890", "ㅃㅉㄸㄲㅆㅛㅕㅑㅒㅖ", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ㅋㅌㅊㅍㅠㅜㅡ,."],
        (false, false) => ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm,."],
        (false, true) => ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM,."],
    }
}

/// The keys for a coupon code: capitals, digits and the dash codes have.
pub const COUPON_ROWS: [&str; 4] = ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM-"];
/// The keys for a mobile number, as a phone's keypad has them.
pub const PHONE_ROWS: [&str; 4] = ["123", "456", "789", "0"];

/// What the keyboard writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyboardMode {
    /// A request (요청사항): Hangul or Latin letters.
    Note,
    /// A coupon code: Latin capitals, digits and dashes.
    Coupon,
    /// A mobile number for stamps: digits.
    Phone,
}

/// The keyboard page: the text so far, the syllable being composed, and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyboard {
    text: String,
    composer: Composer,
    pub korean: bool,
    pub shift: bool,
    pub problem: Option<String>,
    /// The item being put together, whose note this is; `None`: the order's note.
    pub item: Option<Box<Editor>>,
    pub mode: KeyboardMode,
}

impl Keyboard {
    /// What the text box shows: the text with the syllable being composed.
    pub fn shown(&self) -> String {
        self.text.clone() + &self.composer.preedit()
    }

    pub fn length(&self) -> usize {
        self.shown().chars().count()
    }

    /// The letter keys, row by row.
    pub fn rows(&self) -> [&'static str; 4] {
        match self.mode {
            KeyboardMode::Note => key_rows(self.korean, self.shift),
            KeyboardMode::Coupon => COUPON_ROWS,
            KeyboardMode::Phone => PHONE_ROWS,
        }
    }

    /// The longest text this keyboard takes.
    pub fn max_chars(&self) -> usize {
        match self.mode {
            KeyboardMode::Note => NOTE_MAX_CHARS,
            KeyboardMode::Coupon => kiosk_domain::COUPON_CODE_MAX,
            KeyboardMode::Phone => 11,
        }
    }

    /// A keyboard for a coupon code, or a mobile number.
    pub(crate) fn for_code(mode: KeyboardMode) -> Keyboard {
        Keyboard {
            text: String::new(),
            composer: Composer::default(),
            korean: false,
            shift: false,
            problem: None,
            item: None,
            mode,
        }
    }

    fn finish_syllable(&mut self) {
        let syllable = self.composer.take();
        self.text += &syllable;
    }

    /// Types one key; a key that would make the note too long, or a control character, is
    /// refused with the reason on the page.
    fn char(&mut self, c: char, lang: kiosk_domain::Lang) {
        // Coupon codes are kept in capitals (the store's codes are case-blind).
        let c = if self.mode == KeyboardMode::Coupon { c.to_ascii_uppercase() } else { c };
        if let Err(e) = kiosk_domain::note::check_text(&c.to_string()) {
            self.problem = Some(note_problem(&e, lang));
            return;
        }
        let mut composer = self.composer.clone();
        let mut text = self.text.clone();
        if self.korean && hangul::is_jamo(c) {
            text += &composer.push(c);
        } else {
            text += &composer.take();
            text.push(c);
        }
        if text.chars().count() + composer.preedit().chars().count() > self.max_chars() {
            self.problem = Some(match self.mode {
                KeyboardMode::Note => too_long(lang),
                KeyboardMode::Coupon => crate::coupon::too_long(lang),
                KeyboardMode::Phone => crate::stamps::wrong_number(lang),
            });
            return;
        }
        (self.text, self.composer) = (text, composer);
        self.shift = false;
    }
}

fn too_long(lang: kiosk_domain::Lang) -> String {
    crate::words::trf(lang, "A request can be at most {} characters", &[&NOTE_MAX_CHARS])
}

/// A refused note, in the customer's words.
pub(crate) fn note_problem(e: &kiosk_domain::NoteError, lang: kiosk_domain::Lang) -> String {
    match e {
        kiosk_domain::NoteError::TooLong { .. } => too_long(lang),
        kiosk_domain::NoteError::ControlCharacter(_) => {
            tr(lang, "That character cannot be used in a request").to_owned()
        }
        kiosk_domain::NoteError::TooManyPresets { max, .. } => {
            crate::words::trf(lang, "At most {} requests can be chosen", &[max])
        }
    }
}

/// `note` with preset `id` picked or unpicked among `offered`, the text kept.
fn toggled<'a>(offered: impl Iterator<Item = &'a NotePreset>, note: Option<&Note>, id: &str) -> Option<Note> {
    let picked = |p: &NotePreset| note.is_some_and(|n| n.presets.contains(&p.text));
    let presets = offered.filter(|p| picked(p) != (p.id.0 == id)).map(|p| p.text.clone()).collect();
    Note::of(presets, note.map_or("", |n| n.text.as_str()))
}

/// `note` with its text replaced.
fn with_text(note: Option<&Note>, text: &str) -> Option<Note> {
    Note::of(note.map(|n| n.presets.clone()).unwrap_or_default(), text)
}

impl Flow {
    /// A preset chip on the item page (`order` false) or the cart page (`order` true).
    pub(crate) fn toggle_note_preset(&mut self, order: bool, id: &str) {
        let menu = self.menu.clone();
        if order {
            if self.stage == Stage::Cart {
                let note = toggled(menu.order_presets(), self.cart.note(), id);
                // The menu's presets pass the menu's checks: nothing to refuse here.
                let _ = self.cart.set_note(note);
            }
        } else if let Stage::Item(editor) = &mut self.stage
            && let Some(item) = menu.item(&editor.item)
        {
            editor.note = toggled(menu.item_presets(item), editor.note.as_ref(), id);
        }
    }

    /// "Write a request": the keyboard, with the note's text so far.
    pub(crate) fn edit_note(&mut self, order: bool) {
        let (text, item) = match &self.stage {
            Stage::Cart if order => (self.cart.note().map(|n| n.text.clone()), None),
            Stage::Item(editor) if !order => {
                (editor.note.as_ref().map(|n| n.text.clone()), Some(editor.clone()))
            }
            _ => return,
        };
        self.stage = Stage::Note(Keyboard {
            text: text.unwrap_or_default(),
            composer: Composer::default(),
            korean: self.lang == kiosk_domain::Lang::Ko,
            shift: false,
            problem: None,
            item: item.map(Box::new),
            mode: KeyboardMode::Note,
        });
    }

    pub(crate) fn note_key(&mut self, key: NoteKey) -> Vec<Effect> {
        let lang = self.lang;
        let Stage::Note(keyboard) = &mut self.stage else { return Vec::new() };
        keyboard.problem = None;
        match key {
            NoteKey::Char(c) => keyboard.char(c, lang),
            NoteKey::Space => keyboard.char(' ', lang),
            NoteKey::Backspace => {
                if !keyboard.composer.backspace() {
                    keyboard.text.pop();
                }
            }
            NoteKey::Shift => keyboard.shift = !keyboard.shift,
            // A code or a number has no Hangul.
            NoteKey::Layout if keyboard.mode != KeyboardMode::Note => {}
            NoteKey::Layout => {
                keyboard.finish_syllable();
                keyboard.korean = !keyboard.korean;
                keyboard.shift = false;
            }
            NoteKey::Done => {
                keyboard.finish_syllable();
                let text = keyboard.text.clone();
                return self.close_keyboard(Some(&text));
            }
            NoteKey::Cancel => return self.close_keyboard(None),
        }
        Vec::new()
    }

    /// Back to the page the keyboard came from, with the text written (`Some`) or not.
    pub(crate) fn close_keyboard(&mut self, text: Option<&str>) -> Vec<Effect> {
        let Stage::Note(keyboard) = &mut self.stage else { return Vec::new() };
        match (keyboard.mode, text) {
            (KeyboardMode::Note, _) => {}
            (KeyboardMode::Coupon, text) => {
                self.stage = Stage::Cart;
                return text.map(|code| self.ask_coupon(code)).unwrap_or_default();
            }
            (KeyboardMode::Phone, None) => {
                self.stage = Stage::Cart;
                return Vec::new();
            }
            // A number of the wrong length stays on the keyboard with the reason.
            (KeyboardMode::Phone, Some(number)) => match kiosk_domain::normalize_phone(number) {
                Err(_) => {
                    keyboard.problem = Some(crate::stamps::wrong_number(self.lang));
                    return Vec::new();
                }
                Ok(phone) => {
                    self.stage = Stage::Cart;
                    return self.find_stamp_card(phone);
                }
            },
        }
        match keyboard.item.take() {
            Some(mut editor) => {
                if let Some(text) = text {
                    editor.note = with_text(editor.note.as_ref(), text);
                }
                self.stage = Stage::Item(*editor);
            }
            None => {
                if let Some(text) = text {
                    let note = with_text(self.cart.note(), text);
                    if let Err(e) = self.cart.set_note(note) {
                        // The keyboard holds to the limits as keys are typed; say so if not.
                        keyboard.problem = Some(note_problem(&e, self.lang));
                        return Vec::new();
                    }
                }
                self.stage = Stage::Cart;
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use kiosk_domain::{Lang, NOTE_MAX_CHARS};

    use super::NoteKey;
    use crate::tests::{at, at_menu};
    use crate::{Effect, Intent, Page, PayWith, Payment, Settings};

    fn keys(f: &mut crate::Flow, keys: &str) {
        for k in keys.chars() {
            let key = match k {
                ' ' => NoteKey::Space,
                '<' => NoteKey::Backspace,
                '^' => NoteKey::Shift,
                c => NoteKey::Char(c),
            };
            f.handle(Intent::NoteKey(key), at(50));
        }
    }

    fn toggle_note(order: bool, preset: &str) -> Intent {
        Intent::ToggleNotePreset { order, preset: preset.into() }
    }

    #[test]
    fn an_item_and_the_order_carry_presets_and_words_typed_in_hangul_to_the_order() {
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        f.handle(Intent::OpenItem("americano".into()), at(10));
        for (g, o) in [("temp", "iced"), ("size", "regular")] {
            f.handle(Intent::ToggleOption { group: g.into(), option: o.into() }, at(11));
        }
        let names: Vec<String> = f.view().note_chips.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["얼음 적게", "연하게"], "a coffee's presets, not a brunch's");
        f.handle(toggle_note(false, "less-ice"), at(12));
        assert!(f.view().note_chips[0].chosen);

        f.handle(Intent::EditNote { order: false }, at(13));
        assert_eq!(f.page(), Page::Note);
        let v = f.view().keyboard;
        assert!(v.korean && v.title.contains("아메리카노"), "{v:?}");
        assert_eq!(v.rows[1].concat(), "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ");
        // 시럽 빼고: ㅃ is the shifted ㅂ, and the shift lasts one key.
        keys(&mut f, "ㅅㅣㄹㅓㅂ ^ㅃㅐㄱㅗ");
        let v = f.view().keyboard;
        assert_eq!((v.text.as_str(), v.count.as_str(), v.shift), ("시럽 빼고", "5/40", false));
        f.handle(Intent::NoteKey(NoteKey::Done), at(14));
        assert_eq!(f.page(), Page::Item, "back to the item as it was put together");
        assert_eq!(f.view().note_text, "시럽 빼고");
        assert!(f.view().note_chips[0].chosen, "the preset is kept");
        f.handle(Intent::AddToCart, at(15));
        assert_eq!(f.page(), Page::Menu);

        f.handle(Intent::ShowCart, at(20));
        let v = f.view();
        assert!(v.lines[0].detail.ends_with("※ 얼음 적게, 시럽 빼고"), "{:?}", v.lines[0]);
        let names: Vec<String> = v.note_chips.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, ["포크 2개", "빨대 빼 주세요"], "the order's presets on the cart page");
        f.handle(toggle_note(true, "no-straws"), at(21));
        f.handle(Intent::EditNote { order: true }, at(22));
        // Latin letters too: the layout key, and a capital with shift.
        f.handle(Intent::NoteKey(NoteKey::Layout), at(23));
        assert_eq!(f.view().keyboard.rows[1].concat(), "qwertyuiop");
        keys(&mut f, "^Lid 2");
        f.handle(Intent::NoteKey(NoteKey::Done), at(24));
        assert_eq!(f.page(), Page::Cart);
        assert_eq!(f.view().note_text, "Lid 2");

        f.handle(Intent::Checkout, at(30));
        let effects = f.handle(Intent::Pay(PayWith::Card), at(31));
        let [Effect::Checkout { order, payment: Payment::Card { .. }, .. }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let line_note = order.lines[0].selection.note.as_ref().expect("the line's note");
        assert_eq!(line_note.render(Lang::Ko), "얼음 적게, 시럽 빼고");
        assert_eq!(line_note.render(Lang::En), "Less ice, 시럽 빼고");
        assert_eq!(order.note.as_ref().expect("the order's note").render(Lang::Ko), "빨대 빼 주세요, Lid 2");
    }

    #[test]
    fn a_request_written_after_a_declined_card_replaces_the_declined_order() {
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        f.handle(Intent::OpenItem("scone".into()), at(10));
        f.handle(Intent::AddToCart, at(11));
        f.handle(Intent::ShowCart, at(12));
        f.handle(Intent::Checkout, at(13));
        let first = f.handle(Intent::Pay(PayWith::Card), at(14));
        let [Effect::Checkout { order: declined, .. }] = first.as_slice() else { panic!("{first:?}") };
        let message = "잔액 부족".to_owned();
        f.outcome(crate::Outcome::Declined { order: declined.id, message }, at(15));
        f.handle(Intent::Dismiss, at(16));
        f.handle(Intent::Back, at(17));
        assert_eq!(f.page(), Page::Cart);
        f.handle(toggle_note(true, "two-forks"), at(18));
        f.handle(Intent::Checkout, at(19));
        let again = f.handle(Intent::Pay(PayWith::Card), at(20));
        // The declined draft had no request: it is cancelled, and the order charged now has it.
        assert_eq!(again[0], Effect::Abandon(declined.id));
        let Effect::Checkout { order, .. } = &again[1] else { panic!("{again:?}") };
        assert_ne!(order.id, declined.id);
        assert_eq!(order.note.as_ref().map(|n| n.render(Lang::Ko)).as_deref(), Some("포크 2개"));
    }

    #[test]
    fn a_note_longer_than_the_limit_or_with_a_control_character_is_refused_and_cancel_keeps_the_old() {
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        f.handle(Intent::OpenItem("americano".into()), at(10));
        f.handle(Intent::EditNote { order: false }, at(11));
        assert!(!f.view().keyboard.korean, "an English customer starts with Latin letters");
        keys(&mut f, "ok");
        f.handle(Intent::NoteKey(NoteKey::Done), at(12));
        assert_eq!(f.view().note_text, "ok");

        f.handle(Intent::EditNote { order: false }, at(13));
        assert_eq!(f.view().keyboard.text, "ok", "the keyboard opens on the text so far");
        f.handle(Intent::NoteKey(NoteKey::Layout), at(14));
        keys(&mut f, &"x".repeat(NOTE_MAX_CHARS - 3));
        assert_eq!(f.view().keyboard.count, "39/40");
        // A syllable may grow at the limit (ㄱ → 가 → 간) but not spill into a second one.
        keys(&mut f, "ㄱㅏㄴ");
        assert_eq!(f.view().keyboard.count, "40/40");
        assert_eq!(f.view().keyboard.problem, "");
        keys(&mut f, "ㅏ");
        let v = f.view().keyboard;
        assert!(v.text.ends_with('간') && v.count == "40/40", "{v:?}");
        assert_eq!(v.problem, "A request can be at most 40 characters");
        keys(&mut f, "<");
        assert!(f.view().keyboard.text.ends_with('가'), "the backspace takes back a key");
        f.handle(Intent::NoteKey(NoteKey::Char('\n')), at(15));
        assert_eq!(f.view().keyboard.problem, "That character cannot be used in a request");
        assert!(!f.view().keyboard.text.contains('\n'));
        // Cancel (or Back) leaves the note as it was before the keyboard opened.
        f.handle(Intent::Back, at(16));
        assert_eq!((f.page(), f.view().note_text.as_str()), (Page::Item, "ok"));
    }
}
