//! GPIO on the Raspberry Pi through rppal (feature `gpio-rppal`): BCM pin numbers from the
//! configuration, with pull-ups for inputs wired to ground.

use rppal::gpio::{Gpio, InputPin, OutputPin};

pub fn input(bcm: u8, pull_up: bool) -> rppal::gpio::Result<InputPin> {
    let pin = Gpio::new()?.get(bcm)?;
    Ok(if pull_up { pin.into_input_pullup() } else { pin.into_input_pulldown() })
}

pub fn output(bcm: u8) -> rppal::gpio::Result<OutputPin> {
    Ok(Gpio::new()?.get(bcm)?.into_output_low())
}
