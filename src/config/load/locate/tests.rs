//! Unit tests of `config::load::locate`.

use super::locate;

#[test]
fn locate_follows_indentation() {
    let yaml = "\
a: 1
# comment
b:
  c: 2
  d:
    e: 3
  f: { g: 4, h: 5 }
list:
- x
- y
other:
  - p
  - q
";
    let cases: &[(&str, Option<(usize, usize)>)] = &[
        ("a", Some((1, 1))),
        ("b.c", Some((4, 3))),
        ("b.d.e", Some((6, 5))),
        ("b.f.h", Some((7, 14))),
        ("b.e", Some((3, 1))),
        ("list[1]", Some((10, 1))),
        ("other[1]", Some((13, 3))),
        ("nope", None),
    ];
    for (field, expected) in cases {
        assert_eq!(locate(yaml, field), *expected, "{field}");
    }
}
