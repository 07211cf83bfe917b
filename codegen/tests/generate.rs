//! The generator's own layer, on a small spec that has one of everything it handles.

use codearts_codegen::Service;

fn generated() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.yaml");
    let spec = codearts_codegen::load_spec(&path).unwrap();
    let service = Service { module: "tiny", feature: "tiny", spec: "tests/fixtures/tiny.yaml", endpoint: "Build" };
    codearts_codegen::generate(&service, &spec).unwrap()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn enums_get_a_catch_all_and_keep_their_wire_names() {
    let code = squash(&generated());
    assert!(code.contains("pub enum ThingStatus"), "{code}");
    assert!(code.contains("#[serde(rename = \"RUNNING\")] Running"), "{code}");
    // A listed value named `unknown` must not collide with the catch-all.
    assert!(code.contains("#[serde(untagged)] UnknownValue(::std::string::String)"), "{code}");
    assert!(code.contains("pub const KNOWN: &'static [&'static str] = &[\"RUNNING\", \"COMPLETED\", \"unknown\"]"));
    assert!(!code.contains("enum ThingStatus { Completed"), "no Copy-only enum left");
    assert!(
        code.contains("impl ::std::str::FromStr for ThingStatus { type Err = ::std::convert::Infallible;"),
        "{code}"
    );
    assert!(code.contains("impl ::std::fmt::Display for ThingStatus"));
    assert!(!code.contains("invalid value"), "typify's failing conversions are gone");
}

#[test]
fn request_arrays_keep_empty_apart_from_absent_and_answers_always_send_them() {
    let code = squash(&generated());
    // `Thing` is a request body (UpdateThing): Option<Vec>.
    assert!(code.contains(
        "#[serde(default, skip_serializing_if = \"::std::option::Option::is_none\")] pub tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>"
    ), "{code}");
    // `ThingPage` only answers: always encoded.
    assert!(code.contains("#[serde(default)] pub things: ::std::vec::Vec<ThingSummary>"), "{code}");
}

#[test]
fn types_are_non_exhaustive_and_schemars_ready() {
    let code = squash(&generated());
    assert!(code.contains(
        "#[non_exhaustive] #[cfg_attr(feature = \"schemars\", derive(::schemars::JsonSchema))] pub struct Thing {"
    ));
    assert!(code.contains("impl ::schemars::JsonSchema for ThingStatus"));
}

#[test]
fn string_formats_never_reach_typify() {
    // `format: date-time` would decode into chrono and reject the vendor's own formats.
    let code = squash(&generated());
    assert!(code.contains("pub created: ::std::option::Option<::std::string::String>"), "{code}");
    assert!(!code.contains("chrono"));
}

#[test]
fn paginators_page_in_the_body_by_offset() {
    let code = squash(&generated());
    assert!(code.contains("impl<'a> crate::paginate::Paginated for builder::ListThings<'a>"), "{code}");
    assert!(code.contains("kind: crate::paginate::PageKind::Offset"));
    assert!(code.contains(".body_map(|b| { b .offset(i32::try_from(position).unwrap_or(i32::MAX)) .limit(i32::try_from(u64::from(size)).unwrap_or(i32::MAX)) })"), "{code}");
    assert!(code.contains("pub fn into_paginator(self) -> crate::paginate::Paginator<Self>"));
}

#[test]
fn tables_carry_content_types_forms_and_error_codes() {
    let code = squash(&generated());
    assert!(code.contains("content_type: Some(\"application/json;charset=UTF-8\")"), "{code}");
    assert!(code.contains("multipart: true"));
    assert!(
        code.contains(
            "crate::multipart::FormField { operation: \"UploadIcon\", name: \"file\", file: true, required: true, }"
        ),
        "{code}"
    );
    assert!(code.contains("code: \"TINY.001\""));
    assert!(code.contains("pub fn form(self, form: crate::multipart::Form) -> Self"));
}
