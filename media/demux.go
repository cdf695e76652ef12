package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	mtscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// DefaultProbeLimit is how many bytes a [Demuxer] reads looking for PAT/PMT
// before it gives up with ErrInvalidStream.
const DefaultProbeLimit = 4 << 20

// DemuxerOptions configures a [Demuxer].
type DemuxerOptions struct {
	// ProbeLimit bounds the bytes read (and buffered) before the program tables
	// are found; 0 means DefaultProbeLimit.
	ProbeLimit int
	// Logger receives debug logs about skipped data; nil means silent.
	Logger *slog.Logger
}

// DemuxerStats counts what a [Demuxer] did.
type DemuxerStats struct {
	VideoPackets int
	AudioPackets int
	DecodeErrors int // corrupt or unsupported data skipped
}

// Demuxer reads an MPEG-TS byte stream (one segment or a continuous stream)
// and returns its H.264 and AAC access units as [Packet]s in stream order,
// with timestamps unwrapped past the 33-bit MPEG-TS limit. Other tracks are
// ignored. Corrupt data is skipped and counted, never a panic.
//
// Demux each trickle segment with its own Demuxer (or join segments with a
// [ContinuousWriter]): in a byte concatenation of segments from different
// muxers, the continuity-counter break at the join makes the underlying TS
// parser discard the last video access unit of the earlier segment.
//
// A Demuxer is not safe for concurrent use. It blocks in the underlying
// reader's Read; close that reader to abandon a blocked ReadPacket.
type Demuxer struct {
	r     io.Reader
	opts  DemuxerOptions
	log   *slog.Logger
	lim   *probeLimitReader
	mr    *mpegts.Reader
	err   error
	init  bool
	queue []Packet
	video bool
	audio *AudioConfig
	vLast int64
	vSeen bool
	aLast int64
	aSeen bool
	stats DemuxerStats
}

// NewDemuxer returns a Demuxer reading r. Nothing is read until ReadPacket.
func NewDemuxer(r io.Reader, opts DemuxerOptions) *Demuxer {
	if opts.ProbeLimit <= 0 {
		opts.ProbeLimit = DefaultProbeLimit
	}
	d := &Demuxer{r: r, opts: opts, log: opts.Logger}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	return d
}

// probeLimitReader fails once more than limit bytes are read while probing.
type probeLimitReader struct {
	r       io.Reader
	n       int
	limit   int
	probing bool
	rerr    error // last non-EOF error of r
}

var errProbeLimit = errors.New("probe limit reached")

func (p *probeLimitReader) Read(b []byte) (int, error) {
	if p.probing && p.n >= p.limit {
		return 0, errProbeLimit
	}
	n, err := p.r.Read(b)
	p.n += n
	if err != nil && err != io.EOF {
		p.rerr = err
	}
	return n, err
}

// HasVideo reports whether the stream has an H.264 track. Valid after the first
// successful ReadPacket.
func (d *Demuxer) HasVideo() bool { return d.video }

// Audio returns the AAC track's configuration, or nil when the stream has no
// AAC track. Valid after the first successful ReadPacket.
func (d *Demuxer) Audio() *AudioConfig { return d.audio }

// Stats returns a snapshot of the counters.
func (d *Demuxer) Stats() DemuxerStats { return d.stats }

// ReadPacket returns the next access unit. At the end of the stream it returns
// io.EOF. A stream without PAT/PMT returns an error wrapping ErrInvalidStream;
// one without H.264 or AAC tracks wraps ErrUnsupportedCodec; errors from the
// underlying reader are returned as they are. Errors are sticky.
func (d *Demuxer) ReadPacket() (Packet, error) {
	for len(d.queue) == 0 {
		if d.err != nil {
			return Packet{}, d.err
		}
		if !d.init {
			d.err = d.initialize()
			d.init = true
			continue
		}
		if err := d.readOne(); err != nil {
			d.err = err
		}
	}
	p := d.queue[0]
	d.queue[0] = Packet{}
	d.queue = d.queue[1:]
	return p, nil
}

