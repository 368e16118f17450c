//! The rollout agent driven with DDI bodies as a server sends them and explicit instants.

use std::time::{Duration, Instant};

use kiosk_fleet::Agent;
use kiosk_fleet::agent::{Boot, Command, DownloadFailure, Downloaded, Kiosk, Pending, Policy};

const BASE: &str = "http://fleet.test/DEFAULT/controller/v1/kiosk-7";
const AT_REST_CLOSED: Kiosk = Kiosk { at_rest: true, store_open: false };
const AT_REST_OPEN: Kiosk = Kiosk { at_rest: true, store_open: true };
const IN_SESSION: Kiosk = Kiosk { at_rest: false, store_open: false };
const SHA1: &str = "62a1169399718de470ecb755085a8ed12169e671";
const SHA256: &str = "d318f524718627494683ae4c4d27b09b4fea86a77e855bf0ee7c9455a3ae071c";

fn base_with_deployment(sleep: &str) -> Vec<u8> {
    format!(r#"{{"config":{{"polling":{{"sleep":"{sleep}"}}}},"_links":{{"deploymentBase":{{"href":"{BASE}/deploymentBase/5"}}}}}}"#).into_bytes()
}

fn deployment(update: &str, window: Option<&str>) -> Vec<u8> {
    let window = window.map(|w| format!(r#","maintenanceWindow":"{w}""#)).unwrap_or_default();
    format!(
        r#"{{"id":"5","deployment":{{"download":"forced","update":"{update}"{window},"chunks":[{{"part":"os","version":"1.4.0","name":"kiosk",
        "artifacts":[{{"filename":"kiosk-1.4.0.raucb","hashes":{{"sha1":"{SHA1}","sha256":"{SHA256}"}},"size":4096,
        "_links":{{"download":{{"href":"{BASE}/softwaremodules/1/artifacts/kiosk-1.4.0.raucb"}}}}}}]}}]}}}}"#
    )
    .into_bytes()
}

fn cut(reason: &str) -> DownloadFailure {
    DownloadFailure { reason: reason.into(), permanent: false, progressed: false }
}

fn good_file() -> Downloaded {
    Downloaded { size: 4096, sha1: SHA1.into(), sha256: SHA256.into() }
}

fn new_agent(now: Instant, policy: Policy) -> Agent {
    Agent::new(BASE, "kiosk-rpi-arm64", "1.3.0", policy, None, Boot::Committed { running: 'a' }, now)
}

/// Answers every request with 200 and `{}` (feedback, configData) and runs the effects,
/// until the agent asks for something else; returns that, or None when it waits.
fn until_interesting(
    agent: &mut Agent,
    now: Instant,
    kiosk: Kiosk,
    bodies: &mut Vec<String>,
) -> Option<Command> {
    loop {
        let command = agent.next(now, kiosk)?;
        match &command {
            Command::Post { body, .. } | Command::Put { body, .. } => {
                bodies.push(body.clone());
                agent.on_answer(now, Ok((200, b"{}".to_vec())));
            }
            Command::Discard | Command::Persist(_) | Command::Disarm => {}
            _ => return Some(command),
        }
    }
}

/// Polls and takes deployment 5 up to the download.
fn take_deployment(
    agent: &mut Agent,
    now: Instant,
    update: &str,
    window: Option<&str>,
    bodies: &mut Vec<String>,
) {
    assert_eq!(until_interesting(agent, now, IN_SESSION, bodies), Some(Command::Get { url: BASE.into() }));
    agent.on_answer(now, Ok((200, base_with_deployment("00:10:00"))));
    let fetch = until_interesting(agent, now, IN_SESSION, bodies);
    assert_eq!(fetch, Some(Command::Get { url: format!("{BASE}/deploymentBase/5") }));
    agent.on_answer(now, Ok((200, deployment(update, window))));
    let download = until_interesting(agent, now, IN_SESSION, bodies);
    assert!(matches!(download, Some(Command::Download { size: 4096, .. })), "{download:?}");
}

