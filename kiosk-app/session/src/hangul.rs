//! Hangul composition for the on-screen keyboard's 두벌식 (the standard two-set layout): jamo
//! keys in, syllables out, as a Korean phone or PC keyboard composes them.
//!
//! The syllable being composed is kept as the keys that made it (at most five: ㄷ ㅗ ㅏ ㄹ ㄱ
//! for 돩), so a backspace takes back one key, as Korean keyboards do, by composing the
//! remaining keys again. A vowel after a final consonant takes that consonant (or the
//! second half of a double final) as the next syllable's initial: 닭 + ㅏ → 달가.
//!
//! Written here rather than taken from a crate: the Hangul crates on crates.io either only
//! compose and decompose finished syllables, or are single-author keyboard buffers tied to
//! their own key codes; the automaton is this file, and its tests are below.

/// Initial consonants (초성), in Unicode's order, as compatibility jamo.
const INITIALS: [char; 19] = [
    'ㄱ', 'ㄲ', 'ㄴ', 'ㄷ', 'ㄸ', 'ㄹ', 'ㅁ', 'ㅂ', 'ㅃ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅉ', 'ㅊ', 'ㅋ', 'ㅌ',
    'ㅍ', 'ㅎ',
];
/// Vowels (중성), in Unicode's order.
const VOWELS: [char; 21] = [
    'ㅏ', 'ㅐ', 'ㅑ', 'ㅒ', 'ㅓ', 'ㅔ', 'ㅕ', 'ㅖ', 'ㅗ', 'ㅘ', 'ㅙ', 'ㅚ', 'ㅛ', 'ㅜ', 'ㅝ', 'ㅞ', 'ㅟ',
    'ㅠ', 'ㅡ', 'ㅢ', 'ㅣ',
];
/// Final consonants (종성), in Unicode's order after "none".
const FINALS: [char; 27] = [
    'ㄱ', 'ㄲ', 'ㄳ', 'ㄴ', 'ㄵ', 'ㄶ', 'ㄷ', 'ㄹ', 'ㄺ', 'ㄻ', 'ㄼ', 'ㄽ', 'ㄾ', 'ㄿ', 'ㅀ', 'ㅁ', 'ㅂ',
    'ㅄ', 'ㅅ', 'ㅆ', 'ㅇ', 'ㅈ', 'ㅊ', 'ㅋ', 'ㅌ', 'ㅍ', 'ㅎ',
];
/// Two vowels typed one after the other that make one.
const DOUBLE_VOWELS: [(char, char, char); 7] = [
    ('ㅗ', 'ㅏ', 'ㅘ'),
    ('ㅗ', 'ㅐ', 'ㅙ'),
    ('ㅗ', 'ㅣ', 'ㅚ'),
    ('ㅜ', 'ㅓ', 'ㅝ'),
    ('ㅜ', 'ㅔ', 'ㅞ'),
    ('ㅜ', 'ㅣ', 'ㅟ'),
    ('ㅡ', 'ㅣ', 'ㅢ'),
];
/// Two consonants typed one after the other that make one final.
const DOUBLE_FINALS: [(char, char, char); 11] = [
    ('ㄱ', 'ㅅ', 'ㄳ'),
    ('ㄴ', 'ㅈ', 'ㄵ'),
    ('ㄴ', 'ㅎ', 'ㄶ'),
    ('ㄹ', 'ㄱ', 'ㄺ'),
    ('ㄹ', 'ㅁ', 'ㄻ'),
    ('ㄹ', 'ㅂ', 'ㄼ'),
    ('ㄹ', 'ㅅ', 'ㄽ'),
    ('ㄹ', 'ㅌ', 'ㄾ'),
    ('ㄹ', 'ㅍ', 'ㄿ'),
    ('ㄹ', 'ㅎ', 'ㅀ'),
    ('ㅂ', 'ㅅ', 'ㅄ'),
];

/// A key of the Korean layout: a consonant or a vowel.
pub fn is_jamo(c: char) -> bool {
    INITIALS.contains(&c) || VOWELS.contains(&c)
}

fn is_vowel(c: char) -> bool {
    VOWELS.contains(&c)
}

fn combine(table: &[(char, char, char)], a: char, b: char) -> Option<char> {
    table.iter().find(|(x, y, _)| *x == a && *y == b).map(|(_, _, c)| *c)
}

/// One syllable block as far as it is composed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Block {
    initial: Option<char>,
    vowel: Option<char>,
    last: Option<char>,
    /// The vowel or the final is a double made of two keys (its second key can be split off).
    vowel_double: bool,
    final_double: bool,
}

impl Block {
    fn render(&self, out: &mut String) {
        match (self.initial, self.vowel) {
            (Some(i), Some(v)) => {
                let i = INITIALS.iter().position(|c| *c == i).unwrap_or(0) as u32;
                let v = VOWELS.iter().position(|c| *c == v).unwrap_or(0) as u32;
                let f =
                    self.last.and_then(|l| FINALS.iter().position(|c| *c == l)).map_or(0, |p| p as u32 + 1);
                out.extend(char::from_u32(0xAC00 + (i * 21 + v) * 28 + f));
            }
            (Some(i), None) => out.push(i),
            (None, Some(v)) => out.push(v),
            (None, None) => {}
        }
    }
}

