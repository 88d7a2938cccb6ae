//! The reference server: a strict, fast OpenLineage endpoint that answers per the spec.
//!
//! `POST {base}/lineage` takes one event and answers 200, or 400 with the violations;
//! `POST {base}/lineage/batch` takes an array and answers 200 with the batch summary and the
//! index of every failed event. Events are parsed with the typed model (which refuses repeated
//! keys and nulls it would lose) and validated at every tier, facet schemas included: the
//! reference is as strict as the spec allows, so it passes every check with no findings.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use openlineage_types::{BatchRequest, BatchResponse, Event, Tier};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::Error;

/// How the reference server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Path prefix of the API, e.g. `/api/v1`.
    pub prefix: String,
    /// Largest accepted request body, in bytes (after gzip decoding too).
    pub max_body: usize,
    /// Validate events against the schemas (off only to measure what validation costs).
    pub validate: bool,
    /// Log each rejected event and its errors to stderr.
    pub log: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            prefix: "/api/v1".into(),
            max_body: 32 * 1024 * 1024,
            validate: true,
            log: false,
        }
    }
}

/// A request body the server accepted for judging, handed to an [`EventHook`].
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// Whether it came to the batch endpoint (an array of events) or the single one.
    pub batch: bool,
    /// The body, gzip undone when `decoded`.
    pub body: &'a [u8],
    /// False when the request was refused before its events were read (content type,
    /// encoding or size); `body` is then as it came.
    pub decoded: bool,
    /// The status the server answered.
    pub status: StatusCode,
}

/// Called with every body the server judges (producer `collect` records events with it).
pub type EventHook = Arc<dyn Fn(Delivery<'_>) + Send + Sync>;

#[derive(Clone)]
struct AppState {
    cfg: Arc<ServerConfig>,
    hook: Option<EventHook>,
}

/// The router, for embedding in another server or a test.
pub fn router(cfg: ServerConfig) -> Router {
    router_with_hook(cfg, None)
}

/// The router, calling `hook` with every body it judges and the status it answers.
pub fn router_with_hook(cfg: ServerConfig, hook: Option<EventHook>) -> Router {
    let limit = cfg.max_body;
    let prefix = cfg.prefix.trim_end_matches('/').to_string();
    let state = AppState {
        cfg: Arc::new(cfg),
        hook,
    };
    Router::new()
        .route(&format!("{prefix}/lineage"), post(single))
        .route(&format!("{prefix}/lineage/batch"), post(batch))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// A running server: its API base URL and a handle that stops it when dropped.
#[derive(Debug)]
pub struct RunningServer {
    /// The API base, e.g. `http://127.0.0.1:43123/api/v1`.
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `listen` and serves in the background of the current tokio runtime.
pub async fn start(listen: &str, cfg: ServerConfig) -> Result<RunningServer, Error> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| Error::io(format!("cannot listen on {listen}"), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("cannot read the bound address", e))?;
    let base_url = format!("http://{addr}{}", cfg.prefix.trim_end_matches('/'));
    let app = router(cfg);
    let task = tokio::spawn(async move {
        // Serving only ends when the task is aborted; an accept error ends it early.
        let _ = axum::serve(listener, app).await;
    });
    Ok(RunningServer {
        base_url,
        addr,
        task,
    })
}

fn problem(status: StatusCode, error: &str, violations: Value) -> Response {
    (
        status,
        Json(json!({"error": error, "violations": violations})),
    )
        .into_response()
}

/// Checks the content type and undoes gzip; `Err` is the response to send.
// The error is handed straight back to axum as the answer, so boxing it would buy nothing.
#[allow(clippy::result_large_err)]
fn decode(state: &AppState, headers: &HeaderMap, body: &Bytes) -> Result<Vec<u8>, Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" && !media.ends_with("+json") {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("content type must be application/json, not {content_type:?}"),
            json!([]),
        ));
    }
    match headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    {
        None | Some("identity") => Ok(body.to_vec()),
        Some("gzip") => {
            let mut out = Vec::new();
            let limit = state.cfg.max_body as u64 + 1;
            flate2::read::GzDecoder::new(&body[..])
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|e| {
                    problem(
                        StatusCode::BAD_REQUEST,
                        &format!("bad gzip body: {e}"),
                        json!([]),
                    )
                })?;
            if out.len() > state.cfg.max_body {
                return Err(problem(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body too large after gzip decoding",
                    json!([]),
                ));
            }
            Ok(out)
        }
        Some(other) => Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("unsupported content encoding {other:?}"),
            json!([]),
        )),
    }
}

