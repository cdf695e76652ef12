package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
)

// DefaultFrameRate is the frame rate of a [FrameEncoder] whose options set none.
const DefaultFrameRate = 30

// DefaultQueueFrames is how many frames a [FrameEncoder] holds between the
// caller and ffmpeg when its options set no QueueFrames.
const DefaultQueueFrames = 2

// FrameEncoderOptions configures a [FrameEncoder]. Width and Height are
// required; zero values of the others pick the defaults in brackets.
type FrameEncoderOptions struct {
	// Width and Height are the frame size in pixels: positive and even
	// (H.264 4:2:0). Every frame written must have this size.
	Width, Height int
	// FrameRate is in frames per second [DefaultFrameRate]. Frame n is
	// stamped n/FrameRate after the first; the encoder does not pace
	// writes: call it at the rate the frames come (a time.Ticker for
	// drawn frames).
	FrameRate float64
	// PixelFormat is the raw layout sent to ffmpeg and taken by WriteRaw
	// [PixelRGBA].
	PixelFormat PixelFormat
	// Encode sets the H.264 encoder (libx264, zerolatency, no B-frames):
	// keyframe interval [2s], bitrate, preset. Segments are cut at keyframes.
	Encode EncodeOptions
	// Segmenter configures the MPEG-TS segments written to the sink.
	Segmenter SegmenterOptions
	// QueueFrames bounds the frames accepted but not yet taken by ffmpeg
	// [DefaultQueueFrames]; when it is full, writes block (backpressure
	// from ffmpeg and, through it, from the sink).
	QueueFrames int
	// FFmpeg locates ffmpeg.
	FFmpeg FFmpegOptions
}

func (o *FrameEncoderOptions) validate() error {
	if o.Width <= 0 || o.Height <= 0 || o.Width%2 != 0 || o.Height%2 != 0 {
		return fmt.Errorf("media: FrameEncoderOptions: size %dx%d: width and height must be positive and even", o.Width, o.Height)
	}
	if o.FrameRate < 0 || o.FrameRate > 1000 {
		return fmt.Errorf("media: FrameEncoderOptions.FrameRate %g: must be in (0, 1000]", o.FrameRate)
	}
	if o.FrameRate == 0 {
		o.FrameRate = DefaultFrameRate
	}
	switch o.PixelFormat {
	case 0:
		o.PixelFormat = PixelRGBA
	case PixelRGBA, PixelYUV420:
	default:
		return fmt.Errorf("media: FrameEncoderOptions.PixelFormat %v: unknown", o.PixelFormat)
	}
	if o.QueueFrames <= 0 {
		o.QueueFrames = DefaultQueueFrames
	}
	return nil
}

// FrameEncoderArgs returns the ffmpeg arguments a [FrameEncoder] with
// these options runs (after defaults are applied).
func FrameEncoderArgs(o FrameEncoderOptions) []string {
	if o.FrameRate == 0 {
		o.FrameRate = DefaultFrameRate
	}
	if o.PixelFormat == 0 {
		o.PixelFormat = PixelRGBA
	}
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "rawvideo", "-pix_fmt", o.PixelFormat.ffmpeg(),
		"-video_size", strconv.Itoa(o.Width) + "x" + strconv.Itoa(o.Height),
		"-framerate", strconv.FormatFloat(o.FrameRate, 'g', -1, 64),
		"-i", "pipe:0", "-an"}
	args = append(args, o.Encode.videoArgs(o.FrameRate)...)
	return append(args, tsOutArgs...)
}

