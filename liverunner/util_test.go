package liverunner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"bytes"
	"crypto/tls"
	"encoding/json"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/signer"
	"math/big"
	"net/http"
	"sync"
)

func bigInt(v int64) *big.Int { return big.NewInt(v) }

func jsonNumber(s string) json.Number { return json.Number(s) }

func insecureTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the in-process orchestrators' certificates
	return tr
}

func newRat() *big.Rat { return new(big.Rat) }

func ratOf(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func offchainSigner() *signer.Client { return signer.Offchain() }

func mustSigner(t *testing.T, n *livepeertest.Network) *signer.Client {
	t.Helper()
	sc, err := signer.New(signer.Config{URLs: []string{n.SignerURL()}})
	require.NoError(t, err)
	t.Cleanup(sc.CloseIdleConnections)
	return sc
}
