//! Per-mailbox sending budget within a pass: the daily cap (counted by the
//! organization's calendar day) and the minimum spacing between messages.

use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub daily_limit: i32,
    pub min_interval: Duration,
    pub sent_day: Option<NaiveDate>,
    pub sent_today: i32,
    pub next_slot_at: Option<DateTime<Utc>>,
    /// Messages told to wait for a slot in this pass (each gets its own later slot).
    waiting: i32,
    pub changed: bool,
}

/// What the budget allows for one message now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Send now (the message is counted).
    Now,
    /// Spacing: wait until then.
    At(DateTime<Utc>),
    /// The daily cap is used up: wait for the next open day.
    NextDay,
}

impl Budget {
    pub fn new(
        daily_limit: i32,
        min_interval_seconds: i32,
        sent_day: Option<NaiveDate>,
        sent_today: i32,
        next_slot_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            daily_limit,
            min_interval: Duration::seconds(i64::from(min_interval_seconds)),
            sent_day,
            sent_today,
            next_slot_at,
            waiting: 0,
            changed: false,
        }
    }

    /// Takes a slot for one message at `now` (local day `today`) if there is one.
    pub fn take(&mut self, now: DateTime<Utc>, today: NaiveDate) -> Slot {
        if self.sent_day != Some(today) {
            self.sent_day = Some(today);
            self.sent_today = 0;
            self.changed = true;
        }
        if self.sent_today >= self.daily_limit {
            return Slot::NextDay;
        }
        if let Some(next) = self.next_slot_at.filter(|next| *next > now) {
            self.waiting += 1;
            return Slot::At(next + self.min_interval * (self.waiting - 1));
        }
        self.sent_today += 1;
        self.next_slot_at = (self.min_interval > Duration::zero()).then(|| now + self.min_interval);
        self.changed = true;
        Slot::Now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn spacing_spreads_messages_and_the_cap_waits_for_the_next_day() {
        let now = at("2026-11-23T12:00:00Z");
        let today = day("2026-11-23");
        let mut budget = Budget::new(2, 60, None, 0, None);
        assert_eq!(budget.take(now, today), Slot::Now);
        // Next ones wait 1 and 2 minutes (each its own slot).
        assert_eq!(
            budget.take(now, today),
            Slot::At(at("2026-11-23T12:01:00Z"))
        );
        assert_eq!(
            budget.take(now, today),
            Slot::At(at("2026-11-23T12:02:00Z"))
        );
        let later = at("2026-11-23T12:01:00Z");
        let mut budget = Budget {
            waiting: 0,
            ..budget
        };
        assert_eq!(budget.take(later, today), Slot::Now);
        // Two sent today: the cap of 2 is reached.
        let later = at("2026-11-23T12:05:00Z");
        assert_eq!(budget.take(later, today), Slot::NextDay);
        // A new local day resets the count.
        assert_eq!(
            budget.take(at("2026-11-24T11:00:00Z"), day("2026-11-24")),
            Slot::Now
        );
        assert_eq!(budget.sent_today, 1);
    }

    #[test]
    fn no_spacing_sends_everything_now() {
        let now = at("2026-11-23T12:00:00Z");
        let mut budget = Budget::new(1000, 0, None, 0, None);
        for _ in 0..100 {
            assert_eq!(budget.take(now, day("2026-11-23")), Slot::Now);
        }
        assert_eq!(budget.sent_today, 100);
        assert!(budget.next_slot_at.is_none());
    }
}
