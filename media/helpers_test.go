package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// checkGoroutines fails the test if goroutines started during it are still
// running shortly after it ends.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
		}
	})
}

func needFFmpeg(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed: %v", b, err)
		}
	}
}

// readAll demuxes every packet of a TS byte slice.
func readAll(t testing.TB, ts []byte) ([]Packet, *Demuxer) {
	t.Helper()
	d := NewDemuxer(bytes.NewReader(ts), DemuxerOptions{})
	var out []Packet
	for {
		p, err := d.ReadPacket()
		if errors.Is(err, io.EOF) {
			return out, d
		}
		require.NoError(t, err)
		out = append(out, p)
	}
}

func testdataPackets(t testing.TB) ([]Packet, *AudioConfig) {
	t.Helper()
	b, err := os.ReadFile("testdata/av.ts")
	require.NoError(t, err)
	pk, d := readAll(t, b)
	require.NotEmpty(t, pk)
	return pk, d.Audio()
}

func probe(t testing.TB, ts []byte) *ProbeInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := FFprobe(ctx, "", bytes.NewReader(ts), FFprobeOptions{})
	require.NoError(t, err)
	return info
}

func filterCodec(pk []Packet, c Codec) []Packet {
	var out []Packet
	for _, p := range pk {
		if p.Codec == c {
			out = append(out, p)
		}
	}
	return out
}

// tsContinuityErrors counts continuity counter breaks per PID in a TS stream
// (packets with payload only, as in ISO 13818-1).
func tsContinuityErrors(ts []byte) int {
	last := map[uint16]int{}
	errs := 0
	for i := 0; i+188 <= len(ts); i += 188 {
		p := ts[i : i+188]
		if p[0] != 0x47 {
			errs++
			continue
		}
		pid := uint16(p[1]&0x1f)<<8 | uint16(p[2])
		if p[3]&0x10 == 0 {
			continue
		}
		cc := int(p[3] & 0x0f)
		if l, ok := last[pid]; ok && (l+1)&0xf != cc {
			errs++
		}
		last[pid] = cc
	}
	return errs
}
