//! Parsing of our own `application/x-www-form-urlencoded` bodies, strictly:
//! bad UTF-8, duplicate fields or too many fields are errors, not guesses.
//! (The app's own POSTs never come here: they stream to the app untouched.)

use percent_encoding::percent_decode;

/// Largest form body we accept; our forms carry a few hundred bytes.
pub const MAX_FORM_BYTES: usize = 16 * 1024;
const MAX_FIELDS: usize = 32;

#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("form body is not valid UTF-8 after decoding")]
    Encoding,
    #[error("form field `{0}` appears twice")]
    Duplicate(String),
    #[error("form has too many fields")]
    TooManyFields,
}

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, FormError> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            if fields.len() == MAX_FIELDS {
                return Err(FormError::TooManyFields);
            }
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode(name)?;
            if fields.iter().any(|(n, _)| *n == name) {
                return Err(FormError::Duplicate(name));
            }
            fields.push((name, decode(value)?));
        }
        Ok(Form(fields))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(raw: &[u8]) -> Result<String, FormError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_decode(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| FormError::Encoding)
}

#[cfg(test)]
mod tests;
