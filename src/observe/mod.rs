//! What an operator sees: log output ([`logging`]) and Prometheus counters
//! ([`metrics`]). Everything may count and log; these import only the
//! domain's nouns and the config's log settings.

pub mod logging;
pub mod metrics;
