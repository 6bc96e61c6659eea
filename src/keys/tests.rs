use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn keys() -> Keys {
    Keys::new([7u8; 32], [9u8; 32])
}

fn rng() -> StdRng {
    StdRng::seed_from_u64(1)
}

/// A value sealed the way releases before key ids did: nonce, ciphertext,
/// tag, under `key`, bound to `aad` alone.
fn legacy_seal(key: [u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce = [3u8; NONCE_LEN];
    let mut body = plaintext.to_vec();
    let tag = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt_in_place_detached(Nonce::from_slice(&nonce), aad, &mut body)
        .unwrap();
    [&nonce[..], &body, &tag].concat()
}

#[test]
fn sealed_secret_opens_with_same_aad() {
    let sealed = keys().seal(b"person-1", b"totp secret", &mut rng());
    assert_eq!(
        sealed.len(),
        SEALED_HEADER_LEN + NONCE_LEN + b"totp secret".len() + TAG_LEN
    );
    assert_eq!(&sealed[..3], b"MG\x01");
    assert_eq!(
        sealed_key_id(&sealed),
        Some(KeyId::of_encryption_key(&[9u8; 32]))
    );
    assert_eq!(
        keys().open(b"person-1", &sealed).as_deref(),
        Some(&b"totp secret"[..])
    );
}

#[test]
fn empty_plaintext_round_trips() {
    let sealed = keys().seal(b"", b"", &mut rng());
    assert_eq!(keys().open(b"", &sealed), Some(Vec::new()));
}

#[test]
fn two_seals_use_different_nonces() {
    let mut rng = rng();
    let a = keys().seal(b"aad", b"same", &mut rng);
    let b = keys().seal(b"aad", b"same", &mut rng);
    assert_ne!(a, b);
}

#[test]
fn any_tampered_byte_is_refused() {
    let sealed = keys().seal(b"aad", b"secret bytes", &mut rng());
    for i in 0..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[i] ^= 0x01;
        assert_eq!(keys().open(b"aad", &tampered), None, "byte {i}");
    }
}

#[test]
fn wrong_aad_or_key_or_length_is_refused() {
    let sealed = keys().seal(b"person-1", b"secret", &mut rng());
    assert_eq!(keys().open(b"person-2", &sealed), None);
    assert_eq!(
        Keys::new([7u8; 32], [8u8; 32]).open(b"person-1", &sealed),
        None
    );
    assert_eq!(keys().open(b"person-1", &sealed[..sealed.len() - 1]), None);
    assert_eq!(
        keys().open(
            b"person-1",
            &sealed[..SEALED_HEADER_LEN + NONCE_LEN + TAG_LEN - 1]
        ),
        None
    );
    assert_eq!(keys().open(b"person-1", &[]), None);
}

#[test]
fn values_sealed_before_key_ids_still_open_under_any_key_of_the_ring() {
    let old = legacy_seal([9u8; 32], b"person-1", b"secret");
    let opened = keys().open_checked(b"person-1", &old).unwrap();
    assert_eq!(opened.plaintext, b"secret");
    assert!(!opened.current, "an id-less value is due for re-sealing");
    let ring = Keys::from_rings(&[[7u8; 32]], &[[1u8; 32], [9u8; 32]]);
    assert_eq!(
        ring.open(b"person-1", &old).as_deref(),
        Some(&b"secret"[..])
    );
    assert_eq!(ring.open(b"person-2", &old), None);
    assert_eq!(
        Keys::new([7u8; 32], [1u8; 32])
            .open_checked(b"person-1", &old)
            .err(),
        Some(OpenError::NoKeyOpens)
    );
}

#[test]
fn ring_seals_under_its_first_key_and_opens_under_any() {
    let new = [1u8; 32];
    let old = [9u8; 32];
    let before = keys().seal(b"p", b"secret", &mut rng());
    let ring = Keys::from_rings(&[[7u8; 32]], &[new, old]);
    let opened = ring.open_checked(b"p", &before).unwrap();
    assert_eq!(
        (opened.plaintext.as_slice(), opened.current),
        (&b"secret"[..], false)
    );

    let after = ring.seal(b"p", b"secret", &mut rng());
    assert_eq!(sealed_key_id(&after), Some(KeyId::of_encryption_key(&new)));
    assert!(ring.open_checked(b"p", &after).unwrap().current);
    // Only the new key left: the value sealed under the old one is refused,
    // naming the key it needs.
    let only_new = Keys::new([7u8; 32], new);
    assert_eq!(
        only_new.open_checked(b"p", &before).err(),
        Some(OpenError::UnknownKey(KeyId::of_encryption_key(&old)))
    );
    let message = OpenError::UnknownKey(KeyId::of_encryption_key(&old)).to_string();
    assert!(
        message.contains(&KeyId::of_encryption_key(&old).to_string()),
        "{message}"
    );
    // A known key that does not open the value: damaged.
    let mut damaged = after.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert_eq!(
        ring.open_checked(b"p", &damaged).err(),
        Some(OpenError::Damaged(KeyId::of_encryption_key(&new)))
    );
}

#[test]
fn the_key_id_in_a_sealed_value_is_authenticated() {
    let ring = Keys::from_rings(&[[7u8; 32]], &[[1u8; 32], [9u8; 32]]);
    let mut sealed = ring.seal(b"p", b"secret", &mut rng());
    // Claim the second key: it does not open, and neither does the first
    // key under a header it did not seal.
    sealed[3..7].copy_from_slice(&KeyId::of_encryption_key(&[9u8; 32]).bytes());
    assert_eq!(ring.open(b"p", &sealed), None);
}

