//! The plugin's remote methods over real BRP HTTP against a headless game: what the MCP game
//! tools call, with their bad inputs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_dgx_pixels::prelude::*;
use serde_json::{Value, json};

use super::util::{Project, base_app, no_server, run_until};

/// A headless game on `project` serving BRP on a free loopback port, and that address.
fn remote_game(project: &Project) -> (App, SocketAddr) {
    let address = TcpListener::bind("127.0.0.1:0").and_then(|probe| probe.local_addr()).expect("a free port");
    let mut app = base_app(project);
    // World positions (GlobalTransform) as a game with DefaultPlugins has them.
    app.add_plugins(TransformPlugin);
    let remote = Some(RemoteAccess::new(address).expect("loopback"));
    app.add_plugins(DgxPixelsPlugin { server: no_server(), panel: false, remote, ..default() });
    (app, address)
}

/// Calls `method` with `params` over HTTP while the app runs, as the MCP side does; the
/// JSON-RPC answer's `result`, or its `error` as `Err`.
fn call(app: &mut App, address: SocketAddr, method: &str, params: Value) -> Result<Value, Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let (answer_tx, answer_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let answer = (|| -> std::io::Result<String> {
            // BRP starts listening on a task of its own during the first frames.
            let started = Instant::now();
            let mut stream = loop {
                match TcpStream::connect_timeout(&address, Duration::from_secs(5)) {
                    Ok(stream) => break stream,
                    Err(err) if started.elapsed() > Duration::from_secs(10) => return Err(err),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            };
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
            write!(
                stream,
                "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            )?;
            let mut text = String::new();
            stream.read_to_string(&mut text)?;
            Ok(text)
        })();
        let _ = answer_tx.send(answer);
    });
    let mut answer = None;
    run_until(app, Duration::from_secs(15), |_| {
        answer = answer_rx.try_recv().ok();
        answer.is_some()
    });
    let text = answer.expect("BRP answered within 15 s").expect("BRP over HTTP");
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    // The body may come chunked: the JSON object is between the first `{` and the last `}`.
    let json = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    let answer: Value = serde_json::from_str(json).unwrap_or_else(|err| panic!("{err}: {text}"));
    match answer.get("error") {
        Some(error) => Err(error.clone()),
        None => Ok(answer["result"].clone()),
    }
}

fn sprites(app: &mut App, address: SocketAddr) -> Vec<Value> {
    call(app, address, "dgx_pixels/list_sprites", json!({})).unwrap()["sprites"].as_array().unwrap().clone()
}

fn named<'a>(sprites: &'a [Value], name: &str) -> Option<&'a Value> {
    sprites.iter().find(|sprite| sprite["name"] == name)
}

/// Spawn, list, spawn near, apply: the game does what the methods say, where they say.
#[test]
fn remote_methods_spawn_list_and_apply_sprites() {
    let project = Project::new();
    project.add_knight();
    let (mut app, address) = remote_game(&project);
    app.update();

    let info = call(&mut app, address, "dgx_pixels/info", json!({})).unwrap();
    assert_eq!(info["assets"], project.assets().to_string_lossy().as_ref());
    assert_eq!(info["output_folder"], "generated");

    let spawned = call(
        &mut app,
        address,
        "dgx_pixels/spawn_sprite",
        json!({"path": "knight.png", "position": [10.0, 20.0], "name": "knight"}),
    )
    .unwrap();
    assert_eq!(spawned["path"], "knight.sprite.ron");
    assert_eq!(&spawned["position"].as_array().unwrap()[..2], &[json!(10.0), json!(20.0)]);
    // The sheet loads and attaches; list_sprites shows it with its image and sheet.
    let attached = run_until(&mut app, Duration::from_secs(10), |app| {
        let mut query = app.world_mut().query::<(&Name, &Sprite)>();
        query.iter(app.world()).any(|(name, sprite)| name.as_str() == "knight" && sprite.texture_atlas.is_some())
    });
    assert!(attached, "the spawned sheet attached");
    let listed = sprites(&mut app, address);
    let knight = named(&listed, "knight").expect("listed").clone();
    assert_eq!(knight["entity"], spawned["entity"]);
    assert_eq!(knight["sheet"], "knight.sprite.ron");
    assert_eq!(knight["image"], "knight.sprite.ron#image");
    assert_eq!(&knight["position"].as_array().unwrap()[..2], &[json!(10.0), json!(20.0)]);

    let near = call(
        &mut app,
        address,
        "dgx_pixels/spawn_sprite",
        json!({"path": "knight.sprite.ron", "position": [5.0, -1.0], "near": "knight", "name": "squire"}),
    )
    .unwrap();
    assert_eq!(&near["position"].as_array().unwrap()[..2], &[json!(15.0), json!(19.0)]);
    // In front of the knight, so it is not hidden behind it.
    assert!(near["position"][2].as_f64() > knight["position"][2].as_f64(), "{near} {knight}");

    let applied = call(
        &mut app,
        address,
        "dgx_pixels/apply_to_entity",
        json!({"entity": near["entity"], "path": "hero.pixels.ron"}),
    )
    .unwrap();
    assert_eq!(applied["entity"], near["entity"]);
    app.update();
    let squire = named(&sprites(&mut app, address), "squire").cloned().expect("listed");
    assert_eq!(squire["sheet"], "hero.pixels.ron");
}

