//! Unit tests of the domain nouns.

use super::PersonKey;

#[test]
fn a_person_key_is_the_company_length_then_company_and_person() {
    assert_eq!(PersonKey::new("acme", "bob").as_str(), "4:acme/bob");
    assert_eq!(PersonKey::new("", "").as_str(), "0:/");
    let long = "c".repeat(1234);
    assert_eq!(
        PersonKey::new(&long, "p/q").as_str(),
        format!("{}:{long}/p/q", long.len())
    );
    for n in [1, 9, 10, 99, 100, 101, 1000, 65_536] {
        let company = "x".repeat(n);
        assert_eq!(
            PersonKey::new(&company, "p").as_str(),
            format!("{n}:{company}/p")
        );
    }
}
