//! Fixture tests of the streaming-deserialize and tag-dispatch passes: a few items in, the
//! rewritten code out, pretty-printed and snapshotted, so any change to what a pass writes is a
//! reviewed diff.

use openlineage_codegen::streaming::streaming_deserialize;
use openlineage_codegen::tagged::dispatch_by_tag;

#[test]
fn streaming_pass_output_matches_fixture() {
    // A struct with an `extra` map gets a visitor (renamed, optional and required fields); one
    // that ignores unknown keys keeps serde's derive; a closed one gets a visitor that refuses
    // unknown keys; a lenient one (a facet type) can also give back what it read when a
    // required field is missing, and a lenient one without a visitor keeps its derive and the
    // trait's default.
    let mut file: syn::File = syn::parse_quote! {
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
        pub struct A {
            #[serde(rename = "eventTime")]
            pub event_time: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub note: Option<String>,
            #[serde(default)]
            pub tags: Vec<String>,
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }
        #[derive(::serde::Deserialize)]
        pub struct Open { pub a: String }
        #[derive(::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Closed { pub a: String }
        #[derive(::serde::Deserialize, ::serde::Serialize)]
        pub struct Facet {
            #[serde(rename = "_producer")]
            pub producer: String,
            #[serde(rename = "_deleted", skip_serializing_if = "Option::is_none")]
            pub deleted: Option<bool>,
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }
    };
    let lenient = ["Facet".to_string(), "Open".to_string()].into();
    streaming_deserialize(&mut file, &lenient).expect("the pass accepts these structs");
    insta::assert_snapshot!("streaming_pass", prettyplease::unparse(&file));
}

#[test]
fn tag_dispatch_output_matches_fixture() {
    // Subset conditions in small: an untagged enum whose variants fix `type` to different
    // constants is read by it; one whose variants share no such key keeps serde's derive.
    let mut file: syn::File = syn::parse_quote! {
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
        #[serde(untagged)]
        pub enum Condition {
            Location(Location),
            Binary(Binary),
        }
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
        #[serde(untagged)]
        pub enum Loose {
            Location(Location),
            Text(String),
        }
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
        pub struct Location {
            pub locations: Vec<String>,
            #[serde(rename = "type")]
            pub type_: LocationType,
        }
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
        pub struct Binary {
            pub left: Box<Condition>,
            #[serde(rename = "type")]
            pub type_: BinaryType,
        }
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy)]
        pub enum LocationType {
            #[serde(rename = "location")]
            Location,
        }
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy)]
        pub enum BinaryType {
            #[serde(rename = "binary")]
            Binary,
        }
    };
    dispatch_by_tag(&mut file).expect("the pass accepts these items");
    insta::assert_snapshot!("tag_dispatch_pass", prettyplease::unparse(&file));
}