// FrameEncoder encodes raw frames (an image.Image, or RGBA / YUV 4:2:0
// bytes) at a fixed frame rate into H.264 and writes them as MPEG-TS
// segments into a [SegmentSink], for example a live session's input
// (media.SinkOf(session.NextSegment)). It runs one ffmpeg process (libx264,
// zerolatency, no B-frames): frames go to its stdin, its MPEG-TS output is
// cut at keyframes by [Resegment], and each segment's bytes reach the sink
// as they are encoded.
//
// Memory is bounded: at most QueueFrames frames wait between the caller and
// ffmpeg (plus the one being handed over), and a slow ffmpeg or sink blocks
// the writes rather than buffering. Cancelling the ctx given to
// NewFrameEncoder kills ffmpeg and ends everything; Close ends the input
// and flushes. Either way, Close must be called; it returns once the process
// is reaped and every goroutine has ended. A segment write that never
// returns (a sink that ignores its own session's end) holds Close up too.
//
// The write methods may be called from several goroutines (frames are then
// encoded in the order the calls got their turn); Close from any goroutine.
type FrameEncoder struct {
	ctx       context.Context
	opts      FrameEncoderOptions
	proc      *Process
	frameSize int

	mu       sync.Mutex
	closed   bool
	closing  chan struct{} // closed by Close: pending writes return
	inflight sync.WaitGroup

	queue   chan []byte // frames waiting for ffmpeg
	free    chan []byte // recycled frame buffers
	scratch sync.Pool   // RGBA buffers for converting images to YUV 4:2:0

	inputEnded atomic.Bool // the writer closed ffmpeg's stdin

	failOnce sync.Once
	failed   chan struct{} // closed on the first failure
	failErr  error

	writerDone chan struct{}
	resegDone  chan struct{}
	stats      ResegmentStats

	queued  atomic.Int64
	written atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// NewFrameEncoder starts ffmpeg and returns an encoder writing segments into
// sink. It returns ErrFFmpegNotFound when ffmpeg is missing, an error for
// invalid options, or ctx.Err(). Segments are opened (sink.NextSegment)
// with ctx, once the first keyframe is encoded.
func NewFrameEncoder(ctx context.Context, sink SegmentSink, opts FrameEncoderOptions) (*FrameEncoder, error) {
	if sink == nil {
		return nil, errors.New("media: NewFrameEncoder: nil sink")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	proc, err := startProcess(ctx, opts.FFmpeg, "ffmpeg", FrameEncoderArgs(opts), true)
	if err != nil {
		return nil, err
	}
	e := &FrameEncoder{
		ctx: ctx, opts: opts, proc: proc,
		frameSize:  opts.PixelFormat.FrameSize(opts.Width, opts.Height),
		closing:    make(chan struct{}),
		queue:      make(chan []byte, opts.QueueFrames),
		free:       make(chan []byte, opts.QueueFrames+2),
		failed:     make(chan struct{}),
		writerDone: make(chan struct{}),
		resegDone:  make(chan struct{}),
	}
	go e.writeLoop()
	go e.resegment(sink)
	return e, nil
}

// Width returns the frame width in pixels.
func (e *FrameEncoder) Width() int { return e.opts.Width }

// Height returns the frame height in pixels.
func (e *FrameEncoder) Height() int { return e.opts.Height }

// FrameRate returns the frame rate in frames per second.
func (e *FrameEncoder) FrameRate() float64 { return e.opts.FrameRate }

// PixelFormat returns the raw layout WriteRaw takes.
func (e *FrameEncoder) PixelFormat() PixelFormat { return e.opts.PixelFormat }

// FrameEncoderStats counts a [FrameEncoder]'s frames and segments.
type FrameEncoderStats struct {
	// FramesQueued counts frames accepted by a write method.
	FramesQueued int64
	// FramesWritten counts frames ffmpeg has taken from its stdin.
	FramesWritten int64
	// Resegment is what the segmenter did (complete once Close returned).
	Resegment ResegmentStats
}

// Stats returns the counters so far.
func (e *FrameEncoder) Stats() FrameEncoderStats {
	st := FrameEncoderStats{FramesQueued: e.queued.Load(), FramesWritten: e.written.Load()}
	select {
	case <-e.resegDone:
		st.Resegment = e.stats
	default:
	}
	return st
}

// WriteImage encodes img, which must be Width×Height (its Bounds may start
// anywhere). *image.RGBA and *image.NRGBA (for PixelRGBA) and 4:2:0
// *image.YCbCr (for PixelYUV420) are copied directly; other images are
// converted. It blocks while the queue is full. Errors: ErrInvalidFrame
// (nothing written, the encoder stays usable), ctx.Err() (the frame is not
// queued; the encoder stays usable), ErrClosed after Close, or the error
// that stopped the encoder (a *ProcessError, a *SinkError, the
// NewFrameEncoder ctx's error).
func (e *FrameEncoder) WriteImage(ctx context.Context, img image.Image) error {
	if err := checkImage(img, e.opts.Width, e.opts.Height); err != nil {
		return err
	}
	buf := e.buffer()
	switch e.opts.PixelFormat {
	case PixelYUV420:
		var scratch *[]byte
		fillYUV420(buf, e.opts.Width, e.opts.Height, img, func() []byte {
			scratch, _ = e.scratch.Get().(*[]byte)
			if scratch == nil {
				b := make([]byte, PixelRGBA.FrameSize(e.opts.Width, e.opts.Height))
				scratch = &b
			}
			return *scratch
		})
		if scratch != nil {
			e.scratch.Put(scratch)
		}
	default:
		fillRGBA(buf, e.opts.Width, e.opts.Height, img)
	}
	return e.send(ctx, buf)
}

// WriteRaw encodes one frame of raw bytes in the encoder's PixelFormat
// (PixelFormat.FrameSize(Width, Height) bytes exactly, otherwise
// ErrInvalidFrame). pix is copied before WriteRaw returns. Other errors
// are as for WriteImage.
func (e *FrameEncoder) WriteRaw(ctx context.Context, pix []byte) error {
	if len(pix) != e.frameSize {
		return fmt.Errorf("%w: %d bytes, a %dx%d %v frame is %d", ErrInvalidFrame, len(pix), e.opts.Width, e.opts.Height, e.opts.PixelFormat, e.frameSize)
	}
	buf := e.buffer()
	copy(buf, pix)
	return e.send(ctx, buf)
}

// buffer returns a frame buffer, recycled when one is free.
func (e *FrameEncoder) buffer() []byte {
	select {
	case b := <-e.free:
		return b
	default:
		return make([]byte, e.frameSize)
	}
}

func (e *FrameEncoder) recycle(b []byte) {
	select {
	case e.free <- b:
	default:
	}
}

// send queues one frame buffer.
func (e *FrameEncoder) send(ctx context.Context, buf []byte) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		e.recycle(buf)
		return errFrameEncoderClosed
	}
	e.inflight.Add(1)
	e.mu.Unlock()
	defer e.inflight.Done()
	select {
	case <-e.failed:
		e.recycle(buf)
		return e.failErr
	default:
	}
	select {
	case e.queue <- buf:
		e.queued.Add(1)
		return nil
	case <-ctx.Done():
		e.recycle(buf)
		return ctx.Err()
	case <-e.failed:
		e.recycle(buf)
		return e.failErr
	case <-e.closing:
		e.recycle(buf)
		return errFrameEncoderClosed
	}
}

