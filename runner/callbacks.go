package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/livepeer/livepeer-go-gateway/trickle"
)

// ChannelSpec names a trickle channel to create. go-livepeer accepts
// letters, digits, "_" and "-" ("/" becomes "-"); MimeType defaults to
// application/octet-stream.
type ChannelSpec struct {
	Name     string `json:"name"`
	MimeType string `json:"mime_type,omitempty"`
}

// Channel is a session's trickle channel (go-livepeer
// LiveRunnerTrickleChannel). URL is on the orchestrator's public address
// (give it to clients); InternalURL on its runner-facing address (use it
// from the runner). Anyone who knows a channel URL may read and write it.
type Channel struct {
	Name        string `json:"name"`
	ChannelName string `json:"channel_name"` // "{session id}-{name}"
	URL         string `json:"url"`
	InternalURL string `json:"internal_url,omitempty"`
	MimeType    string `json:"mime_type"`
}

func (c Channel) runnerURL() string {
	if c.InternalURL != "" {
		return c.InternalURL
	}
	return c.URL
}

// Publisher returns a trickle publisher writing the channel from the
// runner side (InternalURL); cfg.MimeType defaults to the channel's.
func (c Channel) Publisher(cfg trickle.PublisherConfig) (*trickle.Publisher, error) {
	if cfg.MimeType == "" {
		cfg.MimeType = c.MimeType
	}
	return trickle.NewPublisher(c.runnerURL(), cfg)
}

// Subscriber returns a trickle subscriber reading the channel from the
// runner side (InternalURL).
func (c Channel) Subscriber(cfg trickle.SubscriberConfig) (*trickle.Subscriber, error) {
	return trickle.NewSubscriber(c.runnerURL(), cfg)
}

// Proxy is a session-scoped public URL the orchestrator proxies to the
// runner (go-livepeer LiveRunnerProxy); it disappears with the session.
type Proxy struct {
	ID  string `json:"proxy_id"`
	URL string `json:"url"`
}

// CreateChannels creates named trickle channels for the session (at most
// 25 per call; an existing name returns the existing channel). Errors: a
// *CallbackError (errors.Is ErrSessionGone after a 404, which also ends
// the session; ErrUnauthorized for a wrong token), ErrNoSession before any
// request brought the token, ErrSessionGone once the session ended.
func (s *Session) CreateChannels(ctx context.Context, specs ...ChannelSpec) ([]Channel, error) {
	var out struct {
		Channels []Channel `json:"channels"`
	}
	err := s.call(ctx, "create channels", http.MethodPost, "/channels", map[string]any{"channels": specs}, &out)
	return out.Channels, err
}

// DeleteChannels deletes the named channels (their subscribers see the end
// of the stream). Errors as CreateChannels; an unknown name is a 404
// CallbackError that does not end the session.
func (s *Session) DeleteChannels(ctx context.Context, names ...string) error {
	return s.call(ctx, "delete channels", http.MethodDelete, "/channels", map[string]any{"channels": names}, nil)
}

// CreateProxy creates a session-scoped public URL: target "" proxies the
// runner's own URL; otherwise target is an absolute http(s) URL on the
// runner URL's host (any port and path). Errors as CreateChannels.
func (s *Session) CreateProxy(ctx context.Context, target string) (Proxy, error) {
	body := map[string]any{}
	if target != "" {
		body["target_url"] = target
	}
	var p Proxy
	err := s.call(ctx, "create proxy", http.MethodPost, "/proxy", body, &p)
	return p, err
}

// Stop releases the session on the orchestrator (its capacity slot is
// freed at once) and ends it locally. Errors as CreateChannels.
func (s *Session) Stop(ctx context.Context) error {
	err := s.call(ctx, "stop", http.MethodPost, "/stop", nil, nil)
	if err == nil {
		s.r.endSession(s, "stopped")
	}
	return err
}

func (s *Session) call(ctx context.Context, op, method, path string, body, out any) error {
	if ended, _ := s.Ended(); ended {
		return ErrSessionGone
	}
	token := s.Token()
	if token == "" {
		return fmt.Errorf("%w: no request of session %s has reached the runner yet, so its token is unknown", ErrNoSession, s.id)
	}
	if s.control == "" {
		return fmt.Errorf("%w: session %s has no control URL", ErrNoSession, s.id)
	}
	ctx, cancel := context.WithTimeout(ctx, s.r.cfg.RequestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := strings.TrimRight(s.control, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set(HeaderToken, token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("runner: %s %s: %w", op, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("runner: %s %s: %w", op, u, err)
	}
	if resp.StatusCode/100 != 2 {
		cerr := &CallbackError{Op: op, URL: u, StatusCode: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
		if cerr.sessionGone() && (cerr.Message != "runner not found" || readyStatus(s.r.Registration().Status)) {
			// "runner not found" also answers while this runner is not
			// ready: its sessions are kept then.
			s.r.endSession(s, "gone")
		}
		return cerr
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("runner: %s %s: bad answer: %w", op, u, err)
		}
	}
	return nil
}
