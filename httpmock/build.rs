//! Generates the typed mocks of every service whose feature is on, from the SDK's own specs (one
//! directory up: this crate lives in the SDK's workspace).

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let root = manifest.parent().expect("the workspace root").to_path_buf();
    println!("cargo:rerun-if-changed=build.rs");
    for service in codearts_codegen::SERVICES {
        let spec_path = root.join(service.spec);
        println!("cargo:rerun-if-changed={}", spec_path.display());
        let feature = format!("CARGO_FEATURE_{}", service.feature.to_uppercase());
        if std::env::var_os(feature).is_none() {
            continue;
        }
        let spec = codearts_codegen::load_spec(&spec_path).unwrap_or_else(|e| fail(&e));
        let code = codearts_codegen::generate_httpmock(service, &spec, &format!("codearts::{}", service.module))
            .unwrap_or_else(|e| fail(&e));
        let file = out.join(format!("{}_httpmock.rs", service.module));
        if std::fs::read_to_string(&file).ok().as_deref() != Some(code.as_str()) {
            std::fs::write(&file, code).unwrap_or_else(|e| fail(&format!("{}: {e}", file.display())));
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
