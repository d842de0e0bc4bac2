//! The `comfyui` backend against a stand-in that replays exchanges recorded from a real
//! ComfyUI 0.3.64 (see `tests/support/comfyui_standin.rs` and `tests/fixtures/comfyui/`).
//!
//! Every test is bounded by [`LIMIT`]; the stand-in replays at 1 ms a message, so the suite
//! takes about a second.

#[path = "comfyui/frames.rs"]
mod frames;
#[path = "comfyui/presets.rs"]
mod presets;
mod support;
#[path = "comfyui/train.rs"]
mod train;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dgx_pixels_protocol::SpriteSize;
use dgx_pixels_server::backend::comfyui::{ComfyuiBackend, ComfyuiSettings};
use dgx_pixels_server::backend::{Backend, GenerationSpec, LoraChoice, Progress, SourceFrame};
use dgx_pixels_server::config::{Config, ConfigFile};
use serde_json::{Value, json};
use support::comfyui_standin::{Fault, Play, StandIn};
use support::server_on_standin::{LORA, serve, serve_with};

/// No test may take longer than this.
const LIMIT: Duration = Duration::from_secs(20);

fn settings(urls: Vec<String>) -> ComfyuiSettings {
    ComfyuiSettings {
        urls,
        instance_wait: Duration::from_secs(10),
        idle_poll: Duration::from_secs(2),
        ..ComfyuiSettings::default()
    }
}

fn spec(frames: u32, lora: &str) -> GenerationSpec {
    GenerationSpec {
        prompt: "pixel art knight, side view".into(),
        negative_prompt: "blurry, photo".into(),
        seed: 1234,
        frames,
        facings: Vec::new(),
        tile: false,
        sprite: SpriteSize::new(32, 32),
        canvas: SpriteSize::new(256, 256),
        steps: 3,
        guidance_scale: 7.5,
        sampler: None,
        loras: vec![LoraChoice { file: format!("styles/{lora}"), strength: 0.8 }],
        source: None,
    }
}

/// Progress reports, kept for assertions.
fn recorder() -> (Progress, Arc<Mutex<Vec<f32>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (Progress::new(move |f| sink.lock().unwrap().push(f)), seen)
}

async fn generate(backend: &ComfyuiBackend, spec: GenerationSpec) -> Result<Vec<image::RgbaImage>, String> {
    let (progress, _) = recorder();
    let job = backend.prepare(spec).await.map_err(|e| e.to_string())?;
    job.run(progress).await.map_err(|e| e.to_string())
}

/// A recorded txt2img prompt gives one decoded frame; progress climbs to 1 from the sampler's
/// `progress` messages, and the binary preview frames in the recording are ignored.
#[tokio::test]
async fn txt2img_delivers_one_frame_with_progress() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let (progress, seen) = recorder();
    let job = backend.prepare(spec(1, LORA)).await.unwrap();
    let frames = tokio::time::timeout(LIMIT, job.run(progress)).await.unwrap().unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].dimensions(), (64, 64));
    let seen = seen.lock().unwrap();
    assert!(seen.iter().any(|&f| f > 0.0 && f < 0.9), "sampler progress: {seen:?}");
    assert_eq!(seen.last(), Some(&1.0));
    // The LoRA our models folder calls `styles/…` went out under ComfyUI's own name.
    let (_, body) = &standin.log()[0];
    let workflow = &body["prompt"];
    let lora = workflow.as_object().unwrap().values().find(|n| n["class_type"] == "LoraLoader").unwrap();
    assert_eq!(lora["inputs"]["lora_name"], LORA);
    assert_eq!(body["client_id"].as_str().map(str::len), Some(32));
}

