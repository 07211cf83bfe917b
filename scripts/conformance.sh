#!/usr/bin/env bash
# Independent conformance run of the CodeArts Build spec against the emulator, and proof that the
# spec serves another language. Called from .ci/run; runs by hand the same way:
#
#   scripts/conformance.sh
#
# 1. A virtualenv under target/conformance-venv with the machine's python3 (3.11 or later) and the
#    PyPI packages pinned in scripts/conformance-requirements.txt (schemathesis, openapi-python-client
#    and every dependency of theirs). The venv is reused while that file is unchanged.
# 2. Builds the emulator (cargo feature `emulator`) and starts it on a free loopback port.
# 3. Logs in to the emulator's IAM (the demo user) and creates the resources the run needs: a job with
#    a finished build, jobs to delete, disable, re-enable and rewrite, a template to delete.
# 4. schemathesis against the emulator with spec/codearts-build.yaml, in two runs (the destructive
#    operations apart): every check but the one excluded below, a fixed seed, a bounded number of
#    examples per operation; any failure fails the script.
# 5. openapi-python-client generates a Python client from the same spec into target/python-client
#    (any generator warning fails the script), and scripts/python_smoke.py drives the emulator with it.
#
# Environment: CONFORMANCE_MAX_EXAMPLES (default 50) and CONFORMANCE_SEED (default 20231130) tune step 4.
# Reports: target/conformance/ (emulator log, schemathesis JUnit and NDJSON reports).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/conformance-venv
OUT=target/conformance
CLIENT_DIR=target/python-client
REQUIREMENTS=scripts/conformance-requirements.txt
SPEC=spec/codearts-build.yaml
MAX_EXAMPLES=${CONFORMANCE_MAX_EXAMPLES:-50}
SEED=${CONFORMANCE_SEED:-20231130}
# The emulator's demo account (codearts::emulator::DEFAULT_*).
IAM_DOMAIN=demo
IAM_USER=demo
IAM_PASSWORD=demo-password
IAM_PROJECT=eu-west-101
# A CodeArts project ID (32 hex characters; not the IAM project).
PROJECT_ID=c0de0a7500000000000000000000c0de

START=$SECONDS
step() { printf '\n==> [%3ds] %s\n' "$((SECONDS - START))" "$*"; }
die() {
    printf '\nconformance: FAILED: %s\n' "$*" >&2
    exit 1
}

command -v python3 >/dev/null || die "python3 is not installed"
command -v curl >/dev/null || die "curl is not installed"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "python3 is $(python3 --version 2>&1); the generated client needs 3.11 or later"
mkdir -p "$OUT"

# --- 1. Python tools ---------------------------------------------------------------------------
step "Python tools: $VENV ($(python3 --version 2>&1), pins from $REQUIREMENTS)"
stamp=$(python3 --version 2>&1; cat "$REQUIREMENTS")
if [[ ! -x $VENV/bin/python || "$(cat "$VENV/.conformance-stamp" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
        --quiet --requirement "$REQUIREMENTS"; then
        rm -rf "$VENV"
        die "pip could not install the pinned tools from PyPI (is the package index reachable?)"
    fi
    printf '%s' "$stamp" >"$VENV/.conformance-stamp"
fi
PY=$VENV/bin/python
"$VENV/bin/st" --version
"$VENV/bin/openapi-python-client" --version

# --- 2. The emulator -----------------------------------------------------------------------------
step "Building the emulator"
cargo build --quiet --features emulator --bin codearts-emulator
BIN=${CARGO_TARGET_DIR:-target}/debug/codearts-emulator

step "Starting the emulator on a free loopback port"
"$BIN" --port 0 >"$OUT/emulator.log" 2>&1 &
EMULATOR_PID=$!
stop_emulator() {
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
}
trap stop_emulator EXIT

URL=
for _ in $(seq 150); do
    URL=$(grep -oE -m1 'http://127\.0\.0\.1:[0-9]+' "$OUT/emulator.log" || true)
    [[ -n $URL ]] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited: $(cat "$OUT/emulator.log")"
    sleep 0.2
done
[[ -n $URL ]] || die "the emulator printed no URL in 30 s: $(cat "$OUT/emulator.log")"
for _ in $(seq 150); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL/v3/projects") != 000 ]] && break
    sleep 0.2
done
echo "emulator: $URL (pid $EMULATOR_PID)"

# --- 3. Authentication and fixtures --------------------------------------------------------------
step "IAM token for $IAM_DOMAIN/$IAM_USER, project $IAM_PROJECT"
login=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"%s","password":"%s","domain":{"name":"%s"}}}},"scope":{"project":{"name":"%s"}}}}' \
    "$IAM_USER" "$IAM_PASSWORD" "$IAM_DOMAIN" "$IAM_PROJECT")
