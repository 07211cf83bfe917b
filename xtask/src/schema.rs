//! Examples validated with `jsonschema` against the spec's schemas, converted by
//! `codearts_codegen::schema` (objects closed, integer ranges checked).

use anyhow::{Result, anyhow};
use serde_json::Value;

/// A strict validator for `schema` (an OpenAPI schema or `$ref`) with the spec's components in scope.
pub fn validator(spec: &Value, schema: &Value) -> Result<jsonschema::Validator> {
    let root = codearts_codegen::schema::json_schema(spec, schema, true).map_err(anyhow::Error::msg)?;
    jsonschema::draft7::new(&root).map_err(|e| anyhow!("invalid schema: {e}"))
}

/// Every error as (instance JSON pointer, message).
pub fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<(String, String)> {
    validator.iter_errors(doc).map(|e| (e.instance_path().to_string(), e.to_string())).collect()
}

/// A validator for `schema` with the spec's own openness (objects accept undeclared fields).
pub fn lenient_validator(spec: &Value, schema: &Value) -> Result<jsonschema::Validator> {
    let root = codearts_codegen::schema::json_schema(spec, schema, false).map_err(anyhow::Error::msg)?;
    jsonschema::draft7::new(&root).map_err(|e| anyhow!("invalid schema: {e}"))
}
