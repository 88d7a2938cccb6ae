//! An OpenLineage collector: `POST /api/v1/lineage` and `POST /api/v1/lineage/batch`.
//!
//! `cargo run --example collector -- --listen 127.0.0.1:5000`. Each accepted event is written
//! to stdout as one JSON line (pipe it to a file or a queue); refused ones get 400 with every
//! violation and its JSON pointer. Bodies may be gzip-compressed and up to 64 MiB.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use openlineage_types::{BatchRequest, BatchResponse, Event, Tier};
use tower_http::decompression::RequestDecompressionLayer;

/// The tier the crate recommends for servers (see `Tier`): core schema and formats.
const TIER: Tier = Tier::Formats;

/// The collector's routes.
pub fn app() -> Router {
    Router::new()
        .route("/api/v1/lineage", post(lineage))
        .route("/api/v1/lineage/batch", post(batch))
        .layer(RequestDecompressionLayer::new())
        // axum's default limit is 2 MiB; large batches are bigger.
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
}

async fn lineage(body: Bytes) -> Response {
    match Event::parse_validated(&body, TIER) {
        Ok(event) => {
            store(&event);
            StatusCode::OK.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(e.rejection())).into_response(),
    }
}

async fn batch(body: Bytes) -> Response {
    match BatchRequest::parse_validated(&body, TIER) {
        Ok(results) => {
            results.iter().flatten().for_each(store);
            Json(BatchResponse::from_results(&results)).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(e.rejection())).into_response(),
    }
}

fn store(event: &Event) {
    println!("{}", event.to_value());
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let listen = match args.iter().position(|a| a == "--listen") {
        Some(i) => args.get(i + 1).cloned().unwrap_or_default(),
        None => "127.0.0.1:5000".into(),
    };
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app()).await
}
