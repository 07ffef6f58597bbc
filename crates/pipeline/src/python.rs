//! Python literals for generated code: whatever a name or expression holds, it stays
//! one string literal in the program.

use crate::PipelineError;

/// `s` as a double-quoted Python string literal.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A non-empty list of names as a Python list literal.
pub fn py_list(items: &[String], what: &str, step: usize) -> Result<String, PipelineError> {
    if items.is_empty() || items.iter().any(|i| i.trim().is_empty()) {
        return Err(PipelineError {
            step,
            message: format!("pick the {what}"),
        });
    }
    let items: Vec<String> = items.iter().map(|i| py_str(i)).collect();
    Ok(format!("[{}]", items.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_control_characters_are_escaped() {
        assert_eq!(py_str("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\x01""#);
    }
}
