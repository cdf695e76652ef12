// Package grpcinterop checks, in a module of its own, that the SDK's
// GetOrchestrator client (discovery.Client, gRPC spoken by
// connectrpc.com/connect) interoperates with a grpc-go server, the stack
// go-livepeer's orchestrators run (server/rpc.go: grpc.NewServer served on
// the TLS port). It is a separate module so that the SDK's go.mod does not
// carry grpc-go (and the modules grpc-go's go.mod lists).
package grpcinterop
