//! A stand-in ComfyUI that replays exchanges recorded from a real one
//! (`server/tests/fixtures/comfyui/*.json`, written by `scripts/comfyui/record.py`).
//!
//! Each `POST /prompt` takes the next [`Play`]: the recorded answer (a 400 with `node_errors`,
//! or 200), then, for an accepted prompt, the recorded WebSocket sequence (JSON messages and
//! binary preview frames alike) sent to the socket of the prompt's `client_id`, with the
//! recorded prompt id replaced by the one the client chose. `/history` holds the entry only once
//! the sequence reaches `executing` with no node, as in ComfyUI. A [`Fault`] bends a play: a
//! slow one (to cancel), a WebSocket dropped mid-job, or the whole server dying mid-job and
//! coming back later with an empty queue and history, like a restarted ComfyUI.
//!
//! The server is hyper on a plain accept loop so that dying really closes the port and every
//! open connection: clients see "connection refused", not a polite answer.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Reads a recorded scenario.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/comfyui/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture exists")).expect("fixture is JSON")
}

/// How a play departs from its recording.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Replayed as recorded (1 ms between messages).
    None,
    /// This long between messages, so that a test can act mid-job.
    Slow(Duration),
    /// The client's WebSocket is cut (no close frame) before message `n`; the prompt goes on.
    DropSocketAt(usize),
    /// The whole server dies before message `n` and listens again after `down_for`, having
    /// forgotten the prompt.
    DieAt(usize, Duration),
    /// The frames of our `DgxPixelsSendImages` never reach the client, as when they went out
    /// while its socket was down; everything else arrives.
    LoseFrames,
}

/// One recorded scenario to answer the next `POST /prompt` with.
#[derive(Clone, Debug)]
pub struct Play {
    /// The recording.
    pub fixture: Value,
    /// What goes wrong.
    pub fault: Fault,
    /// What `/view` serves for a recorded download whose body the recording did not keep (a
    /// trained LoRA: only its size and digest were recorded).
    pub download: Vec<u8>,
}

impl Play {
    /// The recording `name`, replayed with `fault`.
    pub fn new(name: &str, fault: Fault) -> Self {
        Self { fixture: fixture(name), fault, download: Vec::new() }
    }

    /// This play, serving `bytes` for a download the recording kept no body of.
    pub fn with_download(self, bytes: Vec<u8>) -> Self {
        Self { download: bytes, ..self }
    }
}

enum Out {
    Text(String),
    Binary(Vec<u8>),
    Cut,
}

/// What one "life" of the server holds; a restart starts a fresh one.
#[derive(Default)]
struct Life {
    sockets: HashMap<String, mpsc::UnboundedSender<Out>>,
    history: HashMap<String, Value>,
    /// Files `/view` serves: content type and bytes.
    views: HashMap<String, (String, Vec<u8>)>,
    queue: Vec<String>,
}

struct Shared {
    catalog: Value,
    system_stats: Value,
    plays: Mutex<VecDeque<Play>>,
    life: Mutex<Life>,
    log: Mutex<Vec<(String, Value)>>,
    interrupted: Mutex<Vec<String>>,
    /// `GET /view` requests answered.
    views: std::sync::atomic::AtomicUsize,
    /// How long the next death lasts; `None`: for good.
    downtime: Mutex<Option<Duration>>,
    die: watch::Sender<u64>,
}

