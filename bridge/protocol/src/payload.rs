//! Message payloads: `{"$bin": i}` attachment references and their base64 fallback.

use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

/// A `{"$bin": i}` reference that does not point at an attachment of the frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("attachment reference at `{path}` is invalid: {reason}")]
pub struct BinRefError {
    pub path: String,
    pub reason: String,
}

/// If `value` is an attachment reference (an object whose only key is `$bin`), its raw index.
pub fn bin_ref(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get("$bin"),
        _ => None,
    }
}

/// Checks that every `{"$bin": i}` in `value` is an integer index below `count`.
pub fn check_bin_refs(value: &Value, count: usize) -> Result<(), BinRefError> {
    check(value, count, &mut String::new())
}

fn check(value: &Value, count: usize, path: &mut String) -> Result<(), BinRefError> {
    if let Some(index) = bin_ref(value) {
        let fail = |reason: String| BinRefError {
            path: if path.is_empty() { ".".into() } else { path.clone() },
            reason,
        };
        return match index.as_u64() {
            Some(i) if (i as usize) < count && i <= usize::MAX as u64 => Ok(()),
            Some(i) => Err(fail(format!("index {i} but the frame has {count} attachments"))),
            None => Err(fail("index is not an unsigned integer".into())),
        };
    }
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                path.push('.');
                path.push_str(key);
                check(item, count, path)?;
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                check(item, count, path)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Replaces every `{"$bin": i}` by the base64 string of attachment `i`, for clients that did
/// not announce the `binary` capability. References must have been checked.
pub fn inline_base64(value: &Value, attachments: &[Vec<u8>]) -> Value {
    if let Some(bytes) = bin_ref(value)
        .and_then(Value::as_u64)
        .and_then(|i| attachments.get(usize::try_from(i).ok()?))
    {
        return Value::String(base64(bytes));
    }
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), inline_base64(v, attachments)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| inline_base64(v, attachments)).collect())
        }
        other => other.clone(),
    }
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
