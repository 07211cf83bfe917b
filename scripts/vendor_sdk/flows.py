"""The vendor's own Python SDKs (huaweicloudsdkcodeartsbuild, ...check, ...pipeline; pinned in
scripts/conformance-requirements.txt) driving the emulator through one realistic flow per service,
every request AK/SK-signed by the vendor's signer (huaweicloudsdkcore). It shows that the emulator is
a test double for users of the vendor's SDKs, not only of ours: any SDK that takes an endpoint
override works against it.

    python scripts/vendor_sdk/flows.py --base-url http://127.0.0.1:8937 --ak EMULATORAK --sk EMULATORSK \
        --iam-project a4a5d4098fb4474fa22cd05f897d6b99 [--service build|check|pipeline]...

Resources are found by listing (the emulator's demo project), never hard-coded. Exits non-zero on
the first step that fails, naming it.
"""

import argparse
import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import SdkException
from huaweicloudsdkcore.http.http_config import HttpConfig


def client_of(builder, args):
    credentials = BasicCredentials(args.ak, args.sk, args.iam_project).with_iam_endpoint(args.base_url)
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (5, 30)
    return builder.with_credentials(credentials).with_endpoints([args.base_url]).with_http_config(config).build()


def step(name):
    print(f"  {name}", flush=True)


def wait(what, poll, done, seconds=60):
    """Polls `poll()` until `done(answer)`, returning the last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = poll()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not done after {seconds} s: {answer}")
        time.sleep(0.1)


def build_flow(args):
    from huaweicloudsdkcodeartsbuild.v3 import (
        CodeArtsBuildClient,
        RunJobRequest,
        RunJobRequestBody,
        ShowHistoryDetailsRequest,
        ShowJobListByProjectIdRequest,
        ShowJobStatusRequest,
        ShowRecordInfoRequest,
    )

    client = client_of(CodeArtsBuildClient.new_builder(), args)
    step(f"ShowJobListByProjectId {args.project_id}")
    jobs = client.show_job_list_by_project_id(
        ShowJobListByProjectIdRequest(project_id=args.project_id, page_index=0, page_size=10)
    )
    assert jobs.jobs, f"the demo project has no build job: {jobs}"
    job = next((j for j in jobs.jobs if not j.disabled), jobs.jobs[0])
    step(f"RunJob {job.id} ({job.job_name})")
    run = client.run_job(RunJobRequest(body=RunJobRequestBody(job_id=job.id)))
    number = run.actual_build_number
    assert number, f"RunJob answered no build number: {run}"
    step(f"ShowRecordInfo {job.id} #{number} until it ends")
    info = wait(
        "the build",
        lambda: client.show_record_info(ShowRecordInfoRequest(job_id=job.id, build_no=number)),
        lambda a: a.result.status not in ("RUNNING", "WAITING", "QUEUED", "PENDING", None),
    )
    assert info.result.status == "SUCCESS", f"the build ended {info.result.status}"
    step("ShowJobStatus, ShowHistoryDetails")
    status = client.show_job_status(ShowJobStatusRequest(job_id=job.id))
    assert status.result is False, f"the job still reports a build running: {status}"
    details = client.show_history_details(ShowHistoryDetailsRequest(job_id=job.id, build_number=int(number)))
    assert details.to_dict(), f"no history details: {details}"


def check_flow(args):
    from huaweicloudsdkcodeartscheck.v2 import (
        CodeArtsCheckClient,
        RunRequestV2,
        RunTaskRequest,
        ShowProgressDetailRequest,
        ShowTaskDefectsStatisticRequest,
        ShowTaskListByProjectIdRequest,
    )

    client = client_of(CodeArtsCheckClient.new_builder(), args)
    step(f"ShowTaskListByProjectId {args.project_id}")
    tasks = client.show_task_list_by_project_id(ShowTaskListByProjectIdRequest(project_id=args.project_id))
    assert tasks.tasks, f"the demo project has no check task: {tasks}"
    # The demo's task on a branch named "fail..." fails on purpose; check the other one.
    task = next(t for t in tasks.tasks if "fail" not in str(t.git_branch))
    step(f"RunTask {task.task_id}")
    client.run_task(RunTaskRequest(task_id=task.task_id, body=RunRequestV2()))
    step("ShowProgressDetail until it ends")
    progress = wait(
        "the check",
        lambda: client.show_progress_detail(ShowProgressDetailRequest(task_id=task.task_id)),
        lambda a: a.task_status not in (0, None),
    )
    assert progress.task_status == 2, f"the check ended with task_status {progress.task_status}"
    step("ShowTaskDefectsStatistic")
    stats = client.show_task_defects_statistic(ShowTaskDefectsStatisticRequest(task_id=task.task_id))
    assert stats is not None


def pipeline_flow(args):
    from huaweicloudsdkcodeartspipeline.v2 import (
        CodeArtsPipelineClient,
        ListPipelineQuery,
        ListPipelinesRequest,
        RunPipelineDTO,
        RunPipelineRequest,
        ShowPipelineRunDetailRequest,
    )

    client = client_of(CodeArtsPipelineClient.new_builder(), args)
    step(f"ListPipelines {args.project_id}")
    listed = client.list_pipelines(
        ListPipelinesRequest(project_id=args.project_id, body=ListPipelineQuery(offset=0, limit=10))
    )
    assert listed.pipelines, f"the demo project has no pipeline: {listed}"
    pipeline = listed.pipelines[0]
    step(f"RunPipeline {pipeline.pipeline_id}")
    run = client.run_pipeline(
        RunPipelineRequest(project_id=args.project_id, pipeline_id=pipeline.pipeline_id, body=RunPipelineDTO())
    )
    assert run.pipeline_run_id, f"RunPipeline answered no run ID: {run}"
    step(f"ShowPipelineRunDetail {run.pipeline_run_id} until it ends")
    detail = wait(
        "the pipeline run",
        lambda: client.show_pipeline_run_detail(
            ShowPipelineRunDetailRequest(
                project_id=args.project_id, pipeline_id=pipeline.pipeline_id, pipeline_run_id=run.pipeline_run_id
            )
        ),
        # The demo pipeline stops at a manual review after its build stage: that pause, or an end.
        lambda a: a.status in ("COMPLETED", "FAILED", "CANCELED", "SUSPEND") or paused(a),
    )
    assert detail.status == "COMPLETED" or paused(detail), f"the run ended {detail.status}"


def paused(detail):
    """Whether a stage of the run waits (a manual review) after every stage before it completed."""
    statuses = [s.status for s in (detail.stages or [])]
    return "PAUSED" in statuses and all(x == "COMPLETED" for x in statuses[: statuses.index("PAUSED")])


FLOWS = {"build": build_flow, "check": check_flow, "pipeline": pipeline_flow}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--ak", required=True)
    parser.add_argument("--sk", required=True)
    parser.add_argument("--iam-project", required=True, help="the IAM project ID the AK/SK requests are scoped to")
    parser.add_argument("--project-id", required=True, help="the CodeArts project the demo resources are in")
    parser.add_argument("--service", action="append", choices=sorted(FLOWS), help="default: every service")
    args = parser.parse_args()
    failed = 0
    for name in args.service or sorted(FLOWS):
        print(f"vendor SDK, {name}:", flush=True)
        try:
            FLOWS[name](args)
            print(f"vendor SDK, {name}: OK", flush=True)
        except (AssertionError, SdkException) as e:
            failed += 1
            print(f"vendor SDK, {name}: FAILED: {e}", file=sys.stderr, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
