//! Snapshots of the generated code for the pinned spec: the public surface of everything, and the
//! full text of a small slice. Any spec or generator change shows up as a `.snap` diff in review.

use std::path::PathBuf;
use std::sync::OnceLock;

use openlineage_codegen::generate::{generate, Generated};
use openlineage_codegen::spec::{verify, Pin};
use openlineage_codegen::surface::surface;
use proc_macro2::TokenTree;
use syn::{Item, Type};

/// Generation takes seconds, so the tests share one run.
fn generated() -> &'static Generated {
    static GENERATED: OnceLock<Generated> = OnceLock::new();
    GENERATED.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf();
        let pin = Pin::read(&root).expect("pin");
        let dir = pin.resolve_dir(&root);
        verify(&dir, &root.join("spec/SHA256SUMS")).expect("snapshot matches the pin");
        generate(&dir, &pin.tag).expect("generates")
    })
}

#[test]
fn generated_surface_matches_snapshot() {
    let listing = surface(&generated().code).expect("parses");
    assert!(
        listing.contains("container RunFacets: RunFacet"),
        "{listing}"
    );
    insta::assert_snapshot!("generated_surface", listing);
}

/// The type an item defines or implements for, or the first name a macro call is given.
fn subject(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        Item::Impl(i) => match &*i.self_ty {
            Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        Item::Macro(m) => {
            // Skip the doc attributes written inside the call; the container's name follows.
            let mut tokens = m.mac.tokens.clone().into_iter().peekable();
            while let Some(token) = tokens.next() {
                match token {
                    TokenTree::Punct(p) if p.as_char() == '#' => {
                        tokens.next();
                    }
                    TokenTree::Ident(ident) => return Some(ident.to_string()),
                    _ => return None,
                }
            }
            None
        }
        _ => None,
    }
}

/// The whole generated text of two types, one plain struct with its streaming visitor and one
/// facet container, as a fixture: the surface listing above shows names and signatures, this
/// shows every line of what the generator writes for them.
#[test]
fn generated_slice_matches_snapshot() {
    let file = syn::parse_file(&generated().code).expect("generated code parses");
    let wanted = ["Job", "RunFacets"];
    let items: Vec<Item> = file
        .items
        .into_iter()
        .filter(|item| subject(item).is_some_and(|s| wanted.contains(&s.as_str())))
        .collect();
    let kinds: Vec<(String, &str)> = items
        .iter()
        .filter_map(|item| {
            let kind = match item {
                Item::Struct(_) => "struct",
                Item::Impl(_) => "impl",
                Item::Macro(_) => "macro",
                _ => return None,
            };
            Some((subject(item)?, kind))
        })
        .collect();
    for (name, kind) in [("Job", "struct"), ("Job", "impl"), ("RunFacets", "macro")] {
        assert!(
            kinds.iter().any(|(n, k)| n == name && *k == kind),
            "no {kind} for {name} in {kinds:?}"
        );
    }
    let mut slice_file: syn::File = syn::parse_quote! {};
    slice_file.items = items;
    let slice = prettyplease::unparse(&slice_file);
    insta::assert_snapshot!("generated_slice", slice);
}

#[test]
fn generated_docs_carry_the_schema_examples_and_link_their_urls() {
    let code = &generated().code;
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
