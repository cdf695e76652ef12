package orchtls_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/orchtls"
)

// Pins kept in a file: the first Gateway pins the orchestrator's key; after
// the orchestrator restarts with a new key, the next Gateway refuses it.
func ExampleOpenFile() {
	dir, _ := os.MkdirTemp("", "pins")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orchestrator-pins.json")
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1})
	if err != nil {
		panic(err)
	}
	defer n.Close()
	ctx := context.Background()

	pins, _ := orchtls.OpenFile(path)
	gw, _ := livepeer.NewGateway(livepeer.Config{Token: n.Token(), OrchestratorPins: pins})
	infos, err := gw.Orchestrators(ctx, "live-video-to-video/noop")
	fmt.Println(len(infos), err, len(pins.Pins()))
	gw.Close()

	_ = n.Orchestrators()[0].RotateCertificate() // a go-livepeer restart: a new key
	pins, _ = orchtls.OpenFile(path)
	gw, _ = livepeer.NewGateway(livepeer.Config{Token: n.Token(), OrchestratorPins: pins})
	defer gw.Close()
	_, err = gw.Orchestrators(ctx, "live-video-to-video/noop")
	var mismatch *livepeer.CertificateMismatchError
	fmt.Println(errors.Is(err, livepeer.ErrCertificateMismatch), errors.As(err, &mismatch) && mismatch.Addr == n.OrchestratorAddrs()[0])
	// Output:
	// 1 <nil> 1
	// true true
}
