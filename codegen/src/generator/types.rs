//! progenitor's `types` module made forward compatible and `schemars`-ready.
//!
//! - Every type is `#[non_exhaustive]`: a field or variant the spec adds later breaks no caller,
//!   because callers outside the crate build values through `Type::builder()` / `body_map`, never
//!   as literals.
//! - Enumerations of strings get a catch-all variant `Unknown(String)` (serde `untagged`), so a
//!   value the vendor adds later still decodes, and still re-encodes as it was sent.
//! - Request bodies keep an empty array apart from an absent one: an optional array of a type that
//!   is sent in a request is `Option<Vec<T>>` (`None` sends nothing, `Some(vec![])` sends `[]`,
//!   which for a full update means "clear"). Types that only answers use keep `Vec<T>`, and encode
//!   an empty one as `[]` (what the vendor's own examples print), so a server built on them (the
//!   emulator) never leaves the field out.
//! - With the crate's `schemars` feature every type derives `schemars::JsonSchema`; the enums get
//!   a hand-written schema (any string, the listed values documented).

use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
use syn::visit::Visit;

/// A field of a generated struct, as later generation steps need it.
#[derive(Debug, Clone)]
pub struct Field {
    /// The Rust field name.
    pub ident: syn::Ident,
    /// The name in JSON.
    pub json: String,
    /// The field's type, after this pass.
    pub ty: syn::Type,
}

/// The generated structs, by name.
pub type Shapes = BTreeMap<String, Vec<Field>>;

/// Rewrites the `types` module of `file` in place and returns the structs' final shapes.
/// The order in which each component schema lists its properties (the vendor table's order), by
/// component name: `new(…)` takes required fields in this order, not typify's alphabetical one.
pub type PropertyOrder = BTreeMap<String, Vec<String>>;

