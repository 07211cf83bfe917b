"""Smoke test of the three specs from another language.

Drives the emulator with the Python clients that openapi-python-client generated from
spec/codearts-{build,check,pipeline}.yaml (scripts/conformance.sh generates them into
target/python-client and puts that on PYTHONPATH), one flow per service:

- Build: create a build job, run it, follow its status until the build finishes, then read its
  record, its history and its log;
- Check: run the demo project's check task, follow its progress to the end, read its defect
  statistics;
- Pipeline: list the demo project's pipelines, run one, follow the run to its end.

Every answer must parse into the generated model of its documented 200 response.

    python scripts/python_smoke.py --base-url http://127.0.0.1:8937 --project-id DEMO_PROJECT

IAM is not part of the Build spec, so the token comes from a plain httpx call to POST /v3/auth/tokens
(the emulator serves IAM on the same port); everything else goes through the generated client.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time

import httpx
from codearts_build_client import AuthenticatedClient
from codearts_build_client.api.build_history import show_list_history
from codearts_build_client.api.build_jobs import create_build_job, show_job_list_by_project_id
from codearts_build_client.api.build_logs import download_build_log
from codearts_build_client.api.builds import run_job, show_job_status, show_record_detail
from codearts_build_client.models import (
    BuildJobIdResponse,
    BuildJobStep,
    CreateBuildJobRequestBody,
    ErrorResponse,
    RunJobRequestBody,
    RunJobResponse,
    ShowJobListByProjectIdResponse,
    ShowJobStatusResponse,
    ShowListHistoryResponse,
    ShowRecordDetailResponse,
)
from codearts_build_client.models import BuildArch
from codearts_build_client.models import BuildJobStepPropertiesType0 as BuildJobStepProperties
from codearts_build_client.types import File, Response
from codearts_check_client import AuthenticatedClient as CheckClient
from codearts_check_client.api.check_tasks import run_task, show_progress_detail, show_task_list_by_project_id
from codearts_check_client.api.defects import show_task_defects_statistic
from codearts_check_client.models import (
    ProgressInfoV2,
    RunRequestV2,
    RunTaskInfoV2,
    ShowDefectsStatisticResponseV2,
    ShowTasksResponseV2,
)
from codearts_pipeline_client import AuthenticatedClient as PipelineClient
from codearts_pipeline_client.api.pipeline_runs import run_pipeline, show_pipeline_run_detail
from codearts_pipeline_client.api.pipelines import list_pipelines
from codearts_pipeline_client.models import ListPipelineQuery, ListPipelinesPage, PipelineRun, PipelineRunId, RunPipelineDTO

FINISHED = {"SUCCESS", "FAILURE", "ABORTED"}


def fail(message: str) -> None:
    print(f"python smoke: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def expect(response: Response, model: type, what: str):
    """The parsed 200 body of `response`, which must be an instance of `model`."""
    if response.status_code != 200 or not isinstance(response.parsed, model):
        fail(f"{what}: HTTP {int(response.status_code)}, {response.parsed!r} (body {response.content[:300]!r})")
    return response.parsed


def login(base_url: str, domain: str, user: str, password: str, project: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}},
            },
            "scope": {"project": {"name": project}},
        }
    }
    response = httpx.post(f"{base_url}/v3/auth/tokens", json=body, timeout=10)
    token = response.headers.get("X-Subject-Token")
    if response.status_code != 201 or not token:
        fail(f"IAM login: HTTP {response.status_code}: {response.text[:300]}")
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the emulator's URL (Build and IAM)")
    parser.add_argument("--domain", default="demo")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--iam-project", default="eu-west-101")
    parser.add_argument("--project-id", required=True, help="the demo CodeArts project (Check task, pipeline)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a build, check or run")
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")

    token = login(base_url, args.domain, args.user, args.password, args.iam_project)
    print("authenticated: project-scoped IAM token issued")
    client = AuthenticatedClient(
        base_url=base_url, token=token, prefix="", auth_header_name="X-Auth-Token", timeout=httpx.Timeout(10.0)
    )

    # A CodeArts project ID is 32 hex characters, and not the IAM project.
    project_id = secrets.token_hex(16)
    with client as client:
        step = BuildJobStep(
            module_id="devcloud2018.codeci_action_20057.action",
            name="Maven build",
            version="0.0.1",
            properties=BuildJobStepProperties.from_dict({"command": "mvn package -DskipTests"}),
            enable=True,
        )
        created = expect(
            create_build_job.sync_detailed(
                client=client,
                body=CreateBuildJobRequestBody(
                    arch=BuildArch("x86-64"), project_id=project_id, job_name="python-smoke", steps=[step]
                ),
            ),
            BuildJobIdResponse,
            "CreateBuildJob",
        )
        job_id = created.result.job_id
        print(f"created job {job_id} in CodeArts project {project_id}")

        jobs = expect(
            show_job_list_by_project_id.sync_detailed(project_id, client=client, page_index=0, page_size=10),
            ShowJobListByProjectIdResponse,
            "ShowJobListByProjectId",
        )
        if [job.id for job in jobs.jobs] != [job_id]:
            fail(f"ShowJobListByProjectId lists {[job.id for job in jobs.jobs]}, not [{job_id}]")

        started = expect(
            run_job.sync_detailed(client=client, body=RunJobRequestBody(job_id=job_id)), RunJobResponse, "RunJob"
        )
        build_no = int(started.actual_build_number)
        print(f"started build #{build_no} ({started.daily_build_number})")

        deadline = time.monotonic() + args.timeout
        while True:
            status = expect(
                show_job_status.sync_detailed(job_id, client=client), ShowJobStatusResponse, "ShowJobStatus"
            )
            record = expect(
                show_record_detail.sync_detailed(job_id, build_no, client=client),
                ShowRecordDetailResponse,
                "ShowRecordDetail",
            )
            if record.result.status in FINISHED:
                break
            if time.monotonic() > deadline:
                fail(f"build #{build_no} still {record.result.status} after {args.timeout} s")
            time.sleep(0.1)
        print(f"status: running={status.result}, build #{build_no} finished {record.result.status}")
        if record.result.status != "SUCCESS":
            fail(f"build #{build_no} ended {record.result.status}")

        history = expect(
            show_list_history.sync_detailed(job_id, client=client, offset=0, limit=10, interval=7),
            ShowListHistoryResponse,
            "ShowListHistory",
        )
        ours = [r for r in history.history_records if r.build_number == build_no]
        if history.total != 1 or len(ours) != 1 or ours[0].result != "SUCCESS":
            fail(f"ShowListHistory: {history.to_dict()}")
        record_id = ours[0].record_id
        print(f"history: {history.total} record, #{build_no} {ours[0].result}, record {record_id}")

        log = expect(download_build_log.sync_detailed(record_id, client=client), File, "DownloadBuildLog")
        text = log.payload.read().decode("utf-8", "replace")
        if not text.strip():
            fail("DownloadBuildLog: empty log")
        print(f"log: {len(text.splitlines())} lines")

        missing = show_job_status.sync_detailed("0" * 32, client=client)
        if missing.status_code != 404 or not isinstance(missing.parsed, ErrorResponse):
            fail(f"ShowJobStatus of an unknown job: HTTP {int(missing.status_code)}, {missing.parsed!r}")
        print(f"unknown job: HTTP 404 {missing.parsed.error_code}")

    print("python smoke, build: OK")
    check_flow(base_url, token, args.project_id, args.timeout)
    print("python smoke, check: OK")
    pipeline_flow(base_url, token, args.project_id, args.timeout)
    print("python smoke, pipeline: OK")


def until(what: str, timeout: float, poll, done):
    """Polls until `done(answer)`; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = poll()
        if done(answer):
            return answer
        if time.monotonic() > deadline:
            fail(f"{what}: not done after {timeout} s: {answer!r}")
        time.sleep(0.1)


