package trickletest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// Config is one measurement.
type Config struct {
	Channels    int // concurrent channels
	Segments    int // segments per channel (throughput phase)
	SegmentSize int // bytes per segment
	ChunkSize   int // bytes per write
	LatencySegs int // small segments per channel for the latency phase
	IdleSubs    int // idle subscribers for the memory phase (0: skip)
	// LatencyPace is the idle time before each latency segment on both
	// sides (default 600 µs): raw spends it setting up the GET and the
	// POST, trickle (which preconnects both) waits it out.
	LatencyPace time.Duration
}

func (c Config) pace() time.Duration {
	if c.LatencyPace <= 0 {
		return 600 * time.Microsecond
	}
	return c.LatencyPace
}

// Result holds the figures of one run.
type Result struct {
	Bytes         int64
	Elapsed       time.Duration
	MBps          float64
	LatP50        time.Duration
	LatP99        time.Duration
	AllocsPerSeg  float64
	BytesPerSeg   float64
	CPUPerSeg     time.Duration // process CPU time (user+system) per segment, throughput phase
	IdleSubHeap   float64       // bytes of heap per idle subscriber (client and server side)
	IdleSubClient float64       // idem, client side only (server in another process is not modelled: see doc)
}

var epoch = time.Now()

func stamp(b []byte) { binary.BigEndian.PutUint64(b, uint64(time.Since(epoch))) }
func since(b []byte) time.Duration {
	return time.Since(epoch) - time.Duration(binary.BigEndian.Uint64(b))
}

func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 1024}}
}

