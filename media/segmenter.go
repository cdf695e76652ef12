package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	mtscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// Default segment durations of [SegmenterOptions].
const (
	DefaultMinSegmentDuration = time.Second
	DefaultMaxSegmentDuration = 10 * time.Second
)

// SegmenterOptions configures a [Segmenter]. The zero value is an H.264-only
// segmenter with the default durations.
type SegmenterOptions struct {
	// AudioOnly removes the H.264 track (then Audio must be set and segments
	// are cut on audio frames).
	AudioOnly bool
	// Audio adds an AAC track when non-nil.
	Audio *AudioConfig
	// MinSegmentDuration is the media time a segment must span before a keyframe
	// may start the next one; it avoids sub-second segments when keyframes are
	// frequent. 0 means DefaultMinSegmentDuration; negative means no minimum.
	MinSegmentDuration time.Duration
	// MinSegmentWallClock is the wall-clock time a segment must have been open
	// before a keyframe may start the next one (protects the network from a
	// bursting source). 0 means no minimum.
	MinSegmentWallClock time.Duration
	// MaxSegmentDuration cuts a segment after this much media time even without
	// a keyframe (the next segment then starts with PAT/PMT and a non-IDR frame,
	// counted in SegmenterStats.ForcedCuts). 0 means DefaultMaxSegmentDuration;
	// negative means no maximum.
	MaxSegmentDuration time.Duration
	// Timeline maps input timestamps to output timestamps. Share one between
	// successive Segmenters to keep output timestamps monotonic across restarts.
	// nil means a new Timeline.
	Timeline *Timeline
	// Logger receives debug and warning logs; nil means silent.
	Logger *slog.Logger
}

// SegmenterStats counts what a [Segmenter] did.
type SegmenterStats struct {
	SegmentsStarted       int
	SegmentsCompleted     int
	SegmentsFailed        int // a write into the segment failed; the rest of its GOP was dropped
	ForcedCuts            int // cuts at MaxSegmentDuration without a keyframe
	VideoFrames           int
	AudioFrames           int
	Bytes                 int64
	DroppedBeforeKeyframe int // frames before the first keyframe, or after a failed segment
	DroppedNonMonotonic   int // audio frames whose timestamp did not increase
	DroppedInvalid        int // access units rejected with ErrInvalidAccessUnit
}

// Segmenter muxes H.264 and AAC access units into MPEG-TS segments, one per
// GOP (or several GOPs when keyframes come faster than MinSegmentDuration).
// Each segment starts with PAT/PMT and an IDR frame so it decodes on its own
// (the last SPS/PPS are re-inserted before an IDR that lacks them); its bytes
// are flushed into the sink after every access unit. Continuity
// counters continue across segments, so the segments concatenated are one
// valid stream.
//
// Access units before the first IDR are dropped (counted in Stats). Methods are
// safe for concurrent use; writes block while the sink accepts the bytes.
type Segmenter struct {
	sink  SegmentSink
	opts  SegmenterOptions
	log   *slog.Logger
	tl    *Timeline
	minD  int64
	maxD  int64
	video *mpegts.Track
	audio *mpegts.Track

	mu       sync.Mutex
	mw       *mpegts.Writer
	out      segOut
	bw       *bufio.Writer
	dtsx     *h264.DTSExtractor
	started  bool // a first keyframe was seen
	waitKey  bool // drop video until the next keyframe (after a failed segment)
	segStart int64
	segWall  time.Time
	closed   bool
	lastErr  error  // last segment write error, see takeWriteErr
	sps, pps []byte // last parameter sets seen, re-inserted before IDRs that lack them
	stats    SegmenterStats
}

// segOut forwards muxer output to the current segment writer.
type segOut struct {
	w io.WriteCloser
	n int64
}

func (o *segOut) Write(p []byte) (int, error) {
	if o.w == nil {
		return 0, errNoSegment
	}
	n, err := o.w.Write(p)
	o.n += int64(n)
	return n, err
}

var errNoSegment = errors.New("media: no open segment")

