//! Unit tests of `domain::identity`: packing gives every field back.

use super::*;

fn fields(person: &str, email: Option<&str>, roles: &[&str]) -> IdentityFields {
    IdentityFields {
        account: "hanako@acme.example".into(),
        company: "acme".into(),
        class: AccountClass::Admin,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        person: person.into(),
        email: email.map(str::to_owned),
    }
}

#[test]
fn every_field_comes_back_as_given() {
    let cases = [
        fields("hanako", Some("h@acme.example"), &["admin", "ops"]),
        fields("hanako@acme.example", None, &[]),
        fields("", Some(""), &["", "x", ""]),
        fields("p", None, &["only"]),
    ];
    for given in cases {
        let identity = Identity::new(given.clone()).unwrap();
        assert_eq!(identity.fields(), given);
        assert_eq!(identity.account(), given.account);
        assert_eq!(identity.company(), given.company);
        assert_eq!(identity.person(), given.person);
        assert_eq!(identity.email(), given.email.as_deref());
        assert_eq!(identity.class(), AccountClass::Admin);
        assert_eq!(identity.roles(), given.roles);
        assert_eq!(identity.roles().len(), given.roles.len());
    }
}

#[test]
fn equal_fields_pack_equal_and_different_fields_do_not() {
    let a = Identity::new(fields("hanako", None, &["admin"])).unwrap();
    assert_eq!(
        a,
        Identity::new(fields("hanako", None, &["admin"])).unwrap()
    );
    let differ = [
        fields("hanako2", None, &["admin"]),
        fields("hanako", Some(""), &["admin"]),
        fields("hanako", None, &["admin", ""]),
        fields("hanako", None, &["ad", "min"]),
        fields("hanako@acme.example", None, &["admin"]),
    ];
    for other in differ {
        assert_ne!(a, Identity::new(other.clone()).unwrap(), "{other:?}");
    }
    // The split between company and account is part of the value.
    let mut moved = fields("hanako", None, &["admin"]);
    moved.company = "acmeh".into();
    moved.account = "anako@acme.example".into();
    assert_ne!(a, Identity::new(moved).unwrap());
}

#[test]
fn the_person_defaults_to_the_account_without_a_copy() {
    let same = Identity::new(fields("hanako@acme.example", None, &[])).unwrap();
    assert_eq!(same.text.len(), "acme".len() + "hanako@acme.example".len());
    assert_eq!(
        same.person_key(),
        PersonKey::new("acme", "hanako@acme.example")
    );
}

#[test]
fn text_past_the_offsets_is_refused_not_cut() {
    let mut big = fields("p", None, &[]);
    big.account = "a".repeat(Identity::MAX_TEXT);
    assert_eq!(Identity::new(big.clone()), Err(IdentityTooLong));
    big.account.truncate(Identity::MAX_TEXT - "acme".len() - 1);
    let fits = Identity::new(big.clone()).unwrap();
    assert_eq!(fits.fields(), big);
}

#[test]
fn policy_management_takes_an_admin_holding_a_policy_role() {
    let policy = ["admin".to_owned()];
    let admin = Identity::new(fields("p", None, &["ops", "admin"])).unwrap();
    assert!(admin.may_manage_policy(&policy));
    let mut employee = fields("p", None, &["admin"]);
    employee.class = AccountClass::Employee;
    assert!(!Identity::new(employee).unwrap().may_manage_policy(&policy));
    let other = Identity::new(fields("p", None, &["adm", "in"])).unwrap();
    assert!(!other.may_manage_policy(&policy));
}

#[test]
fn roles_of_a_plain_list_read_like_packed_ones() {
    let list = vec!["a".to_owned(), "bc".to_owned()];
    let plain = Roles::from(&list);
    let identity = Identity::new(fields("p", None, &["a", "bc"])).unwrap();
    assert_eq!(plain, identity.roles());
    assert!(plain.contains("bc") && !plain.contains("b"));
    assert_eq!(identity.roles().join(", "), "a, bc");
    assert!(Roles::NONE.is_empty());
    assert_eq!(format!("{:?}", identity.roles()), r#"["a", "bc"]"#);
}

#[test]
fn roles_of_any_length_and_script_come_back() {
    let long = |n: usize| "r".repeat(n);
    let roles = [
        long(127),
        long(128),
        "管理者".to_owned(),
        String::new(),
        long(2_047),
        long(2_048),
        "a\u{0}b".to_owned(),
    ];
    let mut given = fields("p", Some("e"), &[]);
    given.roles = roles.to_vec();
    let identity = Identity::new(given.clone()).unwrap();
    assert_eq!(identity.roles(), given.roles);
    assert_eq!(identity.roles().iter().len(), roles.len());
    assert_eq!(identity.fields(), given);
    // A length that is no char (a surrogate's code) is refused, not cut.
    given.roles = vec![long(0xD800)];
    assert_eq!(Identity::new(given), Err(IdentityTooLong));
}

#[test]
fn an_identity_is_four_words() {
    // One per live session in the identity cache (issue 35 §2): an Arc of
    // it is a 48-byte allocation, plus its text.
    assert_eq!(std::mem::size_of::<Identity>(), 32);
}
