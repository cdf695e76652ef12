package trickle_test

import (
	"testing"

	"github.com/livepeer/livepeer-go-gateway/internal/trickletest"
)

// BenchmarkRelay compares the raw net/http relay baseline with trickle on
// loopback; run with -bench Relay -benchtime 20x. Each op is one 256 KiB
// segment published and received.
func BenchmarkRelay(b *testing.B) {
	for _, impl := range []string{"raw", "trickle"} {
		for _, ch := range []int{1, 32} {
			b.Run(impl+"/channels="+string(rune('0'+ch/10))+string(rune('0'+ch%10)), func(b *testing.B) {
				segs := max(b.N/ch, 1)
				cfg := trickletest.Config{Channels: ch, Segments: segs, SegmentSize: 256 << 10, ChunkSize: 32 << 10, LatencySegs: max(40/ch, 4)}
				b.SetBytes(int64(cfg.SegmentSize))
				b.ResetTimer()
				run := trickletest.Raw
				if impl == "trickle" {
					run = trickletest.Trickle
				}
				r, err := run(cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.MBps, "MB/s-measured")
				b.ReportMetric(float64(r.LatP50.Microseconds()), "p50-µs")
				b.ReportMetric(float64(r.LatP99.Microseconds()), "p99-µs")
				b.ReportMetric(r.AllocsPerSeg, "allocs/seg")
				b.ReportMetric(float64(r.CPUPerSeg.Microseconds()), "cpu-µs/seg")
			})
		}
	}
}

// BenchmarkIdleSubscriber reports the heap cost of a subscriber parked at
// the live edge (client and server side together).
func BenchmarkIdleSubscriber(b *testing.B) {
	cfg := trickletest.Config{Channels: 1, Segments: 1, SegmentSize: 1 << 10, ChunkSize: 1 << 10, LatencySegs: 1, IdleSubs: 100}
	var heap float64
	for range b.N {
		r, err := trickletest.Trickle(cfg)
		if err != nil {
			b.Fatal(err)
		}
		heap = r.IdleSubHeap
	}
	b.ReportMetric(heap, "B/idle-sub")
}