/// An agent that took deployment 5 (`update` handling), downloaded and installed it into
/// slot b; `kiosk` is what the screen says meanwhile (the install does not wait for it).
fn installed_update(t0: Instant, policy: Policy, update: &str, kiosk: Kiosk) -> Agent {
    let mut agent = new_agent(t0, policy);
    take_deployment(&mut agent, t0, update, None, &mut Vec::new());
    agent.on_downloaded(t0, Ok(good_file()));
    assert_eq!(until_interesting(&mut agent, t0, kiosk, &mut Vec::new()), Some(Command::Install));
    agent.on_installed(Ok(("1.4.0".into(), 'b')));
    agent
}

fn executions(bodies: &[String]) -> Vec<String> {
    bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .filter_map(|v| {
            let s = v.get("status")?;
            Some(format!("{}/{}", s["execution"].as_str()?, s["result"]["finished"].as_str()?))
        })
        .collect()
}

#[test]
fn a_deployment_is_downloaded_checked_installed_and_restarts_only_at_rest_with_the_store_closed() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    let mut bodies = Vec::new();
    take_deployment(&mut agent, t0, "attempt", None, &mut bodies);
    assert!(
        bodies[0].contains("\"hw_boardname\":\"kiosk-rpi-arm64\"")
            && bodies[0].contains("\"sw_version\":\"1.3.0\"")
    );

    agent.on_downloaded(t0, Ok(good_file()));
    assert_eq!(until_interesting(&mut agent, t0, IN_SESSION, &mut bodies), Some(Command::Install));
    agent.on_installed(Ok(("1.4.0".into(), 'b')));
    let mut persisted = None;
    while let Some(c) = agent.next(t0, IN_SESSION) {
        match c {
            Command::Persist(p) => persisted = p,
            Command::Post { body, .. } => {
                bodies.push(body);
                agent.on_answer(t0, Ok((200, Vec::new())));
            }
            Command::Discard => {}
            other => panic!("during a session the agent did {other:?}"),
        }
    }
    let pending = persisted.expect("the pending record is written after the install");
    assert_eq!(
        pending,
        Pending {
            action: "5".into(),
            version: "1.4.0".into(),
            slot: "b".into(),
            feedback: format!("{BASE}/deploymentBase/5/feedback")
        }
    );
    assert_eq!(executions(&bodies), ["proceeding/none", "downloaded/none", "proceeding/none"]);

    // An attempt does not restart while the store is open, nor in a session; at rest with
    // the store closed it does. It sleeps meanwhile: no deadline in the past to spin on.
    assert_eq!(agent.next(t0, AT_REST_OPEN), None);
    assert_eq!(agent.next(t0, IN_SESSION), None);
    assert!(agent.timeout().is_some_and(|t| t > t0), "{:?}", agent.timeout());
    assert_eq!(agent.next(t0, AT_REST_CLOSED), Some(Command::Restart));

    // The next process: on trial, then committed.
    let t1 = t0 + Duration::from_secs(100);
    let mut after =
        Agent::new(BASE, "kiosk-rpi-arm64", "1.4.0", Policy::default(), Some(pending), Boot::OnTrial, t1);
    let mut bodies = Vec::new();
    assert_eq!(
        until_interesting(&mut after, t1, AT_REST_CLOSED, &mut bodies),
        Some(Command::Get { url: BASE.into() })
    );
    assert!(executions(&bodies).is_empty(), "nothing reported before the commit");
    after.on_answer(t1, Ok((200, br#"{"config":{"polling":{"sleep":"00:10:00"}},"_links":{}}"#.to_vec())));
    after.on_committed();
    let mut cleared = false;
    while let Some(c) = after.next(t1, AT_REST_CLOSED) {
        match c {
            Command::Persist(None) => cleared = true,
            Command::Post { url, body } => {
                assert_eq!(url, format!("{BASE}/deploymentBase/5/feedback"));
                bodies.push(body);
                after.on_answer(t1, Ok((200, Vec::new())));
            }
            Command::Put { body, .. } => {
                assert!(body.contains("\"sw_version\":\"1.4.0\""), "{body}");
                after.on_answer(t1, Ok((200, Vec::new())));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(cleared);
    assert_eq!(executions(&bodies), ["closed/success"]);
    assert_eq!(after.timeout(), Some(t1 + Duration::from_secs(600)), "polls at the server's interval");
}

#[test]
fn a_forced_update_restarts_while_the_store_is_open_but_never_in_a_session() {
    let t0 = Instant::now();
    let mut agent = installed_update(t0, Policy::default(), "forced", IN_SESSION);
    assert_eq!(until_interesting(&mut agent, t0, IN_SESSION, &mut Vec::new()), None);
    assert_eq!(until_interesting(&mut agent, t0, AT_REST_OPEN, &mut Vec::new()), Some(Command::Restart));

    let mut open_ok = installed_update(t0, Policy { restart_while_open: true }, "attempt", IN_SESSION);
    assert_eq!(until_interesting(&mut open_ok, t0, AT_REST_OPEN, &mut Vec::new()), Some(Command::Restart));
}

#[test]
fn a_download_that_does_not_match_the_servers_record_is_discarded_and_reported() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    let mut bodies = Vec::new();
    take_deployment(&mut agent, t0, "forced", None, &mut bodies);
    agent.on_downloaded(t0, Ok(Downloaded { sha256: "00".repeat(32), ..good_file() }));
    let mut discarded = false;
    while let Some(c) = agent.next(t0, AT_REST_CLOSED) {
        match c {
            Command::Discard => discarded = true,
            Command::Post { body, .. } => {
                bodies.push(body);
                agent.on_answer(t0, Ok((200, Vec::new())));
            }
            Command::Get { .. } => break,
            other => panic!("{other:?}"),
        }
    }
    assert!(discarded);
    assert_eq!(executions(&bodies).last().map(String::as_str), Some("closed/failure"));
    assert!(bodies.last().unwrap().contains("SHA-256"), "{}", bodies.last().unwrap());
}

#[test]
fn a_cut_download_continues_after_a_backoff_and_a_refused_install_is_a_failure() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    let mut bodies = Vec::new();
    take_deployment(&mut agent, t0, "forced", None, &mut bodies);
    agent.on_downloaded(t0, Err(cut("connection reset after 2048 bytes")));
    assert_eq!(until_interesting(&mut agent, t0, AT_REST_CLOSED, &mut bodies), None, "not at once");
    assert_eq!(agent.timeout(), Some(t0 + Duration::from_secs(5)));
    let t1 = t0 + Duration::from_secs(5);
    assert!(matches!(
        until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut bodies),
        Some(Command::Download { .. })
    ));
    agent.on_downloaded(t1, Ok(good_file()));
    assert_eq!(until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut bodies), Some(Command::Install));
    agent.on_installed(Err("RAUC says signature verification failed".into()));
    let next = until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut bodies);
    assert!(!matches!(next, Some(Command::Restart)), "{next:?}");
    assert_eq!(executions(&bodies).last().map(String::as_str), Some("closed/failure"));
    assert!(bodies.last().unwrap().contains("signature verification failed"));
}

