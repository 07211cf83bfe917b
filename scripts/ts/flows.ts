// A TypeScript client generated from each spec (openapi-typescript types, the openapi-fetch
// runtime) driving the emulator through one flow per service. `tsc` type-checks this file against
// the generated types first, so a path, parameter or field the spec does not declare fails the
// build before anything runs (scripts/conformance.sh).
//
//   node out/flows.js BASE_URL TOKEN PROJECT_ID
import createClient from "openapi-fetch";
import type { paths as BuildPaths } from "./gen/build.js";
import type { paths as CheckPaths } from "./gen/check.js";
import type { paths as PipelinePaths } from "./gen/pipeline.js";

const [baseArg, tokenArg, projectArg] = process.argv.slice(2);
if (!baseArg || !tokenArg || !projectArg) {
  console.error("usage: node out/flows.js BASE_URL TOKEN PROJECT_ID");
  process.exit(2);
}
const baseUrl: string = baseArg;
const projectId: string = projectArg;
const headers = { "X-Auth-Token": tokenArg };

async function until<T>(what: string, poll: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await poll();
    if (done(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`${what}: not done after 60 s: ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ok<T>(what: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`${what}: HTTP ${answer.response.status}: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

async function build(): Promise<void> {
  const client = createClient<BuildPaths>({ baseUrl, headers });
  const jobs = ok(
    "ShowJobListByProjectId",
    await client.GET("/v3/{project_id}/jobs", {
      params: { path: { project_id: projectId }, query: { page_index: 0, page_size: 10 } },
    }),
  );
  const job = (jobs.jobs ?? []).find((j) => !j.disabled);
  if (!job?.id) throw new Error(`no enabled build job in the project: ${JSON.stringify(jobs)}`);
  const jobId = job.id;
  const run = ok("RunJob", await client.POST("/v3/jobs/build", { body: { job_id: jobId } }));
  const number = Number(run.actual_build_number);
  if (!Number.isInteger(number) || number < 1) throw new Error(`RunJob answered no build number: ${JSON.stringify(run)}`);
  const info = await until(
    "the build",
    async () =>
      ok(
        "ShowRecordInfo",
        await client.GET("/v3/jobs/{job_id}/{build_no}/record-info", {
          params: { path: { job_id: jobId, build_no: number } },
        }),
      ),
    (a) => !["RUNNING", "WAITING", "QUEUED", "PENDING", undefined].includes(a.result?.status),
  );
  if (info.result?.status !== "SUCCESS") throw new Error(`the build ended ${info.result?.status}`);
  console.log(`  build: job ${jobId} build #${number} ended SUCCESS`);
}

async function check(): Promise<void> {
  const client = createClient<CheckPaths>({ baseUrl, headers });
  const tasks = ok(
    "ShowTaskListByProjectId",
    await client.GET("/v2/{project_id}/tasks", { params: { path: { project_id: projectId } } }),
  );
  // The demo's task on a branch named "fail..." fails on purpose; check the other one.
  const taskId = (tasks.tasks ?? []).find((t) => !(t.git_branch ?? "").includes("fail"))?.task_id;
  if (!taskId) throw new Error(`no check task in the project: ${JSON.stringify(tasks)}`);
  ok("RunTask", await client.POST("/v2/tasks/{task_id}/run", { params: { path: { task_id: taskId } }, body: {} }));
  const progress = await until(
    "the check",
    async () =>
      ok("ShowProgressDetail", await client.GET("/v2/tasks/{task_id}/progress", { params: { path: { task_id: taskId } } })),
    (a) => a.task_status !== 0 && a.task_status != null,
  );
  if (progress.task_status !== 2) throw new Error(`the check ended with task_status ${progress.task_status}`);
  ok(
    "ShowTaskDefectsStatistic",
    await client.GET("/v2/tasks/{task_id}/defects-statistic", { params: { path: { task_id: taskId } } }),
  );
  console.log(`  check: task ${taskId} checked`);
}

async function pipeline(): Promise<void> {
  const client = createClient<PipelinePaths>({ baseUrl, headers });
  const listed = ok(
    "ListPipelines",
    await client.POST("/v5/{project_id}/api/pipelines/list", {
      params: { path: { project_id: projectId } },
      body: { offset: 0, limit: 10 },
    }),
  );
  const pipelineId = listed.pipelines?.[0]?.pipeline_id;
  if (!pipelineId) throw new Error(`no pipeline in the project: ${JSON.stringify(listed)}`);
  const run = ok(
    "RunPipeline",
    await client.POST("/v5/{project_id}/api/pipelines/{pipeline_id}/run", {
      params: { path: { project_id: projectId, pipeline_id: pipelineId } },
      body: {},
    }),
  );
  const runId = run.pipeline_run_id;
  if (!runId) throw new Error(`RunPipeline answered no run ID: ${JSON.stringify(run)}`);
  const detail = await until(
    "the pipeline run",
    async () =>
      ok(
        "ShowPipelineRunDetail",
        await client.GET("/v5/{project_id}/api/pipelines/{pipeline_id}/pipeline-runs/detail", {
          params: { path: { project_id: projectId, pipeline_id: pipelineId }, query: { pipeline_run_id: runId } },
        }),
      ),
    // The demo pipeline stops at a manual review after its build stage: that pause, or an end.
    (a) => ["COMPLETED", "FAILED", "CANCELED", "SUSPEND"].includes(a.status ?? "") || paused(a.stages ?? []),
  );
  if (detail.status !== "COMPLETED" && !paused(detail.stages ?? [])) throw new Error(`the run ended ${detail.status}`);
  console.log(`  pipeline: ${pipelineId} run ${runId} ${detail.status === "COMPLETED" ? "COMPLETED" : "waits for its review"}`);
}

/** Whether a stage waits (a manual review) after every stage before it completed. */
function paused(stages: { status?: string }[]): boolean {
  const statuses = stages.map((s) => s.status ?? "");
  const at = statuses.indexOf("PAUSED");
  return at >= 0 && statuses.slice(0, at).every((s) => s === "COMPLETED");
}

const flows: [string, () => Promise<void>][] = [
  ["build", build],
  ["check", check],
  ["pipeline", pipeline],
];
let failed = 0;
for (const [name, flow] of flows) {
  try {
    await flow();
    console.log(`typescript client, ${name}: OK`);
  } catch (e) {
    failed += 1;
    console.error(`typescript client, ${name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  }
}
process.exit(failed ? 1 : 0);