/// A running stand-in.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl StandIn {
    /// Starts on a free loopback port with `plays` for the coming prompts; its nodes are a
    /// stock ComfyUI's, without our batch nodes.
    pub async fn start(plays: Vec<Play>) -> Self {
        Self::start_with(plays, false).await
    }

    /// [`StandIn::start`], with `comfyui_nodes/dgx_pixels` (the batch, seamless and training
    /// nodes) installed when `batch_nodes`: their `/object_info` entries come from
    /// `object_info_dgx_nodes.json`. The frame sender (`DgxPixelsSendImages`) is left out, so
    /// that recordings that end in `PreviewImage` fit what the server sends; see
    /// [`StandIn::start_sending_frames`].
    pub async fn start_with(plays: Vec<Play>, batch_nodes: bool) -> Self {
        Self::start_with_nodes(plays, batch_nodes, false).await
    }

    /// [`StandIn::start_with`] our nodes, the frame sender too: for recordings of prompts
    /// saved by `DgxPixelsSendImages` (`frames.json`).
    pub async fn start_sending_frames(plays: Vec<Play>) -> Self {
        Self::start_with_nodes(plays, true, true).await
    }

    async fn start_with_nodes(plays: Vec<Play>, batch_nodes: bool, frame_sender: bool) -> Self {
        let recorded = fixture("object_info");
        let answer = |path: &str| {
            recorded["http"].as_array().unwrap().iter().find(|e| e["path"] == path).unwrap()["response_json"].clone()
        };
        let mut catalog = answer("/object_info");
        if batch_nodes {
            let nodes = fixture("object_info_dgx_nodes");
            let offered = |class: &str| class != "notes" && (frame_sender || class != "DgxPixelsSendImages");
            for (class, info) in nodes.as_object().into_iter().flatten().filter(|(class, _)| offered(class)) {
                catalog[class] = info.clone();
            }
        }
        let (die, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            catalog,
            system_stats: answer("/system_stats"),
            plays: Mutex::new(plays.into()),
            life: Mutex::default(),
            log: Mutex::default(),
            interrupted: Mutex::default(),
            views: std::sync::atomic::AtomicUsize::new(0),
            downtime: Mutex::default(),
            die,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Arc::clone(&shared)));
        Self { addr, shared }
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request to a route that changes state, in order: (`"POST /prompt"`, body).
    pub fn log(&self) -> Vec<(String, Value)> {
        self.shared.log.lock().unwrap().clone()
    }

    /// How many prompts were posted.
    pub fn prompts(&self) -> usize {
        self.log().iter().filter(|(route, _)| route == "POST /prompt").count()
    }

    /// How many `GET /view` requests it answered.
    pub fn views(&self) -> usize {
        self.shared.views.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Kills it for good (failover tests).
    pub fn kill(&self) {
        self.shared.die.send_modify(|generation| *generation += 1);
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/system_stats", get(|State(s): State<Arc<Shared>>| async move { axum::Json(s.system_stats.clone()) }))
        .route("/object_info/{class}", get(object_info))
        .route("/prompt", post(prompt))
        .route("/history/{id}", get(history))
        .route("/queue", get(queue_show).post(queue_post))
        .route("/interrupt", post(interrupt))
        .route("/view", get(view))
        .route("/upload/image", post(upload))
        .route("/ws", get(socket))
        .with_state(shared)
}

/// Accepts until told to die, then closes the port and every connection; listens again on the
/// same port after the downtime (unless killed for good: no downtime given).
async fn serve(mut listener: TcpListener, shared: Arc<Shared>) {
    let addr = listener.local_addr().unwrap();
    loop {
        let mut die = shared.die.subscribe();
        let mut connections = JoinSet::new();
        let app = router(Arc::clone(&shared));
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let service = hyper_util::service::TowerToHyperService::new(app.clone());
                    connections.spawn(async move {
                        let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = builder.serve_connection_with_upgrades(io, service).await;
                    });
                }
                _ = die.changed() => break,
            }
        }
        connections.abort_all();
        drop(listener);
        *shared.life.lock().unwrap() = Life::default();
        let Some(down_for) = shared.downtime.lock().unwrap().take() else {
            return;
        };
        tokio::time::sleep(down_for).await;
        listener = TcpListener::bind(addr).await.unwrap();
    }
}

async fn object_info(State(s): State<Arc<Shared>>, Path(class): Path<String>) -> axum::Json<Value> {
    let info = s.catalog.get(&class).map(|v| json!({ class.clone(): v })).unwrap_or_else(|| json!({}));
    axum::Json(info)
}