#[test]
fn skip_and_a_closed_maintenance_window_hold_the_install_until_the_server_lifts_them() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    take_deployment(&mut agent, t0, "forced", Some("unavailable"), &mut Vec::new());
    agent.on_downloaded(t0, Ok(good_file()));
    assert_eq!(
        until_interesting(&mut agent, t0, AT_REST_CLOSED, &mut Vec::new()),
        None,
        "window closed: no install"
    );
    let t1 = t0 + Duration::from_secs(600);
    assert_eq!(
        until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut Vec::new()),
        Some(Command::Get { url: BASE.into() })
    );
    agent.on_answer(t1, Ok((200, base_with_deployment("00:10:00"))));
    assert!(matches!(
        until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut Vec::new()),
        Some(Command::Get { .. })
    ));
    agent.on_answer(t1, Ok((200, deployment("forced", Some("available")))));
    assert_eq!(until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut Vec::new()), Some(Command::Install));

    // download: skip is not taken at all.
    let mut skipper = new_agent(t0, Policy::default());
    assert!(matches!(
        until_interesting(&mut skipper, t0, AT_REST_CLOSED, &mut Vec::new()),
        Some(Command::Get { .. })
    ));
    skipper.on_answer(t0, Ok((200, base_with_deployment("00:10:00"))));
    assert!(matches!(
        until_interesting(&mut skipper, t0, AT_REST_CLOSED, &mut Vec::new()),
        Some(Command::Get { .. })
    ));
    let skip = String::from_utf8(deployment("forced", None))
        .unwrap()
        .replace(r#""download":"forced""#, r#""download":"skip""#);
    skipper.on_answer(t0, Ok((200, skip.into_bytes())));
    assert_eq!(until_interesting(&mut skipper, t0, AT_REST_CLOSED, &mut Vec::new()), None);
}

