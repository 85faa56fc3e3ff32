#!/usr/bin/env bash
# The one command that runs every test: starts Redis and PostgreSQL on loopback, builds with warnings
# as errors, runs all test projects, stops the servers (also on failure), and prints one summary line.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Crds").
set -euo pipefail
cd "$(dirname "$0")/.."

trap 'scripts/test-services.sh stop' EXIT
eval "$(scripts/test-services.sh start)"

dotnet build GridGame.sln -c Release -warnaserror -nologo -v quiet
log=$(mktemp)
set +e
dotnet test GridGame.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# dotnet test prints one "Failed: N, Passed: N, Skipped: N" line per project; add them up.
{ grep -E '^(Passed|Failed)!' "$log" || true; } | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {printf "tests: %d passed, %d failed, %d skipped\n", p, f, s}'
rm -f "$log"
exit "$status"