#[test]
fn debug_shows_no_key_bytes() {
    let keys = Keys::new([0xab; 32], [0xcd; 32]);
    assert_eq!(format!("{keys:?}"), "Keys { <redacted> }");
    assert_eq!(format!("{keys:#?}"), "Keys { <redacted> }");
}

#[test]
fn key_ids_differ_by_purpose_and_round_trip_as_hex() {
    let key = [5u8; 32];
    let h = KeyId::of_hmac_key(&key);
    let e = KeyId::of_encryption_key(&key);
    assert_ne!(h, e);
    let text = h.to_string();
    assert_eq!(text.len(), 8);
    assert_eq!(KeyId::parse(&text), Some(h));
    assert_eq!(format!("{h:?}"), format!("KeyId({text})"));
    for bad in ["", "1234567", "123456789", "ABCDEF01", "zzzzzzzz"] {
        assert_eq!(KeyId::parse(bad), None, "{bad}");
    }
}

#[test]
fn mac_is_standard_hmac_sha256_of_length_prefixed_fields() {
    let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&[7u8; 32]).unwrap();
    for field in [&b"cookie"[..], b"alice", b""] {
        reference.update(&(field.len() as u64).to_be_bytes());
        reference.update(field);
    }
    let expected: [u8; 32] = reference.finalize().into_bytes().into();
    assert_eq!(keys().mac("cookie", &[b"alice", b""]), expected);
}

#[test]
fn mac_separates_domains_and_part_boundaries() {
    let k = keys();
    let base = k.mac("cookie", &[b"ab", b"c"]);
    assert_ne!(base, k.mac("csrf", &[b"ab", b"c"]));
    assert_ne!(base, k.mac("cookie", &[b"a", b"bc"]));
    assert_ne!(base, k.mac("cookie", &[b"abc"]));
    assert_ne!(base, k.mac("cookie", &[b"ab", b"c", b""]));
    assert_ne!(base, k.mac("cookieab", &[b"c"]));
    assert_ne!(
        base,
        Keys::new([8u8; 32], [9u8; 32]).mac("cookie", &[b"ab", b"c"])
    );
}

#[test]
fn verify_mac_accepts_own_tag_only() {
    let k = keys();
    let tag = k.mac("cookie", &[b"alice", b"42"]);
    assert!(k.verify_mac("cookie", &[b"alice", b"42"], &tag));
    assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &tag[..31]));
    assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &[]));
    let mut longer = tag.to_vec();
    longer.push(0);
    assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &longer));
    let mut modified = tag;
    modified[0] ^= 0x80;
    assert!(!k.verify_mac("cookie", &[b"alice", b"42"], &modified));
    assert!(!k.verify_mac("csrf", &[b"alice", b"42"], &tag));
    assert!(!k.verify_mac("cookie", &[b"alice", b"43"], &tag));
}

#[test]
fn older_hmac_keys_verify_by_index_and_id() {
    let ring = Keys::from_rings(&[[1u8; 32], [7u8; 32]], &[[9u8; 32]]);
    let old_tag = keys().mac("cookie", &[b"alice"]);
    assert!(!ring.verify_mac("cookie", &[b"alice"], &old_tag));
    assert!(ring.verify_mac_at(1, "cookie", &[b"alice"], &old_tag));
    assert!(!ring.verify_mac_at(2, "cookie", &[b"alice"], &old_tag));
    assert_eq!(ring.hmac_count(), 2);
    assert_eq!(ring.hmac_index(KeyId::of_hmac_key(&[7u8; 32])), Some(1));
    assert_eq!(ring.hmac_index(KeyId::of_hmac_key(&[8u8; 32])), None);
    assert_eq!(ring.hmac_id(), KeyId::of_hmac_key(&[1u8; 32]));
    assert_eq!(
        ring.hmac_ids(),
        vec![
            KeyId::of_hmac_key(&[1u8; 32]),
            KeyId::of_hmac_key(&[7u8; 32])
        ]
    );
}

#[test]
fn generated_keys_are_two_fresh_hex_keys_with_their_ids() {
    let text = generate_keys_text(&mut rng());
    let value = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let (h, e) = (value("MFA_GATE_HMAC_KEY"), value("MFA_GATE_ENCRYPTION_KEY"));
    for key in [&h, &e] {
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(h, e);
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap();
    }
    assert!(text.contains(&format!("key id {}", KeyId::of_hmac_key(&bytes))));
    assert_ne!(text, generate_keys_text(&mut StdRng::seed_from_u64(2)));
}

#[test]
fn a_generated_key_directory_is_two_fresh_hex_keys_with_their_ids() {
    let [(h_name, h, h_id), (e_name, e, e_id)] = generate_key_files(&mut rng());
    assert_eq!((h_name, e_name), (HMAC_FILE, ENCRYPTION_FILE));
    assert_eq!((HMAC_FILE, ENCRYPTION_FILE), ("hmac.key", "encryption.key"));
    let bytes = |hex: &str| -> [u8; 32] {
        assert_eq!(hex.len(), 64, "{hex}");
        std::array::from_fn(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
    };
    assert_ne!(h, e);
    assert_eq!(h_id, KeyId::of_hmac_key(&bytes(&h)));
    assert_eq!(e_id, KeyId::of_encryption_key(&bytes(&e)));
    let [(_, again, _), _] = generate_key_files(&mut StdRng::seed_from_u64(2));
    assert_ne!(h, again);
}
