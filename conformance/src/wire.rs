//! What the runner sends and what comes back: requests ([`Req`]), cases ([`Input`]) and
//! answers ([`Observed`]), with the exact headers a request goes out with.

use serde_json::Value;

/// Which endpoint a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// `POST {base}/lineage`.
    Single,
    /// `POST {base}/lineage/batch`.
    Batch,
}

impl Endpoint {
    /// The endpoint's path below the API base.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Single => "/lineage",
            Endpoint::Batch => "/lineage/batch",
        }
    }

    /// What the endpoint is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Endpoint::Single => "single-event endpoint",
            Endpoint::Batch => "batch endpoint",
        }
    }
}

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Req {
    /// Where it goes.
    pub endpoint: Endpoint,
    /// The body, before any content coding.
    pub body: Vec<u8>,
    /// The Content-Type header.
    pub content_type: &'static str,
    /// The content coding this request uses whatever `--gzip` says (`gzip` or `identity`);
    /// `None` follows `--gzip`.
    pub content_encoding: Option<&'static str>,
    /// Send the body with chunked transfer coding, in pieces of this many bytes, rather than
    /// with a Content-Length.
    pub chunked: Option<usize>,
}

impl Req {
    /// A JSON request to `endpoint`.
    pub fn json(endpoint: Endpoint, body: Vec<u8>) -> Self {
        Req {
            endpoint,
            body,
            content_type: "application/json",
            content_encoding: None,
            chunked: None,
        }
    }

    /// A JSON request to `POST /lineage`.
    pub fn single(body: Vec<u8>) -> Self {
        Req::json(Endpoint::Single, body)
    }

    /// A JSON request to `POST /lineage/batch`.
    pub fn batch(body: Vec<u8>) -> Self {
        Req::json(Endpoint::Batch, body)
    }

    /// Whether the body goes out gzip-compressed, given `--gzip`.
    pub fn gzipped(&self, gzip: bool) -> bool {
        match self.content_encoding {
            Some(coding) => coding == "gzip",
            None => gzip,
        }
    }

    /// The headers this request goes out with, unredacted, in order: the runner's own, each
    /// replaced by a user header of the same name (compared without case), then the rest of
    /// the user's headers.
    pub fn headers(&self, user: &[(String, String)], gzip: bool) -> Vec<(String, String)> {
        let mut own = vec![("content-type".to_string(), self.content_type.to_string())];
        match self.content_encoding {
            Some(coding) => own.push(("content-encoding".into(), coding.into())),
            None if gzip => own.push(("content-encoding".into(), "gzip".into())),
            None => {}
        }
        if self.chunked.is_some() {
            own.push(("transfer-encoding".into(), "chunked".into()));
        }
        let mut out: Vec<(String, String)> = own
            .into_iter()
            .filter(|(name, _)| !user.iter().any(|(u, _)| u.eq_ignore_ascii_case(name)))
            .collect();
        out.extend(user.iter().cloned());
        out
    }

    /// The body as it goes on the wire (gzip-compressed when it is).
    pub fn wire_body(&self, gzip: bool) -> Vec<u8> {
        if self.gzipped(gzip) {
            crate::wire::gzip(&self.body)
        } else {
            self.body.clone()
        }
    }
}

/// Compresses `bytes` with gzip; the same input always gives the same bytes (no timestamp).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// What a case exists for, which shrinking must keep: a simpler case that lost it (a repeated
/// key no longer repeated, an invalid event made valid) says nothing about the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Nothing to keep beyond the requests' framing (a body that is not an array, say).
    Anything,
    /// Each event is as [`Input::valid`] says: valid ones valid at the formats tier, invalid
    /// ones invalid at the core tier (batches, lifecycles, valid single events).
    Events,
    /// The one body breaks the schema at this tier and none before it.
    Invalid(openlineage_types::Tier),
    /// The body is not one JSON text.
    NotJson,
    /// The body is JSON with a repeated object key.
    RepeatedKey,
    /// The body nests arrays or objects at least this deep.
    Nested(usize),
}

/// What one case sends, and what the judge needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Which kind of case this is within its family (a mutation id, an event type, a framing),
    /// part of each failure's signature.
    pub label: String,
    /// Requests, sent in order.
    pub requests: Vec<Req>,
    /// For batches: which positions hold valid events; otherwise one flag per request.
    pub valid: Vec<bool>,
    /// What the case exists for.
    pub purpose: Purpose,
    /// Read back what the target stored after each request (with `--read-back`).
    pub reads_back: bool,
}

impl Input {
    /// A case of one request; its purpose is [`Purpose::Events`].
    pub fn one(label: impl Into<String>, req: Req, valid: Vec<bool>) -> Self {
        Input {
            label: label.into(),
            requests: vec![req],
            valid,
            purpose: Purpose::Events,
            reads_back: false,
        }
    }

