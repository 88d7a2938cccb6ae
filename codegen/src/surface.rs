//! A plain-text listing of the public surface of generated code, for snapshot review.
//!
//! Each public type is listed with its fields (and their types) or variants, so a spec or
//! generator change shows up as a small, readable `.snap` diff rather than a wall of code.

use std::fmt::Write;

use quote::ToTokens;

use crate::{Error, Result};

/// Lists the public structs, enums, inherent methods, type aliases, constants and macro-built
/// containers in `code`.
pub fn surface(code: &str) -> Result<String> {
    let file = syn::parse_file(code).map_err(|e| Error::Syntax(e.to_string()))?;
    let mut out = String::new();
    for item in &file.items {
        describe(item, &mut out);
    }
    Ok(out)
}

fn ty(t: &impl ToTokens) -> String {
    t.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace(",>", ">")
        .replace("impl::", "impl ::")
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn describe(item: &syn::Item, out: &mut String) {
    match item {
        syn::Item::Struct(s) if is_pub(&s.vis) => {
            let _ = writeln!(out, "struct {}", s.ident);
            for f in &s.fields {
                let name = f
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let _ = writeln!(out, "    {name}: {}", ty(&f.ty));
            }
        }
        syn::Item::Enum(e) if is_pub(&e.vis) => {
            let _ = writeln!(out, "enum {}", e.ident);
            for v in &e.variants {
                let fields = v.fields.iter().map(|f| ty(&f.ty)).collect::<Vec<_>>();
                if fields.is_empty() {
                    let _ = writeln!(out, "    {}", v.ident);
                } else {
                    let _ = writeln!(out, "    {}({})", v.ident, fields.join(", "));
                }
            }
        }
        syn::Item::Type(t) if is_pub(&t.vis) => {
            let _ = writeln!(out, "type {} = {}", t.ident, ty(&t.ty));
        }
        syn::Item::Const(c) if is_pub(&c.vis) => {
            let _ = writeln!(out, "const {}: {}", c.ident, ty(&c.ty));
        }
        syn::Item::Static(s) if is_pub(&s.vis) => {
            let _ = writeln!(out, "static {}: {}", s.ident, ty(&s.ty));
        }
        syn::Item::Mod(m) if is_pub(&m.vis) => {
            let _ = writeln!(out, "mod {}", m.ident);
            if let Some((_, items)) = &m.content {
                let mut inner = String::new();
                items.iter().for_each(|i| describe(i, &mut inner));
                for line in inner.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        syn::Item::Impl(i) if i.trait_.is_none() => {
            let _ = writeln!(out, "impl {}", ty(&i.self_ty));
            for item in &i.items {
                match item {
                    syn::ImplItem::Const(c) if is_pub(&c.vis) => {
                        let _ = writeln!(out, "    const {}: {}", c.ident, ty(&c.ty));
                    }
                    syn::ImplItem::Fn(f) if is_pub(&f.vis) => {
                        let args: Vec<String> = f
                            .sig
                            .inputs
                            .iter()
                            .map(|arg| match arg {
                                syn::FnArg::Receiver(r) => ty(r),
                                syn::FnArg::Typed(t) => format!("{}: {}", ty(&t.pat), ty(&t.ty)),
                            })
                            .collect();
                        let ret = match &f.sig.output {
                            syn::ReturnType::Default => String::new(),
                            syn::ReturnType::Type(_, t) => format!(" -> {}", ty(t)),
                        };
                        let _ = writeln!(out, "    fn {}({}){ret}", f.sig.ident, args.join(", "));
                    }
                    _ => {}
                }
            }
        }
        syn::Item::Macro(m) => {
            if let Ok(c) = m.mac.parse_body::<Container>() {
                let _ = writeln!(out, "container {}: {}", c.name, c.base);
                for (field, key, ty) in c.fields {
                    let _ = writeln!(out, "    {field}: {key:?} => {ty}");
                }
            }
        }
        _ => {}
    }
}

/// The body of a `facet_container!` call: `Name: Base { #[doc] field: "key" => Type, ... }`.
struct Container {
    name: syn::Ident,
    base: syn::Ident,
    fields: Vec<(syn::Ident, String, syn::Ident)>,
}

impl syn::parse::Parse for Container {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        input.call(syn::Attribute::parse_outer)?;
        let name = input.parse()?;
        input.parse::<syn::Token![:]>()?;
        let base = input.parse()?;
        let body;
        syn::braced!(body in input);
        let mut fields = Vec::new();
        while !body.is_empty() {
            body.call(syn::Attribute::parse_outer)?;
            let field = body.parse()?;
            body.parse::<syn::Token![:]>()?;
            let key: syn::LitStr = body.parse()?;
            body.parse::<syn::Token![=>]>()?;
            let ty = body.parse()?;
            body.parse::<syn::Token![,]>()?;
            fields.push((field, key.value(), ty));
        }
        Ok(Container { name, base, fields })
    }
}
