package lpnet

import (
	"context"
	"net/http"
	"strings"

	"connectrpc.com/connect"
)

// Procedures of the net.Orchestrator service (lp_rpc.proto).
const (
	GetOrchestratorProcedure = "/net.Orchestrator/GetOrchestrator"
	PingProcedure            = "/net.Orchestrator/Ping"
)

// maxMessage bounds a message either way (go-livepeer's answers are a few KiB).
const maxMessage = 4 << 20

// OrchestratorClient calls the unary methods of net.Orchestrator over the
// gRPC protocol (HTTP/2, as go-livepeer's grpc-go server requires).
type OrchestratorClient struct {
	get  *connect.Client[OrchestratorRequest, OrchestratorInfo]
	ping *connect.Client[PingPong, PingPong]
}

// NewOrchestratorClient returns a client for the orchestrator at baseURL
// ("https://host:port"). hc must speak HTTP/2 to it.
func NewOrchestratorClient(hc connect.HTTPClient, baseURL string, userAgent string) *OrchestratorClient {
	base := strings.TrimRight(baseURL, "/")
	opts := []connect.ClientOption{connect.WithGRPC(), connect.WithReadMaxBytes(maxMessage), connect.WithSendMaxBytes(maxMessage)}
	if userAgent != "" {
		opts = append(opts, connect.WithInterceptors(userAgentInterceptor(userAgent)))
	}
	return &OrchestratorClient{
		get:  connect.NewClient[OrchestratorRequest, OrchestratorInfo](hc, base+GetOrchestratorProcedure, opts...),
		ping: connect.NewClient[PingPong, PingPong](hc, base+PingProcedure, opts...),
	}
}

// GetOrchestrator calls net.Orchestrator/GetOrchestrator. Failures are
// *connect.Error (connect.CodeOf gives the gRPC code).
func (c *OrchestratorClient) GetOrchestrator(ctx context.Context, req *OrchestratorRequest) (*OrchestratorInfo, error) {
	resp, err := c.get.CallUnary(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// Ping calls net.Orchestrator/Ping.
func (c *OrchestratorClient) Ping(ctx context.Context, req *PingPong) (*PingPong, error) {
	resp, err := c.ping.CallUnary(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

type userAgentInterceptor string

func (ua userAgentInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("User-Agent", string(ua))
		return next(ctx, req)
	}
}

func (ua userAgentInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (ua userAgentInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// OrchestratorServer is the server side of net.Orchestrator's unary methods.
// Errors should be *connect.Error (others arrive as code Unknown, as
// go-livepeer's plain errors do).
type OrchestratorServer interface {
	GetOrchestrator(context.Context, *OrchestratorRequest) (*OrchestratorInfo, error)
	Ping(context.Context, *PingPong) (*PingPong, error)
}

// NewOrchestratorHandler returns an http.Handler serving srv's methods
// under /net.Orchestrator/ (gRPC, gRPC-Web and Connect protocols). Mount it
// at the returned path prefix on an HTTP/2-capable server.
func NewOrchestratorHandler(srv OrchestratorServer) (string, http.Handler) {
	opts := []connect.HandlerOption{connect.WithReadMaxBytes(maxMessage), connect.WithSendMaxBytes(maxMessage)}
	get := connect.NewUnaryHandler(GetOrchestratorProcedure, func(ctx context.Context, r *connect.Request[OrchestratorRequest]) (*connect.Response[OrchestratorInfo], error) {
		out, err := srv.GetOrchestrator(ctx, r.Msg)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(out), nil
	}, opts...)
	ping := connect.NewUnaryHandler(PingProcedure, func(ctx context.Context, r *connect.Request[PingPong]) (*connect.Response[PingPong], error) {
		out, err := srv.Ping(ctx, r.Msg)
		if err != nil {
			return nil, err
		}
		return connect.NewResponse(out), nil
	}, opts...)
	mux := http.NewServeMux()
	mux.Handle(GetOrchestratorProcedure, get)
	mux.Handle(PingProcedure, ping)
	return "/net.Orchestrator/", mux
}
