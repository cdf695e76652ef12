package livepeertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

func TestRunnerCallbacks(t *testing.T) {
	f := newRunnerFixture(t, true, RunnersConfig{}, echoRunner())
	id := f.reg.RunnerIDs()[0]
	status, _, body := f.do(http.MethodPost, f.discovery()[0].URL, nil, nil)
	require.Equal(t, http.StatusOK, status)
	sess := decode[runnerSessionResponse](t, body)
	e := f.echo(sess.AppURL+"/echo/", nil)
	control, token := e.Livepeer[SessionControlHeader], e.Livepeer[SessionTokenHeader]
	require.Equal(t, f.o.URL()+"/runner/"+id+"/session/"+sess.SessionID, control)
	good := map[string]string{SessionTokenHeader: token}

	// A wrong or missing token: 401 on every callback; an unknown session: 404.
	for _, hdr := range []map[string]string{nil, {SessionTokenHeader: "wrong"}, {SessionTokenHeader: token + "x"}} {
		for _, c := range []struct{ method, path, body string }{
			{http.MethodPost, "/channels", `{"channels":[{"name":"a"}]}`},
			{http.MethodDelete, "/channels", `{"channels":["a"]}`},
			{http.MethodPost, "/proxy", `{}`},
			{http.MethodPost, "/stop", ``},
		} {
			status, _, body := f.do(c.method, control+c.path, c.body, hdr)
			require.Equal(t, http.StatusUnauthorized, status, "%s %s", c.method, c.path)
			require.Equal(t, "invalid authorization\n", string(body))
		}
	}
	status, _, body = f.do(http.MethodPost, f.o.URL()+"/runner/"+id+"/session/nope/stop", nil, good)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "runner session not found\n", string(body))
	require.Len(t, f.reg.Sessions(), 1, "refused callbacks changed nothing")

	// Channels: created, idempotent by name, default MIME, public and internal URLs.
	status, _, body = f.do(http.MethodPost, control+"/channels", `{"channels":[{"name":"events","mime_type":"application/json"},{"name":"video/in"}]}`, good)
	require.Equal(t, http.StatusOK, status, "%s", body)
	chans := decode[struct{ Channels []runnerChannel }](t, body).Channels
	require.Equal(t, []runnerChannel{
		{Name: "events", ChannelName: sess.SessionID + "-events", URL: f.o.URL() + tricklePath + sess.SessionID + "-events",
			InternalURL: f.o.URL() + tricklePath + sess.SessionID + "-events", MimeType: "application/json"},
		{Name: "video-in", ChannelName: sess.SessionID + "-video-in", URL: f.o.URL() + tricklePath + sess.SessionID + "-video-in",
			InternalURL: f.o.URL() + tricklePath + sess.SessionID + "-video-in", MimeType: "application/octet-stream"},
	}, chans)
	status, _, body = f.do(http.MethodPost, control+"/channels", `{"channels":[{"name":"events","mime_type":"text/plain"}]}`, good)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, chans[:1], decode[struct{ Channels []runnerChannel }](t, body).Channels)
	for _, bad := range []string{`{"channels":[]}`, `{"channels":[{"name":"a b"}]}`, `{"channels":[{"name":" "}]}`, `not json`, manyChannels(26)} {
		status, _, _ = f.do(http.MethodPost, control+"/channels", bad, good)
		require.Equal(t, http.StatusBadRequest, status, bad)
	}
	status, _, _ = f.do(http.MethodPost, control+"/channels", manyChannels(25), good)
	require.Equal(t, http.StatusOK, status)

	// The public URL is a working trickle channel (anyone who knows it may use it).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, err := trickle.NewPublisher(chans[0].URL, trickle.PublisherConfig{MimeType: "application/json"})
	require.NoError(t, err)
	defer pub.Close()
	sub, err := trickle.NewSubscriber(chans[0].InternalURL, trickle.SubscriberConfig{})
	require.NoError(t, err)
	defer sub.Close()
	require.NoError(t, pub.Write(ctx, strings.NewReader(`{"hello":1}`)))
	seg, err := sub.Next(ctx)
	require.NoError(t, err)
	got, err := io.ReadAll(seg)
	require.NoError(t, err)
	seg.Close()
	require.Equal(t, `{"hello":1}`, string(got))

	// Delete: named channels go; an unknown name is 404.
	status, _, body = f.do(http.MethodDelete, control+"/channels", `{"channels":["events"]}`, good)
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"deleted":["events"]}`, string(body))
	// The channel is removed (go-livepeer): a GET parked at the live edge gets
	// the end-of-stream signal, one that arrives after it 404 (vanished).
	_, err = sub.Next(ctx)
	require.True(t, errors.Is(err, trickle.ErrEndOfStream) || errors.Is(err, trickle.ErrStreamNotFound), "%v", err)
	status, _, body = f.do(http.MethodDelete, control+"/channels", `{"channels":["events"]}`, good)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "trickle channel not found\n", string(body))

	// Proxies: the runner URL by default, or another path/port on its host.
	status, _, body = f.do(http.MethodPost, control+"/proxy", ``, good)
	require.Equal(t, http.StatusOK, status, "%s", body)
	p := decode[runnerProxy](t, body)
	require.Equal(t, f.o.URL()+"/run/"+p.ProxyID, p.URL)
	require.Equal(t, "/echo/q", f.echo(p.URL+"/echo/q", nil).Path)
	status, _, body = f.do(http.MethodPost, control+"/proxy", `{"target_url":"`+f.appSrv.URL+`/echo/sub"}`, good)
	require.Equal(t, http.StatusOK, status, "%s", body)
	p2 := decode[runnerProxy](t, body)
	e2 := f.echo(p2.URL+"/x?y=1", nil)
	require.Equal(t, "/echo/sub/x", e2.Path)
	require.Equal(t, "y=1", e2.Query)
	require.Equal(t, sess.SessionID, e2.Livepeer[SessionIDHeader])
	for _, bad := range []string{`{"target_url":"http://example.com/"}`, `{"target_url":"ftp://127.0.0.1/"}`, `{"target_url":"/rel"}`, `{"target_url":1}`} {
		status, _, _ = f.do(http.MethodPost, control+"/proxy", bad, good)
		require.Equal(t, http.StatusBadRequest, status, bad)
	}
	// go-livepeer parses target_url with url.ParseRequestURI, which keeps a
	// "#..." in the path, so its fragment check never fires: accepted.
	status, _, _ = f.do(http.MethodPost, control+"/proxy", `{"target_url":"`+f.appSrv.URL+`/#frag"}`, good)
	require.Equal(t, http.StatusOK, status)

	// The runner stops its own session: channels and proxies go with it.
	status, _, _ = f.do(http.MethodPost, control+"/stop", nil, good)
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, f.reg.Sessions())
	status, _, _ = f.do(http.MethodGet, p.URL+"/echo/", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = f.do(http.MethodGet, chans[1].URL+"/next", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = f.do(http.MethodPost, control+"/channels", `{"channels":[{"name":"a"}]}`, good)
	require.Equal(t, http.StatusNotFound, status)
}

func manyChannels(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"name":"c%d"}`, i)
	}
	return `{"channels":[` + strings.Join(parts, ",") + `]}`
}
