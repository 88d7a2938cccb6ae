//! The producer checks: stable ids, tiers, one-line descriptions and the spec clause of each,
//! in the same shape as the server checks ([`crate::checks::Check`]). The README's table of
//! producer checks is generated from [`PRODUCER_CHECKS`] by `cargo xtask codegen`.

use crate::checks::{check, Check, CheckTier};

use CheckTier::{Must, Should, Strict};

const EVENT_TYPE: &str = "OpenLineage.json RunEvent.eventType (1 START and 1 of COMPLETE, ABORT, FAIL per run; OTHER may follow completion)";
const NAMING: &str = "Naming.md of 1.23.0, the last snapshot with the full text (1.52.0 defers to openlineage.io/docs/spec/naming): ambiguous, hence strict";

/// Every producer check, in report order.
pub static PRODUCER_CHECKS: &[Check] = &[
    check("producer.event.valid.core", Must, "every event parses as one event kind and is valid against the core schema", "OpenLineage.json oneOf RunEvent/DatasetEvent/JobEvent"),
    check("producer.event.valid.formats", Should, "date-time, uuid and uri values are well formed", "OpenLineage.json format (date-time, uuid, uri)"),
    check("producer.event.valid.facets", Should, "every known facet is valid against its own facet schema", "facets/*.json (each facet's schema)"),
    check("producer.event.schema_url", Should, "schemaURL names a published core version and the definition of the event's own kind", "OpenLineage.json BaseEvent.schemaURL; Versioning.md ($id versions)"),
    check("producer.event.facet_schema_url", Should, "each known facet's _schemaURL is the canonical URL of that facet's schema, at a version not newer than the pinned one", "OpenLineage.md Facets (_schemaURL: immutable, canonical, one URL per version); Versioning.md"),
    check("producer.event.versions_known", Strict, "core and facet schema versions are not newer than the pinned spec's (newer ones cannot be checked by this build)", "Versioning.md (SchemaVer MODEL-REVISION-ADDITION)"),
    check("producer.run.single_start", Must, "each run in the stream has exactly one START event", EVENT_TYPE),
    check("producer.run.single_terminal", Must, "each run in the stream has exactly one COMPLETE, ABORT or FAIL event", EVENT_TYPE),
    check("producer.run.transitions", Should, "ordered by eventTime, a run goes START, RUNNING..., then its terminal event: no RUNNING or terminal event is earlier than the START", EVENT_TYPE),
    check("producer.run.nothing_after_terminal", Should, "no RUNNING event is later than the run's terminal event (late metadata goes in OTHER events)", EVENT_TYPE),
    check("producer.run.single_job", Should, "every event of a run names the same job (namespace and name)", "OpenLineage.md Run (a globally unique ID relative to its job definition)"),
    check("producer.run.stable_producer", Strict, "every event of a run names the same producer (the spec does not say a run has one producer)", "OpenLineage.json BaseEvent.producer"),
    check("producer.refs.parent_job", Should, "a parent or root reference to a run seen in the stream names that run's job", "facets/ParentRunFacet.json (run and job of the parent and root)"),
    check("producer.refs.parent_seen", Strict, "parent and root references name runs seen in the stream (parents may come from another producer, so unseen ones are reported, never failed)", "facets/ParentRunFacet.json"),
    check("producer.dataset.naming", Strict, "dataset namespaces and names follow the naming conventions for the schemes they define", NAMING),
];

/// The producer check with `id`.
pub fn find(id: &str) -> Option<&'static Check> {
    PRODUCER_CHECKS.iter().find(|c| c.id == id)
}

/// The README table of producer checks, generated from [`PRODUCER_CHECKS`].
pub fn markdown_table() -> String {
    crate::checks::table_of(PRODUCER_CHECKS)
}
