package media

import "sync"

// defaultStep is the DTS increment assumed for the first frame after a jump
// when no increment has been observed yet (one frame at 30 fps).
const defaultStep = ClockRate / 30

// Timeline maps the timestamps of one or more consecutive inputs onto one
// monotonic output timeline. The output is the input plus an offset; the offset
// starts at 0 and changes only when the leading track (video, or audio when
// there is no video) goes backwards (or forward by more than MaxGap): the next
// frame is then placed one frame interval after the last one.
//
// Share one Timeline between a Segmenter and its successor (after a publisher
// reconnect, a new source, a restarted encoder) and the output continues where
// it left off. A Timeline is safe for concurrent use.
type Timeline struct {
	// MaxGap, when > 0, also treats a forward jump of the leading track larger
	// than MaxGap ticks as a discontinuity. Set it before first use.
	MaxGap int64

	mu        sync.Mutex
	started   bool
	offset    int64
	lastDTS   int64 // last output DTS of the leading track
	step      int64 // last observed leading DTS increment
	jumps     int
	lastAudio int64
	hasAudio  bool
}

// NewTimeline returns a Timeline whose offset starts at 0.
func NewTimeline() *Timeline { return &Timeline{} }

// mapLeading maps a leading-track frame and returns output PTS and DTS.
func (t *Timeline) mapLeading(pts, dts int64) (int64, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := dts + t.offset
	if t.started {
		jump := out <= t.lastDTS || (t.MaxGap > 0 && out-t.lastDTS > t.MaxGap)
		if jump {
			step := t.step
			if step <= 0 {
				step = defaultStep
			}
			t.offset = t.lastDTS + step - dts
			t.jumps++
			out = dts + t.offset
		} else {
			t.step = out - t.lastDTS
		}
	}
	t.started = true
	t.lastDTS = out
	return pts + t.offset, out
}

// mapFollower maps a frame of a non-leading track (audio alongside video). It
// returns false when the output would not be strictly increasing for that track;
// the caller drops the frame.
func (t *Timeline) mapFollower(pts int64) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := pts + t.offset
	if t.hasAudio && out <= t.lastAudio {
		return 0, false
	}
	t.hasAudio = true
	t.lastAudio = out
	return out, true
}

// Last returns the last output DTS of the leading track and whether any frame
// was mapped yet.
func (t *Timeline) Last() (dts int64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastDTS, t.started
}

// Offset returns the current offset added to input timestamps.
func (t *Timeline) Offset() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.offset
}

// Jumps returns how many discontinuities the Timeline has corrected.
func (t *Timeline) Jumps() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.jumps
}
