use std::collections::HashSet;

use dgx_pixels_protocol::{GenerateRequest, JobStatus};

use crate::util::TestServer;

/// 100 concurrent submissions all complete, with 100 distinct ids and 100 distinct sheets.
#[tokio::test(flavor = "multi_thread")]
async fn hundred_concurrent_submissions_all_complete() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let submissions = (0..100u64).map(|i| {
        let request = GenerateRequest { frames: 2, seed: Some(i), ..GenerateRequest::new(format!("creature {i}")) };
        async move { client.generate(&request, None).await.unwrap().job_id }
    });
    let ids = futures_util::future::join_all(submissions).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 100);
    let jobs = futures_util::future::join_all(ids.iter().map(|id| client.wait(id))).await;
    let mut sheets = HashSet::new();
    for job in jobs {
        let job = job.unwrap();
        assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
        sheets.insert(client.sheet_png(&job.id).await.unwrap());
    }
    assert_eq!(sheets.len(), 100);
    let listed = client.jobs(None, Some(1000)).await.unwrap();
    assert_eq!(listed.len(), 100);
    assert!(listed.iter().all(|job| job.status == JobStatus::Completed));
}
