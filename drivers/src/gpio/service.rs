//! The GPIO service: samples the inputs every few milliseconds into debounced events, and
//! drives the light and buzzer from the current pattern and sound. Time is tokio's, so tests
//! run it on a paused clock.

use std::time::Duration;

use embedded_hal::digital::{InputPin, OutputPin};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::patterns::{LightPattern, Sound};
use super::{Debouncer, Edge, Input, Output};

/// Every pin is optional: a kiosk without a door switch simply has none.
pub struct GpioPins<I, O> {
    pub presence: Option<Input<I>>,
    pub call_button: Option<Input<I>>,
    pub door: Option<Input<I>>,
    /// The headphone jack's detect switch: plugging in starts the voice mode.
    pub earphones: Option<Input<I>>,
    pub light: Option<Output<O>>,
    pub buzzer: Option<Output<O>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpioEvent {
    /// Someone stepped up to the kiosk: wake the screen from the attract loop.
    PresenceDetected,
    PresenceCleared,
    CallStaffPressed,
    DoorOpened,
    DoorClosed,
    EarphonesPlugged,
    EarphonesUnplugged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpioCommand {
    Light(LightPattern),
    Play(Sound),
}

pub struct GpioHandle {
    pub commands: mpsc::UnboundedSender<GpioCommand>,
    pub events: mpsc::UnboundedReceiver<GpioEvent>,
}

pub const SAMPLE_EVERY: Duration = Duration::from_millis(5);
pub const BUTTON_HOLD: Duration = Duration::from_millis(30);
/// Presence sensors flicker as people move: a longer hold.
pub const PRESENCE_HOLD: Duration = Duration::from_millis(150);
pub const DOOR_HOLD: Duration = Duration::from_millis(50);
/// A jack's detect contact chatters while the plug goes in.
pub const JACK_HOLD: Duration = Duration::from_millis(100);

/// Starts the service on the current tokio runtime.
pub fn spawn<I, O>(mut pins: GpioPins<I, O>) -> GpioHandle
where
    I: InputPin + Send + 'static,
    O: OutputPin + Send + 'static,
{
    let (commands, mut command_rx) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut presence = Debouncer::new(PRESENCE_HOLD);
        let mut button = Debouncer::new(BUTTON_HOLD);
        let mut door = Debouncer::new(DOOR_HOLD);
        let mut jack = Debouncer::new(JACK_HOLD);
        let mut light = (LightPattern::default(), Instant::now());
        let mut sound: Option<(Sound, Instant)> = None;
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                command = command_rx.recv() => match command {
                    Some(GpioCommand::Light(p)) => light = (p, Instant::now()),
                    Some(GpioCommand::Play(s)) => sound = Some((s, Instant::now())),
                    None => return,
                },
            }
            let now = Instant::now();
            let std_now = now.into_std();
            let sample = |input: &mut Option<Input<I>>, d: &mut Debouncer, on: GpioEvent, off: GpioEvent| {
                let Some(input) = input else { return };
                // A pin read error is a wiring fault: keep the last debounced level.
                let Ok(level) = input.is_active() else { return };
                match d.sample(level, std_now) {
                    Some(Edge::Activated) => {
                        let _ = event_tx.send(on);
                    }
                    Some(Edge::Released) if off != on => {
                        let _ = event_tx.send(off);
                    }
                    _ => {}
                }
            };
            sample(
                &mut pins.presence,
                &mut presence,
                GpioEvent::PresenceDetected,
                GpioEvent::PresenceCleared,
            );
            sample(
                &mut pins.call_button,
                &mut button,
                GpioEvent::CallStaffPressed,
                GpioEvent::CallStaffPressed,
            );
            sample(&mut pins.door, &mut door, GpioEvent::DoorOpened, GpioEvent::DoorClosed);
            sample(
                &mut pins.earphones,
                &mut jack,
                GpioEvent::EarphonesPlugged,
                GpioEvent::EarphonesUnplugged,
            );
            if let Some(out) = pins.light.as_mut() {
                let _ = out.set_active(light.0.level_at(now - light.1));
            }
            if let Some(out) = pins.buzzer.as_mut() {
                let level = sound.and_then(|(s, started)| s.level_at(now - started));
                if level.is_none() {
                    sound = None;
                }
                let _ = out.set_active(level.unwrap_or(false));
            }
        }
    });
    GpioHandle { commands, events }
}
