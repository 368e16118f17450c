//! The touch UI (Slint): `ui/` holds the `.slint` files — `theme.slint` (colours, sizes,
//! one global scale factor), `state/` (one global per area the application binds: view
//! models in, typed customer intents out), `widgets/` and `pages/`. The UI shows state and
//! forwards intents; it holds no business logic. Strings go through `@tr` with the gettext
//! catalogues of kiosk-i18n (`i18n/translations/`), which also serve the session's
//! sentences. NanumGothic (OFL) is built in (`ui/embedded-font.slint`) so Hangul renders on a
//! bare machine, except with `system-font` (the device, whose image carries the font).

slint::include_modules!();

#[cfg(feature = "testing")]
pub mod audit;
#[cfg(feature = "testing")]
pub mod focus;
#[cfg(feature = "testing")]
pub mod headless;

/// Switches every `@tr` string (accessible labels included) to `lang` ("ko" or "en").
pub fn select_language(lang: &str) -> Result<(), slint::SelectBundledTranslationError> {
    slint::select_bundled_translation(lang)
}

/// The bundled translation of `msgid` (as written in the `.slint` files) in `lang` ("ko",
/// "en"); the msgid itself when there is none. For scripts and tests that press buttons by
/// label. The same catalogue the `.slint` code was built with (kiosk-i18n).
pub fn translate(lang: &str, msgid: &str) -> String {
    match kiosk_i18n::Lang::from_code(lang) {
        Some(lang) => kiosk_i18n::tr(lang, msgid).to_owned(),
        None => msgid.to_owned(),
    }
}
