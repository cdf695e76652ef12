#!/usr/bin/env bash
# Runs the full test suite (the README's test command) N times in a row
# (default 5) while LOAD busy processes (default 4) compete for the CPU, and
# stops at the first failure. A test that fails here is flaky under load: a
# defect. Usage: scripts/stress-suite.sh [runs] [load]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
load=${2:-4}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq 1 "$load"); do
  (while :; do :; done) &
  pids+=($!)
done
echo "== $load busy processes started; $(nproc) CPUs"
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  echo "== run $i/$runs"
  if ! go test -race -count=1 -timeout 30m ./... ./examples/playground/... >"/tmp/stress-suite-$i.log" 2>&1; then
    grep -E -- '^(--- FAIL|FAIL|panic:)' "/tmp/stress-suite-$i.log" | head -40
    echo "== run $i FAILED after $(( $(date +%s) - start )) s (log: /tmp/stress-suite-$i.log)" >&2
    exit 1
  fi
  echo "== run $i passed in $(( $(date +%s) - start )) s"
done
echo "== $runs of $runs runs passed under a load of $load"
