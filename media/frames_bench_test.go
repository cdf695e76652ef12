package media

import (
	"context"
	"image"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time used so far by this process and its reaped
// children (ffmpeg counts once Close has reaped it).
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

// reportFrames reports frames/s and CPU milliseconds per frame (Go side and
// ffmpeg together, across all cores).
func reportFrames(b *testing.B, frames int, cpu time.Duration) {
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(frames), "cpu-ms/frame")
	b.ReportMetric(0, "ns/op")
}

// gradients returns n moving colour gradients, w×h.
func gradients(w, h, n int) []*image.RGBA {
	out := make([]*image.RGBA, n)
	for i := range out {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				o := img.PixOffset(x, y)
				img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = byte(x+4*i), byte(y+2*i), byte(x+y), 255
			}
		}
		out[i] = img
	}
	return out
}

// BenchmarkFrameEncoder measures image.Image → H.264 MPEG-TS segments
// (one ffmpeg process for the whole run, libx264 ultrafast zerolatency,
// 1 s GOPs at 30 fps), frames written as fast as the encoder takes them.
func BenchmarkFrameEncoder(b *testing.B) {
	needFFmpeg(b)
	for _, sz := range []struct {
		name string
		w, h int
		pf   PixelFormat
	}{{"320x240-rgba", 320, 240, PixelRGBA}, {"1280x720-rgba", 1280, 720, PixelRGBA}, {"1280x720-yuv420", 1280, 720, PixelYUV420}} {
		b.Run(sz.name, func(b *testing.B) {
			imgs := gradients(sz.w, sz.h, 8)
			ctx := context.Background()
			cpu0 := cpuTime()
			b.ResetTimer()
			enc, err := NewFrameEncoder(ctx, discardSink{}, FrameEncoderOptions{Width: sz.w, Height: sz.h, PixelFormat: sz.pf,
				Encode: EncodeOptions{KeyframeInterval: time.Second}})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				if err := enc.WriteImage(ctx, imgs[i%len(imgs)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportFrames(b, b.N, cpuTime()-cpu0)
		})
	}
}

// BenchmarkFrameDecoder measures MPEG-TS segments → RGBA frames (one ffmpeg
// process per run of 60 frames, as a short live session would use).
func BenchmarkFrameDecoder(b *testing.B) {
	needFFmpeg(b)
	for _, sz := range []struct {
		name string
		w, h int
	}{{"320x240", 320, 240}, {"1280x720", 1280, 720}} {
		b.Run(sz.name, func(b *testing.B) {
			ctx := context.Background()
			sink := &BufferSink{}
			enc, err := NewFrameEncoder(ctx, sink, FrameEncoderOptions{Width: sz.w, Height: sz.h, Encode: EncodeOptions{KeyframeInterval: time.Second}})
			if err != nil {
				b.Fatal(err)
			}
			imgs := gradients(sz.w, sz.h, 8)
			for i := range 60 {
				if err := enc.WriteImage(ctx, imgs[i%len(imgs)]); err != nil {
					b.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				b.Fatal(err)
			}
			segs := sink.Segments()
			cpu0 := cpuTime()
			frames := 0
			b.ResetTimer()
			for range b.N {
				for _, err := range DecodeFrames(ctx, tsSegments(segs), FrameDecoderOptions{}) {
					if err != nil {
						b.Fatal(err)
					}
					frames++
				}
			}
			b.StopTimer()
			if frames != 60*b.N {
				b.Fatalf("decoded %d frames, want %d", frames, 60*b.N)
			}
			reportFrames(b, frames, cpuTime()-cpu0)
		})
	}
}
