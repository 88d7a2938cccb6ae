//! Replaces serde's derived `Deserialize` on structs with an `extra` map by a streaming one.
//!
//! typify keeps unknown fields with `#[serde(flatten)] extra`, and serde's derive implements
//! flatten by buffering the whole object into an intermediate tree before filling the struct:
//! measured on this spec, that made typed parsing twice as slow as parsing into
//! `serde_json::Value`. This pass works on the syntax tree (never on text): for each such
//! struct it drops `Deserialize` from the derive list and emits a visitor that fills each known
//! field straight from the input and moves every other key into `extra`. Semantics match the
//! derive with two deliberate differences: a repeated key is an error even for unknown fields,
//! and only JSON objects (not arrays) are accepted.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Item, ItemStruct, Meta, Path, Token, Type};

use crate::catalogue::FacetKind;
use crate::{Error, Result};

/// One struct field as the visitor needs it.
struct FieldPlan {
    ident: syn::Ident,
    key: String,
    ty: Type,
    /// Missing means `Default::default()` (an `Option` or a `#[serde(default)]` field).
    defaulted: bool,
    /// An `Option` field: present means a value, and `null` is refused rather than read as
    /// absent, since writing the struct back would drop it.
    optional: bool,
    /// An optional boxed facet container, read straight into its box (the types crate's
    /// `de::InPlace`) instead of being built on the stack and copied there.
    in_place: bool,
}

/// Where keys the struct does not name go.
enum Unknown {
    /// Into the flattened map field.
    Extra(syn::Ident),
    /// Nowhere: `#[serde(deny_unknown_fields)]`, an unknown key is an error.
    Deny,
}

