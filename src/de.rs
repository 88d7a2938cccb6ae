//! Helpers for the streaming `Deserialize` impls the build script generates.
//!
//! Generated visitors call these so the generated code stays short and the logic is tested once.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, Error, MapAccess, Visitor};

/// An object key (or other string), borrowed from the input when it has no escapes.
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string.
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Reads the value of a known field; a second occurrence of the key is an error.
pub fn next_field<'de, A, T>(
    slot: &mut Option<T>,
    map: &mut A,
    key: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(A::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Reads the value of an optional field. `null` is refused: reading it as "absent" would drop
/// it when the struct is written back, and the schema never allows it.
pub fn next_optional<'de, A, T>(
    slot: &mut Option<Option<T>>,
    map: &mut A,
    key: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    if slot.is_some() {
        return Err(A::Error::duplicate_field(key));
    }
    let value = map.next_value_seed(NotNull {
        key,
        marker: PhantomData,
    })?;
    *slot = Some(Some(value));
    Ok(())
}

/// [`next_optional`] for a boxed field whose type builds itself in its box ([`InPlace`]): the
/// facet containers, each up to about 470 bytes, which serde's `Box<T>` would build on the stack
/// and then copy into the box.
pub fn next_optional_boxed<'de, A, T>(
    slot: &mut Option<Option<Box<T>>>,
    map: &mut A,
    key: &'static str,
) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: InPlace,
{
    // The same rules as any optional field (a repeat or a `null` refused), read as an `InBox`.
    let mut read: Option<Option<InBox<T>>> = slot.as_ref().map(|_| None);
    next_optional(&mut read, map, key)?;
    *slot = read.map(|value| value.map(|boxed| boxed.0));
    Ok(())
}

/// A type that can be read straight into a box it allocates first.
pub trait InPlace: Sized {
    /// Reads the value into a new box, with no copy of the value itself.
    fn deserialize_boxed<'de, D: Deserializer<'de>>(deserializer: D)
        -> Result<Box<Self>, D::Error>;
}

/// A box read by [`InPlace`].
struct InBox<T>(Box<T>);

impl<'de, T: InPlace> Deserialize<'de> for InBox<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_boxed(deserializer).map(InBox)
    }
}

struct NotNull<T> {
    key: &'static str,
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for NotNull<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for NotNull<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value for `{}` (null is not allowed)", self.key)
    }
    fn visit_none<E: Error>(self) -> Result<T, E> {
        Err(E::custom(format_args!("`{}` is null", self.key)))
    }
    fn visit_unit<E: Error>(self) -> Result<T, E> {
        self.visit_none()
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize(deserializer)
    }
}

/// A map that keeps the fields a struct does not name.
pub trait ExtraMap<V> {
    /// Inserts a new key; gives the key back if it was already there (the map is unchanged).
    fn insert_new(&mut self, key: String, value: V) -> Result<(), String>;
}

impl ExtraMap<serde_json::Value> for serde_json::Map<String, serde_json::Value> {
    fn insert_new(&mut self, key: String, value: serde_json::Value) -> Result<(), String> {
        match self.entry(key) {
            serde_json::map::Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
            serde_json::map::Entry::Occupied(slot) => Err(slot.key().clone()),
        }
    }
}

impl ExtraMap<serde_json::Value> for crate::UnknownFields {
    fn insert_new(&mut self, key: String, value: serde_json::Value) -> Result<(), String> {
        crate::UnknownFields::insert_new(self, key, value)
    }
}

impl<V> ExtraMap<V> for std::collections::BTreeMap<String, V> {
    fn insert_new(&mut self, key: String, value: V) -> Result<(), String> {
        match self.entry(key) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(value);
                Ok(())
            }
            std::collections::btree_map::Entry::Occupied(slot) => Err(slot.key().clone()),
        }
    }
}

/// Moves an unknown field into the struct's `extra` map; a repeated key is an error, because
/// keeping only one of the two values would silently drop data. The value is read through its
/// text where that is needed to keep an exponent as written (see [`via_text`]).
pub fn next_extra<'de, A, M, V>(extra: &mut M, key: Key<'de>, map: &mut A) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    M: ExtraMap<V>,
    V: FromJsonText,
{
    let AsWritten(value) = map.next_value()?;
    // The message is only written for a repeat: formatting it for every unknown field cost
    // an allocation each (seen in the parse profile of generated events).
    extra
        .insert_new(key.0.into_owned(), value)
        .map_err(|name| A::Error::custom(format_args!("duplicate field `{name}`")))
}

