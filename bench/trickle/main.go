// Command trickle compares, on loopback and in one process, a raw net/http
// relay (one POST streamed into one GET) with the trickle client and server
// of package trickle, for 1 and 32 concurrent channels: throughput, added
// latency from the publisher's first byte to the subscriber's first byte,
// allocations per segment and heap per idle subscriber.
//
//	go run ./bench/trickle
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/livepeer/livepeer-go/internal/trickletest"
)

func main() {
	fmt.Printf("trickle loopback benchmark (GOMAXPROCS=%d, %s)\n\n", runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("%-9s %-8s %10s %9s %9s %11s %11s %12s\n", "channels", "impl", "MB/s", "p50", "p99", "allocs/seg", "KiB/seg", "idle sub")
	ok := true
	for _, ch := range []int{1, 32} {
		cfg := trickletest.Config{Channels: ch, Segments: 48 / ch * 2, SegmentSize: 1 << 20, ChunkSize: 32 << 10, LatencySegs: 200 / ch * 2}
		if ch > 1 {
			cfg.Segments, cfg.LatencySegs = 4, 10
		}
		raw, err := trickletest.Raw(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "raw:", err)
			os.Exit(1)
		}
		if ch == 1 {
			cfg.IdleSubs = 200
		}
		tr, err := trickletest.Trickle(cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "trickle:", err)
			os.Exit(1)
		}
		row := func(name string, r trickletest.Result, idle string) {
			fmt.Printf("%-9d %-8s %10.0f %9s %9s %11.0f %11.1f %12s\n", ch, name, r.MBps, r.LatP50.Round(time.Microsecond), r.LatP99.Round(time.Microsecond), r.AllocsPerSeg, r.BytesPerSeg/1024, idle)
		}
		row("raw", raw, "-")
		idle := "-"
		if tr.IdleSubHeap > 0 {
			idle = fmt.Sprintf("%.1f KiB", tr.IdleSubHeap/1024)
		}
		row("trickle", tr, idle)
		ratio := tr.MBps / raw.MBps
		added := tr.LatP50 - raw.LatP50
		fmt.Printf("          => throughput %.2fx raw (goal >= 0.9), added p50 latency %v (goal <= 1ms)\n\n", ratio, added.Round(time.Microsecond))
		if tr.IdleSubHeap > 64<<10 {
			ok = false
		}
	}
	fmt.Println("idle sub: heap per subscriber parked at the live edge, client and server side together (goal <= 64 KiB)")
	if !ok {
		fmt.Println("note: idle subscriber goal missed")
	}
}
