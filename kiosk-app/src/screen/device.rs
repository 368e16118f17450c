//! Starts what one device's screen needs from its configuration: the store, the device
//! supervisor, the POS link, the GPIO service, and the [`Runner`] and [`Feeds`] the shell
//! binds.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use super::shell::Feeds;
use crate::clock::StoreClock;
use crate::config::Config;
use crate::pos::AnyPos;
use crate::pos::runner::{self, PosLink};
use crate::session::runner::Runner;
use crate::store::Store;
use crate::supervisor::Supervisor;

pub struct Device {
    pub runner: Runner,
    pub feeds: Feeds,
    pub link: Option<PosLink>,
}

/// Opens the store and starts the supervisor and POS link on the current tokio runtime.
pub fn start(config: &Config) -> Result<Device> {
    let store = Store::open(config.database_path()).context("opening the store")?;
    let store = Arc::new(Mutex::new(store));
    let mut sup = Supervisor::start(config, store.clone());
    let pos = AnyPos::from_config(&config.pos).context("the [pos] section")?;
    let link = pos.map(|pos| runner::start(pos, store.clone()));
    if let Some(link) = &link {
        tokio::spawn(runner::report_health(link.pos.clone(), config.clone(), sup.health.clone()));
    }
    let gpio = crate::gpio_setup::start_or_report(&config.devices.gpio);
    let (gpio_commands, gpio_events) = gpio.map(|g| (g.commands, g.events)).unzip();
    let runner = Runner {
        store,
        clock: StoreClock::new(&config.time_zone),
        terminal: sup.terminal.clone(),
        printing: sup.printing.clone(),
        pos: link.as_ref().map(|l| l.pos.clone()),
        outbox: link.as_ref().map(|l| l.outbox.clone()),
        operator: config.operator.clone(),
        gpio: gpio_commands,
    };
    let feeds = Feeds {
        health: Some(sup.health.clone()),
        pos: link.as_ref().map(|l| l.view.clone()),
        outbox: link.as_ref().map(|l| l.outbox.view()),
        scans: sup.scans.take(),
        gpio: gpio_events,
    };
    Ok(Device { runner, feeds, link })
}
