//! What progenitor must not see, taken out of a spec and kept as facts for the SDK's own layer.
//!
//! - Parameter formats (`pattern`, lengths, `x-codearts-format`) are checked by `crate::validate`,
//!   not by progenitor: given a `pattern` or a length, progenitor (typify) would turn the parameter
//!   into a newtype whose conversion error drops the reason, and change every builder's signature.
//! - `multipart/form-data` request bodies, which progenitor cannot generate: progenitor sees an
//!   `application/octet-stream` body (so the builder takes the encoded form), and the facts keep
//!   the form's fields for the generated `form()` setter and the runtime's checks.
//! - Request content types with parameters (`application/json;charset=UTF-8`), which progenitor
//!   reduces to `application/json`: the runtime sends the spec's exact type.

use openapiv3::{Parameter, ParameterSchemaOrContent, ReferenceOr, SchemaKind, Type};
use std::collections::BTreeMap;

/// A spec prepared for progenitor, and what was taken out of it.
pub struct Prepared {
    /// The spec progenitor sees.
    pub spec: openapiv3::OpenAPI,
    /// Every path and query parameter of every operation, in `spec.operations()` order.
    pub parameters: Vec<ParameterFacts>,
    /// The form fields of every operation with a `multipart/form-data` body, by operationId.
    pub multipart: BTreeMap<String, Vec<FormField>>,
    /// The request content type of every operation with a body, by operationId, as the spec says it.
    pub content_types: BTreeMap<String, String>,
}

/// One path or query parameter of an operation, with the format the spec documents for it.
pub struct ParameterFacts {
    pub operation: String,
    pub name: String,
    pub path: bool,
    pub required: bool,
    /// An array sent as one comma-separated value (`style: form, explode: false`).
    pub comma_separated: bool,
    pub string: bool,
    pub pattern: Option<String>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub format: Option<String>,
}

/// One field of a `multipart/form-data` body.
pub struct FormField {
    pub name: String,
    /// `type: string, format: binary`: a file part.
    pub file: bool,
    pub required: bool,
}

/// The spec's own extensions on a parameter schema, read here and removed before progenitor runs.
const FORMAT_EXTENSIONS: [&str; 2] = ["x-codearts-format", "x-codearts-no-pattern"];

/// Prepares `spec` for progenitor.
pub fn prepare(spec: &openapiv3::OpenAPI) -> Result<Prepared, String> {
    let (plain, parameters) = take_parameter_formats(spec)?;
    let mut plain = unconstrained(&plain)?;
    let mut multipart = BTreeMap::new();
    let mut content_types = BTreeMap::new();
    for item in plain.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else { continue };
        for op in operations_mut(item) {
            let id = op.operation_id.clone().unwrap_or_default();
            one_success_shape(op);
            let Some(ReferenceOr::Item(body)) = &mut op.request_body else { continue };
            let Some((media, content)) = body.content.first() else { continue };
            content_types.insert(id.clone(), media.clone());
            if !media.starts_with("multipart/form-data") {
                continue;
            }
            let fields = form_fields(spec, content.schema.as_ref())
                .map_err(|e| format!("{id}: multipart/form-data body: {e}"))?;
            multipart.insert(id, fields);
            let binary = openapiv3::Schema {
                schema_data: Default::default(),
                schema_kind: SchemaKind::Type(Type::String(openapiv3::StringType {
                    format: openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Binary),
                    ..Default::default()
                })),
            };
            let media = openapiv3::MediaType { schema: Some(ReferenceOr::Item(binary)), ..Default::default() };
            body.content = [("application/octet-stream".to_string(), media)].into_iter().collect();
        }
    }
    Ok(Prepared { spec: plain, parameters, multipart, content_types })
}

