//! The last guard before stderr: no log line is longer than [`MAX_LINE`]
//! bytes, whatever a call site forgot to cap. The formatter hands over one
//! whole event per write; a text event over the limit is cut at a
//! character (and says so), a JSON event keeps being one valid JSON object:
//! its long strings are cut, or it is replaced by a short notice.

use std::io::{self, Write};

/// The longest line written, newline included.
pub const MAX_LINE: usize = 4096;

/// A JSON string longer than this is cut when a line is over [`MAX_LINE`].
const JSON_STRING_CAP: usize = 256;

/// `MakeWriter` for the subscriber: stderr behind the line cap.
pub struct Capped {
    json: bool,
}

impl Capped {
    pub fn new(json: bool) -> Capped {
        Capped { json }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capped {
    type Writer = CappedWriter;

    fn make_writer(&'a self) -> CappedWriter {
        CappedWriter { json: self.json }
    }
}

/// Writes each event (one `write` per event) to stderr, capped.
pub struct CappedWriter {
    json: bool,
}

impl Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut err = io::stderr().lock();
        if buf.len() <= MAX_LINE {
            err.write_all(buf)
        } else {
            err.write_all(&cap_line(buf, self.json))
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// `line` (one formatted event) within [`MAX_LINE`] bytes, ending in a
/// newline.
pub fn cap_line(line: &[u8], json: bool) -> Vec<u8> {
    if line.len() <= MAX_LINE {
        return line.to_vec();
    }
    if json {
        if let Some(shortened) = shorten_json(line) {
            return shortened;
        }
        return notice_json(line);
    }
    let note = format!(" …[line cut: {} bytes]\n", line.len());
    let mut end = MAX_LINE - note.len();
    // Never split a UTF-8 sequence (continuation bytes are 0b10xxxxxx).
    while end > 0 && line[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    let mut out = line[..end].to_vec();
    out.extend_from_slice(note.as_bytes());
    out
}

/// The event with every string over [`JSON_STRING_CAP`] characters cut;
/// `None` if it is not JSON or still too long.
fn shorten_json(line: &[u8]) -> Option<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(line).ok()?;
    shorten(&mut value);
    let mut out = serde_json::to_vec(&value).ok()?;
    out.push(b'\n');
    (out.len() <= MAX_LINE).then_some(out)
}

fn shorten(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.chars().count() > JSON_STRING_CAP => {
            let kept: String = s.chars().take(JSON_STRING_CAP).collect();
            *s = format!("{kept}…");
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(shorten),
        serde_json::Value::Object(map) => map.values_mut().for_each(shorten),
        _ => {}
    }
}

/// A short JSON line standing for an event that could not be shortened.
fn notice_json(line: &[u8]) -> Vec<u8> {
    let notice = serde_json::json!({
        "level": "WARN",
        "target": "mfa_gate::logging",
        "message": "log event withheld: too long",
        "bytes": line.len(),
    });
    let mut out = notice.to_string().into_bytes();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests;
