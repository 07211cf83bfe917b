//! Feeds each service's OpenAPI document through the generator (`codearts-codegen`: progenitor plus
//! the SDK's layer over it). Generated code is never edited by hand; `cargo xtask regen` writes the
//! same output to `generated/` for review.

use codearts_codegen::SERVICES;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=build.rs");

    let mut modules = String::new();
    for service in SERVICES {
        println!("cargo:rerun-if-changed={}", service.spec);
        let feature = format!("CARGO_FEATURE_{}", service.feature.to_uppercase().replace('-', "_"));
        if std::env::var_os(feature).is_none() {
            continue;
        }
        let spec = codearts_codegen::load_spec(&root.join(service.spec)).unwrap_or_else(|e| fail(&e));
        let code = codearts_codegen::generate(service, &spec).unwrap_or_else(|e| fail(&e));
        let file = service.generated_file();
        write(&out.join(&file), &code);
        let title = spec.info.title.replace('"', "\\\"");
        modules.push_str(&format!(
            "#[doc = \"{title}: the client generated from `{spec}`.\"]\n\
             #[cfg(feature = \"{feature}\")]\n\
             #[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, unreachable_pub)]\n\
             pub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{file}\"));\n}}\n",
            spec = service.spec,
            feature = service.feature,
            module = service.module,
        ));
    }
    write(&out.join("services.rs"), &modules);
}

fn write(path: &Path, contents: &str) {
    // Rewrite only on change so downstream incremental compilation is not invalidated needlessly.
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