    /// The same case with `purpose`.
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = purpose;
        self
    }

    /// Whether the case still has what it exists for.
    pub fn keeps_purpose(&self) -> bool {
        use openlineage_types::{Tier, Validator};
        // Compiling the validator takes tens of milliseconds, which a run whose only failures
        // keep a purpose without it (the size or shape of a body) need not pay.
        let invalid_at = |v: &Value, tier: Tier| {
            let found = Validator::global().validate_value(v, tier);
            !found.is_empty() && found.iter().all(|x| x.tier == tier)
        };
        let valid = |v: &Value| {
            Validator::global()
                .validate_value(v, Tier::Formats)
                .is_empty()
        };
        let body = |i: usize| self.requests.get(i).map(|r| r.body.as_slice());
        match self.purpose {
            Purpose::Anything => true,
            // Parsed into a value, not skipped: skipping does not check strings are UTF-8.
            Purpose::NotJson => {
                body(0).is_some_and(|b| serde_json::from_slice::<Value>(b).is_err())
            }
            Purpose::RepeatedKey => body(0).is_some_and(has_repeated_key),
            Purpose::Nested(depth) => body(0).is_some_and(|b| nesting(b) >= depth),
            Purpose::Invalid(tier) => body(0)
                .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                .is_some_and(|v| invalid_at(&v, tier)),
            Purpose::Events => {
                let parsed: Vec<Option<Value>> = self
                    .requests
                    .iter()
                    .map(|r| serde_json::from_slice::<Value>(&r.body).ok())
                    .collect();
                let events: Vec<&Value> = match parsed.as_slice() {
                    [Some(Value::Array(items))] => items.iter().collect(),
                    all if all.iter().all(Option::is_some) => all.iter().flatten().collect(),
                    _ => return false,
                };
                events.len() == self.valid.len()
                    && events.iter().zip(&self.valid).all(|(e, ok)| {
                        if *ok {
                            valid(e)
                        } else {
                            invalid_at(e, Tier::Core)
                        }
                    })
            }
        }
    }

    /// The same case with fresh run ids: every UUID at `/run/runId` of each JSON body (and of
    /// each event of a batch) is replaced by one derived from `salt`, the same old id always
    /// by the same new one, so repeated events stay repeated. Shrinking sends a case many
    /// times; fresh ids keep each attempt independent of the last on servers that track runs.
    /// The ids are replaced in the text as sent, so everything else about the body (repeated
    /// keys, whitespace, how numbers are written) stays exactly as it was.
    pub fn with_fresh_run_ids(&self, salt: u64) -> Input {
        let mut map: Vec<(String, String)> = Vec::new();
        let mut out = self.clone();
        for req in &mut out.requests {
            let Ok(value) = serde_json::from_slice::<Value>(&req.body) else {
                continue;
            };
            let events: Vec<&Value> = match &value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut olds = Vec::new();
            for event in events {
                if let Some(old) = event
                    .pointer("/run/runId")
                    .and_then(Value::as_str)
                    .filter(|s| is_uuid(s))
                {
                    olds.push(old.to_string());
                }
            }
            for old in olds {
                let new = match map.iter().find(|(o, _)| *o == old) {
                    Some((_, n)) => n.clone(),
                    None => {
                        let mut n = uuid_from(salt, map.len() as u64);
                        // An upper-case id stays upper-case: its spelling may be the point.
                        if old.bytes().any(|b| b.is_ascii_uppercase()) {
                            n = n.to_ascii_uppercase();
                        }
                        map.push((old.clone(), n.clone()));
                        n
                    }
                };
                req.body = replace_bytes(
                    &req.body,
                    format!("\"{old}\"").as_bytes(),
                    format!("\"{new}\"").as_bytes(),
                );
            }
        }
        out
    }
}

