//! The `store` section with `backend: postgres`: the URL's sources, the
//! pool's defaults and bounds, TLS, and never showing the password.

use super::*;
use crate::config::StoreConfig;

/// `store: { backend: postgres, … }`: the URL comes from the environment
/// or a file, the pool has defaults, and no message or `Debug` output shows
/// the password.
#[test]
fn postgres_store_section() {
    let postgres = |store: &str| MINIMAL.replace("  path: data/store\n", store);
    let config = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n",
    ));
    let StoreConfig::Postgres(options) = &config.store else {
        panic!("postgres expected: {:?}", config.store);
    };
    assert_eq!(options.url, PG_URL, "trimmed");
    assert_eq!(options.pool_size, 10);
    assert_eq!(options.timeout, std::time::Duration::from_secs(1));
    assert_eq!(options.max_staleness, std::time::Duration::from_secs(2));
    assert_eq!(
        options.tls,
        crate::store::DatabaseTls::Require,
        "TLS by default"
    );
    assert_eq!(
        config.store.describe(),
        "store.url postgresql://db.internal:5433/mfa"
    );
    assert!(!format!("{config:?}").contains("s3cret"));
    let tuned = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n  pool_size: 3\n  connect_timeout: 250ms\n",
    ));
    let StoreConfig::Postgres(options) = &tuned.store else {
        panic!("postgres expected");
    };
    assert_eq!(
        (options.pool_size, options.timeout),
        (3, std::time::Duration::from_millis(250)),
        "connect_timeout: the older spelling of timeout"
    );
    let tuned = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n  timeout: 2s\n  max_staleness: 5s\n",
    ));
    let StoreConfig::Postgres(options) = &tuned.store else {
        panic!("postgres expected");
    };
    assert_eq!(
        (options.timeout, options.max_staleness),
        (
            std::time::Duration::from_secs(2),
            std::time::Duration::from_secs(5)
        )
    );

    let cases: &[(&str, &str, &str)] = &[
        ("  backend: postgres\n", "store.url", "is required"),
        (
            "  backend: postgres\n  path: x\n  url: { env: TEST_PG_URL }\n",
            "store.path",
            "not used",
        ),
        (
            "  backend: postgres\n  url: { env: NO_SUCH_VAR }\n",
            "store.url.env",
            "NO_SUCH_VAR is not set",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_BAD }\n",
            "store.url.env",
            "is not a PostgreSQL connection URL",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  pool_size: 0\n",
            "store.pool_size",
            "out of range",
        ),
        (
            "  path: x\n  url: { env: TEST_PG_URL }\n",
            "store.url",
            "only used with `backend: postgres`",
        ),
        (
            "  path: x\n  pool_size: 4\n",
            "store.pool_size",
            "only used",
        ),
        (
            "  path: x\n  max_staleness: 2s\n",
            "store.max_staleness",
            "only used",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  timeout: 10ms\n",
            "store.timeout",
            "100ms to 60s",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  max_staleness: 2m\n",
            "store.max_staleness",
            "100ms to 60s",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  timeout: 1s\n  connect_timeout: 1s\n",
            "store.connect_timeout",
            "give `timeout` only",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  tls: disable\n  ca_file: ca.pem\n",
            "store.ca_file",
            "only used with `tls: require`",
        ),
        (
            "  backend: postgres\n  url: { env: TEST_PG_URL }\n  ca_file: /no/such/ca.pem\n",
            "store.ca_file",
            "not a readable file",
        ),
    ];
    for (store, field, needle) in cases {
        let yaml = postgres(store);
        check_error(&yaml, field, None, needle);
        assert!(!error_of(&yaml).to_string().contains("s3cret"));
    }
    let plain = load(&postgres(
        "  backend: postgres\n  url: { env: TEST_PG_URL }\n  tls: disable\n",
    ));
    let StoreConfig::Postgres(options) = &plain.store else {
        panic!("postgres expected");
    };
    assert_eq!(options.tls, crate::store::DatabaseTls::Disable);
    let unknown = error_of(&postgres("  backend: mysql\n"));
    assert!(unknown.to_string().contains("postgres"), "{unknown}");
}
