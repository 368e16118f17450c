//! The rollout agent: one deployment at a time, from the server's poll to the end of the
//! update's trial boot, which may come several process lifetimes later (the pending record
//! on the data partition carries it over the restart).
//!
//! The I/O layer asks [`Agent::next`] what to do, does it, and tells the agent how it went
//! (`on_answer` for HTTP, `on_downloaded`, `on_installed`, `on_committed`); between
//! commands it sleeps until [`Agent::timeout`] or until the kiosk's state changes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::ddi::{self, Execution, Finished, Handling, Window};

/// Bounds on the server's polling interval: a server cannot make a fleet hammer it, nor
/// silence a device for more than a day.
pub const MIN_POLL: Duration = Duration::from_secs(1);
pub const MAX_POLL: Duration = Duration::from_secs(24 * 3600);
/// Until a server has said otherwise.
pub const FIRST_POLL: Duration = Duration::from_secs(60);
/// The first retry after a failed request or download; it doubles up to the poll interval.
pub const FIRST_RETRY: Duration = Duration::from_secs(5);

/// When an installed update may restart the kiosk into its trial.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Restart while the store is open (`fleet.restart_while_open`); a deployment the server
    /// marks `forced` restarts while open anyway. Never during a customer's session.
    pub restart_while_open: bool,
}

/// What the kiosk is doing, as far as a restart is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kiosk {
    /// No customer session and no payment: the start page with an empty cart.
    pub at_rest: bool,
    pub store_open: bool,
}

/// An installed update on its way through the trial boot, kept on the data partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub action: String,
    pub version: String,
    /// The slot it was installed into (`a` or `b`): a committed boot of that slot is the
    /// update's success, whatever version string the image itself carries.
    pub slot: String,
    /// Where its feedback goes.
    pub feedback: String,
}

impl Pending {
    pub fn to_json(&self) -> String {
        let fields = [
            ("action", &self.action),
            ("version", &self.version),
            ("slot", &self.slot),
            ("feedback", &self.feedback),
        ];
        serde_json::Value::Object(fields.iter().map(|(k, v)| (k.to_string(), v.as_str().into())).collect())
            .to_string()
    }

    pub fn from_json(text: &str) -> Result<Pending, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let field =
            |key: &str| v.get(key).and_then(|f| f.as_str()).map(str::to_owned).ok_or(format!("no {key}"));
        Ok(Pending {
            action: field("action")?,
            version: field("version")?,
            slot: field("slot")?,
            feedback: field("feedback")?,
        })
    }
}

/// How this process found the slots at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boot {
    /// The running slot (`a` or `b`) is committed and no trial is armed.
    Committed { running: char },
    /// An update is installed into the other slot and armed, not yet booted.
    Armed,
    /// The running slot is a trial, committed once the kiosk has run healthy.
    OnTrial,
    /// The last trial did not become healthy and the old slot runs again.
    RolledBack,
    /// The slots could not be read (or this is not one of our images): an update's
    /// record is kept and nothing is reported.
    Unknown,
}

/// What the I/O layer is to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Get {
        url: String,
    },
    Put {
        url: String,
        body: String,
    },
    Post {
        url: String,
        body: String,
    },
    /// Fetch the artifact into the download file, continuing a part already there when
    /// the server still serves the same file.
    Download {
        url: String,
        size: u64,
    },
    /// Remove the download file.
    Discard,
    /// Install the downloaded bundle into the inactive slot, without restarting.
    Install,
    /// Disarm an installed trial that is no longer wanted.
    Disarm,
    /// Write (or with `None` remove) the pending record.
    Persist(Option<Pending>),
    /// Reboot into the armed trial.
    Restart,
}

/// What answers the command in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Base,
    ConfigData,
    Deployment,
    Cancel,
    Feedback,
    Download,
    Install,
}

/// The download file's size and sums, taken by the I/O layer once it is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub size: u64,
    pub sha1: String,
    pub sha256: String,
}

/// Why a download did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadFailure {
    pub reason: String,
    /// Trying again cannot help (no room on the data partition, the artifact gone): the
    /// action is closed as failed.
    pub permanent: bool,
    /// The part file grew before the cut: the backoff starts over.
    pub progressed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Download,
    Downloaded,
    Installed,
}

