//! The conformance checks: stable ids, tiers, one-line descriptions and the spec clause each
//! one checks. The README's table of checks is generated from [`CHECKS`] (`cargo xtask codegen`)
//! and a test keeps the two in step.

use std::fmt;

/// How much a failed check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckTier {
    /// Failing it loses or corrupts data or breaks clients; fails every run.
    Must,
    /// What the spec asks for but clients survive without; fails a `--strict` run.
    Should,
    /// The strictest reading (facet schemas, spec ambiguities): reported, never failing.
    Strict,
}

impl CheckTier {
    /// The tier's name.
    pub fn name(self) -> &'static str {
        match self {
            CheckTier::Must => "must",
            CheckTier::Should => "should",
            CheckTier::Strict => "strict",
        }
    }
}

impl fmt::Display for CheckTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// Stable dotted id.
    pub id: &'static str,
    /// How much it matters.
    pub tier: CheckTier,
    /// One line saying what is checked.
    pub description: &'static str,
    /// The spec clause it checks.
    pub clause: &'static str,
}

/// One check of a table, for `CHECKS` and the producer table alike.
pub(crate) const fn check(
    id: &'static str,
    tier: CheckTier,
    description: &'static str,
    clause: &'static str,
) -> Check {
    Check {
        id,
        tier,
        description,
        clause,
    }
}

use CheckTier::{Must, Should, Strict};

/// Every check id, as a constant the families, judges and tests share.
pub mod id {
    #![allow(missing_docs)]
    pub const TRANSPORT_ANSWERED: &str = "transport.answered";
    pub const SINGLE_ENDPOINT: &str = "single.endpoint.present";
    pub const SINGLE_NO_5XX: &str = "single.no_server_error";
    pub const VALID_RUN: &str = "single.valid.run.accepted";
    pub const VALID_DATASET: &str = "single.valid.dataset.accepted";
    pub const VALID_JOB: &str = "single.valid.job.accepted";
    pub const CUSTOM_FACETS: &str = "single.valid.custom_facets.accepted";
    pub const UNKNOWN_FIELDS: &str = "single.valid.unknown_fields.accepted";
    pub const NO_EVENT_TYPE: &str = "single.valid.no_event_type.accepted";
    pub const OFFSET_TIME: &str = "single.valid.offset_time.accepted";
    pub const TIME_PRECISION: &str = "single.valid.time_precision.accepted";
    pub const SCHEMA_URL: &str = "single.valid.schema_url.accepted";
    pub const UUID_V7: &str = "single.valid.uuid_v7.accepted";
    pub const LIFECYCLE_IN_ORDER: &str = "single.lifecycle.in_order.accepted";
    pub const LIFECYCLE_OUT_OF_ORDER: &str = "single.lifecycle.out_of_order.accepted";
    pub const DUPLICATE_DELIVERY: &str = "single.duplicate_delivery.accepted";
    pub const CONTENT_TYPE: &str = "single.content_type.handled";
    pub const CONTENT_TYPE_PARAMS: &str = "single.content_type.params.accepted";
    pub const CHUNKED: &str = "single.chunked.accepted";
    pub const CONTENT_ENCODING: &str = "single.content_encoding.handled";
    pub const STATUS_200: &str = "single.valid.status_200";
    pub const INVALID_MISSING: &str = "single.invalid.missing.rejected";
    pub const INVALID_TYPE: &str = "single.invalid.type.rejected";
    pub const INVALID_ENUM: &str = "single.invalid.enum.rejected";
    pub const INVALID_SHAPE: &str = "single.invalid.shape.rejected";
    pub const INVALID_BODY: &str = "single.invalid.body.rejected";
    pub const INVALID_FACET_BASE: &str = "single.invalid.facet_base.rejected";
    pub const INVALID_FORMAT: &str = "single.invalid.format.rejected";
    pub const INVALID_STATUS: &str = "single.invalid.status_code";
    pub const MALFORMED: &str = "single.malformed.rejected";
    pub const DUPLICATE_KEYS: &str = "single.malformed.duplicate_keys.rejected";
    pub const FACET_SCHEMA: &str = "single.invalid.facet_schema.rejected";
    pub const DELETED_FACET: &str = "single.ambiguous.deleted_facet.accepted";
    pub const BATCH_ENDPOINT: &str = "batch.endpoint.present";
    pub const BATCH_NO_5XX: &str = "batch.no_server_error";
    pub const BATCH_VALID: &str = "batch.valid.accepted";
    pub const MIXED_SUMMARY: &str = "batch.mixed.summary";
    pub const MIXED_STATUS: &str = "batch.mixed.status";
    pub const MIXED_INDICES: &str = "batch.mixed.failed_indices";
    pub const MIXED_VALID_COUNTED: &str = "batch.mixed.valid_counted";
    pub const MIXED_RETRIABLE: &str = "batch.mixed.retriable";
    pub const ALL_FAILED: &str = "batch.all_failed.summary";
    pub const RESPONSE_SCHEMA: &str = "batch.response.schema";
    pub const LARGE: &str = "batch.large.accepted";
    pub const EMPTY: &str = "batch.empty.handled";
    pub const BATCH_STATUS: &str = "batch.valid.status_code";
    pub const MIXED_200: &str = "batch.mixed.answered_200";
    pub const NOT_RETRIABLE: &str = "batch.failed.not_retriable";
    pub const NOT_ARRAY: &str = "batch.not_array.rejected";
    pub const BATCH_MALFORMED: &str = "batch.malformed.rejected";
}

