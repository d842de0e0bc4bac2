//! Batching on the `comfyui` backend: compatible single-frame jobs in one prompt through our
//! batch nodes (`comfyui_nodes/dgx_pixels`), the fallback to one prompt per job without them,
//! the worker splitting a batch's frames back per job, a pool where only some instances
//! have the nodes, and the facings of a character that turns (one batch item per facing and
//! frame, or one `sheet` prompt per facing), against the recorded stand-in.
//!
//! Every test is bounded by [`LIMIT`].

#[expect(dead_code, reason = "the stand-in's fault injection and kill serve other test files")]
mod support;

use std::time::Duration;

use dgx_pixels_protocol::{Facing, SpriteSize};
use dgx_pixels_server::backend::comfyui::{ComfyuiBackend, ComfyuiSettings};
use dgx_pixels_server::backend::{Backend, GenerationSpec, LoraChoice, Progress};
use serde_json::{Value, json};
use support::comfyui_standin::{Fault, Play, StandIn};
use support::server_on_standin::{LORA, serve, serve_with};

/// No test may take longer than this.
const LIMIT: Duration = Duration::from_secs(20);

fn spec(prompt: &str, seed: u64) -> GenerationSpec {
    GenerationSpec {
        prompt: prompt.into(),
        negative_prompt: format!("not {prompt}"),
        seed,
        frames: 1,
        facings: Vec::new(),
        tile: false,
        sprite: SpriteSize::new(32, 32),
        canvas: SpriteSize::new(256, 256),
        steps: 3,
        guidance_scale: 7.5,
        sampler: None,
        loras: vec![LoraChoice { file: format!("styles/{LORA}"), strength: 0.8 }],
        source: None,
    }
}

fn backend(standin: &StandIn) -> ComfyuiBackend {
    let settings =
        ComfyuiSettings { urls: vec![standin.url()], idle_poll: Duration::from_secs(2), ..Default::default() };
    ComfyuiBackend::new(settings).unwrap()
}

/// The node of class `class` in a posted prompt.
fn node<'a>(body: &'a Value, class: &str) -> Vec<&'a Value> {
    body["prompt"].as_object().unwrap().values().filter(|n| n["class_type"] == class).collect()
}

/// With our nodes installed, four jobs with different prompts and seeds are one prompt whose
/// batch items carry each job's prompt, negative prompt and seed; four frames come back.
#[tokio::test]
async fn compatible_jobs_are_one_prompt_with_the_batch_nodes() {
    let standin = StandIn::start_with(vec![Play::new("sheet", Fault::None)], true).await;
    let backend = backend(&standin);
    let specs: Vec<_> = ["knight", "slime", "bat", "chest"].iter().zip(1..).map(|(p, s)| spec(p, s)).collect();
    let job = backend.prepare_batch(specs).await.unwrap();
    let frames = tokio::time::timeout(LIMIT, job.run(Progress::new(|_| {}))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 4);
    assert_eq!(standin.prompts(), 1);
    let (_, body) = &standin.log()[0];
    let texts: Vec<Vec<String>> = node(body, "DgxPixelsTextBatch")
        .iter()
        .map(|n| serde_json::from_str(n["inputs"]["texts"].as_str().unwrap()).unwrap())
        .collect();
    assert!(texts.contains(&vec!["knight".into(), "slime".into(), "bat".into(), "chest".into()]), "{texts:?}");
    assert!(texts.contains(&vec!["not knight".into(), "not slime".into(), "not bat".into(), "not chest".into()]));
    let sampler = node(body, "DgxPixelsBatchKSampler");
    assert_eq!(sampler[0]["inputs"]["seeds"], json!("[1,2,3,4]"));
    assert_eq!(node(body, "EmptyLatentImage")[0]["inputs"]["batch_size"], 4);
    assert!(node(body, "KSampler").is_empty() && node(body, "CLIPTextEncode").is_empty());
}

