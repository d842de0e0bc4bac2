use std::time::Duration;

use dgx_pixels_protocol::{ErrorBody, GenerateRequest};
use reqwest::Method;

use crate::util::TestServer;

/// One bad request: method, path, body, extra header, expected status and `field`.
struct Case {
    method: Method,
    path: &'static str,
    body: Vec<u8>,
    header: Option<(&'static str, &'static str)>,
    status: u16,
    field: Option<&'static str>,
}

fn case(method: Method, path: &'static str, body: &str, status: u16, field: Option<&'static str>) -> Case {
    Case { method, path, body: body.as_bytes().to_vec(), header: None, status, field }
}

fn generate(body: &str, field: &'static str) -> Case {
    case(Method::POST, "/api/v1/generate", body, 422, Some(field))
}

/// Every kind of bad input gets its 4xx, the `{"error","field"}` body and the right field;
/// none gets a 5xx.
#[tokio::test(flavor = "multi_thread")]
async fn invalid_inputs_are_answered_with_their_field() {
    let server = TestServer::start(|config| {
        config.max_body_bytes = 64 * 1024;
        config.procedural_delay = Duration::from_secs(10);
        config.concurrency = Some(1);
    })
    .await;
    let queued = server.client.generate(&GenerateRequest::new("slime"), None).await.unwrap().job_id;
    let queued_sheet: &'static str = Box::leak(format!("/api/v1/jobs/{queued}/sheet.png").into_boxed_str());
    let cases = vec![
        case(Method::POST, "/api/v1/generate", r#"{"prompt":"#, 400, None),
        case(Method::POST, "/api/v1/generate", "", 400, None),
        case(Method::POST, "/api/v1/generate", "[1,2]", 422, None),
        generate(r#"{"frames":2}"#, "prompt"),
        generate(r#"{"prompt":""}"#, "prompt"),
        generate(r#"{"prompt":"x","frames":0}"#, "frames"),
        generate(r#"{"prompt":"x","directions":3}"#, "directions"),
        generate(r#"{"prompt":"x","directions":"eight"}"#, "directions"),
        generate(r#"{"prompt":"x","directions":8,"frames":16}"#, "directions"),
        generate(r#"{"prompt":"x","directions":4,"frames":4,"columns":8}"#, "columns"),
        generate(r#"{"prompt":"x","directions":4,"mirror":"yes"}"#, "mirror"),
        generate(r#"{"prompt":"x","kind":"tile","sprite":{"width":32,"height":16}}"#, "sprite"),
        generate(r#"{"prompt":"x","kind":"tile","directions":8}"#, "directions"),
        generate(r#"{"prompt":"x","kind":"mosaic"}"#, "kind"),
        generate(r#"{"prompt":"x","kind":"tileset","upper":"water"}"#, "lower"),
        generate(r#"{"prompt":"x","kind":"tileset","lower":"grass"}"#, "upper"),
        generate(r#"{"prompt":"x","kind":"tileset","lower":"a","upper":"b","layout":"hexagons"}"#, "layout"),
        generate(
            r#"{"prompt":"x","kind":"tileset","lower":"a","upper":"b","sprite":{"width":600,"height":600}}"#,
            "sprite.width",
        ),
        generate(r#"{"prompt":"x","frames":"four"}"#, "frames"),
        generate(r#"{"prompt":"x","sprite":{"width":7,"height":32}}"#, "sprite.width"),
        generate(r#"{"prompt":"x","colors":1}"#, "colors"),
        generate(r#"{"prompt":"x","palette":"vaporwave"}"#, "palette"),
        generate(r##"{"prompt":"x","palette":["#zzzzzz"]}"##, "palette"),
        generate(r#"{"prompt":"x","width":1020}"#, "width"),
        generate(r#"{"prompt":"x","seed":-1}"#, "seed"),
        generate(r#"{"prompt":"x","guidance_scale":31}"#, "guidance_scale"),
        generate(r#"{"prompt":"x","name":"../../etc/passwd"}"#, "name"),
        generate(r#"{"prompt":"x","name":"a/b"}"#, "name"),
        generate(r#"{"prompt":"x","name":"Knight.png"}"#, "name"),
        generate(r#"{"prompt":"x","style":"no-such-style"}"#, "style"),
        generate(r#"{"prompt":"x","backend":"comfyui"}"#, "backend"),
        generate(r#"{"prompt":"x","backend":"dall-e"}"#, "backend"),
        generate(r#"{"prompt":"x","colour":3}"#, "colour"),
        generate(r#"{"prompt":"x","source":{"job":"nope"}}"#, "source.job"),
        generate(&format!(r#"{{"prompt":"x","source":{{"job":"{queued}"}}}}"#), "source.job"),
        generate(&format!(r#"{{"prompt":"x","source":{{"job":"{queued}","frame":1}}}}"#), "source.frame"),
        generate(r#"{"prompt":"x","source":{"job":"nope","frame":-1}}"#, "source.frame"),
        generate(r#"{"prompt":"x","source":{"frame":0}}"#, "source.job"),
        generate(r#"{"prompt":"x","source":"nope"}"#, "source"),
        generate(&format!(r#"{{"prompt":"x","source":{{"job":"{queued}"}},"denoise":0.0}}"#), "denoise"),
        generate(&format!(r#"{{"prompt":"x","source":{{"job":"{queued}"}},"denoise":1.5}}"#), "denoise"),
        generate(&format!(r#"{{"prompt":"x","source":{{"job":"{queued}"}},"denoise":"NaN"}}"#), "denoise"),
        generate(r#"{"prompt":"x","denoise":0.5}"#, "denoise"),
        Case {
            header: Some(("Idempotency-Key", "")),
            ..case(Method::POST, "/api/v1/generate", r#"{"prompt":"x"}"#, 422, Some("Idempotency-Key"))
        },
        case(Method::POST, "/api/v1/generate", &format!(r#"{{"prompt":"{}"}}"#, "a".repeat(70_000)), 413, None),
        case(Method::GET, "/api/v1/jobs/nope", "", 404, None),
        case(Method::DELETE, "/api/v1/jobs/nope", "", 404, None),
        case(Method::GET, "/api/v1/jobs/nope/events", "", 404, None),
        case(Method::GET, "/api/v1/jobs/nope/sheet.png", "", 404, None),
        case(Method::GET, "/api/v1/jobs/..%2F..%2Fjobs.sqlite3/sheet.png", "", 404, None),
        case(Method::GET, queued_sheet, "", 409, None),
        case(Method::GET, "/api/v1/jobs/x/passwd", "", 404, None),
        case(Method::GET, "/api/v1/jobs?status=done", "", 422, Some("status")),
        case(Method::GET, "/api/v1/jobs?limit=0", "", 422, Some("limit")),
        case(Method::GET, "/api/v1/jobs?limit=many", "", 422, Some("limit")),
        case(Method::GET, "/api/v1/nothing", "", 404, None),
        case(Method::PUT, "/api/v1/generate", "", 405, None),
        case(Method::POST, "/api/v1/pixelize", "not a png", 422, Some("body")),
        case(Method::POST, "/api/v1/pixelize?size=huge", "", 422, Some("size")),
        case(Method::POST, "/api/v1/pixelize?size=4x4", "", 422, Some("size")),
        case(Method::POST, "/api/v1/pixelize?colors=1", "", 422, Some("colors")),
        case(Method::POST, "/api/v1/pixelize?palette=nope", "", 422, Some("palette")),
        case(Method::POST, "/api/v1/pixelize?background=blue", "", 422, Some("background")),
    ];
    let http = reqwest::Client::new();
    for case in cases {
        let sent = String::from_utf8_lossy(&case.body).chars().take(60).collect::<String>();
        let mut request = http.request(case.method.clone(), format!("{}{}", server.url, case.path)).body(case.body);
        if let Some((name, value)) = case.header {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let what = format!("{} {} {sent} {:?}: {status} {text}", case.method, case.path, case.header);
        assert_eq!(status, case.status, "{what}");
        let body: ErrorBody = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not an error body: {what}"));
        assert_eq!(body.field.as_deref(), case.field, "{what}");
        assert!(!body.error.is_empty(), "{what}");
    }
}

/// Pixelize turns an upscaled image into a sprite of the asked size.
#[tokio::test(flavor = "multi_thread")]
async fn pixelize_returns_a_sprite() {
    let server = TestServer::start(|_| {}).await;
    let fake = image::RgbaImage::from_fn(80, 80, |x, y| {
        if (x / 10 + y / 10) % 2 == 0 { image::Rgba([20, 20, 20, 255]) } else { image::Rgba([230, 40, 40, 255]) }
    });
    let png = dgx_pixels_sprite::write::encode_png(&fake).unwrap();
    let params = dgx_pixels_client::PixelizeParams { size: Some((8, 8)), colors: Some(2), ..Default::default() };
    let sprite = server.client.pixelize(png.clone(), &params).await.unwrap();
    let sprite = image::load_from_memory(&sprite).unwrap();
    assert_eq!((sprite.width(), sprite.height()), (8, 8));

    // How sure the grid is comes as a header: sure of the exact 10 px upscale, unsure of 10×10.
    let confidence = |size: &'static str| {
        let (url, png) = (format!("{}/api/v1/pixelize?size={size}", server.url), png.clone());
        async move {
            let response = reqwest::Client::new().post(url).body(png).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let header = response.headers().get("x-grid-confidence").expect("the confidence header");
            header.to_str().unwrap().parse::<f32>().unwrap()
        }
    };
    assert!(confidence("auto").await >= 0.9);
    assert!(confidence("10x10").await < 0.5);
}
