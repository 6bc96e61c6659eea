//! Rules 1 and 2: pingora only in the glue, imports down the rooms.

use super::*;

#[test]
fn only_the_glue_knows_pingora() {
    let mut offenders = Vec::new();
    for source in sources() {
        if is_glue(&source.name) {
            continue;
        }
        for (n, line) in &source.code {
            if uses_pingora(line) {
                offenders.push(format!("src/{}:{n}: {}", source.name, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "pingora outside the glue (move the I/O to edge/):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn imports_flow_down_the_rooms() {
    let sources = sources();
    let tree = Tree::new(&sources);
    let mut offenders = Vec::new();
    for source in sources.iter().filter(|s| !s.is_test && s.name != "lib.rs") {
        let from = room(&source.name);
        let Some(from_rank) = rank(from) else {
            offenders.push(format!("src/{}: in no room of ROOMS", source.name));
            continue;
        };
        for (n, target) in uses(source, &tree) {
            let to = target[0].as_str();
            match rank(to) {
                Some(to_rank) if to == from || to_rank <= from_rank => {}
                _ => offenders.push(format!(
                    "src/{}:{n}: {from} uses {} (a room above)",
                    source.name,
                    target.join("::")
                )),
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "imports must flow down the rooms (ROOMS in src/layering.rs):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_parsing_sees_what_it_looks_for() {
    assert!(uses_pingora("use pingora::http::RequestHeader;"));
    assert!(uses_pingora("    let x: pingora_core::Error = e;"));
    assert!(!uses_pingora("//! nothing here knows pingora::http"));
    assert!(!uses_pingora("let filter = \"debug,pingora_proxy=debug\";"));
    let paths = paths_after("use crate::a::{b, c::{d, e}};", "crate");
    assert_eq!(
        paths,
        [vec!["a", "b"], vec!["a", "c", "d"], vec!["a", "c", "e"]]
    );
    assert_eq!(
        paths_after("x_super::y", "super"),
        Vec::<Vec<String>>::new()
    );
    let lines = code_lines("use a;\n// no\n#[cfg(test)]\nmod tests {\nuse b;\n}");
    assert_eq!(
        lines,
        [(1, "use a;".to_owned()), (3, "#[cfg(test)]".to_owned())]
    );
}