/// The name serde_json's deserializers take as a request for a value's raw text, the request
/// `RawValue` makes; a test checks serde_json still uses it.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A value that can be built from its JSON text exactly as written, or read the ordinary way.
pub trait FromJsonText: Sized {
    /// Builds the value from the text of one JSON value, as serde_json's parser delimits it.
    fn from_json_text(text: &str) -> serde_json::Result<Self>;

    /// Reads the value the ordinary way, where the exact text is not needed or not available.
    fn deserialize_plain<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl FromJsonText for serde_json::Value {
    fn from_json_text(text: &str) -> serde_json::Result<Self> {
        crate::json::value_from_text(text)
    }

    fn deserialize_plain<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer)
    }
}

/// Reads a `T` through its raw text while this thread captures text (see
/// [`crate::json::with_capture`]), so an exponent keeps its spelling; otherwise the ordinary way.
/// serde_json's deserializers (of text and of `Value`) give the text; serde's buffered content
/// (untagged enums) cannot, and is read the ordinary way.
pub fn via_text<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromJsonText,
{
    if !crate::json::capturing() {
        return T::deserialize_plain(deserializer);
    }
    deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, TextVisitor(PhantomData))
}

/// Which of `tags` the string under `key` of the object `value` is, if it is one: how the
/// generated readers of untagged enums whose variants each fix `key` to a constant pick the one
/// variant that can fit (the code generator's `tagged` pass).
pub fn tag_index(value: &serde_json::Value, key: &str, tags: &[&str]) -> Option<usize> {
    let tag = value.get(key)?.as_str()?;
    tags.iter().position(|t| *t == tag)
}

/// A value read with [`via_text`].
pub struct AsWritten<T>(pub T);

impl<'de, T: FromJsonText> Deserialize<'de> for AsWritten<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        via_text(deserializer).map(AsWritten)
    }
}

struct TextVisitor<T>(PhantomData<T>);

impl<'de, T: FromJsonText> Visitor<'de> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        // serde_json answers with a map of one entry: the token, then the value's text.
        match map.next_key::<Key<'de>>()? {
            Some(key) if key.as_str() == RAW_VALUE_TOKEN => {
                let text: Key<'de> = map.next_value()?;
                T::from_json_text(text.as_str()).map_err(A::Error::custom)
            }
            _ => Err(A::Error::custom("expected the text of a JSON value")),
        }
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::deserialize_plain(deserializer)
    }
}

/// What a lenient read of a facet type gave: the type, or, when the object lacked a required
/// field, the object as JSON (see [`Lenient`]).
pub enum Fit<T> {
    /// Every required field was there.
    Typed(T),
    /// A required field was missing: the object as it came, built from what was read.
    Misfit(serde_json::Value),
}

impl<T> Fit<T> {
    /// The typed value; a misfit only comes from a lenient read, so here it is an error.
    pub fn into_typed<E: Error>(self) -> Result<T, E> {
        match self {
            Fit::Typed(value) => Ok(value),
            Fit::Misfit(_) => Err(E::custom("a required field is missing")),
        }
    }
}

/// Facet types whose visitor can give back what it read when a required field is missing.
///
/// A missing field is only known once the whole object has been read, so a facet like a
/// `{"_deleted": true}` marker is decided there, without reading the event again: the fields
/// already read are written back as JSON (each typed field writes back as it came, the promise
/// the direct pass rests on) and the facet is kept raw. A facet type the code generator gives
/// no streaming visitor keeps the default: its own `Deserialize`, so a misfit fails the pass.
pub trait Lenient: serde::de::DeserializeOwned {
    /// Reads the type, or the object as JSON if it lacks a required field.
    fn deserialize_lenient<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Fit<Self>, D::Error> {
        Self::deserialize(deserializer).map(Fit::Typed)
    }
}

/// Writes a field read by a visitor back into `out` as JSON, if it was present.
pub fn put_back<T: serde::Serialize, E: Error>(
    out: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    slot: &Option<T>,
) -> Result<(), E> {
    if let Some(value) = slot {
        let value = crate::json::to_value_as_written(value).map_err(E::custom)?;
        out.insert(key.to_owned(), value);
    }
    Ok(())
}

/// Writes a visitor's map of unknown fields back into `out` as JSON.
pub fn put_back_extra<T: serde::Serialize, E: Error>(
    out: &mut serde_json::Map<String, serde_json::Value>,
    extra: &T,
) -> Result<(), E> {
    match crate::json::to_value_as_written(extra).map_err(E::custom)? {
        serde_json::Value::Object(fields) => {
            out.extend(fields);
            Ok(())
        }
        _ => Err(E::custom("unknown fields did not write back as an object")),
    }
}

