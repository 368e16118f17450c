//! The voice guide on the screen's side: the keypad focus, moved through Slint's own focus
//! chain (Tab and Shift-Tab over the controls drawn, in the element tree's order, which is
//! the accessibility tree's; a focused control scrolls into view), and what is spoken. The
//! session decides when focus moves and what a page says; this performs it.

use std::cell::Cell;
use std::rc::Rc;

use kiosk_domain::Lang;
use kiosk_drivers::speech::service::SpeechHandle;
use kiosk_ui::{Focus, KioskWindow};
use slint::platform::{Key, WindowEvent};
use slint::{ComponentHandle, SharedString};

use kiosk_session::Effect;
use kiosk_session::access::FocusMove;
use kiosk_session::speech::for_ears;
use kiosk_session::view::View;

pub struct Guide {
    speech: Option<SpeechHandle>,
    lang: Rc<Cell<Lang>>,
}

/// A key pressed and released on the window, as a keyboard would.
fn press_key(window: &KioskWindow, key: Key) {
    let text = SharedString::from(key);
    window.window().dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
    window.window().dispatch_event(WindowEvent::KeyReleased { text });
}

impl Guide {
    /// The guide of `window`: says a focused control's label again when it changes.
    pub fn new(window: &KioskWindow, speech: Option<SpeechHandle>) -> Guide {
        let lang = Rc::new(Cell::new(Lang::Ko));
        if let Some(s) = speech.clone() {
            let lang = lang.clone();
            window.global::<Focus>().on_relabelled(move |label| s.interrupt(for_ears(&label), lang.get()));
        }
        Guide { speech, lang }
    }

    /// The label the keypad focus is on.
    pub fn focused(&self, window: &KioskWindow) -> Option<String> {
        Some(window.global::<Focus>().get_label().to_string()).filter(|l| !l.is_empty())
    }

    fn say_now(&self, text: &str) {
        if let Some(s) = &self.speech {
            s.interrupt(for_ears(text), self.lang.get());
        }
    }

    /// Performs a screen effect ([`Effect::is_local`]).
    pub fn perform(&self, window: &KioskWindow, effect: &Effect, page_speech: &[String]) {
        match effect {
            Effect::Focus(m) => self.move_focus(window, *m, page_speech),
            Effect::Voice { rate_wpm, volume } => {
                if let Some(s) = &self.speech {
                    s.set_rate(*rate_wpm);
                    s.set_volume(*volume);
                }
            }
            Effect::Announce(text) => self.say_now(text),
            Effect::Silence => {
                if let Some(s) = &self.speech {
                    s.stop();
                }
            }
            _ => {}
        }
    }

    fn move_focus(&self, window: &KioskWindow, m: FocusMove, page_speech: &[String]) {
        let current = self.focused(window);
        match (m, current) {
            (FocusMove::Next | FocusMove::Previous, _) => {
                press_key(window, if m == FocusMove::Next { Key::Tab } else { Key::Backtab });
                if let Some(label) = self.focused(window) {
                    self.say_now(&label);
                }
            }
            (FocusMove::Activate, Some(_)) => press_key(window, Key::Return),
            (FocusMove::Repeat, Some(label)) => self.say_now(&label),
            (FocusMove::Activate | FocusMove::Repeat, None) => self.say_now(&page_speech.join(" ")),
        }
    }

    /// The view changed: a new page is spoken from the start (and the focus starts over);
    /// on the same page only what is new is said, after what is being said.
    pub fn shown(&self, window: &KioskWindow, old: Option<&View>, new: &View) {
        self.lang.set(new.lang);
        let same_page = old.is_some_and(|o| o.page == new.page);
        if !same_page {
            // The keypad starts over on a new page.
            window.invoke_reset_focus();
        }
        let Some(speech) = &self.speech else { return };
        let old_speech = old.map(|o| o.speech.as_slice()).unwrap_or(&[]);
        if new.speech.is_empty() || old_speech == new.speech.as_slice() {
            return;
        }
        if !same_page || old_speech.is_empty() {
            let mut sentences = new.speech.iter();
            if let Some(first) = sentences.next() {
                speech.interrupt(for_ears(first), new.lang);
            }
            for s in sentences {
                speech.say(for_ears(s), new.lang);
            }
        } else {
            for s in new.speech.iter().filter(|s| !old_speech.contains(s)) {
                speech.say(for_ears(s), new.lang);
            }
        }
    }
}
