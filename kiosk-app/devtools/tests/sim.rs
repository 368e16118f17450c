//! `kiosk-dev sim …` on the command line: the simulators installers and developers start by
//! hand answer as the devices do.

use std::process::Stdio;

#[tokio::test]
async fn the_terminal_simulator_reports_ready_with_its_version() {
    use kiosk_drivers::payment::PaymentTerminal;
    use kiosk_drivers::payment::smartro::client::SmartroTerminal;
    use kiosk_drivers::transport::{Endpoint, FlowControl, Port};

    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyTERMINAL");
    let mut sim = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk-dev"))
        .args(["sim", "terminal", "--pty", link.to_str().unwrap()])
        .stdin(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if link.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let endpoint = Endpoint::Serial { path: link, baud: 115_200, flow_control: FlowControl::None };
    let io = Port::open(&endpoint, std::time::Duration::from_secs(2)).await.unwrap();
    let mut terminal = SmartroTerminal::new(io, "SIM00001");
    let info = terminal.check().await.unwrap();
    assert!(info.ready);
    assert!(info.version.starts_with("TL3600 SIM"), "{}", info.version);
    sim.kill().await.unwrap();
}
