//! Growing a spec does not break callers: a caller written the way the README shows (builders,
//! `new(required…)`, enums matched with a wildcard arm) compiles against the SDK generated from a
//! copy of the Check spec, and still compiles after an optional request field, an optional response
//! field and an enum value are added to that copy. As a control, adding a *required* request field
//! must break it (so the check can fail).
//!
//! Each step is a `cargo check` of the caller against a copy of the SDK crate in a scratch
//! workspace (only the `check` feature), in a target directory kept under `target/compat` so that
//! later runs are incremental.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The SDK crate and its generator, copied into `dir` as a workspace of two members.
fn copy_sdk(dir: &Path) {
    let root = root();
    for sub in ["src", "codegen/src"] {
        copy_dir(&root.join(sub), &dir.join(sub));
    }
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    for entry in std::fs::read_dir(root.join("spec")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, dir.join("spec").join(path.file_name().unwrap())).unwrap();
        }
    }
    for file in ["build.rs", "README.md", "codegen/Cargo.toml"] {
        std::fs::copy(root.join(file), dir.join(file)).unwrap();
    }
    // The root manifest without the members, dev-dependencies, tests and benches this copy lacks.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let start = manifest.find("[dev-dependencies]").expect("a [dev-dependencies] section");
    let end = manifest.find("[profile.bench]").expect("a [profile.bench] section");
    let members_start = manifest.find("members = [").unwrap();
    let members_end = members_start + manifest[members_start..].find(']').unwrap() + 1;
    let manifest = format!(
        "{}members = [\".\", \"codegen\"]{}{}",
        &manifest[..members_start],
        &manifest[members_end..start],
        &manifest[end..]
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

const CALLER: &str = r#"
use codearts::CallExt;
use codearts::check::{Client, types};

pub async fn caller(client: &Client) -> Result<String, codearts::Error> {
    let started = client
        .run_task()
        .task_id("2b31ed520xxxxxxebedb6e57xxxxxxxx")
        .body_map(|b| b.git_branch("main".to_string()).ref_(types::RunRequestV2Ref::Pull))
        .call()
        .await?;
    let update = types::UpdateDefectRequestBody::new("a1b2", types::DefectStatus::X1);
    let _ = update;
    let how = match types::RunRequestV2Ref::MergeRequest {
        types::RunRequestV2Ref::Pull => "pull",
        types::RunRequestV2Ref::MergeRequest => "merge request",
        _ => "other",
    };
    Ok(format!("{how}: {:?}", started.exec_id))
}
"#;

fn check_caller(sdk: &Path, caller: &Path) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--offline", "--manifest-path"])
        .arg(caller.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root().join("target/compat"))
        .env_remove("RUSTFLAGS")
        .current_dir(sdk)
        .output()
        .unwrap()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn additions_to_a_spec_do_not_break_callers() {
    let scratch = tempfile::tempdir().unwrap();
    let sdk = scratch.path().join("sdk");
    copy_sdk(&sdk);
    let caller = sdk.join("caller");
    std::fs::create_dir_all(caller.join("src")).unwrap();
    std::fs::write(
        caller.join("Cargo.toml"),
        "[package]\nname = \"caller\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n\
         [dependencies]\ncodearts = { path = \"..\", default-features = false, features = [\"check\"] }\n",
    )
    .unwrap();
    std::fs::write(caller.join("src/lib.rs"), CALLER).unwrap();
    std::fs::copy(sdk.join("Cargo.lock"), caller.join("Cargo.lock")).unwrap();

    let before = check_caller(&sdk, &caller);
    assert!(before.status.success(), "the caller does not compile as is:\n{}", String::from_utf8_lossy(&before.stderr));

    // An optional request field, an optional response field, an enum value.
    let spec = sdk.join("spec/codearts-check.yaml");
    edit(
        &spec,
        "    RunRequestV2:\n      type: object\n      description: Optional settings of one run.\n      properties:\n",
        "    RunRequestV2:\n      type: object\n      description: Optional settings of one run.\n      properties:\n        \
         priority:\n          type: integer\n          format: int32\n          description: Added later.\n",
    );
    edit(
        &spec,
        "    RunTaskInfoV2:\n      type: object\n      description: The started run.\n      properties:\n",
        "    RunTaskInfoV2:\n      type: object\n      description: The started run.\n      properties:\n        \
         queued_at:\n          type: string\n          description: Added later.\n",
    );
    edit(
        &spec,
        "          - pull\n          - merge_request\n",
        "          - pull\n          - merge_request\n          - rebase\n",
    );
    let after = check_caller(&sdk, &caller);
    assert!(after.status.success(), "additions broke the caller:\n{}", String::from_utf8_lossy(&after.stderr));

    // Control: a new required field of a body the caller builds with `new(…)` is a breaking change.
    edit(
        &spec,
        "      required:\n      - defect_id\n      - defect_status\n",
        "      required:\n      - defect_id\n      - defect_status\n      - comment\n",
    );
    let broken = check_caller(&sdk, &caller);
    assert!(!broken.status.success(), "a new required field should break `UpdateDefectRequestBody::new`");
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains("UpdateDefectRequestBody") || stderr.contains("this function takes 3 arguments"),
        "{stderr}"
    );
}
