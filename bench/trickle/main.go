// Command trickle compares, on loopback and in one process, a raw net/http
// relay (one POST streamed into one GET) with the trickle client and server
// of package trickle, for 1 and 32 concurrent channels: throughput, added
// latency from the publisher's first byte to the subscriber's first byte,
// allocations and CPU time per segment, and heap per idle subscriber.
//
// Both sides get the same payload (segment size, segment count, write size)
// and the same latency workload. After a warm-up, each configuration is run
// several times with raw and trickle interleaved (alternating which goes
// first); medians are printed, and the ratios are medians of the per-round
// ratios, so slow drifts of a shared machine hit both sides alike. The
// machine's load average is printed before and after: on a loaded machine
// wall-clock figures (MB/s, latency) are noisy, CPU per segment much less.
//
//	go run ./bench/trickle [-reps 5]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/livepeer/livepeer-go-gateway/internal/trickletest"
)

func main() {
	reps := flag.Int("reps", 5, "rounds per configuration (median reported)")
	flag.Parse()
	fmt.Printf("trickle loopback benchmark: GOMAXPROCS=%d NumCPU=%d %s/%s %s, %d rounds, medians\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), *reps)
	fmt.Printf("load average at start: %s\n\n", loadAvg())

	// Warm-up: connection pools, page pools, code paths.
	warm := trickletest.Config{Channels: 2, Segments: 4, SegmentSize: 256 << 10, ChunkSize: 32 << 10, LatencySegs: 4}
	if _, err := trickletest.Raw(warm); err != nil {
		fail("raw warm-up", err)
	}
	if _, err := trickletest.Trickle(warm); err != nil {
		fail("trickle warm-up", err)
	}

	fmt.Printf("%-9s %-8s %9s %9s %9s %11s %10s %9s\n", "channels", "impl", "MB/s", "p50", "p99", "allocs/seg", "KiB/seg", "CPU/seg")
	for _, ch := range []int{1, 32} {
		cfg := trickletest.Config{Channels: ch, Segments: 24, SegmentSize: 1 << 20, ChunkSize: 32 << 10, LatencySegs: 100}
		if ch > 1 {
			cfg.Segments, cfg.LatencySegs = 16, 8
		}
		var raws, trs []trickletest.Result
		var ratios, added, cpuRatios []float64
		for i := range *reps {
			var raw, tr trickletest.Result
			if i%2 == 0 {
				raw = run(trickletest.Raw, "raw", cfg)
				tr = run(trickletest.Trickle, "trickle", cfg)
			} else {
				tr = run(trickletest.Trickle, "trickle", cfg)
				raw = run(trickletest.Raw, "raw", cfg)
			}
			raws, trs = append(raws, raw), append(trs, tr)
			ratios = append(ratios, tr.MBps/raw.MBps)
			added = append(added, float64(tr.LatP50-raw.LatP50))
			cpuRatios = append(cpuRatios, float64(tr.CPUPerSeg)/float64(raw.CPUPerSeg))
		}
		row(ch, "raw", raws)
		row(ch, "trickle", trs)
		fmt.Printf("          => throughput %.2fx raw (goal >= 0.9; rounds %s), added p50 %v (goal <= 1ms), CPU/seg %.2fx raw\n\n",
			median(ratios), list(ratios, "%.2f"), time.Duration(median(added)).Round(time.Microsecond), median(cpuRatios))
	}

	idle := trickletest.Config{Channels: 1, Segments: 1, SegmentSize: 1 << 10, ChunkSize: 1 << 10, LatencySegs: 1, IdleSubs: 200}
	tr, err := trickletest.Trickle(idle)
	if err != nil {
		fail("trickle idle", err)
	}
	verdict := "goal <= 64 KiB met"
	if tr.IdleSubHeap > 64<<10 {
		verdict = "goal <= 64 KiB MISSED"
	}
	fmt.Printf("idle subscriber heap (200 parked at the live edge, client and server side together): %.1f KiB (%s)\n",
		tr.IdleSubHeap/1024, verdict)
	fmt.Printf("load average at end: %s\n", loadAvg())
}

// run measures one configuration and collects garbage so the next run
// starts from the same heap.
func run(f func(trickletest.Config) (trickletest.Result, error), name string, cfg trickletest.Config) trickletest.Result {
	r, err := f(cfg)
	if err != nil {
		fail(name, err)
	}
	runtime.GC()
	return r
}

func row(ch int, name string, rs []trickletest.Result) {
	get := func(f func(trickletest.Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	mbps := get(func(r trickletest.Result) float64 { return r.MBps })
	p50 := time.Duration(get(func(r trickletest.Result) float64 { return float64(r.LatP50) }))
	p99 := time.Duration(get(func(r trickletest.Result) float64 { return float64(r.LatP99) }))
	allocs := get(func(r trickletest.Result) float64 { return r.AllocsPerSeg })
	kib := get(func(r trickletest.Result) float64 { return r.BytesPerSeg / 1024 })
	cpu := time.Duration(get(func(r trickletest.Result) float64 { return float64(r.CPUPerSeg) }))
	fmt.Printf("%-9d %-8s %9.0f %9v %9v %11.0f %10.1f %9v\n", ch, name, mbps, p50.Round(time.Microsecond),
		p99.Round(time.Microsecond), allocs, kib, cpu.Round(time.Microsecond))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func list(v []float64, format string) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(parts, " ")
}

// loadAvg returns the 1, 5 and 15 minute load averages (Linux), or "n/a".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return fmt.Sprintf("%s %s %s (%d CPUs)", f[0], f[1], f[2], runtime.NumCPU())
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}
