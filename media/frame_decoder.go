package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"iter"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
)

// FrameDecoderOptions configures a [FrameDecoder]. The zero value decodes
// at the stream's own size.
type FrameDecoderOptions struct {
	// Width and Height scale every frame to this size; both 0 keeps the
	// stream's size (which may then change between frames).
	Width, Height int
	// Demuxer configures the parsing of each segment given to WriteSegment.
	Demuxer DemuxerOptions
	// FFmpeg locates ffmpeg (5.1 or later) and takes the logger.
	FFmpeg FFmpegOptions
}

// frameInfoQueue bounds how many frame descriptions ffmpeg may log ahead of
// the frames read; ffmpeg's stdout pipe holds less than one frame, so this
// never limits decoding by itself.
const frameInfoQueue = 16

// FrameDecoderArgs returns the ffmpeg arguments a [FrameDecoder] runs:
// MPEG-TS on stdin, probing cut short (the stream starts with its tables and
// a keyframe: a longer probe only holds the first frames back), the first
// video track decoded (slice threads only, so no frame of delay is added),
// every decoded frame passed through
// (-fps_mode passthrough) as packed RGBA on stdout, and one showinfo line
// per frame on stderr giving its timestamp (input timestamps kept with
// -copyts, in 90 kHz ticks) and size.
func FrameDecoderArgs(o FrameDecoderOptions) []string {
	vf := "format=rgba,settb=1/90000,showinfo=checksum=0"
	if o.Width > 0 && o.Height > 0 {
		vf = "scale=" + strconv.Itoa(o.Width) + ":" + strconv.Itoa(o.Height) + "," + vf
	}
	return []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "repeat+level+info",
		"-probesize", "32768", "-analyzeduration", "100000", "-thread_type", "slice",
		"-copyts", "-f", "mpegts", "-i", "pipe:0",
		"-map", "0:v:0", "-an", "-sn", "-dn", "-vf", vf, "-fps_mode", "passthrough",
		"-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1"}
}

// FrameDecoder decodes H.264 in MPEG-TS into RGBA frames with one ffmpeg
// process: MPEG-TS goes in through WriteSegment (segments are joined into
// one continuous stream, as by a [ContinuousWriter]), frames come out of
// ReadFrame or Frames. Input and output run concurrently: feed it from one
// goroutine and read from another (or use [DecodeFrames]).
//
// Memory is bounded: nothing is buffered beyond the OS pipes, ffmpeg's own
// few frames and the frame being read; when frames are not read, ffmpeg
// stops, and then WriteSegment blocks. Cancelling the ctx given to NewFrameDecoder kills
// ffmpeg; Close does the same and must always be called. After either,
// the process is gone once Close returns.
type FrameDecoder struct {
	proc  *Process
	in    *ctxWriter
	cw    *ContinuousWriter
	infos chan frameInfo
	quit  chan struct{}
	log   *slog.Logger

	inMu      sync.Mutex // serialises WriteSegment and CloseInput
	inClosed  bool
	inErr     error // sticky input error
	rdMu      sync.Mutex
	pending   *frameInfo // frame whose bytes are being read
	buf       []byte
	filled    int
	next      int // Index of the next frame
	rdErr     error
	closeOnce sync.Once
	closed    atomic.Bool
}

// NewFrameDecoder starts ffmpeg. It returns ErrFFmpegNotFound when ffmpeg
// is missing, an error for invalid options, or ctx.Err().
func NewFrameDecoder(ctx context.Context, opts FrameDecoderOptions) (*FrameDecoder, error) {
	if (opts.Width == 0) != (opts.Height == 0) || opts.Width < 0 || opts.Height < 0 {
		return nil, fmt.Errorf("media: FrameDecoderOptions: size %dx%d: set both or neither, positive", opts.Width, opts.Height)
	}
	d := &FrameDecoder{infos: make(chan frameInfo, frameInfoQueue), quit: make(chan struct{}), log: opts.FFmpeg.Logger}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	proc, err := startProcessStderr(ctx, opts.FFmpeg, "ffmpeg", FrameDecoderArgs(opts), true, func(tail io.Writer) io.Writer {
		return &showinfoParser{tail: tail, infos: d.infos, quit: d.quit}
	})
	if err != nil {
		return nil, err
	}
	d.proc = proc
	d.in = &ctxWriter{p: proc}
	d.cw = NewContinuousWriter(d.in, ContinuousOptions{Demuxer: opts.Demuxer, Logger: opts.FFmpeg.Logger})
	go func() {
		// Once the process is reaped its stderr is drained: no more infos.
		<-proc.Done()
		close(d.infos)
	}()
	return d, nil
}

