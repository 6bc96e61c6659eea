//! When a configuration is single-tenant, and the implicit tenant's policy.

use super::*;

#[test]
fn no_company_mapping_and_no_other_pins_is_one_tenant() {
    let none: [&str; 0] = [];
    assert_eq!(Tenancy::of(false, none.into_iter()), Tenancy::Single);
    assert_eq!(Tenancy::of(false, ["default"].into_iter()), Tenancy::Single);
    assert_eq!(Tenancy::of(true, none.into_iter()), Tenancy::Multi);
    assert_eq!(Tenancy::of(false, ["globex"].into_iter()), Tenancy::Multi);
    assert_eq!(
        Tenancy::of(false, ["default", "globex"].into_iter()),
        Tenancy::Multi
    );
}

#[test]
fn only_the_implicit_tenant_defaults_to_required() {
    use Enforcement::*;
    assert_eq!(Tenancy::Single.default_enforcement("default"), Required);
    assert_eq!(Tenancy::Single.default_enforcement("acme"), Optional);
    assert_eq!(Tenancy::Multi.default_enforcement("default"), Optional);
    assert_eq!(Tenancy::Multi.default_enforcement("acme"), Optional);
    assert!(Tenancy::Single.is_implicit("default"));
    assert!(!Tenancy::Single.is_implicit("acme"));
    assert!(!Tenancy::Multi.is_implicit("default"));
}
