//! The HTTP API: [`router`] puts every route and layer together.
//!
//! Layers, outermost first: a `request` span per request (method, URI, matched route), the
//! request timeout, logging of internal errors, the body size limit, and without a token the
//! refusal of web pages (`local_caller`); the bearer-token check wraps every route but
//! `/health`, MCP's `/mcp` included.

mod events;
pub(crate) mod files;
mod health;
pub(crate) mod jobs;
mod models;
mod openapi;
pub(crate) mod pixelize;
mod train;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::{error, info_span};

use crate::error::{ApiError, InternalErrorCause};
use crate::state::AppState;

/// Every v1 route with its layers.
pub(crate) fn router(state: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    let api = Router::new()
        .route("/api/v1/generate", post(jobs::jobs_create))
        .route("/api/v1/jobs", get(jobs::jobs_index))
        .route("/api/v1/jobs/{id}", get(jobs::jobs_show).delete(jobs::jobs_cancel))
        .route("/api/v1/jobs/{id}/events", get(events::events_stream))
        .route("/api/v1/jobs/{id}/{file}", get(files::files_show))
        .route("/api/v1/jobs/{id}/raw/{file}", get(files::files_raw))
        .route("/api/v1/models", get(models::models_index))
        .route("/api/v1/styles/train", post(train::styles_train))
        .route("/api/v1/pixelize", post(pixelize::pixelize_create))
        .route("/api/v1/openapi.json", get(openapi::openapi_show))
        .nest_service("/mcp", crate::mcp::http_service(&state, max_body_bytes));
    // Without a token (loopback only) the check would pass every request; leave it out.
    let api = match state.token {
        Some(_) => api.route_layer(middleware::from_fn_with_state(state.clone(), crate::auth::require_token)),
        None => api,
    };
    Router::new()
        .route("/health", get(health::health_show))
        .merge(api)
        .fallback(|| async { ApiError::NotFound("no such route".to_owned()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), crate::local_caller::require_local_caller))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::map_response(log_internal_errors))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
            info_span!("request", method = %request.method(), uri = %request.uri(), route)
        }))
        .with_state(state)
}

/// Logs the cause of every 500 once; the client only saw a generic message.
async fn log_internal_errors(response: Response) -> Response {
    if let Some(InternalErrorCause(cause)) = response.extensions().get::<InternalErrorCause>() {
        error!(cause = %cause, "internal error");
    }
    response
}
