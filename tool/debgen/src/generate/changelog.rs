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
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
    let days = date.to_julian_day() - time::OffsetDateTime::UNIX_EPOCH.date().to_julian_day();
    Some((version.to_owned(), i64::from(days)))
}

pub use crate::date::{rfc2822, year};