// ctxWriter writes to the process's stdin, interrupted when ctx ends.
type ctxWriter struct {
	p   *Process
	ctx context.Context // set by WriteSegment under inMu
}

func (w *ctxWriter) Write(b []byte) (int, error) {
	var n int
	err := withDeadline(w.ctx, w.p.stdin.SetWriteDeadline, func() error {
		var err error
		n, err = w.p.Write(b)
		return err
	})
	return n, err
}

// WriteSegment reads one MPEG-TS segment (or a whole stream) from r to EOF
// and feeds its video to ffmpeg, continuing the stream of the previous
// segments (continuity counters and timestamps run on). It blocks while
// ffmpeg is busy and frames are not being read. A segment that is not
// MPEG-TS returns an error wrapping ErrInvalidStream and feeds nothing (the
// decoder stays usable); ctx.Err() leaves part of the segment fed. It
// returns ErrClosed after Close or CloseInput, or the process's error when
// ffmpeg has failed.
func (d *FrameDecoder) WriteSegment(ctx context.Context, r io.Reader) error {
	d.inMu.Lock()
	defer d.inMu.Unlock()
	if d.inClosed || d.closed.Load() {
		return errFrameDecoderClosed
	}
	if d.inErr != nil {
		return d.inErr
	}
	d.in.ctx = ctx
	err := d.cw.WriteSegment(ctx, r)
	d.in.ctx = nil
	switch {
	case err == nil, errors.Is(err, ErrInvalidStream), ctx.Err() != nil:
		return err
	case d.closed.Load():
		return errFrameDecoderClosed
	}
	// Writing to ffmpeg failed: it has exited (or is exiting).
	<-d.proc.Done()
	if perr := d.proc.Wait(); perr != nil {
		err = perr
	}
	d.inErr = err
	return err
}

// CloseInput ends the input: ffmpeg decodes what it has, the remaining
// frames can be read, then ReadFrame returns io.EOF. It is idempotent.
func (d *FrameDecoder) CloseInput() error {
	d.inMu.Lock()
	defer d.inMu.Unlock()
	if d.inClosed {
		return nil
	}
	d.inClosed = true
	d.in.ctx = context.Background()
	err := d.cw.Close()
	d.in.ctx = nil
	if cerr := d.proc.CloseWrite(); err == nil {
		err = cerr
	}
	if err != nil && d.closed.Load() {
		return nil
	}
	return err
}

