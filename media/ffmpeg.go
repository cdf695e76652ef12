package media

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// EncodeOptions are the H.264/AAC encoder settings shared by the ffmpeg
// helpers that encode. Zero values pick the defaults in brackets.
type EncodeOptions struct {
	// KeyframeInterval is the GOP length [2s]; keyframes are placed exactly
	// every KeyframeInterval (scene-cut keyframes are disabled).
	KeyframeInterval time.Duration
	// Bitrate is the video bitrate in bits/s [encoder default quality].
	Bitrate int
	// Preset is the libx264 preset [ultrafast].
	Preset string
}

func (e EncodeOptions) videoArgs(fps float64) []string {
	preset := e.Preset
	if preset == "" {
		preset = "ultrafast"
	}
	args := []string{"-c:v", "libx264", "-preset", preset, "-tune", "zerolatency", "-bf", "0", "-pix_fmt", "yuv420p"}
	ki := e.KeyframeInterval
	if ki <= 0 {
		ki = 2 * time.Second
	}
	if fps > 0 {
		g := max(1, int(ki.Seconds()*fps+0.5))
		args = append(args, "-g", strconv.Itoa(g), "-keyint_min", strconv.Itoa(g), "-sc_threshold", "0")
	} else {
		args = append(args, "-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%g)", ki.Seconds()), "-sc_threshold", "0")
	}
	if e.Bitrate > 0 {
		b := strconv.Itoa(e.Bitrate)
		args = append(args, "-b:v", b, "-maxrate", b, "-bufsize", strconv.Itoa(e.Bitrate/2))
	}
	return args
}

var tsOutArgs = []string{"-f", "mpegts", "-flush_packets", "1", "-muxdelay", "0", "pipe:1"}

// TestPatternOptions configures [StartTestPattern]. Zero values pick the
// defaults in brackets.
type TestPatternOptions struct {
	Pattern  string        // lavfi source, e.g. "testsrc", "testsrc2", "smptebars" [testsrc2]
	Width    int           // [320]
	Height   int           // [240]
	FPS      int           // [30]
	Duration time.Duration // 0 means until closed
	// Audio adds a 440 Hz sine as AAC (48 kHz mono).
	Audio bool
	// Realtime paces output at real time (-re); otherwise ffmpeg runs as fast as it can.
	Realtime bool
	Encode   EncodeOptions
	FFmpeg   FFmpegOptions
}

// TestPatternArgs returns the ffmpeg arguments [StartTestPattern] runs.
func TestPatternArgs(o TestPatternOptions) []string {
	pat := o.Pattern
	if pat == "" {
		pat = "testsrc2"
	}
	w, h, fps := o.Width, o.Height, o.FPS
	if w <= 0 {
		w = 320
	}
	if h <= 0 {
		h = 240
	}
	if fps <= 0 {
		fps = 30
	}
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	if o.Realtime {
		args = append(args, "-re")
	}
	args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("%s=size=%dx%d:rate=%d", pat, w, h, fps))
	if o.Audio {
		if o.Realtime {
			args = append(args, "-re")
		}
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000")
	}
	if o.Duration > 0 {
		args = append(args, "-t", strconv.FormatFloat(o.Duration.Seconds(), 'f', -1, 64))
	}
	args = append(args, o.Encode.videoArgs(float64(fps))...)
	if o.Audio {
		args = append(args, "-c:a", "aac", "-b:a", "64k", "-ac", "1")
	}
	return append(args, tsOutArgs...)
}

// StartTestPattern starts ffmpeg generating a test pattern encoded as H.264
// (libx264, zerolatency, no B-frames) in MPEG-TS on the returned Process's
// stdout. It returns ErrFFmpegNotFound when ffmpeg is missing. The process
// ends by itself after Duration; Close or ctx cancel stops it earlier.
func StartTestPattern(ctx context.Context, o TestPatternOptions) (*Process, error) {
	return startProcess(ctx, o.FFmpeg, "ffmpeg", TestPatternArgs(o), false)
}

// FileOptions configures [StartFile].
type FileOptions struct {
	// Copy remuxes the file without re-encoding (-c copy); its keyframes are then
	// the file's own. Otherwise video is re-encoded to H.264 and audio to AAC.
	Copy bool
	// Realtime paces reading at the file's frame rate (-re), like a live source.
	Realtime bool
	// Loop repeats the file forever.
	Loop bool
	// NoAudio drops audio.
	NoAudio bool
	// FPS is the stream's frame rate used to size the GOP when re-encoding; 0
	// places keyframes by time instead.
	FPS    int
	Encode EncodeOptions
	FFmpeg FFmpegOptions
}

