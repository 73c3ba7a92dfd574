//! Time as a dependency: core never calls `now()` itself, so every timeout, retention and
//! escalation rule can be tested on a simulated clock.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// A source of the current instant (UTC).
pub trait Clock: Send + Sync + 'static {
    /// The current instant, in UTC, truncated to microseconds (the precision stored).
    fn now(&self) -> OffsetDateTime;
}

/// Truncate an instant to whole microseconds, the precision of the database columns.
pub fn to_micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

/// The instant for a number of microseconds since the Unix epoch.
pub fn from_micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        from_micros(to_micros(OffsetDateTime::now_utc()))
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug, Clone)]
pub struct SimulatedClock(Arc<Mutex<OffsetDateTime>>);

impl SimulatedClock {
    /// A clock stopped at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        SimulatedClock(Arc::new(Mutex::new(from_micros(to_micros(start)))))
    }
    /// Move the clock forward.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().map(|t| *t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The instant in Europe/Paris civil time (CET, or CEST from the last Sunday of March to
/// the last Sunday of October, switching at 01:00 UTC), for display.
pub fn to_paris(t: OffsetDateTime) -> OffsetDateTime {
    let year = t.year();
    let last_sunday = |month: time::Month| {
        let mut d = time::Date::from_calendar_date(year, month, 31).unwrap_or(time::Date::MIN);
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day().unwrap_or(time::Date::MIN);
        }
        time::PrimitiveDateTime::new(d, time::Time::from_hms(1, 0, 0).unwrap_or(time::Time::MIDNIGHT)).assume_utc()
    };
    let summer = t >= last_sunday(time::Month::March) && t < last_sunday(time::Month::October);
    let offset = time::UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(time::UtcOffset::UTC);
    t.to_offset(offset)
}

/// "27/11/2026 10:00" in Paris time.
pub fn format_paris(t: OffsetDateTime) -> String {
    let p = to_paris(t);
    format!("{:02}/{:02}/{} {:02}:{:02}", p.day(), u8::from(p.month()), p.year(), p.hour(), p.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn paris_time_follows_summer_time() {
        assert_eq!(format_paris(datetime!(2026-11-27 09:00 UTC)), "27/11/2026 10:00");
        assert_eq!(format_paris(datetime!(2026-07-14 10:00 UTC)), "14/07/2026 12:00");
        // 2026-03-29 is the last Sunday of March: the change happens at 01:00 UTC.
        assert_eq!(format_paris(datetime!(2026-03-29 00:59 UTC)), "29/03/2026 01:59");
        assert_eq!(format_paris(datetime!(2026-03-29 01:00 UTC)), "29/03/2026 03:00");
        assert_eq!(format_paris(datetime!(2026-10-25 01:00 UTC)), "25/10/2026 02:00");
    }

    #[test]
    fn micros_round_trip() {
        let t = datetime!(2026-11-27 09:00:00.123456 UTC);
        assert_eq!(from_micros(to_micros(t)), t);
    }
}

/// A date as French readers write it: `27/11/2026`.
pub fn format_date_fr(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}
