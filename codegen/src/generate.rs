//! Turns a spec snapshot into one Rust source file for the types crate.
//!
//! All definitions go into one typify `TypeSpace`; the facet containers, the facet registry, the
//! spec metadata and the embedded schema sources are emitted next to typify's output, as calls to
//! macros and types that live (hand-written, reviewable) in the types crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use heck::ToSnakeCase;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::{Map, Value};
use typify_impl::{TypeSpace, TypeSpacePatch, TypeSpaceSettings};

use crate::bundle::{bundle, local_ref, SchemaFile};
use crate::catalogue::{catalogue, FacetEntry, FacetKind};
use crate::naming::rust_type_name;
use crate::passes::{run_all, BATCH_RESPONSE_DEF, JSON_INTEGER_DEF, JSON_NUMBER_DEF};
use crate::spec::{build_inputs, facet_files, read_json, read_text};
use crate::{Error, Result};

/// The event definitions every request body must reference, in `oneOf` order.
pub const EVENT_DEFS: [&str; 3] = ["RunEvent", "DatasetEvent", "JobEvent"];

/// What generation produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Formatted Rust source.
    pub code: String,
    /// The facet catalogue the containers were built from.
    pub catalogue: Vec<FacetEntry>,
    /// Every file read, relative to the snapshot (for `rerun-if-changed`).
    pub inputs: Vec<String>,
    /// Whether the batch types were generated (snapshots before 1.40.0 have no batch endpoint).
    pub batch: bool,
}

/// Facts taken from the OpenAPI document.
#[derive(Debug, Clone)]
pub struct OpenApiFacts {
    /// `info.version`.
    pub version: String,
    /// The 200 response schema of `/lineage/batch`, as JSON Schema; `None` for snapshots older
    /// than 1.40.0, which have no batch endpoint (the batch types are then left out).
    pub batch_response: Option<Value>,
}

/// How the generated code names the spec files it embeds (`include_str!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPaths<'a> {
    /// Absolute paths of the snapshot read: what `build.rs` writes into `OUT_DIR`.
    Absolute,
    /// Paths under the including crate's folder (`CARGO_MANIFEST_DIR`), where the snapshot is
    /// this relative folder: what a package carries, valid wherever it is unpacked.
    InCrate(&'a str),
}

/// Loads the snapshot in `spec_dir` and generates the types crate's source.
pub fn generate(spec_dir: &Path, tag: &str) -> Result<Generated> {
    generate_with(spec_dir, tag, SchemaPaths::Absolute)
}

/// [`generate`], naming the embedded spec files as `paths` says.
pub fn generate_with(spec_dir: &Path, tag: &str, paths: SchemaPaths<'_>) -> Result<Generated> {
    let inputs = build_inputs(spec_dir)?;
    let core = SchemaFile {
        path: "OpenLineage.json".into(),
        schema: read_json(&spec_dir.join("OpenLineage.json"))?,
    };
    let facets = facet_files(spec_dir)?
        .into_iter()
        .map(|path| {
            let schema = read_json(&spec_dir.join(&path))?;
            Ok(SchemaFile { path, schema })
        })
        .collect::<Result<Vec<_>>>()?;
    let openapi = openapi_facts(&spec_dir.join("OpenLineage.yml"))?;

    let mut bundled = bundle(&core, &facets)?;
    let catalogue = catalogue(&bundled, &facets)?;
    // The value generators read the schema at run time: bundled and flattened, formats kept.
    let mut flat = bundled.defs.clone();
    crate::passes::flatten_all_of(&mut flat)?;
    let flat_defs = Value::Object(flat).to_string();
    if let Some(batch_response) = &openapi.batch_response {
        bundled
            .defs
            .insert(BATCH_RESPONSE_DEF.into(), batch_response.clone());
    }
    run_all(&mut bundled.defs)?;
    crate::passes::prune_unreachable(&mut bundled.defs, &roots(&catalogue));

    // typify names the types it makes up for inline schemas; a first run lists them, and the
    // second applies the naming rule (`naming`) as typify patches.
    let first = typify(&bundled.defs, &BTreeMap::new())?;
    let first_names = type_names(&parse(first)?);
    let invented = crate::naming::invented(&first_names, &bundled.defs);
    let renames = crate::naming::renames(&invented, &first_names, &catalogue)?;
    let types = typify(&bundled.defs, &renames)?;
    let mut syntax = parse(types)?;
    hide_conversion_error(&mut syntax)?;
    let plan = constructor_plan(&bundled, &catalogue, &invented, &renames);
    let constructors = crate::impls::constructors(&syntax, &plan)?;

    let containers = containers(&catalogue, &bundled.defs);
    let registry = registry(&catalogue, &bundled.defs);
    let metadata = metadata(tag, &bundled.core_id, &openapi, spec_dir, paths, &inputs);
    let flat_defs = quote! {
        /// Every definition of the snapshot in one JSON object, `allOf` flattened and formats
        /// kept: what the value generators interpret.
        pub(crate) static BUNDLED_DEFS: &str = #flat_defs;
    };
    let extra: TokenStream = quote! {
        #constructors
        #containers
        #registry
        #metadata
        #flat_defs
    };
    syntax.items.extend(parse(extra)?.items);
    // Facet types are read leniently in a container (`facet_container!`): a facet missing a
    // required field is kept raw where it is read, without reading the event again.
    let mut lenient: BTreeSet<String> = catalogue.iter().map(|e| rust_type_name(&e.def)).collect();
    lenient.extend(FacetKind::ALL.iter().map(|k| k.base_def().to_string()));
    crate::streaming::streaming_deserialize(&mut syntax, &lenient)?;
    crate::tagged::dispatch_by_tag(&mut syntax)?;
    Ok(Generated {
        code: prettyplease::unparse(&syntax),
        catalogue,
        inputs,
        batch: openapi.batch_response.is_some(),
    })
}

