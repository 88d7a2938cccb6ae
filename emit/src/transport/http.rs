//! The HTTP transport: `POST {url}/{endpoint}` for single events and `{endpoint}/batch` for
//! batches, with timeouts, retries (exponential backoff with jitter, `Retry-After`), API-key
//! authentication, custom headers, gzip bodies and https over rustls with ring.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_ENCODING};
use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::{BoxFuture, Encoded, Transport};
use crate::{Error, Secret};

/// Request body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `Content-Encoding: gzip`.
    Gzip,
}

/// When and how often to resend. Connection errors, timeouts, 5xx and 429 are retried; any
/// other 4xx never is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryConfig {
    /// Resends after the first attempt (`total`, default 5 as in the Python client).
    pub total: u32,
    /// The n-th resend waits `backoff_factor * 2^(n-1)` seconds, times a random factor in
    /// [0.5, 1] (`backoff_factor`, default 0.3).
    pub backoff_factor: f64,
    /// The longest wait between attempts, `Retry-After` included (`backoff_max`, default 120 s).
    pub backoff_max: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            total: 5,
            backoff_factor: 0.3,
            backoff_max: Duration::from_secs(120),
        }
    }
}

impl RetryConfig {
    /// The wait before resend number `retry` (1-based), honouring a server's `Retry-After`.
    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let base = self.backoff_factor.max(0.0) * f64::from(1u32 << exponent);
        let jittered = base * (0.5 + 0.5 * unit_random());
        let wait = Duration::from_secs_f64(jittered.min(self.backoff_max.as_secs_f64()));
        match retry_after {
            Some(after) => wait.max(after).min(self.backoff_max),
            None => wait,
        }
    }
}

/// A number in [0, 1) from the standard library's per-process random hash keys: jitter needs no
/// more than that.
fn unit_random() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The HTTP transport's settings, with the Python client's keys and defaults.
#[derive(Clone, PartialEq)]
pub struct HttpConfig {
    /// `url`: the server, e.g. `http://localhost:5000`.
    pub url: String,
    /// `endpoint`, joined to `url` as a relative URL is (default `api/v1/lineage`).
    pub endpoint: String,
    /// `timeout` for each request, connecting included (default 5 s).
    pub timeout: Duration,
    /// `verify`: check TLS certificates (default true).
    pub verify: bool,
    /// `auth: {type: api_key, apiKey: ...}`: sent as `Authorization: Bearer ...`.
    pub api_key: Option<Secret>,
    /// `custom_headers`, sent with every request. Secret ones ([`HttpConfig::is_secret_header`])
    /// are marked sensitive and never shown.
    pub custom_headers: Vec<(String, Secret)>,
    /// `secret_headers`: names (any case) of custom headers whose values are secret.
    pub secret_headers: Vec<String>,
    /// `compression: gzip`.
    pub compression: Option<Compression>,
    /// `retry`.
    pub retry: RetryConfig,
    /// `batch: true`: batches go to `{endpoint}/batch` (otherwise one request per event).
    pub batch: bool,
}

impl HttpConfig {
    /// The defaults for a server URL.
    pub fn new(url: impl Into<String>) -> Self {
        HttpConfig {
            url: url.into(),
            endpoint: "api/v1/lineage".into(),
            timeout: Duration::from_secs(5),
            verify: true,
            api_key: None,
            custom_headers: Vec::new(),
            secret_headers: Vec::new(),
            compression: None,
            retry: RetryConfig::default(),
            batch: false,
        }
    }

