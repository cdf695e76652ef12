package media

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"testing"
	"time"
)

// discardSink is a SegmentSink that throws bytes away.
type discardSink struct{}

func (discardSink) NextSegment(context.Context) (io.WriteCloser, error) {
	return nopWriteCloser{io.Discard}, nil
}

const benchSeconds = 4

// bench1080p returns a 1080p30 H.264 (~6 Mbit/s, 1 s GOP) + AAC MPEG-TS
// stream of benchSeconds, generated once with ffmpeg.
func bench1080p(b *testing.B) []byte {
	b.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg not installed: cannot generate the 1080p30 input")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := StartTestPattern(ctx, TestPatternOptions{Width: 1920, Height: 1080, FPS: 30, Duration: benchSeconds * time.Second,
		Audio: true, Encode: EncodeOptions{KeyframeInterval: time.Second, Bitrate: 6_000_000, Preset: "ultrafast"}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ts, err := io.ReadAll(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		b.Fatal(err)
	}
	return ts
}

func reportCore(b *testing.B, bytesPerIter int) {
	perIter := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perIter/float64(benchSeconds)/1e9*100, "%core")
	b.SetBytes(int64(bytesPerIter))
}

// BenchmarkSegmenter1080p30 measures muxing H.264+AAC access units into
// GOP segments: %core is the share of one core needed to keep up with real time.
func BenchmarkSegmenter1080p30(b *testing.B) {
	ts := bench1080p(b)
	pk, d := readAll(b, ts)
	audio := d.Audio()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		seg, err := NewSegmenter(discardSink{}, SegmenterOptions{Audio: audio})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range pk {
			if err := seg.WritePacket(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		if err := seg.Close(); err != nil {
			b.Fatal(err)
		}
	}
	reportCore(b, len(ts))
	b.ReportMetric(float64(len(ts))*8/benchSeconds/1e6, "Mbit/s")
}

// BenchmarkResegment1080p30 measures demuxing an MPEG-TS stream and re-muxing
// it into GOP segments (the path for ffmpeg sources).
func BenchmarkResegment1080p30(b *testing.B) {
	ts := bench1080p(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Resegment(ctx, bytes.NewReader(ts), discardSink{}, ResegmentOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCore(b, len(ts))
}
