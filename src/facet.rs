//! Facet slots and facet containers: typed where the payload fits, raw JSON where it does not.
//!
//! A producer may send a known facet key with a payload that does not fit the facet's schema (a
//! `{"_deleted": true}` marker, an older or newer facet version, a plain bug). That must neither
//! fail the whole event nor lose the payload, so each facet is a [`Facet`]: `Typed` when the
//! payload parses *and* writes back unchanged, `Raw` otherwise.

use std::cell::Cell;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::de::{Fit, Lenient};
use crate::json;

/// One facet: the typed model when the payload fits it losslessly, else the payload as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Facet<T> {
    /// The payload parsed into its schema's type and serialises back to the same JSON.
    Typed(Box<T>),
    /// The payload did not fit the typed model (or would not have survived a round trip).
    Raw(Value),
}

impl<T> Facet<T> {
    /// The typed payload, if it fitted.
    pub fn typed(&self) -> Option<&T> {
        match self {
            Facet::Typed(t) => Some(t),
            Facet::Raw(_) => None,
        }
    }

    /// The raw payload, if it did not fit the typed model.
    pub fn raw(&self) -> Option<&Value> {
        match self {
            Facet::Typed(_) => None,
            Facet::Raw(v) => Some(v),
        }
    }
}

impl<T: Serialize> Facet<T> {
    /// The payload as JSON, whichever way it was kept. A typed payload goes through
    /// `serde_json::to_value`, which respells exponents (`1e3` as `1e+3`); a raw one keeps them as
    /// sent, and `serde_json::to_string` writes both as sent.
    pub fn to_value(&self) -> Value {
        match self {
            // Generated facet types only hold strings, numbers, maps and JSON values, so
            // serialising them cannot fail; `Null` is unreachable in practice.
            Facet::Typed(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            Facet::Raw(v) => v.clone(),
        }
    }

    /// True when the payload carries `"_deleted": true`, the spec's marker for removing a facet.
    pub fn is_deleted(&self) -> bool {
        self.to_value().get("_deleted") == Some(&Value::Bool(true))
    }
}

/// A facet type with a typed field in the container `C` (one of [`crate::RunFacets`],
/// [`crate::JobFacets`], [`crate::DatasetFacets`], [`crate::InputDatasetFacets`],
/// [`crate::OutputDatasetFacets`]). It lets builders attach a facet and readers fetch one by
/// type: `job.facet::<SqlJobFacet>()`, `Job::new(ns, name).with_facet(SqlJobFacet::new(q))`.
pub trait FacetOf<C>: Sized {
    /// The facet's key in the container, e.g. `sql`.
    const KEY: &'static str;
    /// The facet's field in `container`.
    fn field(container: &C) -> &Option<Facet<Self>>;
    /// The facet's field in `container`, to set or take.
    fn field_mut(container: &mut C) -> &mut Option<Facet<Self>>;
}

impl<T> From<T> for Facet<T> {
    fn from(value: T) -> Self {
        Facet::Typed(Box::new(value))
    }
}

impl<T: DeserializeOwned + Serialize> Facet<T> {
    /// Parses one facet payload from JSON text: typed if it fits and writes back as it came, raw
    /// otherwise.
    ///
    /// The generated facet types refuse `null` rather than drop it, but `Facet` takes any `T`, and
    /// an `Option` field of a hand-written type reads `null` as absent; a payload containing
    /// `null` is therefore compared with its write-back, and kept raw if they differ. So is a
    /// payload with a number written with an exponent: typed fields of type `Integer` keep its
    /// text, but `serde_json::Number` fields and maps of `Value` hold serde_json's spelling.
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        // Inside an event already known to have no exponent, the payload has none either.
        if !json::capturing() || !json::has_exponent(text) {
            return json::with_capture(false, || Self::from_plain_json(text));
        }
        let value = json::exact_value(text)?;
        let typed = json::with_capture(true, || serde_json::from_str::<T>(text));
        let exact = typed.ok().filter(|typed| {
            let back = serde_json::to_string(typed).and_then(|back| json::exact_value(&back));
            back.is_ok_and(|back| back == value)
        });
        Ok(match exact {
            Some(typed) => Facet::Typed(Box::new(typed)),
            None => Facet::Raw(value),
        })
    }