// Raw measures the raw relay.
func Raw(cfg Config) (Result, error) {
	hs := httptest.NewServer(newRawRelay())
	defer hs.Close()
	client := newClient()
	defer client.CloseIdleConnections()
	var res Result

	oneSeg := func(id string, size int, chunk []byte, lat *time.Duration) error {
		got := make(chan error, 1)
		ready := make(chan struct{})
		go func() {
			req, _ := http.NewRequest(http.MethodGet, hs.URL+id, nil)
			close(ready)
			resp, err := client.Do(req)
			if err != nil {
				got <- err
				return
			}
			defer resp.Body.Close()
			hdr := make([]byte, 8)
			if _, err := io.ReadFull(resp.Body, hdr); err != nil {
				got <- err
				return
			}
			if lat != nil {
				*lat = since(hdr)
			}
			n, err := io.Copy(io.Discard, resp.Body)
			if err == nil && int(n)+8 != size {
				err = fmt.Errorf("raw: got %d bytes, want %d", n+8, size)
			}
			got <- err
		}()
		<-ready
		pr, pw := io.Pipe()
		go func() {
			// With latency measured, the POST is connected and paired with
			// the waiting GET before the first byte is stamped, so both
			// sides measure the data path only (trickle preconnects).
			if lat != nil {
				time.Sleep(cfg.pace() * 2 / 3)
			}
			for sent := 0; sent < size; {
				k := min(len(chunk), size-sent)
				if sent == 0 {
					stamp(chunk)
				}
				if _, err := pw.Write(chunk[:k]); err != nil {
					return
				}
				sent += k
			}
			pw.Close()
		}()
		if lat != nil {
			time.Sleep(cfg.pace() / 3) // the GET registers first
		}
		resp, err := client.Post(hs.URL+id, "application/octet-stream", pr)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return <-got
	}

	// Throughput.
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Channels)
	ms := memStart()
	start := time.Now()
	for c := range cfg.Channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := make([]byte, cfg.ChunkSize)
			for s := range cfg.Segments {
				if err := oneSeg("/"+strconv.Itoa(c)+"/"+strconv.Itoa(s), cfg.SegmentSize, chunk, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.AllocsPerSeg, res.BytesPerSeg, res.CPUPerSeg = ms.perSeg(cfg.Channels * cfg.Segments)
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	res.Bytes = int64(cfg.Channels * cfg.Segments * cfg.SegmentSize)
	res.MBps = float64(res.Bytes) / res.Elapsed.Seconds() / 1e6

	// Latency.
	lats := make([]time.Duration, 0, cfg.Channels*cfg.LatencySegs)
	var mu sync.Mutex
	for c := range cfg.Channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := make([]byte, 1024)
			for s := range cfg.LatencySegs {
				var l time.Duration
				if err := oneSeg("/lat/"+strconv.Itoa(c)+"/"+strconv.Itoa(s), 1024, chunk, &l); err != nil {
					return
				}
				if s == 0 {
					continue // warm-up: steady state only, as for trickle
				}
				mu.Lock()
				lats = append(lats, l)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.LatP50, res.LatP99 = pct(lats)
	return res, nil
}

// Trickle measures trickle.Server with trickle.Publisher/Subscriber.
func Trickle(cfg Config) (Result, error) {
	srv := trickle.NewServer(trickle.ServerConfig{BasePath: "/ai/trickle/"})
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client := newClient()
	defer client.CloseIdleConnections()
	var res Result
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// run publishes `segs` segments of `size` bytes on one channel while a
	// subscriber reads them; the publisher stays at most 2 segments ahead.
	run := func(name string, segs, size, chunkSize int, pace time.Duration, lat func(time.Duration)) error {
		if err := srv.CreateChannel(name, "video/mp2t"); err != nil {
			return err
		}
		url := hs.URL + "/ai/trickle/" + name
		p, err := trickle.NewPublisher(url, trickle.PublisherConfig{HTTPClient: client})
		if err != nil {
			return err
		}
		defer p.Close()
		s, err := trickle.NewSubscriber(url, trickle.SubscriberConfig{Start: 0, HTTPClient: client})
		if err != nil {
			return err
		}
		defer s.Close()
		// Throughput: the publisher may run 2 segments ahead. Latency: one
		// segment at a time, as the raw relay does, so a sample is never
		// queued behind the subscriber still reading the previous segment.
		ahead := 2
		if lat != nil {
			ahead = 1
		}
		credit := make(chan struct{}, ahead)
		for range ahead {
			credit <- struct{}{}
		}
		subErr := make(chan error, 1)
		go func() {
			hdr := make([]byte, 8)
			for i := range segs {
				seg, err := s.Next(ctx)
				if err != nil {
					subErr <- err
					return
				}
				if seg.Seq() != i {
					subErr <- fmt.Errorf("trickle: got seq %d, want %d", seg.Seq(), i)
					return
				}
				if _, err := io.ReadFull(seg, hdr); err != nil {
					subErr <- err
					return
				}
				if lat != nil && i > 0 { // the first segment sets the channel up
					lat(since(hdr))
				}
				n, err := io.Copy(io.Discard, seg)
				seg.Close()
				if err == nil && int(n)+8 != size {
					err = fmt.Errorf("trickle: got %d bytes, want %d", n+8, size)
				}
				if err != nil {
					subErr <- err
					return
				}
				credit <- struct{}{}
			}
			subErr <- nil
		}()
		chunk := make([]byte, chunkSize)
		for range segs {
			select {
			case <-credit:
			case err := <-subErr:
				return err
			}
			if pace > 0 {
				time.Sleep(pace) // let the subscriber's preconnect arrive
			}
			w, err := p.Next(ctx)
			if err != nil {
				return err
			}
			for sent := 0; sent < size; {
				k := min(chunkSize, size-sent)
				if sent == 0 {
					stamp(chunk)
				}
				if _, err := w.Write(chunk[:k]); err != nil {
					return err
				}
				sent += k
			}
			if err := w.Close(); err != nil {
				return err
			}
		}
		return <-subErr
	}

	var wg sync.WaitGroup
	errs := make(chan error, 2*cfg.Channels)
	ms := memStart()
	start := time.Now()
	for c := range cfg.Channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run("tp"+strconv.Itoa(c), cfg.Segments, cfg.SegmentSize, cfg.ChunkSize, 0, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.AllocsPerSeg, res.BytesPerSeg, res.CPUPerSeg = ms.perSeg(cfg.Channels * cfg.Segments)
	res.Bytes = int64(cfg.Channels * cfg.Segments * cfg.SegmentSize)
	res.MBps = float64(res.Bytes) / res.Elapsed.Seconds() / 1e6

	lats := make([]time.Duration, 0, cfg.Channels*cfg.LatencySegs)
	var mu sync.Mutex
	for c := range cfg.Channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := run("lat"+strconv.Itoa(c), cfg.LatencySegs, 1024, 1024, cfg.pace(), func(d time.Duration) {
				mu.Lock()
				lats = append(lats, d)
				mu.Unlock()
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	res.LatP50, res.LatP99 = pct(lats)

	if cfg.IdleSubs > 0 {
		h, err := idleSubs(ctx, srv, hs.URL, cfg.IdleSubs)
		if err != nil {
			return res, err
		}
		res.IdleSubHeap = h
	}
	return res, nil
}

// idleSubs parks n subscribers at the live edge of one channel (each with
// its GET in flight) and returns the heap they cost, client and server
// side together, per subscriber.
func idleSubs(ctx context.Context, srv *trickle.Server, base string, n int) (float64, error) {
	if err := srv.CreateChannel("idle", "video/mp2t"); err != nil {
		return 0, err
	}
	url := base + "/ai/trickle/idle"
	client := newClient()
	defer client.CloseIdleConnections()
	before := heap()
	subs := make([]*trickle.Subscriber, n)
	started := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range subs {
		s, err := trickle.NewSubscriber(url, trickle.SubscriberConfig{Start: trickle.SeqLive, HTTPClient: client})
		if err != nil {
			return 0, err
		}
		subs[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			seg, err := s.Next(ctx)
			if err == nil {
				seg.Close()
			}
		}()
	}
	for range n {
		<-started
	}
	time.Sleep(300 * time.Millisecond) // let every GET reach the server
	after := heap()
	for _, s := range subs {
		s.Close()
	}
	wg.Wait()
	_ = srv.CloseChannel("idle")
	runtime.KeepAlive(subs)
	return float64(after-before) / float64(n), nil
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type memSnap struct {
	mallocs, bytes uint64
	cpu            time.Duration
}

func memStart() memSnap {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memSnap{m.Mallocs, m.TotalAlloc, cpuTime()}
}

// perSeg returns the allocations, allocated bytes and process CPU time per
// segment since the snapshot.
func (s memSnap) perSeg(segs int) (allocs, bytes float64, cpu time.Duration) {
	c := cpuTime()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.Mallocs-s.mallocs) / float64(segs), float64(m.TotalAlloc-s.bytes) / float64(segs), (c - s.cpu) / time.Duration(segs)
}

func pct(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	return d[len(d)/2], d[min(len(d)-1, len(d)*99/100)]
}

var _ = bytes.MinRead