#[test]
fn a_cancel_stops_a_download_and_disarms_an_installed_trial_but_not_a_running_one() {
    let t0 = Instant::now();
    let cancel_base =
        format!(r#"{{"_links":{{"cancelAction":{{"href":"{BASE}/cancelAction/9"}}}}}}"#).into_bytes();
    let cancel = br#"{"id":"9","cancelAction":{"stopId":"5"}}"#.to_vec();
    let run_cancel = |agent: &mut Agent, now: Instant| -> (Vec<Command>, Vec<String>) {
        let mut seen = Vec::new();
        let mut bodies = Vec::new();
        let t = now + Duration::from_secs(600);
        assert_eq!(
            until_interesting(agent, t, IN_SESSION, &mut bodies),
            Some(Command::Get { url: BASE.into() })
        );
        agent.on_answer(t, Ok((200, cancel_base.clone())));
        assert_eq!(
            until_interesting(agent, t, IN_SESSION, &mut bodies),
            Some(Command::Get { url: format!("{BASE}/cancelAction/9") })
        );
        agent.on_answer(t, Ok((200, cancel.clone())));
        while let Some(c) = agent.next(t, AT_REST_CLOSED) {
            if let Command::Post { url, body } = &c {
                assert_eq!(url, &format!("{BASE}/cancelAction/9/feedback"));
                bodies.push(body.clone());
                agent.on_answer(t, Ok((200, Vec::new())));
            }
            seen.push(c);
        }
        (seen, bodies)
    };

    let mut downloading = new_agent(t0, Policy::default());
    take_deployment(&mut downloading, t0, "forced", None, &mut Vec::new());
    downloading.on_downloaded(t0, Err(cut("cut")));
    let (seen, bodies) = run_cancel(&mut downloading, t0);
    assert!(seen.contains(&Command::Discard) && !seen.contains(&Command::Install), "{seen:?}");
    assert_eq!(executions(&bodies), ["closed/success"]);

    let mut installed = installed_update(t0, Policy::default(), "attempt", AT_REST_OPEN);
    assert_eq!(until_interesting(&mut installed, t0, AT_REST_OPEN, &mut Vec::new()), None);
    let (seen, _) = run_cancel(&mut installed, t0);
    assert!(seen.contains(&Command::Disarm) && seen.contains(&Command::Persist(None)), "{seen:?}");
    assert!(!seen.contains(&Command::Restart), "{seen:?}");

    let pending = Pending {
        action: "5".into(),
        version: "1.4.0".into(),
        slot: "b".into(),
        feedback: format!("{BASE}/deploymentBase/5/feedback"),
    };
    let mut on_trial =
        Agent::new(BASE, "kiosk-rpi-arm64", "1.4.0", Policy::default(), Some(pending), Boot::OnTrial, t0);
    let (seen, bodies) = run_cancel(&mut on_trial, t0);
    assert!(!seen.contains(&Command::Disarm), "{seen:?}");
    assert_eq!(executions(&bodies), ["rejected/none"]);
}

#[test]
fn a_trial_that_rolled_back_is_reported_as_a_failure_once_and_its_record_kept_until_the_server_has_it() {
    let t0 = Instant::now();
    let pending = Pending {
        action: "5".into(),
        version: "1.4.0".into(),
        slot: "b".into(),
        feedback: format!("{BASE}/deploymentBase/5/feedback"),
    };
    for boot in [Boot::RolledBack, Boot::Committed { running: 'a' }] {
        let mut agent =
            Agent::new(BASE, "kiosk-rpi-arm64", "1.3.0", Policy::default(), Some(pending.clone()), boot, t0);
        // The server does not take it at first: the record stays, and the same action,
        // still offered, is not installed again.
        assert!(matches!(agent.next(t0, AT_REST_CLOSED), Some(Command::Post { .. })));
        agent.on_answer(t0, Ok((503, Vec::new())));
        assert_eq!(agent.next(t0, AT_REST_CLOSED), Some(Command::Get { url: BASE.into() }));
        agent.on_answer(t0, Ok((200, base_with_deployment("00:10:00"))));
        assert!(matches!(agent.next(t0, AT_REST_CLOSED), Some(Command::Put { .. })));
        agent.on_answer(t0, Ok((200, Vec::new())));
        assert!(matches!(agent.next(t0, AT_REST_CLOSED), Some(Command::Get { .. })));
        agent.on_answer(t0, Ok((200, deployment("forced", None))));
        assert_eq!(agent.next(t0, AT_REST_CLOSED), None, "{boot:?}: the failed action is not taken again");
        // Then it is taken: now the record goes.
        let t1 = t0 + Duration::from_secs(5);
        let Some(Command::Post { body, .. }) = agent.next(t1, AT_REST_CLOSED) else { panic!("{boot:?}") };
        assert_eq!(executions(std::slice::from_ref(&body)), ["closed/failure"], "{boot:?}");
        assert!(body.contains("rolled back"), "{body}");
        agent.on_answer(t1, Ok((200, Vec::new())));
        assert_eq!(agent.next(t1, AT_REST_CLOSED), Some(Command::Persist(None)), "{boot:?}");
        assert_eq!(agent.next(t1, AT_REST_CLOSED), None, "reported once");
    }
    // The trial's own slot committed is a success whatever the image's version string.
    let mut ok = Agent::new(
        BASE,
        "kiosk-rpi-arm64",
        "9.9.9",
        Policy::default(),
        Some(pending),
        Boot::Committed { running: 'b' },
        t0,
    );
    let Some(Command::Post { body, .. }) = ok.next(t0, AT_REST_CLOSED) else { panic!() };
    assert_eq!(executions(&[body]), ["closed/success"]);
}

#[test]
fn a_permanent_download_failure_closes_the_action_and_the_pending_record_must_be_written_before_a_restart() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    let mut bodies = Vec::new();
    take_deployment(&mut agent, t0, "forced", None, &mut bodies);
    let full = DownloadFailure {
        reason: "no room on the data partition".into(),
        permanent: true,
        progressed: false,
    };
    agent.on_downloaded(t0, Err(full));
    assert_eq!(until_interesting(&mut agent, t0, AT_REST_CLOSED, &mut bodies), None);
    assert_eq!(executions(&bodies).last().map(String::as_str), Some("closed/failure"));
    assert!(bodies.last().unwrap().contains("no room"));

    let mut agent = installed_update(t0, Policy::default(), "forced", AT_REST_CLOSED);
    let mut order = Vec::new();
    while let Some(c) = agent.next(t0, AT_REST_CLOSED) {
        match &c {
            Command::Post { .. } => agent.on_answer(t0, Ok((200, Vec::new()))),
            Command::Persist(Some(_)) => agent.on_persist_failed("No space left on device"),
            _ => {}
        }
        order.push(c);
    }
    assert!(!order.contains(&Command::Restart), "no restart without the record: {order:?}");
    assert!(order.contains(&Command::Disarm), "{order:?}");
}

