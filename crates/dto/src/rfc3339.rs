//! Timestamps serialized exactly as chrono's serde writes them (RFC 3339, UTC, `Z`,
//! fractional seconds only as precise as needed: none, 3, 6 or 9 digits), without going
//! through `core::fmt`. The lead list writes up to four per row, and chrono's `Display`
//! path was ≈ 4 % of that endpoint's server CPU. Anything outside years 0–9999 or on a
//! leap second falls back to chrono. Deserialization is chrono's own.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// For `#[serde(serialize_with = "rfc3339::serialize")]` on a `DateTime<Utc>`.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match write(at, &mut buf) {
        // Only ASCII digits and separators are written.
        Some(len) => serializer.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or("")),
        None => serde::Serialize::serialize(at, serializer),
    }
}

/// For `#[serde(serialize_with = "rfc3339::option")]` on an `Option<DateTime<Utc>>`.
pub fn option<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// Writes `at` into `buf` and returns the length, or `None` when chrono should.
fn write(at: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = at.year();
    let nanos = at.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut value = value;
        for i in (0..digits).rev() {
            buf[at + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, at.month(), 2);
    put(8, at.day(), 2);
    put(11, at.hour(), 2);
    put(14, at.minute(), 2);
    put(17, at.second(), 2);
    let (fraction, digits) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if digits > 0 {
        put(20, fraction, digits);
    }
    for (at, separator) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        buf[at] = separator;
    }
    let mut len = 19;
    if digits > 0 {
        buf[19] = b'.';
        len = 20 + digits;
    }
    buf[len] = b'Z';
    Some(len + 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "serialize")] DateTime<Utc>);

    #[derive(serde::Serialize)]
    struct OursOption(#[serde(serialize_with = "option")] Option<DateTime<Utc>>);

    fn same_as_chrono(at: DateTime<Utc>) {
        assert_eq!(
            serde_json::to_string(&Ours(at)).unwrap(),
            serde_json::to_string(&at).unwrap(),
            "{at:?}"
        );
    }

    #[test]
    fn every_precision_and_the_edges_match_chrono() {
        let base = Utc.with_ymd_and_hms(2026, 11, 21, 2, 1, 1).unwrap();
        for nanos in [
            0,
            1,
            446_000_000,
            446_713_000,
            446_713_123,
            999_999_999,
            10_000,
        ] {
            same_as_chrono(base + chrono::Duration::nanoseconds(nanos));
        }
        same_as_chrono(Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap());
        same_as_chrono(Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap());
        // Outside four-digit years chrono's own format is used.
        same_as_chrono(Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap());
        same_as_chrono(Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(
            serde_json::to_string(&Ours(base)).unwrap(),
            "\"2026-11-21T02:01:01Z\""
        );
        // Ordinary timestamps take the fast path, not chrono's.
        assert_eq!(write(&base, &mut [0; 30]), Some(20));
        assert_eq!(
            write(&(base + chrono::Duration::microseconds(7)), &mut [0; 30]),
            Some(27)
        );
    }

    #[test]
    fn options_write_null_or_the_timestamp() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(serde_json::to_string(&OursOption(None)).unwrap(), "null");
        assert_eq!(
            serde_json::to_string(&OursOption(Some(at))).unwrap(),
            serde_json::to_string(&Some(at)).unwrap()
        );
    }

    #[test]
    fn a_leap_second_falls_back_to_chrono() {
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        same_as_chrono(leap);
    }

    proptest! {
        #[test]
        fn any_timestamp_matches_chrono(secs in -62_135_596_800i64..253_402_300_800i64 * 2, nanos in 0u32..1_000_000_000) {
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            same_as_chrono(at);
        }

        #[test]
        fn microsecond_timestamps_match_chrono(secs in 0i64..4_102_444_800i64, micros in 0u32..1_000_000) {
            // What PostgreSQL's `timestamptz` holds.
            let at = DateTime::from_timestamp(secs, micros * 1_000).unwrap();
            same_as_chrono(at);
        }
    }
}
