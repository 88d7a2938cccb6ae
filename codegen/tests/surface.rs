//! Snapshots of generated code for the pinned spec, so any spec or generator change shows up as
//! a `.snap` diff in review: the public surface, the streaming `Deserialize` pass on a sample
//! struct, and the full generated code of a slice (`Job`, `SqlJobFacet`, `JobFacets`).

use std::path::PathBuf;

use openlineage_codegen::generate::{generate, Generated};
use openlineage_codegen::spec::{verify, Pin};
use openlineage_codegen::streaming::streaming_deserialize;
use openlineage_codegen::surface::surface;
use quote::ToTokens;

/// The code generated from the pinned snapshot.
fn generated() -> Generated {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let pin = Pin::read(&root).expect("pin");
    let dir = pin.resolve_dir(&root);
    verify(&dir, &root.join("spec/SHA256SUMS")).expect("snapshot matches the pin");
    generate(&dir, &pin.tag).expect("generates")
}

#[test]
fn generated_surface_matches_snapshot() {
    let generated = generated();
    let listing = surface(&generated.code).expect("parses");
    assert!(
        listing.contains("container RunFacets: RunFacet"),
        "{listing}"
    );
    insta::assert_snapshot!("generated_surface", listing);
}

#[test]
fn generated_docs_carry_the_schema_examples_and_link_their_urls() {
    let generated = generated();
    let code = &generated.code;
    assert!(
        code.contains("Example: `SELECT * FROM foo`"),
        "SQLJobFacet.query"
    );
    assert!(
        code.contains("Example: `my-scheduler-namespace`"),
        "ParentJob.namespace"
    );
    assert!(code.matches("Example: ").count() >= 50);
    assert!(code.contains("(<https://tools.ietf.org/html/rfc6901>)"));
    // The embedded schema text keeps its URLs as they are; the docs must not (CI's
    // `RUSTDOCFLAGS="-D warnings" cargo doc` checks every other form).
    let bare = code
        .lines()
        .filter(|l| !l.contains("BUNDLED_DEFS"))
        .find(|l| l.contains(" (https://"));
    assert_eq!(bare, None, "a bare URL is left in the docs");
}

#[test]
fn streaming_pass_output() {
    let mut file: syn::File = syn::parse_quote! {
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
        pub struct Sample {
            #[serde(rename = "eventTime")]
            pub event_time: ::std::string::String,
            #[serde(skip_serializing_if = "::std::option::Option::is_none")]
            pub note: ::std::option::Option<::std::string::String>,
            #[serde(default)]
            pub tags: ::std::vec::Vec<::std::string::String>,
            #[serde(flatten)]
            pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
        }
        #[derive(::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Closed {
            pub a: ::std::string::String,
        }
    };
    streaming_deserialize(&mut file).expect("rewrites");
    insta::assert_snapshot!("streaming_sample", prettyplease::unparse(&file));
}

/// Items of `file` about the types named in `names`: their definitions, their impls and the
/// container macro calls that declare them.
fn slice(file: &syn::File, names: &[&str]) -> String {
    let about = |ty: &syn::Type| {
        let text = ty.to_token_stream().to_string();
        names.contains(&text.as_str())
    };
    let items: Vec<syn::Item> = file
        .items
        .iter()
        .filter(|item| match item {
            syn::Item::Struct(s) => names.contains(&s.ident.to_string().as_str()),
            syn::Item::Enum(e) => names.contains(&e.ident.to_string().as_str()),
            syn::Item::Impl(i) => about(&i.self_ty),
            syn::Item::Macro(m) => {
                // A container call reads `#[doc = ...] JobFacets: JobFacet { ... }`.
                let body = m.mac.tokens.to_string();
                let name = body
                    .split("] ")
                    .nth(1)
                    .and_then(|rest| rest.split(" :").next());
                name.is_some_and(|n| names.contains(&n))
            }
            _ => false,
        })
        .cloned()
        .collect();
    let mut out = file.clone();
    out.attrs.clear();
    out.items = items;
    prettyplease::unparse(&out)
}

#[test]
fn generated_code_for_a_slice_of_the_spec() {
    let generated = generated();
    let file = syn::parse_file(&generated.code).expect("parses");
    let code = slice(&file, &["Job", "SqlJobFacet", "JobFacets"]);
    assert!(code.contains("pub struct Job "), "{code}");
    assert!(code.contains("JobFacets : JobFacet"), "{code}");
    insta::assert_snapshot!("generated_job_slice", code);
}