// ReadFrame returns the next decoded frame. It returns io.EOF once the
// input was closed and every frame read, ctx.Err() when ctx ends first
// (the next call resumes the same frame), ErrClosed after Close, or the
// process's error (a *ProcessError) when ffmpeg failed. Errors other than
// ctx's are sticky.
func (d *FrameDecoder) ReadFrame(ctx context.Context) (Frame, error) {
	d.rdMu.Lock()
	defer d.rdMu.Unlock()
	if d.rdErr != nil {
		return Frame{}, d.rdErr
	}
	if d.closed.Load() {
		return Frame{}, errFrameDecoderClosed
	}
	if d.pending == nil {
		select {
		case fi, ok := <-d.infos:
			if !ok {
				d.rdErr = d.endErr()
				return Frame{}, d.rdErr
			}
			if fi.w <= 0 || fi.h <= 0 || fi.w > 1<<14 || fi.h > 1<<14 {
				d.rdErr = fmt.Errorf("media: frame decoder: ffmpeg reported a %dx%d frame", fi.w, fi.h)
				return Frame{}, d.rdErr
			}
			d.pending = &fi
			d.buf = make([]byte, fi.w*fi.h*4)
			d.filled = 0
		case <-ctx.Done():
			return Frame{}, ctx.Err()
		}
	}
	err := withDeadline(ctx, d.proc.stdout.SetReadDeadline, func() error {
		for d.filled < len(d.buf) {
			n, err := d.proc.stdout.Read(d.buf[d.filled:])
			d.filled += n
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return Frame{}, err
		}
		if d.closed.Load() {
			d.rdErr = errFrameDecoderClosed
		} else if perr := d.endErr(); perr != nil && !errors.Is(perr, io.EOF) {
			d.rdErr = perr
		} else {
			d.rdErr = fmt.Errorf("media: frame decoder: frame %d cut short after %d of %d bytes: %w", d.next, d.filled, len(d.buf), io.ErrUnexpectedEOF)
		}
		return Frame{}, d.rdErr
	}
	fi := d.pending
	f := Frame{Index: d.next, PTS: fi.pts, Image: &image.RGBA{Pix: d.buf, Stride: fi.w * 4, Rect: image.Rect(0, 0, fi.w, fi.h)}}
	if !fi.hasPTS {
		f.PTS = -1
	}
	d.pending, d.buf, d.filled = nil, nil, 0
	d.next++
	return f, nil
}

// endErr is the reader's error once ffmpeg's output ended: io.EOF when it
// exited cleanly, otherwise its error.
func (d *FrameDecoder) endErr() error {
	for range d.infos { // closed once the process is reaped
	}
	if d.closed.Load() {
		return errFrameDecoderClosed
	}
	if err := d.proc.Wait(); err != nil {
		return err
	}
	return io.EOF
}

// Frames returns the frames as they are decoded, until the input ends (no
// error) or ReadFrame fails (the error is yielded once). Breaking out of the
// loop leaves the decoder usable.
func (d *FrameDecoder) Frames(ctx context.Context) iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		for {
			f, err := d.ReadFrame(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(f, err) || err != nil {
				return
			}
		}
	}
}

// Close kills ffmpeg (if still running), waits for it to be reaped and
// releases the pipes; calls blocked in WriteSegment or ReadFrame return
// ErrClosed. It is idempotent and returns nil.
func (d *FrameDecoder) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		close(d.quit)
		_ = d.proc.Close()
	})
	return nil
}

// DecodeFrames decodes a sequence of MPEG-TS segments (for example a live
// session's Subscribe) into frames. One ffmpeg process decodes the segments
// joined into one stream; frames are yielded as they are decoded, in
// presentation order, with their PTS (see [Frame]). Segments that are not
// MPEG-TS are skipped; a segment that is an io.Closer is closed once fed.
//
// The sequence ends when segs ends and every frame was yielded; it yields
// an error once and ends when segs yields one (after the frames decoded
// before it), when ffmpeg fails, or with ctx.Err(). Memory is bounded: a
// consumer slower than the stream blocks the reading of segs. ffmpeg is
// gone when the loop ends, however it ends; the goroutine reading segs
// returns at segs' next yield (segs should honour ctx).
func DecodeFrames[R io.Reader](ctx context.Context, segs iter.Seq2[R, error], opts FrameDecoderOptions) iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		d, err := NewFrameDecoder(ctx, opts)
		if err != nil {
			yield(Frame{}, err)
			return
		}
		defer d.Close()
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		feedErr := make(chan error, 1)
		go func() { feedErr <- feedSegments(fctx, d, segs) }()
		for {
			f, err := d.ReadFrame(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				select {
				case ferr := <-feedErr:
					if ferr != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
						err = ferr
					}
				default:
				}
				yield(Frame{}, err)
				return
			}
			if !yield(f, nil) {
				return
			}
		}
		if err := <-feedErr; err != nil {
			yield(Frame{}, err)
		}
	}
}

// feedSegments writes every segment of segs into d, then ends the input.
// A segment source error also ends the input, so the frames decoded before
// it are still read, and is returned.
func feedSegments[R io.Reader](ctx context.Context, d *FrameDecoder, segs iter.Seq2[R, error]) error {
	var err error
	for seg, serr := range segs {
		if serr != nil {
			err = serr
			break
		}
		werr := d.WriteSegment(ctx, seg)
		if c, ok := any(seg).(io.Closer); ok {
			_ = c.Close()
		}
		if errors.Is(werr, ErrInvalidStream) {
			d.log.Debug("media: frame decoder: skipped a segment", "err", werr)
			continue
		}
		if werr != nil {
			return werr
		}
	}
	if cerr := d.CloseInput(); err == nil {
		err = cerr
	}
	return err
}
