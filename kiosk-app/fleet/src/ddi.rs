//! DDI's wire types, as hawkBit (and goosebit) send and take them. Only what the agent
//! reads is modelled; unknown fields are ignored, and optional ones default, so servers
//! that leave some out (goosebit gives an artifact's SHA-1 only) are read too.

use std::time::Duration;

use serde_json::Value;

// Read through `serde_json::Value` rather than derived deserializers: the device binary has
// a hard size budget, and each derived one costs kilobytes where these share one parser.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
}

fn link(v: &Value, name: &str) -> Option<Link> {
    let href = v.get("_links")?.get(name)?.get("href")?.as_str()?;
    Some(Link { href: href.to_owned() })
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// An id as hawkBit writes it (a string) or as some servers do (a number).
fn id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn object(body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if v.is_object() { Ok(v) } else { Err("not a JSON object".into()) }
}

/// `GET {tenant}/controller/v1/{id}`: when to poll next and what is waiting.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// `config.polling.sleep`, `HH:MM:SS`.
    pub sleep: Option<String>,
    pub deployment_base: Option<Link>,
    pub config_data: Option<Link>,
    pub cancel_action: Option<Link>,
}

impl Base {
    pub fn parse(body: &[u8]) -> Result<Base, String> {
        let v = object(body)?;
        Ok(Base {
            sleep: v.pointer("/config/polling/sleep").and_then(Value::as_str).map(str::to_owned),
            deployment_base: link(&v, "deploymentBase"),
            config_data: link(&v, "configData"),
            cancel_action: link(&v, "cancelAction"),
        })
    }
}

/// How the server wants a step handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    Skip,
    Attempt,
    Forced,
}

