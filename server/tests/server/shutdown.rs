//! Shutdown with a grace: running jobs may finish, nothing new starts, the rest resumes.

use std::time::Duration;

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{ErrorBody, GenerateRequest, JobStatus};
use dgx_pixels_server::{Config, Server};
use reqwest::StatusCode;

use crate::util::{DEADLINE, until};

fn request(prompt: &str) -> GenerateRequest {
    GenerateRequest { frames: 4, seed: Some(1), ..GenerateRequest::new(prompt) }
}

/// Of two jobs running when shutdown begins, the one that finishes within the grace is
/// `completed` after a restart and the one that does not is resumed. Meanwhile a queued job is
/// not started although a slot frees, a new job is refused with 503, and jobs can still be read.
#[tokio::test(flavor = "multi_thread")]
async fn running_jobs_finish_within_the_grace_and_the_rest_resume() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().into(),
        // Two seconds per frame of four; the grace covers the first job's last frame (with 4 s
        // to spare for a loaded machine) but not the second job's four (2 s short).
        procedural_delay: Duration::from_secs(8),
        concurrency: Some(2),
        shutdown_grace: Duration::from_secs(6),
        ..Config::default()
    };
    let server = Server::bind(config.clone()).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let client = Client::new(url.clone()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let early = client.generate(&request("knight"), None).await.unwrap().job_id;
    until("the first job to be three frames in", || async {
        (client.job(&early).await.unwrap().progress >= 0.6).then_some(())
    })
    .await;
    let late = client.generate(&request("slime"), None).await.unwrap().job_id;
    let waiting = client.generate(&request("bat"), None).await.unwrap().job_id;
    until("the second job to run", || async {
        (client.job(&late).await.unwrap().status == JobStatus::Running).then_some(())
    })
    .await;
    assert_eq!(client.job(&early).await.unwrap().status, JobStatus::Running);
    stop.send(()).unwrap();

    until("the first job to complete within the grace", || async {
        (client.job(&early).await.unwrap().status == JobStatus::Completed).then_some(())
    })
    .await;
    assert_eq!(client.job(&waiting).await.unwrap().status, JobStatus::Queued, "started while stopping");
    let refused = reqwest::Client::new().post(format!("{url}/api/v1/generate")).json(&request("coin")).send().await;
    let refused = refused.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.json::<ErrorBody>().await.unwrap().error.contains("shutting down"));
    tokio::time::timeout(DEADLINE, task).await.expect("run did not return").unwrap().unwrap();

    let server = Server::bind(config).await.unwrap();
    let client = Client::new(format!("http://{}", server.local_addr())).unwrap();
    tokio::spawn(server.run(std::future::pending()));
    let job = client.job(&early).await.unwrap();
    assert_eq!((job.status, job.progress), (JobStatus::Completed, 1.0), "{job:?}");
    client.sheet_png(&early).await.unwrap();
    for id in [&late, &waiting] {
        let job = client.job(id).await.unwrap();
        assert!(matches!(job.status, JobStatus::Queued | JobStatus::Running), "{job:?}");
    }
}