/// Stacked styles go out as a chain of LoRA loaders, in order, each at its own strength, each
/// under ComfyUI's own name; one that ComfyUI lacks is named before anything is queued.
#[tokio::test]
async fn stacked_styles_chain_their_loras() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let second = LoraChoice { file: format!("characters/{LORA}"), strength: 0.3 };
    let stacked = GenerationSpec { loras: [spec(1, LORA).loras, vec![second]].concat(), ..spec(1, LORA) };
    let frames = tokio::time::timeout(LIMIT, generate(&backend, stacked)).await.unwrap().unwrap();
    assert_eq!(frames.len(), 1);
    let (_, body) = &standin.log()[0];
    let nodes = body["prompt"].as_object().unwrap();
    let mut loaders: Vec<(&String, &Value)> = nodes.iter().filter(|(_, n)| n["class_type"] == "LoraLoader").collect();
    loaders.sort_by_key(|(id, _)| (id.len(), id.to_string()));
    assert_eq!(loaders.len(), 2);
    let strengths: Vec<&Value> = loaders.iter().map(|(_, n)| &n["inputs"]["strength_model"]).collect();
    assert_eq!(strengths, [&json!(0.8f32), &json!(0.3f32)]);
    assert!(loaders.iter().all(|(_, n)| n["inputs"]["lora_name"] == LORA));
    assert_eq!(loaders[1].1["inputs"]["model"], json!([loaders[0].0, 0]));

    let missing = LoraChoice { file: "styles/unknown.safetensors".into(), strength: 1.0 };
    let half = GenerationSpec { loras: [spec(1, LORA).loras, vec![missing]].concat(), ..spec(1, LORA) };
    let err = tokio::time::timeout(LIMIT, generate(&backend, half)).await.unwrap().unwrap_err();
    assert!(err.contains("LoRA `styles/unknown.safetensors`"), "{err}");
    assert_eq!(standin.prompts(), 1, "the one with a missing LoRA was queued");
}

/// A sheet is one prompt whose batch is all the frames; all of them come back.
#[tokio::test]
async fn sheet_makes_all_frames_in_one_batch() {
    let standin = StandIn::start(vec![Play::new("sheet", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(4, LORA))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 4);
    let (_, body) = &standin.log()[0];
    let latent = body["prompt"].as_object().unwrap().values().find(|n| n["class_type"] == "EmptyLatentImage").unwrap();
    assert_eq!(latent["inputs"]["batch_size"], 4);
    assert_eq!(standin.prompts(), 1);
}

/// ComfyUI's validation refusal (`node_errors`, HTTP 400) fails the job with its own words.
#[tokio::test]
async fn node_errors_fail_the_job_readably() {
    let standin = StandIn::start(vec![Play::new("node_errors_lora", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let err = tokio::time::timeout(LIMIT, generate(&backend, spec(1, LORA))).await.unwrap().unwrap_err();
    assert!(err.contains("rejected the workflow"), "{err}");
    assert!(err.contains("node 2 (LoraLoader): Value not in list: lora_name: 'missing_style.safetensors'"), "{err}");
}

/// A tile is drawn with the `tile` template: the seamless model patch and the seamless VAE
/// decode of our nodes, all frames in one batch, replayed from its recording on a real ComfyUI.
#[tokio::test]
async fn a_tile_is_drawn_with_the_seamless_nodes() {
    let standin = StandIn::start_with(vec![Play::new("tile", Fault::None)], true).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, GenerationSpec { tile: true, ..spec(2, LORA) }))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frames.len(), 2);
    let (_, body) = standin.log().into_iter().find(|(route, _)| route == "POST /prompt").unwrap();
    let classes: Vec<&str> =
        body["prompt"].as_object().unwrap().values().filter_map(|n| n["class_type"].as_str()).collect();
    for class in ["DgxPixelsSeamless", "DgxPixelsSeamlessVAEDecode"] {
        assert!(classes.contains(&class), "{classes:?}");
    }
    assert!(!classes.contains(&"VAEDecode"), "{classes:?}");
}

/// On a ComfyUI without our nodes a tile fails before anything is queued, naming the nodes; a
/// variation of a tile is refused, as no seamless img2img exists yet.
#[tokio::test]
async fn a_tile_needs_our_nodes() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let err = tokio::time::timeout(LIMIT, generate(&backend, GenerationSpec { tile: true, ..spec(1, LORA) }))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.contains("DgxPixelsSeamless"), "{err}");
    let source = Some(SourceFrame { image: Arc::new(image::RgbaImage::new(64, 64)), denoise: None });
    let err = tokio::time::timeout(LIMIT, generate(&backend, GenerationSpec { tile: true, source, ..spec(1, LORA) }))
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.contains("variation of a tile"), "{err}");
    assert_eq!(standin.prompts(), 0);
}

/// The recorded frames themselves: real ComfyUI's plain output has edges in another colour (the
/// zero padding's band, which repeats as a grid of lines), its seamless output none.
#[tokio::test]
async fn the_seamless_nodes_remove_the_edge_band() {
    let standin =
        StandIn::start_with(vec![Play::new("tile", Fault::None), Play::new("sheet", Fault::None)], true).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let tiles = generate(&backend, GenerationSpec { tile: true, ..spec(2, LORA) }).await.unwrap();
    let plain = generate(&backend, spec(4, LORA)).await.unwrap();
    let band = |frames: &[image::RgbaImage]| {
        frames.iter().map(|f| dgx_pixels_sprite::tile::edge_band_contrast(f, 2)).collect::<Vec<_>>()
    };
    let (tiles, plain) = (band(&tiles), band(&plain));
    assert!(tiles.iter().all(|c| *c < 30.0) && plain.iter().all(|c| *c > 60.0), "tiles {tiles:?}, plain {plain:?}");
}

