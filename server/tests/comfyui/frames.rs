//! Frames over the WebSocket: where ComfyUI has our `DgxPixelsSendImages`, the save node becomes
//! it and a job's images arrive as raw pixels on the socket (`frames.json`, recorded on real
//! ComfyUI), with no `/history` images and no `/view`; frames that never arrive are asked for
//! again as PNGs.

use base64::Engine;
use dgx_pixels_server::backend::comfyui::ComfyuiBackend;
use serde_json::{Value, json};

use crate::support::comfyui_standin::{Fault, Play, StandIn, fixture};
use crate::support::server_on_standin::{LORA, serve_with};
use crate::{LIMIT, generate, run_job, settings, spec};

/// The RGB pixels of each frame message in the recording, in order.
fn recorded_frames() -> Vec<Vec<u8>> {
    let recording = fixture("frames");
    let b64 = base64::engine::general_purpose::STANDARD;
    recording["ws"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|message| b64.decode(message["b64"].as_str()?).ok())
        .filter(|bytes| bytes.starts_with(b"DGXF"))
        .map(|bytes| {
            let header_len = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
            bytes[8 + header_len..].to_vec()
        })
        .collect()
}

/// The class of the save node in the `n`th prompt posted.
fn save_class(standin: &StandIn, n: usize) -> Value {
    let log = standin.log();
    let prompts: Vec<&Value> = log.iter().filter(|(what, _)| what == "POST /prompt").map(|(_, body)| body).collect();
    let nodes = prompts[n]["prompt"].as_object().unwrap();
    nodes.values().find(|node| node["_meta"]["title"] == "Save").unwrap()["class_type"].clone()
}

/// A two-frame sheet on a ComfyUI with the frame sender: the prompt is saved by it, both frames
/// come from the socket exactly as recorded (pixel for pixel, opaque), and nothing is fetched.
#[tokio::test]
async fn frames_come_over_the_socket_and_nothing_is_fetched() {
    let standin = StandIn::start_sending_frames(vec![Play::new("frames", Fault::None)]).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(2, LORA))).await.unwrap().unwrap();
    let recorded = recorded_frames();
    assert_eq!(recorded.len(), 2);
    assert_eq!(frames.len(), 2);
    for (frame, rgb) in frames.iter().zip(&recorded) {
        assert_eq!(frame.dimensions(), (64, 64));
        let got: Vec<u8> = frame.pixels().flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(&got, rgb);
        assert!(frame.pixels().all(|p| p[3] == u8::MAX));
    }
    assert_eq!(save_class(&standin, 0), "DgxPixelsSendImages");
    assert_eq!(standin.views(), 0);
    assert_eq!(standin.prompts(), 1);
}

/// The frames never reach us (sent while the socket was down): the prompt goes again with
/// `PreviewImage`, and its PNGs from `/view` are the job's frames. (The second recording is two
/// 64² images saved by `PreviewImage`, as the re-sent prompt's are.)
#[tokio::test]
async fn frames_lost_on_the_way_are_asked_for_again_as_pngs() {
    let plays = vec![Play::new("frames", Fault::LoseFrames), Play::new("tile", Fault::None)];
    let standin = StandIn::start_sending_frames(plays).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(2, LORA))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(standin.prompts(), 2);
    assert_eq!(save_class(&standin, 0), "DgxPixelsSendImages");
    assert_eq!(save_class(&standin, 1), "PreviewImage");
    assert_eq!(standin.views(), 2);
}

/// A ComfyUI without the frame sender keeps `PreviewImage` and `/view`.
#[tokio::test]
async fn without_the_sender_images_come_from_view() {
    let standin = StandIn::start_with(vec![Play::new("sheet", Fault::None)], true).await;
    let backend = ComfyuiBackend::new(settings(vec![standin.url()])).unwrap();
    let frames = tokio::time::timeout(LIMIT, generate(&backend, spec(4, LORA))).await.unwrap().unwrap();
    assert_eq!(frames.len(), 4);
    assert_eq!(save_class(&standin, 0), "PreviewImage");
    assert_eq!(standin.views(), 4);
}

/// Through the whole server: a two-frame sheet job completes from the socket's frames, through
/// the pixel pipeline, with nothing fetched from `/view`.
#[tokio::test]
async fn the_server_completes_a_sheet_from_the_sockets_frames() {
    let standin = StandIn::start_sending_frames(vec![Play::new("frames", Fault::None)]).await;
    let (_dir, base) = serve_with(&[&standin], |_| {}).await;
    let http = reqwest::Client::new();
    let request = json!({
        "prompt": "knight", "frames": 2, "width": 256, "height": 256, "steps": 3, "sprite": {"width": 32, "height": 32}
    });
    let job = tokio::time::timeout(LIMIT, run_job(&http, &base, &request)).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    let raw = http.get(format!("{base}/api/v1/jobs/{}/raw/1.png", job["id"].as_str().unwrap())).send().await.unwrap();
    let raw = image::load_from_memory(&raw.bytes().await.unwrap()).unwrap().to_rgb8();
    assert_eq!(raw.into_raw(), recorded_frames()[1]);
    assert_eq!(standin.views(), 0);
}
