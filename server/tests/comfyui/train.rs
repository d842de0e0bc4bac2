//! `POST /api/v1/styles/train` over loopback HTTP: every bad request is refused with the field
//! named before anything is queued or left on disk, on a server whose ComfyUI backend (a
//! stand-in) can train; a server that cannot train says so.

use std::path::Path;

use image::{Rgba, RgbaImage};
use serde_json::{Value, json};

use crate::support::comfyui_standin::StandIn;
use crate::support::server_on_standin::serve_with;

/// `count` 16×16 sprites as PNGs in `folder`.
fn sprites(folder: &Path, count: u32) {
    std::fs::create_dir_all(folder).unwrap();
    for n in 0..count {
        let sprite = RgbaImage::from_fn(16, 16, |x, y| {
            if (x + y + n) % 3 == 0 { Rgba([200, 40, 40, 255]) } else { Rgba([0, 0, 0, 0]) }
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
