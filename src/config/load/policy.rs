//! `policy_admin_roles`: which roles let an admin-class account see and
//! change its company's policy on the policy page (default `[admin]`, the
//! HR product's `管理者`). An empty list is allowed: then only
//! `companies:` in this file sets policies.

use super::{ConfigError, Doc};

/// The default: the role called `admin`.
const DEFAULT_ROLE: &str = "admin";

impl Doc<'_> {
    pub(super) fn policy_admin_roles(
        &self,
        raw: Option<Vec<String>>,
    ) -> Result<Vec<String>, ConfigError> {
        let Some(roles) = raw else {
            return Ok(vec![DEFAULT_ROLE.to_owned()]);
        };
        for (i, role) in roles.iter().enumerate() {
            let field = format!("policy_admin_roles[{i}]");
            if role.trim().is_empty() || role.trim() != role {
                return Err(self.error(&field, format!("{role:?} is not a role name")));
            }
            if roles[..i].contains(role) {
                return Err(self.error(&field, format!("\"{role}\" is listed twice")));
            }
        }
        Ok(roles)
    }
}
