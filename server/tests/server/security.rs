use dgx_pixels_server::{Config, ConfigError, Server, ServerError};
use reqwest::StatusCode;

use crate::util::TestServer;

/// With a token, every route but `/health` needs `Authorization: Bearer <token>`.
#[tokio::test(flavor = "multi_thread")]
async fn token_is_checked_on_every_route_but_health() {
    let server = TestServer::start(|config| config.token = Some("s3cret".into())).await;
    let http = reqwest::Client::new();
    let get = |path: &str, token: Option<&str>| {
        let mut request = http.get(format!("{}{path}", server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(get("/health", None).await, StatusCode::OK);
    for path in ["/api/v1/jobs", "/api/v1/models", "/api/v1/openapi.json", "/api/v1/jobs/x", "/api/v1/jobs/x/events"] {
        assert_eq!(get(path, None).await, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(get(path, Some("wrong")).await, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(get("/api/v1/jobs", Some("s3cret")).await, StatusCode::OK);
    let post = http.post(format!("{}/api/v1/generate", server.url)).body(r#"{"prompt":"x"}"#);
    assert_eq!(post.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    server.client.models().await.unwrap();
}

/// Off loopback, a server without a token does not start; with one it does.
#[tokio::test(flavor = "multi_thread")]
async fn token_required_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config { bind: "0.0.0.0:0".parse().unwrap(), data_dir: dir.path().into(), ..Config::default() };
    let refused = Server::bind(config.clone()).await.err().unwrap();
    assert!(matches!(refused, ServerError::Config(ConfigError::TokenRequired { .. })), "{refused}");
    let server = Server::bind(Config { token: Some("t".into()), ..config }).await.unwrap();
    assert!(server.local_addr().ip().is_unspecified());
}

/// Without a token, web pages are refused (foreign `Origin`, or a rebound `Host` name) while
/// local programs pass; with a token the same requests pass.
#[tokio::test(flavor = "multi_thread")]
async fn web_pages_are_refused_without_a_token() {
    let http = reqwest::Client::new();
    let send = |url: String, host: Option<&'static str>, origin: Option<&'static str>| {
        let mut request = http
            .post(format!("{url}/api/v1/generate"))
            .header("content-type", "application/json")
            .body(r#"{"prompt":"x"}"#);
        if let Some(host) = host {
            request = request.header("host", host);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        async move { request.send().await.unwrap() }
    };
    let open = TestServer::start(|_| {}).await;
    let page = send(open.url.clone(), None, Some("https://evil.example")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("evil.example"));
    assert_eq!(send(open.url.clone(), Some("evil.example:8787"), None).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(send(open.url.clone(), None, Some("http://localhost:5173")).await.status(), StatusCode::ACCEPTED);
    assert_eq!(send(open.url.clone(), None, None).await.status(), StatusCode::ACCEPTED);
    assert_eq!(open.client.jobs(None, None).await.unwrap().len(), 2, "refused requests queued nothing");

    let guarded = TestServer::start(|config| config.token = Some("s3cret".into())).await;
    let page = send(guarded.url.clone(), Some("evil.example:8787"), Some("https://evil.example")).await;
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED, "with a token the token decides");
}
