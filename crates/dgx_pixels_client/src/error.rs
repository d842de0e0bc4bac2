//! [`ClientError`]: why a call to the server did not give what was asked.

use std::path::PathBuf;

use dgx_pixels_protocol::ErrorBody;

/// A failed call. Match on the variant, or use [`ClientError::status`] and
/// [`ClientError::body`] to show the server's own message and the field at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No connection: the server is down, the URL is wrong or a firewall is in the way.
    #[error("cannot reach server at {url}: {source}")]
    Unreachable {
        /// The server's base URL.
        url: String,
        /// What the transport said.
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("server answered {status}: {}{}", body.error, body.field.as_ref().map(|f| format!(" (field `{f}`)")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// The server's `{"error", "field"}` body.
        body: ErrorBody,
    },
    /// The connection broke or timed out mid-call.
    #[error("request to {url} failed: {source}")]
    Transport {
        /// The URL called.
        url: String,
        /// What the transport said.
        source: reqwest::Error,
    },
    /// The server's answer is not what the protocol promises (a proxy in the way, a version
    /// mismatch).
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The base URL does not parse.
    #[error("invalid server URL `{0}`: expected http://host:port")]
    BadUrl(String),
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(reqwest::Error),
    /// A downloaded file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: dgx_pixels_sprite::write::WriteError,
    },
    /// The asset name could be read as a path.
    #[error("invalid asset name: {0}")]
    BadName(#[from] dgx_pixels_protocol::FieldError),
}

impl ClientError {
    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error body, when it answered with one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ClientError::Api { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Whether the server could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. })
    }
}
