//! `Integer`: a JSON integer kept as written, with machine-integer accessors that never round.
//!
//! JSON Schema counts a number as an integer when its value has no fractional part, however it
//! is spelled (`1000`, `1e3`, `1000.0`), and RFC 8259 sets no range. Typed facet fields declared
//! `integer` hold this type, so any such value parses, and writes back byte for byte as the
//! producer wrote it (serde_json's `arbitrary_precision` holds a number as its text; the exponent,
//! which serde_json's parser respells, is taken from the raw text, see [`crate::json`]). Only the
//! accessors need a machine integer; they say when the value does not fit.

use std::fmt;

use serde::de::Unexpected;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Number;

use crate::de::FromJsonText;
use crate::Error;

/// A JSON integer kept as it was written: `10`, `1000.0`, `-0`, `1e3`, `1E+2`, `1e400` and
/// `123456789012345678901234567891` all write back byte for byte.
///
/// A value with a fractional part does not parse into this type (a facet holding one is kept raw,
/// see [`crate::Facet`]). [`Integer::as_u64`] and [`Integer::as_i64`] give the value as a machine
/// integer, or an error when it does not fit; they never round.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Integer(Number);

impl Integer {
    /// The value as a `u64`, or [`Error::NumberOutOfRange`] when it is negative or too large.
    pub fn as_u64(&self) -> Result<u64, Error> {
        let exact = self.exact();
        if exact.negative && exact.magnitude != Some(0) {
            return Err(self.out_of_range("u64"));
        }
        exact
            .magnitude
            .and_then(|m| u64::try_from(m).ok())
            .ok_or_else(|| self.out_of_range("u64"))
    }

    /// The value as an `i64`, or [`Error::NumberOutOfRange`] when it is outside `i64`'s range.
    pub fn as_i64(&self) -> Result<i64, Error> {
        let exact = self.exact();
        let value = exact.magnitude.and_then(|m| {
            let m = i128::try_from(m).ok()?;
            i64::try_from(if exact.negative { -m } else { m }).ok()
        });
        value.ok_or_else(|| self.out_of_range("i64"))
    }

    /// The number as parsed, with its text (`as_number().as_str()`).
    pub fn as_number(&self) -> &Number {
        &self.0
    }

    /// The number as parsed.
    pub fn into_number(self) -> Number {
        self.0
    }

    fn exact(&self) -> Exact {
        // Only texts that passed `integral` are ever held, so this cannot fail to be exact.
        Exact::of(self.0.as_str())
    }

    fn out_of_range(&self, target: &'static str) -> Error {
        Error::NumberOutOfRange {
            value: self.0.as_str().to_owned(),
            target,
        }
    }
}

impl TryFrom<Number> for Integer {
    type Error = Error;

    /// Accepts any JSON number whose value is an integer, as JSON Schema counts them.
    fn try_from(number: Number) -> Result<Self, Error> {
        if integral(number.as_str()) {
            Ok(Integer(number))
        } else {
            Err(Error::NotAnInteger(number.as_str().to_owned()))
        }
    }
}

impl From<Integer> for Number {
    fn from(value: Integer) -> Self {
        value.0
    }
}

macro_rules! from_machine_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Integer {
            fn from(value: $t) -> Self {
                Integer(Number::from(value))
            }
        }
    )*};
}
from_machine_int!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl Serialize for Integer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::de::via_text(deserializer)
    }
}

impl FromJsonText for Integer {
    fn from_json_text(text: &str) -> serde_json::Result<Self> {
        let found = match text.as_bytes().first() {
            // serde_json delimits one JSON value, so text starting so is one number token.
            Some(b'-' | b'0'..=b'9') => {
                return Integer::try_from(crate::json::number_from_text(text))
                    .map_err(serde::de::Error::custom)
            }
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            Some(b'[') => "an array",
            _ => "an object",
        };
        Err(serde::de::Error::invalid_type(
            Unexpected::Other(found),
            &"an integer",
        ))
    }

    fn deserialize_plain<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = Number::deserialize(deserializer)?;
        Integer::try_from(number).map_err(serde::de::Error::custom)
    }
}

/// A JSON number's value as sign and magnitude, the magnitude `None` when it is not an integer
/// or does not fit in `u128`.
struct Exact {
    negative: bool,
    magnitude: Option<u128>,
}

/// The parts of a JSON number's text: sign, significant digits (integer and fraction digits
/// together) and the power of ten they are scaled by.
struct Parts<'a> {
    negative: bool,
    digits: &'a [u8],
    fraction: &'a [u8],
    /// `None` when the written exponent does not fit in `i64` (then only its sign matters).
    exponent: Option<i64>,
    exponent_negative: bool,
}

fn parts(text: &str) -> Parts<'_> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (digits, fraction) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let exponent_text = exponent.unwrap_or("0");
    let exponent_negative = exponent_text.starts_with('-');
    Parts {
        negative,
        digits: digits.as_bytes(),
        fraction: fraction.as_bytes(),
        exponent: exponent_text.parse::<i64>().ok(),
        exponent_negative,
    }
}