/// A stock ComfyUI (no batch nodes): the same batch goes out as one prompt per job, all
/// queued at once, and the frames come back in the jobs' order.
#[tokio::test]
async fn without_the_nodes_each_job_is_its_own_prompt() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None), Play::new("txt2img", Fault::None)]).await;
    let backend = backend(&standin);
    let job = backend.prepare_batch(vec![spec("knight", 1), spec("slime", 2)]).await.unwrap();
    let frames = tokio::time::timeout(LIMIT, job.run(Progress::new(|_| {}))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(standin.prompts(), 2);
    for (_, body) in standin.log() {
        assert_eq!(node(&body, "KSampler").len(), 1);
        assert!(node(&body, "DgxPixelsBatchKSampler").is_empty());
    }
}

/// The whole server: while two slow jobs hold both slots, four compatible jobs and one with
/// other steps queue up. The four become one prompt; one of them is cancelled mid-run and is
/// not delivered while the other three complete with their raw frames; the fifth runs alone.
#[tokio::test]
async fn the_server_batches_queued_jobs_and_cancels_one_member() {
    let slow = |ms| Play::new("txt2img", Fault::Slow(Duration::from_millis(ms)));
    let plays = vec![slow(20), slow(60), Play::new("sheet", Fault::Slow(Duration::from_millis(40))), slow(1)];
    let standin = StandIn::start_with(plays, true).await;
    let (_dir, base) = serve(&standin, None).await;
    let http = reqwest::Client::new();
    tokio::time::timeout(LIMIT, async {
        // Different steps: the blockers may not share a batch, so each holds a slot.
        let blockers = [submit(&http, &base, "wall", 512, 3).await, submit(&http, &base, "wall", 512, 5).await];
        for blocker in &blockers {
            wait_for(&http, blocker.clone(), &["running"]).await;
        }
        let mut members = Vec::new();
        for prompt in ["knight", "slime", "bat", "chest"] {
            members.push(submit(&http, &base, prompt, 256, 3).await);
        }
        let other = submit(&http, &base, "door", 256, 4).await;
        wait_for(&http, members[1].clone(), &["running"]).await;
        let cancelled: Value = http.delete(&members[1]).send().await.unwrap().json().await.unwrap();
        assert_eq!(cancelled["status"], "cancelled");
        for (i, member) in members.iter().enumerate() {
            let job = wait_for(&http, member.clone(), &["completed", "failed", "cancelled"]).await;
            let want = if i == 1 { "cancelled" } else { "completed" };
            assert_eq!(job["status"], want, "{job}");
            let raw = http.get(format!("{member}/raw/0.png")).send().await.unwrap();
            assert_eq!(raw.status().is_success(), i != 1);
        }
        assert_eq!(wait_for(&http, other.clone(), &["completed", "failed"]).await["status"], "completed");
        let raw = http.get(format!("{other}/raw/0.png")).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(image::load_from_memory(&raw).unwrap().width(), 64);
        assert_eq!(http.get(format!("{other}/raw/1.png")).send().await.unwrap().status(), 404);
    })
    .await
    .unwrap();
    let prompts: Vec<Value> = standin.log().into_iter().filter(|(r, _)| r == "POST /prompt").map(|(_, b)| b).collect();
    let batch_sizes: Vec<Value> =
        prompts.iter().map(|b| node(b, "EmptyLatentImage")[0]["inputs"]["batch_size"].clone()).collect();
    assert_eq!(batch_sizes, [json!(1), json!(1), json!(4), json!(1)]);
    // The cancelled member's prompt kept running for the other three: nothing was interrupted.
    assert!(!standin.log().iter().any(|(route, _)| route == "POST /interrupt"));
}

