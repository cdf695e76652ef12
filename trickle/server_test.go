package trickle

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func withTrace1xx(ctx context.Context, n *atomic.Int32) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			if code == http.StatusContinue {
				n.Add(1)
			}
			return nil
		},
	})
}

type rawResp struct {
	code int
	h    http.Header
	body string
}

func do(t *testing.T, method, url, body string, hdr ...string) rawResp {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{resp.StatusCode, resp.Header, string(b)}
}

func TestServerWireSemantics(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{RememberClosed: -1})
	u := ts.url + "ch"

	// Unknown channel.
	require.Equal(t, 404, do(t, "GET", u+"/0", "").code)
	require.Equal(t, 404, do(t, "GET", u+"/next", "").code)
	r := do(t, "POST", u+"/0", "x")
	require.Equal(t, 404, r.code)
	require.Equal(t, "Stream not found\n", r.body)
	require.Equal(t, 404, do(t, "POST", u, "", HeaderExpect, "video/mp2t").code, "no autocreate")
	require.Equal(t, 400, do(t, "DELETE", u, "").code)

	require.NoError(t, ts.CreateChannel("ch", "video/mp2t"))
	r = do(t, "GET", u+"/next", "")
	require.Equal(t, "0", r.body)
	require.Equal(t, "0", r.h.Get(HeaderLatest))

	// Bad sequence numbers: 400, never a crash (go-livepeer panics here).
	for _, bad := range []string{"-3", "-100", "abc", "99999999999999999999999"} {
		require.Equal(t, 400, do(t, "GET", u+"/"+bad, "").code, bad)
		require.Equal(t, 400, do(t, "POST", u+"/"+bad, "x").code, bad)
		require.Equal(t, 400, do(t, "DELETE", u+"/"+bad, "").code, bad)
	}
	require.Equal(t, 400, do(t, "POST", u+"/-2", "x").code)
	require.Equal(t, 400, do(t, "DELETE", u+"/-1", "").code)
	require.Equal(t, 400, do(t, "DELETE", u+"/7", "").code, "nonexistent segment")

	// Publish seq 0 and 1 (-1 = next write).
	r = do(t, "POST", u+"/0", "zero", "Content-Type", "video/mp2t")
	require.Equal(t, 200, r.code)
	require.Equal(t, "0", r.h.Get(HeaderSeq))
	r = do(t, "POST", u+"/-1", "one")
	require.Equal(t, "1", r.h.Get(HeaderSeq))
	r = do(t, "GET", u+"/0", "")
	require.Equal(t, 200, r.code)
	require.Equal(t, "zero", r.body)
	require.Equal(t, "0", r.h.Get(HeaderSeq))
	require.Equal(t, "2", r.h.Get(HeaderLatest), "behind the write head")
	require.Equal(t, "video/mp2t", r.h.Get("Content-Type"))
	r = do(t, "GET", u+"/-2", "")
	require.Equal(t, "one", r.body)
	require.Equal(t, "1", r.h.Get(HeaderSeq))

	// Repeated POST of a completed seq: refused (go-livepeer: 200, data
	// dropped).
	require.Equal(t, http.StatusConflict, do(t, "POST", u+"/1", "again").code)
	require.Equal(t, "one", do(t, "GET", u+"/1", "").body)

	// 470 ahead and behind.
	r = do(t, "GET", u+"/5", "")
	require.Equal(t, StatusSeqNotFound, r.code)
	require.Equal(t, "Entry not found", r.body)
	require.Equal(t, "5", r.h.Get(HeaderSeq))
	require.Equal(t, "2", r.h.Get(HeaderLatest))
	for i := 2; i < 8; i++ {
		do(t, "POST", u+"/-1", "d")
	}
	r = do(t, "GET", u+"/0", "")
	require.Equal(t, StatusSeqNotFound, r.code, "left the ring")
	require.Equal(t, "8", r.h.Get(HeaderLatest))

	// Reset closes older segments: a reader waiting on 9 (skipped) ends.
	done := make(chan rawResp, 1)
	go func() { done <- do(t, "GET", u+"/8", "") }()
	require.Eventually(t, func() bool { return requestsOn(ts, "ch", 8) >= 1 }, 5*time.Second, time.Millisecond)
	r = do(t, "POST", u+"/10", "ten", HeaderReset, "1")
	require.Equal(t, "10", r.h.Get(HeaderSeq))
	w := <-done
	require.Equal(t, 200, w.code)
	require.Empty(t, w.body)
	require.Equal(t, "8", w.h.Get(HeaderSeq))

	// Closing the channel removes it: a later GET is 404, as on
	// go-livepeer (ServerConfig.RememberClosed answers Lp-Trickle-Closed
	// instead; TestSubscriberAfterChannelDeletedGetsCleanEnd).
	require.Equal(t, 200, do(t, "DELETE", u, "").code)
	r = do(t, "GET", u+"/11", "")
	require.Equal(t, 404, r.code)
}

func TestServerClosedChannelHeaders(t *testing.T) {
	checkLeaks(t)
	defer http.DefaultClient.CloseIdleConnections()
	ts := newTestServer(t, ServerConfig{Autocreate: true})
	u := ts.url + "auto"
	require.Equal(t, 200, do(t, "POST", u, "", HeaderExpect, "application/json").code)
	require.Equal(t, 200, do(t, "POST", u+"/0", "{}").code)
	done := make(chan rawResp, 1)
	go func() { done <- do(t, "GET", u+"/1", "") }()
	time.Sleep(20 * time.Millisecond)
	// Close the channel programmatically while the channel object is kept
	// by the waiting reader.
	ts.mu.Lock()
	c := ts.channels["auto"]
	ts.mu.Unlock()
	c.close()
	r := <-done
	require.Equal(t, 200, r.code)
	require.Equal(t, ClosedValue, r.h.Get(HeaderClosed))
	r = do(t, "GET", u+"/0", "")
	require.Equal(t, ClosedValue, r.h.Get(HeaderClosed))
	require.Equal(t, "Entry not found", r.body)
	r = do(t, "GET", u+"/next", "")
	require.Equal(t, ClosedValue, r.h.Get(HeaderClosed))
	require.ErrorIs(t, ts.CloseChannel("nope"), ErrStreamNotFound)
}
