//! A job in the page's address, to share: the editor's text (SQL, PySpark or the
//! pipeline), the settings it runs with and the schedule's parameters, never data.
//! `#job=` + base64url of JSON, so it survives any messenger.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kiln_pipeline::Pipeline;
use serde::{Deserialize, Serialize};

const PREFIX: &str = "#job=";

/// What a shared link carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedJob {
    /// `sql`, `pyspark` or `pipeline`.
    pub mode: String,
    #[serde(default)]
    pub sql: Option<String>,
    #[serde(default)]
    pub program: Option<String>,
    #[serde(default)]
    pub pipeline: Option<Pipeline>,
    /// Tasks per shuffle (`None`: twice the workers), split size.
    #[serde(default)]
    pub partitions: Option<usize>,
    #[serde(default)]
    pub split_mb: Option<u64>,
    /// The schedule: its cadence key and `{{service}}`.
    #[serde(default)]
    pub cadence: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
}

/// The address fragment for `job`.
pub fn encode(job: &SharedJob) -> String {
    let json = serde_json::to_string(job).unwrap_or_default();
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json.as_bytes()))
}

/// The job in an address fragment: `None` when there is none, an error when the link
/// is damaged.
pub fn decode(hash: &str) -> Option<Result<SharedJob, String>> {
    let payload = hash.strip_prefix(PREFIX)?;
    Some(
        URL_SAFE_NO_PAD
            .decode(payload.trim())
            .map_err(|e| format!("the link's job is not valid base64 ({e})"))
            .and_then(|bytes| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| format!("the link's job cannot be read ({e})"))
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_survives_the_address_and_a_damaged_one_says_so() {
        let job = SharedJob {
            mode: "sql".into(),
            sql: Some("SELECT 'ünïcode', 1 + 1 -- {{month}}".into()),
            program: None,
            pipeline: None,
            partitions: Some(4),
            split_mb: Some(64),
            cadence: Some("daily".into()),
            service: Some("green".into()),
        };
        let hash = encode(&job);
        assert!(hash.starts_with("#job="));
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_alphanumeric() || "#=_-".contains(c)),
            "{hash}"
        );
        assert_eq!(decode(&hash), Some(Ok(job)));
        assert_eq!(decode("#other"), None);
        assert!(matches!(decode("#job=%%%"), Some(Err(_))));
        assert!(
            matches!(decode("#job=e30"), Some(Err(_))),
            "{{}} lacks the mode"
        );
    }
}
