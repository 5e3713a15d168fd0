//! Dates and numbers as a Brazilian reader expects them (the browser's `Intl`, so the
//! reader's own timezone).

use chrono::{DateTime, Utc};
use wasm_bindgen::JsValue;

/// `21/11/2026, 14:05` in the browser's timezone.
pub fn date_time(at: DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"short".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_string("pt-BR", &options).into()
}

/// `12,5 %` of `part` in `whole`; a dash when there is nothing to divide.
pub fn share(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".to_owned();
    }
    format!("{:.1} %", part as f64 * 100.0 / whole as f64).replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_read_with_a_decimal_comma() {
        assert_eq!(share(1, 8), "12,5 %");
        assert_eq!(share(0, 3), "0,0 %");
        assert_eq!(share(5, 0), "—");
    }
}