/// The reference answer to `POST /lineage` with (decoded) `body`: status and JSON body.
pub fn answer_single(cfg: &ServerConfig, body: &[u8]) -> (StatusCode, Option<Value>) {
    let event = if cfg.validate {
        Event::parse_validated(body, Tier::Facets)
    } else {
        Event::from_slice(body)
    };
    match event {
        Ok(_) => (StatusCode::OK, None),
        Err(e) => {
            if cfg.log {
                eprintln!("rejected event: {e}");
            }
            (StatusCode::BAD_REQUEST, Some(json!(e.rejection())))
        }
    }
}

/// The reference answer to `POST /lineage/batch` with (decoded) `body`: 400 for a body that is
/// not an array of JSON values, else 200 with the summary and every failed index.
pub fn answer_batch(cfg: &ServerConfig, body: &[u8]) -> (StatusCode, Value) {
    let results = if cfg.validate {
        BatchRequest::parse_validated(body, Tier::Facets)
    } else {
        BatchRequest::parse_each(body)
    };
    match results {
        Ok(results) => {
            if cfg.log {
                for (index, e) in results.iter().enumerate() {
                    if let Err(e) = e {
                        eprintln!("rejected batch event {index}: {e}");
                    }
                }
            }
            (StatusCode::OK, json!(BatchResponse::from_results(&results)))
        }
        Err(e) => (StatusCode::BAD_REQUEST, json!(e.rejection())),
    }
}

async fn single(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bytes = match decode(&state, &headers, &body) {
        Ok(b) => b,
        Err(r) => {
            if let Some(hook) = &state.hook {
                hook(Delivery {
                    batch: false,
                    body: &body,
                    decoded: false,
                    status: r.status(),
                });
            }
            return r;
        }
    };
    let (status, body) = answer_single(&state.cfg, &bytes);
    if let Some(hook) = &state.hook {
        hook(Delivery {
            batch: false,
            body: &bytes,
            decoded: true,
            status,
        });
    }
    match body {
        Some(b) => (status, Json(b)).into_response(),
        None => status.into_response(),
    }
}

async fn batch(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bytes = match decode(&state, &headers, &body) {
        Ok(b) => b,
        Err(r) => {
            if let Some(hook) = &state.hook {
                hook(Delivery {
                    batch: true,
                    body: &body,
                    decoded: false,
                    status: r.status(),
                });
            }
            return r;
        }
    };
    let (status, body) = answer_batch(&state.cfg, &bytes);
    if let Some(hook) = &state.hook {
        hook(Delivery {
            batch: true,
            body: &bytes,
            decoded: true,
            status,
        });
    }
    (status, Json(body)).into_response()
}

/// `serve`: runs the reference server until interrupted.
pub async fn serve(listen: &str, cfg: ServerConfig) -> Result<(), Error> {
    if !is_loopback(listen) {
        eprintln!("warning: listening on {listen}, which is not a loopback address");
    }
    let server = start(listen, cfg).await?;
    eprintln!("reference server listening; API base {}", server.base_url);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::io("cannot wait for ctrl-c", e))?;
    Ok(())
}

fn is_loopback(listen: &str) -> bool {
    listen
        .parse::<SocketAddr>()
        .map(|a| a.ip().is_loopback())
        .unwrap_or(listen.starts_with("localhost"))
}
