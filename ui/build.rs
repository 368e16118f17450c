fn main() {
    // No per-component context: one msgid is one translation, wherever it is used.
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("i18n/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Element names for Slint's testing crate, behind the `testing` feature (the headless
        // demo and the UI tests); the device build goes without.
        .with_debug_info(std::env::var_os("CARGO_FEATURE_TESTING").is_some());
    let root = if std::env::var_os("CARGO_FEATURE_SYSTEM_FONT").is_some() {
        "ui/app.slint"
    } else {
        "ui/embedded-font.slint"
    };
    slint_build::compile_with_config(root, config).expect("the .slint files compile");
}
