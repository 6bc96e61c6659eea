//! Text from outside (a request, the app's whoami answer, a form) made
//! safe for a log field: escaped onto one line and capped ([`outside`]).

use std::fmt::{self, Display, Write as _};

/// How many bytes of escaped text [`outside`] writes at most (then `…`).
pub const OUTSIDE_CAP: usize = 256;

/// A value from outside (a request, the app's whoami answer, a form),
/// made safe for a log field: control characters, line and paragraph
/// separators, bidirectional overrides, `"` and `\` are escaped (so an
/// event stays one line and no terminal escape reaches the log), and the
/// text is cut at [`OUTSIDE_CAP`] bytes with `…`. Use it with `%`:
/// `tracing::info!(path = %logging::outside(path), …)`.
pub fn outside<T: Display>(value: T) -> Outside<T> {
    Outside {
        value,
        cap: OUTSIDE_CAP,
    }
}

/// See [`outside`]; `Display` writes the escaped, capped text.
#[derive(Clone, Copy)]
pub struct Outside<T> {
    value: T,
    cap: usize,
}

impl<T> Outside<T> {
    /// The same value with another cap (bytes of escaped text).
    pub fn cap(self, cap: usize) -> Outside<T> {
        Outside { cap, ..self }
    }
}

impl<T: Display> Display for Outside<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Escaper {
            f,
            left: self.cap,
            cut: false,
        };
        match write!(w, "{}", self.value) {
            Err(_) if w.cut => w.f.write_str("…"),
            other => other,
        }
    }
}

impl<T: Display> fmt::Debug for Outside<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Escapes what it is given into `f` until `left` bytes are spent; then
/// sets `cut` and fails, which stops the formatting of the value early.
struct Escaper<'a, 'b> {
    f: &'a mut fmt::Formatter<'b>,
    left: usize,
    cut: bool,
}

impl Escaper<'_, '_> {
    fn spend(&mut self, n: usize) -> fmt::Result {
        if n > self.left {
            self.cut = true;
            return Err(fmt::Error);
        }
        self.left -= n;
        Ok(())
    }
}

impl fmt::Write for Escaper<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                '\n' | '\r' | '\t' | '"' | '\\' => {
                    self.spend(2)?;
                    let escaped = match c {
                        '\n' => "\\n",
                        '\r' => "\\r",
                        '\t' => "\\t",
                        '"' => "\\\"",
                        _ => "\\\\",
                    };
                    self.f.write_str(escaped)?;
                }
                c if needs_escape(c) => {
                    let escaped = c.escape_unicode();
                    self.spend(escaped.len())?;
                    write!(self.f, "{escaped}")?;
                }
                c => {
                    self.spend(c.len_utf8())?;
                    self.f.write_char(c)?;
                }
            }
        }
        Ok(())
    }
}

/// Characters that could end a line, move the cursor, colour a terminal or
/// reorder what a reader sees.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{200e}' | '\u{200f}' // LRM, RLM
                | '\u{202a}'..='\u{202e}' // bidirectional embeddings, overrides
                | '\u{2066}'..='\u{2069}' // bidirectional isolates
                | '\u{feff}'
        )
}