fn handling(v: &Value, key: &str) -> Result<Handling, String> {
    match v.get(key).and_then(Value::as_str) {
        Some("skip") => Ok(Handling::Skip),
        Some("attempt") => Ok(Handling::Attempt),
        Some("forced") => Ok(Handling::Forced),
        other => Err(format!("deployment.{key} is {other:?}, not skip, attempt or forced")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Available,
    Unavailable,
}

#[derive(Debug, Clone)]
pub struct DeploymentBase {
    pub id: String,
    pub deployment: Deployment,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub download: Handling,
    pub update: Handling,
    pub maintenance_window: Option<Window>,
    pub chunks: Vec<Chunk>,
}

#[derive(Debug, Clone)]
pub struct Chunk {
    pub part: String,
    pub version: String,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub filename: String,
    pub hashes: Hashes,
    pub size: u64,
    pub links: ArtifactLinks,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashes {
    pub sha1: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactLinks {
    pub download: Option<Link>,
    pub download_http: Option<Link>,
}

fn artifact(v: &Value) -> Option<Artifact> {
    let hashes = v.get("hashes").cloned().unwrap_or(Value::Null);
    Some(Artifact {
        filename: text(v, "filename")?,
        hashes: Hashes {
            sha1: text(&hashes, "sha1"),
            md5: text(&hashes, "md5"),
            sha256: text(&hashes, "sha256"),
        },
        size: v.get("size")?.as_u64()?,
        links: ArtifactLinks { download: link(v, "download"), download_http: link(v, "download-http") },
    })
}

impl DeploymentBase {
    /// goosebit answers `null` when it has nothing after all: an error here, ignored.
    pub fn parse(body: &[u8]) -> Result<DeploymentBase, String> {
        let v = object(body)?;
        let d = v.get("deployment").ok_or("no deployment")?;
        let maintenance_window = match d.get("maintenanceWindow").and_then(Value::as_str) {
            Some("available") => Some(Window::Available),
            Some("unavailable") => Some(Window::Unavailable),
            _ => None,
        };
        let chunks = d.get("chunks").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let chunks = chunks
            .iter()
            .map(|c| {
                let artifacts =
                    c.get("artifacts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                Ok(Chunk {
                    part: text(c, "part").unwrap_or_default(),
                    version: text(c, "version").unwrap_or_default(),
                    artifacts: artifacts
                        .iter()
                        .map(|a| {
                            artifact(a).ok_or_else(|| format!("an artifact without filename or size: {a}"))
                        })
                        .collect::<Result<_, String>>()?,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(DeploymentBase {
            id: id(v.get("id")).ok_or("no id")?,
            deployment: Deployment {
                download: handling(d, "download")?,
                update: handling(d, "update")?,
                maintenance_window,
                chunks,
            },
        })
    }
}

/// `GET …/cancelAction/{id}`.
#[derive(Debug, Clone)]
pub struct CancelAction {
    pub id: String,
    pub stop_id: String,
}

impl CancelAction {
    pub fn parse(body: &[u8]) -> Result<CancelAction, String> {
        let v = object(body)?;
        Ok(CancelAction {
            id: id(v.get("id")).ok_or("no id")?,
            stop_id: id(v.pointer("/cancelAction/stopId")).ok_or("no cancelAction.stopId")?,
        })
    }
}

/// `status.execution` of a feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    Proceeding,
    Downloaded,
    Scheduled,
    Rejected,
    Closed,
}

impl Execution {
    fn as_str(self) -> &'static str {
        match self {
            Execution::Proceeding => "proceeding",
            Execution::Downloaded => "downloaded",
            Execution::Scheduled => "scheduled",
            Execution::Rejected => "rejected",
            Execution::Closed => "closed",
        }
    }
}

/// `status.result.finished`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Success,
    Failure,
    None,
}

impl Finished {
    fn as_str(self) -> &'static str {
        match self {
            Finished::Success => "success",
            Finished::Failure => "failure",
            Finished::None => "none",
        }
    }
}

/// The body of `POST …/deploymentBase/{id}/feedback` and `…/cancelAction/{id}/feedback`.
pub fn feedback(id: &str, execution: Execution, finished: Finished, details: &str) -> String {
    serde_json::json!({
        "id": id,
        "status": {
            "execution": execution.as_str(),
            "result": { "finished": finished.as_str() },
            "details": [details],
        }
    })
    .to_string()
}

/// The body of `PUT …/configData`: the attributes a server matches software by (goosebit
/// takes `hw_boardname` as the RAUC `compatible`) and the version running.
pub fn config_data(compatible: &str, version: &str) -> String {
    serde_json::json!({
        "mode": "merge",
        "data": { "hw_boardname": compatible, "hw_revision": "default", "sw_version": version },
    })
    .to_string()
}

/// `HH:MM:SS` as hawkBit writes polling intervals.
pub fn parse_sleep(text: &str) -> Option<Duration> {
    let mut parts = text.trim().split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    (parts.next().is_none() && m < 60 && s < 60).then(|| Duration::from_secs(h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_goosebits_deployment_with_only_a_sha1() {
        let body = br#"{"id":"1","deployment":{"download":"forced","update":"forced","chunks":[{"part":"os","version":"1.2.3","name":"out.raucb",
  "artifacts":[{"filename":"out.raucb","hashes":{"sha1":"62a1169399718de470ecb755085a8ed12169e671"},"size":4199154,
  "_links":{"download":{"href":"http://127.0.0.1:60153/DEFAULT/controller/v1/dev-1/download"}}}]}]}}"#;
        let d = DeploymentBase::parse(body).unwrap();
        assert_eq!(d.id, "1");
        assert_eq!((d.deployment.download, d.deployment.update), (Handling::Forced, Handling::Forced));
        let a = &d.deployment.chunks[0].artifacts[0];
        assert_eq!(a.size, 4_199_154);
        assert_eq!(a.hashes.sha1.as_deref(), Some("62a1169399718de470ecb755085a8ed12169e671"));
        assert_eq!(a.hashes.sha256, None);
    }

    #[test]
    fn reads_hawkbits_base_and_sleep() {
        let body = br#"{"config":{"polling":{"sleep":"00:05:00"}},"_links":{"deploymentBase":{"href":"https://h/DEFAULT/controller/v1/k1/deploymentBase/7?c=-2"},"configData":{"href":"https://h/DEFAULT/controller/v1/k1/configData"}}}"#;
        let b = Base::parse(body).unwrap();
        assert_eq!(b.sleep.as_deref().and_then(parse_sleep), Some(Duration::from_secs(300)));
        assert!(b.deployment_base.unwrap().href.ends_with("/7?c=-2"));
        assert!(b.config_data.is_some() && b.cancel_action.is_none());
        assert!(Base::parse(b"null").is_err() && DeploymentBase::parse(b"null").is_err());
        let numeric = CancelAction::parse(br#"{"id":9,"cancelAction":{"stopId":5}}"#).unwrap();
        assert_eq!((numeric.id.as_str(), numeric.stop_id.as_str()), ("9", "5"));
        for bad in ["", "5", "00:60:00", "a:b:c", "1:2:3:4"] {
            assert_eq!(parse_sleep(bad), None, "{bad}");
        }
        assert_eq!(parse_sleep("26:00:01"), Some(Duration::from_secs(26 * 3600 + 1)));
    }

    #[test]
    fn feedback_is_what_goosebit_and_hawkbit_take() {
        let f: serde_json::Value =
            serde_json::from_str(&feedback("3", Execution::Closed, Finished::Failure, "why")).unwrap();
        assert_eq!(
            f,
            serde_json::json!({"id":"3","status":{"execution":"closed","result":{"finished":"failure"},"details":["why"]}})
        );
    }
}
