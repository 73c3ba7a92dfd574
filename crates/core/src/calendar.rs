//! French business days (contract Art. 3: an incident escalates when a side has not answered
//! within 10 business days). A business day is a Monday to Friday that is not a public
//! holiday. The public holidays are the eleven of the Labour Code (art. L3133-1): 1 January,
//! Easter Monday, 1 May, 8 May, Ascension Thursday, Whit Monday, 14 July, 15 August,
//! 1 November, 11 November, 25 December; in Alsace-Moselle (Bas-Rhin, Haut-Rhin, Moselle;
//! local law, art. L3134-13) also Good Friday and 26 December. The moveable feasts follow
//! Easter Sunday (Gregorian computus): Good Friday −2 days, Easter Monday +1, Ascension
//! +39, Whit Monday +50.
//!
//! Everything here is a pure function of its arguments. Checked against an independent
//! reference (the `holidays` package and numpy's `busday_offset`) for every start date
//! from 2008 to 2040: `tools/calendar_reference.py`.

use serde::Deserialize;
use time::{Date, Duration, Month, Weekday};

/// Which calendar applies: metropolitan France, or Alsace-Moselle with its two extra days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    #[default]
    France,
    AlsaceMoselle,
}

impl Calendar {
    /// The configured name (`france`, `alsace_moselle`).
    pub fn parse(s: &str) -> Option<Calendar> {
        match s.trim() {
            "france" => Some(Calendar::France),
            "alsace_moselle" | "alsace-moselle" => Some(Calendar::AlsaceMoselle),
            _ => None,
        }
    }
}

/// The caisse's service desk (contract Art. 3, 4): its calendar, its office hours (Paris
/// time, Monday to Friday on business days) and the delay after which an unanswered
/// incident escalates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskPolicy {
    pub calendar: Calendar,
    /// Opening time, `HH:MM`.
    pub opens: String,
    /// Closing time, `HH:MM`.
    pub closes: String,
    /// Business days without an answer after which an incident escalates.
    pub answer_business_days: u32,
}

impl Default for DeskPolicy {
    fn default() -> Self {
        DeskPolicy { calendar: Calendar::France, opens: "08:30".into(), closes: "17:30".into(), answer_business_days: 10 }
    }
}