    /// [`Facet::from_json`] for text without an exponent.
    fn from_plain_json(text: &str) -> serde_json::Result<Self> {
        match serde_json::from_str::<T>(text) {
            Ok(typed) if !text.contains("null") => Ok(Facet::Typed(Box::new(typed))),
            Ok(typed) => {
                let value: Value = serde_json::from_str(text)?;
                match serde_json::to_value(&typed) {
                    Ok(back) if back == value => Ok(Facet::Typed(Box::new(typed))),
                    _ => Ok(Facet::Raw(value)),
                }
            }
            Err(_) => serde_json::from_str(text).map(Facet::Raw),
        }
    }
}

/// How facets are read while an event parses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Each payload is buffered (owned), so one that does not fit falls back to raw JSON; works
    /// with every serde_json entry point.
    Careful,
    /// Straight into the type, with no buffering and no fallback: a facet that does not fit
    /// fails the whole parse.
    Direct,
    /// Each payload is borrowed from the input text (no copy) and then parsed as in `Careful`:
    /// a facet that does not fit is kept raw without failing the parse. Needs a deserializer
    /// that borrows from a `&str`.
    Borrowed,
}

thread_local! {
    /// The [`Mode`] of the parse running on this thread.
    static MODE: Cell<Mode> = const { Cell::new(Mode::Careful) };
}

/// Runs `parse` with facets read in `mode`. [`crate::Event::from_json`] first reads them
/// `Direct` (one pass over well-formed events), then, when a facet does not fit, `Borrowed`
/// (one more pass, each facet decided on its own), and only then the careful way.
pub(crate) fn with_mode<R>(mode: Mode, parse: impl FnOnce() -> R) -> R {
    struct Reset(Mode);
    impl Drop for Reset {
        fn drop(&mut self) {
            MODE.with(|m| m.set(self.0));
        }
    }
    let _reset = Reset(MODE.with(|m| m.replace(mode)));
    parse()
}

impl<'de, T: DeserializeOwned + Serialize> Deserialize<'de> for Facet<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match MODE.with(Cell::get) {
            Mode::Direct => T::deserialize(deserializer).map(|t| Facet::Typed(Box::new(t))),
            Mode::Borrowed => {
                let raw = <&RawValue>::deserialize(deserializer)?;
                Facet::from_json(raw.get()).map_err(serde::de::Error::custom)
            }
            Mode::Careful => {
                // Buffering the payload as raw text lets a failed typed parse fall back to
                // `Value` without losing anything; it works with every serde_json entry point.
                let raw = Box::<RawValue>::deserialize(deserializer)?;
                Facet::from_json(raw.get()).map_err(serde::de::Error::custom)
            }
        }
    }
}

/// Reads one facet of a container: on the direct pass leniently, so a payload that lacks a
/// required field (a `_deleted` marker) is kept raw without failing the pass (see
/// [`crate::de::Lenient`]); otherwise as [`Facet`]'s `Deserialize` does.
pub(crate) struct FacetSeed<T>(PhantomData<T>);

impl<T> FacetSeed<T> {
    pub(crate) fn new() -> Self {
        FacetSeed(PhantomData)
    }
}

impl<'de, T: Lenient + DeserializeOwned + Serialize> DeserializeSeed<'de> for FacetSeed<T> {
    type Value = Facet<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Facet<T>, D::Error> {
        if MODE.with(Cell::get) != Mode::Direct {
            return Facet::deserialize(deserializer);
        }
        Ok(match T::deserialize_lenient(deserializer)? {
            Fit::Typed(typed) => Facet::Typed(Box::new(typed)),
            Fit::Misfit(value) => Facet::Raw(value),
        })
    }
}

impl<T: Serialize> Serialize for Facet<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Facet::Typed(t) => t.serialize(serializer),
            Facet::Raw(v) => v.serialize(serializer),
        }
    }
}