fn parse(tokens: TokenStream) -> Result<syn::File> {
    syn::parse2::<syn::File>(tokens).map_err(|e| Error::Syntax(e.to_string()))
}

/// The definitions the crate exposes, and through `$ref` everything they use.
fn roots(catalogue: &[FacetEntry]) -> Vec<String> {
    let mut roots: Vec<String> = EVENT_DEFS.iter().map(|d| d.to_string()).collect();
    roots.push(BATCH_RESPONSE_DEF.into());
    for kind in FacetKind::ALL {
        roots.push(kind.container().into());
        // Custom facets in a container's `other` map are typed as the kind's base facet.
        roots.push(kind.base_def().into());
    }
    roots.extend(catalogue.iter().map(|e| e.def.clone()));
    roots
}

/// Names of the structs and enums in `file`.
fn type_names(file: &syn::File) -> BTreeSet<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Which types get constructors: those of the facet schemas (core types have hand-written
/// ones), and the types made up for their inline schemas.
fn constructor_plan(
    bundled: &crate::bundle::Bundle,
    catalogue: &[FacetEntry],
    invented: &BTreeMap<String, crate::naming::Invented>,
    renames: &BTreeMap<String, String>,
) -> crate::impls::Plan {
    let mut plan = crate::impls::Plan::default();
    for (def, schema) in &bundled.defs {
        let name = rust_type_name(def);
        if bundled
            .origin
            .get(def)
            .is_some_and(|f| f.starts_with("facets/") || f.starts_with("registry/"))
        {
            plan.types.insert(name.clone());
        }
        plan.schemas.insert(name, schema.clone());
    }
    // Parents come before children, so a child knows whether its parent is a facet type.
    let mut order: Vec<&String> = invented.keys().collect();
    order.sort_by_key(|n| n.len());
    for old in order {
        let origin = &invented[old];
        let name = renames.get(old).cloned().unwrap_or_else(|| old.clone());
        let parent = renames.get(&origin.parent).unwrap_or(&origin.parent);
        if plan.types.contains(parent) {
            plan.types.insert(name.clone());
        }
        plan.schemas.insert(name, origin.schema.clone());
    }
    for entry in catalogue {
        plan.schema_urls.insert(
            rust_type_name(&entry.def),
            format!("{}{}", entry.schema_id, local_ref(&entry.def)),
        );
    }
    plan
}

/// typify's enums convert from strings with errors of a `pub mod error` type of its own. That
/// module goes, and the conversions report [`crate::Error`]'s `UnknownValue` instead, naming the
/// text that matched no variant.
fn hide_conversion_error(file: &mut syn::File) -> Result<()> {
    use syn::visit_mut::VisitMut;

    struct Rewrite {
        unexpected: Option<String>,
    }
    impl VisitMut for Rewrite {
        fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
            // Inner paths first, so `Result<Self, self::error::ConversionError>` is rewritten
            // before it is checked.
            syn::visit_mut::visit_type_path_mut(self, ty);
            let text = quote!(#ty).to_string().replace(' ', "");
            if text == "self::error::ConversionError" {
                *ty = syn::parse_quote!(crate::Error);
            } else if text.contains("ConversionError") {
                self.unexpected = Some(text);
            }
        }
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            if let syn::Expr::MethodCall(call) = expr {
                let receiver = &call.receiver;
                if call.method == "into" && quote!(#receiver).to_string() == "\"invalid value\"" {
                    *expr = syn::parse_quote!(crate::Error::UnknownValue(
                        ::std::string::ToString::to_string(value)
                    ));
                    return;
                }
            }
            syn::visit_mut::visit_expr_mut(self, expr);
        }
    }
    file.items
        .retain(|item| !matches!(item, syn::Item::Mod(m) if m.ident == "error"));
    let mut rewrite = Rewrite { unexpected: None };
    rewrite.visit_file_mut(file);
    match rewrite.unexpected {
        Some(path) => Err(Error::Syntax(format!(
            "typify's conversion error is used as `{path}`, which the generator does not rewrite"
        ))),
        None => Ok(()),
    }
}

