// Command live measures Gateway.Live on loopback against the in-process
// network (passthrough pipeline, on-chain payments through the test signer):
//
//   - latency from publish to output: each segment carries a stamp (its
//     sequence number and publish time, in an MPEG-TS null packet at its
//     start, which the passthrough pipeline returns unchanged); the output
//     side reads the stamp and reports the time to the segment's first byte
//     and to its last byte, p50 and p99;
//
//   - client heap per idle session: N sessions are started and the Go heap
//     in use is compared before and after. The network runs in a child
//     process (this command re-run with -serve), so only the client's memory
//     is counted.
//
// Usage:
//
//	go run ./bench/live [-segments 100] [-size 65536] [-interval 50ms] [-sessions 50]
//
// It exits 0 after printing the figures, non-zero with a one-line error.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

func main() {
	serve := flag.Bool("serve", false, "run the in-process network, print its token and wait for stdin to close (used by the harness)")
	segments := flag.Int("segments", 100, "segments published for the latency figures (at least 20)")
	size := flag.Int("size", 64<<10, "segment size in bytes")
	interval := flag.Duration("interval", 50*time.Millisecond, "time between segments")
	sessions := flag.Int("sessions", 50, "idle sessions for the heap figure")
	flag.Parse()
	var err error
	if *serve {
		err = serveNetwork(*sessions)
	} else {
		err = run(*segments, *size, *interval, *sessions)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/live:", err)
		os.Exit(1)
	}
}

// network starts a one-orchestrator network whose noop model (passthrough)
// takes capacity sessions.
func network(capacity int) (*livepeertest.Network, error) {
	return livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		Capabilities: []livepeertest.CapabilitySpec{{Name: "live-video-to-video/noop", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: capacity}},
		Live:         livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
}

func serveNetwork(sessions int) error {
	n, err := network(sessions + 4)
	if err != nil {
		return err
	}
	defer n.Close()
	fmt.Println(n.Token())
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

func run(segments, size int, interval time.Duration, sessions int) error {
	if segments < 20 || size < 2*188 || sessions < 1 {
		return errors.New("need -segments >= 20, -size >= 376, -sessions >= 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	// Latency: network in this process (it does not matter for timing).
	n, err := network(4)
	if err != nil {
		return err
	}
	defer n.Close()
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	if err != nil {
		return err
	}
	defer gw.Close()
	first, full, err := measureLatency(ctx, gw, segments, size, interval)
	if err != nil {
		return err
	}
	fmt.Printf("publish -> output, %d segments of %d B every %s (passthrough, loopback):\n", segments, size, interval)
	fmt.Printf("  first byte: p50 %s  p99 %s\n", pct(first, 50), pct(first, 99))
	fmt.Printf("  last byte:  p50 %s  p99 %s\n", pct(full, 50), pct(full, 99))

	perSession, goroutines, err := sessionHeap(ctx, sessions)
	if err != nil {
		return err
	}
	fmt.Printf("idle session, client side (%d sessions): %.1f KiB heap/session, %.1f goroutines/session\n",
		sessions, perSession/1024, goroutines)
	return nil
}

// Stamp is an MPEG-TS null packet (PID 0x1FFF, ignored by demuxers) whose
// payload carries "LPBENCH", the segment's sequence number and its publish
// time in Unix nanoseconds.
var stampMagic = []byte("LPBENCH\x00")

func segment(seq int, size int, t time.Time) []byte {
	b := make([]byte, size/188*188)
	for i := 0; i < len(b); i += 188 {
		b[i], b[i+1], b[i+2], b[i+3] = 0x47, 0x1F, 0xFF, 0x10
	}
	copy(b[4:], stampMagic)
	binary.BigEndian.PutUint64(b[12:], uint64(seq))
	binary.BigEndian.PutUint64(b[20:], uint64(t.UnixNano()))
	return b
}

func readStamp(p []byte) (seq int, t time.Time, ok bool) {
	if len(p) < 28 || !bytes.Equal(p[4:12], stampMagic) {
		return 0, time.Time{}, false
	}
	return int(binary.BigEndian.Uint64(p[12:])), time.Unix(0, int64(binary.BigEndian.Uint64(p[20:]))), true
}

// measureLatency publishes stamped segments and times each one's first and
// last byte on the output.
func measureLatency(ctx context.Context, gw *livepeer.Gateway, segments, size int, interval time.Duration) (first, full []time.Duration, err error) {
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	if err != nil {
		return nil, nil, err
	}
	defer sess.Close()
	type sample struct{ first, full time.Duration }
	got := make(chan sample, segments)
	subErr := make(chan error, 1)
	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	go func() {
		head := make([]byte, 188)
		for seg, err := range sess.Subscribe(subCtx) {
			if err != nil {
				subErr <- err
				return
			}
			if _, err := io.ReadFull(seg, head); err != nil {
				subErr <- err
				return
			}
			seq, t0, ok := readStamp(head)
			if !ok {
				subErr <- fmt.Errorf("segment %d: no stamp", seg.Seq())
				return
			}
			f := time.Since(t0)
			if _, err := io.Copy(io.Discard, seg); err != nil {
				subErr <- err
				return
			}
			got <- sample{f, time.Since(t0)}
			if seq == segments-1 {
				subErr <- nil
				return
			}
		}
		subErr <- errors.New("output ended early")
	}()
	time.Sleep(100 * time.Millisecond) // let the subscriber connect
	for i := range segments {
		if err := sess.Publish(ctx, bytes.NewReader(segment(i, size, time.Now()))); err != nil {
			return nil, nil, fmt.Errorf("publish %d: %w", i, err)
		}
		time.Sleep(interval)
	}
	if err := <-subErr; err != nil {
		return nil, nil, err
	}
	close(got)
	for s := range got {
		first, full = append(first, s.first), append(full, s.full)
	}
	if len(first) < 20 {
		return nil, nil, fmt.Errorf("only %d of %d segments came out", len(first), segments)
	}
	return first, full, nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(time.Microsecond)
}

// sessionHeap starts a network in a child process, opens n idle sessions
// and returns the client heap and goroutines each added.
func sessionHeap(ctx context.Context, n int) (bytesPer, goroutinesPer float64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, exe, "-serve", "-sessions", fmt.Sprint(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	token, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return 0, 0, fmt.Errorf("network process: %w", err)
	}
	gw, err := livepeer.NewGateway(livepeer.Config{Token: strings.TrimSpace(token)})
	if err != nil {
		return 0, 0, err
	}
	defer gw.Close()
	// One session first, so one-time costs (discovery, signer state, TLS
	// session caches, code paths) are not counted per session.
	warm, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	if err != nil {
		return 0, 0, err
	}
	defer warm.Close()
	before, g0 := heapInUse(), runtime.NumGoroutine()
	all := make([]*livepeer.LiveSession, 0, n)
	defer func() {
		for _, s := range all {
			_ = s.Close()
		}
	}()
	for range n {
		s, err := gw.Live(ctx, "live-video-to-video/noop", nil)
		if err != nil {
			return 0, 0, err
		}
		all = append(all, s)
	}
	time.Sleep(500 * time.Millisecond) // connections and readers settle
	after, g1 := heapInUse(), runtime.NumGoroutine()
	return float64(after-before) / float64(n), float64(g1-g0) / float64(n), nil
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
