//! Opens the GPIO lines named in `[devices.gpio]` and starts the GPIO service. The pin
//! opening is generic, so the same code runs on rppal pins (the device build, feature
//! `gpio-rppal`) and on simulated pins in tests.

use embedded_hal::digital::{InputPin, OutputPin};
#[cfg(any(feature = "gpio-rppal", test))]
use kiosk_drivers::gpio::service::spawn;
use kiosk_drivers::gpio::service::{GpioHandle, GpioPins};
use kiosk_drivers::gpio::{Input, Output};

use crate::config::{GpioConfig, PinConfig};

#[derive(Debug, thiserror::Error)]
pub enum GpioSetupError {
    #[error("GPIO {role} (BCM {bcm}): {reason}")]
    Pin { role: &'static str, bcm: u8, reason: String },
    #[error(
        "[devices.gpio] names pins, but this build has no GPIO support (build with --features gpio-rppal)"
    )]
    NotInThisBuild,
}

/// Opens every configured line with `open_input(bcm, pull_up)` / `open_output(bcm)`.
pub fn pins_from_config<I: InputPin, O: OutputPin, E: std::fmt::Display>(
    config: &GpioConfig,
    open_input: impl Fn(u8, bool) -> Result<I, E>,
    open_output: impl Fn(u8) -> Result<O, E>,
) -> Result<GpioPins<I, O>, GpioSetupError> {
    let input = |role: &'static str, pin: &Option<PinConfig>| -> Result<Option<Input<I>>, GpioSetupError> {
        pin.as_ref()
            .map(|p| {
                // An active-low input is a switch to ground: it needs the pull-up.
                open_input(p.bcm, p.active_low)
                    .map(|raw| Input::new(raw, p.active_low))
                    .map_err(|e| GpioSetupError::Pin { role, bcm: p.bcm, reason: e.to_string() })
            })
            .transpose()
    };
    let output = |role: &'static str, pin: &Option<PinConfig>| -> Result<Option<Output<O>>, GpioSetupError> {
        pin.as_ref()
            .map(|p| {
                open_output(p.bcm)
                    .map(|raw| Output::new(raw, p.active_low))
                    .map_err(|e| GpioSetupError::Pin { role, bcm: p.bcm, reason: e.to_string() })
            })
            .transpose()
    };
    Ok(GpioPins {
        presence: input("presence", &config.presence)?,
        call_button: input("call_button", &config.call_button)?,
        door: input("door", &config.door)?,
        earphones: input("earphones", &config.earphones)?,
        light: output("light", &config.light)?,
        buzzer: output("buzzer", &config.buzzer)?,
    })
}

/// Starts the GPIO service on the board's pins; `None` when no pin is configured.
#[cfg(feature = "gpio-rppal")]
pub fn start(config: &GpioConfig) -> Result<Option<GpioHandle>, GpioSetupError> {
    use kiosk_drivers::gpio::rpi;
    if !config.any() {
        return Ok(None);
    }
    Ok(Some(spawn(pins_from_config(config, rpi::input, rpi::output)?)))
}

/// Without the rppal backend a configured pin is an error the operator must see.
#[cfg(not(feature = "gpio-rppal"))]
pub fn start(config: &GpioConfig) -> Result<Option<GpioHandle>, GpioSetupError> {
    if config.any() { Err(GpioSetupError::NotInThisBuild) } else { Ok(None) }
}

/// Starts the service on the board's pins, or says what is wrong and goes on without it: a
/// pin this build cannot drive is the operator's to fix, not a reason to stop.
pub fn start_or_report(config: &GpioConfig) -> Option<GpioHandle> {
    start(config).unwrap_or_else(|e| {
        tracing::error!("{e}");
        None
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kiosk_drivers::gpio::patterns::LightPattern;
    use kiosk_drivers::gpio::service::{GpioCommand, GpioEvent};
    use kiosk_drivers::gpio::sim::SimBoard;

    use super::*;

    /// Starts the service on simulated pins.
    fn start_simulated(
        config: &GpioConfig,
        pins: &kiosk_drivers::gpio::sim::SimBoard,
    ) -> Result<GpioHandle, GpioSetupError> {
        Ok(spawn(pins_from_config(
            config,
            |bcm, pull_up| {
                // A pulled-up line rests high, as on the board.
                let pin = pins.pin(bcm);
                if pull_up {
                    pin.set(true);
                }
                Ok::<_, std::convert::Infallible>(pin)
            },
            |bcm| Ok::<_, std::convert::Infallible>(pins.pin(bcm)),
        )?))
    }

    fn config() -> GpioConfig {
        GpioConfig {
            presence: Some(PinConfig { bcm: 4, active_low: false }),
            call_button: Some(PinConfig { bcm: 17, active_low: true }),
            door: None,
            earphones: None,
            light: Some(PinConfig { bcm: 22, active_low: false }),
            buzzer: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn configured_pins_drive_the_service_with_their_polarity() {
        let board = SimBoard::new();
        let mut gpio = start_simulated(&config(), &board).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(gpio.events.try_recv().is_err(), "a pulled-up button at rest is not pressed");

        board.pin(17).set(false); // pressed: the switch pulls the line to ground
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(gpio.events.recv().await, Some(GpioEvent::CallStaffPressed));

        board.pin(4).set(true);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(gpio.events.recv().await, Some(GpioEvent::PresenceDetected));

        gpio.commands.send(GpioCommand::Light(LightPattern::Idle)).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(board.pin(22).get(), "idle is a steady light");
    }

    #[test]
    fn a_pin_that_cannot_be_opened_names_its_role_and_number() {
        let err = pins_from_config::<kiosk_drivers::gpio::sim::SimPin, kiosk_drivers::gpio::sim::SimPin, _>(
            &config(),
            |bcm, _| if bcm == 17 { Err("busy") } else { Ok(kiosk_drivers::gpio::sim::SimPin::new()) },
            |_| Ok(kiosk_drivers::gpio::sim::SimPin::new()),
        )
        .err()
        .unwrap();
        assert_eq!(err.to_string(), "GPIO call_button (BCM 17): busy");
    }
}
