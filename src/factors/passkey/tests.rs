//! The WebAuthn wrapper against a software authenticator (webauthn-
//! authenticator-rs's CTAP2 soft token): a registration and assertions
//! made by a real authenticator implementation, not by this crate.

use super::*;
use crate::domain::{PersonRecord, passkey_name};
use crate::keys::AppSession;
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softtoken::SoftToken;

const ORIGIN: &str = "https://login.example.com";

fn config(origins: &[&str]) -> WebauthnConfig {
    WebauthnConfig {
        rp_id: "example.com".into(),
        rp_name: "Example".into(),
        origins: origins.iter().map(|o| Url::parse(o).unwrap()).collect(),
    }
}

fn keys() -> Keys {
    Keys::new([1; 32], [2; 32])
}

fn person() -> PersonKey {
    PersonKey::new("acme", "bob")
}

/// A person with one passkey registered by `token` through `passkeys`.
fn registered(passkeys: &Passkeys, token: &mut SoftToken) -> PersonRecord {
    let (options, state) = passkeys
        .start_registration(&keys(), &person(), "bob", &[])
        .unwrap();
    let answer = token
        .do_registration(
            Url::parse(ORIGIN).unwrap(),
            serde_json::from_str(&options).unwrap(),
        )
        .unwrap();
    let key = passkeys
        .finish_registration(&serde_json::to_string(&answer).unwrap(), &state)
        .unwrap();
    PersonRecord {
        passkeys: vec![new_passkey(&key, passkey_name("key").unwrap(), "bob", 100)],
        ..PersonRecord::default()
    }
}

/// An assertion by `token` for a fresh challenge, from `origin`.
fn assert_with(
    passkeys: &Passkeys,
    record: &PersonRecord,
    token: &mut SoftToken,
    origin: &str,
) -> Result<AuthenticationResult, Refusal> {
    let (options, state) = passkeys.start_authentication(&record.passkeys).unwrap();
    let answer = token
        .do_authentication(
            Url::parse(origin).unwrap(),
            serde_json::from_str(&options).unwrap(),
        )
        .map_err(|e| Refusal::Refused(format!("{e:?}")))?;
    passkeys.finish_authentication(
        &serde_json::to_string(&answer).unwrap(),
        &state,
        &record.passkeys,
    )
}

#[test]
fn a_registered_key_signs_in_and_its_counter_moves() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let mut record = registered(&passkeys, &mut token);
    for expected in 1..=2 {
        let result = assert_with(&passkeys, &record, &mut token, ORIGIN).unwrap();
        assert_eq!(result.counter(), expected);
        assert_eq!(
            apply_assertion(&mut record, &result, 200),
            Assertion::Accepted
        );
        assert_eq!(record.passkeys[0].last_used_at, Some(200));
    }
}

/// A copy of the authenticator (its counter behind) is refused by the
/// library; an assertion applied twice to the record is refused by ours.
#[test]
fn a_cloned_authenticator_is_refused() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let mut record = registered(&passkeys, &mut token);
    let mut clone = SoftToken::from_cbor(&token.to_cbor().unwrap()).unwrap();
    let first = assert_with(&passkeys, &record, &mut token, ORIGIN).unwrap();
    assert_eq!(
        apply_assertion(&mut record, &first, 200),
        Assertion::Accepted
    );
    let second = assert_with(&passkeys, &record, &mut token, ORIGIN).unwrap();
    assert_eq!(
        apply_assertion(&mut record, &second, 201),
        Assertion::Accepted
    );
    // The clone still counts from 0: its next assertion says 1 < 2.
    let refused = assert_with(&passkeys, &record, &mut clone, ORIGIN);
    assert!(matches!(refused, Err(Refusal::Refused(_))), "{refused:?}");
    // Against a record that moved on meanwhile, the same result is refused.
    assert_eq!(
        apply_assertion(&mut record, &second, 202),
        Assertion::CounterRegressed
    );
    assert_eq!(record.passkeys[0].last_used_at, Some(201));
}