/// Jobs submitted together while a generation runs become one prompt: the first waits for the
/// others in its batch window instead of going out alone (it would wait behind the running
/// prompt anyway). A job cancelled while waiting in the window leaves the batch (the
/// stand-in's recording has 4 images, so a fifth member would fail the batch).
#[tokio::test]
async fn jobs_submitted_together_wait_in_the_window_and_are_one_prompt() {
    let plays = vec![Play::new("txt2img", Fault::Slow(Duration::from_millis(30))), Play::new("sheet", Fault::None)];
    let standin = StandIn::start_with(plays, true).await;
    // Far longer than four submissions take even on a loaded machine, and well within LIMIT.
    let (_dir, base) = serve(&standin, Some(Duration::from_secs(3))).await;
    let http = reqwest::Client::new();
    let prompts = ["knight", "slime", "bat", "chest"];
    tokio::time::timeout(LIMIT, async {
        let blocker = submit(&http, &base, "wall", 512, 5).await;
        wait_for(&http, blocker.clone(), &["running"]).await;
        let ghost = submit(&http, &base, "ghost", 256, 3).await;
        let cancelled: Value = http.delete(&ghost).send().await.unwrap().json().await.unwrap();
        assert_eq!(cancelled["status"], "cancelled");
        let mut members = Vec::new();
        for prompt in prompts {
            members.push(submit(&http, &base, prompt, 256, 3).await);
        }
        for job in members.iter().chain([&blocker]) {
            let job = wait_for(&http, job.clone(), &["completed", "failed", "cancelled"]).await;
            assert_eq!(job["status"], "completed", "{job}");
        }
    })
    .await
    .unwrap();
    let posted = posted(&standin);
    assert_eq!(posted.len(), 2, "the blocker's prompt, then one prompt for the four jobs");
    assert_eq!(node(&posted[1], "EmptyLatentImage")[0]["inputs"]["batch_size"], 4);
    let texts: Vec<Vec<String>> = node(&posted[1], "DgxPixelsTextBatch")
        .iter()
        .map(|n| serde_json::from_str(n["inputs"]["texts"].as_str().unwrap()).unwrap())
        .collect();
    assert!(texts.contains(&prompts.map(String::from).to_vec()), "{texts:?}");
}

/// A lone job on an idle backend does not wait in the batch window: with a window of 10 s it
/// completes in a fraction of it, as one prompt of its own.
#[tokio::test]
async fn a_lone_job_on_an_idle_backend_goes_out_at_once() {
    let standin = StandIn::start_with(vec![Play::new("txt2img", Fault::None)], true).await;
    let (_dir, base) = serve(&standin, Some(Duration::from_secs(10))).await;
    let http = reqwest::Client::new();
    let started = std::time::Instant::now();
    let job = submit(&http, &base, "knight", 256, 3).await;
    let done = tokio::time::timeout(LIMIT, wait_for(&http, job, &["completed", "failed"])).await.unwrap();
    assert_eq!(done["status"], "completed", "{done}");
    assert!(started.elapsed() < Duration::from_secs(5), "waited in the window: {:?}", started.elapsed());
    assert_eq!(node(&posted(&standin)[0], "EmptyLatentImage")[0]["inputs"]["batch_size"], 1);
}

/// A pool whose first instance lacks the batch nodes: while a blocker runs there (it ties and
/// comes first), four jobs submitted together are one prompt on the instance that has the
/// nodes, and nothing else reaches the other (a pool that looked at one instance only would
/// send them there one by one).
#[tokio::test]
async fn a_batch_goes_to_the_instance_with_the_nodes() {
    let without = StandIn::start(vec![Play::new("txt2img", Fault::Slow(Duration::from_millis(30)))]).await;
    let with = StandIn::start_with(vec![Play::new("sheet", Fault::None)], true).await;
    let (_dir, base) = serve_with(&[&without, &with], |config| config.batch_window = Duration::from_secs(3)).await;
    let http = reqwest::Client::new();
    let prompts = ["knight", "slime", "bat", "chest"];
    tokio::time::timeout(LIMIT, complete_behind_a_blocker(&http, &base, &prompts)).await.unwrap();
    assert_eq!(without.prompts(), 1, "only the blocker: {:?}", without.log());
    let posted = posted(&with);
    assert_eq!(posted.len(), 1);
    assert_eq!(node(&posted[0], "EmptyLatentImage")[0]["inputs"]["batch_size"], 4);
    assert_eq!(node(&posted[0], "DgxPixelsBatchKSampler").len(), 1);
}

