package rtc_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/stretchr/testify/require"

	livepeer "github.com/livepeer/livepeer-go-gateway"
	"github.com/livepeer/livepeer-go-gateway/rtc"
	"github.com/livepeer/livepeer-go-gateway/rtc/rtctest"
)

// au builds a synthetic Annex-B access unit numbered n: SPS and PPS, then
// an IDR slice whose payload carries n and is large enough (every third
// one) to be fragmented into several RTP packets (FU-A).
func au(n int) []byte {
	size := 200
	if n%3 == 0 {
		size = 3000
	}
	slice := make([]byte, size)
	slice[0] = 0x65
	copy(slice[1:], fmt.Sprintf("%06d", n)) // ASCII: no zero bytes, so no start-code emulation
	for i := 7; i < size; i++ {
		slice[i] = byte(n + i%7 + 1) // no start-code emulation (never 0)
	}
	var b bytes.Buffer
	for _, nal := range [][]byte{{0x67, 0x42, 0xe0, 0x1f, 0x8c}, {0x68, 0xce, 0x3c, 0x80}, slice} {
		b.Write([]byte{0, 0, 0, 1})
		b.Write(nal)
	}
	return b.Bytes()
}

// seqOf finds the number au(n) carried, or -1.
func seqOf(data []byte) int {
	i := bytes.Index(data, []byte{0, 0, 1, 0x65})
	if i < 0 || len(data) < i+10 {
		return -1
	}
	n, err := strconv.Atoi(string(data[i+4 : i+10]))
	if err != nil {
		return -1
	}
	return n
}

func connected(t *testing.T, pc *webrtc.PeerConnection) {
	t.Helper()
	require.Eventually(t, func() bool { return pc.ConnectionState() == webrtc.PeerConnectionStateConnected },
		10*time.Second, 20*time.Millisecond, "loopback peer connection")
}

func TestIngestReceivesAccessUnitsInOrder(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type got struct {
		pts int64
		au  []byte
	}
	var mu sync.Mutex
	var recv []got
	var in *rtc.Ingest
	sender, err := rtctest.NewSender(ctx, func(ctx context.Context, offer string) (string, error) {
		var ans string
		var err error
		in, ans, err = rtc.NewIngest(ctx, offer, rtc.IngestOptions{OnAccessUnit: func(pts int64, data []byte) {
			mu.Lock()
			recv = append(recv, got{pts, bytes.Clone(data)})
			mu.Unlock()
		}})
		return ans, err
	})
	require.NoError(t, err)
	connected(t, sender.PC)

	const n = 40
	for i := 1; i <= n; i++ {
		require.NoError(t, sender.WriteAccessUnit(au(i), time.Second/25))
		time.Sleep(5 * time.Millisecond)
	}
	// The last access unit is complete once a later timestamp arrives.
	require.Eventually(t, func() bool {
		_ = sender.WriteAccessUnit(au(n+1), time.Second/25)
		mu.Lock()
		defer mu.Unlock()
		return len(recv) > 0 && seqOf(recv[len(recv)-1].au) >= n
	}, 10*time.Second, 50*time.Millisecond)

	// Check a snapshot: the reader goroutine keeps delivering (and locking mu)
	// until Close below, which waits for it, so mu must not be held then.
	mu.Lock()
	snapshot := slices.Clone(recv)
	mu.Unlock()
	last, lastPTS := 0, int64(-1)
	for _, g := range snapshot {
		s := seqOf(g.au)
		require.Greater(t, s, last, "in order, no duplicates")
		require.Greater(t, g.pts, lastPTS, "timestamps increase")
		if s <= n {
			require.Equal(t, au(s), g.au, "access unit %d arrives intact (SPS, PPS, slice)", s)
		}
		if last > 0 {
			require.Equal(t, int64(s-last)*3600, g.pts-lastPTS, "90 kHz timestamps follow the 25 fps sample durations")
		}
		last, lastPTS = s, g.pts
	}
	require.GreaterOrEqual(t, len(snapshot), n-2, "loopback loses (almost) nothing")

	sender.Close()
	require.NoError(t, in.Close())
	select {
	case <-in.Gone():
	case <-time.After(5 * time.Second):
		t.Fatal("Gone not closed after the peer left")
	}
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= base+1 }, 10*time.Second, 50*time.Millisecond, "no goroutine left")
}

func TestEgressDeliversAccessUnits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out *rtc.Egress
	recv, err := rtctest.NewReceiver(ctx, func(ctx context.Context, offer string) (string, error) {
		var ans string
		var err error
		out, ans, err = rtc.NewEgress(ctx, offer, rtc.EgressOptions{})
		return ans, err
	})
	require.NoError(t, err)
	defer recv.Close()
	connected(t, recv.PC)

	const n = 40
	for i := 1; i <= n+1; i++ {
		require.NoError(t, out.WriteAccessUnit(au(i), time.Second/25))
		time.Sleep(5 * time.Millisecond)
	}
	last, count := 0, 0
	timeout := time.After(10 * time.Second)
	for last < n {
		select {
		case data := <-recv.AUs:
			s := seqOf(data)
			require.Greater(t, s, last, "in order")
			require.Equal(t, au(s), data, "access unit %d arrives intact", s)
			last = s
			count++
		case <-timeout:
			t.Fatalf("only %d access units arrived (last %d)", count, last)
		}
	}
	require.GreaterOrEqual(t, count, n-2)

	// The page closing its player is seen by the server.
	recv.Close()
	select {
	case <-out.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("Gone not closed after the player left")
	}
	require.NoError(t, out.Close())
	require.ErrorIs(t, out.WriteAccessUnit(au(1), time.Second/25), livepeer.ErrClosed, "a closed egress says so")
}

func TestNoH264Refused(t *testing.T) {
	_, _, err := rtc.NewIngest(context.Background(), "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", rtc.IngestOptions{})
	require.ErrorIs(t, err, rtc.ErrNoH264)
	_, _, err = rtc.NewEgress(context.Background(), "v=0\r\n", rtc.EgressOptions{})
	require.ErrorIs(t, err, rtc.ErrNoH264)
}

func TestInvalidOfferRefused(t *testing.T) {
	bad := "not sdp at all, but it mentions H264/90000"
	_, _, err := rtc.NewIngest(context.Background(), bad, rtc.IngestOptions{})
	require.ErrorIs(t, err, rtc.ErrInvalidOffer)
	_, _, err = rtc.NewEgress(context.Background(), bad, rtc.EgressOptions{})
	require.ErrorIs(t, err, rtc.ErrInvalidOffer)
}