/// A phishing site's origin: the authenticator signs for what the browser
/// says, and the gateway refuses it.
#[test]
fn an_answer_from_another_origin_is_refused() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let record = registered(&passkeys, &mut token);
    let refused = assert_with(
        &passkeys,
        &record,
        &mut token,
        "https://login.example.com.evil.test",
    );
    assert!(refused.is_err());
    let refused = assert_with(&passkeys, &record, &mut token, "https://other.example.com");
    assert!(matches!(refused, Err(Refusal::Refused(_))), "{refused:?}");
}

#[test]
fn garbage_is_malformed_not_a_panic() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let record = registered(&passkeys, &mut token);
    let (_, state) = passkeys.start_authentication(&record.passkeys).unwrap();
    for answer in ["", "{}", "null", "[1,2]", &"x".repeat(10_000)] {
        assert_eq!(
            passkeys
                .finish_authentication(answer, &state, &record.passkeys)
                .unwrap_err(),
            Refusal::Malformed
        );
    }
}

#[test]
fn a_sealed_ceremony_opens_for_its_session_person_and_kind_only() {
    let keys = keys();
    let session = AppSession::bind(&keys, "app-session-1");
    let other_session = AppSession::bind(&keys, "app-session-2");
    let token = Ceremony::seal(&keys, Kind::Authenticate, &session, &person(), 7u32, 1000);
    let open = |kind, session: &AppSession, person: &PersonKey, now| {
        Ceremony::<u32>::open(&keys, kind, session, person, &token, now).map(|c| c.state)
    };
    assert_eq!(open(Kind::Authenticate, &session, &person(), 1000), Some(7));
    assert_eq!(
        open(
            Kind::Authenticate,
            &session,
            &person(),
            1000 + CEREMONY_TTL_SECS - 1
        ),
        Some(7)
    );
    assert_eq!(
        open(
            Kind::Authenticate,
            &session,
            &person(),
            1000 + CEREMONY_TTL_SECS
        ),
        None
    );
    assert_eq!(open(Kind::Register, &session, &person(), 1000), None);
    assert_eq!(
        open(Kind::Authenticate, &other_session, &person(), 1000),
        None
    );
    assert_eq!(
        open(
            Kind::Authenticate,
            &session,
            &PersonKey::new("acme", "eve"),
            1000
        ),
        None
    );
    assert!(
        Ceremony::<u32>::open(&keys, Kind::Authenticate, &session, &person(), "!!", 1000).is_none()
    );
}

#[test]
fn origins_must_be_https_or_localhost_and_bare() {
    let ok = |o: &str| check_origin(&Url::parse(o).unwrap());
    assert!(ok("https://login.example.com").is_ok());
    assert!(ok("https://login.example.com:8443").is_ok());
    assert!(ok("http://localhost:8080").is_ok());
    assert!(ok("http://login.example.com").is_err());
    assert!(ok("https://127.0.0.1").is_err());
    assert!(ok("https://login.example.com/app").is_err());
    assert!(ok("https://user@login.example.com").is_err());
    let wrong_rp = Passkeys::new(&config(&["https://login.other.com"]));
    assert!(
        wrong_rp
            .unwrap_err()
            .contains("not on the relying-party id")
    );
}

/// An authenticator that keeps no counter (synced passkeys report 0): a
/// replayed answer is caught by its ceremony alone.
#[test]
fn a_replay_without_a_counter_is_caught_by_its_ceremony() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let mut record = registered(&passkeys, &mut token);
    let real = assert_with(&passkeys, &record, &mut token, ORIGIN).unwrap();
    let mut json = serde_json::to_value(&real).unwrap();
    json["counter"] = 0.into();
    let zero: AuthenticationResult = serde_json::from_value(json).unwrap();
    let used = crate::domain::UsedCeremony {
        nonce: [3; 16],
        expires_at: 500,
    };
    assert_eq!(
        accept_assertion(&mut record, &zero, used, 200),
        Assertion::Accepted
    );
    assert_eq!(
        accept_assertion(&mut record, &zero, used, 201),
        Assertion::CeremonyUsed
    );
    let fresh = crate::domain::UsedCeremony {
        nonce: [4; 16],
        ..used
    };
    assert_eq!(
        accept_assertion(&mut record, &zero, fresh, 202),
        Assertion::Accepted
    );
    // Expired ceremonies are forgotten as new ones come.
    let later = crate::domain::UsedCeremony {
        nonce: [5; 16],
        expires_at: 900,
    };
    assert_eq!(
        accept_assertion(&mut record, &zero, later, 600),
        Assertion::Accepted
    );
    assert_eq!(record.used_ceremonies, vec![later]);
}

