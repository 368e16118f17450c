//! DDI's wire types, as hawkBit (and goosebit) send and take them. Only what the agent
//! reads is modelled; unknown fields are ignored, and optional ones default, so servers
//! that leave some out (goosebit gives an artifact's SHA-1 only) are read too.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Link {
    pub href: String,
}

/// `GET {tenant}/controller/v1/{id}`: when to poll next and what is waiting.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Base {
    #[serde(default)]
    pub config: Option<BaseConfig>,
    #[serde(rename = "_links", default)]
    pub links: BaseLinks,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BaseConfig {
    #[serde(default)]
    pub polling: Option<Polling>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Polling {
    /// `HH:MM:SS`.
    pub sleep: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BaseLinks {
    #[serde(rename = "deploymentBase")]
    pub deployment_base: Option<Link>,
    #[serde(rename = "configData")]
    pub config_data: Option<Link>,
    #[serde(rename = "cancelAction")]
    pub cancel_action: Option<Link>,
}

/// How the server wants a step handled.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Handling {
    Skip,
    Attempt,
    Forced,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Available,
    Unavailable,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeploymentBase {
    pub id: String,
    pub deployment: Deployment,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    pub download: Handling,
    pub update: Handling,
    #[serde(rename = "maintenanceWindow", default)]
    pub maintenance_window: Option<Window>,
    #[serde(default)]
    pub chunks: Vec<Chunk>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Chunk {
    #[serde(default)]
    pub part: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Artifact {
    pub filename: String,
    #[serde(default)]
    pub hashes: Hashes,
    pub size: u64,
    #[serde(rename = "_links", default)]
    pub links: ArtifactLinks,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Hashes {
    pub sha1: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ArtifactLinks {
    pub download: Option<Link>,
    #[serde(rename = "download-http")]
    pub download_http: Option<Link>,
}

/// `GET …/cancelAction/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CancelAction {
    pub id: String,
    #[serde(rename = "cancelAction")]
    pub cancel_action: CancelStop,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CancelStop {
    #[serde(rename = "stopId")]
    pub stop_id: String,
}

/// `status.execution` of a feedback.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Execution {
    Proceeding,
    Downloaded,
    Scheduled,
    Rejected,
    Closed,
}

/// `status.result.finished`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Finished {
    Success,
    Failure,
    None,
}

/// The body of `POST …/deploymentBase/{id}/feedback` and `…/cancelAction/{id}/feedback`.
pub fn feedback(id: &str, execution: Execution, finished: Finished, details: &str) -> String {
    serde_json::json!({
        "id": id,
        "status": {
            "execution": execution,
            "result": { "finished": finished },
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
        let d: DeploymentBase = serde_json::from_slice(body).unwrap();
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
        let b: Base = serde_json::from_slice(body).unwrap();
        assert_eq!(parse_sleep(&b.config.unwrap().polling.unwrap().sleep), Some(Duration::from_secs(300)));
        assert!(b.links.deployment_base.unwrap().href.ends_with("/7?c=-2"));
        assert!(b.links.config_data.is_some() && b.links.cancel_action.is_none());
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
