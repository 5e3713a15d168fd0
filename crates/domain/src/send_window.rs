//! When an organization sends: weekdays and hours in its time zone, never on a
//! national holiday or on a state holiday of the lead's UF, and (unless the
//! organization opts in) not on pontos facultativos.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::holidays::{holidays_on, HolidayKind};

pub const DEFAULT_TIMEZONE: &str = "America/Sao_Paulo";

/// The hour of day of `at` in `timezone` (IANA name); `None` for an unknown zone.
pub fn local_hour(timezone: &str, at: DateTime<Utc>) -> Option<u32> {
    let tz: Tz = timezone.parse().ok()?;
    Some(at.with_timezone(&tz).hour())
}

/// The first instant of `day` in `timezone` (IANA name); `None` for an unknown zone.
/// Where a DST change skips midnight, the day starts at the first local time it has.
pub fn day_start(timezone: &str, day: NaiveDate) -> Option<DateTime<Utc>> {
    let tz: Tz = timezone.parse().ok()?;
    (0..=2).find_map(|hour| {
        tz.from_local_datetime(&day.and_hms_opt(hour, 0, 0)?)
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendWindow {
    timezone: Tz,
    /// Indexed by `Weekday::num_days_from_monday`.
    days: [bool; 7],
    start: NaiveTime,
    end: NaiveTime,
    skip_optional_holidays: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendWindowError {
    #[error("fuso horário desconhecido {0:?} (use um nome IANA, ex.: America/Sao_Paulo)")]
    UnknownTimezone(String),
    #[error("escolha ao menos um dia da semana")]
    NoDays,
    #[error("o início ({start}) deve ser antes do fim ({end})")]
    StartNotBeforeEnd { start: NaiveTime, end: NaiveTime },
}

impl SendWindowError {
    /// The settings field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UnknownTimezone(_) => "timezone",
            Self::NoDays => "days",
            Self::StartNotBeforeEnd { .. } => "end",
        }
    }
}

impl Default for SendWindow {
    /// Monday to Friday, 08:00–18:00 in São Paulo, skipping pontos facultativos.
    fn default() -> Self {
        Self {
            timezone: chrono_tz::America::Sao_Paulo,
            days: [true, true, true, true, true, false, false],
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN),
            skip_optional_holidays: true,
        }
    }
}

impl SendWindow {
    pub fn new(
        timezone: &str,
        days: &[Weekday],
        start: NaiveTime,
        end: NaiveTime,
        skip_optional_holidays: bool,
    ) -> Result<Self, SendWindowError> {
        let timezone: Tz = timezone
            .parse()
            .map_err(|_| SendWindowError::UnknownTimezone(timezone.to_owned()))?;
        if days.is_empty() {
            return Err(SendWindowError::NoDays);
        }
        if start >= end {
            return Err(SendWindowError::StartNotBeforeEnd { start, end });
        }
        let mut open = [false; 7];
        for day in days {
            open[day.num_days_from_monday() as usize] = true;
        }
        Ok(Self {
            timezone,
            days: open,
            start,
            end,
            skip_optional_holidays,
        })
    }

    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// The calendar day of `at` in the organization's time zone (daily caps count by it).
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    pub fn local_hour(&self, at: DateTime<Utc>) -> u32 {
        at.with_timezone(&self.timezone).hour()
    }

    /// `at` itself when the window is open then for a lead in `uf`, else the next
    /// moment it opens.
    pub fn next_open(&self, at: DateTime<Utc>, uf: Option<&str>) -> DateTime<Utc> {
        let local = at.with_timezone(&self.timezone);
        let today = local.date_naive();
        // A year and a bit: every weekday of a year cannot be a holiday, so a window
        // with at least one day always opens within this range.
        for offset in 0..=400 {
            let date = today + Duration::days(offset);
            let Some(opens) = self.opening_on(date, uf) else {
                continue;
            };
            if offset > 0 || local.time() < opens {
                return self.at_local(date, opens);
            }
            if local.time() < self.end {
                return at;
            }
        }
        at
    }

    pub fn is_open(&self, at: DateTime<Utc>, uf: Option<&str>) -> bool {
        self.next_open(at, uf) == at
    }

    /// The start of the next open day strictly after `at`'s local day (where a
    /// sender whose daily cap is used up resumes).
    pub fn next_day_open(&self, at: DateTime<Utc>, uf: Option<&str>) -> DateTime<Utc> {
        let date = self.local_date(at) + Duration::days(1);
        self.next_open(self.at_local(date, NaiveTime::MIN), uf)
    }

    /// When sending may start on `date`, or `None` when the day is closed.
    fn opening_on(&self, date: NaiveDate, uf: Option<&str>) -> Option<NaiveTime> {
        if !self.days[date.weekday().num_days_from_monday() as usize] {
            return None;
        }
        let mut opens = self.start;
        for holiday in holidays_on(date, uf) {
            match (holiday.kind, holiday.closed_until) {
                (HolidayKind::Optional, _) if !self.skip_optional_holidays => {}
                (HolidayKind::Optional, Some(until)) => opens = opens.max(until),
                _ => return None,
            }
        }
        (opens < self.end).then_some(opens)
    }

    /// A local wall-clock time as UTC; a time skipped by a DST change moves forward.
    fn at_local(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let mut wall = date.and_time(time);
        for _ in 0..4 {
            if let Some(at) = self.timezone.from_local_datetime(&wall).earliest() {
                return at.with_timezone(&Utc);
            }
            wall += Duration::minutes(30);
        }
        Utc.from_utc_datetime(&wall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(
            day_start("America/Sao_Paulo", day),
            Some(utc("2026-11-22T03:00:00Z"))
        );
        assert_eq!(
            day_start("America/Manaus", day),
            Some(utc("2026-11-22T04:00:00Z"))
        );
        assert_eq!(day_start("Mars/Olympus", day), None);
        // 2018-11-04: Brazil's last DST began at midnight, so the day began at 01:00.
        let dst = NaiveDate::from_ymd_opt(2018, 11, 4).unwrap();
        assert_eq!(
            day_start("America/Sao_Paulo", dst),
            Some(utc("2018-11-04T03:00:00Z"))
        );
    }

    #[test]
    fn inside_the_window_sends_now() {
        let w = SendWindow::default();
        // Tuesday 2026-11-24 10:00 in São Paulo (UTC−3).
        let at = utc("2026-11-24T13:00:00Z");
        assert_eq!(w.next_open(at, Some("SP")), at);
    }

    #[test]
    fn before_hours_waits_for_the_opening_and_after_hours_for_tomorrow() {
        let w = SendWindow::default();
        assert_eq!(
            w.next_open(utc("2026-11-24T09:59:00Z"), None),
            utc("2026-11-24T11:00:00Z")
        );
        assert_eq!(
            w.next_open(utc("2026-11-24T21:00:00Z"), None),
            utc("2026-11-25T11:00:00Z")
        );
    }

    #[test]
    fn weekends_and_national_holidays_are_skipped() {
        let w = SendWindow::default();
        // Friday 2026-11-20 is Consciência Negra; next open is Monday 23rd 08:00.
        assert_eq!(
            w.next_open(utc("2026-11-19T22:00:00Z"), None),
            utc("2026-11-23T11:00:00Z")
        );
    }

    #[test]
    fn state_holidays_follow_the_leads_uf() {
        let w = SendWindow::default();
        // Thursday 2026-07-09: holiday in São Paulo only.
        let at = utc("2026-07-09T13:00:00Z");
        assert_eq!(w.next_open(at, Some("RJ")), at);
        assert_eq!(w.next_open(at, Some("SP")), utc("2026-07-10T11:00:00Z"));
    }

    #[test]
    fn carnaval_is_skipped_unless_the_org_sends_on_optional_days() {
        let skip = SendWindow::default();
        let monday = utc("2026-02-16T13:00:00Z");
        // Monday and Tuesday closed; Ash Wednesday opens at 14:00.
        assert_eq!(skip.next_open(monday, None), utc("2026-02-18T17:00:00Z"));
        let send = SendWindow::new(
            DEFAULT_TIMEZONE,
            &[
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            false,
        )
        .unwrap();
        assert_eq!(send.next_open(monday, None), monday);
    }

    #[test]
    fn other_time_zones_and_days_are_honoured() {
        let w = SendWindow::new(
            "Asia/Tokyo",
            &[Weekday::Sat],
            NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            true,
        )
        .unwrap();
        // Tuesday → next Saturday 2026-11-28 09:30 JST = 00:30 UTC.
        assert_eq!(
            w.next_open(utc("2026-11-24T13:00:00Z"), None),
            utc("2026-11-28T00:30:00Z")
        );
        assert_eq!(
            w.local_date(utc("2026-11-27T15:30:00Z")).to_string(),
            "2026-11-28"
        );
    }

    #[test]
    fn next_day_open_skips_the_rest_of_today() {
        let w = SendWindow::default();
        assert_eq!(
            w.next_day_open(utc("2026-11-24T13:00:00Z"), None),
            utc("2026-11-25T11:00:00Z")
        );
        // From a Friday: Monday.
        assert_eq!(
            w.next_day_open(utc("2026-11-27T13:00:00Z"), None),
            utc("2026-11-30T11:00:00Z")
        );
    }

    #[test]
    fn invalid_settings_name_their_field() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert_eq!(
            SendWindow::new("Mars/Base", &[Weekday::Mon], t(8), t(9), true)
                .unwrap_err()
                .field(),
            "timezone"
        );
        assert_eq!(
            SendWindow::new(DEFAULT_TIMEZONE, &[], t(8), t(9), true)
                .unwrap_err()
                .field(),
            "days"
        );
        assert_eq!(
            SendWindow::new(DEFAULT_TIMEZONE, &[Weekday::Mon], t(9), t(9), true)
                .unwrap_err()
                .field(),
            "end"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_next_opening_is_never_earlier_and_always_open(secs in 1_700_000_000i64..2_200_000_000i64, uf in proptest::sample::select(vec!["SP", "AC", "SC", "PE", "XX"])) {
            let w = SendWindow::default();
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let next = w.next_open(at, Some(uf));
            proptest::prop_assert!(next >= at);
            proptest::prop_assert!(w.is_open(next, Some(uf)));
            proptest::prop_assert!(next - at < Duration::days(12));
        }
    }
}
