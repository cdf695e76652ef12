package media_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/livepeer/livepeer-go-gateway/media"
)

// Re-segment an MPEG-TS file (here 3 s with a keyframe every second) into
// self-contained segments, one per GOP.
func ExampleResegment() {
	f, err := os.Open("testdata/av.ts")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	sink := &media.BufferSink{}
	st, err := media.Resegment(context.Background(), f, sink, media.ResegmentOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("segments:", len(sink.Segments()), "video frames:", st.Segmenter.VideoFrames)
	// Output: segments: 3 video frames: 90
}

// Feed access units (from an encoder, here read from a file) into a Segmenter
// and read each segment back.
func ExampleSegmenter() {
	ts, _ := os.ReadFile("testdata/av.ts")
	dm := media.NewDemuxer(bytes.NewReader(ts), media.DemuxerOptions{})
	var video []media.Packet
	for {
		p, err := dm.ReadPacket()
		if err != nil {
			break
		}
		if p.Codec == media.CodecH264 {
			video = append(video, p)
		}
	}

	sink := &media.BufferSink{}
	seg, _ := media.NewSegmenter(sink, media.SegmenterOptions{})
	ctx := context.Background()
	for _, p := range video {
		if err := seg.WriteH264(ctx, p.PTS, p.Data); err != nil {
			fmt.Println(err)
		}
	}
	_ = seg.Close()

	for i, s := range sink.Segments() {
		d := media.NewDemuxer(bytes.NewReader(s), media.DemuxerOptions{})
		first, _ := d.ReadPacket()
		fmt.Printf("segment %d: starts with IDR %v at %v\n", i, first.Keyframe, media.TicksToDuration(first.PTS-video[0].PTS))
	}
	// Output:
	// segment 0: starts with IDR true at 0s
	// segment 1: starts with IDR true at 1s
	// segment 2: starts with IDR true at 2s
}

// fakePublisher stands for a trickle publisher: Next returns a writer for the
// next segment.
type fakePublisher struct{ n int }

type fakeSegment struct {
	seq int
	n   int
}

func (s *fakeSegment) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *fakeSegment) Close() error {
	fmt.Printf("segment %d closed, %d TS packets\n", s.seq, s.n/188)
	return nil
}

func (p *fakePublisher) Next(ctx context.Context) (*fakeSegment, error) {
	p.n++
	return &fakeSegment{seq: p.n}, ctx.Err()
}

// Adapt a publisher whose Next returns a concrete writer type (as the trickle
// publisher does) to a SegmentSink.
func ExampleSinkOf() {
	pub := &fakePublisher{}
	sink := media.SinkOf(pub.Next)
	f, _ := os.Open("testdata/av.ts")
	defer f.Close()
	// Keyframes come every second; ask for segments of at least 1.5 s.
	opts := media.ResegmentOptions{Segmenter: media.SegmenterOptions{MinSegmentDuration: 1500 * time.Millisecond}}
	if _, err := media.Resegment(context.Background(), f, sink, opts); err != nil {
		fmt.Println(err)
	}
	// Output:
	// segment 1 closed, 533 TS packets
	// segment 2 closed, 296 TS packets
}

// Join segments from two producers (say, before and after a reconnect) into
// one continuous .ts file with monotonic timestamps.
func ExampleContinuousWriter() {
	ts, _ := os.ReadFile("testdata/av.ts")
	var out bytes.Buffer
	cw := media.NewContinuousWriter(&out, media.ContinuousOptions{})
	ctx := context.Background()
	for range 2 { // the same 3 s segment twice: the second is shifted after the first
		if err := cw.WriteSegment(ctx, bytes.NewReader(ts)); err != nil {
			fmt.Println(err)
		}
	}
	_ = cw.Close()

	d := media.NewDemuxer(&out, media.DemuxerOptions{})
	var first, last int64
	n := 0
	for {
		p, err := d.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if p.Codec != media.CodecH264 {
			continue
		}
		if n == 0 {
			first = p.PTS
		}
		last = p.PTS
		n++
	}
	fmt.Println("frames:", n, "span:", media.TicksToDuration(last-first))
	// Output: frames: 180 span: 5.966666666s
}
