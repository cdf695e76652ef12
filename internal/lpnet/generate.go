// Package lpnet holds the protobuf wire types of the Livepeer orchestrator
// RPC (proto package "net") and a gRPC client and server for its unary
// methods built on connectrpc.com/connect (rpc.go, hand-written: connect
// speaks the gRPC protocol over net/http, so no grpc-go dependency). The
// generated file is committed; `go generate ./internal/lpnet` rebuilds it
// with protoc (Debian's protobuf-compiler) and the pinned plugin installed by
// scripts/install-protoc-plugins.sh.
package lpnet

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative lp_rpc.proto
