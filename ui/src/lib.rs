//! The touch UI (Slint): `ui/` holds the `.slint` files — `theme.slint` (colours, sizes,
//! one global scale factor), `state.slint` (the `Kiosk` global the application binds: view
//! models in, customer intents out), `widgets.slint` and `pages/`. The UI shows state and
//! forwards intents; it holds no business logic. Strings go through `@tr` with gettext
//! catalogues in `translations/`; NanumGothic (OFL) is bundled so Hangul renders on a bare
//! machine.

slint::include_modules!();

#[cfg(feature = "testing")]
pub mod audit;
pub mod focus;
#[cfg(feature = "testing")]
pub mod headless;

/// Switches every `@tr` string (accessible labels included) to `lang` ("ko" or "en").
pub fn select_language(lang: &str) -> Result<(), slint::SelectBundledTranslationError> {
    slint::select_bundled_translation(lang)
}

/// The bundled translation of `msgid` (as written in the `.slint` files) in `lang`; the
/// msgid itself when there is none. For scripts and tests that press buttons by label.
pub fn translate(lang: &str, msgid: &str) -> String {
    let po = match lang {
        "ko" => include_str!("../translations/ko/LC_MESSAGES/kiosk-ui.po"),
        _ => return msgid.to_owned(),
    };
    let entry = format!("msgid \"{msgid}\"\nmsgstr \"");
    po.find(&entry)
        .and_then(|at| po[at + entry.len()..].split('"').next())
        .filter(|t| !t.is_empty())
        .unwrap_or(msgid)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn tr_strings() -> Vec<String> {
        let mut out = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("ui")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "slint") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for piece in text.split("@tr(\"").skip(1) {
                        out.push(piece.split('"').next().unwrap().to_owned());
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Every customer string has a Korean translation, so no English slips onto a Korean screen.
    #[test]
    fn every_string_is_translated_to_korean() {
        let po = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("translations/ko/LC_MESSAGES/kiosk-ui.po"),
        )
        .unwrap();
        let strings = tr_strings();
        assert!(strings.len() > 30);
        for s in strings {
            let entry = format!("msgid \"{s}\"\nmsgstr \"");
            let at = po.find(&entry).unwrap_or_else(|| panic!("{s:?} is not in the Korean catalogue"));
            let translated = po[at + entry.len()..].split('"').next().unwrap();
            assert!(!translated.is_empty() && translated != s, "{s:?} has no Korean translation");
        }
    }
}