/// Reads the OpenAPI document and checks the request shapes the crate relies on: both endpoints
/// take the three core events (one, or an array of them).
pub fn openapi_facts(path: &Path) -> Result<OpenApiFacts> {
    let text = read_text(path)?;
    let doc: openapiv3::OpenAPI = serde_yaml_ng::from_str(&text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let err = |message: String| Error::Schema {
        location: path.display().to_string(),
        message,
    };
    let post = |route: &str| {
        doc.paths
            .paths
            .get(route)
            .and_then(|p| p.as_item())
            .and_then(|item| item.post.as_ref())
            .ok_or_else(|| err(format!("no POST {route}")))
    };
    let request_schema = |op: &openapiv3::Operation, route: &str| -> Result<Value> {
        let body = op
            .request_body
            .as_ref()
            .and_then(|b| b.as_item())
            .and_then(|b| b.content.get("application/json"))
            .and_then(|m| m.schema.as_ref())
            .ok_or_else(|| err(format!("POST {route} has no application/json request body")))?;
        serde_json::to_value(body).map_err(|e| err(e.to_string()))
    };
    let event_refs = |one_of: &Value, route: &str| -> Result<()> {
        let refs: Vec<&str> = one_of
            .get("oneOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.get("$ref")?.as_str()?.rsplit('/').next())
            .collect();
        if refs != EVENT_DEFS {
            return Err(err(format!(
                "POST {route} request must be oneOf {EVENT_DEFS:?}, found {refs:?}"
            )));
        }
        Ok(())
    };
    event_refs(&request_schema(post("/lineage")?, "/lineage")?, "/lineage")?;
    // Snapshots before 1.40.0 have no batch endpoint; their batch types are left out.
    if !doc.paths.paths.contains_key("/lineage/batch") {
        return Ok(OpenApiFacts {
            version: doc.info.version.clone(),
            batch_response: None,
        });
    }
    let batch = post("/lineage/batch")?;
    let batch_request = request_schema(batch, "/lineage/batch")?;
    if batch_request.get("type") != Some(&Value::String("array".into())) {
        return Err(err("POST /lineage/batch request is not an array".into()));
    }
    event_refs(&batch_request["items"], "/lineage/batch")?;
    let response = batch
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(200))
        .and_then(|r| r.as_item())
        .and_then(|r| r.content.get("application/json"))
        .and_then(|m| m.schema.as_ref())
        .ok_or_else(|| err("POST /lineage/batch has no 200 application/json response".into()))?;
    let mut batch_response = serde_json::to_value(response).map_err(|e| err(e.to_string()))?;
    if let Value::Object(map) = &mut batch_response {
        map.entry("description").or_insert_with(|| {
            "Processing details of a batch (the 200 answer of POST /lineage/batch).".into()
        });
    }
    // The document describes `status` as "Indicates that some events failed to process", which
    // is wrong for `success`; the generated docs say what each value means instead.
    if let Some(status) = batch_response.pointer_mut("/properties/status") {
        status["description"] = Value::String(
            "`success` when every event of the batch was processed, `partial_success` when \
             some failed (they are listed in `failed_events`)."
                .into(),
        );
    }
    Ok(OpenApiFacts {
        version: doc.info.version.clone(),
        batch_response: Some(batch_response),
    })
}

fn typify(defs: &Map<String, Value>, renames: &BTreeMap<String, String>) -> Result<TokenStream> {
    let mut settings = TypeSpaceSettings::default();
    settings
        .with_map_type("::std::collections::BTreeMap")
        .with_derive("PartialEq".into())
        .with_replacement(JSON_NUMBER_DEF, "::serde_json::Number", std::iter::empty())
        .with_replacement(JSON_INTEGER_DEF, "crate::Integer", std::iter::empty());
    // Facet containers are boxed where they are held: each has a field per known facet (up to
    // about 470 bytes), and held inline they made every dataset, run, job and event large enough
    // that moving them while parsing (serde returns each value by value) was a measured part of
    // the typed parse's cost. Reads are unchanged by auto-deref.
    for kind in FacetKind::ALL {
        let boxed = format!("::std::boxed::Box<{}>", kind.container());
        settings.with_replacement(kind.container(), boxed, std::iter::empty());
    }
    for (old, new) in renames {
        settings.with_patch(old, TypeSpacePatch::default().with_rename(new));
    }
    let schemas = defs
        .iter()
        .map(|(name, schema)| {
            let schema: schemars::schema::Schema = serde_json::from_value(schema.clone())
                .map_err(|e| Error::Typify(format!("definition {name}: {e}")))?;
            Ok((name.clone(), schema))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    // typify panics on some unsupported shapes; turn that into an error naming the cause.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut space = TypeSpace::new(&settings);
        space
            .add_ref_types(schemas)
            .map_err(|e| Error::Typify(e.to_string()))?;
        Ok(space.to_stream())
    }));
    match outcome {
        Ok(result) => result,
        Err(panic) => Err(Error::Typify(format!(
            "typify panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown cause")
        ))),
    }
}

