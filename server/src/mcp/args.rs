//! Reading tool arguments strictly, with the HTTP API's own JSON reader, so a wrong argument
//! gets the same field-naming message over MCP as over HTTP.

use std::time::Duration;

use dgx_pixels_protocol::limits;
use dgx_pixels_protocol::mcp::MAX_WAIT_SECONDS;
use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, parse_json};

/// `args` as a `T`: unknown fields refused, the offending field named.
pub(crate) fn parse_args<T: DeserializeOwned>(args: JsonObject) -> Result<T, ApiError> {
    let bytes = serde_json::to_vec(&args).map_err(|err| ApiError::Internal(format!("re-encoding arguments: {err}")))?;
    parse_json(&bytes).map_err(|err| match err {
        // A position in JSON the client never saw would only confuse it.
        ApiError::Invalid { field, message } => {
            let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(head, _)| head).to_owned();
            ApiError::Invalid { field, message }
        }
        other => other,
    })
}

/// Removes `wait_seconds` from `args` (for tools whose other arguments are a generate request)
/// and returns it.
pub(crate) fn take_wait_seconds(args: &mut JsonObject) -> Result<Option<u32>, ApiError> {
    let Some(value) = args.remove("wait_seconds") else { return Ok(None) };
    let seconds = value.as_u64().and_then(|seconds| u32::try_from(seconds).ok());
    let bad =
        || ApiError::invalid("wait_seconds", format!("`wait_seconds` must be a whole number of seconds, got {value}"));
    seconds.map(Some).ok_or_else(bad)
}

/// How long to wait: `seconds` or `default`, at most [`MAX_WAIT_SECONDS`].
pub(crate) fn wait_duration(seconds: Option<u32>, default: u32) -> Result<Duration, ApiError> {
    let seconds = seconds.unwrap_or(default);
    limits::check_range("wait_seconds", seconds, &(0..=MAX_WAIT_SECONDS))?;
    Ok(Duration::from_secs(u64::from(seconds)))
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::GenerateRequest;
    use dgx_pixels_protocol::mcp::DeployToBevyArgs;
    use serde_json::json;

    use super::*;

    fn object(value: serde_json::Value) -> JsonObject {
        value.as_object().cloned().unwrap_or_default()
    }

    fn field_of(err: ApiError) -> String {
        match err {
            ApiError::Invalid { field, .. } => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    /// A typo, a missing field and a wrong type each name the field.
    #[test]
    fn argument_errors_name_the_field() {
        let typo = object(json!({"job_id": "a", "bevy_project": "g", "category": "c", "overwrit": true}));
        assert_eq!(field_of(parse_args::<DeployToBevyArgs>(typo).unwrap_err()), "overwrit");
        let missing = object(json!({"job_id": "a", "bevy_project": "g"}));
        assert_eq!(field_of(parse_args::<DeployToBevyArgs>(missing).unwrap_err()), "category");
        let sourceless = object(json!({"prompt": "x", "source": {"frame": 1}, "denoise": 0.5}));
        assert_eq!(field_of(parse_args::<GenerateRequest>(sourceless).unwrap_err()), "source.job");
        let wrong = object(json!({"job_id": 7, "bevy_project": "g", "category": "c"}));
        match parse_args::<DeployToBevyArgs>(wrong).unwrap_err() {
            ApiError::Invalid { field, message } => {
                assert_eq!(field, "job_id");
                assert!(!message.contains("line"), "{message}");
            }
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn waits_are_bounded() {
        let mut args = object(json!({"prompt": "x", "wait_seconds": 3}));
        assert_eq!(take_wait_seconds(&mut args).unwrap(), Some(3));
        assert!(!args.contains_key("wait_seconds"));
        assert!(take_wait_seconds(&mut object(json!({"wait_seconds": -1}))).is_err());
        assert!(take_wait_seconds(&mut object(json!({"wait_seconds": "5"}))).is_err());
        assert_eq!(wait_duration(None, 7).unwrap(), Duration::from_secs(7));
        assert_eq!(field_of(wait_duration(Some(MAX_WAIT_SECONDS + 1), 0).unwrap_err()), "wait_seconds");
    }
}