/// A LoRA that ComfyUI does not list is caught by `/object_info` before anything is queued,
/// and the message names it and what ComfyUI has instead.
#[tokio::test]
async fn a_missing_lora_is_named_before_queueing() {
    let standin = StandIn::start(vec![]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let err =
        tokio::time::timeout(LIMIT, generate(&backend, spec(1, "unknown.safetensors"))).await.unwrap().unwrap_err();
    assert!(err.contains("LoRA `styles/unknown.safetensors`"), "{err}");
    assert!(err.contains(LORA), "{err}");
    assert_eq!(standin.prompts(), 0);
}

/// `checkpoint` from the server's configuration (its TOML file here; `--checkpoint` and
/// `DGX_PIXELS_CHECKPOINT` set the same field) reaches the backend: when ComfyUI lacks it, the
/// start-up check names it and what ComfyUI has, and a job through the server fails saying so
/// before any prompt is queued.
#[tokio::test]
async fn a_configured_checkpoint_that_comfyui_lacks_is_named() {
    let standin = StandIn::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serve.toml");
    std::fs::write(&file, "checkpoint = \"sd_xl_base_1.0.safetensors\"\n").unwrap();
    let from_file = |config: &mut Config| config.apply_file(ConfigFile::load(&file).unwrap());
    let missing = "checkpoint `sd_xl_base_1.0.safetensors` (it has: sdxl_random_fp16.safetensors)";
    let mut config = Config { data_dir: dir.path().to_owned(), comfyui: vec![standin.url()], ..Config::default() };
    from_file(&mut config);
    let backend = ComfyuiBackend::new(ComfyuiSettings::from_config(&config)).unwrap();
    let err = tokio::time::timeout(LIMIT, backend.check_now(None)).await.unwrap().unwrap_err().to_string();
    assert!(err.contains(missing), "{err}");
    assert!(backend.ready());
    let (_server_dir, base) = serve_with(&[&standin], from_file).await;
    let request = json!({ "prompt": "knight", "width": 256, "height": 256, "steps": 3 });
    let job = tokio::time::timeout(LIMIT, run_job(&reqwest::Client::new(), &base, &request)).await.unwrap();
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains(missing), "{job}");
    assert_eq!(standin.prompts(), 0);
}

/// A node that raises while executing (`execution_error`) fails the job with the node and
/// Python's message, not a retry.
#[tokio::test]
async fn execution_error_fails_the_job_with_the_node_and_exception() {
    let standin = StandIn::start(vec![Play::new("execution_error", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let err = tokio::time::timeout(LIMIT, generate(&backend, spec(1, LORA))).await.unwrap().unwrap_err();
    assert!(err.contains("node 2 (LoraLoader) failed"), "{err}");
    assert!(err.contains("header too large"), "{err}");
    assert_eq!(standin.prompts(), 1);
}

/// A WebSocket cut mid-job (no close frame) is reconnected and the prompt collected from
/// `/history`: one prompt, one delivery.
#[tokio::test]
async fn a_websocket_drop_mid_job_still_delivers_once() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::DropSocketAt(20))]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(1, LORA))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(standin.prompts(), 1);
}

/// ComfyUI dies mid-job and comes back with an empty queue: the job runs again on it once it
/// is back, and is delivered once.
#[tokio::test]
async fn comfyui_dying_mid_job_is_retried_when_it_is_back() {
    let plays =
        vec![Play::new("txt2img", Fault::DieAt(20, Duration::from_millis(400))), Play::new("txt2img", Fault::None)];
    let standin = StandIn::start(plays).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(1, LORA))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(standin.prompts(), 2);
}

