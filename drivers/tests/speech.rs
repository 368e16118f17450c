//! espeak-ng through the speech service, for real: a Korean phrase into a WAV file that is
//! not silent and lasts a plausible time, an interruption, and the rate. `tests/run`
//! installs espeak-ng (Debian's package); without it these tests fail and say so.

use std::path::Path;
use std::time::Duration;

use kiosk_domain::Lang;
use kiosk_drivers::speech::{Output, SpeechEvent, SpeechHandle, spawn};
use tokio::sync::broadcast;

const ESPEAK: &str = "espeak-ng";

fn require_espeak() {
    let found =
        std::process::Command::new(ESPEAK).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "espeak-ng is not installed: `apt-get install espeak-ng` (./tests/run installs it)");
}

async fn next(events: &mut broadcast::Receiver<SpeechEvent>) -> SpeechEvent {
    tokio::time::timeout(Duration::from_secs(30), events.recv())
        .await
        .expect("espeak-ng answered within 30 s")
        .expect("the speech service is running")
}

/// Duration in seconds and loudness (RMS and peak of 16-bit samples).
fn measure(wav: &Path) -> (f64, f64, i32) {
    let mut reader = hound::WavReader::open(wav).unwrap_or_else(|e| panic!("{}: {e}", wav.display()));
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16), "{spec:?}");
    let samples: Vec<i32> = reader.samples::<i16>().map(|s| i32::from(s.unwrap())).collect();
    let seconds = samples.len() as f64 / f64::from(spec.sample_rate);
    let rms =
        (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt();
    let peak = samples.iter().map(|s| s.abs()).max().unwrap_or(0);
    (seconds, rms, peak)
}

async fn say_and_wait(speech: &SpeechHandle, text: &str, lang: Lang) -> u64 {
    let mut events = speech.subscribe();
    speech.say(text, lang);
    let SpeechEvent::Started(u) = next(&mut events).await else { panic!("expected a start") };
    assert_eq!(next(&mut events).await, SpeechEvent::Ended { id: u.id, completed: true });
    u.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_korean_phrase_becomes_a_non_silent_wav_of_plausible_length() {
    require_espeak();
    let dir = tempfile::tempdir().unwrap();
    let speech = spawn(ESPEAK, Output::Capture(dir.path().to_owned()));
    let phrase = "주문 번호 42번입니다. 합계 2만 6천 9백 원입니다.";
    let id = say_and_wait(&speech, phrase, Lang::Ko).await;
    let (seconds, rms, peak) = measure(&dir.path().join(format!("{id:05}.wav")));
    println!("Korean test phrase: {seconds:.2} s, RMS {rms:.0}, peak {peak}");
    // About twenty syllables at espeak-ng's default rate: a few seconds, not a click or a minute.
    assert!((1.5..15.0).contains(&seconds), "{seconds} s");
    assert!(rms > 300.0 && peak > 3_000, "silent? RMS {rms}, peak {peak}");
    let transcript = std::fs::read_to_string(dir.path().join("transcript.txt")).unwrap();
    assert_eq!(transcript, format!("{id}\tko\t{phrase}\n"));
}

/// espeak-ng has a Mandarin voice (`cmn`) in Debian's espeak-ng-data: a Chinese tourist in the
/// barrier-free mode hears their own language. A voice that cannot read the script (English
/// reading hanzi says "Chinese letter" for each) runs well past the plausible length.
/// Japanese has no voice that reads kanji: nothing is played, rather than noise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_is_spoken_by_its_own_voice_and_japanese_is_not_read_as_noise() {
    require_espeak();
    let dir = tempfile::tempdir().unwrap();
    let speech = spawn(ESPEAK, Output::Capture(dir.path().to_owned()));
    let phrase = "您的订单号是42号。";
    let id = say_and_wait(&speech, phrase, Lang::Zh).await;
    let (seconds, rms, peak) = measure(&dir.path().join(format!("{id:05}.wav")));
    println!("Chinese test phrase: {seconds:.2} s, RMS {rms:.0}, peak {peak}");
    assert!((1.0..4.5).contains(&seconds), "{seconds} s");
    assert!(rms > 300.0 && peak > 3_000, "silent? RMS {rms}, peak {peak}");

    let mut events = speech.subscribe();
    speech.say("ご注文番号は42番です。", Lang::Ja);
    let SpeechEvent::Ended { id, completed: false } = next(&mut events).await else {
        panic!("Japanese should end unspoken")
    };
    assert!(!dir.path().join(format!("{id:05}.wav")).exists(), "a WAV for Japanese");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sentence_interrupts_the_one_being_said() {
    require_espeak();
    let dir = tempfile::tempdir().unwrap();
    let speech = spawn(ESPEAK, Output::Capture(dir.path().to_owned()));
    let mut events = speech.subscribe();
    speech.say(
        "Americano, four thousand five hundred won. Cafe latte, five thousand won. ".repeat(60),
        Lang::En,
    );
    let SpeechEvent::Started(long) = next(&mut events).await else { panic!() };
    speech.say("this waits and is dropped", Lang::En);
    speech.interrupt("Order number 42", Lang::En);
    assert_eq!(next(&mut events).await, SpeechEvent::Ended { id: long.id, completed: false });
    let SpeechEvent::Started(short) = next(&mut events).await else { panic!() };
    assert_eq!(short.text, "Order number 42", "the waiting sentence was dropped");
    assert_eq!(next(&mut events).await, SpeechEvent::Ended { id: short.id, completed: true });
    let (seconds, ..) = measure(&dir.path().join(format!("{:05}.wav", short.id)));
    assert!((0.5..5.0).contains(&seconds), "{seconds} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faster_rate_speaks_the_same_words_in_less_time() {
    require_espeak();
    let dir = tempfile::tempdir().unwrap();
    let speech = spawn(ESPEAK, Output::Capture(dir.path().to_owned()));
    let text = "합계 만 삼천사백 원. 카드를 꽂아 주세요.";
    speech.set_rate(120);
    let slow = say_and_wait(&speech, text, Lang::Ko).await;
    speech.set_rate(320);
    let fast = say_and_wait(&speech, text, Lang::Ko).await;
    let (slow_s, ..) = measure(&dir.path().join(format!("{slow:05}.wav")));
    let (fast_s, ..) = measure(&dir.path().join(format!("{fast:05}.wav")));
    println!("the same sentence at 120 wpm: {slow_s:.2} s, at 320 wpm: {fast_s:.2} s");
    assert!(slow_s > fast_s * 1.6, "{slow_s} s vs {fast_s} s");
}