// NewSegmenter returns a Segmenter writing into sink. It fails on invalid options.
func NewSegmenter(sink SegmentSink, opts SegmenterOptions) (*Segmenter, error) {
	if sink == nil {
		return nil, errors.New("media: NewSegmenter: nil sink")
	}
	if opts.AudioOnly && opts.Audio == nil {
		return nil, errors.New("media: SegmenterOptions.AudioOnly needs Audio")
	}
	s := &Segmenter{sink: sink, opts: opts, log: opts.Logger, tl: opts.Timeline}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.tl == nil {
		s.tl = NewTimeline()
	}
	s.minD = durOpt(opts.MinSegmentDuration, DefaultMinSegmentDuration)
	s.maxD = durOpt(opts.MaxSegmentDuration, DefaultMaxSegmentDuration)
	var tracks []*mpegts.Track
	if !opts.AudioOnly {
		s.video = &mpegts.Track{Codec: &mtscodecs.H264{}}
		tracks = append(tracks, s.video)
	}
	if opts.Audio != nil {
		cfg, err := aacConfig(*opts.Audio)
		if err != nil {
			return nil, err
		}
		s.audio = &mpegts.Track{Codec: &mtscodecs.MPEG4Audio{Config: cfg}}
		tracks = append(tracks, s.audio)
	}
	s.bw = bufio.NewWriterSize(&s.out, 64<<10)
	s.mw = &mpegts.Writer{W: s.bw, Tracks: tracks}
	if err := s.mw.Initialize(); err != nil {
		return nil, fmt.Errorf("media: init muxer: %w", err)
	}
	s.dtsx = &h264.DTSExtractor{}
	s.dtsx.Initialize()
	return s, nil
}

func durOpt(d, def time.Duration) int64 {
	switch {
	case d == 0:
		return Ticks(def)
	case d < 0:
		return -1
	}
	return Ticks(d)
}

func aacConfig(c AudioConfig) (mpeg4audio.AudioSpecificConfig, error) {
	if err := c.validate(); err != nil {
		return mpeg4audio.AudioSpecificConfig{}, err
	}
	ot := c.ObjectType
	if ot == 0 {
		ot = int(mpeg4audio.ObjectTypeAACLC)
	}
	ch := uint8(c.Channels)
	if c.Channels == 8 {
		ch = 7
	}
	return mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectType(ot), SampleRate: c.SampleRate, ChannelConfig: ch}, nil
}

// Timeline returns the Timeline the Segmenter maps timestamps with.
func (s *Segmenter) Timeline() *Timeline { return s.tl }

// Stats returns a snapshot of the counters.
func (s *Segmenter) Stats() SegmenterStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes = s.out.n
	return st
}

// WriteH264 muxes one H.264 access unit in Annex-B form with its PTS (90 kHz
// ticks); the DTS is derived from the SPS and picture order count. An access
// unit that cannot be parsed returns an error wrapping ErrInvalidAccessUnit
// (non-fatal). An error from opening a segment is a *SinkError (fatal).
func (s *Segmenter) WriteH264(ctx context.Context, pts int64, au []byte) error {
	nalus, err := splitAnnexB(au)
	if err != nil {
		s.countInvalid()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errSegmenterClosed
	}
	if s.video == nil {
		return fmt.Errorf("%w: segmenter has no video track", ErrUnsupportedCodec)
	}
	dts, err := s.dtsx.Extract(nalus, pts)
	if err != nil && h264.IsRandomAccess(nalus) {
		// A new IDR after a discontinuity: start DTS extraction afresh.
		s.dtsx = &h264.DTSExtractor{}
		s.dtsx.Initialize()
		dts, err = s.dtsx.Extract(nalus, pts)
	}
	if err != nil {
		if !s.started && !h264.IsRandomAccess(nalus) {
			s.stats.DroppedBeforeKeyframe++
			return nil
		}
		s.stats.DroppedInvalid++
		return fmt.Errorf("%w: DTS: %v", ErrInvalidAccessUnit, err)
	}
	return s.writeVideoLocked(ctx, pts, dts, nalus)
}

