//! The access rule applied to a request: the running [`gate::Gate`], the
//! enforcement table ([`decision`]), the judge of one session ([`guard`]),
//! the gateway cookie and CSRF tokens ([`session`]) with their memo
//! ([`verified`]), remembered browsers ([`remember`]), the accounts seen
//! today ([`rollout`]) and the audit trail ([`audit`]). Below the pages and
//! the admin API; above identity, factors and the store.

pub mod admit;
pub mod audit;
pub mod decision;
pub mod gate;
pub mod guard;
pub mod memo;
pub mod remember;
pub mod rollout;
pub mod rules;
pub mod services;
pub mod session;
#[cfg(test)]
pub(crate) mod test_gate;
pub mod verified;
