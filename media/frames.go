package media

import (
	"errors"
	"fmt"
	"image"
	"time"
)

// ErrInvalidFrame is returned for a frame that cannot be encoded: a nil
// image, or one whose size or byte length does not match the encoder's.
// The frame is not written; the encoder stays usable.
var ErrInvalidFrame = errors.New("media: invalid frame")

// PixelFormat is the layout of the raw frames a [FrameEncoder] passes to
// ffmpeg (and accepts in WriteRaw).
type PixelFormat int

const (
	// PixelRGBA is 8-bit R, G, B, A per pixel, rows top to bottom, no
	// padding: Width*Height*4 bytes (the layout of an *image.RGBA with
	// Stride = 4*Width). Alpha is ignored; colour values are taken as they
	// are (opaque images are exact).
	PixelRGBA PixelFormat = iota + 1
	// PixelYUV420 is planar YUV 4:2:0 (I420, ffmpeg's yuv420p): the Y
	// plane (Width*Height bytes), then U and V (Width/2*Height/2 bytes
	// each), BT.601 limited range (Y 16–235), as cameras and decoders
	// produce it. Width*Height*3/2 bytes.
	PixelYUV420
)

// String returns "rgba", "yuv420" or "pixelformat(N)".
func (f PixelFormat) String() string {
	switch f {
	case PixelRGBA:
		return "rgba"
	case PixelYUV420:
		return "yuv420"
	}
	return fmt.Sprintf("pixelformat(%d)", int(f))
}

// FrameSize returns the byte length of one w×h frame in format f, or 0
// for an unknown format.
func (f PixelFormat) FrameSize(w, h int) int {
	switch f {
	case PixelRGBA:
		return w * h * 4
	case PixelYUV420:
		return w*h + 2*(w/2)*(h/2)
	}
	return 0
}

// ffmpeg returns ffmpeg's -pix_fmt name.
func (f PixelFormat) ffmpeg() string {
	if f == PixelYUV420 {
		return "yuv420p"
	}
	return "rgba"
}

// Frame is one decoded video frame.
type Frame struct {
	// Index counts the frames a decoder produced, from 0, in presentation
	// order.
	Index int
	// PTS is the frame's presentation timestamp in 90 kHz ticks, as the
	// MPEG-TS input carries it (segments joined by [FrameDecoder.WriteSegment]
	// run on one [Timeline], so it is monotonic across segments); -1 when
	// the stream gives the frame none.
	PTS int64
	// Image holds the pixels, opaque RGBA with Rect (0,0)-(width,height).
	// The frame's receiver owns it: the decoder never reuses it.
	Image *image.RGBA
}

// Timestamp returns PTS as a duration.
func (f Frame) Timestamp() time.Duration { return TicksToDuration(f.PTS) }
