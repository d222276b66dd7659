//! CHANGELOG.rst (catkin's format) → `debian/changelog` entries, with RFC 2822 dates.

/// One version of CHANGELOG.rst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The upstream version (`1.2.3`).
    pub version: String,
    /// The date as days since 1970-01-01.
    pub days: i64,
    /// The bullet lines, as written (without the leading `* `), continuation lines joined.
    pub items: Vec<String>,
}

/// The version sections of a CHANGELOG.rst, newest first (file order). Lines that are neither a
/// `X.Y.Z (YYYY-MM-DD)` header, its underline, nor part of a section are ignored, as catkin_pkg
/// ignores them.
pub fn parse(text: &str) -> Vec<Section> {
    let lines: Vec<&str> = text.lines().collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let underline = lines.get(i + 1).is_some_and(|u| {
            let u = u.trim_end();
            !u.is_empty() && u.chars().all(|c| c == '-')
        });
        if let (true, Some((version, days))) = (underline, header(line)) {
            sections.push(Section { version, days, items: Vec::new() });
            i += 2;
            continue;
        }
        if let Some(section) = sections.last_mut() {
            let trimmed = line.trim();
            if let Some(item) = trimmed.strip_prefix("* ").or_else(|| trimmed.strip_prefix("- ")) {
                section.items.push(item.trim().to_owned());
            } else if !trimmed.is_empty()
                && line.starts_with(' ')
                && let Some(last) = section.items.last_mut()
            {
                last.push(' ');
                last.push_str(trimmed);
            }
        }
        i += 1;
    }
    sections
}

/// `1.2.3 (2024-05-01)` → version and day number.
fn header(line: &str) -> Option<(String, i64)> {
    let (version, rest) = line.split_once(' ')?;
    let date = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    if !version.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((version.to_owned(), days_from_civil(y, m, d)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The year (UTC) of a Unix timestamp.
pub fn year(timestamp: i64) -> i64 {
    civil_from_days(timestamp.div_euclid(86_400)).0
}

/// `Wed, 01 May 2024 00:00:00 +0000` for a Unix timestamp (UTC).
pub fn rfc2822(timestamp: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = timestamp.div_euclid(86_400);
    let secs = timestamp.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
    format!(
        "{weekday}, {d:02} {month} {y} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
