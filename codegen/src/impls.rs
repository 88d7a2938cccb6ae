//! Constructors, `with_*` setters and schema URL constants for the facet types.
//!
//! A facet is built in one expression from its required fields, in the order the schema lists
//! them: `SqlJobFacet::new("SELECT 1")`. Its `_schemaURL` is the facet's own `SCHEMA_URL`
//! (its file's `$id` and definition) and its `_producer` starts empty, for the event builder to
//! fill in with the event's producer, as the Python client's `set_producer` does. Optional fields
//! get a `with_*` setter, so no `None` or `Default::default()` filler is ever written by hand.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Fields, Item, ItemStruct, Type};

use crate::streaming::{generic_arg, is_option, serde_field, SerdeField};
use crate::{Error, Result};

/// What the constructors are generated from.
#[derive(Debug, Default)]
pub struct Plan {
    /// Rust type name to the schema it was generated from (for the order of `required`).
    pub schemas: BTreeMap<String, Value>,
    /// Types that get a constructor and setters.
    pub types: BTreeSet<String>,
    /// Facet types to their `_schemaURL`.
    pub schema_urls: BTreeMap<String, String>,
}

/// The inherent impls for every struct of `file` that `plan` names.
pub fn constructors(file: &syn::File, plan: &Plan) -> Result<TokenStream> {
    // A field whose type has one value (a `const` or one-value `enum` discriminator such as
    // `"type": "DATASET"`) is filled in, not asked for.
    let single: BTreeMap<String, syn::Ident> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) if e.variants.len() == 1 && e.variants[0].fields.is_empty() => {
                Some((e.ident.to_string(), e.variants[0].ident.clone()))
            }
            _ => None,
        })
        .collect();
    let mut out = TokenStream::new();
    for item in &file.items {
        let Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        if !plan.types.contains(&name) {
            continue;
        }
        let required: Vec<String> = plan
            .schemas
            .get(&name)
            .and_then(|schema| schema.get("required"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        out.extend(constructor(
            s,
            &required,
            plan.schema_urls.get(&name),
            &single,
        )?);
    }
    Ok(out)
}

struct Field {
    ident: syn::Ident,
    key: String,
    ty: Type,
}

/// The one value of `ty`, when it is one of the one-value enums in `single`.
fn only_value(ty: &Type, single: &BTreeMap<String, syn::Ident>) -> Option<TokenStream> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let variant = single.get(&last.ident.to_string())?;
    matches!(last.arguments, syn::PathArguments::None).then(|| quote! { #ty::#variant })
}

fn constructor(
    s: &ItemStruct,
    required: &[String],
    url: Option<&String>,
    single: &BTreeMap<String, syn::Ident>,
) -> Result<TokenStream> {
    let Fields::Named(named) = &s.fields else {
        return Ok(TokenStream::new());
    };
    let name = &s.ident;
    let mut fields = Vec::new();
    let mut extra = None;
    for f in &named.named {
        let Some(ident) = f.ident.clone() else {
            continue;
        };
        let SerdeField { key, flatten, .. } =
            serde_field(f, &ident).map_err(|e| Error::Syntax(format!("{name}.{ident}: {e}")))?;
        if flatten {
            extra = Some(ident);
        } else {
            fields.push(Field {
                ident,
                key,
                ty: f.ty.clone(),
            });
        }
    }
    let is_facet = url.is_some();
    let filled_in = |f: &Field| {
        (is_facet && (f.key == "_producer" || f.key == "_schemaURL"))
            || only_value(&f.ty, single).is_some()
    };
    // Required fields in the schema's order, then any other non-optional one in field order.
    let mut params: Vec<&Field> = required
        .iter()
        .filter_map(|k| fields.iter().find(|f| &f.key == k))
        .filter(|f| !is_option(&f.ty) && !filled_in(f))
        .collect();
    for f in &fields {
        if !is_option(&f.ty) && !filled_in(f) && !params.iter().any(|p| p.ident == f.ident) {
            params.push(f);
        }
    }
    let args = params.iter().map(|f| {
        let ident = &f.ident;
        let ty = param_type(&f.ty);
        quote! { #ident: #ty }
    });
    let inits = fields.iter().map(|f| {
        let ident = &f.ident;
        if is_facet && f.key == "_producer" {
            quote! { #ident: ::std::string::String::new() }
        } else if is_facet && f.key == "_schemaURL" {
            quote! { #ident: ::std::string::ToString::to_string(Self::SCHEMA_URL) }
        } else if is_option(&f.ty) {
            quote! { #ident: ::std::option::Option::None }
        } else if let Some(value) = only_value(&f.ty, single) {
            quote! { #ident: #value }
        } else {
            let value = param_value(ident, &f.ty);
            quote! { #ident: #value }
        }
    });
    let extra_init = extra.map(|e| quote! { #e: ::std::default::Default::default(), });
    let setters = fields.iter().filter(|f| is_option(&f.ty)).map(|f| {
        let ident = &f.ident;
        let setter = format_ident!("with_{}", ident.to_string().trim_end_matches('_'));
        let inner = option_inner(&f.ty);
        let doc = format!("Sets `{}`.", f.key);
        quote! {
            #[doc = #doc]
            #[must_use]
            pub fn #setter(mut self, value: impl ::std::convert::Into<#inner>) -> Self {
                self.#ident = ::std::option::Option::Some(value.into());
                self
            }
        }
    });
    let (url_const, doc) = match url {
        Some(url) => (
            quote! {
                /// This facet's `_schemaURL`: its schema file's `$id` and definition.
                pub const SCHEMA_URL: &'static str = #url;
            },
            format!(
                "A `{name}` from its required fields. `_schemaURL` is [`Self::SCHEMA_URL`]; \
                 `_producer` is empty until the event builder fills in the event's producer."
            ),
        ),
        None => (
            TokenStream::new(),
            format!("A `{name}` from its required fields."),
        ),
    };
    Ok(quote! {
        impl #name {
            #url_const
            #[doc = #doc]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* #extra_init }
            }
            #(#setters)*
        }
    })
}

fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

fn option_inner(ty: &Type) -> Type {
    generic_arg(ty, "Option").unwrap_or_else(|| ty.clone())
}

fn param_type(ty: &Type) -> TokenStream {
    if is_string(ty) {
        quote! { impl ::std::convert::Into<::std::string::String> }
    } else if let Some(inner) = generic_arg(ty, "Box") {
        quote! { #inner }
    } else {
        quote! { #ty }
    }
}

fn param_value(ident: &syn::Ident, ty: &Type) -> TokenStream {
    if is_string(ty) {
        quote! { #ident.into() }
    } else if generic_arg(ty, "Box").is_some() {
        quote! { ::std::boxed::Box::new(#ident) }
    } else {
        quote! { #ident }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn facets_get_a_constructor_in_schema_order_and_setters() {
        let file: syn::File = syn::parse_quote! {
            pub struct ParentRunFacet {
                #[serde(rename = "_deleted", skip_serializing_if = "::std::option::Option::is_none")]
                pub deleted: ::std::option::Option<bool>,
                pub job: ParentJob,
                #[serde(rename = "_producer")]
                pub producer: ::std::string::String,
                pub run: ParentRun,
                #[serde(rename = "_schemaURL")]
                pub schema_url: ::std::string::String,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
            pub struct ParentJob {
                pub name: ::std::string::String,
                pub namespace: ::std::string::String,
            }
            pub struct Untouched { pub a: ::std::string::String }
            pub struct Entry {
                pub name: ::std::string::String,
                #[serde(rename = "type")]
                pub type_: EntryType,
            }
            pub enum EntryType { Dataset }
        };
        let plan = Plan {
            schemas: [
                (
                    "ParentRunFacet".to_string(),
                    json!({"required": ["_producer", "_schemaURL", "run", "job"]}),
                ),
                (
                    "ParentJob".to_string(),
                    json!({"required": ["namespace", "name"]}),
                ),
                ("Entry".to_string(), json!({"required": ["name", "type"]})),
            ]
            .into_iter()
            .collect(),
            types: ["ParentRunFacet", "ParentJob", "Entry"]
                .into_iter()
                .map(String::from)
                .collect(),
            schema_urls: [(
                "ParentRunFacet".to_string(),
                "https://x#/$defs/P".to_string(),
            )]
            .into_iter()
            .collect(),
        };
        let out = constructors(&file, &plan).unwrap();
        let text = prettyplease::unparse(&syn::parse2(out).unwrap());
        assert!(text.contains("pub const SCHEMA_URL: &'static str = \"https://x#/$defs/P\""));
        assert!(
            text.contains("pub fn new(run: ParentRun, job: ParentJob) -> Self"),
            "{text}"
        );
        assert!(
            text.contains("producer: ::std::string::String::new()"),
            "{text}"
        );
        assert!(
            text.contains("pub fn with_deleted(mut self, value: impl ::std::convert::Into<bool>)"),
            "{text}"
        );
        assert!(text.contains(
            "pub fn new(\n        namespace: impl ::std::convert::Into<::std::string::String>,\n        name: impl ::std::convert::Into<::std::string::String>,"
        ), "{text}");
        assert!(!text.contains("impl Untouched"), "{text}");
        // A one-value enum is filled in rather than asked for.
        assert!(
            text.contains("pub fn new(name: impl ::std::convert::Into<::std::string::String>) -> Self {\n        Self {\n            name: name.into(),\n            type_: EntryType::Dataset,"),
            "{text}"
        );
    }
}
