//! Without a token, only local programs may use the API, not web pages.
//!
//! A server without a token listens on loopback only (`Config::check`), but a browser on the
//! same machine can still reach loopback: any web page can send requests to
//! `http://127.0.0.1:8787`, and with DNS rebinding (a site's name re-pointed at 127.0.0.1) it can
//! even read the answers. Such requests carry the page's `Origin`, or a `Host` that is the site's
//! name; programs (the Bevy plugin, the CLI, curl, MCP clients) send a loopback `Host` and no
//! foreign `Origin`. So without a token, a request whose `Host` is not a loopback name or whose
//! `Origin` is not a loopback origin is refused. With a token none of this applies: a page cannot
//! send the token, and a LAN address must work.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiError;
use crate::state::AppState;

/// Middleware: refuses requests from web pages when no token is configured (module docs).
pub(crate) async fn require_local_caller(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if state.token.is_none() {
        check_headers(request.headers())?;
    }
    Ok(next.run(request).await)
}

/// `Ok` when `Host` (if sent) names loopback and `Origin` (if sent) is a loopback origin.
fn check_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(host) = headers.get(header::HOST) {
        let host = host.to_str().unwrap_or_default();
        if !is_loopback_authority(host) {
            return Err(ApiError::Forbidden(format!(
                "requests must be addressed to localhost, not `{host}` (set a token to serve other names)"
            )));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let local = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
        if !local.is_some_and(is_loopback_authority) {
            return Err(ApiError::Forbidden(format!("requests from web pages of `{origin}` are refused")));
        }
    }
    Ok(())
}

/// Whether `authority` (`name[:port]`, `[v6][:port]`) is `localhost` or a loopback address.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or("", |(v6, _)| v6),
        None => authority.rsplit_once(':').map_or(authority, |(name, _)| name),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        host.inspect(|h| _ = map.insert(header::HOST, HeaderValue::from_str(h).unwrap()));
        origin.inspect(|o| _ = map.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap()));
        map
    }

    #[test]
    fn local_programs_pass_pages_do_not() {
        for host in [None, Some("127.0.0.1:8787"), Some("localhost:8787"), Some("[::1]:8787"), Some("127.0.0.2")] {
            assert!(check_headers(&headers(host, None)).is_ok(), "{host:?}");
        }
        assert!(check_headers(&headers(Some("127.0.0.1:1"), Some("http://localhost:5173"))).is_ok());
        let refused = [
            (Some("evil.example:8787"), None),
            (Some("127.0.0.1.evil.example"), None),
            (Some("[::2]:8787"), None),
            (Some("127.0.0.1:8787"), Some("https://evil.example")),
            (Some("127.0.0.1:8787"), Some("null")),
            (Some("127.0.0.1:8787"), Some("http://localhost.evil.example")),
        ];
        for (host, origin) in refused {
            assert!(
                matches!(check_headers(&headers(host, origin)), Err(ApiError::Forbidden(_))),
                "{host:?} {origin:?}"
            );
        }
    }
}
