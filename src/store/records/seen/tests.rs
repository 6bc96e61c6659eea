//! Unit tests of `store::records::seen`.

use super::*;

#[test]
fn seen_v1_still_reads_and_v2_is_pinned() {
    let mut s = SeenAccount {
        account: "bob@acme".into(),
        class: AccountClass::Admin,
        person: "bob".into(),
        last_seen: 86_400,
        email: None,
        manages_policy: false,
    };
    let v1 = r#"{"v":"1","account":"bob@acme","class":"admin","person":"bob","last_seen":86400}"#;
    assert_eq!(decode_seen(v1.as_bytes()).unwrap(), s);
    s.email = Some("bob@acme.example".into());
    s.manages_policy = true;
    let v2 = r#"{"v":"2","account":"bob@acme","class":"admin","person":"bob","last_seen":86400,"email":"bob@acme.example","manages_policy":true}"#;
    assert_eq!(encode_seen(&s).unwrap(), v2.as_bytes());
    assert_eq!(decode_seen(v2.as_bytes()).unwrap(), s);
    assert!(
        decode_seen(br#"{"v":"1","account":"a","class":"boss","person":"a","last_seen":0}"#)
            .is_err()
    );
}

/// The hand-framed encoding writes exactly what serde derives for the
/// same fields, whatever the strings hold (quotes, backslashes, controls,
/// non-ASCII) and whatever the optional parts are.
#[test]
fn the_framed_encoding_is_the_derived_one_byte_for_byte() {
    let texts = [
        "bob",
        "",
        "a\"b\\c",
        "tab\there\nnew",
        "\u{1}\u{1f}",
        "日本@例え.jp",
        "</script>",
    ];
    for (i, account) in texts.iter().enumerate() {
        for person in [account, &texts[(i + 3) % texts.len()]] {
            for email in [None, Some(texts[(i + 1) % texts.len()])] {
                for (class, manages_policy) in
                    [(AccountClass::Employee, false), (AccountClass::Admin, true)]
                {
                    let s = SeenAccount {
                        account: account.to_string(),
                        class,
                        person: person.to_string(),
                        last_seen: -86_400 * i as i64 + 7,
                        email: email.map(str::to_owned),
                        manages_policy,
                    };
                    let derived = serde_json::to_vec(&SeenV2Out {
                        v: "2",
                        account: &s.account,
                        class: s.class.as_str(),
                        person: &s.person,
                        last_seen: s.last_seen,
                        email: s.email.as_deref(),
                        manages_policy: s.manages_policy,
                    })
                    .unwrap();
                    assert_eq!(encode_seen(&s).unwrap(), derived, "{s:?}");
                    assert_eq!(decode_seen(&derived).unwrap(), s);
                }
            }
        }
    }
}
