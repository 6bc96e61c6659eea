//! How a whoami answer becomes an identity, as configured (plain data; the
//! checks are in `load/mapping.rs`, the evaluation in
//! `crate::identity::mapping`). Each identity field is taken by JSON
//! pointer, is a constant, or goes through a value map; a condition on the
//! answer may mean "not logged in". The flat `fields: { account: NAME }`
//! of earlier versions is the pointer `/NAME`.

/// One rule per identity field. `account`, `company` and `class` must give
/// a value; `person` (default: the account), `roles` and `email` may not.
/// Not written, `company` and `class` read the top-level field of their
/// name and fall back to the implicit tenant and `employee`
/// (`load/mapping.rs`, `tenancy.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMap {
    pub account: FieldRule,
    pub company: FieldRule,
    pub class: FieldRule,
    pub person: FieldRule,
    pub roles: FieldRule,
    pub email: FieldRule,
}

impl FieldMap {
    /// Top-level fields named like the identity fields (the demo's shape
    /// and the default).
    pub fn flat() -> FieldMap {
        FieldMap {
            account: FieldRule::field("account"),
            company: FieldRule::field("company"),
            class: FieldRule::field("class"),
            person: FieldRule::field("person"),
            roles: FieldRule::field("roles"),
            email: FieldRule::field("email"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldRule {
    /// The value at this JSON pointer (RFC 6901), e.g. `/user/login`.
    At(String),
    /// The value at `pointer`, or `absent` when the answer has none there:
    /// what `company` and `class` are when the file does not map them
    /// (the implicit tenant, `employee`).
    AtOr { pointer: String, absent: String },
    /// The same value for every session (`company: { value: main }`).
    Constant(String),
    /// A value looked up in a map (`{ from: /user/admin, map: { true: admin } }`).
    Map(ValueMap),
}

impl FieldRule {
    /// The top-level field `name` (the flat form).
    pub fn field(name: &str) -> FieldRule {
        FieldRule::At(pointer_of(name))
    }
}

/// The JSON pointer of a top-level field.
pub fn pointer_of(name: &str) -> String {
    format!("/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// `{ from: POINTER, map: { VALUE: RESULT, … }, default: RESULT }`. The
/// value at `from` is read as text (a string as is, `true`/`false`, a
/// number as written); a list maps each element. No value, or one not in
/// the map: `default`, else an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueMap {
    pub from: String,
    pub map: Vec<(String, String)>,
    pub default: Option<String>,
}

impl ValueMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// When a 200 answer means "not logged in" (MediaWiki answers anonymous
/// sessions with 200 and an `anon` field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnonymousWhen {
    /// Something (even `""` or `null`) is at this pointer.
    Present(String),
    /// Nothing is at this pointer.
    Absent(String),
}
