//! Rule 4: no function over 60 lines outside the views and the tests.

use super::*;

/// The longest a function may be, from its `fn` line to its closing brace
/// (views, which are mostly markup, and tests excepted).
const MAX_FN_LINES: usize = 60;

/// Functions of `text` longer than `MAX_FN_LINES`: (line, name, lines).
fn long_functions(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]"
            && lines.get(i + 1).is_some_and(|l| l.starts_with("mod tests"))
        {
            break;
        }
        let Some(name) = fn_name(line) else {
            continue;
        };
        let indent = &line[..line.len() - line.trim_start().len()];
        let Some(open) = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_end();
            l.ends_with('{') || l.ends_with(';')
        }) else {
            continue;
        };
        if lines[open].trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = (open..lines.len()).find(|&j| lines[j] == close) {
            let length = end - i + 1;
            if length > MAX_FN_LINES {
                out.push((i + 1, name, length));
            }
        }
    }
    out
}

/// The name of the function a line declares, if it declares one.
fn fn_name(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    if let Some(after) = rest.strip_prefix("pub(") {
        rest = after.split_once(") ")?.1;
    }
    for word in ["pub ", "const ", "async ", "unsafe "] {
        rest = rest.strip_prefix(word).unwrap_or(rest);
    }
    let name: String = rest
        .strip_prefix("fn ")?
        .chars()
        .take_while(|c| is_ident(*c))
        .collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn no_function_over_sixty_lines() {
    let mut offenders = Vec::new();
    for source in sources() {
        if source.is_test
            || source.name.starts_with("pages/views/")
            || source.name.starts_with("layering")
        {
            continue;
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(&source.name);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (n, name, length) in long_functions(&text) {
            offenders.push(format!(
                "src/{}:{n}: {name} has {length} lines",
                source.name
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "functions over {MAX_FN_LINES} lines (split them into steps):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn a_long_function_is_measured_from_fn_to_brace() {
    let long = format!(
        "pub(crate) async fn f() {{\n{}}}\nfn g() {{}}\n",
        "    x;\n".repeat(60)
    );
    assert_eq!(long_functions(&long), [(1, "f".to_owned(), 62)]);
    assert_eq!(long_functions("trait T {\n    fn f();\n}\n"), []);
}

/// The longest a test file may be: split a longer one by behaviour.
const MAX_TEST_FILE_LINES: usize = 600;

#[test]
fn no_test_file_over_six_hundred_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|s| s.is_test)
        .filter_map(|s| {
            let text = std::fs::read_to_string(src.join(&s.name)).unwrap_or_default();
            let n = text.lines().count();
            (n > MAX_TEST_FILE_LINES).then(|| format!("src/{}: {n} lines", s.name))
        })
        .collect();
    assert!(
        long.is_empty(),
        "test files over {MAX_TEST_FILE_LINES} lines (split them by behaviour):\n{}",
        long.join("\n")
    );
}
