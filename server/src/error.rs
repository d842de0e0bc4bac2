//! One error type for every HTTP answer that is not a success: [`ApiError`].
//!
//! Each variant maps to a status from `DESIGN.md` and to the body `{"error", "field"}`
//! ([`ErrorBody`]). Client mistakes (4xx) are answered, not logged; an internal error answers
//! with a generic message and carries its cause in the response extensions, where
//! [`crate::routes`]' logging middleware writes it once.
//!
//! [`ApiJson`] is the JSON extractor of every handler that takes a body: malformed JSON gets the
//! same error shape (400), a body over the limit 413, and a well-formed body with a wrong field
//! 422 naming the field's JSON path.

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use dgx_pixels_protocol::{ErrorBody, FieldError};
use serde::de::DeserializeOwned;

use crate::queue::QueueError;

/// Why a request failed, as the client sees it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: the body or query is not well-formed.
    #[error("{0}")]
    Malformed(String),
    /// 401: the bearer token is missing or wrong.
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// 403: the request is refused whoever sends it (a browser page of another site).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such job, file or route.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the resource's state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over the configured limit.
    #[error("request body too large")]
    TooLarge,
    /// 422: a field is out of range or malformed; `field` is its JSON path.
    #[error("{message}")]
    Invalid {
        /// JSON path of the field (`sprite.width`), or a header or query name.
        field: String,
        /// What is wrong with it, for people.
        message: String,
    },
    /// 422: the body is well-formed but of the wrong shape as a whole (an array, a string).
    #[error("{0}")]
    Unprocessable(String),
    /// 503: the server cannot do this now (a backend is down, the server is stopping).
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or a failing disk; the cause is logged, the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The cause of a 500, carried in the response extensions so that logging stays out of the
/// conversion (see `routes::log_internal_errors`).
#[derive(Clone, Debug)]
pub struct InternalErrorCause(pub String);

impl ApiError {
    /// A 422 for `field` with `message`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Invalid { .. } | ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        Self::invalid(err.field(), err.to_string())
    }
}

impl From<QueueError> for ApiError {
    fn from(err: QueueError) -> Self {
        match err {
            QueueError::NotFound(id) => ApiError::NotFound(format!("no job `{id}`")),
            QueueError::AlreadyFinished { id, status } => {
                ApiError::Conflict(format!("job `{id}` is already {}", status.as_str()))
            }
            QueueError::KeyReused(key) => {
                ApiError::Conflict(format!("Idempotency-Key `{key}` was already used with a different request"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Malformed(rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::Malformed(rejection.body_text())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Invalid { field, message } => ErrorBody { error: message.clone(), field: Some(field.clone()) },
            ApiError::Internal(_) => ErrorBody::new("internal server error"),
            other => ErrorBody::new(other.to_string()),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Internal(cause) = self {
            response.extensions_mut().insert(InternalErrorCause(cause));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A JSON body extractor whose every failure is an [`ApiError`]: 413 over the body limit, 400
/// for JSON that does not parse, 422 with the field's path for JSON of the wrong shape.
///
/// The content type is not checked, so `curl -d '{...}'` works as people expect.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses `bytes` as JSON of type `T`, naming the offending field on a shape error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer);
    if value.is_ok() {
        deserializer.end().map_err(|err| ApiError::Malformed(format!("malformed JSON: {err}")))?;
    }
    value.map_err(|err| {
        let inner = err.inner();
        if !inner.is_data() {
            return ApiError::Malformed(format!("malformed JSON: {inner}"));
        }
        let message = inner.to_string();
        let path = err.path().to_string();
        if path.starts_with('[') {
            // A top-level array read as a struct's fields in order: no field is at fault.
            return ApiError::Unprocessable(format!("expected a JSON object: {message}"));
        }
        // A `missing field` error sits on the parent object; name the field itself.
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|prefix| message.strip_prefix(prefix)?.split('`').next().map(str::to_owned));
        let field = match named {
            Some(name) if path == "." => name,
            Some(name) if path == name || path.ends_with(&format!(".{name}")) => path,
            Some(name) => format!("{path}.{name}"),
            None => path,
        };
        ApiError::invalid(field, message)
    })
}

#[cfg(test)]
mod tests {
    use dgx_pixels_protocol::GenerateRequest;

    use super::*;

    fn field_of(json: &str) -> (StatusCode, Option<String>) {
        match parse_json::<GenerateRequest>(json.as_bytes()) {
            Ok(_) => (StatusCode::OK, None),
            Err(ApiError::Invalid { field, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            Err(other) => (other.status(), None),
        }
    }

    #[test]
    fn shape_errors_name_their_field() {
        assert_eq!(field_of(r#"{"prompt":"x","frames":"four"}"#).1.as_deref(), Some("frames"));
        assert_eq!(field_of(r#"{"prompt":"x","sprite":{"width":-1,"height":8}}"#).1.as_deref(), Some("sprite.width"));
        assert_eq!(field_of(r#"{"frames":2}"#).1.as_deref(), Some("prompt"));
        assert_eq!(field_of(r#"{"prompt":"x","colour":2}"#).1.as_deref(), Some("colour"));
        assert_eq!(field_of(r#"{"prompt":"x","sprite":{"width":8,"height":8,"d":1}}"#).1.as_deref(), Some("sprite.d"));
    }

    #[test]
    fn syntax_errors_are_malformed() {
        assert_eq!(field_of(r#"{"prompt":"#).0, StatusCode::BAD_REQUEST);
        assert_eq!(field_of("not json").0, StatusCode::BAD_REQUEST);
        assert_eq!(field_of(r#"{"prompt":"x"} trailing"#).0, StatusCode::BAD_REQUEST);
        assert_eq!(field_of(r#"{"prompt":"x"}"#).0, StatusCode::OK);
    }
}
