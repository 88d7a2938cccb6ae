//! The check registry: every server check ([`CheckId`]) and producer check ([`ProducerCheck`])
//! as an enum variant whose id text, tier, scope, description and clause come from one
//! exhaustive table. The README's tables are generated from it (`cargo xtask codegen`) and a
//! test keeps them in step; [`ALIASES`] says what each retired id became, so old expectations
//! files keep working.

use std::fmt;

use crate::wire::Endpoint;

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

/// What a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every request, whichever endpoint it goes to.
    Transport,
    /// Requests to one endpoint; its checks depend on the endpoint existing.
    Endpoint(Endpoint),
    /// What a producer sends.
    Producer,
    /// What the target stored for the events sent to one endpoint, read back by an adapter.
    ReadBack(Endpoint),
}

/// What tells two failures of one check apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distinct {
    /// The class of each answer and the kind of case (a mutation, an event type, a framing).
    AnswerAndKind,
    /// The exact answer alone: the kinds of case are examples of one cause.
    Answer,
}

/// One check's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// Stable dotted id.
    pub id: &'static str,
    /// How much it matters.
    pub tier: CheckTier,
    /// What it looks at.
    pub scope: Scope,
    /// One line saying what is checked.
    pub description: &'static str,
    /// The spec clause it checks.
    pub clause: &'static str,
    /// What tells its failures apart.
    pub distinct: Distinct,
}

impl Check {
    /// The endpoint its cases go to; `None` for transport and producer checks.
    pub fn endpoint(&self) -> Option<Endpoint> {
        match self.scope {
            Scope::Endpoint(e) | Scope::ReadBack(e) => Some(e),
            _ => None,
        }
    }
}

/// Declares a registry enum and its table from one list, so that no variant can lack its
/// metadata and no metadata can lack its variant.
macro_rules! registry {
    (
        $(#[$meta:meta])* $name:ident, $all:ident;
        $( $variant:ident = ($id:literal, $tier:ident, $scope:expr, $desc:literal, $clause:expr $(, $distinct:ident)?); )*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(
                #[doc = $desc]
                $variant,
            )*
        }

        /// Every check of this registry, in report order.
        pub static $all: &[Check] = &[
            $( Check {
                id: $id,
                tier: CheckTier::$tier,
                scope: $scope,
                description: $desc,
                clause: $clause,
                distinct: registry!(@distinct $($distinct)?),
            }, )*
        ];

        impl $name {
            /// Every variant, in report order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The check's metadata.
            pub fn check(self) -> &'static Check {
                &$all[self as usize]
            }

            /// The stable id.
            pub fn id(self) -> &'static str {
                self.check().id
            }

            /// The tier.
            pub fn tier(self) -> CheckTier {
                self.check().tier
            }

            /// The variant with stable id `id`.
            pub fn from_id(id: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.id() == id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }

        // Reports and expectations hold ids as text; a check compares equal to its id.
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.id()
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.id()
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == other.id()
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.id().to_string()
            }
        }
    };
    (@distinct) => { Distinct::AnswerAndKind };
    (@distinct $d:ident) => { Distinct::$d };
}

const ANY: Scope = Scope::Transport;
const SINGLE: Scope = Scope::Endpoint(Endpoint::Single);
const BATCH: Scope = Scope::Endpoint(Endpoint::Batch);
const PRODUCER: Scope = Scope::Producer;
const READ_BACK: Scope = Scope::ReadBack(Endpoint::Single);

const STORED: &str = "OpenAPI POST /lineage (\"Updates a state of a run, job, or a dataset\"; 200 OK); OpenLineage.md Lifecycle (\"All metadata is additive\")";
const REFUSED: &str = "RFC 9110 section 15.5 (a 4xx answer: the request was not fulfilled); OpenAPI POST /lineage/batch 200 response failed_events[].retriable (a client resends what failed, so a refused event that was kept is kept again)";
const KEPT: &str = "OpenLineage.json RunEvent (eventTime, eventType, run.runId, job, inputs, outputs and their facets); RFC 3339 section 5.6 (the same instant in any offset)";
const EXTRAS: &str = "OpenLineage.json (objects allow additional properties; RunFacets additionalProperties: custom facets)";
const ONCE: &str = "OpenLineage.md Lifecycle (an event reports one state transition of a run: a retried delivery is the same transition); OpenAPI POST /lineage/batch failed_events[].retriable (clients resend)";

