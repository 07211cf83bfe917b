//! Code generated next to progenitor's output: the service's tables (operations, parameters, error
//! codes, form fields), the hooks that hand every request to `crate::runtime`,
//! `Client::from_config`, `crate::runtime::Operation` for every builder (so `.call()` knows its
//! operation and types), `into_paginator()` on every builder of an operation that declares
//! `x-codearts-pagination`, and `form()` on every builder of a `multipart/form-data` operation.

use super::prepare::Prepared;
use super::types::Shapes;
use crate::spec::{PageKind, Pagination, resolve};
use quote::{format_ident, quote};
use serde_json::Value;

/// What an operation needs at run time that progenitor does not keep.
struct OperationFacts {
    id: String,
    method: String,
    path: String,
    idempotent: bool,
    download: bool,
    deprecated: bool,
    content_type: Option<String>,
    response_content_type: Option<String>,
    multipart: bool,
}

fn operation_facts(prepared: &Prepared) -> Vec<OperationFacts> {
    let mut out = Vec::new();
    for (path, method, op) in prepared.spec.operations() {
        let id = op.operation_id.clone().unwrap_or_default();
        // Safe to resend: by HTTP method, unless the spec says otherwise (`x-codearts-idempotent`).
        let idempotent = op
            .extensions
            .get("x-codearts-idempotent")
            .and_then(|v| v.as_bool())
            .unwrap_or(matches!(method, "get" | "head" | "put" | "delete" | "options"));
        let download = op.responses.responses.iter().any(|(status, r)| {
            matches!(status, openapiv3::StatusCode::Code(200..=299))
                && r.as_item().is_some_and(|r| r.content.contains_key("application/octet-stream"))
        });
        let response_content_type = op
            .responses
            .responses
            .iter()
            .find(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))
            .and_then(|(_, r)| r.as_item())
            .and_then(|r| r.content.keys().next().cloned());
        out.push(OperationFacts {
            response_content_type,
            content_type: prepared.content_types.get(&id).cloned(),
            multipart: prepared.multipart.contains_key(&id),
            id,
            method: method.to_uppercase(),
            path: path.to_string(),
            idempotent,
            download,
            deprecated: op.deprecated,
        });
    }
    out
}

