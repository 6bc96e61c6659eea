//! The implicit tenant's policy, and only its.

use super::*;

#[test]
fn only_the_implicit_tenant_defaults_to_required() {
    use Enforcement::*;
    assert_eq!(Tenancy::of(false), Tenancy::Implicit);
    assert_eq!(Tenancy::of(true), Tenancy::Mapped);
    assert_eq!(Tenancy::Implicit.default_enforcement("default"), Required);
    assert_eq!(Tenancy::Implicit.default_enforcement("acme"), Optional);
    assert_eq!(Tenancy::Mapped.default_enforcement("default"), Optional);
    assert_eq!(Tenancy::Mapped.default_enforcement("acme"), Optional);
    assert!(Tenancy::Implicit.is_implicit("default"));
    assert!(!Tenancy::Implicit.is_implicit("acme"));
    assert!(!Tenancy::Mapped.is_implicit("default"));
}