const POST_LINEAGE: &str = "OpenAPI POST /lineage";
const POST_BATCH: &str = "OpenAPI POST /lineage/batch";
const BATCH_200: &str = "OpenAPI POST /lineage/batch 200 response (status, summary, failed_events)";
const BATCH_200_REQUIRED: &str = "OpenAPI POST /lineage/batch 200 response (status and summary.received, successful, failed required; failed_events, retriable, non_retriable optional)";
const LIFECYCLE: &str = "OpenAPI POST /lineage (a valid event is answered 200); OpenLineage.md Lifecycle (\"all metadata is additive\"; no order is required of servers)";

registry! {
    /// A server check, judged by `run`.
    CheckId, CHECKS;
    TransportAnswered = ("transport.answered", Must, ANY, "every request gets an HTTP answer within the timeout (a reset on a reused connection is retried once on a new one first)", "HTTP/1.1 (RFC 9112); a client must not hang");
    TransportFraming = ("transport.framing", Must, ANY, "every answer is framed as HTTP/1.1 requires: no content on a 204 or 304, a Content-Length that matches the body, no answer cut off", "RFC 9110 section 15.3.5 (204 has no content); RFC 9112 section 6.3 (message body length)", Answer);
    SingleEndpoint = ("single.endpoint.present", Must, SINGLE, "POST {target}/lineage exists: a valid event is not answered 404 or 405 (the single-event checks depend on it)", POST_LINEAGE);
    SingleNoServerError = ("single.no_server_error", Must, SINGLE, "no request to /lineage gets a 5xx", POST_LINEAGE);
    ValidRun = ("single.valid.run.accepted", Must, SINGLE, "generated valid RunEvents of every eventType are accepted with 2xx", "OpenLineage.json RunEvent; OpenAPI POST /lineage 200");
    ValidDataset = ("single.valid.dataset.accepted", Must, SINGLE, "generated valid DatasetEvents are accepted with 2xx", "OpenLineage.json DatasetEvent; OpenAPI POST /lineage 200");
    ValidJob = ("single.valid.job.accepted", Must, SINGLE, "generated valid JobEvents are accepted with 2xx", "OpenLineage.json JobEvent; OpenAPI POST /lineage 200");
    CustomFacets = ("single.valid.custom_facets.accepted", Must, SINGLE, "events with custom (unregistered) facets are accepted", "OpenLineage.json RunFacet/JobFacet/DatasetFacet (additionalProperties)");
    UnknownFields = ("single.valid.unknown_fields.accepted", Must, SINGLE, "events with unknown fields at every level are accepted", "OpenLineage.json (objects allow additional properties)");
    NoEventType = ("single.valid.no_event_type.accepted", Must, SINGLE, "a RunEvent without eventType is accepted", "OpenLineage.json RunEvent (eventType not required)");
    OffsetTime = ("single.valid.offset_time.accepted", Must, SINGLE, "eventTime with an offset other than Z is accepted", "OpenLineage.json BaseEvent.eventTime format date-time (RFC 3339)");
    TimePrecision = ("single.valid.time_precision.accepted", Must, SINGLE, "eventTime with no fraction, or with micro- or nanoseconds, is accepted", "OpenLineage.json BaseEvent.eventTime format date-time (RFC 3339 section 5.6 time-secfrac)");
    SchemaUrl = ("single.valid.schema_url.accepted", Must, SINGLE, "events whose schemaURL names any published core spec version (1-0-0 to 2-0-2) are accepted", "OpenLineage.json BaseEvent.schemaURL; Versioning.md");
    UuidV7 = ("single.valid.uuid_v7.accepted", Must, SINGLE, "UUIDv7 run ids are accepted", "OpenLineage.json Run.runId format uuid");
    Whitespace = ("single.valid.whitespace.accepted", Must, SINGLE, "a valid event written with insignificant whitespace (pretty-printed with spaces or tabs, CRLF line ends, Python's `\": \"` and `\", \"` separators) is accepted", "RFC 8259 section 2 (insignificant whitespace around structural characters)");
    Escapes = ("single.valid.escapes.accepted", Must, SINGLE, "a valid event whose strings use other escapes (`\\u003c` for `<` as Go writes it, `\\/`, surrogate pairs for astral characters) is accepted", "RFC 8259 section 7 (strings: any character may be escaped)");
    NumberForms = ("single.valid.number_forms.accepted", Should, SINGLE, "a valid event whose facet integers are written with an exponent or a zero fraction (`1e3`, `1000.0`) or beyond 64 bits, where the schema sets no maximum, is accepted (RFC 8259 lets a server limit range, so refusing with 4xx is a should; a 5xx fails no_server_error)", "JSON Schema validation section 6.1.1 (an integer is a number with no fraction); RFC 8259 section 6; facets/OutputStatisticsOutputDatasetFacet.json (no maximum)");
    EmptyLists = ("single.valid.empty_lists.accepted", Must, SINGLE, "a RunEvent with empty inputs and outputs arrays (as the Python client sends) is accepted", "OpenLineage.json RunEvent.inputs, outputs (arrays, no minItems)");
    FacetKeyCase = ("single.valid.facet_key_case.accepted", Must, SINGLE, "facet keys that differ only in case are two facets, both accepted", "RFC 8259 section 8.3 (names compare code unit by code unit); OpenLineage.json RunFacets (additionalProperties)");
    IdForms = ("single.valid.id_forms.accepted", Must, SINGLE, "run ids written in upper case (RFC 9562 hex digits are case-insensitive) are accepted", "OpenLineage.json Run.runId format uuid; RFC 9562 section 4");
    TimeForms = ("single.valid.time_forms.accepted", Must, SINGLE, "eventTime in every form RFC 3339 allows is accepted: lower-case `t` and `z`, a leap second, the `-00:00` offset", "OpenLineage.json BaseEvent.eventTime format date-time; RFC 3339 sections 5.6 and 5.7");
    UriForms = ("single.valid.uri_forms.accepted", Must, SINGLE, "producer URIs in every form RFC 3986 allows are accepted: an IPv6 host, a port, percent-encoding, query and fragment, an upper-case scheme, a URN", "OpenLineage.json BaseEvent.producer format uri; RFC 3986 sections 3 and 6.2.2.1");
    Unicode = ("single.valid.unicode.accepted", Must, SINGLE, "names holding any Unicode scalar value JSON can carry (NUL and other controls, format characters, private use, noncharacters) are accepted; a store that cannot keep one must still not refuse the event with 4xx (a 5xx fails no_server_error)", "RFC 8259 section 7 (any scalar value, escaped where needed); OpenLineage.json Job.name, Dataset.name (type string)");
    LongNames = ("single.valid.long_names.accepted", Must, SINGLE, "job and dataset names and namespaces of 10,000 characters, beyond what a database column or index key holds, are accepted", "OpenLineage.json Job, Dataset name and namespace (type string, no maxLength)");
    LifecycleInOrder = ("single.lifecycle.in_order.accepted", Must, SINGLE, "a whole run lifecycle (START, RUNNING or OTHER, then COMPLETE, FAIL or ABORT) is accepted; sends several requests in order", "OpenLineage.md Lifecycle; OpenLineage.json RunEvent.eventType");
    ContentType = ("single.content_type.handled", Must, SINGLE, "a valid event sent as text/plain gets 4xx or is accepted, never 5xx", POST_LINEAGE);
    ContentTypeParams = ("single.content_type.params.accepted", Must, SINGLE, "a valid event is accepted whatever the Content-Type's case and parameters (charset=utf-8, as Java and Python clients send)", "RFC 9110 section 8.3.1 (media types are case-insensitive and take parameters); OpenAPI POST /lineage application/json");
    Chunked = ("single.chunked.accepted", Must, SINGLE, "a valid event sent with chunked transfer coding (no Content-Length) is accepted", "RFC 9112 section 7.1 (a recipient must be able to parse chunked)");
    Status200 = ("single.valid.status_200", Should, SINGLE, "valid events get exactly 200", "OpenAPI POST /lineage responses: 200", Answer);
    LifecycleOutOfOrder = ("single.lifecycle.out_of_order.accepted", Must, SINGLE, "a run's events delivered out of order (COMPLETE before START, as retrying and batching clients deliver) are accepted; sends several requests in order", LIFECYCLE);
    DuplicateDelivery = ("single.duplicate_delivery.accepted", Must, SINGLE, "each event of a run delivered twice in a row is accepted both times (clients retry); sends several requests in order", LIFECYCLE);
    ContentEncoding = ("single.content_encoding.handled", Should, SINGLE, "a gzip-encoded valid event is accepted or refused with 415, and an identity-encoded one accepted", "RFC 9110 sections 8.4 and 15.5.16 (Content-Encoding, 415)");
    InvalidMissing = ("single.invalid.missing.rejected", Should, SINGLE, "events missing a required field are rejected with 4xx", "OpenLineage.json required");
    InvalidType = ("single.invalid.type.rejected", Should, SINGLE, "events with a wrongly typed field are rejected with 4xx", "OpenLineage.json type");
    InvalidEnum = ("single.invalid.enum.rejected", Should, SINGLE, "events with an unknown eventType are rejected with 4xx", "OpenLineage.json RunEvent.eventType enum");
    InvalidShape = ("single.invalid.shape.rejected", Should, SINGLE, "events matching no (or two) event kinds are rejected with 4xx", "OpenLineage.json oneOf");
    InvalidBody = ("single.invalid.body.rejected", Should, SINGLE, "bodies that are not an event object are rejected with 4xx", "OpenAPI POST /lineage requestBody");
    InvalidFacetBase = ("single.invalid.facet_base.rejected", Should, SINGLE, "facets without _producer/_schemaURL, or not objects, are rejected with 4xx", "OpenLineage.json BaseFacet required");
    InvalidFormat = ("single.invalid.format.rejected", Should, SINGLE, "events breaking date-time, uuid or uri formats are rejected with 4xx", "OpenLineage.json format (date-time, uuid, uri)");
    InvalidStatus = ("single.invalid.status_code", Should, SINGLE, "rejected events get 400 or 422", "HTTP semantics (RFC 9110 15.5.1, 15.5.21)", Answer);
    Malformed = ("single.malformed.rejected", Should, SINGLE, "malformed bodies (empty, broken JSON, bad UTF-8, content after the JSON value) are rejected with 4xx", "RFC 8259 section 2 (JSON-text); OpenAPI POST /lineage requestBody");
    DuplicateKeys = ("single.malformed.duplicate_keys.rejected", Strict, SINGLE, "a body with a repeated key is rejected (RFC 8259 only says names SHOULD be unique, and most parsers keep the last)", "RFC 8259 section 4");
    DeepNesting = ("single.ambiguous.deep_nesting.accepted", Strict, SINGLE, "a valid event whose unknown field holds arrays 100,000 deep is accepted (RFC 8259 lets a parser limit nesting, so refusing it with 4xx is allowed too; a 5xx or no answer fails the must checks)", "RFC 8259 section 9 (limits on nesting depth); OpenLineage.json (additional properties)");
    FacetSchema = ("single.invalid.facet_schema.rejected", Strict, SINGLE, "events whose known facets break the facet's own schema are rejected", "facets/*.json (each facet's schema)");
    DeletedFacet = ("single.ambiguous.deleted_facet.accepted", Strict, SINGLE, "spec ambiguity: a `_deleted` facet marker is accepted (the spec means a marker may stand for any facet; the published facet schemas do not allow it)", "OpenLineage.json JobFacet/DatasetFacet._deleted versus facets/*.json required fields");
    BatchEndpoint = ("batch.endpoint.present", Must, BATCH, "POST {target}/lineage/batch exists: a batch of one valid event is not answered 404, 405 or an empty 200 (the batch checks depend on it)", POST_BATCH);
    BatchNoServerError = ("batch.no_server_error", Must, BATCH, "no request to /lineage/batch gets a 5xx", POST_BATCH);
    BatchRepeatedEvent = ("batch.repeated_event.accepted", Must, BATCH, "a batch holding the same event twice (a client resending after a partial failure) is accepted, and its summary counts what was received, not what was new", "OpenAPI POST /lineage/batch 200 response summary.received; OpenLineage.md Lifecycle");
    BatchValid = ("batch.valid.accepted", Must, BATCH, "an all-valid batch is accepted with 2xx, and a body, when the answer has one, counts every event successful", BATCH_200);
    ResponseSchema = ("batch.response.schema", Must, BATCH, "every 2xx batch answer with a body is valid against the OpenAPI 200 response schema", BATCH_200_REQUIRED);
    SummaryReceived = ("batch.summary.received", Must, BATCH, "a batch answer's summary.received is the number of events sent", BATCH_200);
    SummaryAddsUp = ("batch.summary.adds_up", Must, BATCH, "a batch answer's summary.successful plus summary.failed is summary.received", BATCH_200);
    SummaryStatus = ("batch.summary.status", Must, BATCH, "a batch answer's status is partial_success exactly when it counts failed events", BATCH_200);
    SummaryRetriable = ("batch.summary.retriable", Must, BATCH, "summary.retriable plus summary.non_retriable is summary.failed when both are given", BATCH_200_REQUIRED);
    FailedEventsIndices = ("batch.failed_events.indices", Must, BATCH, "failed_events, when given, lists 0-based indices in range, each once, and no more entries than summary.failed", BATCH_200_REQUIRED);
    MixedValidCounted = ("batch.mixed.valid_counted", Must, BATCH, "no valid event of a batch is reported failed (listed in failed_events, or more events counted failed than were invalid)", BATCH_200);
    Large = ("batch.large.accepted", Must, BATCH, "a batch of hundreds of events (megabytes) is accepted and counted", POST_BATCH);
    Empty = ("batch.empty.handled", Must, BATCH, "an empty batch gets an answer below 500", POST_BATCH);
    BatchStatus = ("batch.status_code", Should, BATCH, "every 2xx batch answer is 200 or 204, not another 2xx", "OpenAPI POST /lineage/batch responses: 200, 204", Answer);
    BatchContentType = ("batch.response.content_type", Should, BATCH, "a batch answer with a body says Content-Type: application/json (parameters allowed)", "OpenAPI POST /lineage/batch 200 response content application/json; RFC 9110 section 8.3.1", Answer);
    Mixed200 = ("batch.mixed.answered_200", Should, BATCH, "a mixed batch gets 200 with a body saying which events failed", BATCH_200);
    MixedInvalidCounted = ("batch.mixed.invalid_counted", Should, BATCH, "every invalid event of a mixed batch is counted failed", BATCH_200);
    MixedIndices = ("batch.mixed.failed_indices", Should, BATCH, "failed_events, when given, lists exactly the invalid positions", BATCH_200_REQUIRED);
    AllFailed = ("batch.all_failed.rejected", Should, BATCH, "a batch whose events are all invalid is refused with 4xx, or answered with every event counted failed", BATCH_200);
    NotRetriable = ("batch.failed.not_retriable", Should, BATCH, "events that fail validation are not reported retriable (a retry cannot fix them)", "OpenAPI POST /lineage/batch 200 response failed_events[].retriable, summary.retriable");
    NotArray = ("batch.not_array.rejected", Should, BATCH, "a batch body that is not an array is rejected with 4xx", "OpenAPI POST /lineage/batch requestBody (type array)");
    BatchMalformed = ("batch.malformed.rejected", Should, BATCH, "a malformed batch body is rejected with 4xx", "RFC 8259; OpenAPI POST /lineage/batch requestBody");
    ReadBackStored = ("readback.accepted.stored", Must, READ_BACK, "every event the target accepted can be read back (runs only with --read-back)", STORED);
    ReadBackKept = ("readback.accepted.kept", Must, READ_BACK, "what is read back keeps the event's instant, run id, job and dataset identities, event type and facets (semantic equality: the same instant in another offset is equal)", KEPT);
    ReadBackRefused = ("readback.refused.not_stored", Must, READ_BACK, "an event the target refused (4xx, or listed in a batch answer's failed_events) is not stored", REFUSED);
    ReadBackExtras = ("readback.accepted.extras_kept", Should, READ_BACK, "unknown fields, custom facets, producer and schemaURL survive storage", EXTRAS);
    ReadBackOnce = ("readback.retry.stored_once", Should, READ_BACK, "an event sent twice (a retried request) is stored once", ONCE);
}

