//! Shared test support: the spec's examples and errata, a recording mock server, and the
//! per-operation round-trip harness.

#![allow(dead_code)]

pub mod errata;
pub mod harness;
pub mod mock;
