//! espeak-ng's command line for one utterance: the voice for the language, the rate and the
//! amplitude. espeak-ng speaks Korean, English and Mandarin from Debian's `espeak-ng-data`
//! (its Japanese voice reads no kanji: see [`voice`]).

use std::ffi::OsString;
use std::path::Path;

use kiosk_domain::Lang;

use super::queue::{MAX_VOLUME, Utterance};

/// espeak-ng's voice for a language, if it has one that reads the language as the screen
/// writes it. Japanese has none: espeak-ng's `ja` voice reads kana only and names every kanji
/// in English ("Chinese letter"; 5.8 s for "ご注文番号は42番です。", 2.5 s for the same in
/// kana), and the catalogue's Japanese is written with kanji. A Japanese customer who needs
/// the voice hears the language page list the languages that have one.
pub fn voice(lang: Lang) -> Option<&'static str> {
    match lang {
        Lang::Ko => Some("ko"),
        Lang::En => Some("en-us"),
        Lang::Zh => Some("cmn"),
        Lang::Ja => None,
    }
}

/// espeak-ng's amplitude (0–200, 100 its default) for a volume step.
pub fn amplitude(volume: u8) -> u32 {
    u32::from(volume.min(MAX_VOLUME)) * 160 / u32::from(MAX_VOLUME)
}

/// The arguments that say `u` on the audio device, or into `wav` when given; `None` when its
/// language has no voice.
pub fn args(u: &Utterance, wav: Option<&Path>) -> Option<Vec<OsString>> {
    let voice = voice(u.lang)?;
    let mut args: Vec<OsString> = vec![
        "-v".into(),
        voice.into(),
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
    Some(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_voice_rate_and_amplitude_and_ends_with_the_text() {
        let u = Utterance { id: 1, text: "-5,000원".into(), lang: Lang::Ko, rate_wpm: 200, volume: 5 };
        let args: Vec<String> = args(&u, Some(Path::new("/tmp/x.wav")))
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(args, ["-v", "ko", "-s", "200", "-a", "80", "-w", "/tmp/x.wav", "--", "-5,000원"]);
        assert_eq!(amplitude(10), 160);
        assert_eq!(amplitude(0), 0);
        let ja = Utterance { lang: Lang::Ja, ..u };
        assert_eq!(super::args(&ja, None), None, "no voice reads the screen's Japanese");
    }
}
