//! [`GameClient`]: the running Bevy game, reached over Bevy's remote protocol (BRP: JSON-RPC 2.0
//! over HTTP), for the MCP game tools.
//!
//! The game answers our `dgx_pixels/` methods (`bevy_dgx_pixels`'s `remote` feature); their
//! params and results are [`dgx_pixels_protocol::remote`]. Every call is bounded: a game that is
//! not running, runs without BRP, or stops answering gives a [`GameError`] that tells the
//! assistant what to do, never a hang.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dgx_pixels_protocol::remote::{ScreenshotState, ScreenshotTicket, method};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::bounded_body::read_bounded;

/// How long connecting to the game may take: it is on this machine, so this only waits out a
/// busy first frame.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one BRP call may take; the game answers within a frame or two.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a screenshot may take from request to PNG.
const SCREENSHOT_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a pending screenshot is asked for.
const SCREENSHOT_POLL: Duration = Duration::from_millis(50);
/// Largest BRP answer read (a screenshot of a 4K window as base64 PNG fits well).
const MAX_ANSWER_BYTES: usize = 64 << 20;
/// JSON-RPC's "method not found".
const METHOD_NOT_FOUND: i64 = -32601;

/// A BRP client for one game address.
#[derive(Clone, Debug)]
pub(crate) struct GameClient {
    url: Arc<str>,
    http: reqwest::Client,
    next_id: Arc<AtomicU64>,
    call_timeout: Duration,
}

/// Why a game call failed, phrased for the assistant that made it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GameError {
    /// Nothing listens at the address.
    #[error(
        "no game answers at {url}: start the game with the dgx-pixels plugin's remote protocol on \
         (feature `remote`, `DgxPixelsPlugin {{ remote: Some(RemoteAccess::default()), .. }}`), or point the \
         server at it with --game URL"
    )]
    NotRunning {
        /// The game's BRP address.
        url: String,
    },
    /// The game did not answer in time.
    #[error("the game at {url} did not answer within {seconds} s: is it paused in a debugger or stuck loading?")]
    Timeout {
        /// The game's BRP address.
        url: String,
        /// The bound that ran out.
        seconds: u64,
    },
    /// Something answers BRP but without our methods.
    #[error(
        "the program at {url} speaks Bevy's remote protocol but has no `{method}`: build the game with \
         bevy_dgx_pixels's `remote` feature and set `DgxPixelsPlugin::remote`"
    )]
    NoMethods {
        /// The game's BRP address.
        url: String,
        /// The method it lacks.
        method: String,
    },
    /// The game refused the call (bad params, unknown entity, no window); its words.
    #[error("the game refused: {0}")]
    Refused(String),
    /// An answer that is not the JSON-RPC we expect.
    #[error("the game at {url} answered something unexpected: {detail}")]
    Protocol {
        /// The game's BRP address.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

impl GameClient {
    /// A client for the game at `url` (an `http://` BRP address); builds no connection yet.
    pub fn new(url: &str) -> Result<Self, reqwest::Error> {
        Self::with_call_timeout(url, CALL_TIMEOUT)
    }

    fn with_call_timeout(url: &str, call_timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).timeout(call_timeout).build()?;
        Ok(Self { url: Arc::from(url.trim_end_matches('/')), http, next_id: Arc::new(AtomicU64::new(1)), call_timeout })
    }

    /// Calls `method` with `params` and reads its result as an `R`.
    pub async fn call<R: DeserializeOwned>(&self, method: &str, params: &impl Serialize) -> Result<R, GameError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let mut response = self.http.post(&*self.url).json(&body).send().await.map_err(|err| self.transport(&err))?;
        let bytes = read_bounded(&mut response, MAX_ANSWER_BYTES).await.map_err(|err| self.transport(&err))?;
        let bytes = bytes.ok_or_else(|| self.protocol(format!("an answer over {MAX_ANSWER_BYTES} bytes")))?;
        let answer: Value = serde_json::from_slice(&bytes).map_err(|err| {
            self.protocol(format!("not JSON ({err}): {}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])))
        })?;
        if let Some(error) = answer.get("error") {
            let code = error.get("code").and_then(Value::as_i64);
            let message = error.get("message").and_then(Value::as_str).unwrap_or("no message").to_owned();
            return Err(if code == Some(METHOD_NOT_FOUND) {
                GameError::NoMethods { url: self.url.to_string(), method: method.to_owned() }
            } else {
                GameError::Refused(message)
            });
        }
        let result = answer.get("result").cloned().ok_or_else(|| self.protocol("no `result` and no `error`".into()))?;
        serde_json::from_value(result).map_err(|err| self.protocol(format!("`{method}` result: {err}")))
    }

    /// The game's primary window, captured now: `(width, height, base64 PNG)`.
    pub async fn screenshot(&self) -> Result<(u32, u32, String), GameError> {
        let ticket: ScreenshotTicket = self.call(method::TAKE_SCREENSHOT, &json!({})).await?;
        let started = Instant::now();
        loop {
            match self.call(method::SCREENSHOT, &ticket).await? {
                ScreenshotState::Ready { width, height, png } => return Ok((width, height, png)),
                ScreenshotState::Pending if started.elapsed() < SCREENSHOT_TIMEOUT => {
                    tokio::time::sleep(SCREENSHOT_POLL).await;
                }
                ScreenshotState::Pending => {
                    return Err(GameError::Timeout {
                        url: self.url.to_string(),
                        seconds: SCREENSHOT_TIMEOUT.as_secs(),
                    });
                }
            }
        }
    }

    fn transport(&self, err: &reqwest::Error) -> GameError {
        let url = self.url.to_string();
        if err.is_timeout() {
            GameError::Timeout { url, seconds: self.call_timeout.as_secs() }
        } else if err.is_connect() {
            GameError::NotRunning { url }
        } else {
            GameError::Protocol { url, detail: err.to_string() }
        }
    }

    fn protocol(&self, detail: String) -> GameError {
        GameError::Protocol { url: self.url.to_string(), detail }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback "game" that answers every request with `answer` (None: never answers).
    async fn fake_game(answer: Option<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = stream.read(&mut request).await;
                    match answer {
                        Some(body) => {
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            );
                            let _ = stream.write_all(format!("{head}{body}").as_bytes()).await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn each_failure_says_what_to_do() {
        let nobody = GameClient::new("http://127.0.0.1:9").unwrap();
        let err = nobody.call::<Value>(method::INFO, &json!({})).await.unwrap_err();
        assert!(matches!(err, GameError::NotRunning { .. }) && err.to_string().contains("--game"), "{err}");

        let plain_bevy = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#;
        let game = GameClient::new(&fake_game(Some(plain_bevy)).await).unwrap();
        let err = game.call::<Value>(method::INFO, &json!({})).await.unwrap_err();
        assert!(err.to_string().contains("`remote` feature"), "{err}");

        let refusing = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"`position` must be finite"}}"#;
        let game = GameClient::new(&fake_game(Some(refusing)).await).unwrap();
        let err = game.call::<Value>(method::SPAWN_SPRITE, &json!({})).await.unwrap_err();
        assert_eq!(err.to_string(), "the game refused: `position` must be finite");

        let hung = GameClient::with_call_timeout(&fake_game(None).await, Duration::from_millis(300)).unwrap();
        let started = Instant::now();
        let err = hung.call::<Value>(method::LIST_SPRITES, &json!({})).await.unwrap_err();
        assert!(matches!(err, GameError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "a hung game held the call {:?}", started.elapsed());
    }
}
