//! The mapping on the demo's flat answer and on real apps' shapes
//! (Redmine, Jupyter Server, MediaWiki), and its precise errors.

use super::*;
use crate::config::pointer_of;
use serde_json::json;

fn at(p: &str) -> FieldRule {
    FieldRule::At(p.into())
}

fn map(from: &str, pairs: &[(&str, &str)], default: Option<&str>) -> FieldRule {
    FieldRule::Map(ValueMap {
        from: from.into(),
        map: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        default: default.map(str::to_owned),
    })
}

#[test]
fn the_flat_answer_maps_as_before() {
    let id = map_identity(
        &json!({"account":"a@x","company":"acme","class":"admin","person":"p","roles":["admin"],"email":"a@x"}),
        &FieldMap::flat(),
    )
    .unwrap();
    assert_eq!((id.person(), id.class()), ("p", AccountClass::Admin));
    assert!(id.may_manage_policy(&["admin".to_owned()]));
    assert!(!id.may_manage_policy(&["owner".to_owned()]));
    let id = map_identity(
        &json!({"account":"a@x","company":"acme","class":"employee"}),
        &FieldMap::flat(),
    )
    .unwrap();
    assert_eq!(id.person(), "a@x");
    assert!(id.roles().is_empty() && id.email().is_none());
    assert_eq!(pointer_of("a/b~c"), "/a~1b~0c");
}

#[test]
fn redmine_shape_by_pointer_constant_and_boolean_map() {
    let fields = FieldMap {
        account: at("/user/login"),
        company: FieldRule::Constant("main".into()),
        class: map(
            "/user/admin",
            &[("true", "admin"), ("false", "employee")],
            None,
        ),
        person: at("/user/login"),
        roles: map("/user/admin", &[("true", "admin")], None),
        email: at("/user/mail"),
    };
    let admin = json!({"user":{"id":1,"login":"admin","admin":true,"mail":"a@x"}});
    let id = map_identity(&admin, &fields).unwrap();
    assert_eq!((id.account(), id.company()), ("admin", "main"));
    assert_eq!(id.class(), AccountClass::Admin);
    assert_eq!(id.roles(), ["admin"]);
    assert_eq!(id.email(), Some("a@x"));
    let user = json!({"user":{"login":"bob","admin":false}});
    let id = map_identity(&user, &fields).unwrap();
    assert_eq!((id.class(), id.roles().len()), (AccountClass::Employee, 0));
    let odd = json!({"user":{"login":"bob","admin":"maybe"}});
    assert_eq!(
        map_identity(&odd, &fields).unwrap_err().to_string(),
        "`class`: \"maybe\" at /user/admin is not in the map (true, false) and there is no default"
    );
}

#[test]
fn mediawiki_groups_list_maps_to_the_class_with_most_rights() {
    let mut fields = FieldMap::flat();
    fields.account = at("/query/userinfo/name");
    fields.company = FieldRule::Constant("wiki".into());
    fields.class = map(
        "/query/userinfo/groups",
        &[("sysop", "admin"), ("user", "employee")],
        Some("candidate"),
    );
    let groups =
        |g: serde_json::Value| json!({"query":{"userinfo":{"id":1,"name":"Admin","groups":g}}});
    let class = |g| map_identity(&groups(g), &fields).unwrap().class();
    assert_eq!(class(json!(["*", "user", "sysop"])), AccountClass::Admin);
    assert_eq!(class(json!(["*", "user"])), AccountClass::Employee);
    assert_eq!(class(json!(["*"])), AccountClass::Candidate);
    assert_eq!(class(json!(null)), AccountClass::Candidate);
    let anon = json!({"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":""}}});
    assert!(is_anonymous(
        &anon,
        Some(&AnonymousWhen::Present("/query/userinfo/anon".into()))
    ));
    assert!(!is_anonymous(
        &groups(json!([])),
        Some(&AnonymousWhen::Present("/query/userinfo/anon".into()))
    ));
    assert!(is_anonymous(
        &anon,
        Some(&AnonymousWhen::Absent("/query/userinfo/groups".into()))
    ));
    assert!(!is_anonymous(&anon, None));
}

