//! Measures submit → completed with the procedural backend: an in-process server on loopback,
//! one job at a time (4 frames of 32×32), each followed over SSE by `Client::wait`.
//!
//! Run with: `cargo run --release -p dgx_pixels_server --example submit_latency -- [JOBS]`
//! (default 200 jobs after 20 warm-up jobs). Prints p50, p90, p99 and max in milliseconds.

use std::time::{Duration, Instant};

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{GenerateRequest, JobStatus};
use dgx_pixels_server::{Config, Server};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let jobs: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let config = Config { bind: "127.0.0.1:0".parse()?, data_dir: dir.path().into(), ..Config::default() };
    let server = Server::bind(config).await?;
    let client = Client::new(format!("http://{}", server.local_addr()))?;
    tokio::spawn(server.run(std::future::pending()));
    let prompts = ["red knight, walk cycle", "green slime", "blue bat", "gold coin", "stone brick tile"];
    let mut timings = Vec::with_capacity(jobs);
    for i in 0..jobs + 20 {
        let request =
            GenerateRequest { frames: 4, seed: Some(i as u64), ..GenerateRequest::new(prompts[i % prompts.len()]) };
        let start = Instant::now();
        let id = client.generate(&request, None).await?.job_id;
        let job = client.wait(&id).await?;
        let elapsed = start.elapsed();
        assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
        if i >= 20 {
            timings.push(elapsed);
        }
    }
    timings.sort();
    let at = |q: f64| timings[((timings.len() as f64 * q) as usize).min(timings.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "submit→completed, {} jobs of 4×32×32: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        timings.len(),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(timings[timings.len() - 1])
    );
    Ok(())
}
