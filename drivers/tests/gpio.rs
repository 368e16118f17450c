//! The GPIO service with simulated pins on tokio's paused clock.

use std::time::Duration;

use kiosk_drivers::gpio::patterns::{LightPattern, Sound};
use kiosk_drivers::gpio::service::{GpioCommand, GpioEvent, GpioPins, spawn};
use kiosk_drivers::gpio::sim::SimPin;
use kiosk_drivers::gpio::{Input, Output};

struct Rig {
    presence: SimPin,
    button: SimPin,
    door: SimPin,
    jack: SimPin,
    light: SimPin,
    buzzer: SimPin,
}

fn rig() -> (Rig, kiosk_drivers::gpio::service::GpioHandle) {
    let r = Rig {
        presence: SimPin::new(),
        button: SimPin::new(),
        door: SimPin::new(),
        jack: SimPin::new(),
        light: SimPin::new(),
        buzzer: SimPin::new(),
    };
    // the button and door switch pull to ground: active low, idle high
    r.button.set(true);
    r.door.set(true);
    let pins = GpioPins {
        presence: Some(Input::new(r.presence.clone(), false)),
        call_button: Some(Input::new(r.button.clone(), true)),
        door: Some(Input::new(r.door.clone(), true)),
        earphones: Some(Input::new(r.jack.clone(), false)),
        light: Some(Output::new(r.light.clone(), false)),
        buzzer: Some(Output::new(r.buzzer.clone(), false)),
    };
    let handle = spawn(pins);
    (r, handle)
}

async fn advance(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[tokio::test(start_paused = true)]
async fn a_bouncing_button_press_is_one_call() {
    let (r, mut h) = rig();
    advance(50).await;
    // press with 20 ms of bounce, hold 100 ms, release with bounce
    for level in [false, true, false, true, false] {
        r.button.set(level);
        advance(4).await;
    }
    advance(100).await;
    for level in [true, false, true] {
        r.button.set(level);
        advance(4).await;
    }
    advance(100).await;
    let mut events = Vec::new();
    while let Ok(e) = h.events.try_recv() {
        events.push(e);
    }
    assert_eq!(events, vec![GpioEvent::CallStaffPressed]);
}

#[tokio::test(start_paused = true)]
async fn presence_wakes_and_flicker_does_not() {
    let (r, mut h) = rig();
    advance(20).await;
    r.presence.set(true);
    advance(100).await;
    r.presence.set(false); // someone walking past, 100 ms
    advance(300).await;
    assert!(h.events.try_recv().is_err(), "a passer-by is no customer");
    r.presence.set(true);
    advance(200).await;
    assert_eq!(h.events.try_recv(), Ok(GpioEvent::PresenceDetected));
    r.door.set(false);
    advance(100).await;
    assert_eq!(h.events.try_recv(), Ok(GpioEvent::DoorOpened));
}

#[tokio::test(start_paused = true)]
async fn light_and_buzzer_follow_their_patterns() {
    let (r, h) = rig();
    advance(20).await;
    assert!(r.light.get(), "idle: steady on");
    h.commands.send(GpioCommand::Light(LightPattern::Busy)).unwrap();
    let mut levels = Vec::new();
    for _ in 0..20 {
        advance(100).await;
        levels.push(r.light.get());
    }
    let changes = levels.windows(2).filter(|w| w[0] != w[1]).count();
    assert!((3..=4).contains(&changes), "slow blink over 2 s: {levels:?}");
    h.commands.send(GpioCommand::Play(Sound::OrderReady)).unwrap();
    let mut beeps = 0;
    let mut last = false;
    for _ in 0..150 {
        advance(5).await;
        let now = r.buzzer.get();
        if now && !last {
            beeps += 1;
        }
        last = now;
    }
    assert_eq!(beeps, 3);
    assert!(!r.buzzer.get(), "silent afterwards");
}

#[tokio::test(start_paused = true)]
async fn plugging_earphones_in_and_out_is_one_event_each() {
    let (r, mut h) = rig();
    advance(20).await;
    // the detect contact chatters while the plug goes in
    for level in [true, false, true, false, true] {
        r.jack.set(level);
        advance(10).await;
    }
    advance(200).await;
    assert_eq!(h.events.try_recv(), Ok(GpioEvent::EarphonesPlugged));
    assert!(h.events.try_recv().is_err());
    r.jack.set(false);
    advance(200).await;
    assert_eq!(h.events.try_recv(), Ok(GpioEvent::EarphonesUnplugged));
}
