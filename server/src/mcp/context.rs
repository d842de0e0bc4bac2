//! [`CallContext`]: what one tool call can reach: the server state, where the server is reachable
//! for links, the call's cancellation, and the client's progress token.

use std::sync::Arc;

use axum::http::header;
use axum::http::request::Parts;
use axum::http::uri::Authority;
use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::{Peer, RequestContext};
use tokio_util::sync::CancellationToken;

use super::jobs::JobHost;
use crate::state::AppState;

/// One tool call's view of the server.
pub(crate) struct CallContext {
    /// Shared server state.
    pub state: AppState,
    /// Where the job tools' jobs run.
    pub host: JobHost,
    /// `http://HOST[:PORT]` the links in results start with; empty for server-relative links.
    pub base_url: String,
    /// Cancelled when the client cancels the call; waits stop early then.
    pub cancel: CancellationToken,
    /// Where to send progress notifications, when the client asked for them.
    progress: Option<(Peer<RoleServer>, ProgressToken)>,
}

impl CallContext {
    /// The context of `request`. Links use the `Host` the HTTP call came to (the address the
    /// client reached us at), else `fallback_base_url` (the stdio transport's own listener).
    pub fn new(
        state: AppState,
        host: JobHost,
        fallback_base_url: Option<Arc<str>>,
        request: RequestContext<RoleServer>,
    ) -> Self {
        let from_http = request.extensions.get::<Parts>().and_then(host_of).map(|host| format!("http://{host}"));
        let base_url = from_http.or_else(|| fallback_base_url.map(|url| url.to_string())).unwrap_or_default();
        let progress = request.meta.get_progress_token().map(|token| (request.peer.clone(), token));
        Self { state, host, base_url, cancel: request.ct, progress }
    }

    /// Tells the client how far a job is, if it asked to be told; a lost notification is harmless.
    pub async fn notify_progress(&self, progress: f32, message: String) {
        if let Some((peer, token)) = &self.progress {
            let param = ProgressNotificationParam::new(token.clone(), f64::from(progress))
                .with_total(1.0)
                .with_message(message);
            let _ = peer.notify_progress(param).await;
        }
    }
}

/// The authority the request was sent to, if it is a well-formed one.
fn host_of(parts: &Parts) -> Option<String> {
    let host = parts.headers.get(header::HOST).and_then(|value| value.to_str().ok());
    let host = host.map(str::to_owned).or_else(|| parts.uri.authority().map(Authority::to_string))?;
    host.parse::<Authority>().ok().map(|authority| authority.to_string())
}
