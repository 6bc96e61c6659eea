//! Unit tests of `request::route`.

use super::*;

#[test]
fn links_are_the_path_under_the_prefix() {
    assert_eq!(Route::Enroll.href("/_mfa"), "/_mfa/enroll");
    assert_eq!(Route::Policy.href("/gate"), "/gate/admin/security");
    assert_eq!(Route::BackupCodesDownload.href(""), "/backup-codes.txt");
}

#[test]
fn routes_round_trip_through_their_paths() {
    for route in [
        Route::Health,
        Route::Enroll,
        Route::Challenge,
        Route::Settings,
        Route::Policy,
        Route::BackupCodesDownload,
        Route::SignedIn,
        Route::Passkeys,
        Route::Asset("/assets/x.css".into()),
    ] {
        assert_eq!(Route::parse(route.path()), route);
    }
}
