//! Reads typify's untagged enums whose variants each fix one key to a different constant by
//! that key, instead of trying the variants in turn.
//!
//! typify writes a `oneOf` of object definitions as `#[serde(untagged)]`, and serde reads an
//! untagged enum by buffering the object and trying each variant until one fits. When every
//! variant is a struct with a required field whose type admits one value (a `const`, such as the
//! subset conditions' `"type": {"const": "binary"}`) under the same key, with a different value
//! in each, at most one variant can fit, and the key's value says which. Measured on generated
//! events, the tries (each failing one formats an error message, and copies what it read into
//! its unknown fields) made the subset facet cost more than every other facet of the typed parse
//! put together. This pass works on the syntax tree: for each such enum it drops `Deserialize`
//! from the derive list and emits one that reads the object once (`serde_json::Value`, through
//! the types crate's `de::via_text`, so numbers keep their spelling) and hands it to the variant
//! its key names. The answer is the derive's for every input: the variant the key names is the
//! only one that can fit, and an object whose key names none fits none, with serde's own words
//! for it. Only the error for an object that names a variant and does not fit it differs: it
//! says what is wrong with that variant, where serde says that nothing matched.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Fields, Item, ItemEnum, ItemStruct, Type};

use crate::streaming::{derives, is_option, remove_derive, serde_field};
use crate::{Error, Result};

/// How one enum is read: the key, and per variant its constant and the struct it holds.
struct Dispatch {
    key: String,
    variants: Vec<(syn::Ident, String, Type)>,
}

/// Rewrites every untagged enum in `file` whose variants a constant field tells apart.
pub fn dispatch_by_tag(file: &mut syn::File) -> Result<()> {
    // Planned over the file as it is, then applied, so nothing is copied to be looked at.
    let structs: BTreeMap<String, &ItemStruct> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((s.ident.to_string(), s)),
            _ => None,
        })
        .collect();
    let constants: BTreeMap<String, String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) => Some((e.ident.to_string(), only_value(e)?)),
            _ => None,
        })
        .collect();
    let mut planned = Vec::new();
    for (at, item) in file.items.iter().enumerate() {
        let Item::Enum(e) = item else { continue };
        if let Some(dispatch) = plan(e, &structs, &constants)? {
            planned.push((at, deserialize_impl(&e.ident, &dispatch)));
        }
    }
    for (at, tokens) in planned {
        if let Item::Enum(e) = &mut file.items[at] {
            remove_derive(&mut e.attrs, "Deserialize");
        }
        let item: Item = syn::parse2(tokens).map_err(|e| Error::Syntax(e.to_string()))?;
        file.items.push(item);
    }
    Ok(())
}

/// Whether the enum's attributes say `#[serde(untagged)]`.
fn is_untagged(e: &ItemEnum) -> bool {
    e.attrs.iter().any(|a| {
        a.path().is_ident("serde") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "untagged")
    })
}

/// The JSON string an enum of one unit variant reads, as typify writes a `const` string: the
/// variant's `#[serde(rename = "...")]`, or its name.
fn only_value(e: &ItemEnum) -> Option<String> {
    let [variant] = e.variants.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    if !matches!(variant.fields, Fields::Unit) || !derives(&e.attrs, "Deserialize") {
        return None;
    }
    let mut value = variant.ident.to_string();
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let mut known = true;
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                value = meta.value()?.parse::<syn::LitStr>()?.value();
            } else {
                known = false;
            }
            Ok(())
        })
        .ok()?;
        // An attribute this pass does not know could change what the variant reads.
        if !known {
            return None;
        }
    }
    Some(value)
}

/// The struct a variant holds, when the variant is one unnamed field of a plain type name.
fn held_struct<'a>(
    variant: &syn::Variant,
    structs: &BTreeMap<String, &'a ItemStruct>,
) -> Option<(Type, &'a ItemStruct)> {
    let Fields::Unnamed(fields) = &variant.fields else {
        return None;
    };
    let [field] = fields.unnamed.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let Type::Path(path) = &field.ty else {
        return None;
    };
    let ident = path.path.get_ident()?;
    Some((field.ty.clone(), *structs.get(&ident.to_string())?))
}

/// The required fields of `s` whose type admits one JSON string: key and value.
fn constant_fields(
    s: &ItemStruct,
    constants: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Fields::Named(named) = &s.fields else {
        return Ok(out);
    };
    for field in &named.named {
        let Some(ident) = &field.ident else { continue };
        let serde = serde_field(field, ident)
            .map_err(|e| Error::Syntax(format!("{}.{ident}: {e}", s.ident)))?;
        if serde.flatten || serde.default || is_option(&field.ty) {
            continue;
        }
        let Type::Path(path) = &field.ty else {
            continue;
        };
        if let Some(value) = path
            .path
            .get_ident()
            .and_then(|i| constants.get(&i.to_string()))
        {
            out.insert(serde.key, value.clone());
        }
    }
    Ok(out)
}