/// The syllable under composition (the "preedit"), fed one jamo key at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composer {
    keys: Vec<char>,
    block: Block,
}

impl Composer {
    /// Types one jamo. Returns the text the key completed (the syllable before it, when the
    /// key starts a new one), which leaves the composer.
    pub fn push(&mut self, key: char) -> String {
        let mut done = String::new();
        let b = &mut self.block;
        let joined = if is_vowel(key) {
            match (b.initial, b.vowel, b.last) {
                (_, None, None) => {
                    b.vowel = Some(key);
                    true
                }
                (_, Some(v), None) if !b.vowel_double => match combine(&DOUBLE_VOWELS, v, key) {
                    Some(double) => {
                        b.vowel = Some(double);
                        b.vowel_double = true;
                        true
                    }
                    None => false,
                },
                (Some(_), Some(_), Some(last)) => {
                    // The final (or its second half) moves on to start the next syllable.
                    let moved = *self.keys.last().expect("a final came from a key");
                    b.last = if b.final_double {
                        DOUBLE_FINALS.iter().find(|(_, _, c)| *c == last).map(|(a, _, _)| *a)
                    } else {
                        None
                    };
                    b.final_double = false;
                    self.keys.pop();
                    self.block.render(&mut done);
                    self.keys = vec![moved, key];
                    self.block = Block { initial: Some(moved), vowel: Some(key), ..Block::default() };
                    return done;
                }
                _ => false,
            }
        } else {
            match (b.initial, b.vowel, b.last) {
                (None, None, _) => {
                    b.initial = Some(key);
                    true
                }
                (Some(_), Some(_), None) if FINALS.contains(&key) => {
                    b.last = Some(key);
                    true
                }
                (Some(_), Some(_), Some(last)) if !b.final_double => match combine(&DOUBLE_FINALS, last, key)
                {
                    Some(double) => {
                        b.last = Some(double);
                        b.final_double = true;
                        true
                    }
                    None => false,
                },
                _ => false,
            }
        };
        if joined {
            self.keys.push(key);
        } else {
            done = self.take();
            self.push(key);
        }
        done
    }

    /// Takes back the last key; false when nothing was being composed.
    pub fn backspace(&mut self) -> bool {
        let Some(_) = self.keys.pop() else { return false };
        let keys = std::mem::take(&mut self.keys);
        self.block = Block::default();
        for k in keys {
            let done = self.push(k);
            debug_assert!(done.is_empty(), "the keys of one block compose one block");
        }
        true
    }

    /// The syllable as it stands.
    pub fn preedit(&self) -> String {
        let mut out = String::new();
        self.block.render(&mut out);
        out
    }

    /// Finishes the syllable: it leaves the composer.
    pub fn take(&mut self) -> String {
        let out = self.preedit();
        *self = Composer::default();
        out
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &str) -> String {
        let mut c = Composer::default();
        let mut out = String::new();
        for k in keys.chars() {
            if k == '<' {
                if !c.backspace() {
                    out.pop();
                }
            } else if k == ' ' {
                out += &c.take();
                out.push(' ');
            } else {
                out += &c.push(k);
            }
        }
        out + &c.preedit()
    }

    #[test]
    fn composes_what_koreans_type() {
        assert_eq!(typed("ㄷㅓㄹㅁㅐㅂㄱㅔ"), "덜맵게");
        assert_eq!(typed("ㅇㅓㄹㅇㅡㅁ ㅈㅓㄱㄱㅔ"), "얼음 적게");
        assert_eq!(typed("ㅍㅗㅋㅡ ㄷㅜㄹ"), "포크 둘");
        // Double vowels and finals, and a final moving on to the next syllable.
        assert_eq!(typed("ㄷㅏㄹㄱ"), "닭");
        assert_eq!(typed("ㄷㅏㄹㄱㅏ"), "달가");
        assert_eq!(typed("ㄱㅗㅏㄴ"), "관");
        assert_eq!(typed("ㅇㅗㅏ"), "와");
        assert_eq!(typed("ㅇㅢㅅㅏ"), "의사");
        assert_eq!(typed("ㅃㅏㄹㄹㅣ"), "빨리");
        assert_eq!(typed("ㅇㅓㅂㅅㅇㅓ"), "없어");
        // ㄸ ㅃ ㅉ are never finals; lone jamo stay as they are.
        assert_eq!(typed("ㄱㅏㄸㅏ"), "가따");
        assert_eq!(typed("ㄱㄴ"), "ㄱㄴ");
        assert_eq!(typed("ㅏㅏ"), "ㅏㅏ");
    }

    #[test]
    fn backspace_takes_back_one_key() {
        assert_eq!(typed("ㄷㅏㄹㄱ<"), "달");
        assert_eq!(typed("ㄷㅏㄹㄱ<<"), "다");
        assert_eq!(typed("ㄱㅗㅏ<"), "고");
        assert_eq!(typed("ㄱㅗㅏ<<<"), "");
        // After a vowel took the final away, the backspace works on the new syllable.
        assert_eq!(typed("ㄷㅏㄹㄱㅏ<"), "달ㄱ");
        // With nothing composing, it removes the last finished character.
        assert_eq!(typed("ㄱㅏ ㄴ<<"), "가");
    }
}