def check_flow(base_url: str, token: str, project_id: str, timeout: float) -> None:
    client = CheckClient(base_url=base_url, token=token, prefix="", auth_header_name="X-Auth-Token")
    with client as client:
        tasks = expect(
            show_task_list_by_project_id.sync_detailed(project_id, client=client),
            ShowTasksResponseV2,
            "ShowTaskListByProjectId",
        )
        if not tasks.tasks:
            fail(f"ShowTaskListByProjectId: no task in {project_id}")
        # The demo's task on a branch named "fail..." fails on purpose; check the other one.
        task_id = next(t.task_id for t in tasks.tasks if "fail" not in str(t.git_branch))
        expect(run_task.sync_detailed(task_id, client=client, body=RunRequestV2()), RunTaskInfoV2, "RunTask")
        progress = until(
            "the check",
            timeout,
            lambda: expect(show_progress_detail.sync_detailed(task_id, client=client), ProgressInfoV2, "ShowProgressDetail"),
            lambda p: p.task_status not in (0, None),
        )
        if progress.task_status != 2:
            fail(f"the check of task {task_id} ended with task_status {progress.task_status}")
        stats = expect(
            show_task_defects_statistic.sync_detailed(task_id, client=client),
            ShowDefectsStatisticResponseV2,
            "ShowTaskDefectsStatistic",
        )
        print(f"check: task {task_id} checked, statistics {stats.to_dict()}")


def pipeline_flow(base_url: str, token: str, project_id: str, timeout: float) -> None:
    client = PipelineClient(base_url=base_url, token=token, prefix="", auth_header_name="X-Auth-Token")
    with client as client:
        listed = expect(
            list_pipelines.sync_detailed(project_id, client=client, body=ListPipelineQuery(offset=0, limit=10)),
            ListPipelinesPage,
            "ListPipelines",
        )
        if not listed.pipelines:
            fail(f"ListPipelines: no pipeline in {project_id}")
        pipeline_id = listed.pipelines[0].pipeline_id
        run = expect(
            run_pipeline.sync_detailed(project_id, pipeline_id, client=client, body=RunPipelineDTO()),
            PipelineRunId,
            "RunPipeline",
        )
        detail = until(
            "the pipeline run",
            timeout,
            lambda: expect(
                show_pipeline_run_detail.sync_detailed(
                    project_id, pipeline_id, client=client, pipeline_run_id=run.pipeline_run_id
                ),
                PipelineRun,
                "ShowPipelineRunDetail",
            ),
            # The demo pipeline stops at a manual review after its build stage: that pause, or an end.
            lambda d: d.status in ("COMPLETED", "FAILED", "CANCELED", "SUSPEND") or paused(d),
        )
        if detail.status != "COMPLETED" and not paused(detail):
            fail(f"pipeline {pipeline_id} run {run.pipeline_run_id} ended {detail.status}")
        print(f"pipeline: {pipeline_id} run {run.pipeline_run_id} {'waits for its review' if paused(detail) else 'COMPLETED'}")


def paused(detail) -> bool:
    """Whether a stage of the run waits (a manual review) after every stage before it completed."""
    statuses = [str(getattr(s.status, "value", s.status)) for s in (detail.stages or [])]
    return "PAUSED" in statuses and all(x == "COMPLETED" for x in statuses[: statuses.index("PAUSED")])


if __name__ == "__main__":
    main()
