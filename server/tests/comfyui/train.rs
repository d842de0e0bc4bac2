//! `POST /api/v1/styles/train` over loopback HTTP: every bad request is refused with the field
//! named before anything is queued or left on disk, on a server whose ComfyUI backend (a
//! stand-in) can train; a server that cannot train says so.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use image::{Rgba, RgbaImage};
use serde_json::{Value, json};

use crate::support::comfyui_standin::{Fault, Play, StandIn};
use crate::support::server_on_standin::{LORA, serve_with};

/// `count` 16×16 sprites as PNGs in `folder`.
fn sprites(folder: &Path, count: u32) {
    std::fs::create_dir_all(folder).unwrap();
    for n in 0..count {
        let sprite = RgbaImage::from_fn(16, 16, |x, y| {
            if (x + y + n).is_multiple_of(3) { Rgba([200, 40, 40, 255]) } else { Rgba([0, 0, 0, 0]) }
        });
        sprite.save(folder.join(format!("sprite{n:02}.png"))).unwrap();
    }
}

async fn train(base: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(format!("{base}/api/v1/styles/train")).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_trainings_are_refused_with_the_field_and_nothing_is_queued() {
    let standin = StandIn::start(Vec::new()).await;
    let root = tempfile::tempdir().unwrap();
    sprites(&root.path().join("few"), 3);
    sprites(&root.path().join("enough"), 20);
    std::fs::create_dir_all(root.path().join("empty")).unwrap();
    std::fs::write(root.path().join("notes.png"), b"not a png").unwrap();
    let outside = tempfile::tempdir().unwrap();
    sprites(outside.path(), 20);
    std::os::unix::fs::symlink(outside.path(), root.path().join("link_out")).unwrap();
    let allowed = vec![root.path().to_path_buf()];
    let (dir, base) = serve_with(&[&standin], |config| config.allow_roots = allowed).await;
    std::fs::create_dir_all(dir.path().join("models/lora/styles")).unwrap();
    std::fs::write(dir.path().join("models/lora/styles/taken.safetensors"), b"x").unwrap();

    let cases = [
        (json!({"name": "team", "images": ["few"]}), 422, "images", "at least 20"),
        (json!({"name": "team", "images": ["empty"]}), 422, "images", "no PNG"),
        (json!({"name": "team", "images": ["notes.png"]}), 422, "images", "not a PNG"),
        (json!({"name": "team", "images": ["link_out"]}), 422, "images", "no job or file"),
        (json!({"name": "team", "images": [outside.path()]}), 422, "images", "no job or file"),
        (json!({"name": "team", "images": ["nosuchjob"]}), 422, "images", "no job or file"),
        (json!({"name": "../team", "images": ["enough"]}), 422, "name", "[a-z0-9_-]"),
        (json!({"name": "team", "images": ["enough"], "rank": 500}), 422, "rank", "between 1 and 128"),
        (json!({"name": "team", "images": ["enough"], "trigger_word": "a b"}), 422, "trigger_word", "[a-z0-9_-]"),
        (json!({"name": "team", "images": ["enough"], "resolution": 1000}), 422, "resolution", "multiple of 64"),
        (json!({"name": "team", "images": []}), 422, "images", "between 1 and 64"),
        (json!({"name": "taken", "images": ["enough"]}), 409, "", "overwrite"),
        (json!({"name": "team", "images": ["enough"], "epochs": 3}), 422, "epochs", "unknown field"),
    ];
    for (body, status, field, says) in cases {
        let (got, answer) = train(&base, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["field"], field, "{body}: {answer}");
        }
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{body}: {message}");
    }
    let jobs: Value = reqwest::get(format!("{base}/api/v1/jobs")).await.unwrap().json().await.unwrap();
    assert_eq!(jobs.as_array().map(Vec::len), Some(0), "nothing queued: {jobs}");
    let datasets = dir.path().join("datasets");
    let left = std::fs::read_dir(&datasets).map(|entries| entries.count()).unwrap_or(0);
    assert_eq!(left, 0, "no dataset left behind in {}", datasets.display());
}

