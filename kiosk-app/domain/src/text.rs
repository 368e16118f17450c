//! Customer-visible text in several languages.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A language the customer can choose. Korean and English are required everywhere; the
/// others are ready for menus that carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ko,
    En,
    Zh,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Ko, Lang::En, Lang::Zh, Lang::Ja];
    /// The languages every customer-visible string must have.
    pub const REQUIRED: [Lang; 2] = [Lang::Ko, Lang::En];

    pub const fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Ja => "ja",
        }
    }

    /// The language's name in its own words, as a customer looks for it.
    pub const fn native_name(self) -> &'static str {
        match self {
            Lang::Ko => "한국어",
            Lang::En => "English",
            Lang::Zh => "中文",
            Lang::Ja => "日本語",
        }
    }

    /// The language's name in English (what a voice that reads Latin letters can say).
    pub const fn english_name(self) -> &'static str {
        match self {
            Lang::Ko => "Korean",
            Lang::En => "English",
            Lang::Zh => "Chinese",
            Lang::Ja => "Japanese",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One string in several languages, e.g. `{"ko": "불고기 버거", "en": "Bulgogi burger"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<Lang, String>);

impl Text {
    pub fn new(ko: &str, en: &str) -> Text {
        Text(BTreeMap::from([(Lang::Ko, ko.to_owned()), (Lang::En, en.to_owned())]))
    }

    /// The text in `lang`, falling back to English, then Korean, then any.
    pub fn get(&self, lang: Lang) -> &str {
        [lang, Lang::En, Lang::Ko]
            .iter()
            .find_map(|l| self.0.get(l))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The required languages that are absent or blank.
    pub fn missing(&self, required: &[Lang]) -> Vec<Lang> {
        required.iter().copied().filter(|l| self.0.get(l).is_none_or(|s| s.trim().is_empty())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_english_then_korean() {
        let t = Text::new("김밥", "Gimbap");
        assert_eq!(t.get(Lang::Ja), "Gimbap");
        assert_eq!(t.get(Lang::Ko), "김밥");
        let only_ko = Text(BTreeMap::from([(Lang::Ko, "김밥".to_owned())]));
        assert_eq!(only_ko.get(Lang::En), "김밥");
        assert_eq!(only_ko.missing(&Lang::REQUIRED), vec![Lang::En]);
    }

    #[test]
    fn blank_translation_counts_as_missing() {
        let t = Text::new(" ", "x");
        assert_eq!(t.missing(&Lang::REQUIRED), vec![Lang::Ko]);
    }
}