fn opt_str(v: Option<&str>) -> proc_macro2::TokenStream {
    match v {
        Some(s) => quote!(Some(#s)),
        None => quote!(None),
    }
}

pub(super) fn runtime_glue(
    service: &super::Service,
    raw: &Value,
    prepared: &Prepared,
    file: &syn::File,
    shapes: &Shapes,
) -> Result<syn::File, String> {
    let facts = operation_facts(prepared);
    let parameter_entries = prepared.parameters.iter().map(|p| {
        let (operation, name, string, required, comma) = (&p.operation, &p.name, p.string, p.required, p.comma_separated);
        let location = if p.path { quote!(Path) } else { quote!(Query) };
        let (pattern, format) = (opt_str(p.pattern.as_deref()), opt_str(p.format.as_deref()));
        let len = |v: Option<usize>| match v {
            Some(n) => quote!(Some(#n)),
            None => quote!(None),
        };
        let (min_length, max_length) = (len(p.min_length), len(p.max_length));
        quote! {
            crate::validate::Parameter {
                operation: #operation, name: #name, location: crate::validate::Location::#location,
                required: #required, comma_separated: #comma, string: #string, pattern: #pattern, min_length: #min_length,
                max_length: #max_length, format: #format,
            }
        }
    });
    let entries = facts.iter().map(|f| {
        let (id, snake, method, path) = (&f.id, heck::ToSnakeCase::to_snake_case(f.id.as_str()), &f.method, &f.path);
        let (idempotent, download, deprecated, multipart) = (f.idempotent, f.download, f.deprecated, f.multipart);
        let content_type = opt_str(f.content_type.as_deref());
        let response_content_type = opt_str(f.response_content_type.as_deref());
        quote! {
            crate::runtime::OperationMeta {
                id: #id, snake_id: #snake, method: #method, path: #path,
                idempotent: #idempotent, download: #download, deprecated: #deprecated,
                content_type: #content_type, response_content_type: #response_content_type,
                multipart: #multipart,
            }
        }
    });
    let codes = crate::spec::ErrorCodes::of(raw).map_err(|e| format!("{}: {e}", service.spec))?;
    let code_entries = codes.codes.iter().map(|c| {
        let (code, status, message, retryable) = (&c.code, c.status, &c.message, c.retryable);
        let remedy = c.remedy.as_deref().unwrap_or("");
        let class = match c.class {
            None => quote!(None),
            Some(crate::spec::ErrorClass::NotFound) => quote!(Some(crate::error::ErrorClass::NotFound)),
            Some(crate::spec::ErrorClass::Throttled) => quote!(Some(crate::error::ErrorClass::Throttled)),
            Some(crate::spec::ErrorClass::InvalidParameter) => quote!(Some(crate::error::ErrorClass::InvalidParameter)),
            Some(crate::spec::ErrorClass::Conflict) => quote!(Some(crate::error::ErrorClass::Conflict)),
        };
        let parameters = &c.parameters;
        quote! {
            crate::error::KnownError {
                code: #code, status: #status, message: #message, remedy: #remedy, retryable: #retryable,
                class: #class, parameters: &[#(#parameters),*],
            }
        }
    });
    let form_entries = prepared.multipart.iter().flat_map(|(op, fields)| {
        fields.iter().map(move |f| {
            let (name, file, required) = (&f.name, f.file, f.required);
            quote!(crate::multipart::FormField { operation: #op, name: #name, file: #file, required: #required })
        })
    });

    let builder = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or("progenitor output has no builder module")?;
    let pascal = |id: &str| heck::ToPascalCase::to_pascal_case(id);
    let mut impls = Vec::new();
    let mut by_name_fns = Vec::new();
    let mut by_name_entries = Vec::new();
    let mut callable_fns = Vec::new();
    let mut callable_entries = Vec::new();
    let mut kinds = Vec::new();
    for item in &builder.1 {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(self_ty) = imp.self_ty.as_ref() else { continue };
        let name = self_ty.path.segments.last().map(|s| s.ident.clone()).ok_or("unnamed builder")?;
        let Some(send) = imp.items.iter().find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        }) else {
            continue;
        };
        let Some(index) = facts.iter().position(|f| name == f.id || name == pascal(&f.id)) else { continue };
        let (ok, err) =
            result_types(&send.sig.output).ok_or_else(|| format!("{name}::send has an unexpected signature"))?;
        let meta = syn::Index::from(index);
        let decode_path = (!facts[index].download).then(|| {
            quote! {
                fn decode_path(bytes: &[u8]) -> Option<String> {
                    crate::runtime::json_path::<Self::Output>(bytes)
                }
            }
        });
        impls.push(quote! {
            impl<'a> crate::runtime::Operation for builder::#name<'a> {
                type Output = #ok;
                type ErrorBody = #err;
                const META: &'static crate::runtime::OperationMeta = &operations::OPERATIONS[#meta];
                const SERVICE: &'static crate::runtime::ServiceMeta = &operations::SERVICE;
                #decode_path
                fn send_raw(self) -> impl ::std::future::Future<
                    Output = Result<ResponseValue<Self::Output>, Error<Self::ErrorBody>>,
                > + Send {
                    self.send()
                }
            }
        });
        let op = operation_value(raw, &facts[index].id).ok_or_else(|| format!("{name}: not in the spec"))?;
        // Every operation callable by name (`crate::dynamic`).
        {
            let id = facts[index].id.as_str();
            let snake = heck::ToSnakeCase::to_snake_case(id);
            let fn_name = format_ident!("call_{}", snake);
            let method = format_ident!("{}", snake);
            let setters = dynamic_setters(raw, op, id)?;
            let body = body_setter(imp, id, prepared.multipart.contains_key(id))?;
            let send = if facts[index].download || last_ident(&ok).as_deref() == Some("ByteStream") {
                quote!(crate::dynamic::download(builder).await)
            } else {
                quote!(crate::dynamic::json(builder).await)
            };
            callable_fns.push(quote! {
                fn #fn_name<'a>(client: &'a super::Client, input: &'a crate::dynamic::Input) -> crate::dynamic::Pending<'a> {
                    Box::pin(async move {
                        let _ = input; // operations without parameters or body take nothing from it
                        let builder = client.#method();
                        #(#setters)*
                        #body
                        #send
                    })
                }
            });
            callable_entries.push(quote! {
                crate::dynamic::Callable { operation: &OPERATIONS[#meta], call: #fn_name }
            });
            let kind = if facts[index].download || last_ident(&ok).as_deref() == Some("ByteStream") {
                format_ident!("download")
            } else {
                format_ident!("json")
            };
            kinds.push(quote!(#kind #name));
        }
        if let Some(decl) = Pagination::of(op) {
            let decl = decl.map_err(|e| format!("{}: {e}", facts[index].id))?;
            let builder_struct = builder.1.iter().find_map(|i| match i {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            });
            impls.push(
                paginator(raw, op, &facts[index].id, &name, &decl, &ok, builder_struct, shapes)
                    .map_err(|e| format!("{}: x-codearts-pagination: {e}", facts[index].id))?,
            );
            // The same paginator reachable by name, its parameters and body from a dynamic input
            // (for tests that walk every declared operation, and for command lines); the paging
            // parameters are the paginator's.
            let id = facts[index].id.as_str();
            let setters = dynamic_setters(raw, op, id)?;
            let body = body_setter(imp, id, prepared.multipart.contains_key(id))?;
            let snake = heck::ToSnakeCase::to_snake_case(id);
            let fn_name = format_ident!("pages_of_{}", snake);
            let method = format_ident!("{}", snake);
            by_name_fns.push(quote! {
                fn #fn_name<'a>(
                    client: &'a super::Client,
                    input: &crate::dynamic::Input,
                    size: u32,
                ) -> Result<crate::paginate::JsonPages<'a>, crate::Error> {
                    let _ = input; // operations with no other parameters take nothing from it
                    let builder = client.#method();
                    #(#setters)*
                    #body
                    Ok(crate::paginate::json_pages(builder.into_paginator().page_size(size)))
                }
            });
            by_name_entries.push(quote! {
                crate::paginate::ByName {
                    paging: <super::builder::#name<'static> as crate::paginate::Paginated>::PAGING,
                    pages: #fn_name,
                }
            });
        }
        if let Some(fields) = prepared.multipart.get(&facts[index].id) {
            let list = fields
                .iter()
                .map(|f| {
                    let what = if f.file { "a file" } else { "text" };
                    let req = if f.required { ", required" } else { "" };
                    format!("`{}` ({what}{req})", f.name)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let doc = format!(
                "Sets the `multipart/form-data` body. Its fields, as the spec declares them: {list}. \
                 A missing required field fails the call with `InvalidInput` before anything is sent."
            );
            impls.push(quote! {
                impl<'a> builder::#name<'a> {
                    #[doc = #doc]
                    pub fn form(self, form: crate::multipart::Form) -> Self {
                        self.body(form.into_body())
                    }
                }
            });
        }
    }
    let endpoint = format_ident!("{}", service.endpoint);
    // `for_each_operation!(m)` calls `m! { <module>; json ShowJobStatus, download DownloadBuildLog, … }`:
    // generic code (tests, benches) instantiated for every builder type, without a list to keep.
    let module = format_ident!("{}", service.module);
    let macro_name = format_ident!("__codearts_{}_operations", service.module);
    let for_each = quote! {
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #macro_name {
            ($callback:ident) => { $callback! { #module; #(#kinds),* } };
        }
        /// Calls `$callback! { <module>; json <Builder>, download <Builder>, … }` with every operation
        /// of this service (`json` answers decode into a type, `download` answers are streams), for
        /// generic code instantiated once per builder type.
        #[doc(inline)]
        pub use #macro_name as for_each_operation;
    };
    // Every component schema that became a type, with its `schemars` schema: `cargo xtask validate`
    // checks that each generated type accepts the stored examples exactly as the spec's schema does.
    let type_names = type_idents(file);
    let schema_entries = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
        .filter_map(|name| {
            let ident = progenitor_type_ident(name);
            type_names.contains(&ident).then(|| {
                let ty = format_ident!("{}", ident);
                quote! { (#name, || ::schemars::schema_for!(super::types::#ty)) }
            })
        })
        .collect::<Vec<_>>();
    let title = raw.pointer("/info/title").and_then(Value::as_str).unwrap_or(service.module);
    let tokens = quote! {
        /// The operations of this service as the spec declares them, for the runtime.
        pub mod operations {
            /// Every operation, in spec order.
            pub static OPERATIONS: &[crate::runtime::OperationMeta] = &[#(#entries),*];
            /// Every path and query parameter of every operation, with the format the spec documents
            /// for it; checked before a request is sent (`crate::validate`).
            pub static PARAMETERS: &[crate::validate::Parameter] = &[#(#parameter_entries),*];
            /// The service's error codes (`x-codearts-error-codes`), in the reference's order.
            pub static ERROR_CODES: &[crate::error::KnownError] = &[#(#code_entries),*];
            /// The fields of every `multipart/form-data` body.
            pub static FORM_FIELDS: &[crate::multipart::FormField] = &[#(#form_entries),*];
            /// Every operation that declares `x-codearts-pagination`, its paginator reachable by name.
            pub static PAGINATED: &[crate::paginate::ByName<super::Client>] = &[#(#by_name_entries),*];
            #(#by_name_fns)*
            /// Every operation, callable by name with string parameters and a JSON body (`crate::dynamic`).
            pub static CALLABLE: &[crate::dynamic::Callable<super::Client>] = &[#(#callable_entries),*];
            #(#callable_fns)*
            /// Every component schema of the spec that is a generated type (by component name), with
            /// the type's `schemars` schema.
            #[cfg(feature = "schemars")]
            pub static JSON_SCHEMAS: &[(&str, fn() -> ::schemars::Schema)] = &[#(#schema_entries),*];
            /// All of the above.
            pub static SERVICE: crate::runtime::ServiceMeta = crate::runtime::ServiceMeta {
                name: #title,
                endpoint: crate::region::Service::#endpoint,
                operations: OPERATIONS,
                parameters: PARAMETERS,
                error_codes: ERROR_CODES,
                form_fields: FORM_FIELDS,
            };
        }

        impl ClientHooks<crate::runtime::Runtime> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> Result<(), Error<E>> {
                self.inner.pre(request, &self.baseurl, info.operation_id).await.map_err(Error::Custom)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner.exec(request, info.operation_id).await
            }
        }

        impl Client {
            /// A client for this service configured by `config`: endpoint, credentials, timeouts and
            /// retries. This is the constructor to use; `new` has no authentication.
            pub fn from_config(config: &crate::Config) -> Result<Self, crate::Error> {
                let runtime = crate::runtime::Runtime::new(config, &operations::SERVICE)?;
                let (base_url, http) = (runtime.base_url().to_string(), runtime.http().clone());
                Ok(Self::new_with_client(&base_url, http, runtime))
            }
        }

        #(#impls)*

        #for_each
    };
    syn::parse2(tokens).map_err(|e| format!("runtime glue does not parse: {e}"))
}

/// The Rust name progenitor gives a parameter (its `util::sanitize` in snake case): quotes dropped,
/// other non-identifier characters as word breaks, a leading `_` before a digit, `_` after a
/// keyword, `x` for nothing at all.
/// The names of the structs and enums in the generated `types` module.
fn type_idents(file: &syn::File) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for item in &file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        for item in m.content.iter().flat_map(|(_, items)| items) {
            match item {
                syn::Item::Struct(s) => out.insert(s.ident.to_string()),
                syn::Item::Enum(e) => out.insert(e.ident.to_string()),
                _ => false,
            };
        }
    }
    out
}

/// The Rust name typify gives component schema `name`.
fn progenitor_type_ident(name: &str) -> String {
    heck::ToPascalCase::to_pascal_case(name)
}

fn progenitor_ident(name: &str) -> String {
    let cleaned: String =
        name.replace('\'', "").chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' }).collect();
    let mut out = match name {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => heck::ToSnakeCase::to_snake_case(cleaned.as_str()),
    };
    match out.chars().next() {
        None => out = "x".to_string(),
        Some(c) if c.is_alphabetic() || c == '_' => {}
        Some(_) => out = format!("_{out}"),
    }
    if out == "_" || syn::parse_str::<syn::Ident>(&out).is_err() {
        out.push('_');
    }
    out
}

/// The spec's operation object of `id`.
fn operation_value<'a>(spec: &'a Value, id: &str) -> Option<&'a Value> {
    spec.get("paths")?.as_object()?.values().find_map(|item| {
        ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
            .iter()
            .filter_map(|m| item.get(*m))
            .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
    })
}

/// `impl Paginated` and `into_paginator()` for one builder.
#[allow(clippy::too_many_arguments)]
fn paginator(
    spec: &Value,
    op: &Value,
    id: &str,
    name: &syn::Ident,
    decl: &Pagination,
    output: &syn::Type,
    builder_struct: Option<&syn::ItemStruct>,
    shapes: &Shapes,
) -> Result<proc_macro2::TokenStream, String> {
    // The setters of the page position and size.
    let mut query_calls = Vec::new();
    let mut body_calls = Vec::new();
    for (key, value) in [(&decl.page, quote!(position)), (&decl.size, quote!(u64::from(size)))] {
        match key.strip_prefix("body.") {
            None => {
                let param = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(spec, p))
                    .find(|p| {
                        p.get("name").and_then(Value::as_str) == Some(key.as_str())
                            && p.get("in").and_then(Value::as_str) == Some("query")
                    })
                    .ok_or_else(|| format!("`{key}` is not a query parameter"))?;
                let schema = resolve(spec, param.get("schema").unwrap_or(&Value::Null));
                let setter = format_ident!("{}", progenitor_ident(key));
                let converted = convert_json(schema, &value)?;
                query_calls.push(quote!(.#setter(#converted)));
            }
            Some(field) => {
                let body = builder_struct
                    .and_then(|s| s.fields.iter().find(|f| f.ident.as_ref().is_some_and(|i| i == "body")))
                    .and_then(|f| named_types(&f.ty).into_iter().find(|n| shapes.contains_key(n)))
                    .ok_or("pages in the body, but the operation's body is not a struct")?;
                let f = shapes[&body]
                    .iter()
                    .find(|f| f.json == field)
                    .ok_or_else(|| format!("the body {body} has no field `{field}`"))?;
                let setter = &f.ident;
                let converted = convert_rust(&f.ty, &value)?;
                body_calls.push(quote!(.#setter(#converted)));
            }
        }
    }
    let body_map = (!body_calls.is_empty()).then(|| quote!(.body_map(|b| b #(#body_calls)*)));

    // The items and the total, from the answer.
    let root = named_types(output).into_iter().find(|n| shapes.contains_key(n) || n == "Vec");
    let (items_expr, item_ty) = if decl.items.is_empty() {
        let item = option_or_vec_inner(output, "Vec").ok_or("the 200 body is not an array")?;
        (quote!(output), item)
    } else {
        let root = root.ok_or("the 200 body is not a struct")?;
        let segments: Vec<&str> = decl.items.split('.').collect();
        let (prefix, last) = segments.split_at(segments.len() - 1);
        let mut expr = quote!(Some(output));
        let mut current = root;
        for seg in prefix {
            let f = field(shapes, &current, seg)?;
            expr = match option_or_vec_inner(&f.ty, "Option") {
                Some(inner) => {
                    let ident = &f.ident;
                    current = last_ident(&inner).ok_or("a nested items path through a non-struct")?;
                    quote!(#expr.and_then(|node| node.#ident))
                }
                None => {
                    let ident = &f.ident;
                    current = last_ident(&f.ty).ok_or("a nested items path through a non-struct")?;
                    quote!(#expr.map(|node| node.#ident))
                }
            };
        }
        let f = field(shapes, &current, last[0])?;
        let ident = &f.ident;
        match option_or_vec_inner(&f.ty, "Option") {
            Some(inner) => {
                let item = option_or_vec_inner(&inner, "Vec").ok_or("items is not an array")?;
                (quote!(#expr.and_then(|node| node.#ident).unwrap_or_default()), item)
            }
            None => {
                let item = option_or_vec_inner(&f.ty, "Vec").ok_or("items is not an array")?;
                (quote!(#expr.map(|node| node.#ident).unwrap_or_default()), item)
            }
        }
    };
    let total_expr = match &decl.total {
        None => quote!(None),
        Some(path) => {
            let root = named_types(output).into_iter().find(|n| shapes.contains_key(n)).ok_or("no struct body")?;
            let mut expr = quote!(Some(&output));
            let mut current = root;
            let segments: Vec<&str> = path.split('.').collect();
            for (i, seg) in segments.iter().enumerate() {
                let f = field(shapes, &current, seg)?;
                let ident = &f.ident;
                let last = i + 1 == segments.len();
                let inner = option_or_vec_inner(&f.ty, "Option");
                expr = match (last, inner) {
                    (true, Some(_)) => quote!(#expr.and_then(|node| node.#ident)),
                    (true, None) => quote!(#expr.map(|node| node.#ident)),
                    (false, Some(inner)) => {
                        current = last_ident(&inner).ok_or("total path through a non-struct")?;
                        quote!(#expr.and_then(|node| node.#ident.as_ref()))
                    }
                    (false, None) => {
                        current = last_ident(&f.ty).ok_or("total path through a non-struct")?;
                        quote!(#expr.map(|node| &node.#ident))
                    }
                };
            }
            quote!(#expr.and_then(|total| i64::try_from(total).ok()))
        }
    };
    let item_ty = qualify(&item_ty, shapes);
    let kind = match decl.kind {
        PageKind::Page => quote!(Page),
        PageKind::Offset => quote!(Offset),
    };
    let first_page = decl.first_page.unwrap_or(0);
    let max_size = match decl.max_size {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    };
    let doc = format!(
        "Every page of `{id}`, fetched lazily as the spec declares its paging (`{}` = {}, `{}` = page size): \
         `.into_paginator().items()` streams the items of all pages, `.pages()` the pages.",
        decl.page,
        match decl.kind {
            PageKind::Page => format!("page number from {first_page}"),
            PageKind::Offset => "item offset".to_string(),
        },
        decl.size,
    );
    Ok(quote! {
        impl<'a> crate::paginate::Paginated for builder::#name<'a> {
            type Item = #item_ty;
            const PAGING: crate::paginate::Paging = crate::paginate::Paging {
                operation: #id,
                kind: crate::paginate::PageKind::#kind,
                first_page: #first_page,
                max_size: #max_size,
            };
            fn at(self, position: u64, size: u32) -> Self {
                self #(#query_calls)* #body_map
            }
            fn page_of(output: Self::Output) -> crate::paginate::Page<Self::Item> {
                let total: Option<i64> = #total_expr;
                crate::paginate::Page::new(#items_expr, total)
            }
        }
        impl<'a> builder::#name<'a> {
            #[doc = #doc]
            pub fn into_paginator(self) -> crate::paginate::Paginator<Self> {
                crate::paginate::Paginator::new(self)
            }
        }
    })
}

/// Statements that set each path and query parameter of `op` on `builder` from `input`, parsed as
/// the parameter's type (`?`: a value that does not parse fails the call before anything is sent).
fn dynamic_setters(spec: &Value, op: &Value, id: &str) -> Result<Vec<proc_macro2::TokenStream>, String> {
    let mut out = Vec::new();
    for p in op.get("parameters").and_then(Value::as_array).into_iter().flatten().map(|p| resolve(spec, p)) {
        let (Some(name), Some(location)) = (p.get("name").and_then(Value::as_str), p.get("in").and_then(Value::as_str))
        else {
            continue;
        };
        if !matches!(location, "path" | "query") {
            continue;
        }
        let schema = resolve(spec, p.get("schema").unwrap_or(&Value::Null));
        let setter = format_ident!("{}", progenitor_ident(name));
        let parse =
            |ty: proc_macro2::TokenStream, what: &str| quote!(crate::dynamic::parse::<#ty>(#id, #name, &value, #what)?);
        let value = match (schema.get("type").and_then(Value::as_str), schema.get("format").and_then(Value::as_str)) {
            (Some("integer"), Some("int64")) => parse(quote!(i64), "an integer"),
            (Some("integer"), _) => parse(quote!(i32), "an integer"),
            (Some("number"), _) => parse(quote!(f64), "a number"),
            (Some("boolean"), _) => parse(quote!(bool), "true or false"),
            (Some("array"), _) => quote!(value.split(',').map(|v| v.trim().to_string()).collect::<Vec<String>>()),
            _ => quote!(value),
        };
        out.push(quote! {
            let builder = match input.get(#name) {
                Some(value) => builder.#setter(#value),
                None => builder,
            };
        });
    }
    Ok(out)
}

/// The statement that sets the body of the builder `imp` is the impl of, from `input`: JSON decoded
/// into the type its `body` setter takes, a form, or raw bytes.
fn body_setter(imp: &syn::ItemImpl, id: &str, multipart: bool) -> Result<proc_macro2::TokenStream, String> {
    let Some(body) = imp.items.iter().find_map(|i| match i {
        syn::ImplItem::Fn(f) if f.sig.ident == "body" => Some(f),
        _ => None,
    }) else {
        return Ok(quote!());
    };
    // `pub fn body<V>(mut self, value: V) -> Self where V: TryInto<T>`: the body's type is T.
    let ty = body
        .sig
        .generics
        .where_clause
        .iter()
        .flat_map(|w| w.predicates.iter())
        .find_map(|p| match p {
            syn::WherePredicate::Type(t) => t.bounds.iter().find_map(|b| match b {
                syn::TypeParamBound::Trait(tb) => {
                    let seg = tb.path.segments.last()?;
                    if seg.ident != "TryInto" {
                        return None;
                    }
                    match &seg.arguments {
                        syn::PathArguments::AngleBracketed(a) => match a.args.first()? {
                            syn::GenericArgument::Type(t) => Some(t.clone()),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                _ => None,
            }),
            _ => None,
        })
        .ok_or_else(|| format!("{id}: the body setter has an unexpected signature"))?;
    if last_ident(&ty).as_deref() == Some("Body") {
        let form = multipart.then(|| quote!((Some(form), _) => builder.form(form.clone()),));
        let either = if multipart { quote!(&input.form) } else { quote!(&None::<crate::multipart::Form>) };
        return Ok(quote! {
            let builder = match (#either, &input.bytes) {
                #form
                (_, Some(bytes)) => builder.body(bytes.clone()),
                _ => builder,
            };
        });
    }
    let ty = qualify_super(&ty);
    Ok(quote! {
        let builder = match &input.body {
            Some(body) => builder.body(crate::dynamic::typed::<#ty>(#id, body)?),
            None => builder,
        };
    })
}

/// `types::X` as seen from the `operations` module (`super::types::X`).
fn qualify_super(ty: &syn::Type) -> syn::Type {
    let mut ty = ty.clone();
    struct Q;
    impl syn::visit_mut::VisitMut for Q {
        fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, p);
            if p.path.leading_colon.is_none() && p.path.segments.first().is_some_and(|s| s.ident == "types") {
                *p = syn::parse_quote!(super::#p);
            }
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Q, &mut ty);
    ty
}

fn field<'a>(shapes: &'a Shapes, ty: &str, json: &str) -> Result<&'a super::types::Field, String> {
    shapes
        .get(ty)
        .and_then(|fields| fields.iter().find(|f| f.json == json))
        .ok_or_else(|| format!("{ty} has no field `{json}`"))
}

/// A page position (`u64`) as the parameter's JSON type wants it.
fn convert_json(schema: &Value, value: &proc_macro2::TokenStream) -> Result<proc_macro2::TokenStream, String> {
    match (schema.get("type").and_then(Value::as_str), schema.get("format").and_then(Value::as_str)) {
        (Some("integer"), Some("int64")) => Ok(quote!(i64::try_from(#value).unwrap_or(i64::MAX))),
        (Some("integer"), _) => Ok(quote!(i32::try_from(#value).unwrap_or(i32::MAX))),
        (Some("string"), _) => Ok(quote!((#value).to_string())),
        (other, _) => Err(format!("a paging parameter of type {other:?}")),
    }
}

/// A page position as the body field's Rust type wants it.
fn convert_rust(ty: &syn::Type, value: &proc_macro2::TokenStream) -> Result<proc_macro2::TokenStream, String> {
    let inner = option_or_vec_inner(ty, "Option").unwrap_or_else(|| ty.clone());
    match last_ident(&inner).as_deref() {
        Some("i64") => Ok(quote!(i64::try_from(#value).unwrap_or(i64::MAX))),
        Some("i32") => Ok(quote!(i32::try_from(#value).unwrap_or(i32::MAX))),
        Some("u64") => Ok(quote!(#value)),
        Some("String") => Ok(quote!((#value).to_string())),
        other => Err(format!("a paging body field of type {other:?}")),
    }
}

/// `Option<T>` → `T` (or `Vec<T>` → `T`).
fn option_or_vec_inner(ty: &syn::Type, wrapper: &str) -> Option<syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Every identifier in the type's paths, outermost first.
fn named_types(ty: &syn::Type) -> Vec<String> {
    let mut out = Vec::new();
    fn go(ty: &syn::Type, out: &mut Vec<String>) {
        if let syn::Type::Path(p) = ty {
            for seg in &p.path.segments {
                out.push(seg.ident.to_string());
                if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
                    for a in &args.args {
                        if let syn::GenericArgument::Type(t) = a {
                            go(t, out);
                        }
                    }
                }
            }
        }
    }
    go(ty, &mut out);
    out
}

/// A type as written inside `types` (bare names), as seen from outside it (`types::Name`).
fn qualify(ty: &syn::Type, shapes: &Shapes) -> syn::Type {
    let mut ty = ty.clone();
    struct Q<'a>(&'a Shapes);
    impl syn::visit_mut::VisitMut for Q<'_> {
        fn visit_type_path_mut(&mut self, p: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, p);
            if p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path.segments.len() == 1
                && self.0.contains_key(&p.path.segments[0].ident.to_string())
            {
                let ident = &p.path.segments[0].ident;
                *p = syn::parse_quote!(types::#ident);
            }
        }
    }
    syn::visit_mut::VisitMut::visit_type_mut(&mut Q(shapes), &mut ty);
    ty
}

/// `Result<ResponseValue<T>, Error<E>>` → (T, E).
fn result_types(output: &syn::ReturnType) -> Option<(syn::Type, syn::Type)> {
    fn first_arg(ty: &syn::Type) -> Option<(&syn::Ident, Vec<syn::Type>)> {
        let syn::Type::Path(p) = ty else { return None };
        let seg = p.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
        let tys = args.args.iter().filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        });
        Some((&seg.ident, tys.collect()))
    }
    let syn::ReturnType::Type(_, ty) = output else { return None };
    let (_, outer) = first_arg(ty)?;
    let (_, ok) = first_arg(outer.first()?)?;
    let (_, err) = first_arg(outer.get(1)?)?;
    Some((ok.first()?.clone(), err.first()?.clone()))
}
