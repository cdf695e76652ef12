// Command stream measures events per second through Gateway.Stream on
// loopback and, for the same job and bytes, through a raw net/http read
// that only splits lines, and prints both with their ratio.
//
//	go run ./bench/stream [-events 100000] [-rounds 3]
//
// Both read a BYOC job answered by an in-process (off-chain) orchestrator
// relaying a worker that writes N events as fast as it can, so the figures
// include the orchestrator's line-by-line relay, as with go-livepeer.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/internal/byocwire"
	"github.com/livepeer/livepeer-go-gateway/internal/lphttp"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/livepeertest/worker"
)

func main() {
	events := flag.Int("events", 100000, "events per stream")
	rounds := flag.Int("rounds", 3, "measurements of each (best kept)")
	flag.Parse()
	if err := run(*events, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/stream:", err)
		os.Exit(1)
	}
}

func run(events, rounds int) error {
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1, Offchain: true,
		Capabilities: []livepeertest.CapabilitySpec{{Name: "byoc/bench", Capacity: 2}}})
	if err != nil {
		return err
	}
	defer n.Close()
	o := n.Orchestrators()[0]
	s := livepeertest.EnableBYOC(o, livepeertest.BYOCConfig{NoBlankLinesAfterDone: true})
	defer s.Close()
	if _, err := s.ServeWorker("bench", 2, &worker.Streamer{Count: events}); err != nil {
		return err
	}
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	if err != nil {
		return err
	}
	defer gw.Close()
	ctx := context.Background()

	var bestSDK, bestSDKRead, bestRaw, bestRawRead float64
	for range rounds {
		all, read, err := viaStream(ctx, gw, events)
		if err != nil {
			return err
		}
		bestSDK, bestSDKRead = max(bestSDK, all), max(bestSDKRead, read)
		all, read, err = viaRaw(o.URL(), events)
		if err != nil {
			return err
		}
		bestRaw, bestRawRead = max(bestRaw, all), max(bestRawRead, read)
	}
	fmt.Printf("events per stream: %d (best of %d)\n", events, rounds)
	fmt.Printf("%-34s %12s %16s\n", "", "end to end", "reading only")
	fmt.Printf("%-34s %9.0f ev/s %13.0f ev/s\n", "Gateway.Stream (typed events)", bestSDK, bestSDKRead)
	fmt.Printf("%-34s %9.0f ev/s %13.0f ev/s\n", "raw net/http (line split only)", bestRaw, bestRawRead)
	fmt.Printf("%-34s %14.2f %18.2f\n", "ratio Stream/raw", bestSDK/bestRaw, bestSDKRead/bestRawRead)
	fmt.Println("end to end includes discovery, the job token and signing for Stream, the job POST for both.")
	return nil
}

func viaStream(ctx context.Context, gw *livepeer.Gateway, events int) (all, read float64, err error) {
	start := time.Now()
	st, err := gw.Stream(ctx, "bench", nil)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	reading := time.Now()
	got := 0
	for _, err := range st.Events(ctx) {
		if err != nil {
			return 0, 0, err
		}
		got++
	}
	if got != events {
		return 0, 0, fmt.Errorf("Stream: %d events, want %d", got, events)
	}
	return float64(got) / time.Since(start).Seconds(), float64(got) / time.Since(reading).Seconds(), nil
}

// viaRaw sends the same job by hand and counts "data:" lines up to [DONE].
func viaRaw(orch string, events int) (all, read float64, err error) {
	job := &byocwire.JobRequest{ID: "raw", Request: "{}", Parameters: "{}", Capability: "bench", TimeoutSeconds: 300}
	h, err := job.Encode()
	if err != nil {
		return 0, 0, err
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // loopback test orchestrator
	defer hc.CloseIdleConnections()
	start := time.Now()
	req, err := http.NewRequest(http.MethodPost, orch+"/process/request/", strings.NewReader("{}"))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(lphttp.HeaderJob, h)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	reading := time.Now()
	br := bufio.NewReaderSize(resp.Body, 4<<10)
	got := 0
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, 0, fmt.Errorf("raw: %w after %d events", err, got)
		}
		if strings.HasPrefix(string(line), "data: [DONE]") {
			break
		}
		if len(line) > 6 && string(line[:6]) == "data: " && line[6] == '{' && !strings.HasPrefix(string(line), "data: {\"balance\"") {
			got++
		}
	}
	if got != events {
		return 0, 0, fmt.Errorf("raw: %d events, want %d", got, events)
	}
	return float64(got) / time.Since(start).Seconds(), float64(got) / time.Since(reading).Seconds(), nil
}
