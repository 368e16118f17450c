//! The speech queue as a state machine: what is said next, and what an interruption
//! cancels. No processes and no clock: the service reports when an utterance ends.

use std::collections::VecDeque;

use kiosk_domain::Lang;

/// Speech rate in words per minute (espeak-ng's `-s`): the keypad's rate key steps through it.
pub const RATE_RANGE_WPM: (u16, u16) = (80, 400);
pub const DEFAULT_RATE_WPM: u16 = 165;
/// Volume steps, 0 (silent) to 10, as on the operator page.
pub const MAX_VOLUME: u8 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    pub id: u64,
    pub text: String,
    pub lang: Lang,
    pub rate_wpm: u16,
    pub volume: u8,
}

/// How a new sentence meets the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// After what is being said and what waits (a list read out, item by item).
    Queue,
    /// Now: what is being said stops and what waits is dropped (a new screen, a key press).
    Interrupt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Speak(Utterance),
    /// Stop this utterance now.
    Cancel(u64),
}

#[derive(Debug)]
pub struct SpeechQueue {
    pending: VecDeque<Utterance>,
    speaking: Option<u64>,
    next_id: u64,
    rate_wpm: u16,
    volume: u8,
}

impl Default for SpeechQueue {
    fn default() -> Self {
        SpeechQueue {
            pending: VecDeque::new(),
            speaking: None,
            next_id: 1,
            rate_wpm: DEFAULT_RATE_WPM,
            volume: 7,
        }
    }
}

impl SpeechQueue {
    pub fn speaking(&self) -> Option<u64> {
        self.speaking
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn rate_wpm(&self) -> u16 {
        self.rate_wpm
    }

    pub fn volume(&self) -> u8 {
        self.volume
    }

    /// Applies to sentences said from now on.
    pub fn set_rate(&mut self, wpm: u16) {
        self.rate_wpm = wpm.clamp(RATE_RANGE_WPM.0, RATE_RANGE_WPM.1);
    }

    /// Applies to sentences said from now on; 0 says nothing at all.
    pub fn set_volume(&mut self, volume: u8) {
        self.volume = volume.min(MAX_VOLUME);
    }

    pub fn say(&mut self, text: &str, lang: Lang, priority: Priority) -> Vec<Action> {
        let mut actions = Vec::new();
        if priority == Priority::Interrupt {
            actions = self.stop();
        }
        let text = text.trim();
        if text.is_empty() || self.volume == 0 {
            return actions;
        }
        let utterance = Utterance {
            id: self.next_id,
            text: text.to_owned(),
            lang,
            rate_wpm: self.rate_wpm,
            volume: self.volume,
        };
        self.next_id += 1;
        if self.speaking.is_none() {
            self.speaking = Some(utterance.id);
            actions.push(Action::Speak(utterance));
        } else {
            self.pending.push_back(utterance);
        }
        actions
    }

    /// Silence: what is being said stops, what waits is dropped.
    pub fn stop(&mut self) -> Vec<Action> {
        self.pending.clear();
        self.speaking.take().map(Action::Cancel).into_iter().collect()
    }

    /// The utterance `id` ended (finished or cancelled): the next one starts.
    pub fn finished(&mut self, id: u64) -> Vec<Action> {
        if self.speaking != Some(id) {
            return Vec::new();
        }
        self.speaking = None;
        match self.pending.pop_front() {
            Some(next) => {
                self.speaking = Some(next.id);
                vec![Action::Speak(next)]
            }
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spoken(actions: &[Action]) -> Vec<&str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Speak(u) => Some(u.text.as_str()),
                Action::Cancel(_) => None,
            })
            .collect()
    }

    #[test]
    fn queued_sentences_follow_one_another() {
        let mut q = SpeechQueue::default();
        assert_eq!(spoken(&q.say("아메리카노", Lang::Ko, Priority::Queue)), ["아메리카노"]);
        assert!(q.say("4,500원", Lang::Ko, Priority::Queue).is_empty(), "waits its turn");
        assert!(q.say("  ", Lang::Ko, Priority::Queue).is_empty(), "nothing to say");
        assert_eq!(q.pending(), 1);
        assert!(q.finished(99).is_empty(), "an old utterance's end changes nothing");
        assert_eq!(spoken(&q.finished(1)), ["4,500원"]);
        assert!(q.finished(2).is_empty());
        assert_eq!(q.speaking(), None);
    }

    #[test]
    fn an_interruption_cancels_the_current_sentence_and_drops_the_rest() {
        let mut q = SpeechQueue::default();
        q.say("메뉴 목록", Lang::Ko, Priority::Queue);
        q.say("첫째", Lang::Ko, Priority::Queue);
        q.say("둘째", Lang::Ko, Priority::Queue);
        let actions = q.say("Cart, 2 items", Lang::En, Priority::Interrupt);
        assert!(
            matches!(actions.as_slice(), [Action::Cancel(1), Action::Speak(u)] if u.text == "Cart, 2 items" && u.lang == Lang::En)
        );
        assert_eq!(q.pending(), 0);
        // the cancelled one reports its end late: nothing restarts
        assert!(q.finished(1).is_empty());
        assert_eq!(q.speaking(), Some(4));
    }

    #[test]
    fn rate_and_volume_apply_to_what_is_said_next() {
        let mut q = SpeechQueue::default();
        q.set_rate(1000);
        q.set_volume(3);
        let actions = q.say("빠르게", Lang::Ko, Priority::Queue);
        let [Action::Speak(u)] = actions.as_slice() else { panic!("{actions:?}") };
        assert_eq!((u.rate_wpm, u.volume), (RATE_RANGE_WPM.1, 3));
        q.set_volume(0);
        assert!(q.say("조용히", Lang::Ko, Priority::Queue).is_empty(), "volume 0 says nothing");
        assert_eq!(q.stop(), vec![Action::Cancel(u.id)]);
    }
}
