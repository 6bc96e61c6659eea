//! Who a logged-in app session belongs to (`Identity`), packed: the
//! identity cache holds one for every live session (100 000 and more), so
//! its text fields share one allocation instead of one each. A source
//! reads the fields into `IdentityFields` and packs them with
//! `Identity::new`; everyone else reads them through accessors.

use super::{AccountClass, PersonKey};
use std::fmt;

/// The fields of an identity as a source reads them (the whoami answer's
/// mapping, an SSO front's headers, a test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityFields {
    pub account: String,
    pub company: String,
    pub class: AccountClass,
    pub roles: Vec<String>,
    /// Link key shared by the accounts of one human; defaults to `account`.
    pub person: String,
    pub email: Option<String>,
}

/// [`IdentityFields`] borrowed: what [`Identity::pack`] copies in (a
/// whoami answer's strings, without a copy of each first). `person` is
/// the account's own when the account has no separate link key.
pub struct IdentityText<'a> {
    pub account: &'a str,
    pub company: &'a str,
    pub class: AccountClass,
    pub roles: &'a [String],
    pub person: &'a str,
    pub email: Option<&'a str>,
}

/// The fields of an identity hold more than `Identity::MAX_TEXT` bytes
/// together (the sources' own limits keep them far below it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the identity's fields are longer than {} bytes together",
    Identity::MAX_TEXT
)]
pub struct IdentityTooLong;

/// Who a logged-in app session belongs to, as the app (or SSO front) says.
///
/// One allocation for all the text, besides the value itself: `text` is
/// the company, the account, the person (only when it is not the account),
/// the email, one after the other (offsets say where each ends), then the
/// roles, each after a char whose code is its length in bytes. The layout is canonical (equal fields pack
/// to equal values), so the derived equality is the fields' equality.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    text: Box<str>,
    /// Where the company, the account, the person and the email end.
    ends: [u16; 4],
    /// How many roles follow the email.
    roles: u16,
    class: AccountClass,
    /// The person is not the account (it has its own stretch of `text`).
    own_person: bool,
    has_email: bool,
}

impl Identity {
    /// Most bytes of text one identity holds (its offsets are `u16`).
    pub const MAX_TEXT: usize = u16::MAX as usize;

    pub fn new(fields: IdentityFields) -> Result<Identity, IdentityTooLong> {
        Identity::pack(IdentityText {
            account: &fields.account,
            company: &fields.company,
            class: fields.class,
            roles: &fields.roles,
            person: &fields.person,
            email: fields.email.as_deref(),
        })
    }

    /// [`Identity::new`] from borrowed fields.
    pub fn pack(fields: IdentityText<'_>) -> Result<Identity, IdentityTooLong> {
        let own_person = fields.person != fields.account;
        let email = fields.email;
        let lengths = (fields.roles.iter())
            .map(|r| u32::try_from(r.len()).ok().and_then(char::from_u32))
            .collect::<Option<Vec<char>>>()
            .ok_or(IdentityTooLong)?;
        let mut len = fields.company.len() + fields.account.len();
        len += if own_person { fields.person.len() } else { 0 };
        len += email.map_or(0, str::len) + fields.roles.iter().map(String::len).sum::<usize>();
        len += lengths.iter().map(|c| c.len_utf8()).sum::<usize>();
        let roles = u16::try_from(fields.roles.len()).map_err(|_| IdentityTooLong)?;
        if len > Self::MAX_TEXT {
            return Err(IdentityTooLong);
        }
        let mut text = String::with_capacity(len);
        // Every offset is at most `len`, checked above.
        let mut push = |part: &str| {
            text.push_str(part);
            text.len() as u16
        };
        let ends = [
            push(fields.company),
            push(fields.account),
            push(if own_person { fields.person } else { "" }),
            push(email.unwrap_or("")),
        ];
        for (role, length) in fields.roles.iter().zip(lengths) {
            text.push(length);
            text.push_str(role);
        }
        Ok(Identity {
            text: text.into_boxed_str(),
            ends,
            roles,
            class: fields.class,
            own_person,
            has_email: email.is_some(),
        })
    }

