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
