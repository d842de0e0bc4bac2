//! No frame waits on the network.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_dgx_pixels::prelude::*;
use bevy_dgx_pixels::{Connection, ConnectionCommand};
use dgx_pixels_protocol::GenerateRequest;

use super::util::{Project, headless_app, request};

/// The slowest frame allowed. A frame that waited on the hanging server would take seconds (the
/// client's timeout); this leaves room for a 2-core machine running other tests beside this one,
/// where a frame that waits on nothing has been seen to take over 100 ms.
const SLOWEST_FRAME: Duration = Duration::from_millis(250);

/// With a server that accepts connections and never answers, a `.pixels.ron` load and a
/// panel-style generate are both in flight, and the app still runs frame after frame, none
/// slower than [`SLOWEST_FRAME`].
#[test]
fn frames_keep_coming_while_a_request_hangs() {
    let hanging = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", hanging.local_addr().unwrap());
    let project = Project::new();
    project.write("hero.pixels.ron", &request("hero", 1));
    let mut app = headless_app(&project, PixelsServer::Url { url, token: None });
    let _handle: Handle<GeneratedSprite> = app.world().resource::<AssetServer>().load("hero.pixels.ron");
    let connection = app.world().resource::<Connection>().clone();
    connection.send(ConnectionCommand::Generate { ticket: 1, request: GenerateRequest::new("knight"), assets: None });
    let start = Instant::now();
    let mut frames = 0;
    let mut slowest = Duration::ZERO;
    while start.elapsed() < Duration::from_secs(2) {
        let frame = Instant::now();
        app.update();
        slowest = slowest.max(frame.elapsed());
        frames += 1;
    }
    assert!(connection.try_recv().is_none(), "the hanging server never answered");
    assert!(frames > 100, "only {frames} frames in 2 s");
    assert!(slowest < SLOWEST_FRAME, "a frame took {slowest:?}");
    drop(hanging);
}
