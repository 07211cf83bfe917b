//! The generated Rust types against the spec: for every stored example whose schema is a component,
//! the `schemars` schema of the Rust type generated from that component must accept the example
//! exactly when the spec's own schema does (as printed and after the errata's corrections). The
//! generated code cannot then drift from the spec unnoticed: a field typify typed differently, an
//! enum that lost a value, a required flag that went missing — each flips a verdict.
//!
//! The spec's schema is read with its own openness (objects accept unknown fields, as the Rust types
//! do); the check is about types, required fields and values, not closedness, which
//! `check_examples` covers strictly.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use codearts_codegen::errata::{self, Erratum};
use serde_json::Value;

/// How many examples were compared, and how many had no generated type to compare with.
#[derive(Debug, Default)]
pub struct Stats {
    pub compared: usize,
    pub inline: usize,
}

/// A generated type's `schemars` schema.
pub type SchemaFn = fn() -> schemars::Schema;
/// Generated types' schemas by component name.
pub type Schemas = BTreeMap<&'static str, SchemaFn>;

/// The `schemars` schema of every generated type of `module`, by component name.
pub fn rust_schemas(module: &str) -> Schemas {
    let table: &[(&str, SchemaFn)] = match module {
        "build" => codearts::build::operations::JSON_SCHEMAS,
        "check" => codearts::check::operations::JSON_SCHEMAS,
        "pipeline" => codearts::pipeline::operations::JSON_SCHEMAS,
        _ => &[],
    };
    table.iter().copied().collect()
}

fn accepts(validator: &jsonschema::Validator, doc: &Value) -> Result<(), String> {
    match validator.iter_errors(doc).next() {
        None => Ok(()),
        Some(e) => Err(format!("{} at {:?}", e, e.instance_path().to_string())),
    }
}

/// Compares every example of `service` (spec `spec` in `spec_dir`) with its generated type.
pub fn check(
    spec: &Value,
    spec_dir: &Path,
    schemas: &Schemas,
    errata: &[Erratum],
    problems: &mut Vec<String>,
) -> Result<Stats> {
    let mut stats = Stats::default();
    for ex in errata::examples_of(spec) {
        if !ex.media_type.contains("json") {
            continue;
        }
        let Some(schema) = spec.pointer(&format!("{}/schema", ex.media_pointer)) else { continue };
        let Some(component) =
            schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            stats.inline += 1;
            continue;
        };
        let Some(rust) = schemas.get(component) else {
            problems.push(format!("{}: component {component} has no generated type with a schema", ex.file));
            continue;
        };
        let Ok(raw) = std::fs::read_to_string(spec_dir.join(&ex.file)) else { continue };
        let spec_validator = crate::schema::lenient_validator(spec, schema)?;
        let rust_schema = serde_json::to_value(rust())?;
        let rust_validator = jsonschema::validator_for(&rust_schema)
            .map_err(|e| anyhow::anyhow!("the schema of the Rust type {component} is invalid: {e}"))?;
        let mut docs = Vec::new();
        if let Ok(doc) = serde_json::from_str::<Value>(&raw) {
            docs.push(("as printed", doc));
        }
        if let Ok(doc) = errata::corrected_example(errata, &ex, &raw, spec_dir) {
            docs.push(("after errata", doc));
        }
        for (what, doc) in docs {
            stats.compared += 1;
            match (accepts(&spec_validator, &doc), accepts(&rust_validator, &doc)) {
                (Ok(()), Err(e)) => problems.push(format!(
                    "{} ({what}): the spec accepts it but the generated type {component} does not: {e}",
                    ex.file
                )),
                (Err(e), Ok(())) => problems.push(format!(
                    "{} ({what}): the generated type {component} accepts it but the spec does not: {e}",
                    ex.file
                )),
                _ => {}
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(schemas: &Schemas) -> (Stats, Vec<String>) {
        let root = crate::root();
        let spec_path = root.join("spec/codearts-build.yaml");
        let spec = errata::load_yaml(&spec_path).unwrap();
        let spec_dir = errata::spec_dir(&spec_path);
        let errata = errata::load_errata(&spec_dir.join("errata/codearts-build.yaml")).unwrap();
        let mut problems = Vec::new();
        let stats = check(&spec, &spec_dir, schemas, &errata, &mut problems).unwrap();
        (stats, problems)
    }

    #[test]
    fn the_generated_types_agree_with_the_build_spec() {
        let (stats, problems) = run(&rust_schemas("build"));
        assert!(problems.is_empty(), "{problems:#?}");
        assert!(stats.compared > 300, "{stats:?}");
    }

    #[test]
    fn a_type_that_drifted_from_its_component_is_caught() {
        // ShowJobStatusResponse's type replaced by one whose `result` is an object: the examples the
        // spec accepts (`{"result": true}`) are rejected by the "generated" type.
        let mut schemas = rust_schemas("build");
        schemas.insert(
            "ShowJobStatusResponse",
            || schemars::json_schema!({"type": "object", "properties": {"result": {"type": "object"}}}),
        );
        let (_, problems) = run(&schemas);
        assert!(problems.iter().any(|p| p.contains("ShowJobStatus") && p.contains("does not")), "{problems:#?}");
    }

    #[test]
    fn a_missing_type_is_reported() {
        let mut schemas = rust_schemas("build");
        schemas.remove("ShowJobStatusResponse");
        let (_, problems) = run(&schemas);
        assert!(problems.iter().any(|p| p.contains("has no generated type")), "{problems:#?}");
    }
}