impl Parts<'_> {
    /// The significant digits without leading zeros, and the power of ten that scales them once
    /// trailing zeros are folded into it; `None` for zero.
    fn normalised(&self) -> Option<(Vec<u8>, Option<i128>)> {
        let mut all: Vec<u8> = self.digits.iter().chain(self.fraction).copied().collect();
        let first = all.iter().position(|&d| d != b'0')?;
        all.drain(..first);
        let trailing = all.iter().rev().take_while(|&&d| d == b'0').count();
        all.truncate(all.len() - trailing);
        let scale = self
            .exponent
            .map(|e| i128::from(e) - self.fraction.len() as i128 + trailing as i128);
        Some((all, scale))
    }
}

/// Whether a JSON number's text stands for an integer, as JSON Schema counts them.
fn integral(text: &str) -> bool {
    let parts = parts(text);
    match parts.normalised() {
        None => true,
        Some((_, Some(scale))) => scale >= 0,
        // An exponent past i64 is an integer only when it is positive.
        Some((_, None)) => !parts.exponent_negative,
    }
}

impl Exact {
    fn of(text: &str) -> Exact {
        let parts = parts(text);
        let magnitude = match parts.normalised() {
            None => Some(0),
            Some((digits, Some(scale))) if scale >= 0 && digits.len() as i128 + scale <= 39 => {
                let base = std::str::from_utf8(&digits)
                    .ok()
                    .and_then(|d| d.parse::<u128>().ok());
                base.and_then(|b| {
                    u32::try_from(scale)
                        .ok()
                        .and_then(|s| 10u128.checked_pow(s))
                        .and_then(|p| b.checked_mul(p))
                })
            }
            Some(_) => None,
        };
        Exact {
            negative: parts.negative,
            magnitude,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(text: &str) -> Integer {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn every_integer_spelling_parses_and_keeps_its_digits() {
        for text in [
            "0",
            "-0",
            "10",
            "1000.0",
            "1.5e+1",
            "0.0",
            "123456789012345678901234567891",
            "-9223372036854775809",
            "0e-5",
            "1e3",
            "1E+2",
            "1e400",
            "1e99999999999999999999",
        ] {
            assert_eq!(serde_json::to_string(&int(text)).unwrap(), text, "{text}");
            let from_value: Integer =
                serde_json::from_value(crate::json::exact_value(text).unwrap()).unwrap();
            assert_eq!(serde_json::to_string(&from_value).unwrap(), text, "{text}");
        }
    }

    #[test]
    fn other_json_types_are_refused() {
        for (text, found) in [
            (r#""1""#, "a string"),
            ("true", "a boolean"),
            ("null", "null"),
            ("[1]", "an array"),
            (r#"{"a":1}"#, "an object"),
        ] {
            let e = serde_json::from_str::<Integer>(text).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with(&format!("invalid type: {found}, expected an integer")),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn fractions_are_refused() {
        for text in ["1.5", "1e-1", "10e-2", "-0.1", "1e-99999999999999999999"] {
            let e = serde_json::from_str::<Integer>(text).unwrap_err();
            assert!(e.to_string().contains("is not an integer"), "{text}: {e}");
        }
    }

    #[test]
    fn accessors_give_the_exact_value() {
        assert_eq!(int("1e3").as_u64().unwrap(), 1000);
        assert_eq!(int("1000.0").as_i64().unwrap(), 1000);
        assert_eq!(int("1.5e1").as_u64().unwrap(), 15);
        assert_eq!(int("-0").as_u64().unwrap(), 0);
        assert_eq!(int("-0").as_i64().unwrap(), 0);
        assert_eq!(int("18446744073709551615").as_u64().unwrap(), u64::MAX);
        assert_eq!(int("-9223372036854775808").as_i64().unwrap(), i64::MIN);
        assert_eq!(int("9.223372036854775807e18").as_i64().unwrap(), i64::MAX);
    }

    #[test]
    fn accessors_say_when_a_value_does_not_fit() {
        for (text, u, i) in [
            ("123456789012345678901234567891", true, true),
            ("1e400", true, true),
            ("18446744073709551616", true, true),
            ("9223372036854775808", false, true),
            ("-1", true, false),
            ("-9223372036854775809", true, true),
            ("1e99999999999999999999", true, true),
        ] {
            let n = int(text);
            assert_eq!(n.as_u64().is_err(), u, "{text} as u64");
            assert_eq!(n.as_i64().is_err(), i, "{text} as i64");
        }
        let e = int("123456789012345678901234567891").as_u64().unwrap_err();
        assert_eq!(
            e.to_string(),
            "123456789012345678901234567891 does not fit in u64"
        );
    }

    #[test]
    fn machine_integers_convert() {
        assert_eq!(Integer::from(7u64).to_string(), "7");
        assert_eq!(Integer::from(-7i32).as_i64().unwrap(), -7);
        let n: Number = Integer::from(3u8).into();
        assert_eq!(n.as_str(), "3");
    }
}