/// A sprite as an upload, the way `dgx-pixels train-style` sends a file of this machine.
fn upload(n: u32) -> Value {
    let mut png = std::io::Cursor::new(Vec::new());
    RgbaImage::from_fn(16, 16, |x, y| {
        if (x * y + n).is_multiple_of(4) { Rgba([30, 90, 200, 255]) } else { Rgba([0, 0, 0, 0]) }
    })
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();
    json!({"name": format!("sprite{n:02}.png"), "png": BASE64.encode(png.into_inner())})
}

/// Uploaded sprites are accepted as a training; the job keeps their names, not their bytes; bad
/// uploads are refused by field; on a ComfyUI without our training node the job fails saying so,
/// and its dataset is removed. (What the dataset holds: `train::dataset`'s unit tests.)
#[tokio::test(flavor = "multi_thread")]
async fn uploaded_sprites_are_taken_and_the_job_keeps_only_their_names() {
    let standin = StandIn::start(Vec::new()).await;
    let (dir, base) = serve_with(&[&standin], |_| {}).await;
    let twenty: Vec<Value> = (0..20).map(upload).collect();
    let cases = [
        (json!({"name": "team", "uploads": [{"name": "a.png", "png": "not base64!"}]}), "uploads[].png", "not base64"),
        (json!({"name": "team", "uploads": [{"name": "a.png", "png": "aGVsbG8="}]}), "uploads[].png", "not a PNG"),
        (json!({"name": "team", "uploads": twenty[..19]}), "images", "at least 20"),
    ];
    for (body, field, says) in cases {
        let (status, answer) = train(&base, body).await;
        assert_eq!((status, answer["field"].as_str()), (422, Some(field)), "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{answer}");
    }
    let (status, answer) = train(&base, json!({"name": "team", "uploads": twenty})).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["job_id"].as_str().unwrap().to_owned();
    let job: Value = reqwest::get(format!("{base}/api/v1/jobs/{id}")).await.unwrap().json().await.unwrap();
    let uploads = job["request"]["uploads"].as_array().unwrap();
    assert_eq!(uploads.len(), 20, "{job}");
    assert!(uploads.iter().all(|u| u["png"] == "" && u["name"].as_str().unwrap().starts_with("sprite")), "{job}");

    let dataset = dir.path().join("datasets").join(&id);
    // The stand-in is a ComfyUI without our training node: the job fails, naming what is missing,
    // and its dataset goes.
    let client = dgx_pixels_client::Client::new(&base).unwrap();
    let job = client.wait(&dgx_pixels_protocol::JobId(id)).await.unwrap();
    assert_eq!(job.status, dgx_pixels_protocol::JobStatus::Failed);
    let error = job.error.unwrap_or_default();
    assert!(error.contains("missing node types DgxPixelsTrainLora"), "{error}");
    assert!(!dataset.exists(), "the failed training's dataset is removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_cannot_train_says_so() {
    let root = tempfile::tempdir().unwrap();
    sprites(&root.path().join("enough"), 20);
    let dir = tempfile::tempdir().unwrap();
    let config = dgx_pixels_server::config::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        allow_roots: vec![root.path().to_path_buf()],
        ..dgx_pixels_server::config::Config::default()
    };
    let server = dgx_pixels_server::Server::bind(config).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.run(std::future::pending()));
    let (status, answer) = train(&base, json!({"name": "team", "images": ["enough"]})).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("--backend comfyui"), "{answer}");
}