/// How `e` can be read by its key, or `None` when it is not an untagged enum whose variants one
/// key tells apart.
fn plan(
    e: &ItemEnum,
    structs: &BTreeMap<String, &ItemStruct>,
    constants: &BTreeMap<String, String>,
) -> Result<Option<Dispatch>> {
    if !is_untagged(e) || !derives(&e.attrs, "Deserialize") || !e.generics.params.is_empty() {
        return Ok(None);
    }
    let mut held = Vec::new();
    for variant in &e.variants {
        let Some((ty, s)) = held_struct(variant, structs) else {
            return Ok(None);
        };
        held.push((variant.ident.clone(), ty, constant_fields(s, constants)?));
    }
    // The first key, in key order, that every variant fixes, each to its own value.
    let Some((_, _, first)) = held.first() else {
        return Ok(None);
    };
    let key = first.keys().find(|key| {
        let mut seen = std::collections::BTreeSet::new();
        held.iter()
            .all(|(_, _, fields)| fields.get(*key).is_some_and(|v| seen.insert(v.clone())))
    });
    let Some(key) = key.cloned() else {
        return Ok(None);
    };
    let variants = held
        .into_iter()
        .map(|(ident, ty, fields)| {
            let value = fields[&key].clone();
            (ident, value, ty)
        })
        .collect();
    Ok(Some(Dispatch { key, variants }))
}

fn deserialize_impl(name: &syn::Ident, dispatch: &Dispatch) -> TokenStream {
    let key = &dispatch.key;
    let values = dispatch.variants.iter().map(|(_, value, _)| value);
    let arms = dispatch
        .variants
        .iter()
        .enumerate()
        .map(|(i, (ident, _, ty))| {
            quote! {
                ::std::option::Option::Some(#i) => <#ty as ::serde::Deserialize>::deserialize(value)
                    .map(Self::#ident)
                    .map_err(<D::Error as ::serde::de::Error>::custom),
            }
        });
    let no_match = format!("data did not match any variant of untagged enum {name}");
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value: ::serde_json::Value = crate::de::via_text(deserializer)?;
                match crate::de::tag_index(&value, #key, &[#(#values),*]) {
                    #(#arms)*
                    _ => ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(#no_match)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the pass writes is fixed by a snapshot in `codegen/tests/streaming.rs`.

    fn rewritten(mut file: syn::File) -> String {
        dispatch_by_tag(&mut file).expect("the pass accepts the fixture");
        prettyplease::unparse(&file)
    }

    #[test]
    fn variants_one_key_tells_apart_are_read_by_it() {
        let out = rewritten(syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum Cond { A(A), B(B) }
            #[derive(::serde::Deserialize)]
            pub struct A { #[serde(rename = "type")] pub type_: AType, pub n: String }
            #[derive(::serde::Deserialize)]
            pub struct B { pub x: String, #[serde(rename = "type")] pub type_: BType }
            #[derive(::serde::Deserialize)]
            pub enum AType { #[serde(rename = "a")] A }
            #[derive(::serde::Deserialize)]
            pub enum BType { #[serde(rename = "b")] B }
        });
        assert!(
            out.contains("impl<'de> ::serde::Deserialize<'de> for Cond"),
            "{out}"
        );
        assert!(out.contains(r#"&["a", "b"]"#), "{out}");
        assert!(out.contains("#[derive(::serde::Serialize)]"), "{out}");
    }

    /// Variants that share a value, leave the key optional or lack it, or a variant that is
    /// not a struct, keep serde's tries.
    #[test]
    fn enums_no_key_tells_apart_keep_the_derive() {
        let cases: [syn::File; 4] = [
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                #[serde(untagged)]
                pub enum Cond { A(A), B(B) }
                #[derive(::serde::Deserialize)]
                pub struct A { #[serde(rename = "type")] pub type_: T }
                #[derive(::serde::Deserialize)]
                pub struct B { #[serde(rename = "type")] pub type_: T }
                #[derive(::serde::Deserialize)]
                pub enum T { #[serde(rename = "a")] A }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                #[serde(untagged)]
                pub enum Cond { A(A), B(B) }
                #[derive(::serde::Deserialize)]
                pub struct A { #[serde(rename = "type")] pub type_: AType }
                #[derive(::serde::Deserialize)]
                pub struct B { #[serde(rename = "type")] pub type_: Option<BType> }
                #[derive(::serde::Deserialize)]
                pub enum AType { #[serde(rename = "a")] A }
                #[derive(::serde::Deserialize)]
                pub enum BType { #[serde(rename = "b")] B }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                #[serde(untagged)]
                pub enum Cond { A(A), S(String) }
                #[derive(::serde::Deserialize)]
                pub struct A { #[serde(rename = "type")] pub type_: AType }
                #[derive(::serde::Deserialize)]
                pub enum AType { #[serde(rename = "a")] A }
            },
            syn::parse_quote! {
                #[derive(::serde::Deserialize)]
                #[serde(untagged)]
                pub enum Cond { A(A), B(B) }
                #[derive(::serde::Deserialize)]
                pub struct A { #[serde(rename = "type")] pub type_: AType }
                #[derive(::serde::Deserialize)]
                pub struct B { #[serde(rename = "kind")] pub kind: BType }
                #[derive(::serde::Deserialize)]
                pub enum AType { #[serde(rename = "a")] A }
                #[derive(::serde::Deserialize)]
                pub enum BType { #[serde(rename = "b")] B }
            },
        ];
        for file in cases {
            let before = prettyplease::unparse(&file);
            assert_eq!(rewritten(file), before);
        }
    }
}
