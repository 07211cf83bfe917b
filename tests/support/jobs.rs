//! A CreateBuildJob body for tests against the emulator: a Maven-style job of the given steps, each
//! echoing its name, with the build parameters the test asks for.

use codearts::build::types;
use serde_json::{Value, json};

pub fn job_body(project: &str, name: &str, steps: &[&str], parameters: Value) -> types::CreateBuildJobRequestBody {
    serde_json::from_value(json!({
        "arch": "x86-64",
        "project_id": project,
        "job_name": name,
        "flavor": "2u8g",
        "host_type": "devcloud.cloudbuild.host.type.default",
        "build_config_type": "form",
        "parameters": parameters,
        "scms": [{
            "url": "git@example.com:demo/maven-demo.git",
            "scm_type": "codehub",
            "branch": "master",
            "repo_id": "2111699211",
            "web_url": "https://example.com/demo/maven-demo"
        }],
        "steps": steps.iter().map(|name| json!({
            "module_id": "devcloud2018.codeci_action_20057.action",
            "name": name,
            "enable": true,
            "properties": {"command": format!("echo {name}")}
        })).collect::<Vec<_>>()
    }))
    .expect("a valid create body")
}