/// The instance running a batch dies and the only other one lacks the batch nodes: the batch
/// is not retried there but goes out one prompt per job, and every job completes once. (A
/// blocker, done on the first instance well before the 5 s window ends, makes the four wait
/// for each other.)
#[tokio::test]
async fn a_batch_falls_back_to_one_prompt_per_job_when_no_instance_with_the_nodes_is_left() {
    let blocker_play = Play::new("txt2img", Fault::Slow(Duration::from_millis(20)));
    let dying = Play::new("sheet", Fault::DieAt(3, Duration::from_secs(60)));
    let with = StandIn::start_with(vec![blocker_play, dying], true).await;
    let without = StandIn::start((0..4).map(|_| Play::new("txt2img", Fault::None)).collect()).await;
    let (_dir, base) = serve_with(&[&with, &without], |config| config.batch_window = Duration::from_secs(5)).await;
    let http = reqwest::Client::new();
    let prompts = ["knight", "slime", "bat", "chest"];
    tokio::time::timeout(LIMIT, complete_behind_a_blocker(&http, &base, &prompts)).await.unwrap();
    let batched = posted(&with);
    assert_eq!(batched.len(), 2, "the blocker, then the batch");
    assert_eq!(node(&batched[1], "EmptyLatentImage")[0]["inputs"]["batch_size"], 4);
    let singles = posted(&without);
    let mut sent: Vec<String> = singles
        .iter()
        .map(|body| {
            assert!(node(body, "DgxPixelsBatchKSampler").is_empty() && node(body, "DgxPixelsTextBatch").is_empty());
            assert_eq!(node(body, "EmptyLatentImage")[0]["inputs"]["batch_size"], 1);
            let positive = body["prompt"][node(body, "KSampler")[0]["inputs"]["positive"][0].as_str().unwrap()].clone();
            positive["inputs"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    sent.sort();
    let mut wanted = prompts.map(String::from).to_vec();
    wanted.sort();
    assert_eq!(sent, wanted, "one prompt per job, each job once");
}

/// Submits `prompts` as single-frame jobs one after another and waits until each has completed
/// with its raw frame.
async fn complete_together(http: &reqwest::Client, base: &str, prompts: &[&str]) {
    let mut jobs = Vec::new();
    for prompt in prompts {
        jobs.push(submit(http, base, prompt, 256, 3).await);
    }
    for job in jobs {
        let done = wait_for(http, job.clone(), &["completed", "failed", "cancelled"]).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert!(http.get(format!("{job}/raw/0.png")).send().await.unwrap().status().is_success());
    }
}

/// Submits a blocker (a job nothing may join) and, once it runs, `prompts` as single-frame jobs
/// one after another, so that they wait for each other in the batch window; waits until all
/// have completed.
async fn complete_behind_a_blocker(http: &reqwest::Client, base: &str, prompts: &[&str]) {
    let blocker = submit(http, base, "wall", 512, 5).await;
    wait_for(http, blocker.clone(), &["running"]).await;
    complete_together(http, base, prompts).await;
    assert_eq!(wait_for(http, blocker, &["completed", "failed"]).await["status"], "completed");
}

/// The bodies of the prompts `standin` was sent, in order.
fn posted(standin: &StandIn) -> Vec<Value> {
    standin.log().into_iter().filter(|(route, _)| route == "POST /prompt").map(|(_, body)| body).collect()
}

/// Submits a single-frame job in the recordings' style; the job's URL.
async fn submit(http: &reqwest::Client, base: &str, prompt: &str, width: u32, steps: u32) -> String {
    let request = json!({ "prompt": prompt, "style": "lora_random_r64", "width": width, "height": width,
        "steps": steps, "sprite": {"width": 32, "height": 32} });
    let accepted: Value =
        http.post(format!("{base}/api/v1/generate")).json(&request).send().await.unwrap().json().await.unwrap();
    format!("{base}/api/v1/jobs/{}", accepted["job_id"].as_str().unwrap())
}

/// Polls the job at `url` until its status is one of `wanted`; the job.
async fn wait_for(http: &reqwest::Client, url: String, wanted: &[&str]) -> Value {
    loop {
        let job: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        if wanted.contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The texts of the posted prompt's positive [`DgxPixelsTextBatch`] node (the one whose texts
/// do not start with "not ").
fn positive_texts(body: &Value) -> Vec<String> {
    node(body, "DgxPixelsTextBatch")
        .iter()
        .map(|n| serde_json::from_str::<Vec<String>>(n["inputs"]["texts"].as_str().unwrap()).unwrap())
        .find(|texts| !texts[0].starts_with("not "))
        .unwrap()
}

/// A 4-direction sheet of 2 frames, mirrored (rows s, w, n drawn): with our nodes, one prompt
/// of 6 items, each with its facing's view words and the seed of its frame, replayed from the
/// recording of exactly that prompt on a real ComfyUI.
#[tokio::test]
async fn the_facings_of_a_sheet_are_one_batch_with_the_nodes() {
    let standin = StandIn::start_with(vec![Play::new("facings", Fault::None)], true).await;
    let backend = backend(&standin);
    let facings = vec![Facing::S, Facing::W, Facing::N];
    let sheet = GenerationSpec { frames: 2, facings, ..spec("pixel art knight, walk cycle", 2468) };
    assert_eq!(sheet.images(), 6);
    let job = backend.prepare(sheet).await.unwrap();
    let frames = tokio::time::timeout(LIMIT, job.run(Progress::new(|_| {}))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 6);
    assert_eq!(standin.prompts(), 1);
    let (_, body) = &standin.log().into_iter().find(|(route, _)| route == "POST /prompt").unwrap();
    let texts = positive_texts(body);
    let views = ["front view", "front view", "facing left", "facing left", "back view", "back view"];
    for (text, view) in texts.iter().zip(views) {
        assert!(text.starts_with("pixel art knight, walk cycle, ") && text.contains(view), "{texts:?}");
    }
    assert_eq!(node(body, "DgxPixelsBatchKSampler")[0]["inputs"]["seeds"], json!("[2468,2469,2468,2469,2468,2469]"));
    assert_eq!(node(body, "EmptyLatentImage")[0]["inputs"]["batch_size"], 6);
}

/// A stock ComfyUI: each drawn facing is a `sheet` prompt of its frames, with its view words
/// and the job's one seed, all queued at once; the frames come back facing by facing.
#[tokio::test]
async fn without_the_nodes_each_facing_is_a_sheet_prompt() {
    let plays = (0..3).map(|_| Play::new("sheet", Fault::None)).collect();
    let standin = StandIn::start(plays).await;
    let backend = backend(&standin);
    let facings = vec![Facing::S, Facing::W, Facing::N];
    let job = backend.prepare(GenerationSpec { frames: 4, facings, ..spec("knight", 9) }).await.unwrap();
    let frames = tokio::time::timeout(LIMIT, job.run(Progress::new(|_| {}))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 12);
    let prompts: Vec<Value> = standin.log().into_iter().filter(|(r, _)| r == "POST /prompt").map(|(_, b)| b).collect();
    assert_eq!(prompts.len(), 3);
    let mut views: Vec<String> = prompts
        .iter()
        .map(|body| {
            assert_eq!(node(body, "KSampler")[0]["inputs"]["seed"], 9);
            assert_eq!(node(body, "EmptyLatentImage")[0]["inputs"]["batch_size"], 4);
            let texts: Vec<String> =
                node(body, "CLIPTextEncode").iter().map(|n| n["inputs"]["text"].as_str().unwrap().to_owned()).collect();
            texts.into_iter().find(|t| t.starts_with("knight, ")).unwrap()
        })
        .collect();
    views.sort();
    assert_eq!(
        views,
        [
            "knight, back view, facing away from the viewer",
            "knight, front view, facing the viewer",
            "knight, side view, in profile, facing left"
        ]
    );
}

/// Facings share batches of at most `max_batch` images, whole facings each: 8 facings of 2
/// frames, unmirrored, at 4 per batch, are four prompts of two facings.
#[tokio::test]
async fn facings_fill_batches_of_at_most_max_batch() {
    let plays = (0..4).map(|_| Play::new("sheet", Fault::None)).collect();
    let standin = StandIn::start_with(plays, true).await;
    let settings = ComfyuiSettings {
        urls: vec![standin.url()],
        idle_poll: Duration::from_secs(2),
        max_batch: 4,
        ..Default::default()
    };
    let backend = ComfyuiBackend::new(settings).unwrap();
    let sheet = GenerationSpec { frames: 2, facings: Facing::EIGHT.to_vec(), ..spec("knight", 1) };
    let job = backend.prepare(sheet).await.unwrap();
    let frames = tokio::time::timeout(LIMIT, job.run(Progress::new(|_| {}))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 16);
    let prompts: Vec<Value> = standin.log().into_iter().filter(|(r, _)| r == "POST /prompt").map(|(_, b)| b).collect();
    assert_eq!(prompts.len(), 4);
    for body in &prompts {
        assert_eq!(node(body, "EmptyLatentImage")[0]["inputs"]["batch_size"], 4);
        let texts = positive_texts(body);
        assert!(texts[0] == texts[1] && texts[2] == texts[3] && texts[1] != texts[2], "{texts:?}");
    }
}

/// The whole server on the stand-in: a 4-direction request completes as a sheet of four rows
/// tagged by facing, the east row the west row mirrored.
#[tokio::test]
async fn the_server_makes_a_sheet_of_facings_on_comfyui() {
    let standin = StandIn::start_with(vec![Play::new("facings", Fault::None)], true).await;
    let (_dir, base) = serve(&standin, None).await;
    let http = reqwest::Client::new();
    let request = json!({ "prompt": "pixel art knight, walk cycle", "style": "lora_random_r64", "width": 256,
        "height": 256, "steps": 3, "frames": 2, "directions": 4, "seed": 2468, "sprite": {"width": 32, "height": 32} });
    let accepted: Value =
        http.post(format!("{base}/api/v1/generate")).json(&request).send().await.unwrap().json().await.unwrap();
    let url = format!("{base}/api/v1/jobs/{}", accepted["job_id"].as_str().unwrap());
    let job = tokio::time::timeout(LIMIT, wait_for(&http, url.clone(), &["completed", "failed"])).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["result"]["frames"], 8);
    let sprite = http.get(format!("{url}/sprite.ron")).send().await.unwrap().text().await.unwrap();
    let meta = dgx_pixels_protocol::SpriteMeta::from_ron(&sprite).unwrap();
    let names: Vec<&str> = meta.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["walk_s", "walk_w", "walk_n", "walk_e"]);
    let png = http.get(format!("{url}/sheet.png")).send().await.unwrap().bytes().await.unwrap();
    let sheet = image::load_from_memory(&png).unwrap().to_rgba8();
    assert_eq!(sheet.dimensions(), (64, 128));
    let row = |r: u32| image::imageops::crop_imm(&sheet, 0, r * 32, 64, 32).to_image();
    let west_cells = [0, 32].map(|x| image::imageops::crop_imm(&row(1), x, 0, 32, 32).to_image());
    let east_cells = [0, 32].map(|x| image::imageops::crop_imm(&row(3), x, 0, 32, 32).to_image());
    for (west, east) in west_cells.iter().zip(&east_cells) {
        assert_eq!(&image::imageops::flip_horizontal(west), east);
    }
}
