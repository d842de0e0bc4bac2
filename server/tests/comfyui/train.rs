//! `POST /api/v1/styles/train` over loopback HTTP: every bad request is refused with the field
//! named before anything is queued or left on disk, on a server whose ComfyUI backend (a
//! stand-in) can train; a server that cannot train says so.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use image::{Rgba, RgbaImage};
use serde_json::{Value, json};

use crate::support::comfyui_standin::StandIn;
use crate::support::server_on_standin::serve_with;

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
    assert!(error.contains("DgxPixelsTrainLora") && error.contains("LoadImageTextSetFromFolderNode"), "{error}");
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
