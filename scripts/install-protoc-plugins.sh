#!/usr/bin/env bash
# Installs the exact protoc plugins used to generate internal/lpnet.
# protoc itself comes from Debian: apt-get install -y protobuf-compiler
set -euo pipefail
go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
