//! The customer's words in every language the kiosk offers.
//!
//! One set of gettext catalogues (`translations/<lang>/LC_MESSAGES/kiosk-ui.po`) holds every
//! customer-visible string: the UI's build bundles them for `@tr(...)` in the `.slint`
//! files, and this crate serves the same entries to the sentences the session composes
//! (prompts with amounts, rules, problems, speech). A msgid is the English text; `{}`
//! takes the next argument and `{0}`, `{1}` a given one, as in Slint's `@tr`, so a
//! translation may reorder them. The tests fail on a string used but not translated, a
//! translation that drops a placeholder, and an entry nothing uses.

use std::fmt::Display;
use std::sync::OnceLock;

pub use kiosk_domain::Lang;

pub(crate) struct Catalogue {
    pub(crate) code: String,
    pub(crate) plural: Plural,
    /// Sorted by msgid; one form, or one per plural form.
    pub(crate) entries: Vec<(String, Vec<String>)>,
}

#[derive(Clone, Copy)]
pub(crate) enum Plural {
    /// Korean, Chinese, Japanese: one form.
    One,
    /// English: one, other.
    OneOther,
}

/// The catalogues as the build wrote them (`build.rs`): zlib-compressed.
static COMPRESSED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/catalogues.bin"));

fn all() -> &'static [Catalogue] {
    static CATALOGUES: OnceLock<Vec<Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| decode(COMPRESSED).expect("the build wrote the catalogues whole"))
}

/// Reads `build.rs`'s format; `None` for anything else.
fn decode(compressed: &[u8]) -> Option<Vec<Catalogue>> {
    let data = miniz_oxide::inflate::decompress_to_vec_zlib(compressed).ok()?;
    let mut at = 0;
    let byte = |at: &mut usize| -> Option<u8> {
        *at += 1;
        data.get(*at - 1).copied()
    };
    let number = |at: &mut usize| -> Option<usize> {
        *at += 4;
        Some(u32::from_le_bytes(data.get(*at - 4..*at)?.try_into().ok()?) as usize)
    };
    let text = |at: &mut usize| -> Option<String> {
        let len = number(at)?;
        *at += len;
        Some(std::str::from_utf8(data.get(*at - len..*at)?).ok()?.to_owned())
    };
    let mut catalogues = Vec::new();
    for _ in 0..number(&mut at)? {
        let code = text(&mut at)?;
        let plural = if byte(&mut at)? == 1 { Plural::OneOther } else { Plural::One };
        let mut entries = Vec::new();
        for _ in 0..number(&mut at)? {
            let msgid = text(&mut at)?;
            let forms = (0..byte(&mut at)?).map(|_| text(&mut at)).collect::<Option<Vec<_>>>()?;
            entries.push((msgid, forms));
        }
        catalogues.push(Catalogue { code, plural, entries });
    }
    Some(catalogues)
}

fn catalogue(lang: Lang) -> Option<&'static Catalogue> {
    all().iter().find(|c| c.code == lang.code())
}

fn forms(lang: Lang, msgid: &str) -> Option<&'static [String]> {
    let c = catalogue(lang)?;
    let i = c.entries.binary_search_by(|(id, _)| id.as_str().cmp(msgid)).ok()?;
    Some(c.entries[i].1.as_slice()).filter(|f| f.iter().all(|s| !s.is_empty()))
}

/// `msgid` in `lang`; the msgid itself (English) when the catalogue lacks it, which the
/// tests do not allow for any string in the sources.
pub fn tr(lang: Lang, msgid: &str) -> &str {
    forms(lang, msgid).map_or(msgid, |f| f[0].as_str())
}

/// `msgid` in `lang` with its placeholders filled.
pub fn trf(lang: Lang, msgid: &'static str, args: &[&dyn Display]) -> String {
    format(tr(lang, msgid), args, None)
}

/// The form of `singular`/`plural` for `n` in `lang`, with `{n}` the count and the other
/// placeholders filled from `args`.
pub fn trn(
    lang: Lang,
    singular: &'static str,
    plural: &'static str,
    n: u64,
    args: &[&dyn Display],
) -> String {
    let template = match (catalogue(lang), forms(lang, singular)) {
        (Some(c), Some(forms)) => {
            let index = match c.plural {
                Plural::One => 0,
                Plural::OneOther => usize::from(n != 1),
            };
            forms.get(index).unwrap_or(&forms[0]).as_str()
        }
        _ if n == 1 => singular,
        _ => plural,
    };
    format(template, args, Some(n))
}

/// Slint's `@tr` formatting: `{}` is the next argument, `{0}` a given one, `{n}` the count
/// of a plural, `{{` and `}}` are braces. A placeholder with no argument stays as written,
/// so a mistake shows on screen instead of vanishing.
pub fn format(template: &str, args: &[&dyn Display], n: Option<u64>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0;
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..close];
        let filled = match name {
            "" => {
                next += 1;
                args.get(next - 1).map(|a| a.to_string())
            }
            "n" => n.map(|n| n.to_string()),
            digits => digits.parse::<usize>().ok().and_then(|k| args.get(k)).map(|a| a.to_string()),
        };
        match filled {
            Some(text) => out.push_str(&text),
            None => out.push_str(&tail[..=close]),
        }
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The placeholders of a template, as `format` reads them, sorted: the tests compare a
/// translation's with its msgid's.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut next = 0;
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            rest = after;
            continue;
        }
        let Some(close) = tail.find('}') else { break };
        let name = &tail[1..close];
        found.push(if name.is_empty() {
            next += 1;
            (next - 1).to_string()
        } else {
            name.to_owned()
        });
        rest = &tail[close + 1..];
    }
    found.sort();
    found
}

/// Every language with a catalogue, and its entries' msgids: for the completeness tests.
pub fn catalogues()
-> impl Iterator<Item = (&'static str, impl Iterator<Item = (&'static str, &'static [String])>)> {
    all()
        .iter()
        .map(|c| (c.code.as_str(), c.entries.iter().map(|(id, forms)| (id.as_str(), forms.as_slice()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_in_order_by_position_and_count() {
        assert_eq!(format("Add · {}", &[&"₩4,500"], None), "Add · ₩4,500");
        assert_eq!(format("{1}은(는) {0}개까지", &[&3, &"라떼"], None), "라떼은(는) 3개까지");
        assert_eq!(format("{n} items, {}", &[&"₩9,000"], Some(2)), "2 items, ₩9,000");
        assert_eq!(format("{{literal}} {}", &[], None), "{literal} {}");
        assert_eq!(placeholders("{1} of {0}, {}"), vec!["0", "0", "1"]);
    }

    #[test]
    fn a_string_is_in_the_customers_language() {
        assert_eq!(tr(Lang::Ko, "Back"), "이전");
        assert_eq!(tr(Lang::En, "Back"), "Back");
        assert_eq!(tr(Lang::Zh, "Back"), "返回");
        assert_eq!(tr(Lang::Ja, "Back"), "戻る");
        // a msgid no catalogue has: the English itself rather than nothing
        assert_eq!(tr(Lang::Ja, "Not a string of the UI"), "Not a string of the UI");
    }
}