// FileArgs returns the ffmpeg arguments [StartFile] runs.
func FileArgs(path string, o FileOptions) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	if o.Realtime {
		args = append(args, "-re")
	}
	if o.Loop {
		args = append(args, "-stream_loop", "-1")
	}
	args = append(args, "-i", path, "-map", "0:v:0")
	if !o.NoAudio {
		args = append(args, "-map", "0:a:0?")
	} else {
		args = append(args, "-an")
	}
	if o.Copy {
		args = append(args, "-c", "copy")
	} else {
		args = append(args, o.Encode.videoArgs(float64(o.FPS))...)
		if !o.NoAudio {
			args = append(args, "-c:a", "aac")
		}
	}
	return append(args, tsOutArgs...)
}

// StartFile starts ffmpeg reading a media file (any format ffmpeg reads) and
// writing MPEG-TS with H.264 (and AAC) to the returned Process's stdout. A
// missing file shows as a *ProcessError from Wait and EOF on Read.
func StartFile(ctx context.Context, path string, o FileOptions) (*Process, error) {
	if path == "" {
		return nil, errors.New("media: StartFile: empty path")
	}
	return startProcess(ctx, o.FFmpeg, "ffmpeg", FileArgs(path, o), false)
}

// CameraOptions configures [StartCamera].
type CameraOptions struct {
	Width, Height int    // requested capture size; 0 means the device default
	FPS           int    // requested frame rate; 0 means the device default
	InputFormat   string // v4l2 pixel/compressed format, e.g. "mjpeg" or "yuyv422"
	Encode        EncodeOptions
	FFmpeg        FFmpegOptions
}

// CameraArgs returns the ffmpeg arguments [StartCamera] runs.
func CameraArgs(device string, o CameraOptions) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-f", "v4l2"}
	if o.InputFormat != "" {
		args = append(args, "-input_format", o.InputFormat)
	}
	if o.Width > 0 && o.Height > 0 {
		args = append(args, "-video_size", fmt.Sprintf("%dx%d", o.Width, o.Height))
	}
	if o.FPS > 0 {
		args = append(args, "-framerate", strconv.Itoa(o.FPS))
	}
	args = append(args, "-i", device, "-an")
	args = append(args, o.Encode.videoArgs(float64(o.FPS))...)
	return append(args, tsOutArgs...)
}

// StartCamera starts ffmpeg capturing a V4L2 camera (e.g. "/dev/video0") and
// writing H.264 in MPEG-TS to the returned Process's stdout. A missing device
// shows as a *ProcessError from Wait and EOF on Read.
func StartCamera(ctx context.Context, device string, o CameraOptions) (*Process, error) {
	if device == "" {
		return nil, errors.New("media: StartCamera: empty device")
	}
	return startProcess(ctx, o.FFmpeg, "ffmpeg", CameraArgs(device, o), false)
}

// FilterOptions configures [StartFilter].
type FilterOptions struct {
	// Video is an ffmpeg video filter graph, e.g. "negate" or "hue=h=90".
	// Empty means re-encode without a filter.
	Video string
	// DropAudio removes audio; otherwise audio is copied unchanged.
	DropAudio bool
	Encode    EncodeOptions
	FFmpeg    FFmpegOptions
}

// FilterArgs returns the ffmpeg arguments [StartFilter] runs.
func FilterArgs(o FilterOptions) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error",
		// Not -fflags nobuffer: it discards the packets read while probing (the first GOP).
		"-flags", "low_delay", "-probesize", "500000", "-analyzeduration", "1000000",
		"-f", "mpegts", "-i", "pipe:0", "-map", "0:v:0"}
	if o.DropAudio {
		args = append(args, "-an")
	} else {
		args = append(args, "-map", "0:a?", "-c:a", "copy")
	}
	if o.Video != "" {
		args = append(args, "-vf", o.Video)
	}
	preset := o.Encode.Preset
	if preset == "" {
		preset = "ultrafast"
	}
	args = append(args, "-c:v", "libx264", "-preset", preset, "-tune", "zerolatency", "-bf", "0", "-pix_fmt", "yuv420p")
	if o.Encode.KeyframeInterval > 0 {
		args = append(args, "-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%g)", o.Encode.KeyframeInterval.Seconds()))
	} else {
		args = append(args, "-force_key_frames", "source")
	}
	if o.Encode.Bitrate > 0 {
		args = append(args, "-b:v", strconv.Itoa(o.Encode.Bitrate))
	}
	return append(args, tsOutArgs...)
}

// StartFilter starts one continuous ffmpeg process that reads MPEG-TS on
// stdin (write it with Process.Write, end it with CloseWrite), applies a
// video filter, re-encodes H.264 and writes MPEG-TS on stdout (read it with
// Process.Read). Keyframes follow the input's (-force_key_frames source)
// unless Encode.KeyframeInterval is set, so output GOPs line up with input
// segments. One long-lived process keeps latency low (no per-segment start-up,
// x264 zerolatency, no B-frames, probing ends as soon as every track's
// parameters are known, packets flushed as muxed);
// segment boundaries are restored by [Resegment] on the output.
func StartFilter(ctx context.Context, o FilterOptions) (*Process, error) {
	return startProcess(ctx, o.FFmpeg, "ffmpeg", FilterArgs(o), true)
}