#[derive(Debug, Clone)]
struct Job {
    id: String,
    version: String,
    url: String,
    artifact: ddi::Artifact,
    update: Handling,
    window: Option<Window>,
    step: Step,
    retry_at: Option<Instant>,
    failures: u32,
}

#[derive(Debug)]
enum State {
    Idle,
    Deploying(Box<Job>),
    /// Installed and armed in an earlier process; restarts under the same rules.
    Armed(Pending),
    /// Our update runs on trial: success once it is committed.
    Trial(Pending),
}

pub struct Agent {
    /// `{server}/{tenant}/controller/v1/{controller id}`.
    base: String,
    compatible: String,
    version: String,
    policy: Policy,
    interval: Duration,
    next_poll: Instant,
    poll_failures: u32,
    state: State,
    /// Requests and effects to do before anything else, in order.
    todo: VecDeque<(Command, Option<Want>)>,
    /// Feedback not yet taken by the server: (url, body, whether it closes the pending
    /// record's action, whose record is removed only once the server has it).
    outbox: VecDeque<(String, String, bool)>,
    /// The action whose outcome is being reported: not taken again meanwhile.
    closing: Option<String>,
    outbox_retry: Option<Instant>,
    outbox_failures: u32,
    in_flight: Option<Want>,
    config_sent: bool,
    log: Vec<String>,
}

/// Where the feedback of action `id` goes, under the device's resource `base`.
fn feedback_url(base: &str, id: &str) -> String {
    format!("{base}/deploymentBase/{id}/feedback")
}

/// A 4xx answer that asking again will not change (a malformed request, a thing gone); a
/// refused token, a proxy's login, a timeout or a busy server may change, and are not.
pub fn refused_for_good(status: u16) -> bool {
    (400..500).contains(&status) && ![401, 403, 407, 408, 429].contains(&status)
}

fn backoff(failures: u32, cap: Duration) -> Duration {
    (FIRST_RETRY * 2u32.saturating_pow(failures.saturating_sub(1).min(16))).min(cap.max(FIRST_RETRY))
}

impl Agent {
    /// `base` is the device's DDI resource; `version` the one running now; `pending` the
    /// record an earlier process left, read together with `boot`.
    pub fn new(
        base: &str,
        compatible: &str,
        version: &str,
        policy: Policy,
        pending: Option<Pending>,
        boot: Boot,
        now: Instant,
    ) -> Agent {
        let mut agent = Agent {
            base: base.trim_end_matches('/').to_owned(),
            compatible: compatible.to_owned(),
            version: version.to_owned(),
            policy,
            interval: FIRST_POLL,
            next_poll: now,
            poll_failures: 0,
            state: State::Idle,
            todo: VecDeque::new(),
            outbox: VecDeque::new(),
            outbox_retry: None,
            outbox_failures: 0,
            closing: None,
            in_flight: None,
            config_sent: false,
            log: Vec::new(),
        };
        if let Some(p) = pending {
            match boot {
                Boot::Armed => agent.state = State::Armed(p),
                Boot::OnTrial => agent.state = State::Trial(p),
                Boot::Committed { running } if p.slot.starts_with(running) => agent.succeeded(p),
                Boot::Unknown => {
                    agent.say(format!(
                        "the slots cannot be read: the outcome of {} is not reported",
                        p.version
                    ));
                    agent.closing = Some(p.action);
                }
                Boot::Committed { .. } | Boot::RolledBack => {
                    let why = format!(
                        "the trial boot of {} did not become healthy; {version} runs again (rolled back)",
                        p.version
                    );
                    agent.closing = Some(p.action.clone());
                    agent.close_pending(&p.feedback, Finished::Failure, &why);
                }
            }
        }
        agent
    }

    /// Lines worth a log entry since the last call (the I/O layer logs them).
    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    fn say(&mut self, line: String) {
        self.log.push(line);
    }

    fn send(&mut self, url: &str, execution: Execution, finished: Finished, details: &str) {
        let id = url.rsplit('/').nth(1).unwrap_or_default().to_owned();
        self.outbox.push_back((url.to_owned(), ddi::feedback(&id, execution, finished, details), false));
    }

