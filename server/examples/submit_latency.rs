//! Measures submit → completed with the procedural backend: an in-process server on loopback,
//! one job at a time (4 frames of 32×32), each followed over SSE by `Client::wait`; then submit
//! → the three files in hand, as the plugin needs them, two ways in turn: the completion
//! followed by the three GETs, and the files inside the completion (`?files=inline`).
//!
//! Run with: `cargo run --release -p dgx_pixels_server --example submit_latency -- [JOBS]`
//! (default 200 jobs after 20 warm-up jobs). Prints p50, p90, p99 and max in milliseconds.

use std::time::{Duration, Instant};

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{GenerateRequest, JobEvent, JobStatus};
use dgx_pixels_server::{Config, Server};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jobs: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let config = Config { bind: "127.0.0.1:0".parse()?, data_dir: dir.path().into(), ..Config::default() };
    let server = Server::bind(config).await?;
    let client = Client::new(format!("http://{}", server.local_addr()))?;
    tokio::spawn(server.run(std::future::pending()));
    let prompts = ["red knight, walk cycle", "green slime", "blue bat", "gold coin", "stone brick tile"];
    let mut completed = Vec::with_capacity(jobs);
    let mut downloaded = Vec::with_capacity(jobs);
    let mut inline = Vec::with_capacity(jobs);
    for i in 0..jobs + 20 {
        let request =
            GenerateRequest { frames: 4, seed: Some(i as u64), ..GenerateRequest::new(prompts[i % prompts.len()]) };
        // Submit → completed, then the three GETs.
        let start = Instant::now();
        let id = client.generate(&request, None).await?.job_id;
        let job = client.wait(&id).await?;
        let done = start.elapsed();
        assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
        let files = (client.sheet_png(&id).await?, client.atlas_ron(&id).await?, client.sprite_ron(&id).await?);
        let with_gets = start.elapsed();
        // Submit → the files inside the completion.
        let start = Instant::now();
        let id = client.generate(&request, None).await?.job_id;
        let mut events = std::pin::pin!(client.events_with_files(&id));
        let mut inline_files = None;
        while let Some(event) = events.next().await {
            if let JobEvent::Completed(done) = event? {
                inline_files = done.files;
            }
        }
        let with_inline = start.elapsed();
        let inline_files = inline_files.expect("files with the completion");
        assert_eq!((inline_files.atlas_ron.len(), inline_files.sprite_ron.len()), (files.1.len(), files.2.len()));
        if i >= 20 {
            completed.push(done);
            downloaded.push(with_gets);
            inline.push(with_inline);
        }
    }
    for (what, timings) in [
        ("submit→completed", &mut completed),
        ("submit→files, completion + 3 GETs", &mut downloaded),
        ("submit→files, inline in the completion", &mut inline),
    ] {
        println!("{what}, {} jobs of 4×32×32: {}", timings.len(), percentiles(timings));
    }
    Ok(())
}

/// p50, p90, p99 and max of `timings`, in milliseconds.
fn percentiles(timings: &mut [Duration]) -> String {
    timings.sort();
    let at = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(timings[timings.len() - 1])
    )
}