async fn queue_post(State(s): State<Arc<Shared>>, axum::Json(body): axum::Json<Value>) -> StatusCode {
    s.log.lock().unwrap().push(("POST /queue".to_owned(), body.clone()));
    let deleted: Vec<String> =
        body["delete"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    s.life.lock().unwrap().queue.retain(|id| !deleted.contains(id));
    StatusCode::OK
}

async fn interrupt(State(s): State<Arc<Shared>>, axum::Json(body): axum::Json<Value>) -> StatusCode {
    s.log.lock().unwrap().push(("POST /interrupt".to_owned(), body.clone()));
    if let Some(id) = body["prompt_id"].as_str() {
        s.interrupted.lock().unwrap().push(id.to_owned());
    }
    StatusCode::OK
}

async fn queue_show(State(s): State<Arc<Shared>>) -> axum::Json<Value> {
    let queue = s.life.lock().unwrap().queue.clone();
    let item = |(i, id): (usize, &String)| json!([i, id, {}, {}, []]);
    let running: Vec<Value> = queue.iter().enumerate().take(1).map(item).collect();
    let pending: Vec<Value> = queue.iter().enumerate().skip(1).map(item).collect();
    axum::Json(json!({ "queue_running": running, "queue_pending": pending }))
}

async fn history(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> axum::Json<Value> {
    let entry = s.life.lock().unwrap().history.get(&id).cloned();
    axum::Json(entry.map(|e| json!({ id: e })).unwrap_or_else(|| json!({})))
}

async fn view(State(s): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let name = q.get("filename").cloned().unwrap_or_default();
    s.views.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    match s.life.lock().unwrap().views.get(&name) {
        Some((kind, bytes)) => ([("content-type", kind.clone())], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// As ComfyUI does with `overwrite=true` (the recordings: `dgx-pixels-source.png` in, the same
/// name out; a training's images and captions into their `subfolder`): the file keeps its name,
/// and the answer gives it with its subfolder.
async fn upload(State(s): State<Arc<Shared>>, body: axum::body::Bytes) -> axum::Json<Value> {
    let form = String::from_utf8_lossy(&body);
    let name = form.split("filename=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned();
    let subfolder = form
        .split("name=\"subfolder\"\r\n\r\n")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .unwrap_or_default()
        .to_owned();
    let entry = json!({ "bytes": body.len(), "name": name, "subfolder": subfolder });
    s.log.lock().unwrap().push(("POST /upload/image".to_owned(), entry));
    axum::Json(json!({ "name": name, "subfolder": subfolder, "type": "input" }))
}

async fn prompt(State(s): State<Arc<Shared>>, axum::Json(body): axum::Json<Value>) -> Response {
    s.log.lock().unwrap().push(("POST /prompt".to_owned(), body.clone()));
    let Some(play) = s.plays.lock().unwrap().pop_front() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no play left").into_response();
    };
    let recorded = play.fixture["http"].as_array().unwrap().iter().find(|e| e["path"] == "/prompt").unwrap().clone();
    if recorded["status"] != 200 {
        let status = StatusCode::from_u16(recorded["status"].as_u64().unwrap() as u16).unwrap();
        return (status, axum::Json(recorded["response_json"].clone())).into_response();
    }
    let id = body["prompt_id"].as_str().map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let client = body["client_id"].as_str().unwrap_or_default().to_owned();
    s.life.lock().unwrap().queue.push(id.clone());
    let number = s.log.lock().unwrap().len();
    tokio::spawn(replay(Arc::clone(&s), play, id.clone(), client, recorded["t"].as_f64().unwrap()));
    axum::Json(json!({ "prompt_id": id, "number": number, "node_errors": {} })).into_response()
}

/// Sends the recorded messages after `posted_at` to `client`'s socket, with `id` for the
/// recorded prompt id, applying the play's fault.
async fn replay(s: Arc<Shared>, play: Play, id: String, client: String, posted_at: f64) {
    let recorded_id = play.fixture["notes"]["prompt_id"].as_str().unwrap().to_owned();
    let swap = |v: &Value| -> Value { serde_json::from_str(&v.to_string().replace(&recorded_id, &id)).unwrap() };
    let messages: Vec<&Value> =
        play.fixture["ws"].as_array().unwrap().iter().filter(|m| m["t"].as_f64().unwrap() > posted_at).collect();
    let pause = match play.fault {
        Fault::Slow(pause) => pause,
        _ => Duration::from_millis(1),
    };
    for (n, message) in messages.into_iter().enumerate() {
        match play.fault {
            Fault::DropSocketAt(at) if at == n => {
                if let Some(socket) = s.life.lock().unwrap().sockets.remove(&client) {
                    let _ = socket.send(Out::Cut);
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            Fault::DieAt(at, down_for) if at == n => {
                *s.downtime.lock().unwrap() = Some(down_for);
                s.die.send_modify(|generation| *generation += 1);
                return;
            }
            _ => {}
        }
        if s.interrupted.lock().unwrap().contains(&id) {
            finish(&s, &play, &id, &client, true);
            return;
        }
        let out = match message["kind"].as_str() {
            Some("text") => {
                let json = swap(&message["json"]);
                if json["type"] == "executing" && json["data"]["node"].is_null() {
                    finish(&s, &play, &id, &client, false);
                }
                Out::Text(json.to_string())
            }
            Some("binary") => {
                let bytes = decode(message["b64"].as_str().unwrap());
                if matches!(play.fault, Fault::LoseFrames) && bytes.starts_with(b"DGXF") {
                    continue;
                }
                Out::Binary(swap_bytes(bytes, &recorded_id, &id))
            }
            _ => continue,
        };
        if let Some(socket) = s.life.lock().unwrap().sockets.get(&client) {
            let _ = socket.send(out);
        }
        tokio::time::sleep(pause).await;
    }
}

/// Writes the history entry and the files, as ComfyUI does when a prompt ends; for an
/// interrupted prompt an error entry and the interrupt messages instead.
fn finish(s: &Shared, play: &Play, id: &str, client: &str, interrupted: bool) {
    let fixture = &play.fixture;
    let mut life = s.life.lock().unwrap();
    life.queue.retain(|queued| queued != id);
    if interrupted {
        let message = json!({ "prompt_id": id, "node_id": "6", "node_type": "KSampler", "executed": [] });
        let status = json!({ "status_str": "error", "completed": false,
            "messages": [["execution_interrupted", message]] });
        life.history.insert(id.to_owned(), json!({ "outputs": {}, "status": status }));
        if let Some(socket) = life.sockets.get(client) {
            let _ = socket.send(Out::Text(json!({ "type": "execution_interrupted", "data": message }).to_string()));
        }
        return;
    }
    for entry in fixture["http"].as_array().unwrap() {
        let path = entry["path"].as_str().unwrap();
        if path.starts_with("/history/") {
            let recorded = entry["response_json"].as_object().unwrap().values().next().unwrap().clone();
            life.history.insert(id.to_owned(), recorded);
        } else if let Some(query) = path.strip_prefix("/view?") {
            let name = query.split('&').find_map(|kv| kv.strip_prefix("filename=")).unwrap();
            let kind = entry["content_type"].as_str().unwrap_or("image/png").to_owned();
            let bytes = match entry["response_b64"].as_str() {
                Some(b64) => decode(b64),
                None => play.download.clone(),
            };
            life.views.insert(name.to_owned(), (kind, bytes));
        }
    }
}

/// `bytes` with every `from` replaced by `to`: the prompt id inside a binary frame's header
/// (both ids are UUIDs, so the header keeps its length).
fn swap_bytes(bytes: Vec<u8>, from: &str, to: &str) -> Vec<u8> {
    let (from, to) = (from.as_bytes(), to.as_bytes());
    assert_eq!(from.len(), to.len(), "prompt ids of one length");
    let mut bytes = bytes;
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(from.len()).position(|w| w == from) {
        bytes[at + found..at + found + from.len()].copy_from_slice(to);
        at += found + from.len();
    }
    bytes
}

fn decode(b64: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

async fn socket(
    ws: WebSocketUpgrade,
    Query(q): Query<HashMap<String, String>>,
    State(s): State<Arc<Shared>>,
) -> Response {
    let client = q.get("clientId").cloned().unwrap_or_default();
    ws.on_upgrade(move |socket| session(socket, client, s))
}

/// One client's socket: the greeting ComfyUI sends, then whatever the plays send, until the
/// client leaves, a play cuts it, or the server dies (no close frame in the last two cases).
async fn session(mut socket: WebSocket, client: String, s: Arc<Shared>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    s.life.lock().unwrap().sockets.insert(client.clone(), tx);
    let mut die = s.die.subscribe();
    let queued = s.life.lock().unwrap().queue.len();
    let hello = json!({ "type": "status", "data": { "status": { "exec_info": { "queue_remaining": queued } }, "sid": client } });
    if socket.send(Message::Text(hello.to_string().into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            out = rx.recv() => {
                let sent = match out {
                    Some(Out::Text(text)) => socket.send(Message::Text(text.into())).await,
                    Some(Out::Binary(bytes)) => socket.send(Message::Binary(bytes.into())).await,
                    Some(Out::Cut) | None => return,
                };
                if sent.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => if !matches!(incoming, Some(Ok(_))) { return },
            _ = die.changed() => return,
        }
    }
}