    /// Whether the custom header `name` is secret: listed in `secret_headers`, or one that
    /// carries credentials by definition (`Authorization`, `Proxy-Authorization`, `Cookie`).
    pub fn is_secret_header(&self, name: &str) -> bool {
        ["authorization", "proxy-authorization", "cookie"]
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
            || self
                .secret_headers
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name))
    }

    /// The single-event URL: `endpoint` resolved against `url` as the Python client's `urljoin`
    /// does (`http://h:5000` + `api/v1/lineage` is `http://h:5000/api/v1/lineage`).
    pub fn lineage_url(&self) -> Result<Url, String> {
        let base = Url::parse(self.url.trim()).map_err(|e| format!("`{}`: {e}", self.url))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("`{}`: the scheme must be http or https", self.url));
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(format!("`{}`: no host", self.url));
        }
        base.join(&self.endpoint)
            .map_err(|e| format!("endpoint `{}`: {e}", self.endpoint))
    }

    /// The batch URL: the single-event URL with `/batch` appended (the Python client has no
    /// batch endpoint of its own).
    pub fn batch_url(&self) -> Result<Url, String> {
        let single = self.lineage_url()?;
        let mut batch = single.clone();
        let path = format!("{}/batch", single.path().trim_end_matches('/'));
        batch.set_path(&path);
        Ok(batch)
    }
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .custom_headers
            .iter()
            .map(|(name, value)| {
                let shown = if self.is_secret_header(name) {
                    "***"
                } else {
                    value.expose()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("HttpConfig")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("verify", &self.verify)
            .field("api_key", &self.api_key)
            .field("custom_headers", &headers)
            .field("compression", &self.compression)
            .field("retry", &self.retry)
            .field("batch", &self.batch)
            .finish()
    }
}

/// Delivers events over HTTP(S).
pub struct HttpTransport {
    client: reqwest::Client,
    single: Url,
    batch_url: Url,
    headers: HeaderMap,
    compression: Option<Compression>,
    retry: RetryConfig,
    batch: bool,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values are left out: they carry the API key and secret headers.
        f.debug_struct("HttpTransport")
            .field("url", &self.single.as_str())
            .field("batch_url", &self.batch_url.as_str())
            .field("compression", &self.compression)
            .field("retry", &self.retry)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

/// One attempt's outcome.
enum Attempt {
    /// A 2xx answer, with its body.
    Done(String),
    /// Worth sending again, after at least the server's `Retry-After`.
    Retry(Error, Option<Duration>),
    /// Never worth sending again.
    Fail(Error),
}

impl HttpTransport {
    /// A transport for `config`; fails on a URL that is not http(s) or a header that is not
    /// valid (naming it, never its value).
    pub fn new(config: &HttpConfig) -> Result<Self, Error> {
        let single = config
            .lineage_url()
            .map_err(|m| Error::config("http transport", "url", m))?;
        let batch_url = config
            .batch_url()
            .map_err(|m| Error::config("http transport", "endpoint", m))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(key) = &config.api_key {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                    Error::config("http transport", "auth.apiKey", "not a valid header value")
                })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        for (name, value) in &config.custom_headers {
            let key = format!("custom_headers.{name}");
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::config("http transport", &key, "not a valid header name"))?;
            let mut value = HeaderValue::from_str(value.expose())
                .map_err(|_| Error::config("http transport", &key, "not a valid header value"))?;
            if config.is_secret_header(name) {
                value.set_sensitive(true);
            }
            headers.insert(header, value);
        }
        if config.compression == Some(Compression::Gzip) {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        // The runner's TLS setup: rustls with the ring provider, installed once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .tls_danger_accept_invalid_certs(!config.verify)
            // A redirected POST becomes a GET without the event; a redirect is reported as
            // the refusal it is instead (the URL is misconfigured).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::config(
                    "http transport",
                    "url",
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(HttpTransport {
            client,
            single,
            batch_url,
            headers,
            compression: config.compression,
            retry: config.retry,
            batch: config.batch,
        })
    }

    /// The URL single events go to.
    pub fn url(&self) -> &Url {
        &self.single
    }

    /// The URL batches go to.
    pub fn batch_url(&self) -> &Url {
        &self.batch_url
    }

    fn body(&self, json: &[u8]) -> Vec<u8> {
        match self.compression {
            None => json.to_vec(),
            Some(Compression::Gzip) => {
                // Level 3, as the Python client uses: higher levels cost twice the time.
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::with_capacity(json.len() / 4),
                    flate2::Compression::new(3),
                );
                // Writing to a Vec cannot fail.
                let _ = gz.write_all(json);
                gz.finish().unwrap_or_default()
            }
        }
    }

    async fn attempt(&self, url: &Url, body: Vec<u8>) -> Attempt {
        let fail = |status: Option<StatusCode>, retriable: bool, message: String| Error::Http {
            url: url.to_string(),
            status: status.map(|s| s.as_u16()),
            retriable,
            message,
        };
        let sent = self
            .client
            .post(url.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(fail(None, true, describe(&e)), None),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return Attempt::Retry(fail(Some(status), true, describe(&e)), None),
        };
        if status.is_success() {
            Attempt::Done(text)
        } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Attempt::Retry(
                fail(Some(status), true, format!("{status}: {}", excerpt(&text))),
                retry_after,
            )
        } else {
            Attempt::Fail(fail(
                Some(status),
                false,
                format!("refused with {status}: {}", excerpt(&text)),
            ))
        }
    }

    /// Sends one event, retrying as configured.
    async fn post_single(&self, event: &Encoded) -> Result<(), Error> {
        let body = self.body(event.as_str().as_bytes());
        let mut retry = 0;
        loop {
            match self.attempt(&self.single, body.clone()).await {
                Attempt::Done(_) => return Ok(()),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry(e, after) => {
                    if retry >= self.retry.total {
                        return Err(e);
                    }
                    retry += 1;
                    tokio::time::sleep(self.retry.delay(retry, after)).await;
                }
            }
        }
    }

    /// Sends a batch to `{endpoint}/batch`; a `partial_success` answer resends only the events
    /// marked `retriable` and reports the others as failed.
    async fn post_batch(&self, events: &[Encoded]) -> Vec<Result<(), Error>> {
        let mut results: Vec<Option<Result<(), Error>>> = events.iter().map(|_| None).collect();
        let mut pending: Vec<usize> = (0..events.len()).collect();
        let mut retry = 0;
        while !pending.is_empty() {
            let mut json = String::from("[");
            for (i, &index) in pending.iter().enumerate() {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(events[index].as_str());
            }
            json.push(']');
            let body = self.body(json.as_bytes());
            let (again, error, after) = match self.attempt(&self.batch_url, body).await {
                Attempt::Done(text) => {
                    let mut again = Vec::new();
                    let mut last = None;
                    for failure in failed_events(&text) {
                        let Some(&index) = pending.get(failure.index) else {
                            continue;
                        };
                        let error = Error::Http {
                            url: self.batch_url.to_string(),
                            status: Some(200),
                            retriable: failure.retriable,
                            message: format!(
                                "event {} of the batch failed: {}",
                                failure.index, failure.reason
                            ),
                        };
                        if failure.retriable {
                            again.push(index);
                            last = Some(error);
                        } else {
                            results[index] = Some(Err(error));
                        }
                    }
                    for &index in &pending {
                        if results[index].is_none() && !again.contains(&index) {
                            results[index] = Some(Ok(()));
                        }
                    }
                    (again, last, None)
                }
                Attempt::Fail(e) => {
                    for &index in &pending {
                        results[index] = Some(Err(clone_error(&e)));
                    }
                    (Vec::new(), None, None)
                }
                Attempt::Retry(e, after) => (pending.clone(), Some(e), after),
            };
            pending = again;
            if pending.is_empty() {
                break;
            }
            if retry >= self.retry.total {
                let e = error.unwrap_or(Error::Closed);
                for &index in &pending {
                    results[index] = Some(Err(clone_error(&e)));
                }
                break;
            }
            retry += 1;
            tokio::time::sleep(self.retry.delay(retry, after)).await;
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(Error::Closed)))
            .collect()
    }
}

