//! CodeArts Check: every operation, for a task that was never run, is checking, has succeeded,
//! failed or been stopped, and the `CC.*` error answers.

use std::time::Duration;

use codearts_emulator::{Emulator, ManualClock};
use serde_json::{Value, json};

use crate::{Call, Checker, call};

const PROJECT: &str = "6ecbc5bac7c8442fb3d2563d53c13582";
const STEP: Duration = Duration::from_secs(10);

/// Sends `c`, expects an empty 200 (the operations whose 200 the spec gives no body).
async fn done(c: &mut Checker, request: Call<'_>) {
    let (_, _, operation) = c.operation(request.op);
    assert!(operation["responses"]["200"].get("content").is_none(), "{}: the spec declares a body", request.op);
    let op = request.op.to_string();
    let response = c.send(&request).await;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(status, 200, "{op}: {}", String::from_utf8_lossy(&bytes));
    assert!(bytes.is_empty(), "{op}: a body the spec does not declare: {}", String::from_utf8_lossy(&bytes));
    c.covered.insert(op);
}

/// The reads about one task, validated in whatever state it is.
async fn task_reads(c: &mut Checker, task: &str) {
    c.ok(call("ShowProgressDetail", format!("/v2/tasks/{task}/progress"))).await;
    c.ok(call("ShowTaskDetail", format!("/v2/tasks/{task}/defects-summary"))).await;
    c.ok(call("ShowTaskDefectsStatistic", format!("/v2/tasks/{task}/defects-statistic"))).await;
    c.ok(call("ShowTaskDefects", format!("/v2/tasks/{task}/defects-detail")).q("status_ids", "0,1,2").q("limit", 100))
        .await;
    c.ok(call("ShowTaskCmetrics", format!("/v2/{PROJECT}/tasks/{task}/metrics-summary"))).await;
    c.ok(call("CheckRecord", format!("/v2/{PROJECT}/tasks/{task}/checkrecord")).q("offset", 0).q("limit", 100)).await;
    c.ok(call("ShowTaskListByProjectId", format!("/v2/{PROJECT}/tasks")).q("offset", 0).q("limit", 100)).await;
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_says() {
    let clock = ManualClock::starting_now();
    let emulator = Emulator::builder().step_duration(STEP).clock(clock.clone()).start().await.unwrap();
    let mut c = Checker::new(&emulator, "codearts-check.yaml").await;

    // Rules and rule sets.
    let rules = c.ok(call("ListRules", "/v2/rules").q("rule_languages", "JAVA").q("rule_severity", "0,1")).await;
    assert_eq!(rules["total"], 3, "{rules}");
    c.ok(call("ListRules", "/v2/rules").q("offset", 0).q("limit", 1000)).await;
    let sets = c.ok(call("ListRulesets", format!("/v2/{PROJECT}/rulesets")).q("category", "0")).await;
    let system_java = sets["info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["language"] == "JAVA")
        .map(|s| s["template_id"].as_str().unwrap().to_string())
        .unwrap();
    let created = c
        .ok(call("CreateRuleset", "/v2/ruleset").body(json!({
            "project_id": PROJECT,
            "template_name": "java-strict",
            "language": "JAVA",
            "is_default": "1",
            "template_id": system_java,
            "rule_ids": "1000",
            "uncheck_ids": "1005",
            "custom_attributes": [{"attribute": "severity", "rules": [{"rule_id": "1003", "value": "1"}]}]
        })))
        .await;
    let strict = created["template_id"].as_str().unwrap().to_string();
    c.ok(call("ListRulesets", format!("/v2/{PROJECT}/rulesets"))).await;
    let enabled =
        c.ok(call("ListTemplateRules", format!("/v2/{PROJECT}/ruleset/{strict}/rules")).q("types", "2")).await;
    assert_eq!(enabled["total"], 5, "{enabled}");
    c.ok(call("ListTemplateRules", format!("/v2/{PROJECT}/ruleset/{strict}/rules"))
        .q("types", "1")
        .q("tags", "security"))
        .await;
    done(&mut c, call("SetDefaulTemplate", format!("/v2/{PROJECT}/ruleset/{strict}/JAVA/default"))).await;

    // A task (with the project's default rule set, the strict one), configured.
    let created = c
        .ok(call("CreateTask", format!("/v2/{PROJECT}/task")).body(json!({
            "git_url": "git@example.com:demo/java-demo.git",
            "git_branch": "master",
            "language": ["java"]
        })))
        .await;
    let task = created["task_id"].as_str().unwrap().to_string();
    task_reads(&mut c, &task).await; // never run
    c.ok(call("ListTaskRuleset", format!("/v2/{PROJECT}/tasks/{task}/rulesets"))).await;
    c.ok(call("ShowTasksRulesets", format!("/v3/{PROJECT}/tasks/{task}/rulesets")).q("offset", 0).q("limit", 10)).await;
    done(
        &mut c,
        call("UpdateTaskRuleset", format!("/v2/tasks/{task}/ruleset"))
            .body(json!([{"language": "JAVA", "rule_set_id": system_java, "if_use": "1", "status": "1"}])),
    )
    .await;
    c.ok(call("CheckParameters", format!("/v2/{PROJECT}/tasks/{task}/ruleset/{system_java}/check-parameters"))
        .q("language", "JAVA"))
        .await;
    done(
        &mut c,
        call("ListTaskParameter", format!("/v2/{PROJECT}/tasks/{task}/config-parameters")).body(json!({
            "check_id": 0,
            "ruleset_id": system_java,
            "language": "JAVA",
            "status": "on",
            "task_check_settings": [{"cfg_key": "compileTool", "cfg_value": "maven", "status": "on"}]
        })),
    )
    .await;
    c.ok(call("CheckRulesetParameters", format!("/v3/{PROJECT}/tasks/{task}/ruleset/{system_java}/check-parameters"))
        .q("language", "JAVA")
        .q("offset", 0)
        .q("limit", 10))
        .await;
    c.ok(call("ShowTaskSettings", format!("/v2/{PROJECT}/tasks/{task}/settings"))).await;
    done(
        &mut c,
        call("UpdateTaskSettings", format!("/v2/{PROJECT}/tasks/{task}/settings"))
            .body(json!({"task_advanced_settings": [{"key": "excludeTestCode", "value": "true"}]})),
    )
    .await;
    c.ok(call("ShowTaskPathTree", format!("/v2/{PROJECT}/tasks/{task}/listpathtree"))).await;
    done(
        &mut c,
        call("UpdateIgnorePath", format!("/v2/{PROJECT}/tasks/{task}/config-ignorepath")).body(json!({
            "ignore_path_settings": [{"file_path": "src/main/java/demo/util", "checkbox_status": "all"}]
        })),
    )
    .await;
    let tree = c
        .ok(call("ShowTaskPathTree", format!("/v2/{PROJECT}/tasks/{task}/listpathtree"))
            .q("current_path", "src/main/java/demo"))
        .await;
    assert_eq!(tree["total"], 2, "{tree}");

    // A run: checking, then succeeded.
    let run = c.ok(call("RunTask", format!("/v2/tasks/{task}/run"))).await;
    let exec = run["exec_id"].as_str().unwrap().to_string();
    task_reads(&mut c, &task).await;
    c.error(call("RunTask", format!("/v2/tasks/{task}/run")), 400, "CC.00050015").await;
    clock.advance(STEP * 2);
    c.ok(call("ShowTasklog", format!("/v2/{PROJECT}/tasks/{task}/log-detail"))).await;
    clock.advance(STEP * 2);
    task_reads(&mut c, &task).await;
    // One file checked (App.java: util is excluded, tests are left out) with the 6 Java rules.
    let defects = c
        .ok(call("ShowTaskDefects", format!("/v2/tasks/{task}/defects-detail")).q("severity", "0").q("limit", 10))
        .await;
    assert_eq!(defects["total"], 1, "{defects}");
    let defect = defects["defects"][0]["defect_id"].as_str().unwrap().to_string();
    c.ok(call("ShowTasklog", format!("/v2/{PROJECT}/tasks/{task}/log-detail")).q("execute_id", &exec)).await;
    done(
        &mut c,
        call("UpdateDefectStatus", format!("/v2/tasks/{task}/defect-status"))
            .body(json!({"defect_id": defect, "defect_status": "2"})),
    )
    .await;
    let statistic = c.ok(call("ShowTaskDefectsStatistic", format!("/v2/tasks/{task}/defects-statistic"))).await;
    assert_eq!(statistic["severity"], json!({"critical": 0, "major": 2, "minor": 2, "suggestion": 1}));
    assert_eq!(statistic["status"], json!({"unresolved": 5, "resolved": 0, "dismissed": 1}));

    // A failed run (a branch named *fail*), then a stopped one.
    c.ok(call("RunTask", format!("/v2/tasks/{task}/run")).body(json!({"git_branch": "feature/fail-fast"}))).await;
    clock.advance(STEP * 5);
    task_reads(&mut c, &task).await;
    c.ok(call("ShowTasklog", format!("/v2/{PROJECT}/tasks/{task}/log-detail"))).await;
    c.ok(call("RunTask", format!("/v2/tasks/{task}/run")).body(json!({}))).await;
    clock.advance(STEP);
    done(&mut c, call("StopTaskById", format!("/v2/tasks/{task}/stop"))).await;
    done(&mut c, call("StopTaskById", format!("/v2/tasks/{task}/stop"))).await; // not checking: harmless
    task_reads(&mut c, &task).await;
    c.ok(call("ShowTasklog", format!("/v2/{PROJECT}/tasks/{task}/log-detail"))).await;
    let records = c
        .ok(call("CheckRecord", format!("/v2/{PROJECT}/tasks/{task}/checkrecord"))
            .q("start_time", "2000-01-01T00:00:00Z")
            .q("end_time", "2999-01-01T00:00:00Z"))
        .await;
    assert_eq!(records["total"], 3, "{records}");

    // The rule set in use cannot go; once no task uses it, it can.
    done(
        &mut c,
        call("UpdateTaskRuleset", format!("/v2/tasks/{task}/ruleset"))
            .body(json!([{"language": "JAVA", "rule_set_id": strict, "if_use": "1", "status": "1"}])),
    )
    .await;
    c.error(call("DeleteRuleset", format!("/v2/{PROJECT}/ruleset/{strict}")), 400, "CC.00050000").await;
    done(&mut c, call("DeleteTask", format!("/v2/tasks/{task}"))).await;
    done(&mut c, call("DeleteRuleset", format!("/v2/{PROJECT}/ruleset/{strict}"))).await;

    errors(&mut c, &system_java).await;
    c.assert_all_covered(60);
}

/// Bad input: Check's own codes, 400, never a 500.
async fn errors(c: &mut Checker, system_java: &str) {
    let bad = "CC.00050000";
    let missing = "0123456789abcdef0123456789abcdef";
    c.error(call("ShowProgressDetail", "/v2/tasks/not-a-task-id/progress"), 400, bad).await;
    c.error(call("ShowProgressDetail", format!("/v2/tasks/{missing}/progress")), 400, bad).await;
    c.error(call("DeleteTask", format!("/v2/tasks/{missing}")), 400, bad).await;
    c.error(call("CreateTask", format!("/v2/{PROJECT}/task")).body(json!({"git_url": "x"})), 400, bad).await;
    c.error(
        call("CreateTask", format!("/v2/{PROJECT}/task"))
            .body(json!({"git_url": "git@x:y/z.git", "git_branch": "m", "language": ["COBOL"]})),
        400,
        bad,
    )
    .await;
    c.error(
        call("CreateTask", format!("/v2/{PROJECT}/task")).body(json!({"git_url": "git@x:y/z.git", "git_branch": "m"})),
        400,
        bad,
    )
    .await;
    let body = json!({"git_url": "git@x:y/dup.git", "git_branch": "m", "language": ["GO"]});
    c.ok(call("CreateTask", format!("/v2/{PROJECT}/task")).body(body.clone())).await;
    c.error(call("CreateTask", format!("/v2/{PROJECT}/task")).body(body), 400, "CC.00050016").await;
    c.error(call("ShowTaskListByProjectId", format!("/v2/{PROJECT}/tasks")).q("limit", 101), 400, bad).await;
    c.error(call("ListRules", "/v2/rules").q("rule_severity", "9"), 400, bad).await;
    c.error(call("ListTemplateRules", format!("/v2/{PROJECT}/ruleset/{missing}/rules")).q("types", "1"), 400, bad)
        .await;
    c.error(call("SetDefaulTemplate", format!("/v2/{PROJECT}/ruleset/{system_java}/GO/default")), 400, bad).await;
    c.error(call("DeleteRuleset", format!("/v2/{PROJECT}/ruleset/{system_java}")), 400, bad).await;
    c.error(
        call("CreateRuleset", "/v2/ruleset").body(json!({
            "project_id": PROJECT, "template_name": "x", "language": "JAVA", "is_default": "0", "rule_ids": "2000"
        })),
        400,
        bad,
    )
    .await;
    let value: Value = json!("not an object");
    c.error(call("UpdateDefectStatus", format!("/v2/tasks/{missing}/defect-status")).body(value), 400, bad).await;
}
