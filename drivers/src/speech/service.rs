//! The speech service: one task owns the queue and the espeak-ng process speaking now. A
//! new screen interrupts, a list is queued, "stop" silences. With [`Output::Capture`] every
//! utterance is also written as a WAV file and a line of `transcript.txt`, so tests (and an
//! installer checking the audio) hear what a customer would.

use std::io::Write;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use kiosk_domain::Lang;
use tokio::process::{Child, Command};
use tokio::sync::{broadcast, mpsc};

use super::espeak;
use super::queue::{Action, Priority, SpeechQueue, Utterance};

/// Where speech goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// The audio device (espeak-ng plays it itself).
    Device,
    /// WAV files and a transcript in this folder, and nothing on the audio device.
    Capture(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpeechEvent {
    Started(Utterance),
    /// `completed` is false when it was interrupted or espeak-ng failed.
    Ended {
        id: u64,
        completed: bool,
    },
}

enum SpeechCommand {
    Say { text: String, lang: Lang, priority: Priority },
    Stop,
    Rate(u16),
    Volume(u8),
}

/// Cheap to clone; the service stops when the last handle is dropped.
#[derive(Clone)]
pub struct SpeechHandle {
    commands: mpsc::UnboundedSender<SpeechCommand>,
    events: broadcast::Sender<SpeechEvent>,
    /// Commands sent, and (from the service) commands taken in while nothing is said or waits.
    sent: Arc<AtomicU64>,
    quiet_after: Arc<AtomicU64>,
}

impl SpeechHandle {
    /// Said after what is being said now.
    pub fn say(&self, text: impl Into<String>, lang: Lang) {
        self.send(SpeechCommand::Say { text: text.into(), lang, priority: Priority::Queue });
    }

    /// Said now, instead of anything being said or waiting.
    pub fn interrupt(&self, text: impl Into<String>, lang: Lang) {
        self.send(SpeechCommand::Say { text: text.into(), lang, priority: Priority::Interrupt });
    }

    pub fn stop(&self) {
        self.send(SpeechCommand::Stop);
    }

    pub fn set_rate(&self, wpm: u16) {
        self.send(SpeechCommand::Rate(wpm));
    }

    pub fn set_volume(&self, volume: u8) {
        self.send(SpeechCommand::Volume(volume));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SpeechEvent> {
        self.events.subscribe()
    }

    /// Everything asked for has been said (or cancelled), and nothing is being said.
    pub fn is_idle(&self) -> bool {
        self.quiet_after.load(Ordering::SeqCst) == self.sent.load(Ordering::SeqCst)
    }

    fn send(&self, command: SpeechCommand) {
        self.sent.fetch_add(1, Ordering::SeqCst);
        // The service ends only with its last handle: a send cannot fail while we hold one.
        let _ = self.commands.send(command);
    }
}

/// Starts the service on the current tokio runtime. `program` is espeak-ng (its path, or
/// the name to find on `PATH`).
pub fn spawn(program: impl Into<PathBuf>, output: Output) -> SpeechHandle {
    let (commands, mut rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(256);
    let mut worker = Worker { program: program.into(), output, current: None, events: events.clone() };
    let (sent, quiet_after) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let quiet = quiet_after.clone();
    tokio::spawn(async move {
        let mut queue = SpeechQueue::default();
        let mut taken = 0;
        loop {
            let actions = tokio::select! {
                command = rx.recv() => match command.inspect(|_| taken += 1) {
                    None => break,
                    Some(SpeechCommand::Say { text, lang, priority }) => queue.say(&text, lang, priority),
                    Some(SpeechCommand::Stop) => queue.stop(),
                    Some(SpeechCommand::Rate(wpm)) => { queue.set_rate(wpm); Vec::new() }
                    Some(SpeechCommand::Volume(v)) => { queue.set_volume(v); Vec::new() }
                },
                (id, status) = worker.wait() => {
                    let completed = status.is_ok_and(|s| s.success());
                    let _ = worker.events.send(SpeechEvent::Ended { id, completed });
                    queue.finished(id)
                }
            };
            worker.perform(actions, &mut queue);
            quiet.store(
                if queue.speaking().is_none() && queue.pending() == 0 { taken } else { u64::MAX },
                Ordering::SeqCst,
            );
        }
        if let Some((_, mut child)) = worker.current.take() {
            let _ = child.start_kill();
        }
    });
    SpeechHandle { commands, events, sent, quiet_after }
}

struct Worker {
    program: PathBuf,
    output: Output,
    current: Option<(u64, Child)>,
    events: broadcast::Sender<SpeechEvent>,
}

impl Worker {
    /// The utterance being said ends; pending for ever when none is.
    async fn wait(&mut self) -> (u64, std::io::Result<ExitStatus>) {
        match self.current.as_mut() {
            Some((id, child)) => {
                let status = child.wait().await;
                let id = *id;
                self.current = None;
                (id, status)
            }
            None => std::future::pending().await,
        }
    }

    fn perform(&mut self, mut actions: Vec<Action>, queue: &mut SpeechQueue) {
        while !actions.is_empty() {
            let mut next = Vec::new();
            for action in actions {
                match action {
                    Action::Cancel(id) => self.cancel(id),
                    Action::Speak(u) => {
                        if let Err(e) = self.start(&u) {
                            if e.kind() == std::io::ErrorKind::Unsupported {
                                // A language without a voice (Japanese): nothing to say.
                                tracing::debug!("speech: {e}");
                            } else {
                                tracing::warn!(
                                    "speech: espeak-ng ({}) did not start: {e}",
                                    self.program.display()
                                );
                            }
                            let _ = self.events.send(SpeechEvent::Ended { id: u.id, completed: false });
                            next.extend(queue.finished(u.id));
                        }
                    }
                }
            }
            actions = next;
        }
    }

    fn cancel(&mut self, id: u64) {
        if let Some((current, mut child)) = self.current.take() {
            if current != id {
                self.current = Some((current, child));
                return;
            }
            let _ = child.start_kill();
            // Reaped in the background so the next sentence starts at once.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            let _ = self.events.send(SpeechEvent::Ended { id, completed: false });
        }
    }

    fn start(&mut self, u: &Utterance) -> std::io::Result<()> {
        if espeak::voice(u.lang).is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                format!("no voice for {}", u.lang),
            ));
        }
        let wav = match &self.output {
            Output::Device => None,
            Output::Capture(dir) => {
                std::fs::create_dir_all(dir)?;
                let mut transcript =
                    std::fs::OpenOptions::new().create(true).append(true).open(dir.join("transcript.txt"))?;
                writeln!(transcript, "{}\t{}\t{}", u.id, u.lang, u.text.replace(['\n', '\t'], " "))?;
                Some(dir.join(format!("{:05}.wav", u.id)))
            }
        };
        let child = Command::new(&self.program)
            .args(espeak::args(u, wav.as_deref()).unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        self.current = Some((u.id, child));
        let _ = self.events.send(SpeechEvent::Started(u.clone()));
        Ok(())
    }
}