/// Rewrites every struct in `file` that has a flattened `extra` map. The structs named in
/// `lenient` (the facet types) also implement the types crate's `de::Lenient`: read that way, an
/// object that lacks a required field gives back what was read as JSON instead of an error, so
/// a facet that does not fit for that reason (a `_deleted` marker) is decided where it is read.
pub fn streaming_deserialize(file: &mut syn::File, lenient: &BTreeSet<String>) -> Result<()> {
    let mut impls = Vec::new();
    let mut streamed = BTreeSet::new();
    for item in &mut file.items {
        let Item::Struct(s) = item else { continue };
        if let Some((fields, unknown)) = plan(s)? {
            if let Unknown::Extra(extra) = &unknown {
                retype_extra(s, extra);
            }
            remove_derive(&mut s.attrs, "Deserialize");
            s.attrs.retain(|a| !is_serde_deny(a));
            let is_lenient = lenient.contains(&s.ident.to_string());
            impls.push(visitor_impl(&s.ident, &fields, &unknown, is_lenient));
            streamed.insert(s.ident.to_string());
        }
    }
    // A facet type without a streaming visitor (no `extra` map in some spec version) keeps the
    // trait's default, its own `Deserialize`, so the containers can read every facet the same way.
    for item in &file.items {
        let ident = match item {
            Item::Struct(s) => &s.ident,
            Item::Enum(e) => &e.ident,
            _ => continue,
        };
        let name = ident.to_string();
        if lenient.contains(&name) && !streamed.contains(&name) {
            impls.push(quote! { impl crate::de::Lenient for #ident {} });
        }
    }
    for tokens in impls {
        let item: Item = syn::parse2(tokens).map_err(|e| Error::Syntax(e.to_string()))?;
        file.items.push(item);
    }
    Ok(())
}

/// Gives the flattened map of unknown fields the types crate's own `UnknownFields` in place of
/// typify's `serde_json::Map`, with a doc line saying what it holds. Most such maps hold nothing
/// or a few keys, which `UnknownFields` keeps in a short sorted vector: a `serde_json::Map` (a
/// `BTreeMap`) allocates a node of about 600 bytes for its first key, and its first key and its
/// drop made up most of what unknown fields cost the typed parse over `serde_json::Value`.
/// A map of any other type is left as it is.
fn retype_extra(s: &mut ItemStruct, extra: &syn::Ident) {
    let Fields::Named(named) = &mut s.fields else {
        return;
    };
    let Some(field) = named
        .named
        .iter_mut()
        .find(|f| f.ident.as_ref() == Some(extra))
    else {
        return;
    };
    let is_json_map = matches!(&field.ty, Type::Path(p)
        if p.path.segments.len() == 2
            && p.path.segments[0].ident == "serde_json"
            && p.path.segments[1].ident == "Map");
    if !is_json_map {
        return;
    }
    field.ty = syn::parse_quote! { crate::UnknownFields };
    field.attrs.insert(
        0,
        syn::parse_quote! {
            #[doc = "Fields the schema does not name, kept as they came (see [`UnknownFields`](crate::UnknownFields))."]
        },
    );
}

fn is_serde_deny(attr: &Attribute) -> bool {
    attr.path().is_ident("serde")
        && attr
            .parse_args::<syn::Ident>()
            .is_ok_and(|i| i == "deny_unknown_fields")
}

/// The known fields of a struct and where its unknown keys go, or `None` if it does not derive
/// `Deserialize` or ignores unknown keys (which the schema passes never let happen).
fn plan(s: &ItemStruct) -> Result<Option<(Vec<FieldPlan>, Unknown)>> {
    if !derives(&s.attrs, "Deserialize") || !s.generics.params.is_empty() {
        return Ok(None);
    }
    let Fields::Named(named) = &s.fields else {
        return Ok(None);
    };
    let mut fields = Vec::new();
    let mut extra = None;
    for field in &named.named {
        let Some(ident) = field.ident.clone() else {
            return Ok(None);
        };
        let SerdeField {
            key,
            flatten,
            default: has_default,
        } = serde_field(field, &ident)
            .map_err(|e| Error::Syntax(format!("{}.{ident}: {e}", s.ident)))?;
        if flatten {
            if extra.replace(ident.clone()).is_some() {
                return Ok(None);
            }
            continue;
        }
        let optional = is_option(&field.ty);
        fields.push(FieldPlan {
            ident,
            key,
            ty: field.ty.clone(),
            defaulted: has_default || optional,
            optional,
            in_place: is_boxed_container(&field.ty),
        });
    }
    Ok(match extra {
        Some(e) => Some((fields, Unknown::Extra(e))),
        None if s.attrs.iter().any(is_serde_deny) => Some((fields, Unknown::Deny)),
        None => None,
    })
}

/// What a struct field's `#[serde(...)]` attributes say.
pub(crate) struct SerdeField {
    /// The JSON key: its `rename`, else the field's name.
    pub key: String,
    /// The flattened `extra` map.
    pub flatten: bool,
    /// Missing means `Default::default()`.
    pub default: bool,
}

/// Reads a field's serde attributes; any the generator does not know is an error, so a new
/// typify attribute cannot be silently mishandled.
pub(crate) fn serde_field(field: &syn::Field, ident: &syn::Ident) -> syn::Result<SerdeField> {
    let mut out = SerdeField {
        key: ident.to_string().trim_start_matches("r#").to_string(),
        flatten: false,
        default: false,
    };
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                out.key = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.path.is_ident("flatten") {
                out.flatten = true;
            } else if meta.path.is_ident("default") {
                if meta.input.peek(Token![=]) {
                    return Err(meta.error("`default = path` is not supported"));
                }
                out.default = true;
            } else if meta.path.is_ident("skip_serializing_if") {
                meta.value()?.parse::<syn::LitStr>()?;
            } else {
                return Err(meta.error("unsupported serde attribute"));
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// Whether `ty` is `Option<Box<C>>` for a facet container `C`.
fn is_boxed_container(ty: &Type) -> bool {
    let inner = generic_arg(ty, "Option").and_then(|boxed| generic_arg(&boxed, "Box"));
    matches!(inner, Some(Type::Path(p)) if p.path.segments.last().is_some_and(|s| {
        FacetKind::ALL.iter().any(|k| s.ident == k.container())
    }))
}

/// The type inside `Option<..>` or `Box<..>`.
pub(crate) fn generic_arg(ty: &Type, wrapper: &str) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

pub(crate) fn is_option(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

fn derive_paths(attr: &Attribute) -> Option<Punctuated<Path, Token![,]>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
        .ok()
}

pub(crate) fn derives(attrs: &[Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter_map(derive_paths)
        .flatten()
        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
}

/// Drops `name` from the derive lists, and a derive attribute left with nothing to derive.
pub(crate) fn remove_derive(attrs: &mut Vec<Attribute>, name: &str) {
    attrs.retain_mut(|attr| {
        let Some(paths) = derive_paths(attr) else {
            return true;
        };
        let kept: Vec<Path> = paths
            .into_iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != name))
            .collect();
        attr.meta = Meta::List(syn::MetaList {
            path: attr.path().clone(),
            delimiter: syn::MacroDelimiter::Paren(Default::default()),
            tokens: quote! { #(#kept),* },
        });
        !kept.is_empty()
    });
}

fn visitor_impl(
    name: &syn::Ident,
    fields: &[FieldPlan],
    unknown: &Unknown,
    lenient: bool,
) -> TokenStream {
    let expecting = format!("an object for {name}");
    let slots = fields.iter().map(|f| {
        let slot = format_ident!("__{}", f.ident);
        let ty = &f.ty;
        quote! { let mut #slot: ::std::option::Option<#ty> = ::std::option::Option::None; }
    });
    let arms = fields.iter().map(|f| {
        let slot = format_ident!("__{}", f.ident);
        let key = &f.key;
        if f.in_place {
            quote! { #key => crate::de::next_optional_boxed(&mut #slot, &mut map, #key)?, }
        } else if f.optional {
            quote! { #key => crate::de::next_optional(&mut #slot, &mut map, #key)?, }
        } else {
            quote! { #key => crate::de::next_field(&mut #slot, &mut map, #key)?, }
        }
    });
    let keys: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    let (extra_decl, extra_arm, extra_init) = match unknown {
        Unknown::Extra(extra) => (
            quote! { let mut #extra = ::std::default::Default::default(); },
            quote! { _ => crate::de::next_extra(&mut #extra, key, &mut map)?, },
            quote! { #extra, },
        ),
        Unknown::Deny => (
            quote! {},
            quote! { other => return ::std::result::Result::Err(
            <A::Error as ::serde::de::Error>::unknown_field(other, &[#(#keys),*])), },
            quote! {},
        ),
    };
    let inits = fields.iter().map(|f| {
        let slot = format_ident!("__{}", f.ident);
        let ident = &f.ident;
        let key = &f.key;
        if f.defaulted {
            quote! { #ident: #slot.unwrap_or_default(), }
        } else {
            quote! { #ident: crate::de::required(#slot, #key)?, }
        }
    });
    let build = quote! {
        #name {
            #(#inits)*
            #extra_init
        }
    };
    // Reading the map is the same for the plain and the lenient visitor.
    let read = quote! {
        #(#slots)*
        #extra_decl
        while let ::std::option::Option::Some(key) = map.next_key::<crate::de::Key<'de>>()? {
            match key.as_str() {
                #(#arms)*
                #extra_arm
            }
        }
    };
    if !lenient {
        return quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    struct Visitor;
                    impl<'de> ::serde::de::Visitor<'de> for Visitor {
                        type Value = #name;
                        fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(#expecting)
                        }
                        fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                            #read
                            ::std::result::Result::Ok(#build)
                        }
                    }
                    deserializer.deserialize_map(Visitor)
                }
            }
        };
    }
    // A misfit is written back from the slots: every field read, then the unknown ones.
    let required: Vec<TokenStream> = fields
        .iter()
        .filter(|f| !f.defaulted)
        .map(|f| {
            let slot = format_ident!("__{}", f.ident);
            quote! { #slot.is_none() }
        })
        .collect();
    let missing = if required.is_empty() {
        quote! { false }
    } else {
        quote! { #(#required)||* }
    };
    let put_back = fields.iter().map(|f| {
        let slot = format_ident!("__{}", f.ident);
        let key = &f.key;
        quote! { crate::de::put_back::<_, A::Error>(&mut __json, #key, &#slot)?; }
    });
    let put_back_extra = match unknown {
        Unknown::Extra(extra) => {
            quote! { crate::de::put_back_extra::<_, A::Error>(&mut __json, &#extra)?; }
        }
        Unknown::Deny => quote! {},
    };
    quote! {
        const _: () = {
            struct Visitor {
                lenient: bool,
            }
            impl<'de> ::serde::de::Visitor<'de> for Visitor {
                type Value = crate::de::Fit<#name>;
                fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(#expecting)
                }
                fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<crate::de::Fit<#name>, A::Error> {
                    #read
                    if self.lenient && (#missing) {
                        let mut __json = ::serde_json::Map::new();
                        #(#put_back)*
                        #put_back_extra
                        return ::std::result::Result::Ok(crate::de::Fit::Misfit(::serde_json::Value::Object(__json)));
                    }
                    ::std::result::Result::Ok(crate::de::Fit::Typed(#build))
                }
            }
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    deserializer.deserialize_map(Visitor { lenient: false })?.into_typed()
                }
            }
            impl crate::de::Lenient for #name {
                fn deserialize_lenient<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<crate::de::Fit<Self>, D::Error> {
                    deserializer.deserialize_map(Visitor { lenient: true })
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // What the pass writes is fixed by the snapshot in `codegen/tests/streaming.rs`.

    #[test]
    fn unknown_serde_attributes_are_refused() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(::serde::Deserialize)]
            pub struct A {
                #[serde(alias = "b")]
                pub a: String,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            }
        };
        let err = streaming_deserialize(&mut file, &BTreeSet::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("A.a"), "{err}");
    }
}
