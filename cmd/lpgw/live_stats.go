package main

import (
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"
)

// liveStats is what the progress line shows.
type liveStats struct {
	Elapsed     time.Duration
	SegmentsIn  int           // input segments started
	SegmentsOut int           // output segments received
	Latency     time.Duration // publish→output of the latest output segment (0: none yet)
	OutputFPS   float64       // output frames per second over the last fpsWindow
	Spent       *big.Rat      // wei of ticket EV the signer committed for this process
	Payments    int
}

// fpsWindow is the span the output frame rate is measured over.
const fpsWindow = 3 * time.Second

// liveMeter observes a live session from the outside: the segments this
// process publishes and reads (their start times, matched by sequence
// number: output segment k is the pipeline's answer to input segment k,
// which both in-process pipelines and ai-runner keep), the frames written
// to the output, and what the signer was asked to pay (spendMeter).
//
// stats is the one place these are turned into numbers; when
// LiveSession.Stats() lands it can read from there instead.
type liveMeter struct {
	start time.Time
	spend *spendMeter

	mu      sync.Mutex
	inStart []time.Time // by input sequence number
	outs    int
	latency time.Duration
	frames  []frameSample // cumulative output frames, oldest first
}

type frameSample struct {
	at     time.Time
	frames int
}

func newLiveMeter(start time.Time, spend *spendMeter) *liveMeter {
	return &liveMeter{start: start, spend: spend}
}

// segmentIn records that input segment number len(inStart) starts now.
func (m *liveMeter) segmentIn(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inStart = append(m.inStart, now)
}

// segmentOut records that output segment seq started arriving now.
func (m *liveMeter) segmentOut(seq int, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outs++
	if seq >= 0 && seq < len(m.inStart) {
		m.latency = now.Sub(m.inStart[seq])
	}
}

// outputFrames records the output's cumulative frame count.
func (m *liveMeter) outputFrames(total int, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frames = append(m.frames, frameSample{now, total})
	for len(m.frames) > 2 && now.Sub(m.frames[1].at) >= fpsWindow {
		m.frames = m.frames[1:]
	}
}

// stats computes the numbers shown at now.
func (m *liveMeter) stats(now time.Time) liveStats {
	m.mu.Lock()
	st := liveStats{Elapsed: now.Sub(m.start), SegmentsIn: len(m.inStart), SegmentsOut: m.outs, Latency: m.latency}
	if k := len(m.frames); k >= 2 {
		first, last := m.frames[0], m.frames[k-1]
		if span := last.at.Sub(first.at); span > 0 {
			st.OutputFPS = float64(last.frames-first.frames) / span.Seconds()
		}
	}
	m.mu.Unlock()
	st.Spent, st.Payments = m.spend.Spent()
	return st
}

// String is the progress line.
func (s liveStats) String() string {
	lat := "-"
	if s.Latency > 0 {
		lat = s.Latency.Round(time.Millisecond).String()
	}
	el := s.Elapsed.Truncate(time.Second)
	return fmt.Sprintf("%02d:%02d  in %d seg  out %d seg  latency %s  %.1f fps  spent %s (%s)",
		int(el.Minutes()), int(el.Seconds())%60, s.SegmentsIn, s.SegmentsOut, lat, s.OutputFPS, formatWei(s.Spent), plural(s.Payments, "payment"))
}

// progress shows a liveMeter's line on w until stop: redrawn in place
// every tick on a terminal, a new line every interval otherwise. stop
// prints the final line and waits.
func progress(w io.Writer, tty bool, interval time.Duration, m *liveMeter) (stop func()) {
	tick := interval
	if tty {
		tick = 250 * time.Millisecond
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	show := func(final bool) {
		line := m.stats(time.Now()).String()
		switch {
		case tty && final:
			fmt.Fprintf(w, "\r\033[K%s\n", line)
		case tty:
			fmt.Fprintf(w, "\r\033[K%s", line)
		default:
			fmt.Fprintln(w, line)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				show(false)
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			show(true)
		})
	}
}