use id::*;

const POST_LINEAGE: &str = "OpenAPI POST /lineage";
const POST_BATCH: &str = "OpenAPI POST /lineage/batch";
const BATCH_200: &str = "OpenAPI POST /lineage/batch 200 response (status, summary, failed_events)";
const LIFECYCLE: &str =
    "OpenLineage.md Lifecycle (\"all metadata is additive\"; no order is required of servers)";

/// Every check, in report order.
pub static CHECKS: &[Check] = &[
    check(TRANSPORT_ANSWERED, Must, "every request gets an HTTP answer within the timeout, without a reset", "HTTP/1.1 (RFC 9112); a client must not hang"),
    check(SINGLE_ENDPOINT, Must, "POST {target}/lineage exists: a valid event is not answered 404 or 405 (the single-event checks depend on it)", POST_LINEAGE),
    check(SINGLE_NO_5XX, Must, "no request to /lineage gets a 5xx", POST_LINEAGE),
    check(VALID_RUN, Must, "generated valid RunEvents of every eventType are accepted with 2xx", "OpenLineage.json RunEvent; OpenAPI POST /lineage 200"),
    check(VALID_DATASET, Must, "generated valid DatasetEvents are accepted with 2xx", "OpenLineage.json DatasetEvent; OpenAPI POST /lineage 200"),
    check(VALID_JOB, Must, "generated valid JobEvents are accepted with 2xx", "OpenLineage.json JobEvent; OpenAPI POST /lineage 200"),
    check(CUSTOM_FACETS, Must, "events with custom (unregistered) facets are accepted", "OpenLineage.json RunFacet/JobFacet/DatasetFacet (additionalProperties)"),
    check(UNKNOWN_FIELDS, Must, "events with unknown fields at every level are accepted", "OpenLineage.json (objects allow additional properties)"),
    check(NO_EVENT_TYPE, Must, "a RunEvent without eventType is accepted", "OpenLineage.json RunEvent (eventType not required)"),
    check(OFFSET_TIME, Must, "eventTime with an offset other than Z is accepted", "OpenLineage.json BaseEvent.eventTime format date-time (RFC 3339)"),
    check(TIME_PRECISION, Must, "eventTime with no fraction, or with micro- or nanoseconds, is accepted", "OpenLineage.json BaseEvent.eventTime format date-time (RFC 3339 section 5.6 time-secfrac)"),
    check(SCHEMA_URL, Must, "events whose schemaURL names any published core spec version (1-0-0 to 2-0-2) are accepted", "OpenLineage.json BaseEvent.schemaURL; Versioning.md"),
    check(UUID_V7, Must, "UUIDv7 run ids are accepted", "OpenLineage.json Run.runId format uuid"),
    check(LIFECYCLE_IN_ORDER, Must, "a whole run lifecycle (START, RUNNING or OTHER, then COMPLETE, FAIL or ABORT) is accepted; sends several requests in order", "OpenLineage.md Lifecycle; OpenLineage.json RunEvent.eventType"),
    check(CONTENT_TYPE, Must, "a valid event sent as text/plain gets 4xx or is accepted, never 5xx", POST_LINEAGE),
    check(CONTENT_TYPE_PARAMS, Must, "a valid event is accepted whatever the Content-Type's case and parameters (charset=utf-8, as Java and Python clients send)", "RFC 9110 section 8.3.1 (media types are case-insensitive and take parameters); OpenAPI POST /lineage application/json"),
    check(CHUNKED, Must, "a valid event sent with chunked transfer coding (no Content-Length) is accepted", "RFC 9112 section 7.1 (a recipient must be able to parse chunked)"),
    check(STATUS_200, Should, "valid events get exactly 200", "OpenAPI POST /lineage responses: 200"),
    check(LIFECYCLE_OUT_OF_ORDER, Should, "a run's events delivered out of order (COMPLETE before START, as retrying and batching clients deliver) are accepted; sends several requests in order", LIFECYCLE),
    check(DUPLICATE_DELIVERY, Should, "each event of a run delivered twice in a row is accepted both times (clients retry); sends several requests in order", LIFECYCLE),
    check(CONTENT_ENCODING, Should, "a gzip-encoded valid event is accepted or refused with 415, and an identity-encoded one accepted", "RFC 9110 sections 8.4 and 15.5.16 (Content-Encoding, 415)"),
    check(INVALID_MISSING, Should, "events missing a required field are rejected with 4xx", "OpenLineage.json required"),
    check(INVALID_TYPE, Should, "events with a wrongly typed field are rejected with 4xx", "OpenLineage.json type"),
    check(INVALID_ENUM, Should, "events with an unknown eventType are rejected with 4xx", "OpenLineage.json RunEvent.eventType enum"),
    check(INVALID_SHAPE, Should, "events matching no (or two) event kinds are rejected with 4xx", "OpenLineage.json oneOf"),
    check(INVALID_BODY, Should, "bodies that are not an event object are rejected with 4xx", "OpenAPI POST /lineage requestBody"),
    check(INVALID_FACET_BASE, Should, "facets without _producer/_schemaURL, or not objects, are rejected with 4xx", "OpenLineage.json BaseFacet required"),
    check(INVALID_FORMAT, Should, "events breaking date-time, uuid or uri formats are rejected with 4xx", "OpenLineage.json format (date-time, uuid, uri)"),
    check(INVALID_STATUS, Should, "rejected events get 400 or 422", "HTTP semantics (RFC 9110 15.5.1, 15.5.21)"),
    check(MALFORMED, Should, "malformed bodies (empty, broken JSON, bad UTF-8, deep nesting, content after the JSON value) are rejected with 4xx", "RFC 8259 section 2 (JSON-text); OpenAPI POST /lineage requestBody"),
    check(DUPLICATE_KEYS, Strict, "a body with a repeated key is rejected (RFC 8259 only says names SHOULD be unique, and most parsers keep the last)", "RFC 8259 section 4"),
    check(FACET_SCHEMA, Strict, "events whose known facets break the facet's own schema are rejected", "facets/*.json (each facet's schema)"),
    check(DELETED_FACET, Strict, "spec ambiguity: a `_deleted` facet marker is accepted (the spec means a marker may stand for any facet; the published facet schemas do not allow it)", "OpenLineage.json JobFacet/DatasetFacet._deleted versus facets/*.json required fields"),
    check(BATCH_ENDPOINT, Must, "POST {target}/lineage/batch exists: a batch of one valid event is not answered 404, 405 or an empty 200 (the batch checks depend on it)", POST_BATCH),
    check(BATCH_NO_5XX, Must, "no request to /lineage/batch gets a 5xx", POST_BATCH),
    check(BATCH_VALID, Must, "an all-valid batch gets 204, or 200 with success and every event counted successful", BATCH_200),
    check(MIXED_SUMMARY, Must, "a mixed batch's summary counts received, successful and failed correctly", BATCH_200),
    check(MIXED_STATUS, Must, "a batch with failures reports partial_success", BATCH_200),
    check(MIXED_INDICES, Must, "failed_events indices are exactly the invalid positions (0-based, unique, in range)", BATCH_200),
    check(MIXED_VALID_COUNTED, Must, "no valid event of a mixed batch is reported failed", BATCH_200),
    check(MIXED_RETRIABLE, Must, "retriable + non_retriable equals failed when both are given", BATCH_200),
    check(ALL_FAILED, Must, "a batch whose events are all invalid is refused with 4xx, or answered 200 with every event counted failed and listed", BATCH_200),
    check(RESPONSE_SCHEMA, Must, "every 200 batch answer is valid against the OpenAPI response schema", BATCH_200),
    check(LARGE, Must, "a batch of hundreds of events (megabytes) is accepted and counted", POST_BATCH),
    check(EMPTY, Must, "an empty batch gets an answer below 500", POST_BATCH),
    check(BATCH_STATUS, Should, "an all-valid batch gets 200 or 204, not another 2xx", "OpenAPI POST /lineage/batch responses: 200, 204"),
    check(MIXED_200, Should, "a mixed batch gets 200 with a body saying which events failed", BATCH_200),
    check(NOT_RETRIABLE, Should, "events that fail validation are not reported retriable (a retry cannot fix them)", "OpenAPI POST /lineage/batch 200 response failed_events[].retriable, summary.retriable"),
    check(NOT_ARRAY, Should, "a batch body that is not an array is rejected with 4xx", "OpenAPI POST /lineage/batch requestBody (type array)"),
    check(BATCH_MALFORMED, Should, "a malformed batch body is rejected with 4xx", "RFC 8259; OpenAPI POST /lineage/batch requestBody"),
];

/// The endpoint a check's cases go to; `None` for checks on every request.
pub fn endpoint_of(id: &str) -> Option<crate::wire::Endpoint> {
    if id.starts_with("single.") {
        Some(crate::wire::Endpoint::Single)
    } else if id.starts_with("batch.") {
        Some(crate::wire::Endpoint::Batch)
    } else {
        None
    }
}

/// The check with `id`.
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// The README table of checks, generated from [`CHECKS`].
pub fn markdown_table() -> String {
    table_of(CHECKS)
}

/// A Markdown table of `checks`: id, tier, description and clause.
pub fn table_of(checks: &[Check]) -> String {
    let mut out = String::from("| id | tier | what it checks | spec clause |\n|---|---|---|---|\n");
    for c in checks {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.id, c.tier, c.description, c.clause
        ));
    }
    out
}
