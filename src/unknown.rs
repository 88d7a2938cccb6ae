//! [`UnknownFields`]: the map every generated struct keeps the fields its schema does not name in.
//!
//! Nearly every such map is empty or holds a few keys, and a parsed event has several of them.
//! `serde_json::Map` (a `BTreeMap`) allocates a node of about 600 bytes for its first key and
//! walks its tree to drop it; in a profile of generated events those maps cost the typed parse
//! about twice what a short vector does. So a few fields are kept in a vector sorted by key, and
//! a map with many more moves to a `serde_json::Map`: lookups and inserts stay logarithmic (a
//! sorted vector would shift on every insert, quadratic for a huge object), and every iteration
//! is in key order, as `serde_json::Map` gives it.

use std::borrow::Borrow;
use std::fmt;
use std::ops::{Index, IndexMut};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Up to this many fields are kept in a sorted vector; one more moves them to a
/// `serde_json::Map`.
const SMALL: usize = 16;

/// Fields of a JSON object that its schema does not name, kept as they came: a map from key to
/// [`Value`] with the API of `serde_json::Map`, iterated in key order.
///
/// Inserting a key that is already there replaces its value (the last wins, as with
/// `serde_json::Map`). Parsing an event refuses a repeated unknown key rather than drop one of
/// its values. Convert with `From` from and into `serde_json::Map<String, Value>`.
#[derive(Clone, Default)]
pub struct UnknownFields(Repr);

#[derive(Clone)]
enum Repr {
    /// Sorted by key, no key twice, at most [`SMALL`] entries.
    Small(Vec<(String, Value)>),
    Large(Map<String, Value>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small(Vec::new())
    }
}