/// Each bad call is an invalid-params or entity-not-found error naming what was wrong, and
/// nothing is spawned or changed; a headless game has no window to screenshot.
#[test]
fn bad_remote_calls_change_nothing() {
    let project = Project::new();
    project.add_knight();
    let (mut app, address) = remote_game(&project);
    app.update();
    for twin in ["twin", "twin"] {
        let params = json!({"path": "knight.png", "position": [0.0, 0.0], "name": twin});
        call(&mut app, address, "dgx_pixels/spawn_sprite", params).unwrap();
    }
    app.update();
    let before = sprites(&mut app, address).len();
    let spawn = |params: Value| ("dgx_pixels/spawn_sprite", params);
    let cases = [
        (spawn(json!({"path": "../outside.png", "position": [0, 0]})), "relative path"),
        (spawn(json!({"path": "/etc/passwd.png", "position": [0, 0]})), "relative path"),
        (spawn(json!({"path": "source://x.png", "position": [0, 0]})), "relative path"),
        (spawn(json!({"path": "knight.txt", "position": [0, 0]})), ".sprite.ron"),
        (spawn(json!({"path": "knight.png", "position": [1e39, 0]})), "finite"),
        (spawn(json!({"path": "knight.png", "position": [0]})), "length 2"),
        (spawn(json!({"path": "knight.png", "position": [0, 0], "near": "nobody"})), "no entity named `nobody`"),
        (spawn(json!({"path": "knight.png", "position": [0, 0], "near": 123_456_789})), "no entity 123456789"),
        (spawn(json!({"path": "knight.png", "position": [0, 0], "near": "twin"})), "2 entities are named `twin`"),
        (spawn(json!({"path": "knight.png", "position": [0, 0], "colour": "red"})), "unknown field"),
        (("dgx_pixels/apply_to_entity", json!({"entity": "nobody", "path": "knight.png"})), "no entity named"),
        (("dgx_pixels/apply_to_entity", json!({"entity": "twin", "path": "../x.png"})), "relative path"),
        (("dgx_pixels/take_screenshot", json!({})), "no primary window"),
        (("dgx_pixels/screenshot", json!({"id": 7})), "no screenshot 7"),
    ];
    for ((method, params), expected) in cases {
        let error = call(&mut app, address, method, params.clone()).expect_err(&format!("{method} {params} accepted"));
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{method} {params}: {message:?} lacks {expected:?}");
    }
    app.update();
    let after = sprites(&mut app, address);
    assert_eq!(after.len(), before, "a refused call spawned something");
    assert!(after.iter().all(|sprite| sprite["sheet"] == "knight.sprite.ron"), "a refused apply changed a sheet");
}

/// A non-loopback BRP address is refused before anything listens.
#[test]
fn remote_access_is_loopback_only() {
    let err = RemoteAccess::new("0.0.0.0:15702".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("no authentication"), "{err}");
}
