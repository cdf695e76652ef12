package livepeer_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"slices"
	"testing"
	"time"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/livepeertest"
)

// benchLiveNetwork starts a one-orchestrator network whose noop model
// (passthrough) takes capacity sessions, and a Gateway on it.
func benchLiveNetwork(b *testing.B, capacity int) *livepeer.Gateway {
	b.Helper()
	n, err := livepeertest.NewNetwork(livepeertest.NetworkConfig{Orchestrators: 1,
		Capabilities: []livepeertest.CapabilitySpec{{Name: "live-video-to-video/noop", PricePerUnit: 1, PixelsPerUnit: 1, Capacity: capacity}},
		Live:         livepeertest.LiveConfig{Default: livepeertest.Passthrough()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(n.Close)
	gw, err := livepeer.NewGateway(livepeer.Config{Token: n.Token()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gw.Close() })
	return gw
}

// benchSegment is size bytes of MPEG-TS null packets; the first carries
// seq, so the output side matches each segment to its publish.
func benchSegment(seq, size int) []byte {
	s := make([]byte, size/188*188)
	for i := 0; i < len(s); i += 188 {
		s[i], s[i+1], s[i+2], s[i+3] = 0x47, 0x1F, 0xFF, 0x10
	}
	binary.BigEndian.PutUint64(s[4:], uint64(seq))
	return s
}

func benchPercentile(d []time.Duration, p int) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := max(0, min(len(s)-1, (len(s)*p+99)/100-1))
	return float64(s[i]) / float64(time.Millisecond)
}

// BenchmarkLivePublishToOutput publishes 64 KiB segments one at a time
// through a passthrough session and times each until its last byte comes
// out of Subscribe (ns/op), with the time to its first byte, p50 and p99.
func BenchmarkLivePublishToOutput(b *testing.B) {
	gw := benchLiveNetwork(b, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sess, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	type mark struct {
		seq         int
		first, last time.Time
	}
	marks := make(chan mark, 1)
	go func() {
		head := make([]byte, 188)
		for seg, err := range sess.Subscribe(ctx) {
			if err != nil {
				return
			}
			if _, err := io.ReadFull(seg, head); err != nil {
				return
			}
			m := mark{seq: int(binary.BigEndian.Uint64(head[4:])), first: time.Now()}
			if _, err := io.Copy(io.Discard, seg); err != nil {
				return
			}
			m.last = time.Now()
			marks <- m
		}
	}()
	const size = 64 << 10
	var first, last []time.Duration
	seq := 0
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if err := sess.Publish(ctx, bytes.NewReader(benchSegment(seq, size))); err != nil {
			b.Fatal(err)
		}
		select {
		case m := <-marks:
			if m.seq != seq {
				b.Fatalf("segment %d came out for %d", m.seq, seq)
			}
			first, last = append(first, m.first.Sub(t0)), append(last, m.last.Sub(t0))
		case <-time.After(10 * time.Second):
			b.Fatalf("segment %d did not come out", seq)
		}
		seq++
	}
	b.StopTimer()
	b.ReportMetric(benchPercentile(first, 50), "first-byte-p50-ms")
	b.ReportMetric(benchPercentile(first, 99), "first-byte-p99-ms")
	b.ReportMetric(benchPercentile(last, 50), "last-byte-p50-ms")
	b.ReportMetric(benchPercentile(last, 99), "last-byte-p99-ms")
}

// BenchmarkLiveSessionHeap opens one idle session per iteration and reports
// the Go heap and goroutines each adds. The orchestrator runs in the same
// process, so the heap figure counts both sides (bench/live measures the
// client alone).
func BenchmarkLiveSessionHeap(b *testing.B) {
	gw := benchLiveNetwork(b, 100000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	warm, err := gw.Live(ctx, "live-video-to-video/noop", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer warm.Close()
	var sessions []*livepeer.LiveSession
	defer func() {
		for _, s := range sessions {
			_ = s.Close()
		}
	}()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	h0, g0 := heap(), runtime.NumGoroutine()
	b.ResetTimer()
	for b.Loop() {
		s, err := gw.Live(ctx, "live-video-to-video/noop", nil)
		if err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	b.StopTimer()
	time.Sleep(200 * time.Millisecond)
	h1, g1 := heap(), runtime.NumGoroutine()
	n := float64(len(sessions))
	b.ReportMetric((float64(h1)-float64(h0))/n, "heap-B/session")
	b.ReportMetric(float64(g1-g0)/n, "goroutines/session")
}