/// `haystack` with every `from` replaced by `to`.
fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(to);
        rest = &rest[i + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Whether a JSON text repeats a key in some object (serde_json keeps the last silently).
fn has_repeated_key(bytes: &[u8]) -> bool {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    struct Walk;
    impl<'de> Visitor<'de> for Walk {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut keys = std::collections::HashSet::new();
            let mut repeated = false;
            while let Some(key) = map.next_key::<String>()? {
                repeated |= !keys.insert(key);
                repeated |= map.next_value_seed(Seed)?;
            }
            Ok(repeated)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut repeated = false;
            while let Some(r) = seq.next_element_seed(Seed)? {
                repeated |= r;
            }
            Ok(repeated)
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
    }
    struct Seed;
    impl<'de> serde::de::DeserializeSeed<'de> for Seed {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(Walk)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.deserialize_any(Walk).unwrap_or(false)
}

/// How deep arrays and objects nest in a JSON text (brackets inside strings not counted).
fn nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A fixed, minimal valid RunEvent with a run id of its own, to see whether an endpoint exists
/// or still answers.
pub fn probe_event(seed: u64, n: u64) -> Value {
    serde_json::json!({
        "eventType": "START",
        "eventTime": "2024-06-01T12:00:00.000Z",
        "producer": "https://github.com/openlineage-rs/ol-conformance",
        "schemaURL": openlineage_types::schema_url("RunEvent"),
        "run": {"runId": uuid_from(crate::seed::mix(seed ^ 0x0b5e_55ed), n)},
        "job": {"namespace": "ol-conformance", "name": "endpoint-probe"},
    })
}

/// A version-4 UUID made from `salt` and `n` (deterministic, not random).
pub fn uuid_from(salt: u64, n: u64) -> String {
    let hi = crate::seed::mix(salt ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let lo = crate::seed::mix(hi ^ 0x5851_f42d_4c95_7f2d);
    let bits = (u128::from(hi) << 64) | u128::from(lo);
    uuid::Builder::from_random_bytes(bits.to_be_bytes())
        .into_uuid()
        .to_string()
}

/// What came back for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// HTTP status, if there was an answer.
    pub status: Option<u16>,
    /// Content-Type of the answer.
    pub content_type: Option<String>,
    /// The answer body, capped.
    pub body: Vec<u8>,
    /// Transport failure (timeout, reset, refused), if any.
    pub error: Option<String>,
    /// How the answer broke HTTP/1.1 framing (a body on a 204, a cut-off body), if it did.
    pub framing: Option<String>,
    /// True when the request timed out.
    pub timed_out: bool,
    /// True when the request was not sent (the target had stopped answering, or the same body
    /// had already crashed it).
    pub skipped: bool,
    /// What the target stored for each RunEvent of the request, when the case reads back.
    pub stored: Vec<crate::readback::Lookup>,
}

impl Observed {
    /// True for a 2xx answer.
    pub fn is_2xx(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// True for a 4xx answer.
    pub fn is_4xx(&self) -> bool {
        self.status.is_some_and(|s| (400..500).contains(&s))
    }

    /// The answer in a few plain words: `status 400`, `no answer (connection reset)`.
    pub fn describe(&self) -> String {
        match (self.status, &self.error) {
            (Some(s), None) => format!("status {s}"),
            (Some(s), Some(e)) => format!("status {s}, then {e}"),
            (None, Some(e)) => format!("no answer ({e})"),
            (None, None) => "no answer".into(),
        }
    }

    /// The exact answer, for signatures of checks about the exact status: `status 201`.
    pub fn exact(&self) -> String {
        match self.status {
            Some(s) => format!("status {s}"),
            None => self.class(),
        }
    }

    /// The class of the answer, for failure signatures: `2xx`, `4xx`, `5xx`, or the kind of
    /// transport failure.
    pub fn class(&self) -> String {
        match (self.status, &self.error) {
            (Some(_), _) if self.framing.is_some() => "broken framing".into(),
            (Some(s), _) => format!("{}xx", s / 100),
            (None, _) if self.timed_out => "timeout".into(),
            (None, Some(e)) if e.contains("reset") => "reset".into(),
            (None, Some(e)) if e.contains("closed") || e.contains("incomplete") => {
                "connection closed".into()
            }
            (None, _) => "no answer".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_headers_replace_the_runners_own_of_the_same_name() {
        let req = Req::single(b"{}".to_vec());
        let user = vec![(
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        )];
        let headers = req.headers(&user, true);
        let types: Vec<_> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .collect();
        assert_eq!(types.len(), 1, "{headers:?}");
        assert_eq!(types[0].1, "application/json; charset=utf-8");
        assert!(headers
            .iter()
            .any(|(n, v)| n == "content-encoding" && v == "gzip"));
    }

    #[test]
    fn fresh_run_ids_keep_repeats_repeated_and_leave_non_uuids_alone() {
        let a = "01234567-89ab-4cde-8f01-23456789abcd";
        let body = |id: &str| format!("{{\"run\":{{\"runId\":\"{id}\"}}}}").into_bytes();
        let input = Input {
            label: "x".into(),
            requests: vec![
                Req::single(body(a)),
                Req::single(body(a)),
                Req::single(body("not-a-uuid")),
            ],
            valid: vec![true, true, false],
            purpose: Purpose::Anything,
            reads_back: false,
        };
        let fresh = input.with_fresh_run_ids(7);
        assert_ne!(fresh.requests[0].body, input.requests[0].body);
        assert_eq!(fresh.requests[0].body, fresh.requests[1].body);
        assert_eq!(fresh.requests[2].body, input.requests[2].body);
        assert_ne!(
            fresh.requests[0].body,
            input.with_fresh_run_ids(8).requests[0].body
        );
    }
}