// WriteAAC muxes one raw AAC frame (no ADTS header) with its PTS (90 kHz ticks).
func (s *Segmenter) WriteAAC(ctx context.Context, pts int64, frame []byte) error {
	return s.WritePacket(ctx, Packet{Codec: CodecAAC, PTS: pts, DTS: pts, Data: frame})
}

// WritePacket muxes one packet with the timestamps it carries (DTS is used as
// given; use WriteH264 to derive it). Errors are as for WriteH264.
func (s *Segmenter) WritePacket(ctx context.Context, p Packet) error {
	switch p.Codec {
	case CodecH264:
		nalus, err := splitAnnexB(p.Data)
		if err != nil {
			s.countInvalid()
			return err
		}
		if p.DTS > p.PTS {
			s.countInvalid()
			return fmt.Errorf("%w: DTS %d after PTS %d", ErrInvalidAccessUnit, p.DTS, p.PTS)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return errSegmenterClosed
		}
		if s.video == nil {
			return fmt.Errorf("%w: segmenter has no video track", ErrUnsupportedCodec)
		}
		return s.writeVideoLocked(ctx, p.PTS, p.DTS, nalus)
	case CodecAAC:
		if len(p.Data) == 0 || len(p.Data) > 8191-7 {
			s.countInvalid()
			return fmt.Errorf("%w: AAC frame of %d bytes", ErrInvalidAccessUnit, len(p.Data))
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return errSegmenterClosed
		}
		if s.audio == nil {
			return fmt.Errorf("%w: segmenter has no audio track", ErrUnsupportedCodec)
		}
		return s.writeAudioLocked(ctx, p.PTS, p.Data)
	}
	return fmt.Errorf("%w: %v", ErrUnsupportedCodec, p.Codec)
}

func (s *Segmenter) countInvalid() {
	s.mu.Lock()
	s.stats.DroppedInvalid++
	s.mu.Unlock()
}

func (s *Segmenter) writeVideoLocked(ctx context.Context, pts, dts int64, nalus [][]byte) error {
	key := h264.IsRandomAccess(nalus)
	if key {
		nalus = s.withParamSetsLocked(nalus)
	} else {
		s.rememberParamSetsLocked(nalus)
	}
	if !s.started && !key {
		s.stats.DroppedBeforeKeyframe++
		return nil
	}
	opts, outDTS := s.tl.mapLeading(pts, dts)
	outPTS := opts
	if err := s.cutLocked(ctx, outDTS, key); err != nil {
		return err
	}
	if s.out.w == nil { // failed segment: wait for the next keyframe
		s.stats.DroppedBeforeKeyframe++
		return nil
	}
	if err := s.mw.WriteH264(s.video, outPTS, outDTS, nalus); err != nil {
		s.failSegmentLocked(err)
		return nil
	}
	if s.flushLocked() {
		s.stats.VideoFrames++
	}
	return nil
}

func (s *Segmenter) writeAudioLocked(ctx context.Context, pts int64, frame []byte) error {
	var out int64
	if s.video == nil {
		_, out = s.tl.mapLeading(pts, pts)
		if err := s.cutLocked(ctx, out, true); err != nil {
			return err
		}
	} else {
		if !s.started {
			s.stats.DroppedBeforeKeyframe++
			return nil
		}
		var ok bool
		out, ok = s.tl.mapFollower(pts)
		if !ok {
			s.stats.DroppedNonMonotonic++
			return nil
		}
	}
	if s.out.w == nil {
		s.stats.DroppedBeforeKeyframe++
		return nil
	}
	if err := s.mw.WriteMPEG4Audio(s.audio, out, [][]byte{frame}); err != nil {
		s.failSegmentLocked(err)
		return nil
	}
	if s.flushLocked() {
		s.stats.AudioFrames++
	}
	return nil
}