/// Rust field name for a facet key: snake case, with a trailing `_` for keywords.
pub fn field_name(key: &str) -> Ident {
    let snake = key.to_snake_case();
    match syn::parse_str::<Ident>(&snake) {
        Ok(_) => Ident::new(&snake, Span::call_site()),
        Err(_) => format_ident!("{}_", snake),
    }
}

fn description(defs: &Map<String, Value>, def: &str) -> Option<String> {
    defs.get(def)?
        .get("description")?
        .as_str()
        .map(str::to_string)
}

fn containers(catalogue: &[FacetEntry], defs: &Map<String, Value>) -> TokenStream {
    let mut out = TokenStream::new();
    for kind in FacetKind::ALL {
        let container = format_ident!("{}", kind.container());
        let base = format_ident!("{}", kind.base_def());
        let fields = catalogue.iter().filter(|e| e.kind == kind).map(|e| {
            let name = field_name(&e.key);
            let key = &e.key;
            let ty = format_ident!("{}", rust_type_name(&e.def));
            let mut doc = format!(
                "`{key}`: [`{}`], schema <{}>.",
                rust_type_name(&e.def),
                e.schema_id
            );
            if let Some(d) = description(defs, &e.def) {
                doc = format!("{doc}\n\n{d}");
            }
            quote! { #[doc = #doc] #name: #key => #ty, }
        });
        let doc = format!(
            "Typed facets of one `{}` map, plus every other facet kept as it came.",
            kind.base_def()
        );
        out.extend(quote! {
            crate::facet_container! {
                #[doc = #doc]
                #container: #base {
                    #(#fields)*
                }
            }
        });
    }
    out
}

fn registry(catalogue: &[FacetEntry], defs: &Map<String, Value>) -> TokenStream {
    let entries = catalogue.iter().map(|e| {
        let key = &e.key;
        let kind = format_ident!("{}", e.kind.variant());
        let rust_type = rust_type_name(&e.def);
        let def = &e.def;
        let schema_id = &e.schema_id;
        let version = &e.version;
        let file = &e.file;
        let description = description(defs, &e.def).unwrap_or_default();
        quote! {
            crate::FacetInfo {
                key: #key,
                kind: crate::FacetKind::#kind,
                rust_type: #rust_type,
                def: #def,
                schema_id: #schema_id,
                version: #version,
                file: #file,
                description: #description,
            }
        }
    });
    quote! {
        /// Every facet the pinned spec defines, one entry per key and container kind.
        pub static FACETS: &[crate::FacetInfo] = &[#(#entries),*];
    }
}

fn metadata(
    tag: &str,
    core_id: &str,
    openapi: &OpenApiFacts,
    spec_dir: &Path,
    paths: SchemaPaths<'_>,
    inputs: &[String],
) -> TokenStream {
    let core_version = core_id.rsplit('/').nth(1).unwrap_or_default();
    let openapi_version = &openapi.version;
    let sources = inputs
        .iter()
        .filter(|f| f.ends_with(".json"))
        .map(|rel| match paths {
            SchemaPaths::Absolute => {
                let abs = spec_dir.join(rel);
                let abs = abs.to_string_lossy();
                quote! { (#rel, include_str!(#abs)) }
            }
            SchemaPaths::InCrate(dir) => {
                let under = format!("/{}/{rel}", dir.trim_matches('/'));
                quote! { (#rel, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), #under))) }
            }
        });
    quote! {
        /// Upstream release tag of the spec snapshot these types were generated from.
        pub const SPEC_TAG: &str = #tag;
        /// `$id` of the core schema.
        pub const CORE_SCHEMA_ID: &str = #core_id;
        /// SchemaVer of the core schema, e.g. `2-0-2`.
        pub const CORE_SCHEMA_VERSION: &str = #core_version;
        /// `info.version` of the OpenAPI document.
        pub const OPENAPI_VERSION: &str = #openapi_version;
        /// Every JSON Schema of the snapshot (core first, then facets), as `(path, text)`.
        #[cfg_attr(not(feature = "validate"), allow(dead_code))]
        pub(crate) static SCHEMA_SOURCES: &[(&str, &str)] = &[#(#sources),*];
    }
}