const EVENT_TYPE: &str = "OpenLineage.json RunEvent.eventType (1 START and 1 of COMPLETE, ABORT, FAIL per run; OTHER may follow completion)";
const EVENT_TYPE_AT_LEAST: &str = "OpenLineage.md Run lifecycle (a run has at least a START and a COMPLETE, ABORT or FAIL event); OpenLineage.json RunEvent.eventType";
const EVENT_TYPE_ONE: &str = "OpenLineage.json RunEvent.eventType (\"exactly one\" START and terminal event per run) against OpenLineage.md (\"at least\"): repeats happen (deferrable Airflow sensors, retried failures), hence should";
const NAMING: &str = "Naming.md of 1.23.0, the last snapshot with the full text (1.52.0 defers to openlineage.io/docs/spec/naming): ambiguous, hence strict";

registry! {
    /// A producer check, judged by `collect` and `lint`.
    ProducerCheck, PRODUCER_CHECKS;
    EventsReceived = ("producer.events.received", Must, PRODUCER, "the producer delivered at least one event (a misconfigured producer sends nothing)", "OpenAPI POST /lineage, POST /lineage/batch");
    Core = ("producer.event.valid.core", Must, PRODUCER, "every event parses as one event kind and is valid against the core schema", "OpenLineage.json oneOf RunEvent/DatasetEvent/JobEvent");
    Formats = ("producer.event.valid.formats", Should, PRODUCER, "date-time, uuid and uri values are well formed", "OpenLineage.json format (date-time, uuid, uri)");
    Facets = ("producer.event.valid.facets", Should, PRODUCER, "every known facet is valid against its own facet schema", "facets/*.json (each facet's schema)");
    SchemaUrl = ("producer.event.schema_url", Should, PRODUCER, "schemaURL names a published core version and the definition of the event's own kind", "OpenLineage.json BaseEvent.schemaURL; Versioning.md ($id versions)");
    FacetSchemaUrl = ("producer.event.facet_schema_url", Should, PRODUCER, "each known facet's _schemaURL is the canonical URL of that facet's schema, at a version not newer than the pinned one", "OpenLineage.md Facets (_schemaURL: immutable, canonical, one URL per version); Versioning.md");
    VersionsKnown = ("producer.event.versions_known", Strict, PRODUCER, "core and facet schema versions are not newer than the pinned spec's (newer ones cannot be checked by this build)", "Versioning.md (SchemaVer MODEL-REVISION-ADDITION)");
    StartSeen = ("producer.run.start_seen", Must, PRODUCER, "each run in the stream has a START event (the finding says which event came first, and when, to tell a harness that starts mid-run from a bug)", EVENT_TYPE_AT_LEAST);
    TerminalSeen = ("producer.run.terminal_seen", Must, PRODUCER, "each run in the stream has a COMPLETE, ABORT or FAIL event", EVENT_TYPE_AT_LEAST);
    SingleStart = ("producer.run.single_start", Should, PRODUCER, "no run has two START events that differ (another eventTime or content; an identical redelivery is set aside as a duplicate)", EVENT_TYPE_ONE);
    SingleTerminal = ("producer.run.single_terminal", Should, PRODUCER, "no run has two terminal events (COMPLETE, ABORT, FAIL) that differ", EVENT_TYPE_ONE);
    Transitions = ("producer.run.transitions", Should, PRODUCER, "ordered by eventTime, a run goes START, RUNNING..., then its terminal event: no RUNNING or terminal event is earlier than the START", EVENT_TYPE);
    NothingAfterTerminal = ("producer.run.nothing_after_terminal", Should, PRODUCER, "no RUNNING event is later than the run's terminal event (late metadata goes in OTHER events)", EVENT_TYPE);
    SingleJob = ("producer.run.single_job", Should, PRODUCER, "every event of a run names the same job (namespace and name)", "OpenLineage.md Run (a globally unique ID relative to its job definition)");
    StableProducer = ("producer.run.stable_producer", Strict, PRODUCER, "every event of a run names the same producer (the spec does not say a run has one producer)", "OpenLineage.json BaseEvent.producer");
    ParentJob = ("producer.refs.parent_job", Should, PRODUCER, "a parent or root reference to a run seen in the stream names that run's job", "facets/ParentRunFacet.json (run and job of the parent and root)");
    ParentSeen = ("producer.refs.parent_seen", Strict, PRODUCER, "parent and root references name runs seen in the stream (parents may come from another producer, so unseen ones are reported, never failed)", "facets/ParentRunFacet.json");
    DatasetNaming = ("producer.dataset.naming", Strict, PRODUCER, "dataset namespaces and names follow the naming conventions for the schemes they define", NAMING);
}

