//! Lenient reading of provider JSON: providers mix numbers and strings for the same
//! field (`"id": 22` vs `"id": "22"`) and add fields freely, so clients read paths
//! instead of binding rigid structs.

use serde_json::Value;

pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// A string or a number at `path`, as text.
pub(crate) fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    match at(v, path)? {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub(crate) fn parse_object(body: &[u8]) -> Result<Value, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("JSON inválido: {e}"))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err("esperado um objeto JSON".into())
    }
}
