//! The audit trail: every security event goes to the store and, as one
//! structured log line, to the operator's logs. Events carry who and what,
//! never a secret or a code; every field from outside is logged through
//! `logging::outside`, so a name cannot forge a line. Events are built
//! with `AuditEvent::by_user` / `by_support` and typed details (`Factor`,
//! `Purpose`); the line's `detail` is their words.

use crate::domain::AuditEvent;
use crate::observe::logging::outside;
use crate::store::Store;

/// Append `event` to the store and log it. A store failure is logged, not
/// propagated: the security write that the event describes was made by
/// its own call, and is durable by then (or, inside
/// `Store::with_one_flush`, by that call's one flush, whose error is
/// propagated).
pub fn record(store: &dyn Store, event: AuditEvent) {
    crate::observe::metrics::observe(&event);
    // Company, person, actor and the detail's note come from the app's
    // whoami answer, a form or the support API: escaped onto one line, capped.
    tracing::info!(
        target: "mfa_gate::audit",
        kind = ?event.kind,
        company = %outside(&event.company),
        person = event.person.as_ref().map(|p| tracing::field::display(outside(p.as_str()))),
        actor = %outside(&event.actor),
        detail = %outside(&event.detail),
        "security event"
    );
    if let Err(e) = store.append_audit(&event) {
        tracing::error!(error = %e, kind = ?event.kind, "could not append audit event");
    }
}