impl UnknownFields {
    /// An empty map; allocates nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Small(v) => v.len(),
            Repr::Large(m) => m.len(),
        }
    }

    /// True when there is no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value under `key`.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> Option<&Value> {
        let key = key.borrow();
        match &self.0 {
            Repr::Small(v) => find(v, key).ok().map(|i| &v[i].1),
            Repr::Large(m) => m.get(key),
        }
    }

    /// The value under `key`, to change.
    pub fn get_mut<Q: Borrow<str> + ?Sized>(&mut self, key: &Q) -> Option<&mut Value> {
        let key = key.borrow();
        match &mut self.0 {
            Repr::Small(v) => find(v, key).ok().map(|i| &mut v[i].1),
            Repr::Large(m) => m.get_mut(key),
        }
    }

    /// Whether there is a field `key`.
    pub fn contains_key<Q: Borrow<str> + ?Sized>(&self, key: &Q) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`; gives back the value it replaces, if any.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match &mut self.0 {
            Repr::Small(v) => match find(v, &key) {
                Ok(i) => Some(std::mem::replace(&mut v[i].1, value)),
                Err(i) if v.len() < SMALL => {
                    v.insert(i, (key, value));
                    None
                }
                Err(_) => {
                    let mut map: Map<String, Value> = std::mem::take(v).into_iter().collect();
                    map.insert(key, value);
                    self.0 = Repr::Large(map);
                    None
                }
            },
            Repr::Large(m) => m.insert(key, value),
        }
    }

    /// Removes the field `key`; gives back its value, if there was one.
    pub fn remove<Q: Borrow<str> + ?Sized>(&mut self, key: &Q) -> Option<Value> {
        let key = key.borrow();
        match &mut self.0 {
            Repr::Small(v) => find(v, key).ok().map(|i| v.remove(i).1),
            Repr::Large(m) => m.remove(key),
        }
    }

    /// Removes every field.
    pub fn clear(&mut self) {
        self.0 = Repr::default();
    }

    /// The fields in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(match &self.0 {
            Repr::Small(v) => IterRepr::Small(v.iter()),
            Repr::Large(m) => IterRepr::Large(m.iter()),
        })
    }

    /// The fields in key order, with their values to change.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(match &mut self.0 {
            Repr::Small(v) => IterMutRepr::Small(v.iter_mut()),
            Repr::Large(m) => IterMutRepr::Large(m.iter_mut()),
        })
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.iter().map(|(_, v)| v)
    }

    /// Inserts a key that is not there yet; gives the key back if it is (the map is unchanged).
    pub(crate) fn insert_new(&mut self, key: String, value: Value) -> Result<(), String> {
        // One search for both the check and the place, on the parse path.
        match &mut self.0 {
            Repr::Small(v) => match find(v, &key) {
                Ok(_) => Err(key),
                Err(i) if v.len() < SMALL => {
                    v.insert(i, (key, value));
                    Ok(())
                }
                Err(_) => {
                    self.insert(key, value);
                    Ok(())
                }
            },
            Repr::Large(m) => crate::de::ExtraMap::insert_new(m, key, value),
        }
    }
}

/// Where `key` is in the sorted `entries`, or where it would go.
fn find(entries: &[(String, Value)], key: &str) -> Result<usize, usize> {
    entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
}

/// An iterator over the fields of an [`UnknownFields`], in key order.
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Small(std::slice::Iter<'a, (String, Value)>),
    Large(serde_json::map::Iter<'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Small(i) => i.next().map(|(k, v)| (k, v)),
            IterRepr::Large(i) => i.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::Small(i) => i.size_hint(),
            IterRepr::Large(i) => i.size_hint(),
        }
    }
}

/// An iterator over the fields of an [`UnknownFields`] with their values to change.
pub struct IterMut<'a>(IterMutRepr<'a>);

enum IterMutRepr<'a> {
    Small(std::slice::IterMut<'a, (String, Value)>),
    Large(serde_json::map::IterMut<'a>),
}

impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a String, &'a mut Value);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterMutRepr::Small(i) => i.next().map(|(k, v)| (&*k, v)),
            IterMutRepr::Large(i) => i.next(),
        }
    }
}

/// The fields of an [`UnknownFields`], owned, in key order.
pub struct IntoIter(IntoIterRepr);

enum IntoIterRepr {
    Small(std::vec::IntoIter<(String, Value)>),
    Large(serde_json::map::IntoIter),
}

impl Iterator for IntoIter {
    type Item = (String, Value);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IntoIterRepr::Small(i) => i.next(),
            IntoIterRepr::Large(i) => i.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IntoIterRepr::Small(i) => i.size_hint(),
            IntoIterRepr::Large(i) => i.size_hint(),
        }
    }
}

impl IntoIterator for UnknownFields {
    type Item = (String, Value);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(match self.0 {
            Repr::Small(v) => IntoIterRepr::Small(v.into_iter()),
            Repr::Large(m) => IntoIterRepr::Large(m.into_iter()),
        })
    }
}

impl<'a> IntoIterator for &'a UnknownFields {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut UnknownFields {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl Extend<(String, Value)> for UnknownFields {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.insert(key, value);
        }
    }
}

impl FromIterator<(String, Value)> for UnknownFields {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        // Through `serde_json::Map`, which sorts once and keeps the last of repeated keys.
        Map::from_iter(iter).into()
    }
}

impl From<Map<String, Value>> for UnknownFields {
    fn from(map: Map<String, Value>) -> Self {
        if map.len() <= SMALL {
            // `serde_json::Map` iterates in key order, so the vector comes out sorted.
            UnknownFields(Repr::Small(map.into_iter().collect()))
        } else {
            UnknownFields(Repr::Large(map))
        }
    }
}

impl From<UnknownFields> for Map<String, Value> {
    fn from(fields: UnknownFields) -> Self {
        match fields.0 {
            Repr::Small(v) => v.into_iter().collect(),
            Repr::Large(m) => m,
        }
    }
}

impl PartialEq for UnknownFields {
    fn eq(&self, other: &Self) -> bool {
        // Both iterate in key order, whichever way each is kept.
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for UnknownFields {}

impl fmt::Debug for UnknownFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<Q: Borrow<str> + ?Sized> Index<&Q> for UnknownFields {
    type Output = Value;

    /// The value under `key`, or `Value::Null` if there is none (as `serde_json::Map` does).
    fn index(&self, key: &Q) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl<Q: Borrow<str> + ?Sized> IndexMut<&Q> for UnknownFields {
    /// The value under `key`, to change; panics if there is none (as `serde_json::Map` does).
    fn index_mut(&mut self, key: &Q) -> &mut Value {
        let key = key.borrow();
        match self.get_mut(key) {
            Some(value) => value,
            None => panic!("no entry found for key {key:?}"),
        }
    }
}

impl Serialize for UnknownFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for UnknownFields {
    /// Reads a JSON object; a repeated key keeps its last value, as `serde_json::Map` does.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = UnknownFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UnknownFields, A::Error> {
                let mut out = UnknownFields::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    out.insert(key, value);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(n: usize) -> UnknownFields {
        (0..n)
            .rev()
            .map(|i| (format!("k{i:03}"), json!(i)))
            .collect()
    }

    #[test]
    fn behaves_as_a_serde_json_map_small_and_large() {
        for n in [0, 1, 3, SMALL, SMALL + 1, 50] {
            let mut ours = fields(n);
            let mut theirs: Map<String, Value> = ours.clone().into();
            assert_eq!(ours.len(), theirs.len());
            assert_eq!(ours.is_empty(), theirs.is_empty());
            // Same order, same text.
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&theirs).unwrap()
            );
            assert!(ours.keys().zip(ours.keys().skip(1)).all(|(a, b)| a < b));
            // The last of repeated keys wins, and `insert` gives back what it replaced.
            assert_eq!(
                ours.insert("k000".into(), json!("x")),
                theirs.insert("k000".into(), json!("x"))
            );
            assert_eq!(ours.insert("new".into(), json!(1)), None);
            theirs.insert("new".into(), json!(1));
            assert_eq!(ours.get("new"), Some(&json!(1)));
            assert_eq!(ours["k000"], theirs["k000"]);
            assert_eq!(ours["missing"], Value::Null);
            assert!(ours.contains_key("new") && !ours.contains_key("missing"));
            *ours.get_mut("new").unwrap() = json!(2);
            ours["new"] = json!(3);
            theirs["new"] = json!(3);
            assert_eq!(ours.remove("new"), theirs.remove("new"));
            assert_eq!(ours.remove("new"), None);
            for (_, v) in &mut ours {
                *v = json!(true);
            }
            for (_, v) in theirs.iter_mut() {
                *v = json!(true);
            }
            assert_eq!(ours, UnknownFields::from(theirs.clone()));
            assert_eq!(Map::from(ours.clone()), theirs);
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
            let owned: Vec<(String, Value)> = ours.clone().into_iter().collect();
            let expected: Vec<(String, Value)> = theirs.into_iter().collect();
            assert_eq!(owned, expected);
            let mut extended = UnknownFields::new();
            extended.extend(owned);
            assert_eq!(extended, ours);
            ours.clear();
            assert!(ours.is_empty());
        }
    }

    #[test]
    fn equality_ignores_how_the_fields_are_kept() {
        // Grown past the vector and shrunk back, against built small.
        let mut grown = fields(SMALL + 4);
        for i in SMALL..SMALL + 4 {
            grown.remove(&format!("k{i:03}"));
        }
        assert_eq!(grown, fields(SMALL));
        assert_ne!(fields(3), fields(4));
        let mut other = fields(3);
        other.insert("k001".into(), json!("changed"));
        assert_ne!(other, fields(3));
    }

    #[test]
    fn reads_an_object_keeping_the_last_of_repeated_keys() {
        let read: UnknownFields = serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), r#"{"a":2,"b":3}"#);
        assert!(serde_json::from_str::<UnknownFields>("[1]").is_err());
        let mut fields = UnknownFields::new();
        assert_eq!(fields.insert_new("a".into(), json!(1)), Ok(()));
        assert_eq!(fields.insert_new("a".into(), json!(2)), Err("a".into()));
        assert_eq!(fields["a"], json!(1));
    }

    #[test]
    fn an_event_with_a_hundred_thousand_unknown_fields_parses_and_writes_back() {
        // A vector kept sorted by inserting would shift on each of these keys (quadratic); they
        // come in descending order, the worst case for that.
        let n = 100_000;
        let mut text = String::from(
            r#"{"eventTime":"2024-01-01T00:00:00Z","producer":"p","schemaURL":"s","run":{"runId":"r"},"job":{"namespace":"n","name":"j""#,
        );
        for i in (0..n).rev() {
            text.push_str(&format!(r#","x{i:06}":{i}"#));
        }
        text.push_str("}}");
        let event = crate::Event::from_json(&text).unwrap();
        let crate::Event::Run(run) = &event else {
            panic!("not a RunEvent")
        };
        assert_eq!(run.job.extra.len(), n);
        assert_eq!(run.job.extra["x000042"], json!(42));
        let back: Value = serde_json::to_value(&event).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(&text).unwrap());
        // A repeated unknown key is still refused, however many there are.
        let repeated = text.replacen(r#""x000007":7"#, r#""x000008":7"#, 1);
        assert!(crate::Event::from_json(&repeated).is_err());
    }
}
