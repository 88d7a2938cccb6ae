//! Fixture tests for generated code, reviewed as `.snap` files: the streaming `Deserialize`
//! pass on a small struct, and the full generated code of a slice of the pinned spec (`Job`,
//! `SqlJobFacet` and the `JobFacets` container). A change to the generator shows up here as a
//! code diff, not as a failed substring match.

use std::path::PathBuf;

use openlineage_codegen::generate::generate;
use openlineage_codegen::spec::Pin;
use openlineage_codegen::streaming::streaming_deserialize;
use quote::ToTokens;

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
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let pin = Pin::read(&root).expect("pin");
    let generated = generate(&pin.resolve_dir(&root), &pin.tag).expect("generates");
    let file = syn::parse_file(&generated.code).expect("parses");
    let code = slice(&file, &["Job", "SqlJobFacet", "JobFacets"]);
    assert!(code.contains("pub struct Job "), "{code}");
    assert!(code.contains("JobFacets : JobFacet"), "{code}");
    insta::assert_snapshot!("generated_job_slice", code);
}
