//! Request bodies for tests against the emulator (and for its demo): ready-made, valid inputs of the
//! operations a test suite uses most, so that a suite does not write the same JSON again.

use codearts::build::types;
use serde_json::json;

/// A CreateBuildJob body: a Maven-style job of `steps` (each echoing its name; the emulator fails a
/// step whose name contains "fail") in CodeArts project `project`, building `master` of one code
/// repository, with the build `parameters` given.
///
/// ```
/// let body = codearts_emulator::fixtures::build_job("6ecbc5bac7c8442fb3d2563d53c13582", "demo", &["Package"], vec![]);
/// assert_eq!(body.job_name, "demo");
/// ```
pub fn build_job(
    project: &str,
    name: &str,
    steps: &[&str],
    parameters: Vec<types::BuildJobParameter>,
) -> types::CreateBuildJobRequestBody {
    let body = json!({
        "arch": "x86-64",
        "project_id": project,
        "job_name": name,
        "flavor": "2u8g",
        "host_type": "devcloud.cloudbuild.host.type.default",
        "build_config_type": "ACTION",
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
    });
    // Every value above is typed or a string, and every field is the spec's own: this cannot fail
    // for any input, only for a spec that lost these fields, which every test using it reports.
    serde_json::from_value(body).expect("the fixture fits the Build spec")
}
