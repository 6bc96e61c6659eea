//! Path globs of access rules, on the normalized path: segments split at
//! `/`; `**` as a whole segment matches any number of segments (none
//! included, so `/admin/**` covers `/admin` itself); `*` inside a segment
//! matches any text within that one segment (`/static/*.css`). Nothing
//! else is special: no `?`, no classes, no braces.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments.
    Any,
    /// A segment, its `*` splitting it into literal parts.
    Parts(Vec<String>),
}

impl Segment {
    fn is_literal(&self) -> bool {
        matches!(self, Segment::Parts(p) if p.len() == 1)
    }

    fn matches(&self, segment: &str) -> bool {
        let Segment::Parts(parts) = self else {
            return true;
        };
        let Some((first, rest)) = parts.split_first() else {
            return false;
        };
        let Some(mut tail) = segment.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tail.is_empty();
        };
        for part in middle {
            match tail.find(part.as_str()) {
                Some(at) => tail = &tail[at + part.len()..],
                None => return false,
            }
        }
        tail.len() >= last.len() && tail.ends_with(last.as_str())
    }
}

impl Glob {
    /// A glob as written: it starts with `/`; `**` only as a whole segment.
    pub fn parse(text: &str) -> Result<Glob, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("\"{text}\" must start with `/` (e.g. /admin/**)"));
        };
        let mut segments = Vec::new();
        for segment in rest.split('/') {
            if segment == "**" {
                segments.push(Segment::Any);
            } else if segment.contains("**") {
                return Err(format!(
                    "\"{text}\": `**` must be a whole segment (e.g. /admin/**)"
                ));
            } else if segment == "." || segment == ".." {
                return Err(format!("\"{text}\" is not a normalized path (no . or ..)"));
            } else if segment.contains(['?', '[', ']', '{', '}', '\\']) {
                return Err(format!(
                    "\"{text}\": only `*` and `**` are wildcards (no ? [ ] {{ }} \\)"
                ));
            } else {
                segments.push(Segment::Parts(
                    segment.split('*').map(str::to_owned).collect(),
                ));
            }
        }
        Ok(Glob {
            text: text.to_owned(),
            segments,
        })
    }

    /// Whether the normalized `path` (starting with `/`) matches.
    pub fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let segments: Vec<&str> = rest.split('/').collect();
        matches_from(&self.segments, &segments)
    }

    /// Whether this glob matches every path `other` matches: the same
    /// glob, or a literal directory followed by `**` (`/a/**`) above the
    /// literal start of `other`. Sound, not complete.
    pub fn covers(&self, other: &Glob) -> bool {
        if self == other {
            return true;
        }
        let Some((Segment::Any, dir)) = self.segments.split_last() else {
            return false;
        };
        dir.iter().all(Segment::is_literal)
            && other.segments.len() >= dir.len()
            && dir.iter().zip(&other.segments).all(|(a, b)| a == b)
    }

    /// Whether the glob is no wider than one directory, as a bypass glob
    /// must be: a literal path, or a literal directory (one segment at
    /// least) followed by one last wildcard segment (`/static/**`,
    /// `/static/*`, `/static/*.css`).
    pub fn within_a_directory(&self) -> bool {
        let Some((last, dir)) = self.segments.split_last() else {
            return false;
        };
        let dir_literal = dir.iter().all(Segment::is_literal);
        let dir_named = dir
            .iter()
            .any(|s| !matches!(s, Segment::Parts(p) if p[0].is_empty()));
        match last.is_literal() {
            true => dir_literal,
            false => dir_literal && dir_named,
        }
    }
}

/// The segments of a glob against the segments of a path.
fn matches_from(glob: &[Segment], path: &[&str]) -> bool {
    match glob.split_first() {
        None => path.is_empty(),
        Some((Segment::Any, rest)) => {
            (0..=path.len()).any(|skip| matches_from(rest, &path[skip..]))
        }
        Some((one, rest)) => path
            .split_first()
            .is_some_and(|(first, more)| one.matches(first) && matches_from(rest, more)),
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