login_body=$(curl -sS --fail-with-body -D "$OUT/login.headers" -H 'Content-Type: application/json' -d "$login" \
    "$URL/v3/auth/tokens") || die "IAM login failed: $login_body"
TOKEN=$(tr -d '\r' <"$OUT/login.headers" | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
rm -f "$OUT/login.headers"
[[ -n $TOKEN ]] || die "IAM login answered no X-Subject-Token"

# api METHOD PATH [JSON]: one authenticated call; prints the body, fails on a non-2xx answer.
api() {
    local args=(-sS --fail-with-body -X "$1" -H "X-Auth-Token: $TOKEN")
    [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
    curl "${args[@]}" "$URL$2" || die "$1 $2 failed"
}
# field EXPR: evaluates a Python expression over the JSON on stdin, bound to `j`.
field() { "$PY" -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

DOMAIN_ID=$(field 'j["token"]["user"]["domain"]["id"]' <<<"$login_body")
STEP_NAME="Maven build"
REPOSITORY=web
job_body() {
    printf '{"arch":"x86-64","project_id":"%s","job_name":"%s","scms":[{"url":"https://example.com/demo/%s.git","scm_type":"codehub","branch":"master"}],"steps":[{"module_id":"devcloud2018.codeci_action_20057.action","name":"%s","version":"0.0.1","properties":{"command":"mvn package"}}]}' \
        "$PROJECT_ID" "$1" "$REPOSITORY" "$STEP_NAME"
}
create_job() { api POST /v3/jobs/create "$(job_body "$1")" | field 'j["result"]["job_id"]'; }

step "Fixtures: jobs, a finished build, a template"
JOB_ID=$(create_job conformance)
BUILD_NO=$(api POST /v3/jobs/build "{\"job_id\":\"$JOB_ID\"}" | field 'j["actual_build_number"]')
for _ in $(seq 300); do
    state=$(api GET "/v4/jobs/$JOB_ID/$BUILD_NO/record-info" | field 'j["result"]["status"]')
    [[ $state == SUCCESS || $state == FAILURE ]] && break
    sleep 0.1
done
[[ $state == SUCCESS ]] || die "the fixture build ended $state"
RECORD_ID=$(api GET "/v3/jobs/$JOB_ID/history?offset=0&limit=10&interval=7" | field 'j["history_records"][0]["record_id"]')
# Jobs of their own for the operations that delete, disable, re-enable or rewrite a job.
DELETED_JOBS=() DISABLED_JOBS=() UPDATED_JOBS=()
for n in 1 2; do
    DELETED_JOBS+=("$(create_job "conformance-delete-$n")")
    DISABLED_JOBS+=("$(create_job "conformance-disable-$n")")
    UPDATED_JOBS+=("$(create_job "conformance-update-$n")")
done
TEMPLATE_ID=$(api POST /v3/templates/create '{"name":"conformance","template":{"steps":[{"module_id":"devcloud2018.codeci_action_20057.action","name":"Maven build"}]}}' |
    field 'j["result"]["uuid"]')
echo "project $PROJECT_ID, job $JOB_ID, build #$BUILD_NO (record $RECORD_ID)"
echo "to delete: jobs ${DELETED_JOBS[*]}, template $TEMPLATE_ID; to disable and enable: ${DISABLED_JOBS[*]};" \
    "to update: ${UPDATED_JOBS[*]}"
read -r START_DAY END_DAY < <("$PY" -c 'import datetime as d; t = d.datetime.now(d.timezone.utc).date(); print(t - d.timedelta(days=6), t)')

# --- 4. schemathesis -----------------------------------------------------------------------------
# The spec declares IDs as plain strings, as the reference's tables do (the 32-hex format is prose),
# so most generated IDs name nothing and the emulator rightly answers 400 or 404. Half of the time
# schemathesis takes a real ID from these dictionaries instead, so the 200 answers of every operation
# are checked against their schemas too. Destructive operations get their own, disposable resources.
quoted() { printf '"%s", ' "$@" | sed 's/, $//'; }
cat >"$OUT/schemathesis.toml" <<EOF
[generation]
allow-extra-parameters = false

[dictionaries]
job_ids = { values = ["$JOB_ID"] }
deleted_job_ids = { values = [$(quoted "${DELETED_JOBS[@]}")] }
disabled_job_ids = { values = [$(quoted "${DISABLED_JOBS[@]}")] }
updated_job_ids = { values = [$(quoted "${UPDATED_JOBS[@]}")] }
project_ids = { values = ["$PROJECT_ID"] }
record_ids = { values = ["$RECORD_ID"] }
build_numbers = { values = [$BUILD_NO] }
build_number_texts = { values = ["$BUILD_NO"] }
template_ids = { values = ["$TEMPLATE_ID"] }
history_days = { values = [7] }
offsets = { values = [0] }
page_sizes = { values = [10] }
start_days = { values = ["$START_DAY"] }
end_days = { values = ["$END_DAY"] }
step_names = { values = ["$STEP_NAME"] }
repositories = { values = ["$REPOSITORY"] }
keystores = { values = ["android.keystore"] }
domain_ids = { values = ["$DOMAIN_ID"] }
notice_types = { values = ["message", "email", "DingTalk"] }
notice_events = { values = ["buildJobFail", "updateConfigJob", "buildJobSuccess", "deleteJob", "forbiddenJob"] }

[parameters]
"path.job_id" = { dictionary = "job_ids", probability = 0.5 }
"body.job_id" = { dictionary = "job_ids", probability = 0.5 }
"path.project_id" = { dictionary = "project_ids", probability = 0.5 }
"body.project_id" = { dictionary = "project_ids", probability = 0.5 }
"path.record_id" = { dictionary = "record_ids", probability = 0.5 }
"path.build_flow_record_id" = { dictionary = "record_ids", probability = 0.5 }
"path.build_no" = { dictionary = "build_numbers", probability = 0.5 }
"path.build_number" = { dictionary = "build_numbers", probability = 0.5 }
"body.build_no" = { dictionary = "build_number_texts", probability = 0.5 }
"query.interval" = { dictionary = "history_days", probability = 0.5 }
"query.offset" = { dictionary = "offsets", probability = 0.5 }
"query.limit" = { dictionary = "page_sizes", probability = 0.5 }
"query.page_index" = { dictionary = "offsets", probability = 0.5 }
"query.page_size" = { dictionary = "page_sizes", probability = 0.5 }
"query.start_time" = { dictionary = "start_days", probability = 0.5 }
"query.end_time" = { dictionary = "end_days", probability = 0.5 }
"query.task_name" = { dictionary = "step_names", probability = 0.5 }
"query.repository_name" = { dictionary = "repositories", probability = 0.5 }
"query.file_name" = { dictionary = "keystores", probability = 0.5 }
"query.domain_id" = { dictionary = "domain_ids", probability = 0.5 }
"query.notice_type" = { dictionary = "notice_types", probability = 0.5 }
"body.notice_type" = { dictionary = "notice_types", probability = 0.5 }
"body.enabled_event_type_names[*]" = { dictionary = "notice_events", probability = 0.5 }

[[operations]]
include-operation-id = "DeleteBuildJob"
parameters = { "path.job_id" = { dictionary = "deleted_job_ids", probability = 0.5 } }

[[operations]]
include-operation-id = ["DisableBuildJob", "EnableBuildJob"]
parameters = { "path.job_id" = { dictionary = "disabled_job_ids", probability = 0.5 } }

[[operations]]
include-operation-id = "UpdateBuildJob"
parameters = { "body.job_id" = { dictionary = "updated_job_ids", probability = 0.5 }, "body.project_id" = { dictionary = "project_ids", probability = 0.5 } }

[[operations]]
include-operation-id = "DeleteTemplates"
parameters = { "path.uuid" = { dictionary = "template_ids", probability = 0.5 } }
EOF

# Phases: coverage, fuzzing, stateful. The examples phase would find nothing: the spec's examples are
# `externalValue` file paths relative to the spec, which schemathesis only fetches over HTTP(S); the
# stored examples are validated against the spec by `cargo xtask validate` instead.
#
# Checks: all of them, except
# - positive_data_acceptance: it expects every schema-valid request to be accepted. The spec types
#   IDs and names as plain strings, as the reference's tables do, and keeps the vendor's documented
#   formats (32 hex characters for job and project IDs, non-empty names, 1..30 days of history...)
#   in prose, so "0" or "" is schema-valid yet rightly answered 400 with the reference's CB.* codes,
#   by the real service and the emulator alike. Declaring those formats as `pattern`s would let the
#   check run, but would also make the generated clients reject values the vendor accepts.
#   The opposite direction stays checked: negative_data_rejection fails the run if the emulator
#   accepts a request the spec forbids.
#
# Generation: no undeclared query parameters as "invalid" data (allow-extra-parameters = false).
# OpenAPI does not close a query string, the spec does not either, and the service (like the
# emulator) ignores parameters it does not know, which is what lets a client send a parameter the
# vendor added later; an unknown parameter is therefore not a request that must be rejected.
#
# Two runs: schemathesis reuses the IDs it sees in answers, so a run that includes DeleteBuildJob
# soon deletes the jobs every other operation reads. The first run covers everything else; the
# second, the operations that delete, disable, re-enable or rewrite, with their own resources.
DESTRUCTIVE=(DeleteBuildJob DisableBuildJob EnableBuildJob UpdateBuildJob DeleteTemplates)
schemathesis() {
    local name=$1
    shift
    "$VENV/bin/st" --config-file "$OUT/schemathesis.toml" run "$SPEC" \
        --url "$URL" \
        --header "X-Auth-Token: $TOKEN" \
        --phases coverage,fuzzing,stateful \
        --checks all \
        --exclude-checks positive_data_acceptance \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --request-timeout 10 \
        --report junit,ndjson \
        --report-dir "$OUT/schemathesis/$name" \
        --no-color \
        "$@" ||
        die "schemathesis found failures (reports in $OUT/schemathesis/$name)"
}
rm -rf "$OUT/schemathesis"

step "schemathesis 1/2: $SPEC against $URL, all but ${DESTRUCTIVE[*]} (max $MAX_EXAMPLES examples per operation, seed $SEED)"
exclude=() include=()
for id in "${DESTRUCTIVE[@]}"; do
    exclude+=(--exclude-operation-id "$id")
    include+=(--include-operation-id "$id")
done
schemathesis reads "${exclude[@]}"

step "schemathesis 2/2: ${DESTRUCTIVE[*]}"
schemathesis destructive "${include[@]}"

# --- 5. A Python client from the same spec -------------------------------------------------------
step "openapi-python-client: $SPEC -> $CLIENT_DIR/codearts_build_client"
rm -rf "$CLIENT_DIR"
mkdir -p "$CLIENT_DIR"
# The venv's bin on PATH: the generator formats its output with the venv's ruff.
PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/openapi-python-client" generate \
    --path "$SPEC" \
    --output-path "$CLIENT_DIR/codearts_build_client" \
    --meta none \
    --fail-on-warning ||
    die "openapi-python-client could not generate a clean client from $SPEC"

step "Python smoke test with the generated client"
PYTHONPATH="$PWD/$CLIENT_DIR" "$PY" scripts/python_smoke.py --base-url "$URL" \
    --domain "$IAM_DOMAIN" --user "$IAM_USER" --password "$IAM_PASSWORD" --iam-project "$IAM_PROJECT" ||
    die "the Python smoke test failed"

step "conformance: OK"
# The plain closing line CI reads: schemathesis (two runs), client generation, Python smoke test.
echo "conformance: 4 passed, 0 failed"
