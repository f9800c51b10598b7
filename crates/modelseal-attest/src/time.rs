//! Points in time as attestations and policies write them: RFC 3339,
//! written in UTC with a `Z`.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, read from any RFC 3339 text (any offset) and written in
/// UTC (`2026-11-26T09:30:00Z`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// Now, to the second.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now()).unwrap_or(Self(OffsetDateTime::UNIX_EPOCH))
    }

    /// `t`, to the second; `None` before 1970 or after 9999 (a file time
    /// can be anything).
    pub fn from_system_time(t: SystemTime) -> Option<Self> {
        let seconds = t.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
        OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).ok()?)
            .ok()
            .filter(|t| t.year() <= 9999)
            .map(Self)
    }

    /// Parses RFC 3339 text such as `2026-11-26T09:30:00Z` or
    /// `2026-11-26T10:30:00+01:00`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: String| {
            format!("`{text}` is not an RFC 3339 time ({why}); write e.g. 2026-11-26T09:30:00Z")
        };
        // The parser is lenient about the date-time separator; RFC 3339
        // (section 5.6) wants `T`.
        if !matches!(text.as_bytes().get(10), Some(b'T' | b't')) {
            return Err(bad("the date and time must be separated by `T`".to_owned()));
        }
        // Written back in UTC, the year must still have four digits (and
        // `to_offset` would panic past the type's range: use the checked one).
        OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| bad(e.to_string()))?
            .checked_to_offset(time::UtcOffset::UTC)
            .filter(|t| (0..=9999).contains(&t.year()))
            .map(Self)
            .ok_or_else(|| bad("out of range in UTC".to_owned()))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "@{}", self.0.unix_timestamp()),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339, UTC"
        })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn parses_offsets_and_writes_utc() {
        let cases = [
            ("2026-11-26T09:30:00Z", "2026-11-26T09:30:00Z"),
            ("2026-11-26T10:30:00+01:00", "2026-11-26T09:30:00Z"),
            ("2026-11-26T09:30:00.5Z", "2026-11-26T09:30:00.5Z"),
        ];
        for (input, written) in cases {
            assert_eq!(
                Timestamp::parse(input).map(|t| t.to_string()),
                Ok(written.to_owned())
            );
        }
        for bad in [
            "2026-11-26",
            "yesterday",
            "2026-11-26 09:30:00Z",
            "2026-11-26x09:30:00Z",
            "2026-13-01T00:00:00Z",
            "9999-12-31T23:30:00-01:00",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} parsed");
        }
        assert!(
            Timestamp::parse("2026-01-01T00:00:00Z") < Timestamp::parse("2026-01-01T00:00:01Z")
        );
    }
}
