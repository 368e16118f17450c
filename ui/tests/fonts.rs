//! The fonts the screen draws with have a glyph for every character it can be asked to show:
//! each catalogue's words and the demo menu's texts in every language. Korean and English are
//! drawn with NanumGothic (built into test builds, fonts-nanum on the image); Chinese and
//! Japanese with WenQuanYi Micro Hei, which the device binary does not carry: it is a file on
//! the image (Debian's fonts-wqy-microhei, which tests/run installs here too), so the
//! binary stays within its budget. A character a font lacks would be drawn from whatever
//! fallback the system has, or as nothing.

use std::collections::BTreeSet;

use skrifa::raw::FileRef;
use skrifa::{FontRef, MetadataProvider, string::StringId};

const NANUM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/fonts/NanumGothic.ttf");
/// Where Debian's fonts-wqy-microhei puts it, on the image and on a test machine alike.
const WQY: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const DEMO_MENU: &str = include_str!("../../kiosk-app/data/demo-menu.json");

/// The family the window asks for in Chinese and Japanese (`app.slint`).
const CJK_FAMILY: &str = "WenQuanYi Micro Hei";

fn font_data(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e} (tests/run installs fonts-wqy-microhei)"))
}

/// The first font of a file (a collection's first face, as fontconfig lists it).
fn first_font(data: &[u8]) -> FontRef<'_> {
    match FileRef::new(data).expect("a font file") {
        FileRef::Font(f) => f,
        FileRef::Collection(c) => c.get(0).expect("a font in the collection"),
    }
}

/// Every character of the catalogue of `code` and of the demo menu's `code` texts.
fn characters(code: &str) -> BTreeSet<char> {
    let mut out = BTreeSet::new();
    let (_, entries) = kiosk_i18n::catalogues().find(|(c, _)| *c == code).expect("a catalogue");
    for (_, forms) in entries {
        for form in forms {
            out.extend(form.chars());
        }
    }
    fn walk(v: &serde_json::Value, code: &str, out: &mut BTreeSet<char>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(text)) = map.get(code) {
                    out.extend(text.chars());
                }
                map.values().for_each(|v| walk(v, code, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, code, out)),
            _ => {}
        }
    }
    walk(&serde_json::from_str(DEMO_MENU).expect("the demo menu is JSON"), code, &mut out);
    out.retain(|c| !c.is_whitespace() && !c.is_control());
    out
}

fn missing(font: &FontRef<'_>, chars: &BTreeSet<char>) -> String {
    let map = font.charmap();
    chars.iter().filter(|c| map.map(**c).is_none()).collect()
}

#[test]
fn every_character_of_the_catalogues_and_the_demo_menu_has_a_glyph_in_its_font() {
    let (nanum, wqy) = (font_data(NANUM), font_data(WQY));
    let (nanum, wqy) = (first_font(&nanum), first_font(&wqy));
    let zh = characters("zh");
    let ja = characters("ja");
    // The catalogues are there and are what they say: enough of each script to mean something.
    assert!(zh.iter().filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(*c)).count() > 300, "{} zh", zh.len());
    assert!(ja.iter().filter(|c| ('\u{30A0}'..='\u{30FF}').contains(*c)).count() > 40, "{} ja", ja.len());
    let mut problems = Vec::new();
    for (code, chars, font, name) in
        [("ko", characters("ko"), &nanum, "NanumGothic"), ("en", characters("en"), &nanum, "NanumGothic")]
            .into_iter()
            .chain([("zh", zh, &wqy, CJK_FAMILY), ("ja", ja, &wqy, CJK_FAMILY)])
    {
        let lacking = missing(font, &chars);
        // U+2212 (−, the minus of a discount) is NanumGothic's one gap; the fallback font
        // (fonts-dejavu-core on the image) draws it. Nothing else may be missing.
        let lacking: String = lacking.chars().filter(|c| !(name == "NanumGothic" && *c == '−')).collect();
        if !lacking.is_empty() {
            problems.push(format!("{code}: {name} lacks {lacking:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_family_the_window_names_for_chinese_and_japanese_is_the_files() {
    let data = font_data(WQY);
    let font = first_font(&data);
    let families: Vec<String> =
        font.localized_strings(StringId::FAMILY_NAME).map(|s| s.chars().collect()).collect();
    assert!(families.iter().any(|f| f == CJK_FAMILY), "{WQY} names itself {families:?}");
    let app = include_str!("../ui/app.slint");
    assert!(app.contains(&format!("\"{CJK_FAMILY}\"")), "app.slint does not ask for {CJK_FAMILY}");
}
