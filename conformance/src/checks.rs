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

const fn check(
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

const POST_LINEAGE: &str = "OpenAPI POST /lineage";
const POST_BATCH: &str = "OpenAPI POST /lineage/batch";
const BATCH_200: &str = "OpenAPI POST /lineage/batch 200 response (status, summary, failed_events)";

/// Every check, in report order.
pub static CHECKS: &[Check] = &[
    check("transport.answered", Must, "every request gets an HTTP answer within the timeout, without a reset", "HTTP/1.1 (RFC 9112); a client must not hang"),
    check("single.no_server_error", Must, "no request to /lineage gets a 5xx", POST_LINEAGE),
    check("single.valid.run.accepted", Must, "generated valid RunEvents are accepted with 2xx", "OpenLineage.json RunEvent; OpenAPI POST /lineage 200"),
    check("single.valid.dataset.accepted", Must, "generated valid DatasetEvents are accepted with 2xx", "OpenLineage.json DatasetEvent; OpenAPI POST /lineage 200"),
    check("single.valid.job.accepted", Must, "generated valid JobEvents are accepted with 2xx", "OpenLineage.json JobEvent; OpenAPI POST /lineage 200"),
    check("single.valid.custom_facets.accepted", Must, "events with custom (unregistered) facets are accepted", "OpenLineage.json RunFacet/JobFacet/DatasetFacet (additionalProperties)"),
    check("single.valid.unknown_fields.accepted", Must, "events with unknown fields at every level are accepted", "OpenLineage.json (objects allow additional properties)"),
    check("single.valid.no_event_type.accepted", Must, "a RunEvent without eventType is accepted", "OpenLineage.json RunEvent (eventType not required)"),
    check("single.valid.offset_time.accepted", Must, "eventTime with an offset other than Z is accepted", "OpenLineage.json BaseEvent.eventTime format date-time (RFC 3339)"),
    check("single.valid.uuid_v7.accepted", Must, "UUIDv7 run ids are accepted", "OpenLineage.json Run.runId format uuid"),
    check("single.valid.deleted_facet.accepted", Must, "a `_deleted` facet marker is accepted", "OpenLineage.json JobFacet/DatasetFacet._deleted"),
    check("single.duplicate_delivery.accepted", Must, "the same event delivered twice is accepted both times (clients retry)", "OpenLineage.md (events are idempotent per run state)"),
    check("single.content_type.handled", Must, "a valid event sent as text/plain gets 4xx or is accepted, never 5xx", POST_LINEAGE),
    check("single.valid.status_200", Should, "valid events get exactly 200", "OpenAPI POST /lineage responses: 200"),
    check("single.invalid.missing.rejected", Should, "events missing a required field are rejected with 4xx", "OpenLineage.json required"),
    check("single.invalid.type.rejected", Should, "events with a wrongly typed field are rejected with 4xx", "OpenLineage.json type"),
    check("single.invalid.enum.rejected", Should, "events with an unknown eventType are rejected with 4xx", "OpenLineage.json RunEvent.eventType enum"),
    check("single.invalid.shape.rejected", Should, "events matching no (or two) event kinds are rejected with 4xx", "OpenLineage.json oneOf"),
    check("single.invalid.body.rejected", Should, "bodies that are not an event object are rejected with 4xx", "OpenAPI POST /lineage requestBody"),
    check("single.invalid.facet_base.rejected", Should, "facets without _producer/_schemaURL, or not objects, are rejected with 4xx", "OpenLineage.json BaseFacet required"),
    check("single.invalid.format.rejected", Should, "events breaking date-time, uuid or uri formats are rejected with 4xx", "OpenLineage.json format (date-time, uuid, uri)"),
    check("single.invalid.status_code", Should, "rejected events get 400 or 422", "HTTP semantics (RFC 9110 15.5.1, 15.5.21)"),
    check("single.malformed.rejected", Should, "malformed bodies (broken JSON, bad UTF-8, repeated keys, deep nesting, empty) are rejected with 4xx", "RFC 8259; OpenAPI POST /lineage requestBody"),
    check("single.invalid.facet_schema.rejected", Strict, "events whose known facets break the facet's own schema are rejected", "facets/*.json (each facet's schema)"),
    check("batch.no_server_error", Must, "no request to /lineage/batch gets a 5xx", POST_BATCH),
    check("batch.valid.accepted", Must, "an all-valid batch gets 204, or 200 with success and every event counted successful", BATCH_200),
    check("batch.mixed.summary", Must, "a mixed batch's summary counts received, successful and failed correctly", BATCH_200),
    check("batch.mixed.status", Must, "a batch with failures reports partial_success", BATCH_200),
    check("batch.mixed.failed_indices", Must, "failed_events indices are exactly the invalid positions (0-based, unique, in range)", BATCH_200),
    check("batch.mixed.valid_counted", Must, "no valid event of a mixed batch is reported failed", BATCH_200),
    check("batch.mixed.retriable", Must, "retriable + non_retriable equals failed when both are given", BATCH_200),
    check("batch.response.schema", Must, "every 200 batch answer is valid against the OpenAPI response schema", BATCH_200),
    check("batch.large.accepted", Must, "a batch of hundreds of events (megabytes) is accepted and counted", POST_BATCH),
    check("batch.empty.handled", Must, "an empty batch gets an answer below 500", POST_BATCH),
    check("batch.valid.status_code", Should, "an all-valid batch gets 200 or 204, not another 2xx", "OpenAPI POST /lineage/batch responses: 200, 204"),
    check("batch.mixed.answered_200", Should, "a mixed batch gets 200 with a body saying which events failed", BATCH_200),
    check("batch.not_array.rejected", Should, "a batch body that is not an array is rejected with 4xx", "OpenAPI POST /lineage/batch requestBody (type array)"),
    check("batch.malformed.rejected", Should, "a malformed batch body is rejected with 4xx", "RFC 8259; OpenAPI POST /lineage/batch requestBody"),
];

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