/// With two instances, a job whose instance dies for good fails over to the other.
#[tokio::test]
async fn a_job_fails_over_to_another_instance() {
    let dying = StandIn::start(vec![Play::new("txt2img", Fault::Slow(Duration::from_millis(20)))]).await;
    let spare = StandIn::start(vec![Play::new("txt2img", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![dying.url(), spare.url()])).unwrap();
    backend.pool().probe_all().await;
    let job = backend.prepare(spec(1, LORA)).await.unwrap();
    let run = tokio::spawn(job.run(Progress::new(|_| {})));
    tokio::time::timeout(LIMIT, async {
        while dying.prompts() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    dying.kill();
    let frames = tokio::time::timeout(LIMIT, run).await.unwrap().unwrap().unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!((dying.prompts(), spare.prompts()), (1, 1));
}

/// Cancelling a running job (the worker drops its future) deletes the prompt from ComfyUI's
/// queue and interrupts it.
#[tokio::test]
async fn cancelling_interrupts_and_dequeues_the_prompt() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::Slow(Duration::from_millis(50)))]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let job = backend.prepare(spec(1, LORA)).await.unwrap();
    let run = tokio::spawn(job.run(Progress::new(|_| {})));
    tokio::time::timeout(LIMIT, async {
        while standin.prompts() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    run.abort();
    let prompt_id = standin.log()[0].1["prompt_id"].as_str().unwrap().to_owned();
    let wanted = |log: &[(String, serde_json::Value)]| {
        let interrupted = log.iter().any(|(route, body)| route == "POST /interrupt" && body["prompt_id"] == prompt_id);
        let deleted = log.iter().any(|(route, body)| route == "POST /queue" && body["delete"][0] == prompt_id);
        interrupted && deleted
    };
    tokio::time::timeout(LIMIT, async {
        while !wanted(&standin.log()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
}

/// A spec with a source image is img2img: the source goes up through `/upload/image` and is
/// varied into one image per frame, redrawn as much as the source's denoise says.
#[tokio::test]
async fn img2img_uploads_the_source_and_varies_it() {
    let standin = StandIn::start(vec![Play::new("img2img", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let source = SourceFrame { image: Arc::new(image::RgbaImage::new(8, 8)), denoise: Some(0.4) };
    let spec = GenerationSpec { source: Some(source), ..spec(2, LORA) };
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec)).await.unwrap().unwrap();
    assert_eq!(frames.len(), 2);
    assert_img2img_prompt(&standin.log(), 0.4, 2);
}

/// The whole server: a job whose `source` is a frame of a completed job uploads that frame,
/// then sends the img2img workflow with the requested denoise and one image per frame.
#[tokio::test]
async fn the_server_runs_an_img2img_job_from_an_earlier_job() {
    assert_img2img_prompt(&variation_log(|_| {}, Some(0.35)).await, 0.35, 2);
}

/// A variation whose request gives no denoise is sent with the server's `img2img_denoise`.
#[tokio::test]
async fn without_a_denoise_the_server_sends_its_configured_one() {
    assert_img2img_prompt(&variation_log(|config| config.img2img_denoise = 0.45, None).await, 0.45, 2);
}

/// On a server `configure`d over a stand-in: a txt2img job, then a two-frame variation of it
/// with `denoise`, both completed; the stand-in's log.
async fn variation_log(configure: impl FnOnce(&mut Config), denoise: Option<f32>) -> Vec<(String, Value)> {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None), Play::new("img2img", Fault::None)]).await;
    let (_dir, base) = serve_with(&[&standin], configure).await;
    let http = reqwest::Client::new();
    let first = json!({ "prompt": "knight", "style": "lora_random_r64", "width": 256, "height": 256, "steps": 3 });
    let source = tokio::time::timeout(LIMIT, run_job(&http, &base, &first)).await.unwrap();
    assert_eq!(source["status"], "completed", "{source}");
    let mut variation = first.clone();
    variation["frames"] = json!(2);
    variation["source"] = json!({ "job": source["id"] });
    if let Some(denoise) = denoise {
        variation["denoise"] = json!(denoise);
    }
    let job = tokio::time::timeout(LIMIT, run_job(&http, &base, &variation)).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["result"]["frames"], 2);
    assert_eq!(standin.prompts(), 2);
    standin.log()
}

/// `log` shows the source uploaded, then an img2img prompt that loads it by the name ComfyUI
/// answered, redraws `denoise` of it and makes `frames` images.
fn assert_img2img_prompt(log: &[(String, Value)], denoise: f64, frames: u64) {
    let upload = log.iter().position(|(route, _)| route == "POST /upload/image").expect("an upload");
    let uploaded = log[upload].1["name"].as_str().unwrap();
    assert!(uploaded.starts_with("dgx-pixels-") && uploaded.ends_with(".png"), "{uploaded}");
    let (route, body) = &log[upload + 1];
    assert_eq!(route, "POST /prompt");
    let node = |class: &str| body["prompt"].as_object().unwrap().values().find(|n| n["class_type"] == class).unwrap();
    assert_eq!(node("LoadImage")["inputs"]["image"], uploaded);
    let sent = node("KSampler")["inputs"]["denoise"].as_f64().unwrap();
    assert!((sent - denoise).abs() < 1e-6, "denoise {sent}, asked {denoise}");
    assert_eq!(node("RepeatLatentBatch")["inputs"]["amount"], frames);
}

/// Submits `request` and polls the job until it stops; the job.
async fn run_job(http: &reqwest::Client, base: &str, request: &Value) -> Value {
    let accepted: Value =
        http.post(format!("{base}/api/v1/generate")).json(request).send().await.unwrap().json().await.unwrap();
    let job_url = format!("{base}/api/v1/jobs/{}", accepted["job_id"].as_str().expect("accepted"));
    loop {
        let job: Value = http.get(&job_url).send().await.unwrap().json().await.unwrap();
        if job["status"] != "queued" && job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The whole server with `--backend comfyui --comfyui URL`: a sheet job through the HTTP API is
/// generated on (the stand-in of) ComfyUI, goes through the pixel-art pipeline and completes.
#[tokio::test]
async fn the_server_runs_a_sheet_job_on_comfyui() {
    let standin = StandIn::start(vec![Play::new("sheet", Fault::None)]).await;
    let (_dir, base) = serve(&standin, None).await;
    let http = reqwest::Client::new();
    let request = json!({
        "prompt": "knight", "style": "lora_random_r64", "frames": 4, "width": 256, "height": 256, "steps": 3,
        "sprite": {"width": 32, "height": 32}
    });
    let job = tokio::time::timeout(LIMIT, run_job(&http, &base, &request)).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    let sheet = http.get(format!("{base}{}", job["result"]["files"]["sheet"].as_str().unwrap())).send().await.unwrap();
    assert!(sheet.status().is_success());
    assert_eq!(standin.prompts(), 1);
}

/// A prompt interrupted at ComfyUI itself (someone pressed Cancel in its UI) fails the job and
/// says so; it is not retried.
#[tokio::test]
async fn a_prompt_interrupted_at_comfyui_fails_the_job() {
    let standin = StandIn::start(vec![Play::new("interrupt", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let err = tokio::time::timeout(LIMIT, generate(&backend, spec(1, LORA))).await.unwrap().unwrap_err();
    assert!(err.contains("ComfyUI interrupted prompt"), "{err}");
    assert_eq!(standin.prompts(), 1);
}

/// An instance that never answers is skipped: jobs go to the one that does.
#[tokio::test]
async fn a_dead_instance_is_skipped() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None)]).await;
    let dead = "http://127.0.0.1:1".to_owned();
    let backend = ComfyuiBackend::new(settings(vec![dead, standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(1, LORA))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 1);
    assert!(backend.ready());
    assert!(!backend.pool().instances()[0].is_healthy());
}

/// A tileset on (the stand-in of) ComfyUI with our nodes: its two terrains go out as two `tile`
/// prompts, each with its terrain's words after the shared prompt, and the job completes with
/// 16 tiles composed from them.
#[tokio::test]
async fn the_server_runs_a_tileset_job_on_comfyui() {
    let plays = vec![Play::new("tile_single", Fault::None), Play::new("tile_single", Fault::None)];
    let standin = StandIn::start_with(plays, true).await;
    let (_dir, base) = serve(&standin, None).await;
    let http = reqwest::Client::new();
    let request = json!({ "prompt": "top-down", "kind": "tileset", "lower": "grass", "upper": "shallow water",
        "style": "lora_random_r64", "width": 256, "height": 256, "steps": 3, "sprite": {"width": 16, "height": 16} });
    let job = tokio::time::timeout(LIMIT, run_job(&http, &base, &request)).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!((job["result"]["frames"].as_u64(), job["result"]["columns"].as_u64()), (Some(16), Some(1)));
    let prompts: Vec<Value> = standin.log().into_iter().filter(|(r, _)| r == "POST /prompt").map(|(_, b)| b).collect();
    assert_eq!(prompts.len(), 2);
    let mut texts: Vec<String> = prompts
        .iter()
        .map(|body| {
            let nodes = body["prompt"].as_object().unwrap();
            assert!(nodes.values().any(|n| n["class_type"] == "DgxPixelsSeamless"), "{body}");
            let positive = nodes.values().find(|n| n["_meta"]["title"] == "Positive prompt").unwrap();
            positive["inputs"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    texts.sort();
    assert_eq!(texts.len(), 2);
    assert!(texts[0].ends_with("top-down, grass") && texts[1].ends_with("top-down, shallow water"), "{texts:?}");
}
