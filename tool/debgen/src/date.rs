//! Dates in Debian's files, from Unix timestamps (UTC): RFC 2822 for `debian/changelog`, apt's
//! `Release` `Date` form, and the year for `debian/copyright`.

/// The time of a Unix timestamp (UTC); out of `time`'s range (years -9999..=9999): 1970.
fn utc(timestamp: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(timestamp).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The year (UTC) of a Unix timestamp.
pub fn year(timestamp: i64) -> i64 {
    i64::from(utc(timestamp).year())
}

/// `Wed, 01 May 2024 00:00:00 +0000` for a Unix timestamp (UTC).
pub fn rfc2822(timestamp: i64) -> String {
    // RFC 2822 has no year before 1900: such a time is written as the epoch.
    let t = Some(utc(timestamp))
        .filter(|t| t.year() >= 1900)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".to_owned())
}

/// The `Date` of an apt `Release` file: RFC 2822 with `UTC` for the zone, as apt writes it.
pub fn release_date(timestamp: i64) -> String {
    rfc2822(timestamp).replace("+0000", "UTC")
}
