//! # codearts-codegen
//!
//! The spec → Rust generator of the `codearts` SDK and the spec tooling around it, shared by the
//! SDK's `build.rs` (a build-dependency), `cargo xtask` and the tests, so that what is checked is
//! byte-for-byte what is compiled:
//!
//! - [`generator`]: each service's OpenAPI document through progenitor, then the SDK's own layer
//!   over progenitor's output (operation tables, runtime hooks, paginators, forward-compatible
//!   types);
//! - [`spec`]: the project's OpenAPI extensions read as data (pagination, error codes);
//! - [`schema`]: OpenAPI schema objects as JSON Schema, for validating examples and answers;
//! - [`errata`]: the stored examples and the errata that decide where they contradict the spec.

pub mod errata;
pub mod generator;
pub mod schema;
pub mod spec;

pub use generator::{SERVICES, Service, generate, generate_httpmock, load_spec};