/// Declares a typed facet container: one optional [`Facet`] field per known key, and `other`
/// for every facet the spec does not define. The build script emits one call per container.
macro_rules! facet_container {
    (
        $(#[$meta:meta])*
        $name:ident : $base:ident {
            $( $(#[$field_meta:meta])* $field:ident : $key:literal => $ty:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: ::std::option::Option<$crate::Facet<$ty>>, )*
            /// Facets this spec version does not define (custom or vendor), kept as they came.
            pub other: ::std::collections::BTreeMap<::std::string::String, $crate::Facet<$base>>,
        }

        impl $name {
            /// The keys that have a typed field, in field order.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// Number of facets present, typed and other.
            pub fn len(&self) -> usize {
                0 $( + usize::from(self.$field.is_some()) )* + self.other.len()
            }

            /// True when no facet is present.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The facet under `key` as JSON, whether it has a typed field or not.
            pub fn get_value(&self, key: &str) -> ::std::option::Option<::serde_json::Value> {
                match key {
                    $( $key => self.$field.as_ref().map($crate::Facet::to_value), )*
                    _ => self.other.get(key).map($crate::Facet::to_value),
                }
            }

            /// Keys of known facets whose payload did not fit the typed model and was kept raw.
            pub fn untyped_keys(&self) -> ::std::vec::Vec<&'static str> {
                let mut keys = ::std::vec::Vec::new();
                $( if matches!(self.$field, Some($crate::Facet::Raw(_))) { keys.push($key); } )*
                keys
            }

            /// The facet of type `T`, if present and typed.
            pub fn get<T: $crate::FacetOf<Self>>(&self) -> ::std::option::Option<&T> {
                T::field(self).as_ref().and_then($crate::Facet::typed)
            }

            /// Sets the facet of type `T`, replacing any there was.
            pub fn insert<T: $crate::FacetOf<Self>>(&mut self, facet: T) {
                *T::field_mut(self) = ::std::option::Option::Some($crate::Facet::from(facet));
            }

            /// Sets `_producer` on every typed facet that has none (an empty string), as the
            /// event builder does with the event's producer.
            pub fn fill_producer(&mut self, producer: &str) {
                $( if let Some($crate::Facet::Typed(f)) = &mut self.$field {
                    if f.producer.is_empty() { f.producer = producer.to_string(); }
                } )*
                for facet in self.other.values_mut() {
                    if let $crate::Facet::Typed(f) = facet {
                        if f.producer.is_empty() { f.producer = producer.to_string(); }
                    }
                }
            }

            /// Every facet as a key and its JSON value, typed fields first.
            pub fn to_values(&self) -> ::std::vec::Vec<(&str, ::serde_json::Value)> {
                let mut out = ::std::vec::Vec::with_capacity(self.len());
                $( if let Some(f) = &self.$field { out.push(($key, f.to_value())); } )*
                out.extend(self.other.iter().map(|(k, f)| (k.as_str(), f.to_value())));
                out
            }
        }

        $( impl $crate::FacetOf<$name> for $ty {
            const KEY: &'static str = $key;
            fn field(container: &$name) -> &::std::option::Option<$crate::Facet<Self>> {
                &container.$field
            }
            fn field_mut(container: &mut $name) -> &mut ::std::option::Option<$crate::Facet<Self>> {
                &mut container.$field
            }
        } )*

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(self.len()))?;
                $( if let Some(f) = &self.$field { map.serialize_entry($key, f)?; } )*
                for (key, facet) in &self.other {
                    map.serialize_entry(key, facet)?;
                }
                map.end()
            }
        }

        // The visitor fills a container in place, so a boxed one is built in its box (see
        // `crate::de::InPlace`) rather than on the stack and then copied.
        const _: () = {
            struct Visitor<'a>(&'a mut $name);
            impl<'de> ::serde::de::Visitor<'de> for Visitor<'_> {
                type Value = ();
                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(concat!("a map of ", stringify!($base), "s"))
                }
                fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                    let out = self.0;
                    // A repeated key keeps the last value, as `serde_json::Value` does. Keys
                    // are borrowed; only those of `other` facets are copied.
                    while let Some(key) = map.next_key::<$crate::de::Key<'de>>()? {
                        match key.as_str() {
                            $( $key => out.$field = Some(map.next_value_seed($crate::facet::FacetSeed::<$ty>::new())?), )*
                            _ => {
                                let facet = map.next_value_seed($crate::facet::FacetSeed::<$base>::new())?;
                                out.other.insert(key.into_string(), facet);
                            }
                        }
                    }
                    Ok(())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for $name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                    let mut out = $name::default();
                    deserializer.deserialize_map(Visitor(&mut out))?;
                    Ok(out)
                }
            }

            impl $crate::de::InPlace for $name {
                fn deserialize_boxed<'de, D: ::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> Result<::std::boxed::Box<Self>, D::Error> {
                    let mut out = ::std::boxed::Box::<$name>::default();
                    deserializer.deserialize_map(Visitor(&mut out))?;
                    Ok(out)
                }
            }
        };
    };
}
pub(crate) use facet_container;

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Small {
        a: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        b: Option<String>,
    }

    #[test]
    fn fitting_payload_is_typed() {
        let f: Facet<Small> = serde_json::from_str(r#"{"a":"x"}"#).unwrap();
        assert_eq!(f.typed().map(|s| s.a.as_str()), Some("x"));
    }

    #[test]
    fn misfit_and_null_payloads_stay_raw() {
        let f: Facet<Small> = serde_json::from_value(json!({"_deleted": true})).unwrap();
        assert_eq!(f.raw(), Some(&json!({"_deleted": true})));
        assert!(f.is_deleted());
        // `b: null` would parse as `None` and be dropped on the way out.
        let f: Facet<Small> = serde_json::from_str(r#"{"a":"x","b":null}"#).unwrap();
        assert_eq!(f.raw(), Some(&json!({"a": "x", "b": null})));
        // A string that merely contains "null" still ends up typed.
        let f: Facet<Small> = serde_json::from_str(r#"{"a":"nullable"}"#).unwrap();
        assert!(f.typed().is_some());
    }

    #[test]
    fn facets_missing_a_required_field_stay_raw_on_the_direct_pass() {
        // A `_deleted` marker (no `description`) and a custom facet without `_schemaURL`.
        let text = r#"{"documentation":{"_deleted":true,"_producer":"p","_schemaURL":"s","x":[1,null,{"y":"z"}]},"sql":{"_producer":"p","_schemaURL":"s","query":"q"},"custom":{"_producer":"p","n":1.50}}"#;
        let facets: crate::JobFacets =
            with_mode(Mode::Direct, || serde_json::from_str(text)).unwrap();
        assert_eq!(facets.untyped_keys(), ["documentation"]);
        assert!(facets.other["custom"].raw().is_some());
        assert!(facets.sql.as_ref().and_then(Facet::typed).is_some());
        assert!(facets.documentation.as_ref().is_some_and(Facet::is_deleted));
        let back = serde_json::to_value(&facets).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
        // Every mode decides the same.
        for mode in [Mode::Borrowed, Mode::Careful] {
            let other: crate::JobFacets = with_mode(mode, || serde_json::from_str(text)).unwrap();
            assert_eq!(other, facets);
        }
        // A field of the wrong type still fails the direct pass; the next pass decides it.
        let text = r#"{"sql":{"_producer":"p","_schemaURL":"s","query":1}}"#;
        assert!(
            with_mode(Mode::Direct, || serde_json::from_str::<crate::JobFacets>(
                text
            ))
            .is_err()
        );
        // Read on its own, not in a container, a facet missing a field is an error as before.
        let text = r#"{"_producer":"p","_schemaURL":"s"}"#;
        let err = serde_json::from_str::<crate::DocumentationJobFacet>(text).unwrap_err();
        assert!(
            err.to_string().contains("missing field `description`"),
            "{err}"
        );
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Counted {
        n: crate::Integer,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        x: Option<serde_json::Number>,
    }

    #[test]
    fn exponents_stay_typed_only_where_they_write_back_as_sent() {
        // `Integer` keeps the text, so the payload stays typed and writes back unchanged.
        for text in [r#"{"n":1E+2}"#, r#"{"n":1e3,"x":2.5}"#, r#"{"n":-0,"x":1}"#] {
            let f = Facet::<Counted>::from_json(text).unwrap();
            assert!(f.typed().is_some(), "{text}");
            assert_eq!(serde_json::to_string(&f).unwrap(), text);
        }
        // A `Number` field holds serde_json's spelling (`1e+3`), so the payload is kept raw.
        let text = r#"{"n":1,"x":1e3}"#;
        let f = Facet::<Counted>::from_json(text).unwrap();
        assert!(f.raw().is_some());
        assert_eq!(serde_json::to_string(&f).unwrap(), text);
        // Not an integer: raw, with the exponent as sent.
        let text = r#"{"n":1e-1}"#;
        let f: Facet<Counted> = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&f.raw().unwrap()).unwrap(), text);
    }
}