/// The spec without the constraints that would change the generated types: every string `format`
/// but `binary`, lengths, patterns, numeric bounds, item counts and defaults. Given them, typify decodes
/// `date-time` into chrono (which rejects the vendor's own `2021-01-04 10:00:00`), a bounded
/// integer into `NonZeroU32` or `u64`, a length-limited string into a newtype that refuses a longer
/// value: decoding would then depend on the vendor keeping its documented limits, and every limit
/// the spec learns would change a type. The constraints stay in the spec (for documentation, other
/// generators and the validators); path and query formats are checked by `crate::validate`.
fn unconstrained(spec: &openapiv3::OpenAPI) -> Result<openapiv3::OpenAPI, String> {
    // `default` too: typify would make the field non-optional and always send the default, so a
    // request would carry values its caller never set (the server applies its defaults itself).
    const BOUNDS: [&str; 12] = [
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "default",
    ];
    fn strip(node: &mut serde_json::Value) {
        match node {
            serde_json::Value::Object(m) => {
                // Only schema objects: they have a `type` that is a string (a `properties` map whose
                // property is called `type` has an object there).
                if m.get("type").is_some_and(|t| t.is_string()) {
                    let string = m.get("type").and_then(|t| t.as_str()) == Some("string");
                    if string && m.get("format").and_then(|f| f.as_str()).is_some_and(|f| f != "binary") {
                        m.remove("format");
                    }
                    for key in BOUNDS {
                        m.remove(key);
                    }
                }
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(spec).map_err(|e| e.to_string())?;
    strip(&mut value);
    serde_json::from_value(value).map_err(|e| format!("the spec does not read back: {e}"))
}

/// progenitor takes one success shape per operation: where the spec lists a success status with a
/// body and others without one (the API Explorer's generic `201` beside a `200`), the bodiless ones
/// go, and the client treats them as undocumented.
fn one_success_shape(op: &mut openapiv3::Operation) {
    use openapiv3::StatusCode;
    let success = |s: &StatusCode| matches!(s, StatusCode::Code(200..=299));
    let has_body = |r: &ReferenceOr<openapiv3::Response>| r.as_item().is_some_and(|r| !r.content.is_empty());
    let with_body = op.responses.responses.iter().filter(|(s, r)| success(s) && has_body(r)).count();
    if with_body >= 1 {
        op.responses.responses.retain(|s, r| !success(s) || has_body(r));
    }
}

fn operations_mut(item: &mut openapiv3::PathItem) -> impl Iterator<Item = &mut openapiv3::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(|op| op.as_mut())
}

/// The fields of a form body's object schema.
fn form_fields(
    spec: &openapiv3::OpenAPI,
    schema: Option<&ReferenceOr<openapiv3::Schema>>,
) -> Result<Vec<FormField>, String> {
    let schema = match schema {
        Some(ReferenceOr::Item(s)) => s.clone(),
        Some(ReferenceOr::Reference { reference }) => reference
            .strip_prefix("#/components/schemas/")
            .and_then(|n| spec.components.as_ref()?.schemas.get(n)?.as_item().cloned())
            .ok_or_else(|| format!("$ref {reference} does not resolve"))?,
        None => return Err("no schema".into()),
    };
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Err("the schema is not an object".into());
    };
    Ok(object
        .properties
        .iter()
        .map(|(name, s)| FormField {
            name: name.clone(),
            file: matches!(
                s.as_item().map(|s| &s.schema_kind),
                Some(SchemaKind::Type(Type::String(openapiv3::StringType {
                    format: openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Binary),
                    ..
                })))
            ),
            required: object.required.contains(name),
        })
        .collect())
}

/// Every path and query parameter of every operation (in `spec.operations()` order) with its
/// format, and a copy of the spec without those formats for progenitor.
fn take_parameter_formats(spec: &openapiv3::OpenAPI) -> Result<(openapiv3::OpenAPI, Vec<ParameterFacts>), String> {
    let component = |r: &ReferenceOr<Parameter>| -> Result<Parameter, String> {
        match r {
            ReferenceOr::Item(p) => Ok(p.clone()),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/parameters/")
                .and_then(|name| spec.components.as_ref()?.parameters.get(name)?.as_item().cloned())
                .ok_or_else(|| format!("parameter $ref {reference} does not resolve")),
        }
    };
    let mut facts = Vec::new();
    for (path, _, op) in spec.operations() {
        let shared = spec.paths.paths.get(path).and_then(|i| i.as_item()).map(|i| i.parameters.clone());
        for p in shared.unwrap_or_default().iter().chain(&op.parameters) {
            let p = component(p)?;
            let in_path = matches!(p, Parameter::Path { .. });
            if !in_path && !matches!(p, Parameter::Query { .. }) {
                continue;
            }
            let data = p.parameter_data_ref();
            let schema = match &data.format {
                ParameterSchemaOrContent::Schema(ReferenceOr::Item(s)) => Some(s),
                _ => None,
            };
            let text = |key: &str| {
                schema.and_then(|s| s.schema_data.extensions.get(key)).and_then(|v| v.as_str()).map(str::to_string)
            };
            let string = schema.and_then(|s| match &s.schema_kind {
                SchemaKind::Type(Type::String(t)) => Some(t),
                _ => None,
            });
            facts.push(ParameterFacts {
                operation: op.operation_id.clone().unwrap_or_default(),
                name: data.name.clone(),
                path: in_path,
                required: data.required,
                comma_separated: matches!(&p, Parameter::Query { .. }) && data.explode == Some(false),
                string: string.is_some(),
                pattern: string.and_then(|t| t.pattern.clone()),
                min_length: string.and_then(|t| t.min_length),
                max_length: string.and_then(|t| t.max_length),
                format: text("x-codearts-format"),
            });
        }
    }

    let mut plain = spec.clone();
    let strip = |p: &mut ReferenceOr<Parameter>| {
        let ReferenceOr::Item(p) = p else { return };
        let data = match p {
            Parameter::Query { parameter_data, .. }
            | Parameter::Header { parameter_data, .. }
            | Parameter::Path { parameter_data, .. }
            | Parameter::Cookie { parameter_data, .. } => parameter_data,
        };
        if let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &mut data.format {
            for key in FORMAT_EXTENSIONS {
                schema.schema_data.extensions.shift_remove(key);
            }
            if let SchemaKind::Type(Type::String(t)) = &mut schema.schema_kind {
                (t.pattern, t.min_length, t.max_length) = (None, None, None);
            }
        }
    };
    for item in plain.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else { continue };
        item.parameters.iter_mut().for_each(strip);
        operations_mut(item).flat_map(|op| op.parameters.iter_mut()).for_each(strip);
    }
    if let Some(components) = &mut plain.components {
        components.parameters.values_mut().for_each(strip);
    }
    Ok((plain, facts))
}