// fail records the first error that stops the encoder and kills ffmpeg.
func (e *FrameEncoder) fail(err error) {
	e.failOnce.Do(func() {
		if cerr := e.ctx.Err(); cerr != nil {
			err = cerr
		}
		e.failErr = err
		close(e.failed)
	})
	_ = e.proc.Close()
}

// writeLoop feeds queued frames to ffmpeg's stdin, then closes it.
func (e *FrameEncoder) writeLoop() {
	defer close(e.writerDone)
	broken := false
	for buf := range e.queue {
		if !broken {
			if _, err := e.proc.Write(buf); err != nil {
				broken = true
				go e.failAfterExit(err)
			} else {
				e.written.Add(1)
			}
		}
		e.recycle(buf)
	}
	e.inputEnded.Store(true)
	_ = e.proc.CloseWrite()
}

// failAfterExit reports a stdin write error once ffmpeg has exited, as the
// process's own error when it has one (its stderr says why).
func (e *FrameEncoder) failAfterExit(werr error) {
	<-e.resegDone
	if perr := e.proc.Wait(); perr != nil {
		e.fail(perr)
		return
	}
	e.fail(fmt.Errorf("media: frame encoder: write to ffmpeg: %w", werr))
}

// resegment cuts ffmpeg's output into segments for the sink.
func (e *FrameEncoder) resegment(sink SegmentSink) {
	defer close(e.resegDone)
	st, err := Resegment(e.ctx, e.proc, sink, ResegmentOptions{Segmenter: e.opts.Segmenter})
	e.stats = st
	var se *SinkError
	if err != nil && !errors.As(err, &se) && e.ctx.Err() == nil {
		// ffmpeg's output ended early or was not MPEG-TS: when ffmpeg
		// failed, its exit status and stderr say why. Once its stdout hit
		// EOF it has exited, so the kill in Close cannot mask that status.
		_ = e.proc.Close()
		perr := e.proc.Wait()
		switch {
		case exitedWithError(perr):
			err = perr
		case errors.Is(err, ErrInvalidStream) && e.written.Load() == 0 && e.inputEnded.Load():
			err = nil // no frame was written: ffmpeg had nothing to mux
		}
	}
	if err != nil {
		e.fail(err)
		return
	}
	// ffmpeg closed its output: it has exited, or is exiting.
	if perr := e.proc.Wait(); perr != nil {
		e.fail(perr)
		return
	}
	if !e.inputEnded.Load() {
		e.fail(errors.New("media: frame encoder: ffmpeg exited before the input ended"))
	}
}

// exitedWithError reports whether err is a *ProcessError for a process that
// exited by itself with a non-zero status (not killed by a signal).
func exitedWithError(err error) bool {
	var pe *ProcessError
	var ee *exec.ExitError
	return errors.As(err, &pe) && errors.As(pe.Err, &ee) && ee.ExitCode() > 0
}

// Close ends the input, waits for ffmpeg to encode every queued frame and
// for the last segment to be closed, and releases the process. Writes
// still blocked return ErrClosed. It returns the error that stopped the
// encoder, if any (ctx.Err() of NewFrameEncoder's ctx when that was
// cancelled). Close is idempotent.
func (e *FrameEncoder) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		close(e.closing)
		e.mu.Unlock()
		e.inflight.Wait()
		close(e.queue)
		<-e.writerDone
		<-e.resegDone
		_ = e.proc.Close()
		select {
		case <-e.failed:
			e.closeErr = e.failErr
		default:
		}
	})
	return e.closeErr
}