/// The credentials come from the record when the answer is checked: a key
/// removed after the page was made no longer signs in, and the page's
/// sealed challenge carries no credential.
#[test]
fn the_answer_is_checked_against_the_keys_stored_now() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let record = registered(&passkeys, &mut token);
    let (options, challenge) = passkeys.start_authentication(&record.passkeys).unwrap();
    assert!(
        !serde_json::to_string(&challenge)
            .unwrap()
            .contains(&record.passkeys[0].credential)
    );
    let answer = token
        .do_authentication(
            Url::parse(ORIGIN).unwrap(),
            serde_json::from_str(&options).unwrap(),
        )
        .unwrap();
    let answer = serde_json::to_string(&answer).unwrap();
    let refused = passkeys.finish_authentication(&answer, &challenge, &[]);
    assert!(matches!(refused, Err(Refusal::Refused(_))), "{refused:?}");
    assert!(
        passkeys
            .finish_authentication(&answer, &challenge, &record.passkeys)
            .is_ok()
    );
}

/// A key whose counter moved cannot come back with a counter of 0 (a
/// clone that stopped counting, or a forged answer).
#[test]
fn a_counter_back_to_zero_is_a_regression() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let mut record = registered(&passkeys, &mut token);
    let first = assert_with(&passkeys, &record, &mut token, ORIGIN).unwrap();
    assert_eq!(
        apply_assertion(&mut record, &first, 200),
        Assertion::Accepted
    );
    let mut json = serde_json::to_value(&first).unwrap();
    json["counter"] = 0.into();
    let zero: AuthenticationResult = serde_json::from_value(json).unwrap();
    assert_eq!(
        apply_assertion(&mut record, &zero, 201),
        Assertion::CounterRegressed
    );
}

/// Registered already: by the credential id, whichever record holds it.
#[test]
fn a_credential_is_registered_by_its_id() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    let (mut token, _) = SoftToken::new(false).unwrap();
    let record = registered(&passkeys, &mut token);
    let key: webauthn_rs::prelude::SecurityKey =
        serde_json::from_str(&record.passkeys[0].credential).unwrap();
    assert!(is_registered(&record, &key));
    assert!(!is_registered(&PersonRecord::default(), &key));
    let (mut other, _) = SoftToken::new(false).unwrap();
    let other_record = registered(&passkeys, &mut other);
    assert!(!is_registered(&other_record, &key));
}

/// The options name the person by a keyed handle (stable, one per person,
/// never empty) and exclude the keys they have, so an authenticator does
/// not register twice.
#[test]
fn registration_options_name_the_person_and_exclude_their_keys() {
    let passkeys = Passkeys::new(&config(&[ORIGIN])).unwrap();
    assert_eq!(format!("{passkeys:?}"), "Passkeys { .. }");
    let options = |person: &PersonKey, existing: &[crate::domain::Passkey]| -> serde_json::Value {
        let (json, _) = passkeys
            .start_registration(&keys(), person, "bob", existing)
            .unwrap();
        serde_json::from_str(&json).unwrap()
    };
    let bob = options(&person(), &[]);
    let handle = bob["publicKey"]["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        options(&person(), &[])["publicKey"]["user"]["id"],
        handle.as_str()
    );
    assert_ne!(
        options(&PersonKey::new("acme", "eve"), &[])["publicKey"]["user"]["id"],
        handle.as_str()
    );
    assert_ne!(handle, "AAAAAAAAAAAAAAAAAAAAAA", "not the nil UUID");
    assert!(
        bob["publicKey"]["excludeCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );

    let (mut token, _) = SoftToken::new(false).unwrap();
    let record = registered(&passkeys, &mut token);
    let key: webauthn_rs::prelude::SecurityKey =
        serde_json::from_str(&record.passkeys[0].credential).unwrap();
    let id = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key.cred_id().as_ref() as &[u8],
    );
    let excluded = options(&person(), &record.passkeys)["publicKey"]["excludeCredentials"].clone();
    assert_eq!(excluded[0]["id"], id.as_str(), "{excluded}");
}