/// The value of a required field, or serde's "missing field" error.
pub fn required<T, E: Error>(slot: Option<T>, key: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(key))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Job, RunEvent};

    #[test]
    fn known_unknown_missing_and_repeated_fields() {
        let job: Job = serde_json::from_str(r#"{"namespace":"n","name":"j","x":1}"#).unwrap();
        assert_eq!(job.extra.get("x"), Some(&json!(1)));
        let err = serde_json::from_str::<Job>(r#"{"namespace":"n"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `name`"), "{err}");
        let err =
            serde_json::from_str::<Job>(r#"{"namespace":"n","name":"j","name":"k"}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate field `name`"), "{err}");
        let err =
            serde_json::from_str::<Job>(r#"{"namespace":"n","name":"j","x":1,"x":2}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate field `x`"), "{err}");
        assert!(serde_json::from_str::<Job>(r#"["n","j"]"#).is_err());
        let err = serde_json::from_str::<Job>(r#"{"namespace":"n","name":"j","facets":null}"#)
            .unwrap_err();
        assert!(err.to_string().contains("`facets` is null"), "{err}");
        // Facet containers are read into their box (`next_optional_boxed`), with the same rules.
        let text = r#"{"namespace":"n","name":"j","facets":{"sql":{"_producer":"p","_schemaURL":"s","query":"q"},"x":{}}}"#;
        let job: Job = serde_json::from_str(text).unwrap();
        assert_eq!(job.facets.as_ref().map(|f| f.len()), Some(2));
        assert_eq!(
            serde_json::to_value(&job).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        let err =
            serde_json::from_str::<Job>(r#"{"namespace":"n","name":"j","facets":{},"facets":{}}"#)
                .unwrap_err();
        assert!(
            err.to_string().contains("duplicate field `facets`"),
            "{err}"
        );
        assert!(
            serde_json::from_str::<Job>(r#"{"namespace":"n","name":"j","facets":[]}"#).is_err()
        );
    }

    #[test]
    fn lenient_reads_without_a_streaming_visitor_are_the_type_s_own() {
        use super::{Fit, Lenient};

        #[derive(serde::Deserialize)]
        struct Plain {
            a: String,
        }
        impl Lenient for Plain {}

        let read = |text| Plain::deserialize_lenient(&mut serde_json::Deserializer::from_str(text));
        assert!(matches!(read(r#"{"a":"x"}"#), Ok(Fit::Typed(Plain { a })) if a == "x"));
        assert!(read("{}").is_err());
    }

    #[test]
    fn the_raw_value_token_is_serde_json_s() {
        use serde::de::value::Error;
        use serde::de::{Deserialize, Deserializer, Visitor};
        use serde_json::value::RawValue;

        // Answers every request with an error naming what was asked for.
        struct Recorder;
        impl<'de> Deserializer<'de> for Recorder {
            type Error = Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
                Err(serde::de::Error::custom("any"))
            }
            fn deserialize_newtype_struct<V: Visitor<'de>>(
                self,
                name: &'static str,
                _: V,
            ) -> Result<V::Value, Error> {
                Err(serde::de::Error::custom(name))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct seq tuple tuple_struct map struct enum
                identifier ignored_any
            }
        }
        let asked = Box::<RawValue>::deserialize(Recorder).unwrap_err();
        assert_eq!(asked.to_string(), super::RAW_VALUE_TOKEN);
    }

    #[test]
    fn unknown_fields_keep_exponents_from_text_and_from_value() {
        let text = r#"{"name":"j","namespace":"n","x":[1E+2,{"y":1e3}],"z":-0}"#;
        let job: Job = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&job).unwrap(), text);
        let value = crate::json::exact_value(text).unwrap();
        let job: Job = serde_json::from_value(value).unwrap();
        assert_eq!(serde_json::to_string(&job).unwrap(), text);
    }

    #[test]
    fn escaped_keys_and_values_from_value() {
        let job: Job = serde_json::from_str(r#"{"name\u0073pace":"n","name":"j"}"#).unwrap();
        assert_eq!(job.namespace, "n");
        let v = json!({"eventTime": "t", "producer": "p", "schemaURL": "s",
            "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"}});
        let e: RunEvent = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(e).unwrap(), v);
    }
}
