//! img2img through the HTTP API on the procedural backend: a variation of a finished sprite.

use dgx_pixels_client::Client;
use dgx_pixels_protocol::{GenerateRequest, Job, JobStatus, PaletteSpec, SourceImage};

use crate::util::TestServer;

async fn complete(client: &Client, request: &GenerateRequest) -> Job {
    let id = client.generate(request, None).await.unwrap().job_id;
    let job = client.wait(&id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.error);
    job
}

/// Share of the pixels that differ between two PNGs of the same size.
fn changed(a: &[u8], b: &[u8]) -> f64 {
    let (a, b) = (image::load_from_memory(a).unwrap().to_rgba8(), image::load_from_memory(b).unwrap().to_rgba8());
    assert_eq!(a.dimensions(), b.dimensions());
    a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count() as f64 / f64::from(a.width() * a.height())
}

/// A variation of a finished sprite (`source`, `denoise`) completes at the source's size; it
/// differs from the source but stays close at low denoise, and changes more at high denoise,
/// both in the backend's frame and in the sheet. The palette is fixed, so that the pipeline
/// fitting a new one to the changed colours does not count as change.
#[tokio::test(flavor = "multi_thread")]
async fn a_variation_stays_close_at_low_denoise_and_changes_more_at_high() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    let knight = GenerateRequest {
        palette: Some(PaletteSpec::Preset("pico8".into())),
        seed: Some(42),
        ..GenerateRequest::new("red knight")
    };
    let source = complete(client, &knight).await;
    let (sheet, raw) = (client.sheet_png(&source.id).await.unwrap(), client.raw_png(&source.id, 0).await.unwrap());
    let mut shares = Vec::new();
    for denoise in [0.15, 0.9] {
        let source_image = SourceImage { job: source.id.clone(), frame: 0 };
        let request = GenerateRequest { source: Some(source_image), denoise: Some(denoise), ..knight.clone() };
        let varied = complete(client, &request).await;
        assert_eq!(varied.request, request.clone().into());
        let sizes = |job: &Job| job.result.as_ref().map(|result| (result.frame_size, result.sheet_size));
        assert_eq!(sizes(&varied), sizes(&source));
        let raw_share = changed(&raw, &client.raw_png(&varied.id, 0).await.unwrap());
        shares.push((raw_share, changed(&sheet, &client.sheet_png(&varied.id).await.unwrap())));
    }
    let ((raw_low, sheet_low), (raw_high, sheet_high)) = (shares[0], shares[1]);
    assert!(raw_low > 0.0 && sheet_low > 0.0, "a variation is not a copy: {shares:?}");
    assert!(raw_low < 0.15 && sheet_low < 0.15, "low denoise stays close: {shares:?}");
    assert!(raw_high > 2.0 * raw_low && sheet_high > 2.0 * sheet_low, "high denoise changes more: {shares:?}");
}

/// A variation whose request gives no denoise redraws the server's `img2img_denoise`: the same
/// pixels as asking for that denoise, others than the default's.
#[tokio::test(flavor = "multi_thread")]
async fn a_variation_without_denoise_uses_the_configured_one() {
    let server = TestServer::start(|config| config.img2img_denoise = 0.9).await;
    let client = &server.client;
    let knight = GenerateRequest { seed: Some(42), ..GenerateRequest::new("red knight") };
    let source = complete(client, &knight).await;
    let mut raws = Vec::new();
    for denoise in [None, Some(0.9), Some(dgx_pixels_protocol::limits::DEFAULT_DENOISE)] {
        let source_image = SourceImage { job: source.id.clone(), frame: 0 };
        let varied = complete(client, &GenerateRequest { source: Some(source_image), denoise, ..knight.clone() }).await;
        raws.push(client.raw_png(&varied.id, 0).await.unwrap());
    }
    assert_eq!(changed(&raws[0], &raws[1]), 0.0, "no denoise is not the configured 0.9");
    assert!(changed(&raws[0], &raws[2]) > 0.0, "no denoise is the default 0.6");
}