/// A copy of an HTTP error for each event of a batch it applies to.
fn clone_error(e: &Error) -> Error {
    match e {
        Error::Http {
            url,
            status,
            retriable,
            message,
        } => Error::Http {
            url: url.clone(),
            status: *status,
            retriable: *retriable,
            message: message.clone(),
        },
        other => Error::Composite(other.to_string()),
    }
}

struct FailedEvent {
    index: usize,
    reason: String,
    retriable: bool,
}

/// The `failed_events` of a batch answer; an answer that is not the batch JSON says nothing
/// failed (the server took the request with a 2xx).
fn failed_events(text: &str) -> Vec<FailedEvent> {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    value
        .get("failed_events")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    Some(FailedEvent {
                        index: usize::try_from(item.get("index")?.as_u64()?).ok()?,
                        reason: item
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("no reason given")
                            .to_string(),
                        retriable: item
                            .get("retriable")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = openlineage_types::chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let now = openlineage_types::chrono::Utc::now();
    (date.with_timezone(&openlineage_types::chrono::Utc) - now)
        .to_std()
        .ok()
}

/// A reqwest error with its causes, without the URL (the caller names it once).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The start of an answer body, for an error message.
fn excerpt(text: &str) -> String {
    const MAX: usize = 500;
    if text.is_empty() {
        return "(empty body)".into();
    }
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

impl Transport for HttpTransport {
    fn send<'a>(&'a self, event: &'a Encoded) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.post_single(event))
    }

    fn send_batch<'a>(&'a self, events: &'a [Encoded]) -> BoxFuture<'a, Vec<Result<(), Error>>> {
        Box::pin(async move {
            if self.batch && events.len() > 1 {
                self.post_batch(events).await
            } else {
                let mut out = Vec::with_capacity(events.len());
                for event in events {
                    out.push(self.post_single(event).await);
                }
                out
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_urljoin() {
        let mut c = HttpConfig::new("http://h:5000");
        assert_eq!(
            c.lineage_url().unwrap().as_str(),
            "http://h:5000/api/v1/lineage"
        );
        assert_eq!(
            c.batch_url().unwrap().as_str(),
            "http://h:5000/api/v1/lineage/batch"
        );
        c.url = "http://h/base/".into();
        assert_eq!(
            c.lineage_url().unwrap().as_str(),
            "http://h/base/api/v1/lineage"
        );
        c.endpoint = "/events".into();
        assert_eq!(c.lineage_url().unwrap().as_str(), "http://h/events");
        c.url = "localhost:5000".into();
        assert!(c.lineage_url().is_err());
    }

    #[test]
    fn delays_grow_jitter_and_honour_retry_after() {
        let r = RetryConfig {
            total: 5,
            backoff_factor: 1.0,
            backoff_max: Duration::from_secs(10),
        };
        for retry in 1..=3 {
            let d = r.delay(retry, None).as_secs_f64();
            let base = f64::from(1u32 << (retry - 1));
            assert!(d >= base * 0.5 && d <= base, "{retry}: {d}");
        }
        assert_eq!(r.delay(20, None), Duration::from_secs(10));
        assert_eq!(
            r.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            r.delay(1, Some(Duration::from_secs(300))),
            Duration::from_secs(10)
        );
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            None,
            "a date in the past means no wait beyond the backoff"
        );
    }
}
