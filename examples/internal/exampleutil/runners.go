package exampleutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

// EchoApp is the app of the toy live runners ServeToyRunners registers:
// worker.RunnerApp (ANY /echo/..., GET /ticks server-sent events, GET /ws
// WebSocket echo).
const EchoApp = "example/echo"

// ToyRunnersNetwork is an in-process network for the live-runner examples:
// two on-chain orchestrators with live runners on (ServeToyRunners
// registers the runners). Payments are checked every second.
func ToyRunnersNetwork() livepeertest.NetworkConfig {
	return livepeertest.NetworkConfig{Orchestrators: 2, Runners: &livepeertest.RunnersConfig{PaymentInterval: time.Second}}
}

// ServeToyRunners serves worker.RunnerApp on a local port and registers it
// on the network's orchestrators as runners of EchoApp: a persistent one
// on each (NVIDIA L40S at $3.60 an hour on the first, H100 at $7.20 on the
// second) and a single-shot one on the first ($0.0001 a request). The
// returned cleanup stops the app.
func ServeToyRunners(n *livepeertest.Network) (func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: worker.NewRunnerApp(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	cleanup := func() {
		_ = srv.Close()
		<-done
	}
	url := "http://" + ln.Addr().String()
	toy := func(label, mode, gpu string, vram int, price, unit string) livepeertest.StaticRunner {
		return livepeertest.StaticRunner{Label: label, RunnerURL: url, HealthURL: "/health", App: EchoApp, Mode: mode, Version: "1.0",
			Metadata: `{"example":true}`, Capacity: 4, GPU: &livepeertest.RunnerGPU{Name: gpu, VRAMMB: vram},
			PriceInfo: livepeertest.RunnerPrice{Price: json.Number(price), Unit: unit}}
	}
	regs := n.Runners()
	if len(regs) < 2 {
		cleanup()
		return nil, errors.New("the network has no live runners (NetworkConfig.Runners) on two orchestrators")
	}
	if _, err := regs[0].RegisterStatic(livepeertest.StaticRunners{Runners: []livepeertest.StaticRunner{
		toy("echo", "persistent", "NVIDIA L40S", 46068, "3.6", "hour"),
		toy("echo-once", "single-shot", "NVIDIA L40S", 46068, "0.0001", "fixed"),
	}}); err != nil {
		cleanup()
		return nil, fmt.Errorf("register the toy runners: %w", err)
	}
	if _, err := regs[1].RegisterStatic(livepeertest.StaticRunners{Runners: []livepeertest.StaticRunner{
		toy("echo", "persistent", "NVIDIA H100 80GB HBM3", 81559, "7.2", "hour"),
	}}); err != nil {
		cleanup()
		return nil, fmt.Errorf("register the toy runners: %w", err)
	}
	return cleanup, nil
}
