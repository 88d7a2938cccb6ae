//! The batch answer built from per-event outcomes, so no server writes the summary arithmetic.

use std::fmt::Display;

use crate::{BatchResponse, BatchResponseFailedEvent, BatchResponseStatus, BatchResponseSummary};

impl BatchResponse {
    /// The answer to `POST /lineage/batch` from each event's outcome, in request order.
    ///
    /// Every `Err` becomes a `failed_events` entry with its 0-based index and the error as the
    /// reason, marked not retriable (the same event would fail again); the summary counts
    /// received, successful and failed events, and the status is `success` when none failed,
    /// else `partial_success`.
    ///
    /// ```
    /// use openlineage_types::{BatchResponse, BatchResponseStatus};
    ///
    /// let outcomes: Vec<Result<(), String>> = vec![Ok(()), Err("missing field `job`".into())];
    /// let answer = BatchResponse::from_results(&outcomes);
    /// assert_eq!(answer.status, BatchResponseStatus::PartialSuccess);
    /// assert_eq!((answer.summary.received, answer.summary.failed), (2, 1));
    /// assert_eq!(answer.failed_events.unwrap()[0].index, Some(1));
    /// ```
    pub fn from_results<T, E: Display>(results: &[Result<T, E>]) -> Self {
        let failed_events: Vec<BatchResponseFailedEvent> = results
            .iter()
            .enumerate()
            .filter_map(|(index, result)| {
                let reason = result.as_ref().err()?.to_string();
                Some(BatchResponseFailedEvent {
                    index: Some(count(index)),
                    reason: Some(reason),
                    retriable: Some(false),
                    extra: Default::default(),
                })
            })
            .collect();
        let failed = count(failed_events.len());
        let received = count(results.len());
        BatchResponse {
            status: if failed == 0 {
                BatchResponseStatus::Success
            } else {
                BatchResponseStatus::PartialSuccess
            },
            summary: BatchResponseSummary {
                received,
                successful: received - failed,
                failed,
                retriable: Some(0),
                non_retriable: Some(failed),
                extra: Default::default(),
            },
            failed_events: Some(failed_events),
            extra: Default::default(),
        }
    }
}

/// A count as the schema's integer type; no batch holds anywhere near `i64::MAX` events.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
