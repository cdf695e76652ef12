#!/usr/bin/env bash
# Installs the exact oapi-codegen used to generate aipipeline/types.gen.go.
set -euo pipefail
go install github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2
