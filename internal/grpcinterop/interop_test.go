package grpcinterop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/livepeer/livepeer-go-gateway/discovery"
	"github.com/livepeer/livepeer-go-gateway/internal/lpnet"
)

// orchestratorServer is the service interface grpc-go's generated code
// would declare for net.Orchestrator (go-livepeer net/lp_rpc_grpc.pb.go).
type orchestratorServer interface {
	GetOrchestrator(context.Context, *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error)
}

// serviceDesc registers GetOrchestrator as grpc-go's generated code does.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: "net.Orchestrator",
	HandlerType: (*orchestratorServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "GetOrchestrator",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(lpnet.OrchestratorRequest)
			if err := dec(in); err != nil {
				return nil, err
			}
			return srv.(orchestratorServer).GetOrchestrator(ctx, in)
		},
	}},
	Metadata: "lp_rpc.proto",
}

type orch struct {
	addr string
	last chan *lpnet.OrchestratorRequest
}

func (o *orch) GetOrchestrator(_ context.Context, req *lpnet.OrchestratorRequest) (*lpnet.OrchestratorInfo, error) {
	o.last <- req
	if len(req.GetSig()) == 0 {
		// go-livepeer's plain errors arrive as status Unknown.
		return nil, status.Error(codes.Unknown, "Invalid orchestrator request: orchestrator req sig check failed")
	}
	return &lpnet.OrchestratorInfo{
		Transcoder: "https://" + o.addr,
		PriceInfo:  &lpnet.PriceInfo{PricePerUnit: 7, PixelsPerUnit: 3},
		TicketParams: &lpnet.TicketParams{
			Recipient: make([]byte, 20), FaceValue: big.NewInt(1000).Bytes(), WinProb: big.NewInt(5).Bytes(),
			ExpirationBlock: big.NewInt(99).Bytes(),
		},
		AuthToken: &lpnet.AuthToken{Token: []byte("t"), SessionId: "s", Expiration: time.Now().Add(time.Hour).Unix()},
	}, nil
}

// startGRPC serves net.Orchestrator with grpc-go over TLS (a self-signed
// certificate, as go-livepeer orchestrators use).
func startGRPC(t *testing.T) *orch {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o := &orch{addr: ln.Addr().String(), last: make(chan *lpnet.OrchestratorRequest, 4)}
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	srv.RegisterService(&serviceDesc, o)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return o
}

type fixedSigner struct{ sig []byte }

func (f fixedSigner) SignOrchestratorInfo(context.Context) (*discovery.RequestSignature, error) {
	return &discovery.RequestSignature{Signature: f.sig}, nil
}

func TestGetOrchestratorAgainstGRPCGo(t *testing.T) {
	o := startGRPC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := discovery.NewClient(discovery.ClientConfig{Signer: fixedSigner{sig: []byte{1, 2, 3}}, Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	want := discovery.Capability{ID: discovery.CapLiveVideoToVideo, Model: "noop"}
	info, err := c.GetOrchestrator(ctx, o.addr, &want)
	require.NoError(t, err)
	req := <-o.last
	require.Equal(t, []byte{1, 2, 3}, req.GetSig())
	require.True(t, req.GetIgnoreCapacityCheck())
	require.Contains(t, req.GetCapabilities().GetConstraints().GetPerCapability()[35].GetModels(), "noop")
	require.Equal(t, "https://"+o.addr, info.Transcoder)
	require.Equal(t, &discovery.Price{PricePerUnit: 7, PixelsPerUnit: 3}, info.Price)
	require.True(t, info.Onchain())
	require.Equal(t, int64(99), info.TicketParams.ExpirationBlock.Int64())

	// A refusal keeps grpc-go's status code and message.
	unsigned, err := discovery.NewClient(discovery.ClientConfig{Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer unsigned.Close()
	_, err = unsigned.GetOrchestrator(ctx, o.addr, nil)
	<-o.last
	var re *discovery.RPCError
	require.True(t, errors.As(err, &re), "%v", err)
	require.Equal(t, connect.CodeUnknown, re.Code)
	require.Contains(t, re.Message, "sig check failed")
}
