use dgx_pixels_protocol::{GenerateRequest, JobStatus, RequestKind, SpriteMeta, SpriteSize};
use dgx_pixels_sprite::tile::seam_steps;

use crate::util::TestServer;

/// Seamless tiles through the server on the procedural backend, for each ground it draws and
/// sizes that do and do not divide evenly: square, opaque, centred, and no seam when the tile
/// is laid next to itself (the mean step across its border lines is no larger than across the
/// lines inside it).
#[tokio::test(flavor = "multi_thread")]
async fn tiles_repeat_without_a_seam() {
    let server = TestServer::start(|_| {}).await;
    let client = &server.client;
    for (prompt, side) in [("grass", 32), ("stone brick wall", 24), ("water", 20), ("sand", 16), ("castle floor", 48)] {
        let request = GenerateRequest {
            kind: RequestKind::Tile,
            sprite: SpriteSize::new(side, side),
            frames: 2,
            seed: Some(4),
            ..GenerateRequest::new(prompt)
        };
        let id = client.generate(&request, None).await.unwrap().job_id;
        let job = client.wait(&id).await.unwrap();
        assert_eq!(job.status, JobStatus::Completed, "{prompt}: {:?}", job.error);
        let sheet = image::load_from_memory(&client.sheet_png(&id).await.unwrap()).unwrap().to_rgba8();
        assert_eq!(sheet.dimensions(), (2 * side, side));
        for frame in 0..2 {
            let tile = image::imageops::crop_imm(&sheet, frame * side, 0, side, side).to_image();
            assert!(tile.pixels().all(|p| p.0[3] == 255), "{prompt}: a tile is opaque");
            let steps = seam_steps(&tile);
            // A line of noisy pixels varies by a few percent from the next; a seam is several times.
            assert!(steps.ratio() <= 1.1, "{prompt} at {side}px, frame {frame}: a seam {steps:?}");
        }
        let meta = SpriteMeta::from_ron(&client.sprite_ron(&id).await.unwrap()).unwrap();
        assert_eq!(meta.pivot, (0.5, 0.5), "{prompt}: a tile is placed by its centre");
    }
}
