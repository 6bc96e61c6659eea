//! Unit tests of `pages::form`.

use super::*;

#[test]
fn parses_ordinary_forms() {
    let f = Form::parse(b"code=123+456&csrf=a%2Eb&return_to=%2Fx%3Fa%3D1&empty=&flag").unwrap();
    assert_eq!(f.get("code"), Some("123 456"));
    assert_eq!(f.get("csrf"), Some("a.b"));
    assert_eq!(f.get("return_to"), Some("/x?a=1"));
    assert_eq!(f.get("empty"), Some(""));
    assert_eq!(f.get("flag"), Some(""));
    assert_eq!(f.get("missing"), None);
}

#[test]
fn refuses_garbage() {
    assert_eq!(
        Form::parse(b"code=%ff%fe").unwrap_err(),
        FormError::Encoding
    );
    assert_eq!(Form::parse(b"code=\xff").unwrap_err(), FormError::Encoding);
    assert_eq!(
        Form::parse(b"code=1&code=2").unwrap_err(),
        FormError::Duplicate("code".into())
    );
    let many: Vec<u8> = (0..40)
        .map(|i| format!("f{i}=1&"))
        .collect::<String>()
        .into_bytes();
    assert_eq!(Form::parse(&many).unwrap_err(), FormError::TooManyFields);
    // broken escapes are kept literally, which is what browsers do
    assert_eq!(Form::parse(b"x=%zz%").unwrap().get("x"), Some("%zz%"));
}