func (d *Demuxer) readOne() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: demuxer panic: %v", ErrInvalidStream, r)
		}
	}()
	return d.mr.Read()
}

func (d *Demuxer) initialize() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: demuxer panic: %v", ErrInvalidStream, r)
		}
	}()
	d.lim = &probeLimitReader{r: d.r, limit: d.opts.ProbeLimit, probing: true}
	d.mr = &mpegts.Reader{R: d.lim}
	if err := d.mr.Initialize(); err != nil {
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: no PAT/PMT before end of stream", ErrInvalidStream)
		case errors.Is(err, errProbeLimit):
			return fmt.Errorf("%w: no PAT/PMT in the first %d bytes", ErrInvalidStream, d.opts.ProbeLimit)
		}
		if d.lim.rerr != nil && errors.Is(err, d.lim.rerr) {
			return err // the reader failed (closed pipe, network): not a stream problem
		}
		return fmt.Errorf("%w: %v", ErrInvalidStream, err)
	}
	d.lim.probing = false
	d.mr.OnDecodeError(func(err error) {
		d.stats.DecodeErrors++
		d.log.Debug("media: demux: skipped data", "err", err)
	})
	for _, t := range d.mr.Tracks() {
		switch c := t.Codec.(type) {
		case *mtscodecs.H264:
			if d.video {
				continue
			}
			d.video = true
			d.mr.OnDataH264(t, d.onH264)
		case *mtscodecs.MPEG4Audio:
			if d.audio != nil {
				continue
			}
			ch := int(c.ChannelConfig)
			if ch == 7 {
				ch = 8
			}
			d.audio = &AudioConfig{SampleRate: c.SampleRate, Channels: ch, ObjectType: int(c.Type)}
			d.mr.OnDataMPEG4Audio(t, d.onAAC)
		}
	}
	if !d.video && d.audio == nil {
		return fmt.Errorf("%w: no H.264 or AAC track", ErrUnsupportedCodec)
	}
	return nil
}

const wrap33 = int64(1) << 33

// unwrap returns the value congruent to raw (mod 2^33) closest to ref.
func unwrap(ref, raw int64) int64 {
	raw &= wrap33 - 1
	base := ref - ref&(wrap33-1)
	v := base + raw
	switch {
	case v-ref > wrap33/2:
		v -= wrap33
	case ref-v > wrap33/2:
		v += wrap33
	}
	return v
}

func (d *Demuxer) onH264(pts, dts int64, au [][]byte) error {
	nalus := au[:0:0]
	for _, n := range au {
		if len(n) > 0 {
			nalus = append(nalus, n)
		}
	}
	if len(nalus) == 0 {
		d.stats.DecodeErrors++
		return nil
	}
	if d.vSeen {
		dts = unwrap(d.vLast, dts)
	}
	pts = unwrap(dts, pts)
	d.vLast, d.vSeen = dts, true
	d.stats.VideoPackets++
	d.queue = append(d.queue, Packet{Codec: CodecH264, PTS: pts, DTS: dts, Data: joinAnnexB(nalus), Keyframe: h264.IsRandomAccess(nalus)})
	return nil
}

func (d *Demuxer) onAAC(pts int64, aus [][]byte) error {
	if d.aSeen {
		pts = unwrap(d.aLast, pts)
	} else if d.vSeen {
		pts = unwrap(d.vLast, pts)
	}
	step := d.audio.frameTicks()
	for i, au := range aus {
		if len(au) == 0 {
			d.stats.DecodeErrors++
			continue
		}
		t := pts + int64(i)*step
		d.stats.AudioPackets++
		d.queue = append(d.queue, Packet{Codec: CodecAAC, PTS: t, DTS: t, Data: bytes.Clone(au), Keyframe: true})
	}
	d.aLast, d.aSeen = pts, true
	return nil
}