#[test]
fn errors_name_the_field_the_pointer_and_what_was_there() {
    let mut fields = FieldMap::flat();
    fields.account = at("/identity/username");
    let message = |json| map_identity(&json, &fields).unwrap_err().to_string();
    assert_eq!(message(json!([])), "the answer is not a JSON object");
    assert_eq!(
        message(json!({"company":"c","class":"employee"})),
        "`account`: nothing at /identity/username"
    );
    assert_eq!(
        message(json!({"identity":{"username":7},"company":"c","class":"employee"})),
        "`account`: the number at /identity/username is not a string"
    );
    assert_eq!(
        message(json!({"identity":{"username":"u"},"company":"c","class":"root"})),
        "`class`: \"root\" is not candidate, employee or admin"
    );
    assert_eq!(
        message(json!({"identity":{"username":"u"},"company":"c","class":"employee","roles":[1]})),
        "`roles`: the list with a non-string element at /roles is not a list of strings"
    );
    assert_eq!(
        message(json!({"identity":{"username":"u".repeat(400)},"company":"c","class":"employee"})),
        "`account`: the value at /identity/username is longer than 320 bytes"
    );
    let one_role =
        json!({"identity":{"username":"u"},"company":"c","class":"employee","roles":"ops"});
    assert_eq!(map_identity(&one_role, &fields).unwrap().roles(), ["ops"]);
}

/// The rules of a file that maps neither `company` nor `class`
/// (`config::Tenancy::Implicit`): the top-level field if the answer has
/// one, else the implicit tenant and `employee`.
#[test]
fn an_answer_naming_only_the_account_is_an_employee_of_the_implicit_tenant() {
    let mut fields = FieldMap::flat();
    fields.company = FieldRule::AtOr {
        pointer: "/company".into(),
        absent: "default".into(),
    };
    fields.class = FieldRule::AtOr {
        pointer: "/class".into(),
        absent: "employee".into(),
    };
    let id = map_identity(&json!({"account": "alice"}), &fields).unwrap();
    assert_eq!(
        (id.account(), id.company(), id.class()),
        ("alice", "default", AccountClass::Employee)
    );
    assert_eq!(id.person(), "alice");
    for blank in [json!(null), json!("")] {
        let id = map_identity(
            &json!({"account": "a", "company": blank, "class": blank}),
            &fields,
        )
        .unwrap();
        assert_eq!(
            (id.company(), id.class()),
            ("default", AccountClass::Employee)
        );
    }
    // What the answer says still counts, and a wrong value is still wrong.
    let id = map_identity(
        &json!({"account": "a", "company": "acme", "class": "candidate"}),
        &fields,
    )
    .unwrap();
    assert_eq!(
        (id.company(), id.class()),
        ("acme", AccountClass::Candidate)
    );
    assert_eq!(
        map_identity(&json!({"account": "a", "class": "root"}), &fields)
            .unwrap_err()
            .to_string(),
        "`class`: \"root\" is not candidate, employee or admin"
    );
    assert!(matches!(
        map_identity(&json!({"account": "a", "company": 7}), &fields),
        Err(MappingError::WrongType {
            field: "company",
            ..
        })
    ));
    // Without the fallback (a written company rule), no company is an error.
    assert_eq!(
        map_identity(
            &json!({"account": "a", "class": "employee"}),
            &FieldMap::flat()
        )
        .unwrap_err()
        .to_string(),
        "`company`: nothing at /company"
    );
}

#[test]
fn pointers_read_as_serde_json_reads_them() {
    let answer = json!({
        "user": {"login": "ann", "a/b": 1, "m~n": 2, "": {"x": 3}},
        "groups": ["wiki", "staff", {"id": 4}],
        "0": "zero",
    });
    for pointer in [
        "",
        "/",
        "/user",
        "/user/login",
        "/user/login/more",
        "/user/a~1b",
        "/user/m~0n",
        "/user//x",
        "/groups/0",
        "/groups/1",
        "/groups/2/id",
        "/groups/3",
        "/groups/01",
        "/groups/+1",
        "/groups/-1",
        "/groups/x",
        "/0",
        "/nobody",
        "user",
        "/user/",
    ] {
        assert_eq!(
            pointer_at(&answer, pointer),
            answer.pointer(pointer),
            "{pointer:?}"
        );
    }
}