#[test]
fn a_deployment_replaced_before_its_install_is_followed_and_a_download_that_progressed_backs_off_anew() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    take_deployment(&mut agent, t0, "forced", None, &mut Vec::new());
    agent.on_downloaded(t0, Err(cut("cut")));
    let t1 = t0 + Duration::from_secs(600);
    let replaced =
        String::from_utf8(deployment("forced", None)).unwrap().replace(r#""id":"5""#, r#""id":"6""#);
    let mut seen = Vec::new();
    while let Some(c) = agent.next(t1, AT_REST_CLOSED) {
        match &c {
            Command::Get { url } if url == BASE => {
                agent.on_answer(t1, Ok((200, base_with_deployment("00:10:00"))))
            }
            Command::Get { .. } => agent.on_answer(t1, Ok((200, replaced.clone().into_bytes()))),
            Command::Put { .. } | Command::Post { .. } => agent.on_answer(t1, Ok((200, Vec::new()))),
            Command::Download { .. } => {
                seen.push(c);
                break;
            }
            _ => {}
        }
        seen.push(c);
    }
    assert!(seen.contains(&Command::Discard), "the old part file goes: {seen:?}");
    assert!(matches!(seen.last(), Some(Command::Download { .. })), "{seen:?}");
    // Two cuts without progress double the wait; a cut after progress waits the first
    // backoff again.
    agent.on_downloaded(t1, Err(cut("cut")));
    let t2 = t1 + Duration::from_secs(5);
    assert!(matches!(agent.next(t2, AT_REST_CLOSED), Some(Command::Download { .. })));
    agent.on_downloaded(t2, Err(cut("cut")));
    assert_eq!(agent.timeout(), Some(t2 + Duration::from_secs(10)));
    let t3 = t2 + Duration::from_secs(10);
    assert!(matches!(agent.next(t3, AT_REST_CLOSED), Some(Command::Download { .. })));
    agent
        .on_downloaded(t3, Err(DownloadFailure { reason: "cut".into(), permanent: false, progressed: true }));
    assert_eq!(agent.timeout(), Some(t3 + Duration::from_secs(5)));
}

