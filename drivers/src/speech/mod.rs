//! Speech output for the barrier-free mode: a queue with interruption, rate and volume
//! (`queue.rs`, sans-IO), espeak-ng's command line (`espeak.rs`) and the tokio service that
//! runs it on the audio device or captures it to WAV files (`service.rs`).

pub mod espeak;
pub mod queue;
#[cfg(feature = "io")]
pub mod service;

pub use queue::{DEFAULT_RATE_WPM, MAX_VOLUME, Priority, RATE_RANGE_WPM, SpeechQueue, Utterance};
#[cfg(feature = "io")]
pub use service::{Output, SpeechEvent, SpeechHandle, spawn};
