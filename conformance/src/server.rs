//! The reference server: a strict, fast OpenLineage endpoint that answers per the spec.
//!
//! `POST {base}/lineage` takes one event and answers 200, or 400 with the violations;
//! `POST {base}/lineage/batch` takes an array and answers 200 with the batch summary and the
//! index of every failed event. Events are parsed with the typed model (which refuses repeated
//! keys and nulls it would lose) and validated at every tier, facet schemas included: the
//! reference is as strict as the spec allows. It keeps the last accepted events (an event delivered
//! again once), as the typed
//! model writes them back, and `GET {base}/events[?runId=...]` reads them, so what a server
//! stores can be compared with what was sent.

use std::collections::VecDeque;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    /// How many accepted events `GET {prefix}/events` can read back (the oldest go first).
    pub keep: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            prefix: "/api/v1".into(),
            max_body: 32 * 1024 * 1024,
            validate: true,
            log: false,
            keep: 10_000,
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
    stored: Arc<Mutex<Kept>>,
}

/// The kept events, oldest first, and how many of them have each text's hash, so a repeated
/// delivery of one event (a client retrying) is kept once without scanning every event.
#[derive(Default)]
struct Kept {
    events: VecDeque<Stored>,
    hashes: std::collections::HashMap<u64, usize>,
}

fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// One accepted event as the typed model writes it back, with its run id (lower case).
struct Stored {
    run_id: Option<String>,
    json: String,
}

impl AppState {
    fn keep(&self, event: &Event) {
        if self.cfg.keep == 0 {
            return;
        }
        let Ok(json) = serde_json::to_string(event) else {
            return;
        };
        let run_id = event.run().map(|r| r.run_id.to_ascii_lowercase());
        let hash = text_hash(&json);
        let mut kept = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        // The same event delivered again is the same state transition: kept once.
        if kept.hashes.contains_key(&hash) && kept.events.iter().any(|s| s.json == json) {
            return;
        }
        if kept.events.len() >= self.cfg.keep {
            if let Some(old) = kept.events.pop_front() {
                let h = text_hash(&old.json);
                if let Some(n) = kept.hashes.get_mut(&h) {
                    *n -= 1;
                    if *n == 0 {
                        kept.hashes.remove(&h);
                    }
                }
            }
        }
        *kept.hashes.entry(hash).or_default() += 1;
        kept.events.push_back(Stored { run_id, json });
    }
}

/// `GET {prefix}/events`: the kept events (those of one run with `?runId=`), oldest first, as
/// a JSON array of what the typed model wrote back.
async fn events(
    State(state): State<AppState>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let wanted = query.get("runId").map(|r| r.to_ascii_lowercase());
    let kept = state.stored.lock().unwrap_or_else(PoisonError::into_inner);
    let texts: Vec<&str> = kept
        .events
        .iter()
        .filter(|s| wanted.is_none() || s.run_id == wanted)
        .map(|s| s.json.as_str())
        .collect();
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("[{}]", texts.join(",")),
    )
        .into_response()
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
        stored: Arc::default(),
    };
    Router::new()
        .route(&format!("{prefix}/lineage"), post(single))
        .route(&format!("{prefix}/lineage/batch"), post(batch))
        .route(&format!("{prefix}/events"), get(events))
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
    let (status, answer, _) = judge_single(cfg, body);
    (status, answer)
}

/// [`answer_single`], with the accepted event.
fn judge_single(cfg: &ServerConfig, body: &[u8]) -> (StatusCode, Option<Value>, Option<Event>) {
    let event = if cfg.validate {
        Event::parse_validated(body, Tier::Facets)
    } else {
        Event::from_slice(body)
    };
    match event {
        Ok(event) => (StatusCode::OK, None, Some(event)),
        Err(e) => {
            if cfg.log {
                eprintln!("rejected event: {e}");
            }
            (StatusCode::BAD_REQUEST, Some(json!(e.rejection())), None)
        }
    }
}

/// The reference answer to `POST /lineage/batch` with (decoded) `body`: 400 for a body that is
/// not an array of JSON values, else 200 with the summary and every failed index.
pub fn answer_batch(cfg: &ServerConfig, body: &[u8]) -> (StatusCode, Value) {
    let (status, answer, _) = judge_batch(cfg, body);
    (status, answer)
}

/// [`answer_batch`], with the accepted events.
fn judge_batch(cfg: &ServerConfig, body: &[u8]) -> (StatusCode, Value, Vec<Event>) {
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
            let answer = json!(BatchResponse::from_results(&results));
            (
                StatusCode::OK,
                answer,
                results.into_iter().flatten().collect(),
            )
        }
        Err(e) => (StatusCode::BAD_REQUEST, json!(e.rejection()), Vec::new()),
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
    let (status, body, event) = judge_single(&state.cfg, &bytes);
    if let Some(event) = &event {
        state.keep(event);
    }
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
    let (status, body, accepted) = judge_batch(&state.cfg, &bytes);
    for event in &accepted {
        state.keep(event);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckId;
    use crate::families::families;
    use crate::seed::seeded_runner;
    use openlineage_types::arb::{GenConfig, ValueGen};
    use proptest::strategy::{Strategy, ValueTree};

    /// Numbers as values, not spellings: `1E+3`, `1e3` and `1e+3` are one number.
    fn canonical(v: &Value) -> Value {
        match v {
            Value::Number(n) => {
                Value::String(n.to_string().to_ascii_lowercase().replace("e+", "e"))
            }
            Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
            }
            other => other.clone(),
        }
    }

    /// Every valid form the runner sends is accepted by the reference server, kept, and read
    /// back through `GET /events` as the same event: same strings, same digits.
    #[test]
    fn every_valid_spelling_is_stored_and_comes_back_unchanged() {
        let forms = [
            CheckId::Whitespace,
            CheckId::Escapes,
            CheckId::NumberForms,
            CheckId::EmptyLists,
            CheckId::FacetKeyCase,
            CheckId::IdForms,
            CheckId::TimeForms,
            CheckId::UriForms,
            CheckId::Unicode,
            CheckId::LongNames,
            CheckId::OffsetTime,
            CheckId::TimePrecision,
        ];
        let gen = ValueGen::new(GenConfig::SMALL).expect("generator");
        let all = families(&gen).expect("families");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let server = start("127.0.0.1:0", ServerConfig::default())
                .await
                .expect("server");
            let client =
                crate::transport::http_client(std::time::Duration::from_secs(10)).expect("client");
            let mut sent = 0;
            for family in all.iter().filter(|f| forms.contains(&f.check())) {
                for case in 0..family.case_count(1) {
                    let input = family
                        .strategy(case)
                        .new_tree(&mut seeded_runner(case as u64 + 7))
                        .expect("case")
                        .current();
                    let body = &input.requests[0].body;
                    let answer = client
                        .post(format!("{}/lineage", server.base_url))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("answer");
                    assert_eq!(answer.status(), 200, "{}", input.label);
                    let event: Value = serde_json::from_slice(body).expect("JSON");
                    let run = event["run"]["runId"].as_str().expect("run id");
                    let text = client
                        .get(format!("{}/events?runId={run}", server.base_url))
                        .send()
                        .await
                        .expect("read back")
                        .bytes()
                        .await
                        .expect("a body");
                    let back: Vec<Value> = serde_json::from_slice(&text).expect("a JSON array");
                    let last = back.last().expect("the event was kept");
                    assert_eq!(canonical(last), canonical(&event), "{}", input.label);
                    sent += 1;
                }
            }
            assert!(sent >= 25, "{sent} forms");
        });
    }
}