pub fn forward_compatible(file: &mut syn::File, order: &PropertyOrder) -> Result<Shapes, String> {
    let (request_roots, response_roots) = roots(file);
    let types = module_mut(&mut file.items, "types").ok_or("progenitor output has no types module")?;
    // Every type's name → the types its fields (or variants) hold.
    let graph: BTreeMap<String, Vec<syn::Type>> = types
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some((s.ident.to_string(), s.fields.iter().map(|f| f.ty.clone()).collect())),
            syn::Item::Enum(e) => Some((
                e.ident.to_string(),
                e.variants.iter().flat_map(|v| v.fields.iter().map(|f| f.ty.clone())).collect(),
            )),
            _ => None,
        })
        .collect();
    let requests = reachable(&graph, &request_roots);
    let responses = reachable(&graph, &response_roots);

    // Optional arrays: `Option<Vec<T>>` in request types, always encoded in answer-only types.
    let mut optional_arrays: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types.iter_mut() {
        let syn::Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        let in_request = requests.contains(&name);
        if !in_request && !responses.contains(&name) {
            continue;
        }
        let syn::Fields::Named(named) = &mut s.fields else { continue };
        for f in named.named.iter_mut() {
            if !is_vec(&f.ty) || !skips_empty_vec(&f.attrs) {
                continue;
            }
            if in_request {
                let ty = f.ty.clone();
                f.ty = syn::parse_quote!(::std::option::Option<#ty>);
                set_serde(&mut f.attrs, quote!(default, skip_serializing_if = "::std::option::Option::is_none"));
                optional_arrays.entry(name.clone()).or_default().insert(f.ident.as_ref().unwrap().to_string());
            } else {
                set_serde(&mut f.attrs, quote!(default));
            }
        }
    }
    if let Some(builders) = module_mut(types, "builder") {
        for item in builders.iter_mut() {
            match item {
                syn::Item::Struct(s) => {
                    let Some(wrap) = optional_arrays.get(&s.ident.to_string()) else { continue };
                    let syn::Fields::Named(named) = &mut s.fields else { continue };
                    for f in named.named.iter_mut().filter(|f| wrap.contains(&f.ident.as_ref().unwrap().to_string())) {
                        wrap_first_generic(&mut f.ty);
                    }
                }
                syn::Item::Impl(imp) if imp.trait_.is_none() => {
                    let Some(wrap) = self_name(imp).and_then(|n| optional_arrays.get(&n)) else { continue };
                    for member in imp.items.iter_mut() {
                        let syn::ImplItem::Fn(f) = member else { continue };
                        if !wrap.contains(&f.sig.ident.to_string()) {
                            continue;
                        }
                        for p in f.sig.generics.where_clause.iter_mut().flat_map(|w| w.predicates.iter_mut()) {
                            let syn::WherePredicate::Type(t) = p else { continue };
                            for b in t.bounds.iter_mut() {
                                if let syn::TypeParamBound::Trait(tb) = b
                                    && let Some(seg) = tb.path.segments.last_mut()
                                    && seg.ident == "TryInto"
                                    && let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments
                                    && let Some(syn::GenericArgument::Type(inner)) = args.args.first_mut()
                                {
                                    *inner = syn::parse_quote!(::std::option::Option<#inner>);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    // Enumerations of strings: rewritten with a catch-all.
    let simple: Vec<(String, usize)> = types
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            syn::Item::Enum(e) if e.variants.iter().all(|v| matches!(v.fields, syn::Fields::Unit)) => {
                Some((e.ident.to_string(), i))
            }
            _ => None,
        })
        .collect();
    let simple_names: BTreeSet<String> = simple.iter().map(|(n, _)| n.clone()).collect();
    let mut replacements = BTreeMap::new();
    for (name, index) in &simple {
        let syn::Item::Enum(e) = &types[*index] else { unreachable!() };
        replacements.insert(name.clone(), open_enum(e)?);
    }
    // typify's conversions go, and each enum is replaced by the rewritten one and its impls.
    let old = std::mem::take(types);
    for item in old {
        match &item {
            syn::Item::Impl(imp)
                if self_name(imp).is_some_and(|n| simple_names.contains(&n)) && is_string_conversion(imp) => {}
            syn::Item::Enum(e) if replacements.contains_key(&e.ident.to_string()) => {
                types.extend(replacements.remove(&e.ident.to_string()).unwrap_or_default());
            }
            _ => types.push(item),
        }
    }

    // Structs with a few required fields get `new(…)` taking exactly those (the optional ones stay
    // for the builder): adding an optional field later breaks no `new` caller.
    let mut constructors = Vec::new();
    for item in types.iter() {
        let syn::Item::Struct(s) = item else { continue };
        let syn::Fields::Named(named) = &s.fields else { continue };
        // Only for component schemas, whose property order is the vendor's: positional arguments
        // in typify's alphabetical order would invite swapping two strings.
        let Some(order) = order.get(&s.ident.to_string()) else { continue };
        let mut required: Vec<&syn::Field> = named
            .named
            .iter()
            .filter(|f| option_or(&f.ty).is_none() && !f.attrs.iter().any(has_serde_default))
            .collect();
        if required.is_empty() || required.len() > 4 {
            continue;
        }
        let json_name = |f: &syn::Field| {
            serde_rename(&f.attrs)
                .unwrap_or_else(|| f.ident.as_ref().unwrap().to_string().trim_start_matches("r#").to_string())
        };
        required.sort_by_key(|f| order.iter().position(|p| *p == json_name(f)).unwrap_or(usize::MAX));
        let name = &s.ident;
        let args = required.iter().map(|f| {
            let (ident, ty) = (f.ident.as_ref().unwrap(), &f.ty);
            if is_string(ty) {
                quote!(#ident: impl ::std::convert::Into<::std::string::String>)
            } else {
                quote!(#ident: #ty)
            }
        });
        let inits = required.iter().map(|f| {
            let ident = f.ident.as_ref().unwrap();
            if is_string(&f.ty) { quote!(#ident: #ident.into()) } else { quote!(#ident) }
        });
        let others = named.named.iter().filter(|f| !required.iter().any(|r| r.ident == f.ident)).map(|f| {
            let ident = f.ident.as_ref().unwrap();
            quote!(#ident: ::std::default::Default::default())
        });
        let list = required.iter().map(|f| format!("`{}`", f.ident.as_ref().unwrap())).collect::<Vec<_>>().join(", ");
        let doc = format!(
            "A value with its required fields ({list}); the optional ones are unset (set them with `builder()`)."
        );
        constructors.push(syn::parse_quote! {
            impl #name {
                #[doc = #doc]
                pub fn new(#(#args),*) -> Self {
                    Self { #(#inits,)* #(#others,)* }
                }
            }
        });
    }
    types.extend(constructors);

    // Every struct and (other) enum: non_exhaustive, and schemars behind the feature.
    for item in types.iter_mut() {
        let attrs = match item {
            syn::Item::Struct(s) => &mut s.attrs,
            syn::Item::Enum(e) if !simple_names.contains(&e.ident.to_string()) => &mut e.attrs,
            _ => continue,
        };
        attrs.push(syn::parse_quote!(#[non_exhaustive]));
        attrs.push(syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]));
    }

    Ok(types
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some((s.ident.to_string(), fields(s))),
            _ => None,
        })
        .collect())
}

/// The enum `e` (all unit variants) rewritten: the same variants and wire names, plus
/// `Unknown(String)`, and its conversions, display and schema.
fn open_enum(e: &syn::ItemEnum) -> Result<Vec<syn::Item>, String> {
    let name = &e.ident;
    let docs: Vec<&syn::Attribute> = e.attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
    let mut variants = Vec::new();
    let mut wires = Vec::new();
    let mut variant_attrs = Vec::new();
    for v in &e.variants {
        let wire = serde_rename(&v.attrs).unwrap_or_else(|| v.ident.to_string());
        variant_attrs.push(v.attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect::<Vec<_>>());
        variants.push(v.ident.clone());
        wires.push(wire);
    }
    let unknown =
        if variants.iter().any(|v| v == "Unknown") { format_ident!("UnknownValue") } else { format_ident!("Unknown") };
    let name_str = name.to_string();
    let enum_item: syn::ItemEnum = syn::parse_quote! {
        #(#docs)*
        ///
        /// Values the spec does not list decode as the catch-all variant, which keeps the value as
        /// sent (and sends it back as it is).
        #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        #[non_exhaustive]
        pub enum #name {
            #(
                #(#variant_attrs)*
                #[serde(rename = #wires)]
                #variants,
            )*
            /// A value this version of the spec does not list.
            #[serde(untagged)]
            #unknown(::std::string::String),
        }
    };
    let impls: syn::File = syn::parse_quote! {
        impl #name {
            /// Every value the spec lists, as the service spells it.
            pub const KNOWN: &'static [&'static str] = &[#(#wires),*];

            /// The value as the service spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #wires,)*
                    Self::#unknown(value) => value,
                }
            }

            /// Whether the spec lists this value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::#unknown(_))
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        // Reads like the string it is: a field that becomes an enumeration in a later spec keeps
        // working for code that treated it as text (`status.as_deref() == Some("RUNNING")`).
        impl ::std::ops::Deref for #name {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }
        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl ::std::cmp::PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
        impl ::std::cmp::PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => Self::#variants,)*
                    other => Self::#unknown(other.to_string()),
                }
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }
        impl ::std::convert::From<&::std::string::String> for #name {
            fn from(value: &::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }
        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for #name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                #name_str.into()
            }
            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                // Any string decodes (the catch-all); the listed values are documented.
                ::schemars::json_schema!({ "anyOf": [{ "enum": [#(#wires),*] }, { "type": "string" }] })
            }
        }
    };
    let mut out = vec![syn::Item::Enum(enum_item)];
    out.extend(impls.items);
    Ok(out)
}

/// The string conversions typify writes for an enum of strings (replaced by `open_enum`'s).
fn is_string_conversion(imp: &syn::ItemImpl) -> bool {
    let Some((path, _)) = &imp.trait_ else { return false };
    let Some(last) = path.segments.last() else { return false };
    match last.ident.to_string().as_str() {
        "Display" | "FromStr" => true,
        "TryFrom" => true,
        // `From<&Self>` (a clone) stays.
        _ => false,
    }
}

/// The struct's fields with their JSON names.
fn fields(s: &syn::ItemStruct) -> Vec<Field> {
    let syn::Fields::Named(named) = &s.fields else { return Vec::new() };
    named
        .named
        .iter()
        .filter_map(|f| {
            let ident = f.ident.clone()?;
            let json = serde_rename(&f.attrs).unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
            Some(Field { ident, json, ty: f.ty.clone() })
        })
        .collect()
}

/// `#[serde(rename = "…")]` among `attrs`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                found = Some(lit.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// Does the field skip an empty `Vec` when serialized?
fn skips_empty_vec(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("serde")).any(|a| {
        let mut skips = false;
        let _ = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip_serializing_if") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                skips = lit.value().ends_with("Vec::is_empty");
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        skips
    })
}

/// Replaces the field's `#[serde(…)]` attributes with `#[serde(<args>)]`, keeping a `rename`.
fn set_serde(attrs: &mut Vec<syn::Attribute>, args: proc_macro2::TokenStream) {
    let rename = serde_rename(attrs);
    attrs.retain(|a| !a.path().is_ident("serde"));
    match rename {
        Some(r) => attrs.push(syn::parse_quote!(#[serde(rename = #r, #args)])),
        None => attrs.push(syn::parse_quote!(#[serde(#args)])),
    }
}

fn is_string(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

/// `Option<T>` → `T`.
fn option_or(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// `#[serde(default…)]`.
fn has_serde_default(a: &syn::Attribute) -> bool {
    if !a.path().is_ident("serde") {
        return false;
    }
    let mut default = false;
    let _ = a.parse_nested_meta(|meta| {
        if meta.path.is_ident("default") {
            default = true;
        }
        if meta.input.peek(syn::Token![=]) {
            let _: syn::Expr = meta.value()?.parse()?;
        }
        Ok(())
    });
    default
}

fn is_vec(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}

/// `Result<T, E>` → `Result<Option<T>, E>`.
fn wrap_first_generic(ty: &mut syn::Type) {
    if let syn::Type::Path(p) = ty
        && let Some(seg) = p.path.segments.last_mut()
        && let syn::PathArguments::AngleBracketed(args) = &mut seg.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first_mut()
    {
        *inner = syn::parse_quote!(::std::option::Option<#inner>);
    }
}

fn self_name(imp: &syn::ItemImpl) -> Option<String> {
    match imp.self_ty.as_ref() {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The items of `pub mod <name> { … }` among `items`.
pub(super) fn module_mut<'a>(items: &'a mut [syn::Item], name: &str) -> Option<&'a mut Vec<syn::Item>> {
    items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The type names that request bodies and success answers start from: the `body` of each
/// operation builder, and the `Ok` type of each builder's `send`.
fn roots(file: &syn::File) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut requests = BTreeSet::new();
    let mut responses = BTreeSet::new();
    let Some(builder) = file.items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return (requests, responses);
    };
    for item in builder {
        match item {
            syn::Item::Struct(s) => {
                if let syn::Fields::Named(named) = &s.fields {
                    for f in named.named.iter().filter(|f| f.ident.as_ref().is_some_and(|i| i == "body")) {
                        requests.extend(type_names(&f.ty));
                    }
                }
            }
            syn::Item::Impl(imp) => {
                for member in &imp.items {
                    if let syn::ImplItem::Fn(f) = member
                        && f.sig.ident == "send"
                        && let syn::ReturnType::Type(_, ty) = &f.sig.output
                    {
                        responses.extend(type_names(ty));
                    }
                }
            }
            _ => {}
        }
    }
    (requests, responses)
}

/// Every identifier in a type's paths (so `Result<ResponseValue<types::X>, Error<types::E>>` names X and E).
fn type_names(ty: &syn::Type) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_path_segment(&mut self, seg: &'ast syn::PathSegment) {
            self.0.insert(seg.ident.to_string());
            syn::visit::visit_path_segment(self, seg);
        }
    }
    let mut names = Names(BTreeSet::new());
    names.visit_type(ty);
    names.0
}

/// The types reachable from `roots` through field and variant types.
fn reachable(graph: &BTreeMap<String, Vec<syn::Type>>, roots: &BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = roots.iter().filter(|r| graph.contains_key(*r)).cloned().collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        for ty in &graph[&name] {
            stack.extend(type_names(ty).into_iter().filter(|n| graph.contains_key(n) && !seen.contains(n)));
        }
    }
    seen
}
