//! Timestamps serialized exactly as chrono's serde writes them (RFC 3339, UTC, `Z`,
//! fractional seconds only as precise as needed: none, 3, 6 or 9 digits), without going
//! through `core::fmt`. The lead list writes up to four per row, and chrono's `Display`
//! path was ≈ 4 % of that endpoint's server CPU. Anything outside years 0–9999 or on a
//! leap second falls back to chrono.
//!
//! `deserialize_option` reads them back without chrono's general-purpose parser, for
//! the few timestamps the SPA decodes on its first load (error bodies): that parser is
//! about 9 KB of the download, gzipped. Other fields use chrono's own `Deserialize`.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

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

/// For `#[serde(default, deserialize_with = "rfc3339::deserialize_option")]` on an
/// `Option<DateTime<Utc>>`: `null` or an RFC 3339 timestamp (see `parse`).
pub fn deserialize_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(raw) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    parse(&raw).map(Some).ok_or_else(|| {
        D::Error::invalid_value(
            serde::de::Unexpected::Str(&raw),
            &"an RFC 3339 timestamp such as 2026-01-31T12:00:00Z",
        )
    })
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the RFC 3339 `date-time` with an
/// upper- or lower-case `T` and `Z`. Fractions past nanoseconds are cut, as chrono
/// does. Leap seconds (`:60`) are refused: nothing Flux writes carries one.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    let b = raw.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        b.get(from..from + len)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| b.get(at) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't'))
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 2)?,
        number(8, 2)?,
    )?;
    let (hour, minute, second) = (number(11, 2)?, number(14, 2)?, number(17, 2)?);
    let mut at = 19;
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let kept = digits.min(9);
        nanos = number(at, kept)? * 10u32.pow(9 - kept as u32);
        at += digits;
    }
    let offset = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (hours, minutes) = (number(at + 1, 2)?, number(at + 4, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    let local = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some(
        local
            .checked_sub_signed(TimeDelta::seconds(offset))?
            .and_utc(),
    )
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

    #[derive(serde::Deserialize)]
    struct Read(#[serde(deserialize_with = "deserialize_option")] Option<DateTime<Utc>>);

    fn read(json: &str) -> Result<Option<DateTime<Utc>>, serde_json::Error> {
        serde_json::from_str::<Read>(json).map(|r| r.0)
    }

    #[test]
    fn reads_what_is_written_and_offsets() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(read("null").unwrap(), None);
        assert_eq!(read("\"2026-01-02T03:04:05Z\"").unwrap(), Some(at));
        assert_eq!(read("\"2026-01-02t03:04:05z\"").unwrap(), Some(at));
        assert_eq!(read("\"2026-01-02T00:04:05-03:00\"").unwrap(), Some(at));
        assert_eq!(
            read("\"2026-01-02T03:04:05.1234567891Z\"").unwrap(),
            Some(at + chrono::Duration::nanoseconds(123_456_789))
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp_naming_the_value() {
        for bad in [
            "2026-01-02",
            "2026-01-02T03:04:05",
            "2026-02-30T03:04:05Z",
            "2026-01-02T24:00:00Z",
            "2026-01-02T03:04:05.Z",
            "2026-01-02T03:04:05+0300",
            "2026-01-02T03:04:05+24:00",
            "2026-01-02T03:04:05Zjunk",
            "2026-01-02 03:04:05Z",
            "+2026-01-02T03:04:05Z",
            "",
        ] {
            let err = read(&format!("\"{bad}\"")).unwrap_err().to_string();
            assert!(err.contains("RFC 3339"), "{bad}: {err}");
        }
    }

    proptest! {
        #[test]
        fn reads_back_any_written_timestamp(secs in -62_135_596_800i64..253_402_300_800i64, nanos in 0u32..1_000_000_000) {
            let at = DateTime::from_timestamp(secs, nanos).unwrap();
            let json = serde_json::to_string(&Ours(at)).unwrap();
            prop_assert_eq!(read(&json).unwrap(), Some(at));
        }

        #[test]
        fn agrees_with_chrono_on_near_timestamps(raw in "[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{0,12})?([Zz]|[+-][0-2][0-9]:[0-5][0-9]|)") {
            // Whatever this parser accepts, chrono reads as the same instant; whatever it
            // refuses that chrono accepts is a leap second or a space for `T`.
            match (parse(&raw), DateTime::parse_from_rfc3339(&raw)) {
                (Some(ours), Ok(theirs)) => prop_assert_eq!(ours, theirs.with_timezone(&Utc)),
                (Some(ours), Err(e)) => prop_assert!(false, "{raw}: ours {ours}, chrono {e}"),
                (None, Ok(_)) => prop_assert!(raw.contains(' ') || &raw[17..19] == "60", "{raw}"),
                (None, Err(_)) => {}
            }
        }

        #[test]
        fn never_panics(raw in "\\PC{0,40}") {
            let _ = parse(&raw);
        }

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
