//! Mapping the app's whoami answer (untrusted JSON, at most 64 KiB) to an
//! identity: any bytes give an identity or an error, never a panic, and an
//! identity always has a non-empty, bounded account, company and person.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_gate::config::FieldMap;
use mfa_gate::identity::map_identity;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let fields = FieldMap::flat();
    if let Ok(id) = map_identity(&json, &fields) {
        for part in [id.account(), id.company(), id.person()] {
            assert!(!part.is_empty() && part.len() <= 320, "{part:?}");
        }
        assert!(id.roles().len() <= 64);
        // The store key of a person must tell companies apart.
        let key = id.person_key();
        assert!(!key.as_str().is_empty());
    }
});
