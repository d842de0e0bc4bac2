//! Presets through the whole server on (the stand-in of) ComfyUI.

use serde_json::{Value, json};

use crate::support::comfyui_standin::{Fault, Play, StandIn};
use crate::support::server_on_standin::{LORA, serve_with};
use crate::{LIMIT, run_job};

/// The sampler node and the LoRA loaders (in chain order) of the `n`th prompt ComfyUI got.
fn sent(standin: &StandIn, n: usize) -> (Value, Vec<Value>) {
    let log = standin.log();
    let prompts: Vec<&Value> = log.iter().filter(|(what, _)| what == "POST /prompt").map(|(_, body)| body).collect();
    let nodes = prompts[n]["prompt"].as_object().unwrap();
    let sampler = nodes.values().find(|node| node["class_type"] == "KSampler").unwrap().clone();
    let mut loaders: Vec<(&String, &Value)> = nodes.iter().filter(|(_, n)| n["class_type"] == "LoraLoader").collect();
    loaders.sort_by_key(|(id, _)| (id.len(), id.to_string()));
    let canvas = nodes.values().find(|node| node["class_type"] == "EmptyLatentImage").unwrap();
    let mut sampler = sampler;
    sampler["canvas"] = json!([canvas["inputs"]["width"], canvas["inputs"]["height"]]);
    (sampler, loaders.into_iter().map(|(_, node)| node["inputs"].clone()).collect())
}

/// `preset: "fast"` reaches ComfyUI as the distilled LoRAs expect it: euler with sgm_uniform,
/// 4 steps, cfg 1, a 512² canvas for a 32² sprite, the server's distillation LoRA chained under
/// the style; `/health` says the LoRA is in the models folder; the request's own steps and
/// canvas width win over the preset's.
#[tokio::test]
async fn the_fast_preset_reaches_comfyui_with_the_distillation_lora() {
    let standin = StandIn::start(vec![Play::new("txt2img", Fault::None), Play::new("txt2img", Fault::None)]).await;
    let (_dir, base) = serve_with(&[&standin], |config| {
        config.distill_lora = Some(LORA.to_owned());
        std::fs::write(config.data_dir.join("models/lora/broken_style.safetensors"), b"a second style").unwrap();
    })
    .await;
    let http = reqwest::Client::new();
    let health: Value = http.get(format!("{base}/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["distill_lora"], json!({"file": LORA, "present": true}));

    let request = json!({"prompt": "knight", "preset": "fast", "style": "broken_style", "lora_strength": 0.7});
    let job = tokio::time::timeout(LIMIT, run_job(&http, &base, &request)).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    let (sampler, loras) = sent(&standin, 0);
    let inputs = &sampler["inputs"];
    assert_eq!((&inputs["sampler_name"], &inputs["scheduler"]), (&json!("euler"), &json!("sgm_uniform")));
    assert_eq!((&inputs["steps"], &inputs["cfg"], &sampler["canvas"]), (&json!(4), &json!(1.0), &json!([512, 512])));
    let chain: Vec<(&Value, &Value)> = loras.iter().map(|l| (&l["lora_name"], &l["strength_model"])).collect();
    assert_eq!(chain, [(&json!(LORA), &json!(1.0)), (&json!("broken_style.safetensors"), &json!(0.7f32))]);

    let own = json!({"prompt": "knight", "preset": "fast", "steps": 6, "width": 768});
    let job = tokio::time::timeout(LIMIT, run_job(&http, &base, &own)).await.unwrap();
    assert_eq!(job["status"], "completed", "{job}");
    let (sampler, loras) = sent(&standin, 1);
    assert_eq!((&sampler["inputs"]["steps"], &sampler["canvas"]), (&json!(6), &json!([768, 512])));
    assert_eq!(loras.len(), 1, "the distillation LoRA alone");
}