#[test]
fn the_poll_interval_is_the_servers_within_bounds_and_failures_back_off() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    assert_eq!(agent.next(t0, AT_REST_CLOSED), Some(Command::Get { url: BASE.into() }));
    agent.on_answer(t0, Err("connection refused".into()));
    assert_eq!(agent.timeout(), Some(t0 + Duration::from_secs(5)));
    let t1 = t0 + Duration::from_secs(5);
    assert_eq!(agent.next(t1, AT_REST_CLOSED), Some(Command::Get { url: BASE.into() }));
    agent.on_answer(t1, Ok((503, Vec::new())));
    assert_eq!(agent.timeout(), Some(t1 + Duration::from_secs(10)), "doubled");
    let t2 = t1 + Duration::from_secs(10);
    assert_eq!(agent.next(t2, AT_REST_CLOSED), Some(Command::Get { url: BASE.into() }));
    agent.on_answer(t2, Ok((200, br#"{"config":{"polling":{"sleep":"00:00:00"}},"_links":{}}"#.to_vec())));
    assert!(matches!(agent.next(t2, AT_REST_CLOSED), Some(Command::Put { .. })), "configData once");
    agent.on_answer(t2, Ok((200, Vec::new())));
    assert_eq!(agent.timeout(), Some(t2 + Duration::from_secs(1)), "no faster than MIN_POLL");
}

#[test]
fn a_deployment_the_server_withdraws_before_its_install_is_dropped() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    take_deployment(&mut agent, t0, "forced", None, &mut Vec::new());
    agent.on_downloaded(t0, Err(cut("cut")));
    let t1 = t0 + Duration::from_secs(600);
    assert_eq!(
        until_interesting(&mut agent, t1, AT_REST_CLOSED, &mut Vec::new()),
        Some(Command::Get { url: BASE.into() })
    );
    agent.on_answer(t1, Ok((200, br#"{"config":{"polling":{"sleep":"00:10:00"}},"_links":{}}"#.to_vec())));
    let mut seen = Vec::new();
    while let Some(c) = agent.next(t1, AT_REST_CLOSED) {
        seen.push(c);
    }
    assert_eq!(seen, [Command::Discard], "dropped, nothing downloaded or installed");
    assert_eq!(agent.timeout(), Some(t1 + Duration::from_secs(600)));
}

#[test]
fn an_installed_update_held_for_the_customer_sleeps_after_a_cut_download() {
    let t0 = Instant::now();
    let mut agent = new_agent(t0, Policy::default());
    take_deployment(&mut agent, t0, "forced", None, &mut Vec::new());
    agent.on_downloaded(t0, Err(cut("cut")));
    let t1 = t0 + Duration::from_secs(5);
    assert!(matches!(
        until_interesting(&mut agent, t1, IN_SESSION, &mut Vec::new()),
        Some(Command::Download { .. })
    ));
    agent.on_downloaded(t1, Ok(good_file()));
    assert_eq!(until_interesting(&mut agent, t1, IN_SESSION, &mut Vec::new()), Some(Command::Install));
    agent.on_installed(Ok(("1.4.0".into(), 'b')));
    assert_eq!(until_interesting(&mut agent, t1, IN_SESSION, &mut Vec::new()), None, "held for the customer");
    let wake = agent.timeout().unwrap();
    assert!(
        wake > t1,
        "no deadline that has passed to spin on: {:?} before now",
        t1.saturating_duration_since(wake)
    );
}
