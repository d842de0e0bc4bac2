//! [`ToolError`]: why a tool call failed, turned into an MCP tool error result.
//!
//! A failure is never a JSON-RPC error: the result has `isError: true`, a text a person (and a
//! model) can act on, and as structured content the same `{"error", "field"}` body the HTTP API
//! answers with. As in the HTTP API, bad input is answered, not logged; an internal error is
//! logged once here and the caller gets a generic message.

use dgx_pixels_protocol::ErrorBody;
use rmcp::model::{CallToolResult, ContentBlock};
use tracing::error;

use dgx_pixels_client::ClientError;

use crate::deploy::DeployError;
use crate::error::ApiError;
use crate::game::GameError;

/// Why a tool call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolError {
    /// The same failure the HTTP API would answer with (bad argument, no such job, …).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// `deploy_to_bevy` refused or failed to write.
    #[error(transparent)]
    Deploy(#[from] DeployError),
    /// The server the jobs run on (`mcp --stdio --server URL`) refused or could not be reached;
    /// its own error body is passed on.
    #[error(transparent)]
    Remote(#[from] ClientError),
    /// The running game could not be reached, or refused the call.
    #[error(transparent)]
    Game(#[from] GameError),
}

impl ToolError {
    /// The tool result the client sees.
    pub fn into_result(self) -> CallToolResult {
        let body = match &self {
            ToolError::Api(ApiError::Invalid { field, message }) => {
                ErrorBody { error: format!("invalid argument `{field}`: {message}"), field: Some(field.clone()) }
            }
            ToolError::Api(ApiError::Internal(cause)) => {
                error!(cause = %cause, "internal error in an MCP tool");
                ErrorBody::new("internal server error; the server log has the details")
            }
            ToolError::Remote(ClientError::Api { status: 401, body }) => ErrorBody::new(format!(
                "the server the jobs run on refused: {} (HTTP 401); start `dgx-pixels mcp` with DGX_PIXELS_TOKEN \
                 set to that server's token",
                body.error
            )),
            ToolError::Remote(ClientError::Api { body, .. }) => match &body.field {
                Some(field) => {
                    ErrorBody { error: format!("invalid argument `{field}`: {}", body.error), ..body.clone() }
                }
                None => body.clone(),
            },
            ToolError::Deploy(DeployError::BadName(field)) => {
                ErrorBody { error: field.to_string(), field: Some(field.field().to_owned()) }
            }
            other => ErrorBody::new(other.to_string()),
        };
        let mut result = CallToolResult::error(vec![ContentBlock::text(body.error.clone())]);
        result.structured_content = serde_json::to_value(&body).ok();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(result: &CallToolResult) -> String {
        result.content.iter().filter_map(|block| block.as_text()).map(|text| text.text.clone()).collect()
    }

    /// Bad arguments name their field, internal causes stay in the log, and every result is an error.
    #[test]
    fn errors_become_readable_tool_errors() {
        let invalid =
            ToolError::from(ApiError::invalid("frames", "`frames` must be between 1 and 64, got 65")).into_result();
        assert_eq!(invalid.is_error, Some(true));
        assert!(text_of(&invalid).contains("`frames`"), "{}", text_of(&invalid));
        assert_eq!(invalid.structured_content.unwrap()["field"], "frames");

        let internal = ToolError::from(ApiError::Internal("disk on fire at /secret".into())).into_result();
        assert!(!text_of(&internal).contains("/secret"));

        let missing = ToolError::from(ApiError::NotFound("no job `x`".into())).into_result();
        assert_eq!(text_of(&missing), "no job `x`");

        let refused = ToolError::from(DeployError::NoAllowedRoots).into_result();
        assert!(text_of(&refused).contains("--allow-root"));

        // A remote server's refusal keeps its field; a refused token says what to set.
        let body = ErrorBody { error: "`frames` must be between 1 and 64".into(), field: Some("frames".into()) };
        let remote = ToolError::from(ClientError::Api { status: 422, body }).into_result();
        assert_eq!(text_of(&remote), "invalid argument `frames`: `frames` must be between 1 and 64");
        assert_eq!(remote.structured_content.unwrap()["field"], "frames");
        let token =
            ToolError::from(ClientError::Api { status: 401, body: ErrorBody::new("missing token") }).into_result();
        assert!(text_of(&token).contains("DGX_PIXELS_TOKEN"), "{}", text_of(&token));
    }
}