/// `dgx-pixels train-style NAME --images DIR` reads a folder of this machine and sends it; the
/// server's refusal or the job's failure ends it with a non-zero status and the reason.
#[tokio::test(flavor = "multi_thread")]
async fn the_cli_sends_a_local_folder_and_reports_the_outcome() {
    let standin = StandIn::start(Vec::new()).await;
    let (_dir, base) = serve_with(&[&standin], |_| {}).await;
    let local = tempfile::tempdir().unwrap();
    sprites(&local.path().join("few"), 3);
    sprites(&local.path().join("enough"), 20);
    let run = |folder: &str| {
        let (images, base) = (local.path().join(folder), base.clone());
        tokio::task::spawn_blocking(move || {
            let output = std::process::Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
                .args(["train-style", "team", "--images"])
                .arg(images)
                .args(["--server", &base])
                .output()
                .unwrap();
            (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
        })
    };
    let (few, few_err) = run("few").await.unwrap();
    assert!(!few && few_err.contains("at least 20"), "{few_err}");
    let (enough, enough_err) = run("enough").await.unwrap();
    assert!(!enough && enough_err.contains("DgxPixelsTrainLora"), "{enough_err}");
    assert!(enough_err.contains("training job"), "the job id is shown: {enough_err}");
}

/// A LoRA file as small as safetensors allows: one f32 tensor.
fn tiny_lora() -> Vec<u8> {
    let header = br#"{"diffusion_model.x.lora_up.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header);
    file.extend_from_slice(&1.0f32.to_le_bytes());
    file
}

/// A server on a stand-in with our nodes replaying `play`, two images enough to train on; the
/// folder, the base URL and two uploads.
async fn training_server(play: Play) -> (StandIn, tempfile::TempDir, String, Value) {
    let standin = StandIn::start_with(vec![play], true).await;
    let (dir, base) = serve_with(&[&standin], |config| config.train_min_images = 2).await;
    let uploads = json!([upload(1), upload(2)]);
    (standin, dir, base, uploads)
}

async fn wait_for(base: &str, id: &str) -> dgx_pixels_protocol::Job {
    let client = dgx_pixels_client::Client::new(base).unwrap();
    client.wait(&dgx_pixels_protocol::JobId(id.to_owned())).await.unwrap()
}

/// The recorded training replayed: the dataset goes into its own input sub-folder, the template
/// is filled from the request, each step reaches the job, and the LoRA from `/view` lands in the
/// models folder with its sidecar, listed by `/api/v1/models` at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_style_trained_on_comfyui_lands_in_the_registry() {
    let lora = tiny_lora();
    let (standin, dir, base, uploads) =
        training_server(Play::new("train", Fault::None).with_download(lora.clone())).await;
    let body = json!({"name": "team", "uploads": uploads, "steps": 3, "rank": 4, "trigger_word": "teamstyle"});
    let (status, answer) = train(&base, body).await;
    assert_eq!(status, 202, "{answer}");
    let job = wait_for(&base, answer["job_id"].as_str().unwrap()).await;
    assert_eq!(job.status, dgx_pixels_protocol::JobStatus::Completed, "{:?}", job.error);
    let style = job.style.expect("a completed training names its style");
    assert_eq!(
        (style.file.as_str(), style.bytes, style.images, style.steps),
        ("styles/team.safetensors", lora.len() as u64, 2, 3)
    );
    // The recording's losses: 100.41, 0.0277, 0.8058; a tenth of 3 steps is one.
    assert!((style.loss_start.unwrap() - 100.41).abs() < 0.01 && (style.loss_end.unwrap() - 0.8058).abs() < 0.001);
    assert_eq!(job.train_step.map(|step| (step.step, step.steps)), Some((3, 3)));

    let models = dir.path().join("models/lora");
    assert_eq!(std::fs::read(models.join("styles/team.safetensors")).unwrap(), lora);
    let sidecar: Value = serde_json::from_slice(&std::fs::read(models.join("styles/team.json")).unwrap()).unwrap();
    assert_eq!(sidecar["trigger_words"], json!(["teamstyle"]));
    assert_eq!((sidecar["trained"]["images"].as_u64(), sidecar["trained"]["rank"].as_u64()), (Some(2), Some(4)));
    let listed: Value = reqwest::get(format!("{base}/api/v1/models")).await.unwrap().json().await.unwrap();
    let team = listed["styles"].as_array().unwrap().iter().find(|s| s["name"] == "team").expect("listed at once");
    assert_eq!(team["trigger_words"], json!(["teamstyle"]));

    let log = standin.log();
    let uploaded: Vec<&Value> = log.iter().filter(|(what, _)| what == "POST /upload/image").map(|(_, e)| e).collect();
    assert_eq!(uploaded.len(), 4, "two images and two captions");
    let folder = uploaded[0]["subfolder"].as_str().unwrap().to_owned();
    assert!(folder.starts_with("dgx_pixels_train/team-"), "{folder}");
    let prompt = &log.iter().find(|(what, _)| what == "POST /prompt").unwrap().1["prompt"];
    let node = |class: &str| prompt.as_object().unwrap().values().find(|n| n["class_type"] == class).unwrap();
    assert_eq!(node("LoadImageTextSetFromFolderNode")["inputs"]["folder"], json!(folder));
    let train = &node("DgxPixelsTrainLora")["inputs"];
    assert_eq!(
        (train["steps"].as_u64(), train["rank"].as_u64(), train["schedule"].as_str()),
        (Some(3), Some(4), Some("cosine"))
    );
    assert!(!dir.path().join("datasets").join(job.id.0).exists(), "the dataset is removed");
}

