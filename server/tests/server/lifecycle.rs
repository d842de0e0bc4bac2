use dgx_pixels_protocol::{AtlasLayout, GenerateRequest, JobStatus, SpriteMeta, SpriteSize};

use crate::util::TestServer;

fn knight() -> GenerateRequest {
    GenerateRequest { frames: 4, seed: Some(42), ..GenerateRequest::new("red knight, walk cycle") }
}

/// A job goes queued → completed, reports its result, and its three files download and parse.
#[tokio::test(flavor = "multi_thread")]
async fn full_lifecycle() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    assert_eq!(client.health().await.unwrap().backends[0].name, "procedural");
    let accepted = client.generate(&knight(), None).await.unwrap();
    assert_eq!(accepted.status, JobStatus::Queued);
    let job = client.wait(&accepted.job_id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    assert_eq!(job.progress, 1.0);
    let result = job.result.clone().unwrap();
    assert_eq!((result.seed, result.frames, result.columns), (42, 4, 4));
    assert_eq!(result.sheet_size, SpriteSize::new(128, 32));
    assert!(result.grid_confidence.is_some_and(|c| c >= 0.9), "{:?}", result.grid_confidence);

    let out = server.dir.path().join("out");
    let files = client.download(&job.id, &out, "knight").await.unwrap();
    let atlas = AtlasLayout::from_ron(&std::fs::read_to_string(&files.atlas).unwrap()).unwrap();
    assert_eq!((atlas.size, atlas.textures.len()), ((128, 32), 4));
    let meta = SpriteMeta::from_ron(&std::fs::read_to_string(&files.sprite).unwrap()).unwrap();
    // The procedural backend draws on an exact grid: the pipeline is sure of it.
    let confidence = meta.grid_confidence.expect("the grid's confidence is recorded");
    assert!(confidence >= 0.9, "{confidence}");
    assert_eq!(meta.provenance.unwrap().seed, 42);
    assert_eq!(meta.tags[0].name, "walk");
    let png = image::load_from_memory(&std::fs::read(&files.sheet).unwrap()).unwrap();
    assert_eq!((png.width(), png.height()), (128, 32));

    let listed = client.jobs(Some(JobStatus::Completed), Some(10)).await.unwrap();
    assert_eq!(listed.iter().map(|j| &j.id).collect::<Vec<_>>(), [&job.id]);
    assert_eq!(client.cancel(&job.id).await.unwrap_err().status(), Some(409));
}

/// The same request with the same seed gives the same pixels; another seed other pixels.
#[tokio::test(flavor = "multi_thread")]
async fn same_request_and_seed_same_pixels() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let mut sheets = Vec::new();
    for seed in [7, 7, 8] {
        let request = GenerateRequest { seed: Some(seed), ..knight() };
        let id = client.generate(&request, None).await.unwrap().job_id;
        assert_eq!(client.wait(&id).await.unwrap().status, JobStatus::Completed);
        sheets.push(client.sheet_png(&id).await.unwrap());
    }
    assert_eq!(sheets[0], sheets[1]);
    assert_ne!(sheets[0], sheets[2]);
}

/// An `Idempotency-Key` returns the same job for the same request, and 409 for another.
#[tokio::test(flavor = "multi_thread")]
async fn idempotency_key_returns_the_same_job() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let first = client.generate(&knight(), Some("key-1")).await.unwrap();
    let again = client.generate(&knight(), Some("key-1")).await.unwrap();
    assert_eq!(first.job_id, again.job_id);
    let other = GenerateRequest::new("slime");
    assert_eq!(client.generate(&other, Some("key-1")).await.unwrap_err().status(), Some(409));
    assert_ne!(client.generate(&knight(), Some("key-2")).await.unwrap().job_id, first.job_id);
    assert_eq!(client.jobs(None, None).await.unwrap().len(), 2);
}

/// With no shutdown grace, shutdown ends open event streams and `run` returns promptly, leaving
/// the running job to resume on the next start.
#[tokio::test(flavor = "multi_thread")]
async fn graceful_shutdown_ends_streams_and_returns() {
    use futures_util::StreamExt;

    let dir = tempfile::tempdir().unwrap();
    let config = dgx_pixels_server::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().into(),
        procedural_delay: std::time::Duration::from_secs(20),
        shutdown_grace: std::time::Duration::ZERO,
        ..dgx_pixels_server::Config::default()
    };
    let server = dgx_pixels_server::Server::bind(config.clone()).await.unwrap();
    let client = dgx_pixels_client::Client::new(format!("http://{}", server.local_addr())).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    let id = client.generate(&GenerateRequest::new("slime"), None).await.unwrap().job_id;
    let mut events = Box::pin(client.events(&id));
    events.next().await.unwrap().unwrap();
    stop.send(()).unwrap();
    let outcome = tokio::time::timeout(crate::util::DEADLINE, task).await.expect("run did not return");
    outcome.unwrap().unwrap();
    while let Some(event) = events.next().await {
        assert!(!matches!(event, Ok(ref e) if e.is_terminal()), "{event:?}");
    }
    let server = dgx_pixels_server::Server::bind(config).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    tokio::spawn(server.run(std::future::pending()));
    let job = dgx_pixels_client::Client::new(url).unwrap().job(&id).await.unwrap();
    assert!(matches!(job.status, JobStatus::Queued | JobStatus::Running), "{job:?}");
}
