//! `GET /api/v1/openapi.json`: the OpenAPI description, generated from the handlers'
//! `#[utoipa::path]` attributes so that it cannot drift from the routes.
//!
//! Every JSON body has a schema under `components/schemas`, derived from its
//! `dgx_pixels_protocol` type (that crate's `utoipa` feature), so field names, defaults and
//! doc comments come from the types the server actually (de)serialises. The event stream's
//! `data:` payloads are listed there too, though OpenAPI cannot attach them to an SSE response.

use axum::Json;
use dgx_pixels_protocol::events::{CancelledEvent, FailedEvent, ProgressEvent};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{events, files, health, jobs, models, pixelize, train};

#[derive(OpenApi)]
#[openapi(
    info(title = "dgx-pixels", description = "Pixel-art sprite generation for Bevy games"),
    paths(
        health::health_show,
        jobs::jobs_create,
        jobs::jobs_index,
        jobs::jobs_show,
        jobs::jobs_cancel,
        events::events_stream,
        files::files_show,
        files::files_raw,
        models::models_index,
        train::styles_train,
        pixelize::pixelize_create,
        openapi_show,
    ),
    components(schemas(ProgressEvent, FailedEvent, CancelledEvent)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The OpenAPI document of every route.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server", security(("bearer" = [])),
    responses((status = 200, description = "OpenAPI 3.1 JSON", body = Object)))]
pub(crate) async fn openapi_show() -> Json<OpenApiDoc> {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    Json(doc)
}