/// A trainer that raises: the job fails with ComfyUI's error and the end of the traceback, and
/// nothing is installed.
#[tokio::test(flavor = "multi_thread")]
async fn a_trainer_error_fails_the_job_with_its_traceback() {
    let (_standin, dir, base, uploads) = training_server(Play::new("train_error", Fault::None)).await;
    let (status, answer) = train(&base, json!({"name": "team", "uploads": uploads})).await;
    assert_eq!(status, 202, "{answer}");
    let job = wait_for(&base, answer["job_id"].as_str().unwrap()).await;
    assert_eq!(job.status, dgx_pixels_protocol::JobStatus::Failed);
    let error = job.error.unwrap_or_default();
    assert!(error.contains("Number of positive conditions (3) does not match number of images (2)"), "{error}");
    assert!(error.contains("trainer traceback") && error.contains("nodes_train.py"), "{error}");
    assert!(!dir.path().join("models/lora/styles/team.safetensors").exists());
}

/// Cancelling a running training interrupts ComfyUI; the job ends cancelled with nothing
/// installed and its dataset gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_training_interrupts_comfyui() {
    let play = Play::new("train_interrupt", Fault::Slow(std::time::Duration::from_millis(300)));
    let (standin, dir, base, uploads) = training_server(play).await;
    let (status, answer) = train(&base, json!({"name": "team", "uploads": uploads})).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["job_id"].as_str().unwrap().to_owned();
    let client = dgx_pixels_client::Client::new(&base).unwrap();
    let job_id = dgx_pixels_protocol::JobId(id.clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while client.job(&job_id).await.unwrap().train_step.is_none() {
        assert!(std::time::Instant::now() < deadline, "no training step reached the job");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let cancelled = client.cancel(&job_id).await.unwrap();
    assert_eq!(cancelled.status, dgx_pixels_protocol::JobStatus::Cancelled);
    while !standin.log().iter().any(|(what, _)| what == "POST /interrupt") {
        assert!(std::time::Instant::now() < deadline, "ComfyUI was not interrupted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dataset = dir.path().join("datasets").join(&id);
    while dataset.exists() {
        assert!(std::time::Instant::now() < deadline, "the dataset stayed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!dir.path().join("models/lora/styles/team.safetensors").exists());
}

/// A training cut short by a server stop (no grace) is still `running` in the database; the next
/// start queues it again, its dataset still there, and it runs from its first step to the end.
#[tokio::test(flavor = "multi_thread")]
async fn a_training_cut_by_a_restart_runs_again_and_completes() {
    let slow = Fault::Slow(std::time::Duration::from_millis(300));
    let first = StandIn::start_with(vec![Play::new("train_interrupt", slow)], true).await;
    let second = StandIn::start_with(vec![Play::new("train", Fault::None).with_download(tiny_lora())], true).await;
    let dir = tempfile::tempdir().unwrap();
    let config = |standin: &StandIn| dgx_pixels_server::config::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        backend: dgx_pixels_protocol::BackendKind::Comfyui,
        comfyui: vec![standin.url()],
        shutdown_grace: std::time::Duration::ZERO,
        train_min_images: 2,
        ..dgx_pixels_server::config::Config::default()
    };
    let server = dgx_pixels_server::Server::bind(config(&first)).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let (status, answer) = train(&base, json!({"name": "team", "uploads": [upload(1), upload(2)]})).await;
    assert_eq!(status, 202, "{answer}");
    let id = dgx_pixels_protocol::JobId(answer["job_id"].as_str().unwrap().to_owned());
    let client = dgx_pixels_client::Client::new(&base).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while client.job(&id).await.unwrap().train_step.is_none() {
        assert!(std::time::Instant::now() < deadline, "no training step reached the job");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(20), task).await.expect("the server stops").unwrap().unwrap();
    assert!(dir.path().join("datasets").join(&id.0).exists(), "the dataset waits for the next start");

    let server = dgx_pixels_server::Server::bind(config(&second)).await.unwrap();
    let base = format!("http://{}", server.local_addr());
    tokio::spawn(server.run(std::future::pending()));
    let job = wait_for(&base, &id.0).await;
    assert_eq!(job.status, dgx_pixels_protocol::JobStatus::Completed, "{:?}", job.error);
    assert_eq!(std::fs::read(dir.path().join("models/lora/styles/team.safetensors")).unwrap(), tiny_lora());
    assert_eq!(second.prompts(), 1, "trained once on the second start");
}

/// After training, one sprite is generated with the new style as its sample: the job is the
/// style's `sample_job`, its sheet is kept as `NAME.sample.png` beside the LoRA and named in the
/// sidecar. (The style is named like the recordings' LoRA, so the stand-in's ComfyUI lists it.)
#[tokio::test(flavor = "multi_thread")]
async fn a_trained_style_gets_a_sample() {
    let plays = vec![Play::new("train", Fault::None).with_download(tiny_lora()), Play::new("txt2img", Fault::None)];
    let standin = StandIn::start_with(plays, true).await;
    let (dir, base) = serve_with(&[&standin], |config| config.train_min_images = 2).await;
    let name = LORA.trim_end_matches(".safetensors");
    let body = json!({"name": name, "uploads": [upload(1), upload(2)], "steps": 3, "overwrite": true});
    let (status, answer) = train(&base, body).await;
    assert_eq!(status, 202, "{answer}");
    let job = wait_for(&base, answer["job_id"].as_str().unwrap()).await;
    assert_eq!(job.status, dgx_pixels_protocol::JobStatus::Completed, "{:?}", job.error);
    let sample = job.style.and_then(|style| style.sample_job).expect("a sample job");
    let sample = wait_for(&base, &sample.0).await;
    assert_eq!(sample.status, dgx_pixels_protocol::JobStatus::Completed);
    let request = sample.request.generate().unwrap();
    assert_eq!((request.style.as_deref(), request.prompt.starts_with(name)), (Some(name), true));
    let styles = dir.path().join("models/lora/styles");
    let kept = std::fs::read(styles.join(format!("{name}.sample.png"))).unwrap();
    let client = dgx_pixels_client::Client::new(&base).unwrap();
    assert_eq!(kept, client.sheet_png(&sample.id).await.unwrap());
    let sidecar: Value = serde_json::from_slice(&std::fs::read(styles.join(format!("{name}.json"))).unwrap()).unwrap();
    assert_eq!(sidecar["sample_images"], json!([format!("{name}.sample.png")]));
}
