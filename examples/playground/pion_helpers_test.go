package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/livepeer/livepeer-go-gateway/livepeertest"
	"github.com/livepeer/livepeer-go-gateway/rtc/rtctest"
	"github.com/stretchr/testify/require"
)

// api calls a JSON/SDP endpoint as the page does: session cookie + CSRF header.
func (b *browser) api(method, path, ctype string, body []byte, csrf string) (int, []byte) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, bytes.NewReader(body))
	require.NoError(b.t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// exchange is a WHIP/WHEP POST (used from the test goroutine only).
func (b *browser) exchange(path, csrf string) rtctest.Exchange {
	return func(ctx context.Context, offer string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader([]byte(offer)))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("X-CSRF-Token", csrf)
		resp, err := b.c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		ans, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, ans)
		}
		return string(ans), nil
	}
}

// cameraAUs encodes a short test pattern with ffmpeg (baseline H.264, an
// IDR every 15 frames) and returns its access units.
func cameraAUs(t *testing.T) [][]byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cam.h264")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30", "-t", "2",
		"-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-bf", "0",
		"-x264-params", "keyint=15:min-keyint=15:scenecut=0:repeat-headers=1:slices=1", "-f", "h264", out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	return splitAUs(data)
}

// splitAUs groups Annex-B NAL units into access units (one slice a frame):
// parameter sets and SEI go with the next picture.
func splitAUs(data []byte) [][]byte {
	var aus [][]byte
	var cur []byte
	sc := []byte{0, 0, 0, 1}
	for len(data) > 0 {
		i := bytes.Index(data, []byte{0, 0, 1})
		if i < 0 {
			break
		}
		data = data[i+3:]
		j := bytes.Index(data, []byte{0, 0, 1})
		nal := data
		if j >= 0 {
			nal = data[:j]
			data = data[j:]
		} else {
			data = nil
		}
		nal = bytes.TrimRight(nal, "\x00")
		if len(nal) == 0 {
			continue
		}
		cur = append(append(cur, sc...), nal...)
		if typ := nal[0] & 0x1f; typ == 1 || typ == 5 {
			aus = append(aus, cur)
			cur = nil
		}
	}
	return aus
}

// pionRun is one run driven by pion peers standing in for the page.
type pionRun struct {
	id       string
	csrf     string
	sender   *rtctest.Sender
	receiver *rtctest.Receiver
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// startPionRun creates a run, publishes the camera over WHIP at 30 fps (in
// a loop) and plays the output over WHEP.
func startPionRun(t *testing.T, b *browser, aus [][]byte) *pionRun {
	t.Helper()
	csrf := b.csrf("/models/daydreamlive/streamdiffusion")
	st, body := b.api(http.MethodPost, "/api/runs", "application/json",
		[]byte(`{"workflow":"daydreamlive/streamdiffusion","params":{}}`), csrf)
	require.Equal(t, http.StatusCreated, st, string(body))
	var created struct{ ID, Whip, Whep string }
	require.NoError(t, json.Unmarshal(body, &created))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pr := &pionRun{id: created.ID, csrf: csrf}
	var err error
	pr.sender, err = rtctest.NewSender(ctx, b.exchange(created.Whip, csrf))
	require.NoError(t, err)
	pctx, pcancel := context.WithCancel(context.Background())
	pr.cancel = pcancel
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
			if err := pr.sender.WriteAccessUnit(aus[i%len(aus)], time.Second/30); err != nil {
				return
			}
		}
	}()
	pr.receiver, err = rtctest.NewReceiver(ctx, b.exchange(created.Whep, csrf))
	require.NoError(t, err)
	return pr
}

// closePeers is the page going away: its peers close, nothing else.
func (pr *pionRun) closePeers() {
	pr.cancel()
	pr.wg.Wait()
	pr.sender.Close()
	pr.receiver.Close()
}

// liveStreams returns every stream the in-process orchestrators saw.
func liveStreams(n *livepeertest.Network) []livepeertest.StreamInfo {
	var out []livepeertest.StreamInfo
	for _, ls := range n.Live() {
		out = append(out, ls.Streams()...)
	}
	return out
}
