#!/usr/bin/env bash
# Build-time targets (issue 6): a clean debug build of the crate with default features, and the
# rebuild after a change to a spec file only, against the targets for a 2-core machine.
#
#   bash scripts/build-time.sh             # measure and report (exit 0 whatever the figures)
#   bash scripts/build-time.sh --enforce   # exit 1 when a figure is over its target
#   bash scripts/build-time.sh --timings   # also write cargo's HTML timing reports (the breakdown)
#
# It builds in its own target directory (target/build-time, removed first) so that the shared
# target/ is neither cleaned nor locked for long, and it prints the machine's load before and after:
# a figure taken while something else compiles is not the machine's.
set -euo pipefail
cd "$(dirname "$0")/.."

CLEAN_TARGET_S=120
SPEC_TARGET_S=15
SPEC=spec/codearts-build.yaml
DIR=target/build-time

enforce=false
timings=()
for arg in "$@"; do
    case "$arg" in
        --enforce) enforce=true ;;
        --timings) timings=(--timings) ;;
        -h | --help)
            sed -n '2,11p' "$0"
            exit 0
            ;;
        *)
            echo "unknown argument: $arg (see --help)" >&2
            exit 2
            ;;
    esac
done

load() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "machine: $(nproc) cores; load average before: $(load)"
rm -rf "$DIR"

echo "==> clean build: cargo build -p codearts (default features) in $DIR"
start=$(now)
CARGO_TARGET_DIR="$DIR" cargo build -p codearts "${timings[@]}"
clean=$(elapsed "$start" "$(now)")
echo "    load average after: $(load)"

echo "==> spec-only rebuild: touch $SPEC; cargo build -p codearts"
touch "$SPEC"
start=$(now)
# -v names what is rebuilt and why: the build script (progenitor over every spec) and the crate.
CARGO_TARGET_DIR="$DIR" cargo build -p codearts -v "${timings[@]}" 2>&1 | grep -E "Dirty|Compiling|Running|Finished" | cut -c1-200
spec=$(elapsed "$start" "$(now)")
echo "    load average after: $(load)"

over=0
within() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x <= t) }'; }
clean_verdict=PASS
within "$clean" "$CLEAN_TARGET_S" || { clean_verdict=OVER; over=1; }
spec_verdict=PASS
within "$spec" "$SPEC_TARGET_S" || { spec_verdict=OVER; over=1; }
echo
printf '%-34s %8s s   target <= %3s s   %s\n' "clean debug build" "$clean" "$CLEAN_TARGET_S" "$clean_verdict"
printf '%-34s %8s s   target <= %3s s   %s\n' "rebuild after touching the spec" "$spec" "$SPEC_TARGET_S" "$spec_verdict"
if [ "${#timings[@]}" -gt 0 ]; then
    echo "timing reports: $DIR/cargo-timings/"
fi
if $enforce && [ "$over" -ne 0 ]; then
    exit 1
fi
