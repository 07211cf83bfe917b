#!/usr/bin/env bash
# Bundles every spec with a third-party bundler (Redocly's CLI, pinned), the way a TypeScript or
# other generator's toolchain would read it: every $ref and externalValue must resolve, or the
# bundle is refused and this script fails. Needs Node.js (npx) and network access to fetch the CLI
# once; `tests/build_surface.rs` checks offline that every externalValue is a JSON document.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for spec in spec/codearts-*.yaml; do
    npx --yes @redocly/cli@2.11.1 bundle "$spec" -o "$out/$(basename "$spec")"
done
echo "all specs bundle"