/// A retired or re-tiered check id: what it became and why. Expectations files naming the old
/// id apply to every id it became; the JSON report lists these as its compatibility notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Alias {
    /// The id as earlier releases reported it.
    pub old: &'static str,
    /// The ids it became (the same id when only the tier moved).
    pub new: &'static [&'static str],
    /// What changed, and why.
    pub why: &'static str,
}

/// Every change to check ids and tiers since report `schema_version` 1.
pub static ALIASES: &[Alias] = &[
    Alias {
        old: "batch.mixed.summary",
        new: &["batch.summary.received", "batch.summary.adds_up", "batch.mixed.invalid_counted"],
        why: "split: what a batch answer says must be true and add up (must), while counting invalid events failed is refusing invalid input (should), as on /lineage",
    },
    Alias {
        old: "batch.mixed.status",
        new: &["batch.summary.status"],
        why: "judged on every batch answer, not only mixed batches",
    },
    Alias {
        old: "batch.mixed.retriable",
        new: &["batch.summary.retriable"],
        why: "judged on every batch answer, not only mixed batches",
    },
    Alias {
        old: "batch.mixed.failed_indices",
        new: &["batch.failed_events.indices", "batch.mixed.failed_indices"],
        why: "split: indices in range, unique and no more than failed stay must (batch.failed_events.indices); listing exactly the invalid positions moves to should, and an absent failed_events (optional in the OpenAPI) is no failure",
    },
    Alias {
        old: "batch.mixed.valid_counted",
        new: &["batch.mixed.valid_counted"],
        why: "narrowed to its name: a valid event reported failed; counting an invalid event successful is batch.mixed.invalid_counted (should)",
    },
    Alias {
        old: "batch.all_failed.summary",
        new: &["batch.all_failed.rejected"],
        why: "must to should: accepting invalid events is leniency, judged at the same tier as on /lineage; the counts' consistency is judged by the batch.summary.* checks",
    },
    Alias {
        old: "batch.valid.status_code",
        new: &["batch.status_code"],
        why: "one check judges the status of every 2xx batch answer, at one tier (a 202 on an all-failed batch was a must finding)",
    },
    Alias {
        old: "single.lifecycle.out_of_order.accepted",
        new: &["single.lifecycle.out_of_order.accepted"],
        why: "should to must: a valid event refused for what the server saw earlier is lost lineage; the OpenAPI answers a valid event 200 and the spec asks no order of servers",
    },
    Alias {
        old: "single.duplicate_delivery.accepted",
        new: &["single.duplicate_delivery.accepted"],
        why: "should to must: a retried event refused as a repeat is lost lineage when the first delivery's answer was lost",
    },
    Alias {
        old: "producer.run.single_start",
        new: &["producer.run.start_seen", "producer.run.single_start"],
        why: "split: a run without START stays must (producer.run.start_seen); two differing STARTs move to should, as OpenLineage.json says exactly one and OpenLineage.md at least one",
    },
    Alias {
        old: "producer.run.single_terminal",
        new: &["producer.run.terminal_seen", "producer.run.single_terminal"],
        why: "split: a run without a terminal event stays must (producer.run.terminal_seen); two differing terminal events move to should",
    },
    Alias {
        old: "single.malformed.rejected",
        new: &["single.malformed.rejected", "single.ambiguous.deep_nesting.accepted"],
        why: "a valid event with a 100,000-deep unknown field is well-formed JSON, not malformed: its own check, strict (RFC 8259 section 9 allows either answer)",
    },
];

