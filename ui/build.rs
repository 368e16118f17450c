fn main() {
    // No per-component context: one msgid is one translation, wherever it is used.
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("i18n/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        // Element names and accessible properties for the headless demo and the UI tests,
        // which press buttons by accessible label (the way a screen reader or keypad does).
        .with_debug_info(true);
    slint_build::compile_with_config("ui/app.slint", config).expect("the .slint files compile");
}
