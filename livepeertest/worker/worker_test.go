package worker

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestTextReversal(t *testing.T) {
	srv := httptest.NewServer(TextReversal())
	defer srv.Close()

	resp := post(t, srv.URL+"/reverse-text", `{"text":"hello"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var out ReversalResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, ReversalResponse{Original: "hello", Reversed: "olleh"}, out)

	resp = post(t, srv.URL, `{"text":"Hello, Livepeer BYOC!"}`)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, "!COYB reepeviL ,olleH", out.Reversed)

	resp = post(t, srv.URL, `{"text":"héllo 😀"}`)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, "😀 olléh", out.Reversed)

	resp = post(t, srv.URL, `{}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp = post(t, srv.URL, `not json`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	get, err := http.Get(srv.URL)
	require.NoError(t, err)
	get.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, get.StatusCode)
}

func TestFail(t *testing.T) {
	rec := Record(Fail(http.StatusUnprocessableEntity, "model exploded"))
	srv := httptest.NewServer(rec)
	defer srv.Close()
	resp := post(t, srv.URL+"/x?q=1", `{}`)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	require.JSONEq(t, `{"error":"model exploded"}`, string(b))
	require.Equal(t, 1, rec.Count())
	require.Equal(t, "/x", rec.Requests()[0].Path)
	require.Equal(t, "q=1", rec.Requests()[0].RawQuery)
}

func readLines(t *testing.T, r io.Reader) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestStreamer(t *testing.T) {
	s := &Streamer{Count: 3}
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp := post(t, srv.URL, `{"text":"a b"}`)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	require.Equal(t, []string{
		"id: 0", `data: {"index":0,"token":"a"}`, "",
		"id: 1", `data: {"index":1,"token":"b"}`, "",
		"id: 2", `data: {"index":2,"token":"a"}`, "",
		"data: [DONE]", "",
	}, readLines(t, resp.Body))
	require.Equal(t, int64(1), s.Completed())

	// Steady rate: 5 events 20 ms apart take about 80 ms.
	start := time.Now()
	resp = post(t, srv.URL, `{"count":5,"interval_ms":20}`)
	lines := readLines(t, resp.Body)
	require.Len(t, lines, 5*3+2)
	require.GreaterOrEqual(t, time.Since(start), 75*time.Millisecond)

	resp = post(t, srv.URL, `{"count":-1}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp = post(t, srv.URL, `[`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestStreamerStallAndDisconnect(t *testing.T) {
	s := &Streamer{}
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"count":5,"stall_after":2}`))
	require.NoError(t, err)
	br := bufio.NewReader(resp.Body)
	for range 6 { // two events of three lines
		_, err := br.ReadString('\n')
		require.NoError(t, err)
	}
	require.Equal(t, int64(0), s.Disconnected())
	resp.Body.Close() // the client goes away
	require.Eventually(t, func() bool { return s.Disconnected() == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, int64(0), s.Completed())
}
