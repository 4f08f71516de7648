//! Times as people read them: "2026-11-22 03:12:00 UTC (in 59 min)", and a live countdown.

use leptos::prelude::*;
use std::time::Duration;

/// Seconds since the Unix epoch, as JWT `exp`, `iat` and `auth_time` claims carry them.
pub type UnixSeconds = i64;

/// The wall clock in Unix seconds (the browser's clock; host tests never call it).
pub fn now_unix() -> UnixSeconds {
    (js_sys::Date::now() / 1000.0).floor() as UnixSeconds
}

/// `2026-11-22 03:12:00 UTC`, or the raw number when it is outside the years -9999 to 9999.
pub fn format_utc(at: UnixSeconds) -> String {
    const DAY: i64 = 86_400;
    let (days, second_of_day) = (at.div_euclid(DAY), at.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    if !(-9999..=9999).contains(&year) {
        return format!("{at} (not a valid time)");
    }
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{sign}{:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        year.unsigned_abs(),
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01, by Howard
/// Hinnant's `civil_from_days` (small integer arithmetic instead of a calendar crate).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// How far `at` is from `now` in words: "in 59 min", "3 h 5 min ago", "now".
pub fn relative(at: UnixSeconds, now: UnixSeconds) -> String {
    let delta = at - now;
    let span = approximate_span(delta.unsigned_abs());
    match delta {
        0 => "now".to_owned(),
        1.. => format!("in {span}"),
        _ => format!("{span} ago"),
    }
}

/// Whether a time claim may lie ahead or only behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeKind {
    /// `exp`, `nbf`: a moment that may be to come.
    Either,
    /// `iat`, `auth_time`: a moment that has happened. One that seems a moment ahead only
    /// reflects the shared clock's one-second ticks (or the issuer's clock being a little
    /// ahead): it reads "now", never "in 1 s".
    Past,
}

/// Both forms together: "2026-11-22 03:12:00 UTC (in 59 min)".
pub fn format_with_relative(at: UnixSeconds, now: UnixSeconds, kind: TimeKind) -> String {
    let words = match kind {
        TimeKind::Past if at > now => "now".to_owned(),
        _ => relative(at, now),
    };
    format!("{} ({words})", format_utc(at))
}

/// A coarse span: seconds under a minute, minutes under an hour, then hours and days.
fn approximate_span(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match seconds {
        0..MINUTE => format!("{seconds} s"),
        MINUTE..HOUR => format!("{} min", seconds / MINUTE),
        HOUR..DAY => match (seconds % HOUR) / MINUTE {
            0 => format!("{} h", seconds / HOUR),
            minutes => format!("{} h {minutes} min", seconds / HOUR),
        },
        _ => match seconds / DAY {
            1 => "1 day".to_owned(),
            days => format!("{days} days"),
        },
    }
}

/// A countdown clock, "59:07" or "1:02:03", or "expired" once the moment has passed.
pub fn countdown(until: UnixSeconds, now: UnixSeconds) -> String {
    let Ok(left) = u64::try_from(until - now) else {
        return "expired".to_owned();
    };
    let (hours, minutes, seconds) = (left / 3600, (left % 3600) / 60, left % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// Claims whose values are Unix times, shown in readable form next to the number, and whether
/// they lie ahead or behind.
pub fn time_claim(name: &str) -> Option<TimeKind> {
    match name {
        "exp" | "nbf" => Some(TimeKind::Either),
        "iat" | "auth_time" => Some(TimeKind::Past),
        _ => None,
    }
}

/// The app's one ticking clock, shared so that a page full of times runs a single timer.
#[derive(Clone, Copy, Debug)]
struct Clock(ReadSignal<UnixSeconds>);

/// Starts the shared clock for everything below; once, in the shell.
pub fn provide_clock() {
    provide_context(Clock(ticking()));
}

/// The current Unix time, updated every second: the shared clock, or a clock of the caller's own
/// outside the shell.
pub fn use_clock() -> ReadSignal<UnixSeconds> {
    use_context::<Clock>().map_or_else(ticking, |clock| clock.0)
}

/// A signal holding the current Unix time, ticking every second while the caller's owner lives.
fn ticking() -> ReadSignal<UnixSeconds> {
    let (now, set_now) = signal(now_unix());
    if let Ok(handle) =
        set_interval_with_handle(move || set_now.set(now_unix()), Duration::from_secs(1))
    {
        on_cleanup(move || handle.clear());
    }
    now
}

/// A live countdown to `until`. Not a live region: a screen reader announcing every second would
/// drown everything else, so callers label what it counts down to.
#[component]
pub fn Countdown(
    /// The moment counted down to.
    #[prop(into)]
    until: Signal<UnixSeconds>,
) -> impl IntoView {
    let now = use_clock();
    let text = move || countdown(until.get(), now.get());
    let expired = move || until.get() <= now.get();
    view! {
        <time class="countdown" class:expired=expired datetime=move || format_utc(until.get())>
            {text}
        </time>
    }
}

/// A Unix time as "2026-11-22 03:12:00 UTC (in 59 min)", kept current by the clock.
#[component]
pub fn Moment(
    /// The moment shown.
    at: UnixSeconds,
    /// Whether it may lie ahead.
    kind: TimeKind,
) -> impl IntoView {
    let now = use_clock();
    view! {
        <time datetime=format_utc(at)>{move || format_with_relative(at, now.get(), kind)}</time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22 03:12:00 UTC
    const AT: UnixSeconds = 1_795_317_120;

    #[test]
    fn formats_utc_calendar_time() {
        assert_eq!(format_utc(AT), "2026-11-22 03:12:00 UTC");
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn calendar_edges() {
        // Leap days, century rules and the first and last moments shown as dates.
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(4_107_542_399), "2100-02-28 23:59:59 UTC");
        assert_eq!(format_utc(4_107_542_400), "2100-03-01 00:00:00 UTC");
        assert_eq!(format_utc(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(format_utc(-62_135_596_800), "0001-01-01 00:00:00 UTC");
        assert_eq!(format_utc(-62_167_219_200), "0000-01-01 00:00:00 UTC");
        assert_eq!(format_utc(-62_198_755_200), "-0001-01-01 00:00:00 UTC");
        assert_eq!(format_utc(253_402_300_799), "9999-12-31 23:59:59 UTC");
        assert_eq!(format_utc(-377_705_116_800), "-9999-01-01 00:00:00 UTC");
        for outside in [253_402_300_800, -377_705_116_801, i64::MIN] {
            assert_eq!(format_utc(outside), format!("{outside} (not a valid time)"));
        }
    }

    #[test]
    fn out_of_range_time_says_so_instead_of_panicking() {
        assert_eq!(
            format_utc(i64::MAX),
            format!("{} (not a valid time)", i64::MAX)
        );
    }

    #[test]
    fn relative_time_in_words() {
        assert_eq!(relative(AT, AT), "now");
        assert_eq!(relative(AT, AT - 59 * 60 - 30), "in 59 min");
        assert_eq!(relative(AT, AT - 45), "in 45 s");
        assert_eq!(relative(AT, AT + 3 * 60), "3 min ago");
        assert_eq!(relative(AT, AT - 2 * 3600), "in 2 h");
        assert_eq!(relative(AT, AT - (2 * 3600 + 5 * 60)), "in 2 h 5 min");
        assert_eq!(relative(AT, AT - 86_400), "in 1 day");
        assert_eq!(relative(AT, AT + 30 * 86_400), "30 days ago");
    }

    #[test]
    fn formats_both_forms_together() {
        assert_eq!(
            format_with_relative(AT, AT - 3600 + 60, TimeKind::Either),
            "2026-11-22 03:12:00 UTC (in 59 min)"
        );
    }

    #[test]
    fn the_past_reads_as_past() {
        // A sign-in in the current second, seen by a clock that ticked just before it.
        assert_eq!(
            format_with_relative(AT, AT - 1, TimeKind::Past),
            "2026-11-22 03:12:00 UTC (now)"
        );
        assert_eq!(
            format_with_relative(AT, AT + 5, TimeKind::Past),
            "2026-11-22 03:12:00 UTC (5 s ago)"
        );
        assert_eq!(
            format_with_relative(AT, AT - 1, TimeKind::Either),
            "2026-11-22 03:12:00 UTC (in 1 s)"
        );
    }

    #[test]
    fn countdown_clock() {
        assert_eq!(countdown(AT, AT - 59 * 60 - 7), "59:07");
        assert_eq!(countdown(AT, AT - 3723), "1:02:03");
        assert_eq!(countdown(AT, AT - 5), "0:05");
        assert_eq!(countdown(AT, AT), "0:00");
        assert_eq!(countdown(AT, AT + 1), "expired");
    }

    #[test]
    fn recognises_time_claims() {
        for claim in ["exp", "nbf"] {
            assert_eq!(time_claim(claim), Some(TimeKind::Either), "{claim}");
        }
        for claim in ["iat", "auth_time"] {
            assert_eq!(time_claim(claim), Some(TimeKind::Past), "{claim}");
        }
        for claim in ["sub", "jti", "expires", "origin_jti"] {
            assert_eq!(time_claim(claim), None, "{claim}");
        }
    }
}
