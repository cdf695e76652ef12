// Package lpnet holds the protobuf wire types and gRPC stubs of the Livepeer
// orchestrator RPC (proto package "net"). The generated files are committed;
// `go generate ./internal/lpnet` rebuilds them with protoc (Debian's
// protobuf-compiler) and the pinned plugins installed by scripts/install-protoc-plugins.sh.
package lpnet

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative lp_rpc.proto
