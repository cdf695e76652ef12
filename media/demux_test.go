package media

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func readErr(b []byte, opts DemuxerOptions) (int, error) {
	d := NewDemuxer(bytes.NewReader(b), opts)
	n := 0
	for {
		_, err := d.ReadPacket()
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestDemuxerBadInput(t *testing.T) {
	garbage := make([]byte, 64<<10)
	_, _ = rand.Read(garbage)

	_, err := readErr(nil, DemuxerOptions{})
	require.ErrorIs(t, err, ErrInvalidStream)
	_, err = readErr(garbage, DemuxerOptions{})
	require.ErrorIs(t, err, ErrInvalidStream)
	_, err = readErr(garbage, DemuxerOptions{ProbeLimit: 1000})
	require.ErrorIs(t, err, ErrInvalidStream)
	require.ErrorContains(t, err, "1000 bytes")

	// Sync bytes everywhere, random content.
	fake := bytes.Clone(garbage)
	for i := 0; i < len(fake); i += 188 {
		fake[i] = 0x47
	}
	_, err = readErr(fake, DemuxerOptions{})
	require.Error(t, err)

	// Truncated stream: packets up to the cut, then EOF, no error.
	good, err := os.ReadFile("testdata/av.ts")
	require.NoError(t, err)
	total, err := readErr(good, DemuxerOptions{})
	require.ErrorIs(t, err, io.EOF)
	for _, cut := range []int{len(good) / 2, len(good)/2 + 77, len(good) - 1} {
		n, err := readErr(good[:cut], DemuxerOptions{})
		require.ErrorIs(t, err, io.EOF, "cut %d", cut)
		require.Less(t, n, total)
		require.Positive(t, n)
	}

	// Corrupted bytes in the middle: skipped, not fatal.
	bad := bytes.Clone(good)
	r := mrand.New(mrand.NewPCG(1, 2))
	for range 2000 {
		bad[4096+r.IntN(len(bad)-4096)] = byte(r.IntN(256))
	}
	d := NewDemuxer(bytes.NewReader(bad), DemuxerOptions{})
	for {
		_, err := d.ReadPacket()
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
	}
	require.Positive(t, d.Stats().DecodeErrors)

	// Reader errors come back as they are.
	boom := errors.New("network down")
	_, err = readErr(nil, DemuxerOptions{})
	require.Error(t, err)
	d = NewDemuxer(io.MultiReader(bytes.NewReader(good[:188*3]), errReader{boom}), DemuxerOptions{})
	_, err = d.ReadPacket()
	require.ErrorIs(t, err, boom)
	_, err = d.ReadPacket()
	require.ErrorIs(t, err, boom, "sticky")
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestUnwrap(t *testing.T) {
	require.Equal(t, int64(5), unwrap(0, 5))
	require.Equal(t, wrap33+5, unwrap(wrap33-10, 5))
	require.Equal(t, wrap33-10, unwrap(wrap33+5, wrap33-10))
	require.Equal(t, int64(-10), unwrap(5, wrap33-10))
}

func TestDemuxerUnwrapsAcross33Bits(t *testing.T) {
	in, audio := testdataPackets(t)
	// Shift timestamps so the stream crosses 2^33 in the middle.
	shift := wrap33 - in[len(in)/2].DTS
	sink := &BufferSink{}
	seg, err := NewSegmenter(sink, SegmenterOptions{Audio: audio})
	require.NoError(t, err)
	for _, p := range in {
		p.PTS += shift
		p.DTS += shift
		require.NoError(t, seg.WritePacket(t.Context(), p))
	}
	require.NoError(t, seg.Close())
	out, _ := readAll(t, bytes.Join(sink.Segments(), nil))
	require.Equal(t, len(in), len(out))
	base := wrap33 * ((in[0].PTS + shift) / wrap33) // the demuxer starts from the first raw value
	for _, c := range []Codec{CodecH264, CodecAAC} {
		a, b := filterCodec(in, c), filterCodec(out, c)
		require.Equal(t, len(a), len(b))
		for i := range a {
			require.Equal(t, a[i].PTS+shift-base, b[i].PTS, "%v %d", c, i)
		}
	}
	require.Greater(t, out[len(out)-1].PTS, wrap33, "crossed 2^33 without going back")
}

func FuzzDemuxer(f *testing.F) {
	good, err := os.ReadFile("testdata/av.ts")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[:188*40])
	f.Add(good[188*7 : 188*30])
	f.Add([]byte{0x47, 0x40, 0x00, 0x10, 0x00})
	f.Add([]byte("not a transport stream"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDemuxer(bytes.NewReader(b), DemuxerOptions{ProbeLimit: 1 << 16})
		for range 10000 {
			p, err := d.ReadPacket()
			if err != nil {
				return
			}
			if p.Codec != CodecH264 && p.Codec != CodecAAC {
				t.Fatalf("bad codec %v", p.Codec)
			}
		}
	})
}

func FuzzResegment(f *testing.F) {
	good, err := os.ReadFile("testdata/av.ts")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[:188*60])
	f.Add(good[188*3 : 188*50])
	f.Add([]byte{0x47})
	f.Fuzz(func(t *testing.T, b []byte) {
		sink := &BufferSink{}
		_, err := Resegment(t.Context(), bytes.NewReader(b), sink, ResegmentOptions{Demuxer: DemuxerOptions{ProbeLimit: 1 << 16}})
		if err != nil && !errors.Is(err, ErrInvalidStream) && !errors.Is(err, ErrUnsupportedCodec) {
			t.Fatalf("unexpected error type: %v", err)
		}
		// Whatever came out must itself be readable.
		for _, s := range sink.Segments() {
			d := NewDemuxer(bytes.NewReader(s), DemuxerOptions{})
			for {
				if _, err := d.ReadPacket(); err != nil {
					break
				}
			}
		}
	})
}