    /// The `i`th stretch of `text` (0: company … 3: email).
    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[usize::from(start)..usize::from(self.ends[i])]
    }

    pub fn company(&self) -> &str {
        self.part(0)
    }

    pub fn account(&self) -> &str {
        self.part(1)
    }

    /// Link key shared by the accounts of one human; defaults to the account.
    pub fn person(&self) -> &str {
        self.part(if self.own_person { 2 } else { 1 })
    }

    pub fn email(&self) -> Option<&str> {
        self.has_email.then(|| self.part(3))
    }

    pub fn class(&self) -> AccountClass {
        self.class
    }

    pub fn roles(&self) -> Roles<'_> {
        Roles(RoleList::Packed {
            text: &self.text[usize::from(self.ends[3])..],
            count: usize::from(self.roles),
        })
    }

    /// The fields again, owned (to change one in a test, or to serialize).
    pub fn fields(&self) -> IdentityFields {
        IdentityFields {
            account: self.account().to_owned(),
            company: self.company().to_owned(),
            class: self.class,
            roles: self.roles().iter().map(str::to_owned).collect(),
            person: self.person().to_owned(),
            email: self.email().map(str::to_owned),
        }
    }

    /// The store key of this identity's human: scoped by company so that two
    /// tenants can never share an enrollment by choosing the same `person`.
    pub fn person_key(&self) -> PersonKey {
        PersonKey::new(self.company(), self.person())
    }

    /// Whether this account may change its company's policy (docs/design.md §2):
    /// admin-class accounts holding one of `policy_roles` (the configured
    /// `policy_admin_roles`, by default `admin`, alone or beside others such
    /// as `stress_check_officer`). Managers and custom roles may not.
    pub fn may_manage_policy(&self, policy_roles: &[String]) -> bool {
        self.class == AccountClass::Admin
            && self
                .roles()
                .iter()
                .any(|r| policy_roles.iter().any(|p| p == r))
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("account", &self.account())
            .field("company", &self.company())
            .field("class", &self.class)
            .field("roles", &self.roles())
            .field("person", &self.person())
            .field("email", &self.email())
            .finish()
    }
}

/// The roles of an identity, in the order the source gave them: a view
/// of a packed identity's text, or of a plain list (`From<&[String]>`, for
/// `explain` and tests).
#[derive(Clone, Copy)]
pub struct Roles<'a>(RoleList<'a>);

#[derive(Clone, Copy)]
enum RoleList<'a> {
    /// The roles of a packed identity: each after its length (see
    /// `Identity`).
    Packed {
        text: &'a str,
        count: usize,
    },
    Plain(&'a [String]),
}

impl<'a> Roles<'a> {
    /// No roles (an anonymous subject).
    pub const NONE: Roles<'static> = Roles(RoleList::Plain(&[]));

    pub fn iter(self) -> RolesIter<'a> {
        match self.0 {
            RoleList::Packed { text, count } => RolesIter::Packed { rest: text, count },
            RoleList::Plain(list) => RolesIter::Plain(list.iter()),
        }
    }

    pub fn contains(self, role: &str) -> bool {
        self.iter().any(|r| r == role)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn len(self) -> usize {
        match self.0 {
            RoleList::Packed { count, .. } => count,
            RoleList::Plain(list) => list.len(),
        }
    }

    /// The roles joined by `separator`.
    pub fn join(self, separator: &str) -> String {
        self.iter().collect::<Vec<_>>().join(separator)
    }
}

/// The roles one by one (`Roles::iter`).
pub enum RolesIter<'a> {
    Packed { rest: &'a str, count: usize },
    Plain(std::slice::Iter<'a, String>),
}

impl<'a> Iterator for RolesIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            RolesIter::Packed { rest, count } => {
                let mut chars = rest.chars();
                let length = chars.next()? as usize;
                let (role, after) = chars.as_str().split_at_checked(length)?;
                (*rest, *count) = (after, count.saturating_sub(1));
                Some(role)
            }
            RolesIter::Plain(list) => list.next().map(String::as_str),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self {
            RolesIter::Packed { count, .. } => *count,
            RolesIter::Plain(list) => list.len(),
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for RolesIter<'_> {}

impl<'a> From<&'a [String]> for Roles<'a> {
    fn from(list: &'a [String]) -> Roles<'a> {
        Roles(RoleList::Plain(list))
    }
}

impl<'a> From<&'a Vec<String>> for Roles<'a> {
    fn from(list: &'a Vec<String>) -> Roles<'a> {
        Roles(RoleList::Plain(list))
    }
}

impl PartialEq for Roles<'_> {
    fn eq(&self, other: &Roles<'_>) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<const N: usize> PartialEq<[&str; N]> for Roles<'_> {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

impl PartialEq<Vec<String>> for Roles<'_> {
    fn eq(&self, other: &Vec<String>) -> bool {
        self.iter().eq(other.iter().map(String::as_str))
    }
}

impl fmt::Debug for Roles<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests;
