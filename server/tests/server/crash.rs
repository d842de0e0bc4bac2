use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{AtlasLayout, GenerateRequest, JobStatus, SpriteMeta};

use crate::util::until;

/// The real binary, serving `data_dir` on a free loopback port; returns it and its URL.
fn spawn_server(data_dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env_remove("DGX_PIXELS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected line {line:?}"));
    (child, url.to_owned())
}

/// SIGKILL with one job running and four queued loses none: after a restart on the same data
/// folder every accepted job completes exactly once, with intact files.
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_with_jobs_queued_and_running_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn_server(dir.path(), &["--procedural-delay-ms", "1000", "--concurrency", "1"]);
    let client = Client::new(url).unwrap();
    let mut ids = Vec::new();
    for (i, prompt) in ["knight", "slime", "bat", "potion", "chest"].into_iter().enumerate() {
        let request = GenerateRequest { frames: 4, seed: Some(i as u64), ..GenerateRequest::new(prompt) };
        ids.push(client.generate(&request, None).await.unwrap().job_id);
    }
    until("the first job to make progress", || async {
        let job = client.job(&ids[0]).await.unwrap();
        (job.status == JobStatus::Running && job.progress > 0.0).then_some(())
    })
    .await;
    assert_eq!(client.job(&ids[4]).await.unwrap().status, JobStatus::Queued);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let (mut child, url) = spawn_server(dir.path(), &[]);
    let client = Client::new(url).unwrap();
    for id in &ids {
        let job = client.wait(id).await.unwrap();
        assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
        let out = dir.path().join("out");
        let files = client.download(id, &out, "sprite").await.unwrap();
        let png = image::load_from_memory(&std::fs::read(&files.sheet).unwrap()).unwrap();
        assert_eq!((png.width(), png.height()), (128, 32));
        AtlasLayout::from_ron(&std::fs::read_to_string(&files.atlas).unwrap()).unwrap();
        SpriteMeta::from_ron(&std::fs::read_to_string(&files.sprite).unwrap()).unwrap();
    }
    let listed = client.jobs(None, Some(100)).await.unwrap();
    assert_eq!(listed.len(), ids.len());
    assert_eq!(listed.iter().map(|job| &job.id).collect::<HashSet<_>>(), ids.iter().collect());
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A job resumed after a SIGKILL keeps the progress it had reached: from the restarted server's
/// first answer until the job completes, its progress is never below that, although its new run
/// starts from the first frame again.
#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_job_keeps_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let slow = ["--procedural-delay-ms", "2000", "--concurrency", "1"];
    let (mut child, url) = spawn_server(dir.path(), &slow);
    let client = Client::new(url).unwrap();
    let request = GenerateRequest { frames: 4, seed: Some(3), ..GenerateRequest::new("knight") };
    let id = client.generate(&request, None).await.unwrap().job_id;
    let reached = until("two of the four frames", || async {
        let progress = client.job(&id).await.unwrap().progress;
        (progress >= 0.4).then_some(progress)
    })
    .await;
    // The save follows the report on a blocking thread; leave it a moment before the kill.
    tokio::time::sleep(Duration::from_millis(200)).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, url) = spawn_server(dir.path(), &slow);
    let client = Client::new(url).unwrap();
    let seen_running = std::cell::Cell::new(false);
    until("the resumed job to complete", || async {
        let job = client.job(&id).await.unwrap();
        assert!(job.progress >= reached, "{:?} at {} after reaching {reached}", job.status, job.progress);
        seen_running.set(seen_running.get() || job.status == JobStatus::Running);
        (job.status == JobStatus::Completed).then_some(())
    })
    .await;
    assert!(seen_running.get(), "the resumed job was never seen running");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `serve` refuses a non-loopback bind without a token, and comfyui without a URL, saying why.
#[test]
fn open_bind_without_token_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
        .args(["serve", "--bind", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("DGX_PIXELS_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("token"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
        .args(["serve", "--backend", "comfyui", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--comfyui URL"));
}

/// `DGX_PIXELS_IMG2IMG_DENOISE` overrides the file's `img2img_denoise` and `--img2img-denoise`
/// overrides the variable: each time the value out of range is the one applied, and `serve`
/// refuses to start, naming the key.
#[test]
fn the_img2img_denoise_variable_sits_between_the_file_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("serve.toml");
    std::fs::write(&file, "img2img_denoise = 0.4\n").unwrap();
    let refusal = |variable: &str, flags: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_dgx-pixels"))
            .args(["serve", "--bind", "127.0.0.1:0", "--config"])
            .arg(&file)
            .args(flags)
            .env("DGX_PIXELS_IMG2IMG_DENOISE", variable)
            .env_remove("DGX_PIXELS_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(!output.status.success(), "started with {variable} and {flags:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = refusal("1.5", &[]);
    assert!(stderr.contains("img2img_denoise") && stderr.contains("1.5"), "{stderr}");
    let stderr = refusal("0.5", &["--img2img-denoise", "0.01"]);
    assert!(stderr.contains("img2img_denoise") && stderr.contains("0.01"), "{stderr}");
}
