//! The voice guide on the screen's side: the keypad focus over the controls that are
//! drawn (the accessibility tree, through [`kiosk_ui::focus`]), the focus ring, and what is
//! spoken. The session decides when focus moves and what a page says; this performs it.

use std::cell::RefCell;

use kiosk_domain::Lang;
use kiosk_drivers::speech::service::SpeechHandle;
use kiosk_ui::focus::Target;
use kiosk_ui::{Focus, KioskWindow};
use slint::{ComponentHandle, SharedString};

use kiosk_session::Effect;
use kiosk_session::access::FocusMove;
use kiosk_session::speech::for_ears;
use kiosk_session::view::View;

pub struct Guide {
    speech: Option<SpeechHandle>,
    /// The focused control: its place in the layout order and its label.
    focus: RefCell<Option<(usize, String)>>,
    lang: RefCell<Lang>,
}

impl Guide {
    pub fn new(speech: Option<SpeechHandle>) -> Guide {
        Guide { speech, focus: RefCell::new(None), lang: RefCell::new(Lang::Ko) }
    }

    /// The label the keypad focus is on.
    pub fn focused(&self) -> Option<String> {
        self.focus.borrow().as_ref().map(|(_, l)| l.clone())
    }

    fn say_now(&self, text: &str) {
        if let Some(s) = &self.speech {
            s.interrupt(for_ears(text), *self.lang.borrow());
        }
    }

    /// Where the focus stands among `targets`: the same control, or what now stands in its
    /// place (a chip whose label changed when it was chosen).
    fn locate(&self, targets: &[Target]) -> Option<usize> {
        self.focus.borrow().as_ref().and_then(|(i, l)| {
            targets.iter().position(|t| &t.label == l).or((*i < targets.len()).then_some(*i))
        })
    }

    fn set_focus(&self, window: &KioskWindow, focus: Option<(usize, String)>) {
        let label = focus.as_ref().map(|(_, l)| l.as_str()).unwrap_or("");
        window.global::<Focus>().set_label(SharedString::from(label));
        *self.focus.borrow_mut() = focus;
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
        let targets = kiosk_ui::focus::targets(window);
        let current = self.locate(&targets);
        let n = targets.len();
        let next = match (m, current) {
            (_, _) if n == 0 => None,
            (FocusMove::Next, Some(i)) => Some((i + 1) % n),
            (FocusMove::Next, None) => Some(0),
            (FocusMove::Previous, Some(i)) => Some((i + n - 1) % n),
            (FocusMove::Previous, None) => Some(n - 1),
            (FocusMove::Activate, Some(i)) => {
                targets[i].activate();
                return;
            }
            (FocusMove::Activate | FocusMove::Repeat, None) => {
                self.say_now(&page_speech.join(" "));
                return;
            }
            (FocusMove::Repeat, Some(i)) => Some(i),
        };
        match next {
            Some(i) => {
                let size = window.window().size().to_logical(window.window().scale_factor());
                targets[i].reveal(size.width, size.height);
                self.say_now(&targets[i].label);
                self.set_focus(window, Some((i, targets[i].label.clone())));
            }
            None => self.set_focus(window, None),
        }
    }

    /// The view changed: a new page is spoken from the start (and the focus starts over);
    /// on the same page only what is new is said, after what is being said.
    pub fn shown(&self, window: &KioskWindow, old: Option<&View>, new: &View) {
        *self.lang.borrow_mut() = new.lang;
        let same_page = old.is_some_and(|o| o.page == new.page);
        if !same_page {
            self.set_focus(window, None);
        } else if let Some(label) = self.focused() {
            // Keep the ring on the control, whose label may have changed with its state.
            let targets = kiosk_ui::focus::targets(window);
            if !targets.iter().any(|t| t.label == label) {
                let focus = self.locate(&targets).map(|i| (i, targets[i].label.clone()));
                if let Some((_, l)) = &focus {
                    self.say_now(l);
                }
                self.set_focus(window, focus);
            }
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
