//! Time as the domain sees it: a UTC instant in milliseconds, and the hall's
//! business day.
//!
//! The core never reads the clock. Callers pass `now` in; tests pass whatever
//! instant they like. The business day is the calendar date in the hall's time
//! zone, so numbering resets at local midnight without any cron job.

use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A calendar day in the hall's time zone; ticket numbers restart each day.
pub type BusinessDay = Date;

/// The business day that `at` falls on in `tz`.
///
/// Instants outside jiff's supported range (year -9999..=9999) clamp to its
/// ends; no real clock produces them.
pub fn business_day(at: Millis, tz: &TimeZone) -> BusinessDay {
    let ts = jiff::Timestamp::from_millisecond(at).unwrap_or(if at < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    ts.to_zoned(tz.clone()).date()
}

/// The first instant of the business day after the one `at` falls on:
/// when today's sessions end.
pub fn day_end(at: Millis, tz: &TimeZone) -> Millis {
    let next = business_day(at, tz).tomorrow().ok();
    next.and_then(|d| d.to_zoned(tz.clone()).ok())
        .map_or(Millis::MAX, |z| z.timestamp().as_millisecond())
}

/// Formats `at` as RFC 3339 with the hall's UTC offset, e.g.
/// `2026-11-22T09:05:00+08:00`: what people in the hall read.
pub fn local_rfc3339(at: Millis, tz: &TimeZone) -> String {
    local_format(at, tz, "%Y-%m-%dT%H:%M:%S%:z").unwrap_or_else(|| "invalid-time".into())
}

/// Formats `at` in the hall's time zone with a `strftime` pattern; `None`
/// for an instant out of range.
pub fn local_format(at: Millis, tz: &TimeZone, pattern: &str) -> Option<String> {
    let ts = jiff::Timestamp::from_millisecond(at).ok()?;
    Some(ts.to_zoned(tz.clone()).strftime(pattern).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(at_utc: &str, tz: &str, expect: &str) {
        let ts: jiff::Timestamp = at_utc.parse().unwrap();
        let tz = TimeZone::get(tz).unwrap();
        assert_eq!(
            business_day(ts.as_millisecond(), &tz).to_string(),
            expect,
            "{at_utc} in {tz:?}"
        );
    }

    #[test]
    fn business_day_follows_local_midnight() {
        // 23:59 UTC on the 21st is 07:59 on the 22nd in Shanghai.
        check("2026-11-21T23:59:00Z", "Asia/Shanghai", "2026-11-22");
        check("2026-11-21T15:59:59Z", "Asia/Shanghai", "2026-11-21");
        check("2026-11-21T16:00:00Z", "Asia/Shanghai", "2026-11-22");
        check("2026-11-22T04:59:59Z", "America/New_York", "2026-11-21");
        check("2026-11-22T05:00:00Z", "America/New_York", "2026-11-22");
    }

    #[test]
    fn the_day_ends_at_the_next_local_midnight() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let at: jiff::Timestamp = "2026-11-22T01:05:00Z".parse().unwrap();
        let end: jiff::Timestamp = "2026-11-22T16:00:00Z".parse().unwrap();
        assert_eq!(day_end(at.as_millisecond(), &tz), end.as_millisecond());
        assert_eq!(day_end(end.as_millisecond() - 1, &tz), end.as_millisecond());
    }

    #[test]
    fn local_time_carries_the_offset() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let ts: jiff::Timestamp = "2026-11-22T01:05:00Z".parse().unwrap();
        assert_eq!(
            local_rfc3339(ts.as_millisecond(), &tz),
            "2026-11-22T09:05:00+08:00"
        );
    }
}
