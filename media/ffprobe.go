package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// ProbeInfo is what ffprobe reports about a stream.
type ProbeInfo struct {
	FormatName string        // e.g. "mpegts"
	Duration   float64       // seconds, 0 if unknown
	Streams    []ProbeStream // in file order
	// Errors holds what ffprobe printed at log level "error" while decoding
	// every frame; empty for a clean stream.
	Errors string
}

// ProbeStream describes one stream.
type ProbeStream struct {
	Index      int
	CodecType  string // "video", "audio", ...
	CodecName  string // "h264", "aac", ...
	Width      int
	Height     int
	SampleRate int
	Channels   int
	// Frames is the number of frames decoded (ffprobe -count_frames).
	Frames int
	// StartTime is the first timestamp in seconds.
	StartTime float64
}

// Video returns the first video stream, or nil.
func (p *ProbeInfo) Video() *ProbeStream { return p.stream("video") }

// Audio returns the first audio stream, or nil.
func (p *ProbeInfo) Audio() *ProbeStream { return p.stream("audio") }

func (p *ProbeInfo) stream(kind string) *ProbeStream {
	for i := range p.Streams {
		if p.Streams[i].CodecType == kind {
			return &p.Streams[i]
		}
	}
	return nil
}

// FFprobeOptions locates the ffprobe binary.
type FFprobeOptions struct {
	// Path is the ffprobe binary; "" means "ffprobe" looked up in PATH.
	Path string
}

// FFprobe runs ffprobe -count_frames on a file path, or on r when path is ""
// (streamed through stdin), and returns stream info with decoded frame
// counts. It returns ErrFFmpegNotFound when ffprobe is missing and a
// *ProcessError when ffprobe fails (for example on a file it cannot open).
// Cancelling ctx kills ffprobe.
func FFprobe(ctx context.Context, path string, r io.Reader, opts FFprobeOptions) (*ProbeInfo, error) {
	name := opts.Path
	if name == "" {
		name = "ffprobe"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrFFmpegNotFound, name, err)
	}
	in := path
	if in == "" {
		if r == nil {
			return nil, errors.New("media: FFprobe: no path and no reader")
		}
		in = "pipe:0"
	}
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-v", "error", "-count_frames",
		"-show_entries", "format=format_name,duration:stream=index,codec_type,codec_name,width,height,sample_rate,channels,nb_read_frames,start_time",
		"-of", "json", in)
	if path == "" {
		cmd.Stdin = r
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &tailBufferWriter{b: &stderr, max: 64 << 10}
	if err := cmd.Run(); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, &ProcessError{Cmd: "ffprobe", Err: err, Stderr: stderr.String()}
	}
	var raw struct {
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			Index        int    `json:"index"`
			CodecType    string `json:"codec_type"`
			CodecName    string `json:"codec_name"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			SampleRate   string `json:"sample_rate"`
			Channels     int    `json:"channels"`
			NbReadFrames string `json:"nb_read_frames"`
			StartTime    string `json:"start_time"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		return nil, fmt.Errorf("media: ffprobe output: %w", err)
	}
	info := &ProbeInfo{FormatName: raw.Format.FormatName, Errors: strings.TrimSpace(stderr.String())}
	info.Duration, _ = strconv.ParseFloat(raw.Format.Duration, 64)
	for _, s := range raw.Streams {
		ps := ProbeStream{Index: s.Index, CodecType: s.CodecType, CodecName: s.CodecName, Width: s.Width, Height: s.Height, Channels: s.Channels}
		ps.SampleRate, _ = strconv.Atoi(s.SampleRate)
		ps.Frames, _ = strconv.Atoi(s.NbReadFrames)
		ps.StartTime, _ = strconv.ParseFloat(s.StartTime, 64)
		info.Streams = append(info.Streams, ps)
	}
	return info, nil
}

// tailBufferWriter writes into b until it holds max bytes, then drops the rest.
type tailBufferWriter struct {
	b   *bytes.Buffer
	max int
}

func (w *tailBufferWriter) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
