//! The scanner reader against the scanner simulator over a PTY.

use std::time::Duration;

use kiosk_drivers::scanner::reader::ScannerReader;
use kiosk_drivers::scanner::{FramingOptions, ScanEvent, Suffix, Symbology};
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_sim::scanner::{ScannerSim, ScannerSimOptions};

#[tokio::test]
async fn scans_arrive_framed_with_their_symbology_and_garbage_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttySCANNER");
    let mut sim =
        ScannerSim::create(&link, ScannerSimOptions { suffix: Suffix::Cr, aim_ids: true, baud: 9600 })
            .unwrap();
    let endpoint = Endpoint::Serial { path: link, baud: 9600, flow_control: FlowControl::None };
    let io = Port::open(&endpoint, Duration::from_secs(2)).await.unwrap();
    let mut reader = ScannerReader::new(io, FramingOptions { aim_ids: true, ..FramingOptions::default() });

    sim.scan("8801234000011").await.unwrap();
    sim.scan("https://hanip.example/t/12").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        got.extend(tokio::time::timeout(Duration::from_secs(2), reader.next()).await.unwrap().unwrap());
    }
    match &got[..] {
        [ScanEvent::Scan(a), ScanEvent::Scan(b)] => {
            assert_eq!((a.data.as_str(), a.symbology), ("8801234000011", Some(Symbology::Ean13)));
            assert_eq!((b.data.as_str(), b.symbology), ("https://hanip.example/t/12", Some(Symbology::Qr)));
        }
        other => panic!("{other:?}"),
    }
    // a scanner streaming garbage: rejected, and the next scan still reads
    sim.raw(b"\x00\x01\xff\xfe garbage\r").await.unwrap();
    sim.scan("281006020000123456").await.unwrap();
    let mut got = Vec::new();
    while !got.iter().any(|e| matches!(e, ScanEvent::Scan(_))) {
        got.extend(tokio::time::timeout(Duration::from_secs(2), reader.next()).await.unwrap().unwrap());
    }
    assert!(matches!(got[0], ScanEvent::Rejected(_)), "{got:?}");
    assert!(
        matches!(got.last(), Some(ScanEvent::Scan(s)) if s.data == "281006020000123456" && s.symbology == Some(Symbology::Code128))
    );
}
