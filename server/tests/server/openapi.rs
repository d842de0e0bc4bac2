use std::collections::BTreeSet;

use dgx_pixels_protocol::GenerateRequest;
use serde_json::Value;

use crate::util::TestServer;

async fn document() -> Value {
    let server = TestServer::start(|_| {}).await;
    reqwest::get(format!("{}/api/v1/openapi.json", server.url)).await.unwrap().json().await.unwrap()
}

/// The schema a `$ref` (or an array of `$ref`) names, from `components/schemas`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    let schema = if schema["type"] == "array" { &schema["items"] } else { schema };
    let name = schema["$ref"].as_str()?.strip_prefix("#/components/schemas/")?;
    doc["components"]["schemas"].get(name)
}

/// The OpenAPI document lists every route.
#[tokio::test(flavor = "multi_thread")]
async fn openapi_lists_every_route() {
    let doc = document().await;
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/health",
        "/api/v1/generate",
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/events",
        "/api/v1/jobs/{id}/{file}",
        "/api/v1/jobs/{id}/raw/{file}",
        "/api/v1/models",
        "/api/v1/pixelize",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
}

/// Every JSON request and response body, errors included, points at a schema that exists; none
/// is a bare `object`.
#[tokio::test(flavor = "multi_thread")]
async fn every_json_body_has_a_schema() {
    let doc = document().await;
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let request = operation.get("requestBody").into_iter().map(|body| ("request".to_owned(), body));
            let responses = operation["responses"].as_object().unwrap().iter().map(|(code, r)| (code.clone(), r));
            for (what, body) in request.chain(responses) {
                let Some(json) = body["content"].get("application/json") else { continue };
                bodies += 1;
                if path == "/api/v1/openapi.json" {
                    continue;
                }
                assert!(resolve(&doc, &json["schema"]).is_some(), "{method} {path} {what}: {}", json["schema"]);
            }
            // Every error response carries `ErrorBody`.
            for (code, response) in operation["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"];
                    assert_eq!(schema["$ref"], "#/components/schemas/ErrorBody", "{method} {path} {code}");
                }
            }
        }
    }
    assert!(bodies >= 15, "only {bodies} JSON bodies");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in ["ProgressEvent", "FailedEvent", "CancelledEvent", "Rgb", "Palette", "PaletteSpec"] {
        assert!(schemas.contains_key(name), "{name} missing from components");
    }
}

/// The `GenerateRequest` schema names exactly the fields the server accepts, requires only
/// `prompt`, and gives colours their `#rrggbb` form.
#[tokio::test(flavor = "multi_thread")]
async fn generate_request_schema_matches_the_type() {
    let doc = document().await;
    let body = &doc["paths"]["/api/v1/generate"]["post"]["requestBody"]["content"]["application/json"];
    let schema = resolve(&doc, &body["schema"]).unwrap();
    let every_field = GenerateRequest::with_every_field();
    let fields: BTreeSet<String> =
        serde_json::to_value(every_field).unwrap().as_object().unwrap().keys().cloned().collect();
    let properties: BTreeSet<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(properties, fields);
    assert_eq!(schema["required"], serde_json::json!(["prompt"]));
    assert_eq!(doc["components"]["schemas"]["Rgb"]["type"], "string");
}