fn hh_mm(s: &str) -> Option<time::Time> {
    let (h, m) = s.trim().split_once(':')?;
    time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

impl DeskPolicy {
    /// The opening and closing times, if both are `HH:MM` and the desk opens before it
    /// closes.
    pub fn hours(&self) -> Option<(time::Time, time::Time)> {
        let (o, c) = (hh_mm(&self.opens)?, hh_mm(&self.closes)?);
        (o < c).then_some((o, c))
    }

    /// A sentence for the configuration file's reader when the policy cannot hold.
    pub fn validate(&self) -> Result<(), String> {
        if self.hours().is_none() {
            return Err(format!("desk : opens et closes doivent être des heures HH:MM, l'ouverture avant la fermeture (reçu « {} » et « {} »)", self.opens, self.closes));
        }
        if !(1..=60).contains(&self.answer_business_days) {
            return Err("desk : answer_business_days doit être entre 1 et 60".into());
        }
        Ok(())
    }

    /// Whether the desk is open at `local` (Paris time).
    pub fn is_open(&self, local: time::PrimitiveDateTime) -> bool {
        let Some((o, c)) = self.hours() else { return false };
        is_business_day(local.date(), self.calendar) && local.time() >= o && local.time() < c
    }

    /// When the desk next opens at or after `local` (Paris time): `local` itself when open.
    pub fn next_opening(&self, local: time::PrimitiveDateTime) -> Option<time::PrimitiveDateTime> {
        let (o, _) = self.hours()?;
        if self.is_open(local) {
            return Some(local);
        }
        let mut day = local.date();
        if !(is_business_day(day, self.calendar) && local.time() < o) {
            day = add_business_days(day, 1, self.calendar)?;
        }
        Some(time::PrimitiveDateTime::new(day, o))
    }
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm published by
/// Meeus, after Jones and Butcher, 1876). `None` outside the dates `time` represents.
pub fn easter(year: i32) -> Option<Date> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// The public holidays of `year` under `calendar`, in date order, with their French names.
/// Two feasts on one day (Ascension on 1 May 2008) give one holiday, under the first name.
pub fn holidays(year: i32, calendar: Calendar) -> Vec<(Date, &'static str)> {
    let fixed = |m: Month, d: u8| Date::from_calendar_date(year, m, d).ok();
    let easter = easter(year);
    let after = |days: i64| easter.and_then(|e| e.checked_add(Duration::days(days)));
    let mut all: Vec<(Option<Date>, &'static str)> = vec![
        (fixed(Month::January, 1), "Jour de l'an"),
        (after(1), "Lundi de Pâques"),
        (fixed(Month::May, 1), "Fête du Travail"),
        (fixed(Month::May, 8), "Victoire 1945"),
        (after(39), "Ascension"),
        (after(50), "Lundi de Pentecôte"),
        (fixed(Month::July, 14), "Fête nationale"),
        (fixed(Month::August, 15), "Assomption"),
        (fixed(Month::November, 1), "Toussaint"),
        (fixed(Month::November, 11), "Armistice 1918"),
        (fixed(Month::December, 25), "Noël"),
    ];
    if calendar == Calendar::AlsaceMoselle {
        all.push((after(-2), "Vendredi saint"));
        all.push((fixed(Month::December, 26), "Saint-Étienne"));
    }
    let mut out: Vec<(Date, &'static str)> = all.into_iter().filter_map(|(d, n)| d.map(|d| (d, n))).collect();
    out.sort_by_key(|(d, _)| *d);
    out.dedup_by_key(|(d, _)| *d);
    out
}

/// Whether `date` is a public holiday under `calendar`.
pub fn is_holiday(date: Date, calendar: Calendar) -> bool {
    holidays(date.year(), calendar).iter().any(|(d, _)| *d == date)
}

/// Whether `date` is a business day: Monday to Friday, not a public holiday.
pub fn is_business_day(date: Date, calendar: Calendar) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_holiday(date, calendar)
}

/// The date `n` business days after `date`: the `n`-th business day strictly after it
/// (`date` itself when `n` is 0, whatever day it is). `None` past the dates `time`
/// represents.
pub fn add_business_days(date: Date, n: u32, calendar: Calendar) -> Option<Date> {
    let mut d = date;
    let mut left = n;
    // The holidays of the year at hand, recomputed only when the year changes.
    let mut year = d.year();
    let mut off = holidays(year, calendar);
    while left > 0 {
        d = d.next_day()?;
        if d.year() != year {
            year = d.year();
            off = holidays(year, calendar);
        }
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !off.iter().any(|(h, _)| *h == d) {
            left -= 1;
        }
    }
    Some(d)
}

/// How many business days lie after `from` up to and including `to` (0 when `to` is not
/// after `from`): the days left before a due date, or the days already waited.
pub fn business_days_between(from: Date, to: Date, calendar: Calendar) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
        if is_business_day(d, calendar) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_desk_opens_on_business_days_only() {
        use time::macros::datetime;
        let desk = DeskPolicy::default();
        assert!(desk.is_open(datetime!(2026-12-01 10:00)));
        assert!(!desk.is_open(datetime!(2026-12-01 17:30)), "closes at 17:30");
        // Friday evening → Monday 08:30; Thursday 24 Dec evening → Monday 28 (25 is off).
        assert_eq!(desk.next_opening(datetime!(2026-11-27 18:00)), Some(datetime!(2026-11-30 08:30)));
        assert_eq!(desk.next_opening(datetime!(2026-12-24 18:00)), Some(datetime!(2026-12-28 08:30)));
        assert_eq!(desk.next_opening(datetime!(2026-12-01 07:00)), Some(datetime!(2026-12-01 08:30)));
        assert!(DeskPolicy { opens: "18:00".into(), ..DeskPolicy::default() }.validate().is_err());
    }

    #[test]
    fn easter_falls_on_the_known_sundays() {
        // Dates from the Church's tables, including the extremes of the range of Easter.
        for (y, d) in [(1818, date!(1818 - 03 - 22)), (1943, date!(1943 - 04 - 25)), (2008, date!(2008 - 03 - 23)), (2019, date!(2019 - 04 - 21)), (2024, date!(2024 - 03 - 31)), (2025, date!(2025 - 04 - 20)), (2038, date!(2038 - 04 - 25)), (2285, date!(2285 - 03 - 22))] {
            assert_eq!(easter(y), Some(d), "{y}");
        }
        for y in 1583..3000 {
            let e = easter(y).unwrap();
            assert_eq!(e.weekday(), Weekday::Sunday, "{y}");
            assert!(e >= Date::from_calendar_date(y, Month::March, 22).unwrap() && e <= Date::from_calendar_date(y, Month::April, 25).unwrap(), "{y}");
        }
    }

    #[test]
    fn the_holidays_of_2026_and_the_alsace_moselle_days() {
        let fr: Vec<Date> = holidays(2026, Calendar::France).into_iter().map(|(d, _)| d).collect();
        assert_eq!(fr, vec![
            date!(2026 - 01 - 01), date!(2026 - 04 - 06), date!(2026 - 05 - 01), date!(2026 - 05 - 08), date!(2026 - 05 - 14), date!(2026 - 05 - 25),
            date!(2026 - 07 - 14), date!(2026 - 08 - 15), date!(2026 - 11 - 01), date!(2026 - 11 - 11), date!(2026 - 12 - 25),
        ]);
        let am = holidays(2026, Calendar::AlsaceMoselle);
        assert_eq!(am.len(), 13);
        assert!(am.contains(&(date!(2026 - 04 - 03), "Vendredi saint")) && am.contains(&(date!(2026 - 12 - 26), "Saint-Étienne")));
        // 2008: Ascension on 1 May, one holiday.
        assert_eq!(holidays(2008, Calendar::France).len(), 10);
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let fr = Calendar::France;
        // Friday 24 April 2026 + 1 = Monday 27; + 10 crosses 1 May (Fri) and 8 May (Fri).
        assert_eq!(add_business_days(date!(2026 - 04 - 24), 1, fr), Some(date!(2026 - 04 - 27)));
        assert_eq!(add_business_days(date!(2026 - 04 - 24), 10, fr), Some(date!(2026 - 05 - 12)));
        // From a Saturday, the first business day after is Monday.
        assert_eq!(add_business_days(date!(2026 - 11 - 28), 1, fr), Some(date!(2026 - 11 - 30)));
        assert_eq!(add_business_days(date!(2026 - 11 - 28), 0, fr), Some(date!(2026 - 11 - 28)));
        // Christmas: in Alsace-Moselle the 26th is off as well.
        assert_eq!(add_business_days(date!(2025 - 12 - 24), 1, fr), Some(date!(2025 - 12 - 26)));
        assert_eq!(add_business_days(date!(2025 - 12 - 24), 1, Calendar::AlsaceMoselle), Some(date!(2025 - 12 - 29)));
        assert_eq!(business_days_between(date!(2026 - 04 - 24), date!(2026 - 05 - 12), fr), 10);
        assert_eq!(business_days_between(date!(2026 - 05 - 12), date!(2026 - 04 - 24), fr), 0);
    }

    /// Every start date from 1 January 2008 to 31 December 2040, in both calendars, for 1
    /// and 10 business days, against the reference (`tools/calendar_reference.py`: the
    /// `holidays` package for the holidays, numpy's `busday_offset` for the arithmetic);
    /// and each year's holidays against the package's.
    #[test]
    fn every_start_date_from_2008_to_2040_matches_the_reference() {
        let reference = include_str!("../tests/data/business_days_reference.txt");
        let (mut dates, mut years) = (0usize, 0usize);
        for line in reference.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.split(' ');
            let kind = parts.next().unwrap();
            let calendar = match parts.next().unwrap() {
                "fr" => Calendar::France,
                "am" => Calendar::AlsaceMoselle,
                other => panic!("unknown calendar {other}"),
            };
            match kind {
                "H" => {
                    let year: i32 = parts.next().unwrap().parse().unwrap();
                    let expected: Vec<String> = parts.map(str::to_string).collect();
                    let ours: Vec<String> = holidays(year, calendar).into_iter().map(|(d, _)| d.to_string()).collect();
                    assert_eq!(ours, expected, "{calendar:?} {year}");
                    years += 1;
                }
                "D" => {
                    let n: u32 = parts.next().unwrap().parse().unwrap();
                    let year: i32 = parts.next().unwrap().parse().unwrap();
                    let mut d = Date::from_calendar_date(year, Month::January, 1).unwrap();
                    for c in parts.next().unwrap().chars() {
                        let expected = d + Duration::days(i64::from(n) + (c as i64 - 48));
                        assert_eq!(add_business_days(d, n, calendar), Some(expected), "{calendar:?}: {d} + {n}");
                        d = d.next_day().unwrap();
                        dates += 1;
                    }
                    assert_eq!(d.year(), year + 1, "a whole year");
                }
                other => panic!("unknown line kind {other}"),
            }
        }
        // 2 calendars × 2 values of n × 12,054 days, and 2 × 33 years of holidays.
        assert_eq!((dates, years), (48_216, 66));
    }
}
