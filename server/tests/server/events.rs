use std::time::Duration;

use dgx_pixels_protocol::{GenerateRequest, JobEvent, JobStatus};
use futures_util::StreamExt;

use crate::util::{TestServer, until};

fn slow(config: &mut dgx_pixels_server::Config, delay_ms: u64) {
    config.procedural_delay = Duration::from_millis(delay_ms);
    config.concurrency = Some(1);
}

/// Events arrive in lifecycle order: queued progress (with positions), running progress
/// rising, then exactly one `completed`, after which the stream ends.
#[tokio::test(flavor = "multi_thread")]
async fn sse_events_arrive_in_order() {
    let server = TestServer::start(|config| slow(config, 300)).await;
    let client = &server.client;
    let first = client.generate(&GenerateRequest { frames: 4, ..GenerateRequest::new("bat") }, None).await.unwrap();
    let second = client.generate(&GenerateRequest { frames: 4, ..GenerateRequest::new("wolf") }, None).await.unwrap();
    let events: Vec<JobEvent> = client.events(&second.job_id).map(Result::unwrap).collect().await;
    let (last, progress) = events.split_last().unwrap();
    assert!(matches!(last, JobEvent::Completed(done) if done.job.id == second.job_id && done.files.is_none()));
    let mut previous = (0, 0.0_f32);
    let mut saw_running = false;
    for event in progress {
        let JobEvent::Progress(p) = event else { panic!("terminal event before the end: {events:?}") };
        let rank = if p.status == JobStatus::Queued { 0 } else { 1 };
        assert!(rank >= previous.0 && (rank > previous.0 || p.progress >= previous.1), "out of order: {events:?}");
        if p.status == JobStatus::Queued {
            assert!(p.queue_position.is_some());
        } else {
            saw_running = true;
        }
        previous = (rank, p.progress);
    }
    assert!(saw_running, "{events:?}");
    assert!(matches!(&events[0], JobEvent::Progress(p) if p.status == JobStatus::Queued), "{events:?}");
    assert_eq!(client.job(&first.job_id).await.unwrap().status, JobStatus::Completed);
}

/// A queued job and a running job can both be cancelled; their streams end `cancelled`, they
/// stay cancelled, and the worker moves on to the next job.
#[tokio::test(flavor = "multi_thread")]
async fn cancel_queued_and_running_jobs() {
    let server = TestServer::start(|config| slow(config, 5_000)).await;
    let client = &server.client;
    let running = client.generate(&GenerateRequest::new("slime"), None).await.unwrap().job_id;
    let queued = client.generate(&GenerateRequest::new("gem"), None).await.unwrap().job_id;
    until("the first job to run", || async {
        (client.job(&running).await.unwrap().status == JobStatus::Running).then_some(())
    })
    .await;
    assert_eq!(client.job(&queued).await.unwrap().queue_position, Some(0));
    assert_eq!(client.cancel(&queued).await.unwrap().status, JobStatus::Cancelled);
    let stream = client.events(&running);
    assert_eq!(client.cancel(&running).await.unwrap().status, JobStatus::Cancelled);
    let events: Vec<JobEvent> = stream.map(Result::unwrap).collect().await;
    assert!(matches!(events.last(), Some(JobEvent::Cancelled(_))), "{events:?}");
    assert_eq!(client.cancel(&running).await.unwrap_err().status(), Some(409));

    let next = client.generate(&GenerateRequest { frames: 1, ..GenerateRequest::new("coin") }, None).await.unwrap();
    until("the worker to take the next job", || async {
        (client.job(&next.job_id).await.unwrap().status == JobStatus::Running).then_some(())
    })
    .await;
    for id in [&running, &queued] {
        assert_eq!(client.job(id).await.unwrap().status, JobStatus::Cancelled);
    }
}

/// With `?files=inline` the `completed` event carries the sheet's three files, the same bytes the
/// GET routes serve, so a client needs no second round-trip; any other value is refused.
#[tokio::test(flavor = "multi_thread")]
async fn the_completion_can_carry_the_files() {
    use base64::Engine;

    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let accepted = client.generate(&GenerateRequest { frames: 2, ..GenerateRequest::new("bat") }, None).await.unwrap();
    let events: Vec<JobEvent> = client.events_with_files(&accepted.job_id).map(Result::unwrap).collect().await;
    let Some(JobEvent::Completed(done)) = events.last() else { panic!("{events:?}") };
    let files = done.files.as_ref().expect("files inline");
    let png = base64::engine::general_purpose::STANDARD.decode(&files.sheet_png).unwrap();
    assert_eq!(png, client.sheet_png(&accepted.job_id).await.unwrap());
    assert_eq!(files.atlas_ron, client.atlas_ron(&accepted.job_id).await.unwrap());
    assert_eq!(files.sprite_ron, client.sprite_ron(&accepted.job_id).await.unwrap());
    let url = format!("{}/api/v1/jobs/{}/events?files=all", server.url, accepted.job_id);
    let refused = reqwest::get(url).await.unwrap();
    assert_eq!(refused.status(), 422);
}
