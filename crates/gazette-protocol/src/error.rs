//! The error type of every validation and parsing helper in this crate.

use std::fmt;

/// A message or value failed validation.
///
/// It renders like Gazette's Go `ValidationError`: the dotted field path that
/// leads to the offending value, then `": "`, then the message, e.g.
/// `Header.Route: invalid Primary (0; expected -1 <= Primary < 0)`. Without a
/// path only the message is shown. Keeping the exact text matters because the
/// Go client surfaces it to users and tests compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    context: Vec<String>,
    message: String,
}

impl ValidationError {
    /// A new error with `message` and an empty field path.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            context: Vec::new(),
            message: message.into(),
        }
    }

    /// Prepends `field` to the path, as an enclosing message does when it
    /// passes a nested field's error up (`Route` + `Primary` ...).
    #[must_use]
    pub fn context(mut self, field: impl Into<String>) -> Self {
        self.context.insert(0, field.into());
        self
    }

    /// The message, without the field path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The field path, outermost first (empty if the error is about the
    /// value that was validated itself).
    pub fn path(&self) -> &[String] {
        &self.context
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.context.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.context.join("."), self.message)
        }
    }
}

impl std::error::Error for ValidationError {}

/// Shorthand: `Err(ValidationError::new(format!(...)))`.
macro_rules! invalid {
    ($($arg:tt)*) => {
        Err($crate::ValidationError::new(format!($($arg)*)))
    };
}
pub(crate) use invalid;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_path_then_message() {
        let err = ValidationError::new("invalid Primary (0; expected -1 <= Primary < 0)")
            .context("Route")
            .context("Header");
        assert_eq!(
            err.to_string(),
            "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
        );
        assert_eq!(err.path(), ["Header", "Route"]);
        assert_eq!(ValidationError::new("bare").to_string(), "bare");
    }
}
