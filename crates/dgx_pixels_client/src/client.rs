//! [`Client`] and [`ClientBuilder`]: where the server is, the token, the timeouts.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::error::ClientError;
use dgx_pixels_protocol::ErrorBody;

/// Environment variable with the server's base URL.
pub const ENV_SERVER: &str = "DGX_PIXELS_SERVER";
/// Environment variable with the bearer token.
pub const ENV_TOKEN: &str = "DGX_PIXELS_TOKEN";
/// The server when [`ENV_SERVER`] is not set: the default bind of `dgx-pixels serve`.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8787";
/// Default time one call may take (event streams excepted).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Time to establish a connection before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to one dgx-pixels server. Cheap to clone: clones share a connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    timeout: Duration,
}

/// Settings of a [`Client`]; `base_url` is the only one required.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    base_url: String,
    token: Option<String>,
    timeout: Duration,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self { base_url: DEFAULT_SERVER.to_owned(), token: None, timeout: DEFAULT_TIMEOUT }
    }
}

impl ClientBuilder {
    /// The server, e.g. `http://dgx.local:8787`. Default [`DEFAULT_SERVER`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The bearer token the server was started with. Default none.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into()).filter(|t: &String| !t.is_empty());
        self
    }

    /// Time one call may take; event streams and [`Client::wait`] are not limited by it.
    /// Default [`DEFAULT_TIMEOUT`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Checks the URL and builds the client.
    pub fn build(self) -> Result<Client, ClientError> {
        let base = self.base_url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|_| ClientError::BadUrl(self.base_url.clone()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ClientError::BadUrl(self.base_url));
        }
        let http = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).build().map_err(ClientError::Setup)?;
        Ok(Client { http, base, token: self.token, timeout: self.timeout })
    }
}

impl Client {
    /// A client of the server at `base_url` with no token and default timeouts.
    pub fn new(base_url: impl Into<String>) -> Result<Self, ClientError> {
        Self::builder().base_url(base_url).build()
    }

    /// A builder for the other settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The client the environment describes: [`ENV_SERVER`] (default [`DEFAULT_SERVER`]) and
    /// [`ENV_TOKEN`].
    pub fn from_env() -> Result<Self, ClientError> {
        let mut builder = Self::builder();
        if let Ok(url) = std::env::var(ENV_SERVER)
            && !url.is_empty()
        {
            builder = builder.base_url(url);
        }
        if let Ok(token) = std::env::var(ENV_TOKEN) {
            builder = builder.token(token);
        }
        builder.build()
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `path` (starting with `/`) with the token; `timed` applies the call timeout.
    pub(crate) fn request(&self, method: Method, path: &str, timed: bool) -> RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if timed {
            request = request.timeout(self.timeout);
        }
        request
    }

    /// Sends `request`; an error status becomes [`ClientError::Api`].
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, ClientError> {
        let response = request.send().await.map_err(|err| self.transport(err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| {
            ErrorBody::new(if text.is_empty() { status.canonical_reason().unwrap_or("error").to_owned() } else { text })
        });
        Err(ClientError::Api { status: status.as_u16(), body })
    }

    /// Sends `request` and reads a JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ClientError> {
        let response = self.send(request).await?;
        let url = response.url().to_string();
        let bytes = response.bytes().await.map_err(|source| ClientError::Transport { url, source })?;
        serde_json::from_slice(&bytes).map_err(|err| ClientError::Protocol(err.to_string()))
    }

    /// Sends `request` and reads the whole body.
    pub(crate) async fn bytes(&self, request: RequestBuilder) -> Result<Vec<u8>, ClientError> {
        let response = self.send(request).await?;
        let url = response.url().to_string();
        let bytes = response.bytes().await.map_err(|source| ClientError::Transport { url, source })?;
        Ok(bytes.to_vec())
    }

    /// A transport error: unreachable when no connection was made, else a broken call.
    pub(crate) fn transport(&self, source: reqwest::Error) -> ClientError {
        if source.is_connect() {
            ClientError::Unreachable { url: self.base.clone(), source }
        } else {
            let url = source.url().map_or_else(|| self.base.clone(), ToString::to_string);
            ClientError::Transport { url, source }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_trimmed() {
        assert_eq!(Client::new("http://127.0.0.1:8787/").unwrap().base_url(), "http://127.0.0.1:8787");
        assert!(matches!(Client::new("127.0.0.1:8787"), Err(ClientError::BadUrl(_))));
        assert!(matches!(Client::new("ftp://x"), Err(ClientError::BadUrl(_))));
    }
}
