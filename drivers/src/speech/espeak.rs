//! espeak-ng's command line for one utterance: the voice for the language, the rate and the
//! amplitude. espeak-ng speaks Korean and English from Debian's `espeak-ng-data`.

use std::ffi::OsString;
use std::path::Path;

use kiosk_domain::Lang;

use super::queue::{MAX_VOLUME, Utterance};

/// espeak-ng's voice for a language.
pub fn voice(lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => "ko",
        Lang::En => "en-us",
        Lang::Zh => "cmn",
        Lang::Ja => "ja",
    }
}

/// espeak-ng's amplitude (0–200, 100 its default) for a volume step.
pub fn amplitude(volume: u8) -> u32 {
    u32::from(volume.min(MAX_VOLUME)) * 160 / u32::from(MAX_VOLUME)
}

/// The arguments that say `u` on the audio device, or into `wav` when given.
pub fn args(u: &Utterance, wav: Option<&Path>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-v".into(),
        voice(u.lang).into(),
        "-s".into(),
        u.rate_wpm.to_string().into(),
        "-a".into(),
        amplitude(u.volume).to_string().into(),
    ];
    if let Some(wav) = wav {
        args.push("-w".into());
        args.push(wav.into());
    }
    // The text last, after `--`, so a sentence that starts with "-" is never an option.
    args.push("--".into());
    args.push(u.text.clone().into());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_voice_rate_and_amplitude_and_ends_with_the_text() {
        let u = Utterance { id: 1, text: "-5,000원".into(), lang: Lang::Ko, rate_wpm: 200, volume: 5 };
        let args: Vec<String> =
            args(&u, Some(Path::new("/tmp/x.wav"))).into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(args, ["-v", "ko", "-s", "200", "-a", "80", "-w", "/tmp/x.wav", "--", "-5,000원"]);
        assert_eq!(amplitude(10), 160);
        assert_eq!(amplitude(0), 0);
    }
}