// rememberParamSetsLocked keeps the last SPS and PPS of the stream.
func (s *Segmenter) rememberParamSetsLocked(nalus [][]byte) (hasSPS, hasPPS bool) {
	for _, n := range nalus {
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			s.sps, hasSPS = bytes.Clone(n), true
		case h264.NALUTypePPS:
			s.pps, hasPPS = bytes.Clone(n), true
		}
	}
	return hasSPS, hasPPS
}

// withParamSetsLocked prepends the last SPS/PPS to an IDR access unit that
// lacks them (encoders that send parameter sets only once), so that every
// segment decodes on its own.
func (s *Segmenter) withParamSetsLocked(nalus [][]byte) [][]byte {
	hasSPS, hasPPS := s.rememberParamSetsLocked(nalus)
	if (hasSPS || s.sps == nil) && (hasPPS || s.pps == nil) {
		return nalus
	}
	out := make([][]byte, 0, len(nalus)+2)
	if !hasSPS && s.sps != nil {
		out = append(out, s.sps)
	}
	if !hasPPS && s.pps != nil {
		out = append(out, s.pps)
	}
	return append(out, nalus...)
}

// cutLocked decides whether a leading-track frame at dts starts a new segment
// and, if so, closes the current one and opens the next.
func (s *Segmenter) cutLocked(ctx context.Context, dts int64, key bool) error {
	forced := false
	switch {
	case !s.started:
	case s.out.w == nil:
		if !key {
			return nil
		}
	default:
		span := dts - s.segStart
		okMin := (s.minD < 0 || span >= s.minD) &&
			(s.opts.MinSegmentWallClock <= 0 || time.Since(s.segWall) >= s.opts.MinSegmentWallClock)
		switch {
		case key && okMin:
		case s.maxD >= 0 && span >= s.maxD:
			forced = !key
		default:
			return nil
		}
		s.closeSegmentLocked()
	}
	w, err := s.sink.NextSegment(ctx)
	if err != nil {
		return &SinkError{Err: err}
	}
	if w == nil {
		return &SinkError{Err: errors.New("sink returned a nil writer")}
	}
	s.started = true
	s.out.w = w
	s.bw.Reset(&s.out)
	s.segStart = dts
	s.segWall = time.Now()
	s.stats.SegmentsStarted++
	if forced {
		s.stats.ForcedCuts++
		if _, err := s.mw.WriteTables(); err != nil {
			s.failSegmentLocked(err)
		}
	}
	s.log.Debug("media: segment started", "seq", s.stats.SegmentsStarted, "dts", dts, "forced", forced)
	return nil
}

// flushLocked pushes the muxed access unit into the segment; false means the
// segment failed.
func (s *Segmenter) flushLocked() bool {
	if err := s.bw.Flush(); err != nil {
		s.failSegmentLocked(err)
		return false
	}
	return true
}

func (s *Segmenter) failSegmentLocked(err error) {
	s.log.Warn("media: segment write failed; dropping the rest of the GOP", "err", err)
	s.lastErr = err
	s.stats.SegmentsFailed++
	if s.out.w != nil {
		_ = s.out.w.Close()
	}
	s.out.w = nil
	s.bw.Reset(&s.out)
}

func (s *Segmenter) closeSegmentLocked() error {
	if s.out.w == nil {
		return nil
	}
	err := s.bw.Flush()
	if cerr := s.out.w.Close(); err == nil {
		err = cerr
	}
	s.out.w = nil
	s.bw.Reset(&s.out)
	if err != nil {
		s.stats.SegmentsFailed++
		s.log.Warn("media: closing segment failed", "err", err)
		return err
	}
	s.stats.SegmentsCompleted++
	return nil
}

// takeWriteErr returns and clears the last segment write error.
func (s *Segmenter) takeWriteErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.lastErr
	s.lastErr = nil
	return err
}

// Close ends the current segment and makes further writes return errSegmenterClosed.
// It returns the error from closing the last segment, if any. Close is
// idempotent; it does not close the sink.
func (s *Segmenter) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeSegmentLocked()
}
