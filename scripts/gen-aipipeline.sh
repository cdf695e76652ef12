#!/usr/bin/env bash
# Regenerates aipipeline/types.gen.go from ai-runner's client-facing OpenAPI
# document. The document is not in this repository: it is read from
# $AIPIPELINE_OPENAPI, or by default from shared/data/ai-runner/gateway.openapi.yaml
# in the directory that holds this repository (<repo>/../shared/...), where CI
# and the main checkout find it. The oapi-codegen on PATH must be the pinned
# version (scripts/install-oapi-codegen.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want=v2.8.2
spec="${AIPIPELINE_OPENAPI:-$root/../shared/data/ai-runner/gateway.openapi.yaml}"
if [ ! -f "$spec" ]; then
  echo "gen-aipipeline: OpenAPI document not found at $spec (set AIPIPELINE_OPENAPI)" >&2
  exit 1
fi
bin="$(command -v oapi-codegen || true)"
if [ -z "$bin" ]; then bin="$(go env GOPATH)/bin/oapi-codegen"; fi
if [ ! -x "$bin" ]; then
  echo "gen-aipipeline: oapi-codegen not installed: run scripts/install-oapi-codegen.sh" >&2
  exit 1
fi
have="$("$bin" -version 2>/dev/null | tail -n 1)"
if [ "$have" != "$want" ]; then
  echo "gen-aipipeline: oapi-codegen is $have, want $want: run scripts/install-oapi-codegen.sh" >&2
  exit 1
fi
cd "$root/aipipeline"
"$bin" -config oapi-codegen.yaml "$spec"