/// The ids `id` stands for: itself when it is a current id, what it became when it is retired.
pub fn resolve(id: &str) -> Vec<&'static str> {
    if let Some(c) = find(id) {
        return vec![c.id];
    }
    ALIASES
        .iter()
        .find(|a| a.old == id)
        .map(|a| a.new.to_vec())
        .unwrap_or_default()
}

/// The check with `id`, server or producer.
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS
        .iter()
        .chain(PRODUCER_CHECKS.iter())
        .find(|c| c.id == id)
}

/// The README table of checks, generated from [`CHECKS`].
pub fn markdown_table() -> String {
    table_of(CHECKS)
}

/// The README table of producer checks, generated from [`PRODUCER_CHECKS`].
pub fn producer_markdown_table() -> String {
    table_of(PRODUCER_CHECKS)
}

/// The README table of retired ids and tier moves, generated from [`ALIASES`].
pub fn aliases_markdown_table() -> String {
    let mut out = String::from("| earlier id | now | why |\n|---|---|---|\n");
    for a in ALIASES {
        let new: Vec<String> = a
            .new
            .iter()
            .map(|id| match find(id) {
                Some(c) => format!("`{id}` ({})", c.tier),
                None => format!("`{id}`"),
            })
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            a.old,
            new.join(", "),
            a.why
        ));
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_and_scoped_by_prefix() {
        let mut seen = std::collections::HashSet::new();
        for c in CHECKS.iter().chain(PRODUCER_CHECKS) {
            assert!(seen.insert(c.id), "{} twice", c.id);
            assert!(
                c.id.split('.').count() >= 2
                    && c.id.chars().all(|ch| ch.is_ascii_lowercase()
                        || ch == '.'
                        || ch == '_'
                        || ch.is_ascii_digit()),
                "{}",
                c.id
            );
            let prefix = match c.scope {
                Scope::Transport => "transport.",
                Scope::Endpoint(Endpoint::Single) => "single.",
                Scope::Endpoint(Endpoint::Batch) => "batch.",
                Scope::Producer => "producer.",
                Scope::ReadBack(_) => "readback.",
            };
            assert!(
                c.id.starts_with(prefix),
                "{} is not in scope {prefix}",
                c.id
            );
        }
        assert_eq!(CheckId::ALL.len(), CHECKS.len());
        assert_eq!(ProducerCheck::ALL.len(), PRODUCER_CHECKS.len());
        for c in CheckId::ALL {
            assert_eq!(CheckId::from_id(c.id()), Some(*c));
        }
    }

    #[test]
    fn every_alias_names_current_checks_and_no_current_id_is_retired() {
        for a in ALIASES {
            assert!(!a.new.is_empty(), "{}", a.old);
            for new in a.new {
                assert!(find(new).is_some(), "{} -> {new}", a.old);
            }
            let kept = a.new.contains(&a.old);
            assert_eq!(find(a.old).is_some(), kept, "{}", a.old);
        }
        assert_eq!(
            resolve("batch.mixed.summary"),
            [
                "batch.summary.received",
                "batch.summary.adds_up",
                "batch.mixed.invalid_counted"
            ]
        );
        assert_eq!(resolve("batch.empty.handled"), ["batch.empty.handled"]);
        assert!(resolve("batch.nope").is_empty());
    }
}