    /// Closes the pending record's action; the record goes once the server has the answer.
    fn close_pending(&mut self, url: &str, finished: Finished, details: &str) {
        self.close(url, finished, details);
        if let Some(last) = self.outbox.back_mut() {
            last.2 = true;
        }
    }

    fn close(&mut self, url: &str, finished: Finished, details: &str) {
        self.say(format!(
            "update {}: {details}",
            if finished == Finished::Success { "done" } else { "failed" }
        ));
        self.send(url, Execution::Closed, finished, details);
    }

    fn succeeded(&mut self, p: Pending) {
        let details = format!("{} runs, committed after its trial boot", p.version);
        self.closing = Some(p.action.clone());
        self.close_pending(&p.feedback, Finished::Success, &details);
        self.state = State::Idle;
    }

    /// The trial slot was committed (the kiosk ran healthy on it).
    pub fn on_committed(&mut self) {
        if let State::Trial(p) = std::mem::replace(&mut self.state, State::Idle) {
            self.succeeded(p);
        }
    }

    /// When [`Agent::next`] may have something to do, if nothing else happens first.
    pub fn timeout(&self) -> Option<Instant> {
        if self.in_flight.is_some() {
            return None;
        }
        let mut at = Some(self.next_poll);
        let mut earliest = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a| a.min(t)));
            }
        };
        if !self.outbox.is_empty() {
            earliest(self.outbox_retry);
        }
        if let State::Deploying(job) = &self.state
            && job.step == Step::Download
        {
            earliest(job.retry_at);
        }
        at
    }

    fn may_restart(&self, kiosk: Kiosk, update: Handling) -> bool {
        kiosk.at_rest && (update == Handling::Forced || !kiosk.store_open || self.policy.restart_while_open)
    }

    fn issue(&mut self, command: Command, want: Option<Want>) -> Option<Command> {
        self.in_flight = want;
        Some(command)
    }

    /// The next thing to do, or `None` until [`Agent::timeout`] or a change of `kiosk`.
    pub fn next(&mut self, now: Instant, kiosk: Kiosk) -> Option<Command> {
        if self.in_flight.is_some() {
            return None;
        }
        if let Some((command, want)) = self.todo.pop_front() {
            return self.issue(command, want);
        }
        if let Some((url, body, _)) = self.outbox.front()
            && self.outbox_retry.is_none_or(|t| now >= t)
        {
            let command = Command::Post { url: url.clone(), body: body.clone() };
            return self.issue(command, Some(Want::Feedback));
        }
        // A poll is short and may bring a cancel or a changed handling: it goes first.
        if now >= self.next_poll {
            let url = self.base.clone();
            return self.issue(Command::Get { url }, Some(Want::Base));
        }
        match &self.state {
            State::Deploying(job) => match job.step {
                Step::Download if job.retry_at.is_none_or(|t| now >= t) => {
                    let command = Command::Download { url: job.url.clone(), size: job.artifact.size };
                    return self.issue(command, Some(Want::Download));
                }
                Step::Downloaded
                    if job.update != Handling::Skip && job.window != Some(Window::Unavailable) =>
                {
                    return self.issue(Command::Install, Some(Want::Install));
                }
                Step::Installed
                    if self.may_restart(kiosk, job.update) && job.window != Some(Window::Unavailable) =>
                {
                    let line = format!("restarting into {} on trial", job.version);
                    self.say(line);
                    return self.issue(Command::Restart, None);
                }
                _ => {}
            },
            State::Armed(p) if self.may_restart(kiosk, Handling::Attempt) => {
                let line = format!("restarting into {} on trial", p.version);
                self.say(line);
                return self.issue(Command::Restart, None);
            }
            _ => {}
        }
        None
    }

    /// The answer to the HTTP request in flight: `Ok((status, body))`, or `Err` when none
    /// came (connection refused, timeout).
    pub fn on_answer(&mut self, now: Instant, answer: Result<(u16, Vec<u8>), String>) {
        let Some(want) = self.in_flight.take() else { return };
        let ok = match &answer {
            Ok((status, _)) => (200..300).contains(status),
            Err(_) => false,
        };
        let body = answer.as_ref().map(|(_, b)| b.as_slice()).unwrap_or_default();
        match want {
            Want::Base if ok => self.on_base(now, body),
            Want::Base => {
                self.poll_failures += 1;
                self.next_poll = now + backoff(self.poll_failures, self.interval);
                let why = match &answer {
                    Ok((status, _)) => format!("HTTP {status}"),
                    Err(e) => e.clone(),
                };
                self.say(format!("rollout server: {why}; polling again in {:?}", self.next_poll - now));
            }
            Want::ConfigData if ok => {}
            Want::ConfigData => {
                self.config_sent = false;
                self.say(format!("rollout server refused configData: {}", Self::what(&answer)));
            }
            Want::Deployment if ok => self.on_deployment(body),
            Want::Cancel if ok => self.on_cancel(body),
            Want::Feedback => {
                // Taken, or refused for good (a malformed body will not change; a refused
                // token or a busy server may): either way the entry is done.
                let permanent = matches!(&answer, Ok((s, _)) if refused_for_good(*s));
                if ok || permanent {
                    if !ok {
                        self.say(format!(
                            "rollout server refused a feedback for good: {}",
                            Self::what(&answer)
                        ));
                    }
                    if self.outbox.pop_front().is_some_and(|(_, _, closes)| closes) {
                        self.closing = None;
                        self.todo.push_back((Command::Persist(None), None));
                    }
                    self.outbox_failures = 0;
                    self.outbox_retry = None;
                } else {
                    // Tried again later, behind the others, so one cannot hold them all up.
                    self.outbox.rotate_left(1);
                    self.outbox_failures += 1;
                    self.outbox_retry = Some(now + backoff(self.outbox_failures, self.interval));
                }
            }
            Want::Deployment | Want::Cancel => {
                self.say(format!("rollout server: {}", Self::what(&answer)));
            }
            Want::Download | Want::Install => self.in_flight = Some(want),
        }
    }

    fn what(answer: &Result<(u16, Vec<u8>), String>) -> String {
        match answer {
            Ok((status, _)) => format!("HTTP {status}"),
            Err(e) => e.clone(),
        }
    }

    fn on_base(&mut self, now: Instant, body: &[u8]) {
        self.poll_failures = 0;
        let base = match ddi::Base::parse(body) {
            Ok(b) => b,
            Err(e) => {
                self.say(format!("rollout server: its answer is not a DDI base resource: {e}"));
                self.next_poll = now + self.interval;
                return;
            }
        };
        if let Some(sleep) = base.sleep.as_deref().and_then(ddi::parse_sleep) {
            self.interval = sleep.clamp(MIN_POLL, MAX_POLL);
        }
        self.next_poll = now + self.interval;
        if base.config_data.is_some() || !self.config_sent {
            self.config_sent = true;
            let url = base.config_data.map_or_else(|| format!("{}/configData", self.base), |l| l.href);
            let body = ddi::config_data(&self.compatible, &self.version);
            self.todo.push_back((Command::Put { url, body }, Some(Want::ConfigData)));
        }
        if let Some(cancel) = base.cancel_action {
            self.todo.push_back((Command::Get { url: cancel.href }, Some(Want::Cancel)));
        }
        match base.deployment_base {
            Some(deployment) => {
                self.todo.push_back((Command::Get { url: deployment.href }, Some(Want::Deployment)))
            }
            None => {
                // The server no longer offers the action (unassigned, or the device pinned,
                // as goosebit cancels): a job not yet installed is dropped.
                if let State::Deploying(job) = &self.state
                    && job.step != Step::Installed
                {
                    let line =
                        format!("deployment {} withdrawn by the server before it was installed", job.id);
                    self.say(line);
                    self.state = State::Idle;
                    self.todo.push_back((Command::Discard, None));
                }
            }
        }
    }

    fn on_deployment(&mut self, body: &[u8]) {
        // goosebit answers `null` when it has nothing for the device after all.
        let d = match ddi::DeploymentBase::parse(body) {
            Ok(d) => d,
            // goosebit's `null` (nothing after all) is not worth a line; anything else is.
            Err(_) if body.trim_ascii() == b"null" => return,
            Err(e) => return self.say(format!("rollout server: a deployment that cannot be read: {e}")),
        };
        if self.closing.as_deref() == Some(d.id.as_str()) {
            // Its outcome is on its way to the server: it is not taken again.
            return;
        }
        if let State::Deploying(job) = &mut self.state {
            if job.id == d.id {
                // The same action again: its handling or maintenance window may have changed.
                job.update = d.deployment.update;
                job.window = d.deployment.maintenance_window;
                return;
            }
            if job.step != Step::Installed {
                // The server replaced it (goosebit serves the new one at the same URL).
                let line = format!("deployment {} replaced by {} before it was installed", job.id, d.id);
                self.say(line);
                self.state = State::Idle;
            }
        }
        if !matches!(self.state, State::Idle) {
            // Busy with another action: one deployment at a time; the server offers this
            // one again later.
            return;
        }
        if d.deployment.download == Handling::Skip {
            return;
        }
        let feedback = feedback_url(&self.base, &d.id);
        let chunk = d.deployment.chunks.iter().find(|c| c.part == "os").or(d.deployment.chunks.first());
        let artifact = chunk.and_then(|c| {
            c.artifacts.iter().find(|a| a.filename.ends_with(".raucb")).or(c.artifacts.first())
        });
        let (Some(chunk), Some(artifact)) = (chunk, artifact) else {
            self.close(&feedback, Finished::Failure, "the deployment holds no artifact to install");
            return;
        };
        let Some(url) = artifact.links.download.as_ref().or(artifact.links.download_http.as_ref()) else {
            self.close(&feedback, Finished::Failure, "the artifact has no download link");
            return;
        };
        if artifact.hashes.sha1.is_none() && artifact.hashes.sha256.is_none() {
            self.close(
                &feedback,
                Finished::Failure,
                "the artifact has no SHA-1 or SHA-256 to check the download by",
            );
            return;
        }
        let version = if chunk.version.is_empty() { d.id.clone() } else { chunk.version.clone() };
        self.say(format!("deployment {}: {version} ({} bytes)", d.id, artifact.size));
        self.send(&feedback, Execution::Proceeding, Finished::None, &format!("downloading {version}"));
        self.state = State::Deploying(Box::new(Job {
            id: d.id,
            version,
            url: url.href.clone(),
            artifact: artifact.clone(),
            update: d.deployment.update,
            window: d.deployment.maintenance_window,
            step: Step::Download,
            retry_at: None,
            failures: 0,
        }));
        // A part file of another action must not be continued.
        self.todo.push_back((Command::Discard, None));
    }

    fn on_cancel(&mut self, body: &[u8]) {
        let c = match ddi::CancelAction::parse(body) {
            Ok(c) => c,
            Err(e) => return self.say(format!("rollout server: a cancel that cannot be read: {e}")),
        };
        let url = format!("{}/cancelAction/{}/feedback", self.base, c.id);
        let stop = c.stop_id;
        match &self.state {
            State::Deploying(job) if job.id == stop => {
                let installed = job.step == Step::Installed;
                if installed {
                    self.todo.push_back((Command::Disarm, None));
                    self.todo.push_back((Command::Persist(None), None));
                }
                self.todo.push_back((Command::Discard, None));
                self.state = State::Idle;
                let details = if installed {
                    "cancelled before the restart; the trial is disarmed"
                } else {
                    "cancelled before it was installed"
                };
                self.say(format!("deployment {stop}: {details}"));
                self.send(&url, Execution::Closed, Finished::Success, details);
            }
            State::Armed(p) if p.action == stop => {
                self.todo.push_back((Command::Disarm, None));
                self.todo.push_back((Command::Persist(None), None));
                self.state = State::Idle;
                self.send(
                    &url,
                    Execution::Closed,
                    Finished::Success,
                    "cancelled before the restart; the trial is disarmed",
                );
            }
            State::Trial(p) if p.action == stop => {
                self.send(
                    &url,
                    Execution::Rejected,
                    Finished::None,
                    "already running on trial; it commits or rolls back by itself",
                );
            }
            _ => self.send(&url, Execution::Closed, Finished::Success, "not running here"),
        }
    }

    /// The download in flight ended: the file complete (its size and sums), or cut.
    pub fn on_downloaded(&mut self, now: Instant, result: Result<Downloaded, DownloadFailure>) {
        if self.in_flight != Some(Want::Download) {
            return;
        }
        self.in_flight = None;
        let interval = self.interval;
        let State::Deploying(job) = &mut self.state else { return };
        match result {
            Err(f) if f.permanent => {
                let feedback = feedback_url(&self.base, &job.id);
                self.state = State::Idle;
                self.todo.push_back((Command::Discard, None));
                self.close(&feedback, Finished::Failure, &format!("the download failed: {}", f.reason));
            }
            Err(f) => {
                if f.progressed {
                    job.failures = 0;
                }
                job.failures += 1;
                let wait = backoff(job.failures, interval);
                job.retry_at = Some(now + wait);
                let line =
                    format!("download of {} interrupted ({}); continuing in {wait:?}", job.version, f.reason);
                self.say(line);
            }
            Ok(d) => {
                let want = &job.artifact.hashes;
                let mismatch = if d.size != job.artifact.size {
                    Some(format!("{} bytes, the server's record says {}", d.size, job.artifact.size))
                } else if want.sha256.as_ref().is_some_and(|h| !h.eq_ignore_ascii_case(&d.sha256)) {
                    Some(format!(
                        "SHA-256 {}, the server's record says {}",
                        d.sha256,
                        want.sha256.as_deref().unwrap_or("")
                    ))
                } else if want.sha1.as_ref().is_some_and(|h| !h.eq_ignore_ascii_case(&d.sha1)) {
                    Some(format!(
                        "SHA-1 {}, the server's record says {}",
                        d.sha1,
                        want.sha1.as_deref().unwrap_or("")
                    ))
                } else {
                    None
                };
                let feedback = feedback_url(&self.base, &job.id);
                match mismatch {
                    Some(why) => {
                        let details =
                            format!("the download does not match the artifact: {why}; nothing was installed");
                        self.state = State::Idle;
                        self.todo.push_back((Command::Discard, None));
                        self.close(&feedback, Finished::Failure, &details);
                    }
                    None => {
                        job.step = Step::Downloaded;
                        job.retry_at = None;
                        job.failures = 0;
                        let details = format!("downloaded {} bytes, sums match", d.size);
                        self.send(&feedback, Execution::Downloaded, Finished::None, &details);
                    }
                }
            }
        }
    }

    /// The install in flight ended: the version the bundle's signed manifest names and the
    /// slot it went to, or why it was refused (nothing was armed then).
    pub fn on_installed(&mut self, result: Result<(String, char), String>) {
        if self.in_flight != Some(Want::Install) {
            return;
        }
        self.in_flight = None;
        let State::Deploying(job) = &mut self.state else { return };
        let feedback = feedback_url(&self.base, &job.id);
        self.todo.push_back((Command::Discard, None));
        match result {
            Ok((version, slot)) => {
                job.step = Step::Installed;
                job.version = version.clone();
                let pending = Pending {
                    action: job.id.clone(),
                    version: version.clone(),
                    slot: slot.to_string(),
                    feedback: feedback.clone(),
                };
                self.todo.push_back((Command::Persist(Some(pending)), None));
                let details = format!(
                    "installed {version} into the inactive slot; restarting into it when the kiosk is at rest"
                );
                self.say(details.clone());
                self.send(&feedback, Execution::Proceeding, Finished::None, &details);
            }
            Err(why) => {
                self.state = State::Idle;
                self.close(&feedback, Finished::Failure, &format!("refused: {why}"));
            }
        }
    }

    /// The pending record could not be written: a restart now would leave the trial's
    /// outcome unreported, so the update is disarmed and reported as failed instead.
    pub fn on_persist_failed(&mut self, why: &str) {
        let installed = match &self.state {
            State::Deploying(job) if job.step == Step::Installed => Some(job.id.clone()),
            State::Armed(p) => Some(p.action.clone()),
            _ => None,
        };
        if let Some(id) = installed {
            self.state = State::Idle;
            self.todo.push_back((Command::Disarm, None));
            let details =
                format!("the update's record cannot be kept on the data partition ({why}); disarmed");
            self.close(&feedback_url(&self.base, &id), Finished::Failure, &details);
        }
    }
}
